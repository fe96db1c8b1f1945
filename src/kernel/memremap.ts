/**
 * ZONE_DEVICE page maps. Models mm/memremap.c (memremap_pages,
 * pagemap_range, memunmap_pages, get_dev_pagemap's registry) together with
 * the parts of arch_add_memory()/__add_pages() and move_pfn_range_to_zone()
 * that device memory goes through: sub-section granularity, the Device zone
 * that only ever grows, the ZONE_DEVICE section taint, no memory blocks, no
 * onlining, no present/managed pages.
 *
 * Ranges are byte addresses with an inclusive end, as `struct range`.
 */
import type { Kernel } from "./kernel.js";
import { EINVAL, ENOMEM, ENXIO, OK, fail, type KernelResult } from "./errno.js";
import { mhpRangeAllowed } from "./hotplug.js";
import { pfnToOnlinePage } from "./pfn.js";
import { REGION_DISJOINT, REGION_MIXED, regionIntersectsSystemRam } from "./resource.js";
import { hex0x, hex0x10 } from "./units.js";
import { growZoneSpan, ZONE_DEVICE, ZONE_NAMES } from "./zone.js";

/** enum memory_type (6.1 numbering). */
export type PgmapType = "PRIVATE" | "COHERENT" | "FS_DAX" | "GENERIC" | "PCI_P2PDMA";

export const PGMAP_TYPE_NUMBER: Record<PgmapType, number> = { PRIVATE: 1, COHERENT: 2, FS_DAX: 3, GENERIC: 4, PCI_P2PDMA: 5 };

/** struct vmem_altmap: struct pages of the range kept on the device itself. */
export interface VmemAltmap {
  basePfn: number;
  /** Pages at the start not to be used (info block area plus alignment pad). */
  reserve: number;
  /** Pages available for the memmap. */
  free: number;
}

/** struct dev_pagemap, reduced to what decides observable state. */
export interface DevPagemap {
  type: PgmapType;
  /** Byte ranges, end inclusive. */
  ranges: { start: number; end: number }[];
  altmap?: VmemAltmap;
  /** Who owns the mapping (a device name: "namespace0.0", "pfn0.0", "dax0.0"). */
  owner: string;
  /** Ranges mapped so far (pgmap->nr_range while active). */
  mapped: number;
  /** The node the pages were given to. */
  nid: number;
}

/** Options of the model (not kernel parameters). */
export interface MemremapOptions {
  /**
   * Print `memmap_init_zone_device initialised %lu pages in %ums`. 6.1.0–6.1.17x
   * print it with pr_info; the reference kernel of the conformance traces
   * (6.1.192) prints nothing (the message became pr_debug in mm/page_alloc.c,
   * whose dynamic debug the oracle does not enable), so it is off by default.
   * The time is a host property: the model prints 0ms.
   */
  logMemmapInit: boolean;
}

const options = new WeakMap<Kernel, MemremapOptions>();
const warnedOnce = new WeakMap<Kernel, Set<string>>();
const owners = new WeakMap<Kernel, Map<string, DevPagemap>>();

export function memremapOptions(k: Kernel): MemremapOptions {
  let o = options.get(k);
  if (!o) {
    o = { logMemmapInit: false };
    options.set(k, o);
  }
  return o;
}

function warn(k: Kernel, text: string): void {
  // A kernel WARNING; the cut-here block and backtrace are reduced to the message (02 §3).
  k.printk(4, text);
}

function warnOnce(k: Kernel, key: string, text: string): void {
  let s = warnedOnce.get(k);
  if (!s) {
    s = new Set();
    warnedOnce.set(k, s);
  }
  if (s.has(key)) return;
  s.add(key);
  warn(k, text);
}

function ps(k: Kernel): number {
  return k.geometry.pageSize;
}

/** get_dev_pagemap(pfn): the pgmap whose registered range holds the pfn. */
export function getDevPagemap(k: Kernel, pfn: number): DevPagemap | null {
  for (const p of k.pgmaps) {
    if (pfn >= p.start && pfn < p.end) return owners.get(k)?.get(registryKey(p.start, p.end)) ?? null;
  }
  return null;
}

function registryKey(start: number, end: number): string {
  return `${start}:${end}`;
}

function registryAdd(k: Kernel, startPfn: number, endPfn: number, pgmap: DevPagemap): void {
  const entry = { start: startPfn, end: endPfn, owner: pgmap.owner };
  let i = 0;
  while (i < k.pgmaps.length && k.pgmaps[i].start < startPfn) i++;
  k.pgmaps.splice(i, 0, entry);
  let m = owners.get(k);
  if (!m) {
    m = new Map();
    owners.set(k, m);
  }
  m.set(registryKey(startPfn, endPfn), pgmap);
}

function registryDelete(k: Kernel, startPfn: number, endPfn: number): void {
  const i = k.pgmaps.findIndex((p) => p.start === startPfn && p.end === endPfn);
  if (i >= 0) k.pgmaps.splice(i, 1);
  owners.get(k)?.delete(registryKey(startPfn, endPfn));
}

/** vmem_altmap_offset(): the first pfn whose struct page is valid for the device, relative to base. */
export function altmapOffset(a: VmemAltmap): number {
  return a.reserve + a.free;
}

/** check_pfn_span(): sub-section granularity with SPARSEMEM_VMEMMAP. */
function checkPfnSpan(k: Kernel, pfn: number, nr: number, reason: "add" | "remove"): boolean {
  if (k.sparse.isAligned(pfn, nr)) return true;
  // 6.1 prints a literal '#' before the end pfn (08-history).
  warn(k, `Misaligned __${reason}_pages start: ${hex0x(pfn)} end: #${(pfn + nr - 1).toString(16)}`);
  return false;
}

/** __add_pages() for a device range (arch_add_memory on x86_64). */
function addPages(k: Kernel, nid: number, pfn: number, nr: number, altmap: VmemAltmap | undefined): KernelResult {
  if (altmap && (altmap.basePfn !== pfn || altmapOffset(altmap) > nr)) {
    warnOnce(k, "invalid altmap", "memory add fail, invalid altmap");
    return fail(EINVAL);
  }
  if (!checkPfnSpan(k, pfn, nr, "add")) return fail(EINVAL);
  const r = k.sparse.addPages(nid, pfn, nr);
  // add_pages() warns once on failure; already-added sub-sections are not rolled back
  // (pagemap_range() does not call arch_remove_memory on this path).
  if (!r.ok) {
    warnOnce(k, "add_pages", `add_pages failed: -${r.errno}`);
    return fail(r.errno);
  }
  k.maxPfn = Math.max(k.maxPfn, pfn + nr);
  return OK;
}

/** section_taint_zone_device(). */
function taintSection(k: Kernel, pfn: number): void {
  const s = k.sparse.get(k.sparse.sectionNr(pfn));
  if (s) s.taintZoneDevice = true;
}

/** move_pfn_range_to_zone() for the Device zone: grow zone and node span, taint partial sections. */
function moveToDeviceZone(k: Kernel, nid: number, pfn: number, nr: number): void {
  const zone = k.node(nid).zones[ZONE_DEVICE];
  growZoneSpan(zone, pfn, nr);
  const pps = k.sparse.pps;
  if (pfn % pps !== 0) taintSection(k, pfn);
  if ((pfn + nr) % pps !== 0) taintSection(k, pfn + nr);
}

/** numa_mem_id() of the CPU doing the work: the first node with CPUs (the boot CPU's node). */
function currentNode(k: Kernel): number {
  const withCpu = Object.keys(k.cpusByNode)
    .map(Number)
    .filter((n) => (k.cpusByNode[n] ?? []).length > 0)
    .sort((a, b) => a - b);
  return withCpu[0] ?? 0;
}

/**
 * What-if (Kernel.singleOwner): device memory may not share a memory block
 * with anything else (boot or hot-added RAM, another mapping). Returns who
 * is in the way, or null.
 */
function otherOwner(k: Kernel, pgmap: DevPagemap, startPfn: number, endPfn: number): string | null {
  const unit = k.idUnitPages;
  const first = startPfn - (startPfn % unit);
  const last = endPfn - (endPfn % unit) + unit;
  for (const p of k.pgmaps) if (p.owner !== pgmap.owner && p.start < last && first < p.end) return `device memory ${p.owner}`;
  for (let pfn = first; pfn < last; pfn += k.sparse.ppss) {
    if (pfn >= startPfn && pfn <= endPfn) continue;
    if (k.sparse.testSubsection(pfn)) return `memory${k.blockIdOfPfn(pfn)}`;
  }
  return null;
}

/** pagemap_range(). */
function pagemapRange(k: Kernel, pgmap: DevPagemap, i: number, nidIn: number): KernelResult {
  const range = pgmap.ranges[i];
  if (pgmap.altmap && i > 0) {
    warnOnce(k, "altmap ranges", "altmap not supported for multiple ranges");
    return fail(EINVAL);
  }
  if (!k.rules.subsectionHotplug) return pagemapSections(k, pgmap, i, nidIn);
  const startPfn = Math.floor(range.start / ps(k));
  const endPfn = Math.floor(range.end / ps(k));
  if (k.singleOwner) {
    const o = otherOwner(k, pgmap, startPfn, endPfn);
    if (o) {
      k.printk(4, `memhp (single-owner): ${pgmap.owner} [mem ${hex0x10(range.start)}-${hex0x10(range.end)}] would share a memory block with ${o}`);
      return fail(EEXIST_);
    }
  }
  if (getDevPagemap(k, startPfn) || getDevPagemap(k, endPfn)) {
    warn(k, "Conflicting mapping in same section");
    return fail(ENOMEM);
  }
  const len = range.end - range.start + 1;
  const isRam = regionIntersectsSystemRam(k.iomem, range.start, len);
  if (isRam !== REGION_DISJOINT) {
    warnOnce(k, "attempted on", `attempted on ${isRam === REGION_MIXED ? "mixed" : "ram"} region ${hex0x(range.start)}-${hex0x(range.end)}`);
    return fail(ENXIO);
  }
  registryAdd(k, startPfn, endPfn + 1, pgmap);
  const nid = nidIn < 0 ? currentNode(k) : nidIn;
  if (!mhpRangeAllowed(k, range.start, len)) {
    registryDelete(k, startPfn, endPfn + 1);
    return fail(EINVAL);
  }
  const nr = endPfn - startPfn + 1;
  // Device private memory would use add_pages() without a linear map; same sections either way.
  const r = addPages(k, nid, startPfn, nr, pgmap.altmap);
  if (!r.ok) {
    registryDelete(k, startPfn, endPfn + 1);
    return r;
  }
  moveToDeviceZone(k, nid, startPfn, nr);
  pgmap.nid = nid;
  if (memremapOptions(k).logMemmapInit) {
    const first = pgmap.altmap ? pgmap.altmap.basePfn + altmapOffset(pgmap.altmap) : startPfn;
    k.printk(6, `memmap_init_zone_device initialised ${startPfn + nr - Math.max(first, startPfn)} pages in 0ms`);
  }
  return OK;
}

const EEXIST_ = "EEXIST" as const;

/**
 * devm_memremap_pages() before v5.3 (profile 5.2): the range is widened to
 * whole sections, a second mapping in a section is a conflict, the RAM check
 * covers the whole sections, and sections are added and zoned whole.
 */
function pagemapSections(k: Kernel, pgmap: DevPagemap, i: number, nidIn: number): KernelResult {
  const range = pgmap.ranges[i];
  const ss = k.geometry.sectionSize;
  const alignStart = range.start - (range.start % ss);
  const alignEnd = Math.ceil((range.end + 1) / ss) * ss - 1;
  const startPfn = alignStart / ps(k);
  const endPfn = Math.floor(alignEnd / ps(k));
  if (getDevPagemap(k, startPfn) || getDevPagemap(k, endPfn)) {
    warn(k, "Conflicting mapping in same section");
    return fail(ENOMEM);
  }
  const isRam = regionIntersectsSystemRam(k.iomem, alignStart, alignEnd - alignStart + 1);
  if (isRam !== REGION_DISJOINT) {
    warnOnce(k, "attempted on", `devm_memremap_pages attempted on ${isRam === REGION_MIXED ? "mixed" : "ram"} region [mem ${hex0x10(range.start)}-${hex0x10(range.end)} flags 0x200]`);
    return fail(ENXIO);
  }
  registryAdd(k, startPfn, endPfn + 1, pgmap);
  const nid = nidIn < 0 ? currentNode(k) : nidIn;
  const nr = endPfn - startPfn + 1;
  // __add_pages() of v5.2 adds whole sections and ignores -EEXIST.
  const r = k.sparse.addPages(nid, startPfn, nr);
  if (!r.ok && r.errno !== "EEXIST") {
    registryDelete(k, startPfn, endPfn + 1);
    return fail(r.errno);
  }
  k.maxPfn = Math.max(k.maxPfn, startPfn + nr);
  growZoneSpan(k.node(nid).zones[ZONE_DEVICE], startPfn, nr);
  pgmap.nid = nid;
  // What is mapped (and unmapped later) is the widened range.
  pgmap.ranges[i] = { start: alignStart, end: alignEnd };
  return OK;
}

/**
 * memremap_pages(pgmap, nid): the type checks, then every range in turn;
 * a failed range unwinds the ranges mapped before it.
 */
export function memremapPages(k: Kernel, pgmap: DevPagemap, nid: number): KernelResult {
  if (pgmap.ranges.length === 0) {
    warnOnce(k, "nr_range", "nr_range must be specified");
    return fail(EINVAL);
  }
  switch (pgmap.type) {
    case "PRIVATE":
      // Debian 6.1: CONFIG_DEVICE_PRIVATE is off.
      warn(k, "Device private memory not supported");
      return fail(EINVAL);
    case "COHERENT":
    case "FS_DAX":
    case "GENERIC":
    case "PCI_P2PDMA":
      break;
    default:
      warn(k, `Invalid pgmap type ${String(pgmap.type)}`);
  }
  pgmap.mapped = 0;
  for (let i = 0; i < pgmap.ranges.length; i++) {
    const r = pagemapRange(k, pgmap, i, nid);
    if (!r.ok) {
      memunmapPages(k, pgmap);
      return r;
    }
    pgmap.mapped++;
  }
  return OK;
}

/**
 * memunmap_pages(): per mapped range, remove the sub-sections and the
 * registry entry. The Device zone keeps its span.
 */
export function memunmapPages(k: Kernel, pgmap: DevPagemap): void {
  for (let i = 0; i < pgmap.mapped; i++) {
    const range = pgmap.ranges[i];
    const startPfn = Math.floor(range.start / ps(k));
    const nr = Math.floor(range.end / ps(k)) + 1 - startPfn;
    if (checkPfnSpan(k, startPfn, nr, "remove")) k.sparse.removePages(startPfn, nr);
    registryDelete(k, startPfn, startPfn + nr);
  }
  pgmap.mapped = 0;
}

/** Pages of the Device zone that a pgmap's range holds from its first data pfn (what memmap_init_zone_device initialises). */
export function devicePagesOf(k: Kernel, pgmap: DevPagemap, i = 0): number {
  const r = pgmap.ranges[i];
  const startPfn = Math.floor(r.start / ps(k));
  const endPfn = Math.floor(r.end / ps(k)) + 1;
  const first = i === 0 && pgmap.altmap ? pgmap.altmap.basePfn + altmapOffset(pgmap.altmap) : startPfn;
  return endPfn - Math.max(first, startPfn);
}

export interface PfnStatus {
  pfn: number;
  /** pfn_valid(). */
  valid: boolean;
  /** The section's PRESENT bit. */
  present: boolean;
  /** The 2 MiB sub-section bit. */
  subsection: boolean;
  /** SECTION_TAINT_ZONE_DEVICE of the section. */
  tainted: boolean;
  /** pfn_to_online_page() != NULL. */
  online: boolean;
  /** Zone of the page: Device for pgmap pfns, the zone of online pages, null otherwise (offline or no memmap). */
  zone: string | null;
  nid: number | null;
  /** What owns the pfn: a pgmap owner, "memoryN" for hot-added or boot RAM blocks, or null. */
  owner: string | null;
}

/** pfn_valid / pfn_to_online_page / zone / owner for any pfn, including every pfn of a mixed section. */
export function pfnStatus(k: Kernel, pfn: number): PfnStatus {
  const sec = k.sparse.get(k.sparse.sectionNr(pfn));
  const valid = k.sparse.pfnValid(pfn);
  const pz = pfnToOnlinePage(k, pfn);
  const pgmap = getDevPagemap(k, pfn);
  const subsection = k.sparse.testSubsection(pfn);
  const block = subsection ? k.blockAt(pfn) : undefined;
  let zone: string | null = null;
  let nid: number | null = null;
  if (pgmap) {
    zone = ZONE_NAMES[ZONE_DEVICE];
    nid = pgmap.nid;
  } else if (pz) {
    zone = ZONE_NAMES[pz.idx];
    nid = pz.nid;
  }
  return {
    pfn,
    valid,
    present: sec?.present ?? false,
    subsection,
    tainted: sec?.taintZoneDevice ?? false,
    online: pz !== null,
    zone,
    nid,
    owner: pgmap ? pgmap.owner : block ? `memory${block.id}` : null,
  };
}

export { EINVAL };
