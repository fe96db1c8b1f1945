/**
 * memblock (mm/memblock.c) as an arm64 kernel uses it before the buddy
 * allocator exists: the memory regions the firmware described (some of them
 * "nomap"), the reserved regions, and top-down allocation
 * (memblock_find_in_range_node(): the highest free range that fits,
 * rounded down to the alignment, between a lower and an upper limit).
 * Byte-exact: early allocations are often a few bytes, and which pages
 * they share decides the "reserved" lines of /proc/iomem on arm64.
 *
 * Work is proportional to the number of regions, never to pages: a run of
 * page-table pages is placed gap by gap.
 * Pure: no I/O.
 */
import { alignDown, alignUp, MiB } from "../kernel/units.js";

/** A memblock region [base, end). */
export interface MbRegion {
  base: number;
  end: number;
  nomap?: boolean;
  /** The node of a memory region (memblock_set_node()); reserved regions carry none. */
  nid?: number;
  /** A reserved region the kernel allocated (MEMBLOCK_RSRV_KERN, 7.x): it never merges with firmware reservations. */
  kern?: boolean;
  /** MEMBLOCK_RSRV_NOINIT (6.11+: a boot gigantic page's tail): it never merges with other reservations. */
  noinit?: boolean;
}

export interface AllocRequest {
  size: number;
  align: number;
  /** Lower limit (inclusive); retried without it when nothing fits, as memblock_alloc_internal() does. */
  min?: number;
  /** Upper limit (exclusive). */
  max?: number;
  /** The node to allocate on: tried first, then any node unless exact (memblock_alloc_exact_nid_raw()). */
  nid?: number;
  exact?: boolean;
  /** Search from the lowest address up (memblock_set_bottom_up()); no retry without min. */
  bottomUp?: boolean;
  /** memblock_phys_alloc_range(): [min, max) only, no retry without min. */
  phys?: boolean;
}

export class Memblock {
  memory: MbRegion[] = [];
  reserved: MbRegion[] = [];
  /** Allocations are flagged MEMBLOCK_RSRV_KERN (kernels from 7.x). */
  readonly kernFlag: boolean;

  constructor(opts: { kernFlag?: boolean } = {}) {
    this.kernFlag = opts.kernFlag ?? false;
  }

  /** memblock_add() of a firmware-described range (nomap: memblock_mark_nomap()). Adjacent regions with the same flags merge. */
  addMemory(base: number, end: number, nomap = false, nid = 0): void {
    this.memory = mergeRegions([...this.memory, { base, end, nomap, nid }], true);
  }

  /** memblock_reserve(): touching and overlapping reserved regions (of the same kind) merge into one. */
  reserve(base: number, end: number, kern = false): void {
    if (end <= base) return;
    this.reserved = mergeRegions([...this.reserved, kern ? { base, end, kern } : { base, end }], false);
  }

  /** memblock_reserved_mark_noinit(): the reserved part of [base, end) becomes a region of its own kind. */
  markNoinit(base: number, end: number): void {
    const out: MbRegion[] = [];
    for (const r of this.reserved) {
      if (r.end <= base || r.base >= end) out.push(r);
      else {
        if (r.base < base) out.push({ ...r, end: base });
        out.push({ ...r, base: Math.max(r.base, base), end: Math.min(r.end, end), noinit: true });
        if (r.end > end) out.push({ ...r, base: end });
      }
    }
    this.reserved = out.sort((a, b) => a.base - b.base);
  }

  /** memblock_phys_free(): the range leaves the reserved regions (splitting one if needed). */
  free(base: number, end: number): void {
    if (end <= base) return;
    const out: MbRegion[] = [];
    for (const r of this.reserved) {
      if (r.end <= base || r.base >= end) out.push(r);
      else {
        if (r.base < base) out.push({ ...r, end: base });
        if (r.end > end) out.push({ ...r, base: end });
      }
    }
    this.reserved = out;
  }

  /**
   * memblock_mem_limit_remove_map(): the address where `limit` bytes of memory (counted from the bottom) end; memory
   * above it goes, nomap ranges excepted, and so do reserved ranges above it.
   */
  capMemory(limit: number): void {
    let left = limit;
    let cut = Number.MAX_SAFE_INTEGER;
    for (const m of this.memory) {
      const size = m.end - m.base;
      if (size >= left) {
        cut = m.base + left;
        break;
      }
      left -= size;
    }
    const kept: MbRegion[] = [];
    for (const m of this.memory) {
      if (m.end <= cut || m.nomap) kept.push(m);
      else if (m.base < cut) kept.push({ ...m, end: cut });
    }
    this.memory = kept;
    this.free(cut, Number.MAX_SAFE_INTEGER);
  }

  /** memblock_phys_mem_size(): every memory region, nomap ones included. */
  physMemSize(): number {
    return this.memory.reduce((a, r) => a + r.end - r.base, 0);
  }

  reservedSize(): number {
    return this.reserved.reduce((a, r) => a + r.end - r.base, 0);
  }

  /** for_each_free_mem_range(): usable memory (not nomap, on node nid if given) minus reserved, in ascending order. */
  freeRanges(nid?: number): MbRegion[] {
    const out: MbRegion[] = [];
    let j = 0;
    for (const m of this.memory) {
      if (m.nomap || (nid !== undefined && m.nid !== nid)) continue;
      let cur = m.base;
      while (j < this.reserved.length && this.reserved[j].end <= cur) j++;
      for (let k = j; k < this.reserved.length && this.reserved[k].base < m.end; k++) {
        const r = this.reserved[k];
        if (r.base > cur) out.push({ base: cur, end: r.base });
        cur = Math.max(cur, r.end);
      }
      if (cur < m.end) out.push({ base: cur, end: m.end });
    }
    return out;
  }

  /** The address memblock_find_in_range_node() picks top-down, or null. */
  findTopDown(size: number, align: number, min: number, max: number, nid?: number): number | null {
    const lo = Math.max(min, 4096);
    const free = this.freeRanges(nid);
    for (let i = free.length - 1; i >= 0; i--) {
      const start = Math.max(free[i].base, lo);
      const end = Math.min(free[i].end, max);
      if (end < size || end <= start) continue;
      const cand = alignDown(end - size, Math.max(align, 1));
      if (cand >= start) return cand;
    }
    return null;
  }

  /** The address memblock_find_in_range_node() picks bottom-up, or null. */
  findBottomUp(size: number, align: number, min: number, max: number, nid?: number): number | null {
    for (const f of this.freeRanges(nid)) {
      const cand = alignUp(Math.max(f.base, min, 4096), Math.max(align, 1));
      if (cand + size <= Math.min(f.end, max)) return cand;
    }
    return null;
  }

  /** memblock_alloc_try_nid() and friends: find top-down, reserve; null when memory is exhausted (the kernel panics). */
  alloc(req: AllocRequest): number | null {
    const max = req.max ?? Number.MAX_SAFE_INTEGER;
    if (req.bottomUp) {
      const at = this.findBottomUp(req.size, req.align, req.min ?? 0, max, req.nid);
      if (at !== null) this.reserve(at, at + req.size, this.kernFlag);
      return at;
    }
    const find = (min: number) => {
      const onNode = this.findTopDown(req.size, req.align, min, max, req.nid);
      return onNode !== null || req.nid === undefined || req.exact ? onNode : this.findTopDown(req.size, req.align, min, max);
    };
    let at = find(req.min ?? 0);
    if (at === null && req.min && !req.phys) at = find(0);
    if (at !== null) this.reserve(at, at + req.size, this.kernFlag);
    return at;
  }

  /** n page-sized allocations one after another (early_pgtable_alloc()): each takes the highest free page. */
  allocPages(n: number, pageSize: number, nid?: number): boolean {
    let left = n;
    while (left > 0) {
      const free = this.freeRanges(nid);
      let placed = false;
      for (let i = free.length - 1; i >= 0 && !placed; i--) {
        const top = alignDown(free[i].end, pageSize);
        const bottom = Math.max(alignUp(free[i].base, pageSize), 4096);
        if (top - bottom < pageSize) continue;
        const take = Math.min(left, (top - bottom) / pageSize);
        this.reserve(top - take * pageSize, top, this.kernFlag);
        left -= take;
        placed = true;
      }
      if (!placed) return false;
    }
    return true;
  }
}

function mergeRegions(list: MbRegion[], byFlags: boolean): MbRegion[] {
  const sorted = [...list].sort((a, b) => a.base - b.base);
  const out: MbRegion[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    const same = byFlags ? !!last?.nomap === !!r.nomap && last?.nid === r.nid : !!last?.kern === !!r.kern && !!last?.noinit === !!r.noinit;
    if (last && same && r.base <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * nr_kernel_pages as 6.1's free_area_init_core() counts it: per zone,
 * present pages minus the zone's memmap (calc_memmap_size(): the present
 * pages' struct pages when the zone has large holes, else the spanned pages').
 */
export function nrKernelPagesByZones(zones: { spanned: number; present: number }[], pageSize: number, structPage: number): number {
  let n = 0;
  for (const z of zones) {
    if (z.present === 0) continue;
    const pages = z.spanned > z.present + Math.floor(z.present / 16) ? z.present : z.spanned;
    const memmap = Math.ceil((pages * structPage) / pageSize);
    n += z.present - memmap;
  }
  return n;
}

/** nr_kernel_pages as 6.12's calc_nr_kernel_pages() counts it: whole free pages of memblock at that point. */
export function nrKernelPagesFree(mb: Memblock, pageSize: number): number {
  let n = 0;
  for (const r of mb.freeRanges()) {
    const s = alignUp(r.base, pageSize);
    const e = alignDown(r.end, pageSize);
    if (e > s) n += (e - s) / pageSize;
  }
  return n;
}
