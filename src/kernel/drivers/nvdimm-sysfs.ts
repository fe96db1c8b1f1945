/**
 * The nd and dax buses in sysfs: /sys/bus/{nd,dax}/{devices,drivers} and
 * the device directories under /sys/devices, with the attributes user
 * space reads and writes (ndctl, daxctl, or a shell: region size/align/
 * available_size/seeds, namespace size/uuid/mode/holder_class/force_raw,
 * pfn/dax mode/align/uuid/namespace/resource/size, dax device
 * size/resource/align/target_node, driver bind/unbind/new_id/remove_id).
 * Formats follow the show() functions of drivers/nvdimm and drivers/dax.
 */
import type { Kernel } from "../kernel.js";
import type { Errno } from "../errno.js";
import { registerSysfsProvider, type SysfsAttr, type WriteResult } from "../sysfs.js";
import { daxDevPath, daxParentNode, daxDriverBind, daxDriverIdStore, daxDriverUnbind, daxMemmapOnMemoryStore, daxRegionAvailable, daxState, devDaxSize, type DevDax } from "./dax.js";
import { devPath, ndState, regionNstype, type NdDevice, type NdNamespace, type NdPfn, type NdRegion } from "./nvdimm-core.js";
import { allNdDevices, ndDriverBind, ndDriverUnbind, ndFlush } from "./nvdimm-bus.js";
import { dimmAvailableSlots } from "./nvdimm-label.js";
import { dimmUniqueId } from "./nvdimm-dimm.js";
import { namespaceMode, namespaceStore } from "./nvdimm-namespace.js";
import { pfnResource, pfnSize, pfnStore, pfnSupportedAlignments } from "./nvdimm-pfn.js";
import { regionAvailableSize, regionMaxAvailableExtent, regionSetCookie } from "./nvdimm-region.js";
import { bttStore, BTT_LBASIZE_SUPPORTED } from "./nvdimm-btt.js";

type Found = SysfsAttr | "dir" | null;

const ND_DRIVERS = ["nd_bus", "nvdimm", "nd_region", "nd_pmem", "dax_pmem"];
const DAX_DRIVERS = ["device_dax", "kmem"];

const ro = (f: () => string | null): SysfsAttr => ({
  show: () => {
    const v = f();
    if (v === null) throw new ReadError("ENXIO");
    return v;
  },
});

/** A show() that fails: the read returns this errno. */
class ReadError extends Error {
  constructor(readonly errno: Errno) {
    super(errno);
  }
}

function res(e: Errno | null): WriteResult {
  return e ? { ok: false, errno: e } : { ok: true };
}

function hexll(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

function selectShow(current: number, supported: number[]): string {
  return supported.map((s) => (s === current ? `[${s}] ` : `${s} `)).join("") + "\n";
}

function regionAttr(k: Kernel, r: NdRegion, attr: string): Found {
  switch (attr) {
    case "size":
      return ro(() => `${r.size}\n`);
    case "align":
      return {
        show: () => `${hexll(r.align)}\n`,
        store: (_k, buf) => {
          const v = Number(buf.trim());
          const m = Math.max(1, r.mappings.length);
          const per = v / m;
          if (!Number.isSafeInteger(v) || !Number.isInteger(per) || per < 4096 || (per & (per - 1)) !== 0 || v > r.size) return res("EINVAL");
          r.align = v;
          return res(null);
        },
      };
    case "available_size":
      return ro(() => `${regionAvailableSize(r)}\n`);
    case "max_available_extent":
      return ro(() => `${regionMaxAvailableExtent(r)}\n`);
    case "nstype":
      return ro(() => `${regionNstype(r)}\n`);
    case "set_cookie":
      return ro(() => {
        const c = regionSetCookie(r);
        return c === null ? null : `${hexll(c)}\n`;
      });
    case "mappings":
      return ro(() => `${r.mappings.length}\n`);
    case "namespace_seed":
      return ro(() => `${r.nsSeed?.registered ? r.nsSeed.name : ""}\n`);
    case "btt_seed":
      return ro(() => `${r.bttSeed?.registered ? r.bttSeed.name : ""}\n`);
    case "pfn_seed":
      return ro(() => `${r.pfnSeed?.registered ? r.pfnSeed.name : ""}\n`);
    case "dax_seed":
      return ro(() => `${r.daxSeed?.registered ? r.daxSeed.name : ""}\n`);
    case "read_only":
      return ro(() => `${r.ro ? 1 : 0}\n`);
    case "resource":
      return ro(() => `${hexll(r.start)}\n`);
    case "numa_node":
      return ro(() => `${r.numaNode}\n`);
    case "target_node":
      return ro(() => `${r.targetNode}\n`);
    case "persistence_domain":
      return ro(() => "\n");
    case "modalias":
      return ro(() => "nd:t2\n");
    case "devtype":
      return ro(() => "nd_pmem\n");
  }
  const m = /^mapping(\d+)$/.exec(attr);
  if (m && Number(m[1]) < r.mappings.length) {
    const mp = r.mappings[Number(m[1])];
    return ro(() => `${mp.dimm.name},${mp.start},${mp.size},${mp.position}\n`);
  }
  return null;
}

function namespaceAttr(k: Kernel, ns: NdNamespace, attr: string): Found {
  const store = (a: string) => (_k: Kernel, buf: string) => res(namespaceStore(k, ns, a, buf));
  switch (attr) {
    case "nstype":
      return ro(() => `${ns.nstype === "io" ? 4 : 5}\n`);
    case "size":
      return ns.nstype === "pmem" ? { show: () => `${ns.size}\n`, store: store("size") } : ro(() => `${ns.size}\n`);
    case "resource":
      return ro(() => (ns.size ? `${hexll(ns.start)}\n` : null));
    case "mode":
      return ro(() => `${namespaceMode(k, ns)}\n`);
    case "holder":
      return ro(() => `${ns.claim ? ns.claim.name : ""}\n`);
    case "holder_class":
      return { show: () => `${ns.claimClass === "none" ? "" : ns.claimClass}\n`, store: store("holder_class") };
    case "force_raw":
      return { show: () => `${ns.forceRaw ? 1 : 0}\n`, store: store("force_raw") };
    case "numa_node":
      return ro(() => `${ns.region.numaNode}\n`);
    case "target_node":
      return ro(() => `${ns.region.targetNode}\n`);
    case "modalias":
      return ro(() => `nd:t${ns.nstype === "io" ? 4 : 5}\n`);
    case "devtype":
      return ro(() => `${ns.nstype === "io" ? "nd_namespace_io" : "nd_namespace_pmem"}\n`);
  }
  if (ns.nstype === "pmem") {
    switch (attr) {
      case "uuid":
        return { show: () => `${ns.uuid ?? ""}\n`, store: store("uuid") };
      case "alt_name":
        return { show: () => `${ns.altName}\n`, store: store("alt_name") };
      case "sector_size":
        return { show: () => selectShow(ns.lbasize, [512, 4096]), store: store("sector_size") };
    }
  }
  return null;
}

function pfnAttr(k: Kernel, p: NdPfn, attr: string): Found {
  const store = (a: string) => (_k: Kernel, buf: string) => res(pfnStore(k, p, a, buf));
  switch (attr) {
    case "mode":
      return { show: () => `${p.mode}\n`, store: store("mode") };
    case "align":
      return { show: () => `${p.align}\n`, store: store("align") };
    case "uuid":
      return { show: () => `${p.uuid ?? ""}\n`, store: store("uuid") };
    case "namespace":
      return { show: () => `${p.ns ? p.ns.name : ""}\n`, store: store("namespace") };
    case "resource":
      return ro(() => {
        const v = pfnResource(p);
        return v === null ? null : `${hexll(v)}\n`;
      });
    case "size":
      return ro(() => {
        const v = pfnSize(p);
        return v === null ? null : `${v}\n`;
      });
    case "supported_alignments":
      return ro(() => selectShow(0, pfnSupportedAlignments(k)));
    case "modalias":
      return ro(() => `nd:t${p.kind === "ndax" ? 7 : regionNstype(p.region)}\n`);
    case "devtype":
      return ro(() => `${p.kind === "ndax" ? "nd_dax" : "nd_pfn"}\n`);
  }
  return null;
}

function daxRegionAttr(k: Kernel, p: NdPfn, attr: string): Found {
  const r = daxState(k).regions.find((x) => x.parent === p);
  if (!r) return null;
  switch (attr) {
    case "id":
      return ro(() => `${r.id}\n`);
    case "size":
      return ro(() => `${r.end - r.start + 1}\n`);
    case "align":
      return ro(() => `${r.align}\n`);
    case "available_size":
      return ro(() => `${daxRegionAvailable(r)}\n`);
  }
  return null;
}

function ndAttr(k: Kernel, d: NdDevice, rest: string): Found {
  if (rest === "") return "dir";
  if (rest === "driver") return d.driver ? "dir" : null;
  if (rest === "driver/unbind" && d.driver) {
    return { store: (_k, buf) => (buf.trim() === d.name ? res(ndDriverUnbind(k, d)) : res("ENODEV")) };
  }
  if (rest === "uevent") return { show: () => "" };
  switch (d.kind) {
    case "region":
      return regionAttr(k, d, rest);
    case "namespace":
      return namespaceAttr(k, d, rest);
    case "pfn":
    case "ndax":
      if (d.kind === "ndax" && rest === "dax_region") return daxState(k).regions.some((x) => x.parent === d) ? "dir" : null;
      if (d.kind === "ndax" && rest.startsWith("dax_region/")) return daxRegionAttr(k, d, rest.slice("dax_region/".length));
      return pfnAttr(k, d, rest);
    case "btt": {
      const b = d;
      const store = (a: string) => (_k: Kernel, buf: string) => res(bttStore(k, b, a, buf));
      switch (rest) {
        case "uuid":
          return { show: () => `${b.uuid ?? ""}\n`, store: store("uuid") };
        case "sector_size":
          return { show: () => selectShow(b.lbasize, BTT_LBASIZE_SUPPORTED), store: store("sector_size") };
        case "namespace":
          return { show: () => `${b.ns ? b.ns.name : ""}\n`, store: store("namespace") };
        case "size":
          return ro(() => (b.driver ? `${b.size}\n` : null));
        case "modalias":
          return ro(() => `nd:t${regionNstype(b.region)}\n`);
        case "devtype":
          return ro(() => "nd_btt\n");
      }
      return null;
    }
    case "dimm":
      switch (rest) {
        case "state":
          return ro(() => `${d.busy ? "active" : "idle"}\n`);
        case "available_slots":
          return ro(() => {
            const v = dimmAvailableSlots(d);
            return v === null ? null : `${v}\n`;
          });
        case "nfit":
          return "dir";
        case "nfit/handle":
          return ro(() => `${hexll(d.handle)}\n`);
        case "nfit/phys_id":
          return ro(() => `${hexll(d.physId)}\n`);
        case "nfit/id":
          return ro(() => `${dimmUniqueId(d)}\n`);
        case "modalias":
          return ro(() => "nd:t1\n");
        case "devtype":
          return ro(() => "nvdimm\n");
        case "dev":
          return ro(() => `245:${d.id}\n`);
      }
      return null;
    default:
      return null;
  }
}

function daxDevAttr(k: Kernel, d: DevDax, rest: string): Found {
  switch (rest) {
    case "":
      return "dir";
    case "driver":
      return d.driver ? "dir" : null;
    case "size":
      return ro(() => `${devDaxSize(d)}\n`);
    case "resource":
      return ro(() => `${hexll(d.ranges[0]?.start ?? 0)}\n`);
    case "align":
      return ro(() => `${d.align}\n`);
    case "target_node":
      return d.targetNode >= 0 ? ro(() => `${d.targetNode}\n`) : null;
    case "numa_node":
      return ro(() => `${daxParentNode(d.region.parent)}\n`);
    case "modalias":
      return ro(() => "dax:t0\n");
    case "memmap_on_memory":
      return k.rules.daxMemmapOnMemory ? { show: () => `${d.memmapOnMemory ? 1 : 0}\n`, store: (_k, buf) => res(daxMemmapOnMemoryStore(k, d, buf)) } : null;
    case "uevent":
      return { show: () => "" };
    case "driver/unbind":
      if (!d.driver) return null;
      return { store: (_k, buf) => res(daxDriverUnbind(k, d.driver!, buf)) };
  }
  return null;
}

/** The sysfs provider of the nd and dax buses. */
function provider(k: Kernel, path: string): Found {
  if (!path.startsWith("/sys/")) return null;
  // Only a kernel that loaded the nvdimm modules has these files.
  if (!ndState(k).loaded) return null;
  ndFlush(k);
  if (["/sys/bus/nd", "/sys/bus/nd/devices", "/sys/bus/nd/drivers", "/sys/bus/dax", "/sys/bus/dax/devices", "/sys/bus/dax/drivers"].includes(path)) return "dir";
  let m = /^\/sys\/bus\/nd\/drivers\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const drv = m[1];
    if (!ND_DRIVERS.includes(drv)) return null;
    if (!m[2]) return "dir";
    if (m[2] === "bind" || m[2] === "unbind") {
      const bind = m[2] === "bind";
      return {
        store: (_k, buf) => {
          const d = allNdDevices(k).find((x) => x.name === buf.trim());
          if (!d) return res("ENODEV");
          if (bind) return res(ndDriverBind(k, drv, d));
          return d.driver === drv ? res(ndDriverUnbind(k, d)) : res("ENODEV");
        },
      };
    }
    return null;
  }
  m = /^\/sys\/bus\/dax\/drivers\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const drv = m[1];
    if (!DAX_DRIVERS.includes(drv)) return null;
    if (!m[2]) return "dir";
    switch (m[2]) {
      case "bind":
        return { store: (_k, buf) => res(daxDriverBind(k, drv, buf)) };
      case "unbind":
        return { store: (_k, buf) => res(daxDriverUnbind(k, drv, buf)) };
      case "new_id":
      case "remove_id":
        return { store: (_k, buf) => res(daxDriverIdStore(k, drv, m![2] as "new_id" | "remove_id", buf)) };
    }
    return null;
  }
  m = /^\/sys\/bus\/nd\/devices\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (m) {
    const d = allNdDevices(k).find((x) => x.name === m![1]);
    return d ? ndAttr(k, d, m[2] ?? "") : null;
  }
  m = /^\/sys\/bus\/dax\/devices\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (m) {
    const d = daxState(k).devices.find((x) => x.registered && x.name === m![1]);
    return d ? daxDevAttr(k, d, m[2] ?? "") : null;
  }
  const rel = path.slice("/sys".length);
  for (const d of daxState(k).devices) {
    if (!d.registered) continue;
    const p = daxDevPath(d);
    if (rel === p || rel.startsWith(`${p}/`)) return daxDevAttr(k, d, rel.slice(p.length + 1));
  }
  let best: { d: NdDevice; p: string } | null = null;
  for (const d of allNdDevices(k)) {
    const p = devPath(d);
    if ((rel === p || rel.startsWith(`${p}/`)) && (!best || p.length > best.p.length)) best = { d, p };
  }
  if (best) return ndAttr(k, best.d, rel.slice(best.p.length + 1));
  return null;
}

/** A read error raised by an attribute's show() (e.g. ENXIO for a pfn device's size while unbound). */
export function sysfsShowErrno(e: unknown): Errno | null {
  return e instanceof ReadError ? e.errno : null;
}

export function registerNdSysfs(): void {
  registerSysfsProvider(provider);
}
