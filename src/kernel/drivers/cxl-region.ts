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
import { alignUp, hex0x, isPowerOf2, MiB } from "../units.js";
import { ndState, ndUevent, type NdRegion } from "./nvdimm-core.js";
import { ndDriverUnbind, ndFlush } from "./nvdimm-bus.js";
import { ndRegionCreate } from "./nvdimm-region.js";
import { fletcher64 } from "./nvdimm-label.js";
import { CXL_DEVICE, cxlUevent, decoderPath, type CxlDecoder, type CxlDport, type CxlPort, type CxlState } from "./cxl-core.js";

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

/** dev_name(port->uport):dev_name(port) as region.c prints a port. */
function portLabel(p: CxlPort): string {
  return `${p.host}:${p.name}`;
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
export function setInterleave(r: CxlRegion, attr: "ways" | "granularity", v: number): Errno | null {
  if (r.targets.some((t) => t)) return EBUSY;
  if (attr === "ways") {
    if (![1, 2, 3, 4, 6, 8, 12, 16].includes(v)) return EINVAL;
    if (r.root.iw % v !== 0 && v % r.root.iw !== 0) return EINVAL;
    r.iw = v;
    r.targets = new Array<CxlDecoder | null>(v).fill(null);
  } else {
    if (![256, 512, 1024, 2048, 4096, 8192, 16384].includes(v)) return EINVAL;
    if (r.root.iw > 1 && v !== r.root.ig) return EINVAL;
    r.ig = v;
  }
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
  if (r.iw === 0) return ENXIO;
  if (size % (SZ_256M * r.iw) !== 0) return EINVAL;
  if (r.res) return r.res.end - r.res.start + 1 === size ? null : EBUSY;
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

/** The ports from the host bridge down to the endpoint's parent (the switch ports a region crosses). */
function pathPorts(ep: CxlPort): CxlPort[] {
  const out: CxlPort[] = [];
  for (let p = ep.parent; p && p.kind !== "root"; p = p.parent) out.unshift(p);
  return out;
}

/** target%d_store(): attach an endpoint decoder at a position, or detach with "". */
export function setTarget(k: Kernel, st: CxlState, r: CxlRegion, pos: number, buf: string): Errno | null {
  const name = buf.replace(/\n$/, "");
  if (pos >= r.iw) return ENXIO;
  if (name === "") {
    if (r.state === "commit") return EBUSY;
    const d = r.targets[pos];
    if (d) detach(st, r, pos);
    return null;
  }
  const d = st.ports.flatMap((p) => p.decoders).find((x) => x.name === name && x.kind === "endpoint");
  if (!d) return ENODEV;
  if (r.state === "commit" || r.targets[pos]) return EBUSY;
  if (d.region) return EBUSY;
  if (!r.res) return ENXIO;
  if (d.mode !== r.mode || d.dpaSize === 0) return ENXIO;
  if (d.dpaSize * r.iw !== r.size) return EINVAL;
  const ep = d.port;
  const mem = ep.memdev!;
  const hbIdx = st.platform.rootPorts[mem.dev.rp].hb;
  if (!r.root.window!.targets.includes(hbIdx)) return ENXIO;
  r.targets[pos] = d;
  d.region = r;
  // cxl_port_attach_region(): the endpoint port first (its own counts), then each port up to the host bridge.
  k.printk(7, `cxl ${r.name}: ${mem.name}:${ep.name} ${d.name} add: ${mem.name}:${d.name} @ ${pos} next: none nr_eps: 1 nr_targets: 1`);
  for (const p of pathPorts(ep).reverse()) {
    const sd = p.decoders.find((x) => x.region === r) ?? p.decoders.find((x) => !x.region && !x.committed);
    if (!sd) {
      k.printk(7, `cxl ${r.name}: ${p.name}: no decoder available`);
      r.targets[pos] = null;
      d.region = null;
      return EBUSY;
    }
    sd.region = r;
    const eps = r.targets.filter((t): t is CxlDecoder => t !== null && pathPorts(t.port).includes(p));
    const dports = new Set(eps.map((t) => st.platform.rootPorts[t.port.memdev!.dev.rp].bdf));
    k.printk(7, `cxl ${r.name}: ${portLabel(p)} ${sd.name} add: ${mem.name}:${d.name} @ ${pos} next: ${mem.name} nr_eps: ${eps.length} nr_targets: ${dports.size}`);
  }
  d.start = r.res.start;
  d.size = r.size;
  d.iw = r.iw;
  d.ig = r.ig;
  if (r.targets.every((t) => t)) {
    // cxl_region_setup_targets(): position by position, each port from the host bridge down; a port's
    // interleave is set the first time (its granularity the region's times the root's ways), then each
    // position adds its dport to the port's targets (the "target[n]" printed is the last slot filled).
    const rootWays = isPowerOf2(r.root.iw) ? r.root.iw : r.root.iw / 3;
    const filled = new Map<CxlPort, CxlDport[]>();
    r.targets.forEach((t, i) => {
      const m = t!.port.memdev!;
      const rp = st.platform.rootPorts[m.dev.rp];
      for (const p of pathPorts(t!.port)) {
        const sd = p.decoders.find((x) => x.region === r)!;
        let set = filled.get(p);
        if (!set) {
          const through = r.targets.filter((x) => pathPorts(x!.port).includes(p));
          sd.start = r.res!.start;
          sd.size = r.size;
          sd.iw = new Set(through.map((x) => st.platform.rootPorts[x!.port.memdev!.dev.rp].bdf)).size;
          sd.ig = r.ig * rootWays;
          k.printk(7, `cxl ${r.name}: ${portLabel(p)} iw: ${sd.iw} ig: ${sd.ig}`);
          set = [];
          filled.set(p, set);
        }
        const dp = p.dports.find((x) => x.name === rp.bdf);
        if (dp && !set.includes(dp)) set.push(dp);
        k.printk(7, `cxl ${r.name}: ${portLabel(p)} target[${set.length - 1}] = ${rp.bdf} for ${m.name}:${t!.name} @ ${i}`);
      }
    });
    for (const [p, set] of filled) p.decoders.find((x) => x.region === r)!.targets = set;
    const posField = k.rules.cxlInterleavePosDebug;
    if (posField) {
      r.targets.forEach((t, i) => {
        const m = t!.port.memdev!;
        k.printk(7, `cxl_mem ${m.name}: decoder:${t!.name} parent:${m.dev.bdf} port:${t!.port.name} range:${hex0x(r.res!.start)}-${hex0x(r.res!.end)} pos:${i}`);
        k.printk(7, `cxl ${t!.name}: Test cxl_calc_interleave_pos(): success test_pos:${i} ${posField}->pos:${i}`);
      });
    }
    r.state = "active";
  }
  return null;
}

/**
 * cxl_region_detach(): the endpoint leaves each port's region reference (the
 * last endpoint through a port frees it: the port's decoder is no longer the
 * region's but keeps its HPA range); then a region that had all its targets
 * tears them down (cxl_region_teardown_targets()), and every port decoder
 * still referenced loses its range. So a one-way port keeps its range and
 * one shared with another target loses it (6.1's cxl-pmem-interleave; on
 * two host bridges, test/oracle/cxl/cxl-probe86-two-hb-interleave: decoder1.0
 * reset, decoder2.0 kept).
 */
function detach(st: CxlState, r: CxlRegion, pos: number): void {
  const d = r.targets[pos]!;
  d.region = null;
  d.start = 0;
  d.size = 0;
  for (const p of pathPorts(d.port)) {
    const sd = p.decoders.find((x) => x.region === r);
    if (sd && !r.targets.some((t, i) => i !== pos && t && pathPorts(t.port).includes(p))) sd.region = null;
  }
  if (r.state === "active") {
    for (const t of r.targets) {
      if (!t) continue;
      for (const p of pathPorts(t.port)) {
        const sd = p.decoders.find((x) => x.region === r);
        if (sd) {
          sd.start = 0;
          sd.size = 0;
        }
      }
    }
  }
  r.targets[pos] = null;
  r.state = "idle";
  void st;
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
    for (const d of allDecoders(r)) d.committed = true;
    r.state = "commit";
    return null;
  }
  if (r.state !== "commit") return null;
  if (r.driver) return EBUSY;
  for (const d of allDecoders(r)) d.committed = false;
  r.state = "active";
  return null;
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
