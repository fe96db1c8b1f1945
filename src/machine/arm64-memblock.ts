/**
 * arm64 boot memory reservations as /proc/iomem shows them: on arm64,
 * request_standard_resources() and reserve_memblock_reserved_regions() put
 * every memblock.reserved region that lies in System RAM under it as a
 * "reserved" child. Those regions are the firmware's and the boot loader's
 * (EFI runtime, ACPI tables, initrd, the kernel image) plus the kernel's own
 * early allocations, made top-down by memblock (mm/memblock.c
 * memblock_find_in_range_node(): the highest free range that fits, below a
 * limit). This module replays those allocations in the kernel's order
 * (paging_init's linear-map page tables, early NUMA/sparse data, sparse_init's
 * memmap, dma_contiguous_reserve's CMA, setup_per_cpu_areas, the dentry and
 * inode hash tables, swiotlb) on the free memory of the machine.
 *
 * Sizes that the kernel computes (memmap per section, hash tables from
 * nr_kernel_pages, page tables per 2 MiB of linear map) are computed here;
 * the lumps of small allocations and the build's image layout are data of the
 * kernel build (Arm64Build), measured from real boots (test/oracle/arm64).
 * Pure: no I/O.
 */
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";

/** A reserved range [start, end) with the tag that decides memblock merging (regions of one tag and node merge when adjacent). */
export interface Reserved {
  start: number;
  end: number;
  tag: string;
}

/** One early allocation: size, alignment, an upper limit (exclusive), and its merge tag. */
export interface EarlyAlloc {
  what: string;
  size: number;
  align: number;
  limit?: number;
  tag: string;
  /** Freed again later (memblock_free): leaves a hole. */
  freedLater?: boolean;
  /** Made of separate page-sized allocations (early page tables): fills free gaps from the top, page by page. */
  pageByPage?: boolean;
}

/** The memory memblock allocates from: [start, end) ranges, minus nomap ranges. */
export interface FreeMap {
  memory: { start: number; end: number }[];
  nomap: { start: number; end: number }[];
  reserved: Reserved[];
}

/** memblock_find_in_range_node() top-down: the highest aligned [s, s+size) in memory, outside nomap and reserved, below limit. */
export function findTopDown(m: FreeMap, size: number, align: number, limit: number): number | null {
  const taken = [...m.nomap, ...m.reserved].sort((a, b) => b.start - a.start);
  const mem = [...m.memory].sort((a, b) => b.start - a.start);
  for (const r of mem) {
    let hi = Math.min(r.end, limit);
    // Walk the free gaps of r from the top.
    const blockers = taken.filter((t) => t.start < r.end && t.end > r.start);
    const gaps: { start: number; end: number }[] = [];
    for (const b of blockers) {
      if (b.end < hi) gaps.push({ start: Math.max(b.end, r.start), end: hi });
      hi = Math.min(hi, b.start);
    }
    if (hi > r.start) gaps.push({ start: r.start, end: hi });
    for (const g of gaps) {
      const end = Math.min(g.end, limit);
      if (end - g.start < size) continue;
      const s = alignDown(end - size, align);
      if (s >= g.start) return s;
    }
  }
  return null;
}

/** memblock_reserve() with merging of adjacent same-tag regions. */
export function reserve(m: FreeMap, r: Reserved): void {
  m.reserved.push({ ...r });
  m.reserved.sort((a, b) => a.start - b.start);
  const out: Reserved[] = [];
  for (const x of m.reserved) {
    const last = out[out.length - 1];
    if (last && last.tag === x.tag && last.end === x.start) last.end = x.end;
    else out.push({ ...x });
  }
  m.reserved = out;
}

/** Allocate a list of early allocations in order; returns where each went (null: no room, as memblock would panic). */
export function replayAllocations(m: FreeMap, allocs: EarlyAlloc[]): ({ start: number; end: number } | null)[] {
  const placed: ({ start: number; end: number } | null)[] = [];
  const freed: Reserved[] = [];
  for (const a of allocs) {
    if (a.pageByPage) {
      placed.push(fillTopDown(m, a));
      continue;
    }
    const s = findTopDown(m, a.size, a.align, a.limit ?? Number.MAX_SAFE_INTEGER);
    if (s === null) {
      placed.push(null);
      continue;
    }
    const r = { start: s, end: s + a.size, tag: a.tag };
    reserve(m, r);
    placed.push({ start: r.start, end: r.end });
    if (a.freedLater) freed.push(r);
  }
  for (const f of freed) {
    const out: Reserved[] = [];
    for (const x of m.reserved) {
      if (x.end <= f.start || x.start >= f.end) out.push(x);
      else {
        if (x.start < f.start) out.push({ ...x, end: f.start });
        if (x.end > f.end) out.push({ ...x, start: f.end });
      }
    }
    m.reserved = out;
  }
  return placed;
}

/** Page-sized allocations one after the other: each takes the highest free page, so together they fill gaps from the top. */
function fillTopDown(m: FreeMap, a: EarlyAlloc): { start: number; end: number } | null {
  let left = a.size;
  let low: number | null = null;
  while (left > 0) {
    // The highest free gap: one findTopDown for its top page, then take as much of the gap as needed.
    const s = findTopDown(m, a.align, a.align, a.limit ?? Number.MAX_SAFE_INTEGER);
    if (s === null) return null;
    let start = s;
    const taken = [...m.nomap, ...m.reserved];
    while (left > a.align && start - a.align >= 0 && m.memory.some((r) => r.start <= start - a.align) && !taken.some((t) => t.start < start && t.end > start - a.align)) {
      start -= a.align;
      left -= a.align;
    }
    left -= a.align;
    reserve(m, { start, end: s + a.align, tag: a.tag });
    low = start;
  }
  return low === null ? null : { start: low, end: low + a.size };
}

/**
 * alloc_large_system_hash() with no size given: one bucket (8 bytes) per
 * 2^scale bytes of nr_kernel_pages (rounded up to 1 MiB first), rounded up
 * to a power of two; returns bytes.
 */
export function systemHashBytes(nrKernelPages: number, pageSize: number, scale: number): number {
  const pageShift = Math.log2(pageSize);
  let n = alignUp(nrKernelPages, MiB / pageSize);
  n = scale > pageShift ? Math.floor(n / 2 ** (scale - pageShift)) : n * 2 ** (pageShift - scale);
  if (n * 8 < pageSize) n = pageSize / 8;
  return 2 ** Math.ceil(Math.log2(n)) * 8;
}

/**
 * nr_kernel_pages as free_area_init_core() counts it: per zone, present pages
 * minus the zone's memmap (calc_memmap_size(): the present pages' struct
 * pages when the zone has large holes, else the spanned pages').
 */
export function nrKernelPages(zones: { spanned: number; present: number }[], pageSize: number, structPage: number): number {
  let n = 0;
  for (const z of zones) {
    if (z.present === 0) continue;
    const pages = z.spanned > z.present + Math.floor(z.present / 16) ? z.present : z.spanned;
    const memmap = Math.ceil((pages * structPage) / pageSize);
    n += z.present - memmap;
  }
  return n;
}

/**
 * Page-table pages of the linear map at page granularity (rodata=full: no
 * block mappings): one PTE page per 2 MiB chunk and one PMD page per 1 GiB
 * that mapped memory (memory minus nomap) touches, and two more (the upper
 * levels) — measured on UEFI and device-tree boots of 0.5-4 GiB.
 */
export function linearMapTablePages(mapped: { start: number; end: number }[], pageSize: number): number {
  const chunks = new Set<number>();
  const gbs = new Set<number>();
  for (const r of mapped) {
    for (let c = Math.floor(r.start / (2 * MiB)); c * 2 * MiB < r.end; c++) chunks.add(c);
    for (let g = Math.floor(r.start / GiB); g * GiB < r.end; g++) gbs.add(g);
  }
  return (chunks.size + gbs.size + 2) * pageSize;
}
