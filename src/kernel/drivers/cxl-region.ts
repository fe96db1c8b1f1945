/**
 * CXL regions (drivers/cxl/core/region.c, drivers/cxl/pmem.c): created on a
 * root decoder, sized from its window (HPA, 256 MiB first fit), given
 * endpoint decoders as targets (each with a DPA allocation in its
 * partition), committed, then bound to cxl_region. A pmem region becomes
 * pmem_regionN and, through cxl_pmem_region, an nd region on the nvdimm
 * bridge's bus (its id is the CXL region's); a ram region becomes a dax
 * region through dax_cxl (cxl-dax.ts).
 */
import { cxlDaxRegionAdd, cxlDaxRegionProbe, cxlDaxRegionRemove } from "./cxl-dax.js";
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, ENXIO, type Errno } from "../errno.js";
import { insertNested, insertResource, makeResource, removeResource, removeResourceKeepChildren, type Resource } from "../resource.js";
import { alignUp, isPowerOf2, MiB } from "../units.js";
import { ndState, ndUevent, type NdRegion } from "./nvdimm-core.js";
import { ndDriverUnbind, ndFlush } from "./nvdimm-bus.js";
import { ndRegionCreate } from "./nvdimm-region.js";
import { fletcher64 } from "./nvdimm-label.js";
import { detach, pathPorts } from "./cxl-region-target.js";
import { CXL_DEVICE, cxlUevent, decoderPath, type CxlDecoder, type CxlState } from "./cxl-core.js";

export const SZ_256M = 256 * MiB;

export interface CxlRegion {
  name: string;
  id: number;
  root: CxlDecoder;
  mode: "pmem" | "ram";
  uuid: string | null;
  size: number;
  res: Resource | null;
  iw: number;
  ig: number;
  targets: (CxlDecoder | null)[];
  /** CXL_CONFIG_*: idle (no targets yet), interleave_active (all targets), commit. */
  state: "idle" | "active" | "commit";
  driver: string | null;
  registered: boolean;
  pmem: { name: string; driver: string | null; nd: NdRegion | null; res: Resource | null } | null;
  /** A ram region's accounting (cxl-dax.ts): System RAM, device pages, trimmed bytes of its dax device. */
  extra?: (k: Kernel) => { systemRam: number; devicePages: number; metadata: number; padding: number; trimmed: number; unusable: number };
  /** dax_cxl's dax_region (ram regions). */
  dax: { name: string; driver: string | null; daxRegionId: number | null } | null;
}

export function regionPath(r: CxlRegion): string {
  return `${decoderPath(r.root)}/${r.name}`;
}

function regionEvent(k: Kernel, action: string, r: CxlRegion, driver?: string): void {
  cxlUevent(k, action, regionPath(r), "cxl_region", CXL_DEVICE.region, driver);
}

/** create_{pmem,ram}_region_store(): `regionN` must be the decoder's next id. */
export function createRegion(k: Kernel, st: CxlState, root: CxlDecoder, mode: "pmem" | "ram", buf: string): Errno | null {
  const m = /^region(\d+)\n?$/.exec(buf);
  if (!m) return EINVAL;
  if (Number(m[1]) !== root.nextRegionId) return EBUSY;
  const id = root.nextRegionId!;
  const r: CxlRegion = { name: `region${id}`, id, root, mode, uuid: null, size: 0, res: null, iw: 0, ig: 0, targets: [], state: "idle", driver: null, registered: true, pmem: null, dax: null };
  st.regions.push(r);
  root.nextRegionId = ndState(k).regionIda.get();
  regionEvent(k, "add", r);
  // The bus matches cxl_region at once; its probe refuses a region that is not committed.
  k.printk(7, `cxl_region ${r.name}: config state: 0`);
  k.printk(7, `cxl_acpi ACPI0017:00: ${root.name}: created ${r.name}`);
  return null;
}

/** interleave_ways_store / interleave_granularity_store: only before targets are attached. */
/**
 * interleave_{ways,granularity}_store(): a valid encoding; ways a power-of-2
 * multiple of the root's (test/oracle/cxl/cxl-probe89-three-devices: 3 under
 * a one-way root, "invalid interleave: 3"), granularity the root's when the
 * root interleaves; then EBUSY once the region has its size (its state is
 * CXL_CONFIG_INTERLEAVE_ACTIVE from alloc_hpa() on).
 */
export function setInterleave(k: Kernel, r: CxlRegion, attr: "ways" | "granularity", v: number): Errno | null {
  if (attr === "ways") {
    if (![1, 2, 3, 4, 6, 8, 12, 16].includes(v)) return EINVAL;
    if (v % r.root.iw !== 0 || !isPowerOf2(v / r.root.iw)) {
      k.printk(7, `cxl ${r.name}: invalid interleave: ${v}`);
      return EINVAL;
    }
  } else {
    if (![256, 512, 1024, 2048, 4096, 8192, 16384].includes(v)) return EINVAL;
    if (r.root.iw > 1 && v !== r.root.ig) return EINVAL;
  }
  if (r.res || r.targets.some((t) => t)) return EBUSY;
  if (attr === "ways") {
    r.iw = v;
    r.targets = new Array<CxlDecoder | null>(v).fill(null);
  } else r.ig = v;
  return null;
}

/** size_store(): alloc_hpa() in the window (first fit, 256 MiB aligned), or free_hpa() for 0. */
export function setSize(k: Kernel, st: CxlState, r: CxlRegion, size: number): Errno | null {
  if (r.state === "commit") return EBUSY;
  if (size === 0) {
    if (r.res) removeResource(r.res);
    r.res = null;
    r.size = 0;
    return null;
  }
  // alloc_hpa(): the same size again is fine, another EBUSY; no ways or granularity yet (a ram region has
  // none until written: test/oracle/cxl/cxl-probe91-sysfs-region-errors) is ENXIO, before the size's remainder.
  if (r.res) return r.res.end - r.res.start + 1 === size ? null : EBUSY;
  // A pmem region needs its uuid first (test/oracle/cxl/cxl-probe92-pmem-sysfs-errors: ENXIO on 6.1 to 7.2).
  if (r.iw === 0 || r.ig === 0 || (r.mode === "pmem" && !r.uuid)) return ENXIO;
  if (size % (SZ_256M * r.iw) !== 0) return EINVAL;
  const win = st.windowRes.get(r.root.window!.index)!;
  let at = alignUp(win.start, SZ_256M);
  for (const c of win.children) {
    if (c.start >= at + size) break;
    at = Math.max(at, alignUp(c.end + 1, SZ_256M));
  }
  if (at + size - 1 > win.end) return "ENOSPC" as Errno;
  const res = makeResource(at, at + size - 1, r.name);
  insertNested(win, res);
  r.res = res;
  r.size = size;
  void k;
  return null;
}

/** commit_store(): program (1) or reset (0) every decoder of the region, endpoint first. */
export function setCommit(k: Kernel, st: CxlState, r: CxlRegion, commit: boolean, hypervisor: boolean): Errno | null {
  if (commit) {
    if (r.state === "commit") return null;
    if (r.state !== "active") return ENXIO;
    if (st.rules.commitNeedsCacheInvalidate && hypervisor) {
      k.printk(3, `cxl ${r.name}: Failed to synchronize CPU cache state`);
      return ENXIO;
    }
    for (const d of allDecoders(r)) {
      d.committed = true;
      // cxl_decoder_commit() writes the interleave and size into the device's registers.
      const m = d.port.memdev;
      if (d.kind === "endpoint" && m) (m.hdmRegs ??= [])[d.id] = { iw: d.iw, ig: d.ig, size: r.size, committed: true };
    }
    r.state = "commit";
    return null;
  }
  if (r.state !== "commit") return null;
  if (r.driver) return EBUSY;
  for (const d of allDecoders(r)) decoderReset(d);
  r.state = "active";
  return null;
}

/**
 * cxl_decoder_reset(): Commit cleared, then base and size written 0; the
 * interleave stays in the device's registers, and so does the Committed bit
 * where the device does not clear it (PlacedType3.uncommitClearsCommitted).
 */
function decoderReset(d: CxlDecoder): void {
  d.committed = false;
  const regs = d.kind === "endpoint" ? d.port.memdev?.hdmRegs?.[d.id] : undefined;
  if (!regs) return;
  regs.size = 0;
  regs.committed = !d.port.memdev!.dev.uncommitClearsCommitted;
}

function allDecoders(r: CxlRegion): CxlDecoder[] {
  const out: CxlDecoder[] = [];
  for (const t of r.targets) {
    if (!t) continue;
    out.push(t);
    for (const p of pathPorts(t.port)) {
      const sd = p.decoders.find((x) => x.region === r);
      if (sd && !out.includes(sd)) out.push(sd);
    }
  }
  return out;
}

/** cxl_region_probe(): a committed region; pmem regions get pmem_regionN and its nd region. */
export function regionBind(k: Kernel, st: CxlState, r: CxlRegion): Errno | null {
  if (r.driver) return EBUSY;
  if (r.state !== "commit") {
    k.printk(7, `cxl_region ${r.name}: config state: ${r.state === "idle" ? 0 : 1}`);
    return ENXIO;
  }
  r.driver = "cxl_region";
  if (r.mode === "pmem") {
    if (k.rules.cxlRegisterPmemDebug) k.printk(7, `cxl_region ${r.name}: ${r.name}: register pmem_region${r.id}`);
    const pm = { name: `pmem_region${r.id}`, driver: null as string | null, nd: null as NdRegion | null, res: null as Resource | null };
    r.pmem = pm;
    const path = `${regionPath(r)}/${pm.name}`;
    cxlUevent(k, "add", path, "cxl_pmem_region", CXL_DEVICE.pmem_region);
    pmemRegionProbe(k, st, r);
    cxlUevent(k, "bind", path, "cxl_pmem_region", CXL_DEVICE.pmem_region, "cxl_pmem_region");
  } else if (st.rules.daxCxl) {
    cxlDaxRegionAdd(k, st, r);
  }
  regionEvent(k, "bind", r, "cxl_region");
  if (r.mode === "ram" && st.rules.daxCxlAsync) cxlDaxRegionProbe(k, st, r);
  return null;
}

/** cxl_pmem_region_probe(): "Persistent Memory" over the region, an nd region with one mapping per target. */
function pmemRegionProbe(k: Kernel, st: CxlState, r: CxlRegion): void {
  const pm = r.pmem!;
  const bus = st.bridge?.bus;
  if (!bus || !r.res) return;
  pm.driver = "cxl_pmem_region";
  const res = makeResource(r.res.start, r.res.end, "Persistent Memory", {}, "PERSISTENT_MEMORY");
  insertResource(k.iomem, res);
  pm.res = res;
  const mappings: { dimm: import("./nvdimm-core.js").NdDimm; dpa: number; size: number; position: number }[] = [];
  for (const [i, t] of r.targets.entries()) {
    const nmem = t?.port.memdev?.nvdimm?.nmem;
    if (!t || !nmem) return;
    mappings.push({ dimm: nmem, dpa: t.dpaStart, size: t.dpaSize, position: i });
  }
  // The interleave-set cookie: nd_fletcher64 over {DPA offset, serial} of each mapping.
  const words: number[] = [];
  for (const d of r.targets) {
    const sn = d!.port.memdev!.dev.serial;
    words.push(d!.dpaStart % 2 ** 32, Math.floor(d!.dpaStart / 2 ** 32), sn % 2 ** 32, Math.floor(sn / 2 ** 32));
  }
  // No SRAT node for the address: the target node falls back to memory_add_physaddr_to_nid()'s.
  const numaNode = st.numaNode(r.res.start);
  const target = st.targetNode(r.res.start);
  const nd = ndRegionCreate(k, bus, {
    start: r.res.start,
    size: r.size,
    pagemap: false,
    targetNode: target < 0 ? numaNode : target,
    numaNode,
    cxl: { id: r.id, cookie: fletcher64(words), persistenceDomain: "memory_controller", mappings },
  });
  pm.nd = nd;
  st.ndRegions.set(r.name, nd);
  ndFlush(k);
}

/** Unbinding cxl_region: pmem_regionN goes (its nd region first), then the region's `unbind`. */
/**
 * cxl_decoder_kill_region(): an endpoint decoder going away (its memdev
 * unbound) takes its region down: the decode reset, the decoder detached,
 * the region's driver let go (test/oracle/cxl/cxl-probe90-unbind-in-region:
 * region0 stays, disabled, decode "reset", one mapping).
 */
export function decoderKillRegion(k: Kernel, st: CxlState, d: CxlDecoder): void {
  const r = d.region;
  if (!r) return;
  if (r.state === "commit") {
    for (const x of allDecoders(r)) decoderReset(x);
    r.state = "active";
  }
  const pos = r.targets.indexOf(d);
  if (pos >= 0) detach(st, r, pos);
  if (r.driver) regionUnbind(k, st, r);
}

export function regionUnbind(k: Kernel, st: CxlState, r: CxlRegion): Errno | null {
  if (!r.driver) return ENODEV;
  if (r.pmem) {
    const pm = r.pmem;
    const path = `${regionPath(r)}/${pm.name}`;
    if (pm.nd) {
      ndFlush(k);
      ndRegionUnregister(k, pm.nd);
      st.ndRegions.delete(r.name);
      pm.nd = null;
    }
    if (pm.res) removeResourceKeepChildren(pm.res);
    if (pm.driver) cxlUevent(k, "unbind", path, "cxl_pmem_region", CXL_DEVICE.pmem_region);
    cxlUevent(k, "remove", path, "cxl_pmem_region", CXL_DEVICE.pmem_region);
    r.pmem = null;
  }
  cxlDaxRegionRemove(k, r);
  r.driver = null;
  regionEvent(k, "unbind", r);
  return null;
}

/** device_unregister() of an nd region: driver release (children), `remove`. */
function ndRegionUnregister(k: Kernel, nd: NdRegion): void {
  nd.killed = true;
  if (nd.driver) ndDriverUnbind(k, nd);
  ndUevent(k, "remove", nd);
  const st = ndState(k);
  st.regions = st.regions.filter((x) => x !== nd);
  nd.registered = false;
}

/** delete_region_store(): unregister the region (unbinding it first), free its HPA and id. */
export function deleteRegion(k: Kernel, st: CxlState, root: CxlDecoder, buf: string): Errno | null {
  const name = buf.replace(/\n$/, "");
  const r = st.regions.find((x) => x.name === name && x.root === root);
  if (!r) return ENODEV;
  if (r.driver) regionUnbind(k, st, r);
  if (r.state === "commit") setCommit(k, st, r, false, false);
  for (let i = 0; i < r.targets.length; i++) if (r.targets[i]) detach(st, r, i);
  if (r.res) removeResource(r.res);
  r.res = null;
  r.registered = false;
  st.regions = st.regions.filter((x) => x !== r);
  regionEvent(k, "remove", r);
  // cxl_region_release(): the decoder's cached next id is swapped for the released one (the id space stays small).
  const ida = ndState(k).regionIda;
  if (root.nextRegionId !== undefined) ida.put(root.nextRegionId);
  root.nextRegionId = r.id;
  return null;
}
