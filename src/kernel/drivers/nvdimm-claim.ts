/** Claiming a namespace by a btt/pfn/dax device and the common namespace probe. Models drivers/nvdimm/claim.c. */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, ENOMEM, ENXIO, EOPNOTSUPP, type Errno } from "../errno.js";
import { hex0x10 } from "../units.js";
import type { ClaimClass, NdBtt, NdNamespace, NdPfn, ProbeResult } from "./nvdimm-core.js";
import { err, ndDeviceRegister, ndDeviceUnregister, OK } from "./nvdimm-bus.js";
import { pmemShouldMapPages } from "./nvdimm-namespace.js";
import { driverOf, memremapCompatAlign, pfnAlloc, pfnValidate, putTemp, SZ_16M, SZ_4K } from "./nvdimm-pfn.js";

export function attachNs(dev: NdPfn | NdBtt, ns: NdNamespace): boolean {
  if (ns.claim) return false;
  ns.claim = dev;
  dev.ns = ns;
  return true;
}

export function detachNs(dev: NdPfn | NdBtt): void {
  if (dev.ns && dev.ns.claim === dev) dev.ns.claim = null;
  dev.ns = null;
}

/** is_idle() in claim.c. */
function isIdle(dev: NdPfn | NdBtt): boolean {
  const r = dev.region;
  const seed = dev.kind === "btt" ? r.bttSeed : dev.kind === "pfn" ? r.pfnSeed : r.daxSeed;
  return !(seed === dev || dev.ns || dev.driver);
}

/** nd_namespace_store(): the `namespace` attribute of a btt/pfn/dax device. */
export function claimNamespaceStore(k: Kernel, dev: NdPfn | NdBtt, buf: string): Errno | null {
  if (dev.driver) return EBUSY;
  const name = buf.trim();
  if (!(name.startsWith("namespace") || name === "")) return EINVAL;
  if (name === "") {
    // nd_detach_and_reset()
    detachNs(dev);
    if (isIdle(dev)) {
      ndDeviceUnregister(k, dev);
    } else if (dev.kind === "btt") {
      dev.lbasize = 0;
      dev.uuid = null;
    } else {
      dev.uuid = null;
      dev.mode = "none";
    }
    return null;
  }
  if (dev.ns) return EBUSY;
  const ns = dev.region.children.find((c): c is NdNamespace => c.kind === "namespace" && c.name === name);
  if (!ns) return ENODEV;
  const ok = dev.kind === "btt" ? ["btt", "btt2"] : dev.kind === "pfn" ? ["pfn"] : ["dax"];
  if (ns.claimClass !== "none" && !ok.includes(ns.claimClass)) return EBUSY;
  if (ns.size < SZ_16M) return ENXIO;
  if (!attachNs(dev, ns)) return EBUSY;
  return null;
}

/** nd_pfn_probe() / nd_dax_probe() on a namespace being probed by nd_pmem: autodetect an info block. */
export function claimProbe(k: Kernel, ns: NdNamespace, kind: "pfn" | "ndax"): ProbeResult {
  if (ns.forceRaw) return err(ENODEV);
  const want: ClaimClass = kind === "pfn" ? "pfn" : "dax";
  if (ns.claimClass !== "none" && ns.claimClass !== want) return err(ENODEV);
  const p = pfnAlloc(k, ns.region, kind, ns);
  if (!p) return err(ENOMEM);
  // The temporary device is not bound to a driver while validating.
  const r = pfnValidate(k, p, kind === "pfn" ? "PFN" : "DAX");
  if (!r.ok) {
    putTemp(p);
    return r;
  }
  ndDeviceRegister(k, p);
  return OK;
}

/** nvdimm_namespace_common_probe(). */
export function namespaceCommonProbe(k: Kernel, d: NdNamespace | NdBtt | NdPfn): { ok: true; ns: NdNamespace } | { ok: false; errno: Errno } {
  let ns: NdNamespace;
  if (d.kind !== "namespace") {
    if (!d.ns) return { ok: false, errno: ENODEV };
    ns = d.ns;
    if (ns.driver) return { ok: false, errno: EBUSY };
    if (ns.claim !== d) return { ok: false, errno: ENXIO };
  } else {
    ns = d;
    if (ns.claim) return { ok: false, errno: ENXIO };
  }
  if (ns.size < SZ_4K) return { ok: false, errno: ENODEV };
  if (d.kind === "namespace" && k.rules.subsectionHotplug && pmemShouldMapPages(k, ns)) {
    const compat = memremapCompatAlign(k);
    if (ns.start % compat !== 0 || (ns.start + ns.size) % compat !== 0) {
      k.printk(3, `${driverOf(ns)} ${ns.name}: [mem ${hex0x10(ns.start)}-${hex0x10(ns.start + ns.size - 1)} flags 0x200] misaligned, unable to map`);
      return { ok: false, errno: EOPNOTSUPP };
    }
  }
  if (ns.nstype === "pmem" && !ns.uuid) return { ok: false, errno: ENODEV };
  return { ok: true, ns };
}

/** nd_uuid_store() for a btt/pfn/dax device: only while unbound; dashes optional, stored in lower case. */
export function ndUuidStore(dev: NdPfn | NdBtt, v: string): Errno | null {
  if (dev.driver) return EBUSY;
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) return EINVAL;
  dev.uuid = v.toLowerCase();
  return null;
}
