/** Namespaces: label-less "io" and labelled "pmem", seeds, size/uuid/alt_name stores. Models drivers/nvdimm/namespace_devs.c. */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENOSPC, ENXIO, type Errno } from "../errno.js";
import { REGION_MIXED, regionIntersectsSystemRam } from "../resource.js";
import { alignUp } from "../units.js";
import { type ClaimClass, type DpaRes, ND_DEVICE, type NdBtt, type NdNamespace, type NdPfn, type NdRegion, NULL_UUID, regionNstype } from "./nvdimm-core.js";
import { bttClaimClass, bttCreate } from "./nvdimm-btt.js";
import { ndDeviceRegister, ndDeviceUnregister, ndFlush } from "./nvdimm-bus.js";
import { labelId, labelUpdate } from "./nvdimm-label.js";
import { pfnCreate } from "./nvdimm-pfn.js";
import { dpaAlign, freeExtents, regionMaxAvailableExtent } from "./nvdimm-region.js";

function newNamespace(r: NdRegion, nstype: "io" | "pmem"): NdNamespace {
  return {
    kind: "namespace",
    nstype,
    region: r,
    id: 0,
    name: "",
    start: r.start,
    size: 0,
    uuid: null,
    altName: "",
    lbasize: 512,
    forceRaw: false,
    claimClass: "none",
    claim: null,
    disk: null,
    pgmap: null,
    registered: false,
    killed: false,
    driver: null,
    devres: [],
  };
}

/** create_namespace_io(): one namespace over the whole region. */
export function createNamespaceIo(r: NdRegion): NdNamespace {
  const ns = newNamespace(r, "io");
  ns.start = r.start;
  ns.size = r.size;
  return ns;
}

/** scan_labels() for a one-DIMM region: a namespace per active label (DPA order), else a zero-sized seed. */
export function scanLabels(_k: Kernel, r: NdRegion): NdNamespace[] {
  const m = r.mappings[0];
  const labels = m.dimm.labelArea.labels.filter((l) => l.dpa >= m.start && l.dpa < m.start + m.size).sort((a, b) => a.dpa - b.dpa);
  const out: NdNamespace[] = [];
  for (const l of labels) {
    const ns = newNamespace(r, "pmem");
    ns.uuid = l.uuid;
    ns.altName = l.name;
    ns.lbasize = l.lbasize || 512;
    ns.claimClass = l.claimClass;
    ns.start = r.start + (l.dpa - m.start);
    ns.size = l.rawsize;
    out.push(ns);
  }
  if (out.length === 0) out.push(newNamespace(r, "pmem"));
  return out;
}

/** nd_region_create_ns_seed(). */
function createNsSeed(k: Kernel, r: NdRegion): void {
  if (regionNstype(r) === ND_DEVICE.NAMESPACE_IO) return;
  const ns = newNamespace(r, "pmem");
  ns.id = r.nsIda.get();
  ns.name = `namespace${r.id}.${ns.id}`;
  r.nsSeed = ns;
  ndDeviceRegister(k, ns);
}

/** nd_region_advance_seeds(). */
export function advanceSeeds(k: Kernel, r: NdRegion, d: NdNamespace | NdBtt | NdPfn): void {
  if (r.nsSeed === d) {
    createNsSeed(k, r);
  } else if (d.kind === "btt") {
    if (r.bttSeed === d) r.bttSeed = bttCreate(k, r);
    if (d.ns && r.nsSeed === d.ns) createNsSeed(k, r);
  } else if (d.kind === "pfn") {
    if (r.pfnSeed === d) r.pfnSeed = pfnCreate(k, r, "pfn");
    if (d.ns && r.nsSeed === d.ns) createNsSeed(k, r);
  } else if (d.kind === "ndax") {
    if (r.daxSeed === d) r.daxSeed = pfnCreate(k, r, "ndax");
    if (d.ns && r.nsSeed === d.ns) createNsSeed(k, r);
  }
}

/** nd_dev_to_uuid(): a labelled namespace's uuid, else the null uuid. */
export function nsUuid(ns: NdNamespace): string {
  return ns.nstype === "pmem" && ns.uuid ? ns.uuid : NULL_UUID;
}

/** pmem_should_map_pages(dev) for a namespace. */
export function pmemShouldMapPages(k: Kernel, ns: NdNamespace): boolean {
  if (!ns.region.pagemap) return false;
  if (ns.forceRaw) return false;
  if (regionIntersectsSystemRam(k.iomem, ns.start, ns.size) === REGION_MIXED) return false;
  return true;
}

/** The namespace `mode` attribute. */
export function namespaceMode(k: Kernel, ns: NdNamespace): "safe" | "memory" | "dax" | "raw" {
  const c = ns.claim;
  if (c && c.kind === "btt") return "safe";
  if (c && c.kind === "pfn") return "memory";
  if (c && c.kind === "ndax") return "dax";
  if (!c && pmemShouldMapPages(k, ns)) return "memory";
  return "raw";
}

/** __size_store() + label update for a labelled namespace. */
function sizeStore(k: Kernel, ns: NdNamespace, val: number): Errno | null {
  const r = ns.region;
  if (ns.driver || ns.claim) return EBUSY;
  if (ns.nstype !== "pmem" || !ns.uuid) return ENXIO;
  if (r.mappings.length === 0) return ENXIO;
  if (val % r.align !== 0) return EINVAL;
  let allocated = 0;
  for (const m of r.mappings) {
    if (!m.dimm.ndd) return ENXIO;
    allocated += m.dimm.ndd.dpa.filter((d) => d.id === labelId(ns)).reduce((a, d) => a + d.size, 0);
  }
  const available = regionMaxAvailableExtent(r);
  if (val > available + allocated) return ENOSPC;
  if (val === allocated) return null;
  const per = val / r.mappings.length;
  for (let i = 0; i < r.mappings.length; i++) {
    const ndd = r.mappings[i].dimm.ndd!;
    const mine = ndd.dpa.filter((d) => d.id === labelId(ns));
    ndd.dpa = ndd.dpa.filter((d) => d.id !== labelId(ns));
    if (per === 0) continue;
    // Grow in place when possible, else take the first aligned free extent that fits.
    const cur = mine[0];
    const align = dpaAlign(r);
    let placed: DpaRes | null = null;
    if (cur) {
      const fits = freeExtents(r, i).some((f) => f.start <= cur.start && f.end >= cur.start + per - 1);
      if (fits) placed = { id: labelId(ns), start: cur.start, size: per };
    }
    if (!placed) {
      for (const f of freeExtents(r, i)) {
        const s = alignUp(f.start, align);
        if (s + per - 1 <= f.end) {
          placed = { id: labelId(ns), start: s, size: per };
          break;
        }
      }
    }
    if (!placed) {
      ndd.dpa.push(...mine);
      return ENOSPC;
    }
    ndd.dpa.push(placed);
  }
  const m0 = r.mappings[0];
  const res = m0.dimm.ndd!.dpa.find((d) => d.id === labelId(ns));
  ns.start = res ? r.start + (res.start - m0.start) : r.start;
  ns.size = val;
  labelUpdate(r, ns);
  if (val === 0 && ns.id !== 0 && r.nsSeed !== ns && !ns.claim) ndDeviceUnregister(k, ns);
  return null;
}

/** Write to a namespace attribute (uuid, size, alt_name, sector_size, holder_class, force_raw). */
export function namespaceStore(k: Kernel, ns: NdNamespace, attr: string, buf: string): Errno | null {
  ndFlush(k);
  const v = buf.replace(/\n$/, "");
  switch (attr) {
    case "force_raw": {
      if (!/^[01yYnN]/.test(v)) return EINVAL;
      ns.forceRaw = /^[1yY]/.test(v);
      return null;
    }
    case "holder_class": {
      if (ns.driver || ns.claim) return EBUSY;
      const c: ClaimClass | null = v === "btt" ? bttClaimClass(ns.region) : v === "pfn" ? "pfn" : v === "dax" ? "dax" : v === "" ? "none" : null;
      if (!c) return EINVAL;
      ns.claimClass = c;
      if (ns.nstype === "pmem" && ns.uuid) labelUpdate(ns.region, ns);
      return null;
    }
    case "uuid": {
      if (ns.nstype !== "pmem") return EACCES_();
      if (ns.driver || ns.claim) return EBUSY;
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) return EINVAL;
      const old = ns.uuid;
      ns.uuid = v.toLowerCase();
      // Move any DPA allocation to the new label id.
      for (const m of ns.region.mappings) for (const d of m.dimm.ndd?.dpa ?? []) if (old && d.id === `pmem-${old}`) d.id = labelId(ns);
      if (old) for (const m of ns.region.mappings) m.dimm.labelArea.labels = m.dimm.labelArea.labels.filter((l) => l.uuid !== old);
      labelUpdate(ns.region, ns);
      return null;
    }
    case "alt_name": {
      if (ns.nstype !== "pmem") return EACCES_();
      if (ns.driver || ns.claim) return EBUSY;
      ns.altName = v;
      if (ns.uuid) labelUpdate(ns.region, ns);
      return null;
    }
    case "sector_size": {
      if (ns.nstype !== "pmem") return EACCES_();
      if (ns.driver || ns.claim) return EBUSY;
      const n = Number(v);
      if (n !== 512 && n !== 4096) return EINVAL;
      ns.lbasize = n;
      if (ns.uuid) labelUpdate(ns.region, ns);
      return null;
    }
    case "size": {
      if (ns.nstype !== "pmem") return EACCES_();
      const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n)) return EINVAL;
      const r = sizeStore(k, ns, n);
      if (!r && n === 0) ns.uuid = null;
      return r;
    }
  }
  return EACCES_();
}

function EACCES_(): Errno {
  return "EACCES";
}
