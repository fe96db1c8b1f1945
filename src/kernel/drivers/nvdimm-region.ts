/** Regions: creation, probe/remove, interleave-set cookies, available DPA. Models drivers/nvdimm/region.c and region_devs.c. */
import type { Kernel } from "../kernel.js";
import { ENXIO } from "../errno.js";
import { alignDown, alignUp } from "../units.js";
import { Ida, ND_DEVICE, type NdBtt, type NdBus, type NdDimm, type NdNamespace, type NdPfn, type NdRegion, ndState, type ProbeResult, regionNstype } from "./nvdimm-core.js";
import { bttCreate } from "./nvdimm-btt.js";
import { err, ndDeviceRegister, ndDeviceUnregister, ndRunAsyncWork, OK, probedFromAsync } from "./nvdimm-bus.js";
import { fletcher64 } from "./nvdimm-label.js";
import { createNamespaceIo, scanLabels } from "./nvdimm-namespace.js";
import { COMPAT_ALIGN_MAX, pfnCreate, SZ_4K } from "./nvdimm-pfn.js";

/** acpi_nfit_init_interleave_set() for a one-DIMM region at DPA 0: cookie1 (v1.1 labels) and cookie2 (v1.2). */
function interleaveCookies(regionOffset: number, d: NdDimm): { cookie1: bigint; cookie2: bigint } {
  const lo = regionOffset % 2 ** 32;
  const hi = Math.floor(regionOffset / 2 ** 32);
  const cookie1 = fletcher64([lo, hi, d.serial, 0]);
  const info2 = [lo, hi, d.serial, d.vendorId & 0xffff, 0, 0, 0, 0, 0, 0, 0, 0];
  return { cookie1, cookie2: fletcher64(info2) };
}

/** default_align(). */
function defaultAlign(size: number, mappings: number): number {
  let align = size < COMPAT_ALIGN_MAX ? SZ_4K : COMPAT_ALIGN_MAX;
  const m = Math.max(1, mappings);
  if (align % m !== 0) align *= m;
  return align;
}

export interface RegionDesc {
  start: number;
  size: number;
  pagemap: boolean;
  targetNode: number;
  numaNode: number;
  dimm?: NdDimm;
  /** CXL (cxl_pmem_region): the CXL region's id, its interleave-set cookie, DPA of the mapping, persistence domain. */
  cxl?: { id: number; cookie: bigint; persistenceDomain: string; mappings: { dimm: NdDimm; dpa: number; size: number; position: number }[] };
}

/** nd_region_create() + registration: regionN (memregion id), probed by nd_region. */
export function ndRegionCreate(k: Kernel, bus: NdBus, desc: RegionDesc): NdRegion {
  const st = ndState(k);
  const id = desc.cxl ? desc.cxl.id : st.regionIda.get();
  const mappings = desc.cxl ? desc.cxl.mappings.map((m) => ({ dimm: m.dimm, start: m.dpa, size: m.size, position: m.position })) : desc.dimm ? [{ dimm: desc.dimm, start: 0, size: desc.size, position: 0 }] : [];
  const r: NdRegion = {
    kind: "region",
    name: `region${id}`,
    id,
    bus,
    start: desc.start,
    size: desc.size,
    align: defaultAlign(desc.size, mappings.length),
    pagemap: desc.pagemap,
    targetNode: desc.targetNode,
    numaNode: desc.numaNode,
    ro: false,
    mappings,
    cookies: desc.cxl ? { cookie1: desc.cxl.cookie, cookie2: desc.cxl.cookie } : desc.dimm ? interleaveCookies(0, desc.dimm) : null,
    ...(desc.cxl ? { cxl: true, persistenceDomain: desc.cxl.persistenceDomain } : {}),
    nsSeed: null,
    bttSeed: null,
    pfnSeed: null,
    daxSeed: null,
    nsIda: new Ida(),
    bttIda: new Ida(),
    pfnIda: new Ida(),
    daxIda: new Ida(),
    children: [],
    registered: false,
    killed: false,
    driver: null,
    devres: [],
  };
  st.regions.push(r);
  ndDeviceRegister(k, r);
  return r;
}

/**
 * The boot-time btt seed race. At module load the region's namespaces are
 * registered from async work and nd_pmem probes them at once; that probe's
 * nd_btt_probe() takes a btt id for a temporary device. When it holds id 0
 * while the region probe creates its btt seed, the seed is `bttR.1`,
 * otherwise `bttR.0`. Either happens on the same machine from one boot to
 * the next (recorded: legacy PMEM and label-less NVDIMM regions, both
 * ways). The model takes `guess` unless the outcome is known (`settle`: an
 * imported boot names the seed, or a caller asks for one outcome), and
 * records the race in ndState().bootRaces.
 */
const bootBttRace = new WeakMap<NdRegion, { guess: number; settled?: number; pfnSettled?: number }>();
export function markBootBttRace(r: NdRegion, guess: number): void {
  bootBttRace.set(r, { guess });
}

/** Newer kernels: the namespace's nd_pfn_probe() may hold pfn id 0 too, making the pfn seed `pfnR.1`. */
export function settleBootPfnRace(r: NdRegion, seedId: number): void {
  const e = bootBttRace.get(r);
  if (e && (seedId === 0 || seedId === 1)) e.pfnSettled = seedId;
}

/** Fix the outcome of a region's boot btt seed race (`seedId` 0 or 1). */
export function settleBootBttRace(r: NdRegion, seedId: number): void {
  const e = bootBttRace.get(r);
  if (e && (seedId === 0 || seedId === 1)) e.settled = seedId;
}

/** nd_region_probe(). */
export function regionProbe(k: Kernel, r: NdRegion): ProbeResult {
  // init_active_labels(): DIMMs with labels must be enabled; hold them busy.
  for (const m of r.mappings) {
    const d = m.dimm;
    if (!d.ndd) {
      if (d.labeling) {
        k.printk(3, `nd_region ${r.name}: ${d.name}: is disabled, failing probe`);
        return err(ENXIO);
      }
      continue;
    }
    d.busy++;
    r.devres.push(() => {
      d.busy--;
    });
  }
  const nstype = regionNstype(r);
  const devs: NdNamespace[] = nstype === ND_DEVICE.NAMESPACE_IO ? [createNamespaceIo(r)] : scanLabels(k, r);
  for (let i = 0; i < devs.length; i++) {
    const ns = devs[i];
    ns.id = ns.nstype === "pmem" ? r.nsIda.get() : i;
    ns.name = `namespace${r.id}.${ns.id}`;
    ndDeviceRegister(k, ns);
  }
  if (devs.length) r.nsSeed = devs[0];
  // Bound by a process (ndctl enable-region): the namespaces' async registration and probe run
  // before or after the seeds are created, by version (regionBindAsyncWork).
  const processBind = !probedFromAsync(r);
  if (processBind && k.rules.regionBindAsyncWork === "namespaces") ndRunAsyncWork(k);
  const race = bootBttRace.get(r);
  bootBttRace.delete(r);
  // Only a namespace with capacity gets as far as nd_btt_probe().
  const racing = race !== undefined && devs.some((ns) => ns.size > 0);
  const seedId = racing ? (race.settled ?? race.guess) : 0;
  if (racing) ndState(k).bootRaces.push({ race: "btt-seed", region: r.name, outcomes: [0, 1], chosen: seedId });
  const held = seedId === 1 ? r.bttIda.get() : -1;
  r.bttSeed = bttCreate(k, r);
  if (held >= 0) r.bttIda.put(held);
  const pfnRacing = racing && k.rules.bootPfnSeedRace;
  const pfnSeedId = pfnRacing ? (race.pfnSettled ?? 0) : 0;
  if (pfnRacing) ndState(k).bootRaces.push({ race: "pfn-seed", region: r.name, outcomes: [0, 1], chosen: pfnSeedId });
  const heldPfn = pfnSeedId === 1 ? r.pfnIda.get() : -1;
  r.pfnSeed = pfnCreate(k, r, "pfn");
  if (heldPfn >= 0) r.pfnIda.put(heldPfn);
  r.daxSeed = pfnCreate(k, r, "ndax");
  if (processBind && k.rules.regionBindAsyncWork === "seeds") ndRunAsyncWork(k);
  return OK;
}

/** nd_region_remove(): unregister the children in the order they joined the region's child list. */
export function regionRemove(k: Kernel, r: NdRegion): void {
  const kids = [...r.children];
  // Namespaces, claim devices and seeds of one registration burst went onto the
  // region's child list in whatever order their async device_add() finished (a
  // namespace's includes its probe, so it joins after its burst's seeds or
  // before them): their unregistrations may come in any order (recorded both ways).
  let run: { burst: number | undefined; blocks: [number, number][] } = { burst: undefined, blocks: [] };
  const closeRun = () => {
    if (run.blocks.length > 1) k.permutableUevents.push(run.blocks);
  };
  for (const c of kids) {
    if (c.burst !== run.burst || c.burst === undefined) {
      closeRun();
      run = { burst: c.burst, blocks: [] };
    }
    const from = k.uevents.length;
    ndDeviceUnregister(k, c);
    run.blocks.push([from, k.uevents.length]);
  }
  closeRun();
  r.nsSeed = null;
  r.bttSeed = null;
  r.pfnSeed = null;
  r.daxSeed = null;
}

/** The region's `mapping` DIMMs all enabled? (to_ndd() of every mapping). */
export function allNdd(r: NdRegion): boolean {
  return r.mappings.length > 0 && r.mappings.every((m) => m.dimm.ndd !== null);
}

export function dpaAlign(r: NdRegion): number {
  return r.align / Math.max(1, r.mappings.length);
}

/** nd_pmem_available_dpa() for one mapping. */
function pmemAvailableDpa(r: NdRegion, mIdx: number): number {
  const m = r.mappings[mIdx];
  const ndd = m.dimm.ndd;
  if (!ndd) return 0;
  const align = dpaAlign(r);
  const mapEnd = m.start + m.size - 1;
  let busy = 0;
  for (const res of ndd.dpa) {
    const start = alignDown(res.start, align);
    const end = alignUp(res.start + res.size, align) - 1;
    if (start >= m.start && start < mapEnd) {
      if (end > mapEnd) return 0;
      busy += end - start + 1;
    } else if (end >= m.start && end <= mapEnd) {
      busy += end - start + 1;
    } else if (m.start > start && m.start < end) {
      busy += m.size;
    }
  }
  return busy < m.size ? alignDown(m.size - busy, align) : 0;
}

/** Free DPA extents of a mapping (holes between allocations). */
export function freeExtents(r: NdRegion, mIdx: number): { start: number; end: number }[] {
  const m = r.mappings[mIdx];
  const used = [...(m.dimm.ndd?.dpa ?? [])].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  let cur = m.start;
  for (const u of used) {
    if (u.start > cur) out.push({ start: cur, end: u.start - 1 });
    cur = Math.max(cur, u.start + u.size);
  }
  if (cur <= m.start + m.size - 1) out.push({ start: cur, end: m.start + m.size - 1 });
  return out;
}

/** nd_pmem_max_contiguous_dpa(). */
function pmemMaxContiguousDpa(r: NdRegion, mIdx: number): number {
  if (!r.mappings[mIdx].dimm.ndd) return 0;
  const align = dpaAlign(r);
  let max = 0;
  for (const f of freeExtents(r, mIdx)) {
    const start = alignUp(f.start, align);
    const end = alignDown(f.end + 1, align) - 1;
    if (end < start) continue;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/** The region's `available_size` attribute. */
export function regionAvailableSize(r: NdRegion): number {
  let a = 0;
  for (let i = 0; i < r.mappings.length; i++) {
    if (!r.mappings[i].dimm.ndd) return 0;
    a += pmemAvailableDpa(r, i);
  }
  return a;
}

/** The region's `max_available_extent` attribute (nd_region_allocatable_dpa). */
export function regionMaxAvailableExtent(r: NdRegion): number {
  let avail = 0;
  for (let i = 0; i < r.mappings.length; i++) {
    const v = pmemMaxContiguousDpa(r, i);
    if (v && (avail === 0 || v < avail)) avail = v;
  }
  return avail * r.mappings.length;
}

/** The region's `set_cookie` attribute (cookie1 for v1.1 labels or label-less, cookie2 for v1.2). */
export function regionSetCookie(r: NdRegion): bigint | null {
  if (!r.cookies) return null;
  const d = r.mappings[0]?.dimm;
  if (d?.ndd) {
    const v = d.labelArea.index?.version;
    return v === "1.1" ? r.cookies.cookie1 : r.cookies.cookie2;
  }
  return r.cookies.cookie1;
}

export function regionNamespaces(r: NdRegion): NdNamespace[] {
  return r.children.filter((c): c is NdNamespace => c.kind === "namespace");
}

export function regionPfns(r: NdRegion, kind: "pfn" | "ndax"): NdPfn[] {
  return r.children.filter((c): c is NdPfn => c.kind === kind);
}

export function regionBtts(r: NdRegion): NdBtt[] {
  return r.children.filter((c): c is NdBtt => c.kind === "btt");
}
