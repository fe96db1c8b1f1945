/**
 * The page allocator's view of a kernel zone's first block: the state the
 * pin model keeps (which max-order chunks are intact, which pageblocks are
 * free on which list, the hot-add CPU's per-CPU list), the pins it reports,
 * and the buddy allocator's fallback steal of the head chunk
 * (__rmqueue_fallback()), the smallest unmovable allocation and user space's
 * movable pages. The races and their evidence: page-alloc-pins.ts.
 * Pure: no kernel state beyond the object it is given.
 */

/** The allocator's view of one zone's first block. */
export interface FirstBlockAlloc {
  readonly nid: number;
  readonly zoneIdx: number;
  /** Pages per pageblock. */
  readonly pageblockPages: number;
  /** Pages per max-order chunk. */
  readonly chunkPages: number;
  /** First pfns of the intact max-order chunks on the MOVABLE free list, list head first. */
  intact: number[];
  /** First pfns of free pageblocks on the UNMOVABLE free list (what steals left over). */
  unmovableFree: number[];
  /** Pageblock-order pages left on the per-CPU list by the last refill, taken first in, first out. */
  pcp: number[];
  /** The pageblock taking small unmovable allocations (null: none yet). */
  smallPb: number | null;
  /** The zone has free MOVABLE pieces smaller than a chunk: movable allocations go there first. */
  smallMovable: boolean;
  /** User space's movable pages have split a chunk (or found their pages elsewhere). */
  movableTaken: boolean;
  /** A chunk of this block holds movable pages (split by user space or by migration). */
  movableHere: boolean;
  /** Intact-chunk heads seen by user-space runs that stole no reclaimable page (where a late steal would land). */
  lateHeads: number[];
  /** The race of a second small unmovable pageblock was decided. */
  spillDecided: boolean;
  /** The small unmovable pages move on once more when user space next reads new devices (unmovable-spill 2). */
  spillAgain: boolean;
  /** The reclaimable steal of a run that read new devices did not come (Reclaimable "deferred"). */
  deferred: boolean;
  /** User space's movable pages come from another node (its processes run on other nodes' CPUs: first-alloc 3). */
  movableAway: boolean;
  /** First pfns of the chunks holding movable pages (user space's, or migrated in), whose first pageblock they use. */
  movablePbs: number[];
  /** The movable-busy race was met (the first unplug attempt of a pageblock of the chunks holding movable pages). */
  busyDecided: boolean;
  /** movable-busy: the pageblock whose busy page an unplug attempt below the first one will meet (null: none, or met). */
  busyPb: number | null;
  /** First pfns of the pageblocks past the small one that user space's small unmovable pages took (Pin.user), in order. */
  userPbs: number[];
  /** The unmovable-freed race was met (page-alloc-unplug.ts userFreedRace()). */
  freedDecided: boolean;
  /** How many intact chunks user space's first movable refills split (movableRefillChunks()). */
  movableChunks: number;
  /** The unmovable-refill race was met. */
  refillDecided: boolean;
  /** Hot-adds of later blocks since user space last ran (the plug-movable race is asked at each but the first). */
  plugAdds: number;
  /** User space's first movable page came during the plug (movableMidPlug()): its scaled refills are still to come. */
  midPlug: boolean;
  /** ...and they come after its reclaimable steal (movableMidPlug() `lateRefills`). */
  lateRefills: boolean;
  /** The kernel stole a chunk for a reclaimable page during a plug (reclaimableMidPlug()): user space's reclaimable pages go there. */
  reclaimableTaken: boolean;
  /** The first chunk a vmemmap refill stole (its first pfn), where the unplug's migration targets go once its vmemmaps are freed (migratedBusyRace()). */
  vmemmapChunk: number | null;
  /** The migrated-busy race was met. */
  migratedDecided: boolean;
  /** First pfns of the vmemmap pageblocks the removal of later blocks freed (where an unplug's migrated pages go). */
  freedVmemmaps: number[];
  /** The vmemmap-orphan race was met (orphanVmemmap()). */
  orphanDecided: boolean;
  /** migrated-busy 2: the pageblock whose migrated pages stay busy, so that every unplug attempt of it fails. */
  stuck: number | null;
  /** The pfns of this block: [start, end). */
  start: number;
  end: number;
  /** The reclaimable steal happened: nothing more gets pinned. */
  settled: boolean;
  /** The hot-add CPU's order-0 unmovable per-CPU list, where refills scale (kernelPages()). */
  kworker: KworkerPcp;
}

/**
 * The order-0 unmovable per-CPU list of the CPU doing the hot-adds, where
 * refills scale (6.7+): what a refill drew from the buddy, in list order
 * (pages are taken from the head, first in, first out), and the buddy's
 * smallest free UNMOVABLE pieces it left.
 */
export interface KworkerPcp {
  /** alloc_factor (6.7+): order-0 refills take batch << factor pages; each uncut one raises it, up to 5. */
  factor: number;
  /** pcp->high (6.7+): grows with each refill, within the zone's limits (pcp.ts pcpRefill()). */
  high: number;
  /** The pages on the list, in order: how many from which pageblock. */
  list: { pb: number; pages: number }[];
  /** Free pages of the small unmovable pageblock not yet drawn by a refill. */
  smallLeft: number;
  /** The pageblock a refill drew partly (not the small one), and its pages still free in the buddy. */
  split: { pb: number; left: number } | null;
  /** User space ran after a refill reached past the small pageblock (kernelPagesUsed()). */
  used: boolean;
  /** The hotadd-slab race was met (kernelPages()). */
  slabDecided: boolean;
  /** Pageblocks past the small one whose pages the hot-adds used (pinned once). */
  usedPbs: number[];
}

export type PinKind = "unmovable" | "reclaimable" | "vmemmap" | "orphan";

/** A pageblock that now holds kernel pages alloc_contig_range() cannot migrate. */
export interface Pin {
  readonly pfn: number;
  readonly kind: PinKind;
  /** vmemmap: the first pfn of the section it describes (freed when that section is removed). */
  readonly owner?: number;
  /**
   * User space's small unmovable pages (process page tables, kernel stacks, pipe buffers) in a pageblock past the
   * small one: the spill's moves, the hot-add CPU's list, another CPU's refill. They may all be freed before the
   * unplug (the unmovable-freed race, page-alloc-unplug.ts userFreedRace()).
   */
  readonly user?: true;
}

/**
 * A block onlined into an empty kernel zone: `onlinePagesIn(pfn, n)` says how
 * many of [pfn, pfn + n) went to the buddy (virtio-mem keeps unplugged
 * sub-blocks back). Chunks wholly freed are intact; partly freed ones give
 * smaller movable pieces.
 */
export function startFirstBlock(
  g: { pageblockPages: number; chunkPages: number },
  nid: number,
  zoneIdx: number,
  pfn: number,
  nr: number,
  onlinePagesIn: (pfn: number, n: number) => number,
): FirstBlockAlloc {
  const s: FirstBlockAlloc = { nid, zoneIdx, pageblockPages: g.pageblockPages, chunkPages: g.chunkPages, intact: [], unmovableFree: [], pcp: [], smallPb: null, smallMovable: false, movableTaken: false, movableHere: false, lateHeads: [], spillDecided: false, spillAgain: false, deferred: false, movableAway: false, movablePbs: [], busyDecided: false, busyPb: null, userPbs: [], freedDecided: false, movableChunks: 1, refillDecided: false, plugAdds: 0, midPlug: false, lateRefills: false, reclaimableTaken: false, vmemmapChunk: null, migratedDecided: false, freedVmemmaps: [], orphanDecided: false, stuck: null, start: pfn, end: pfn + nr, settled: false, kworker: { factor: 0, high: 0, list: [], smallLeft: g.pageblockPages, split: null, used: false, slabDecided: false, usedPbs: [] } };
  noteOnline(s, pfn, nr, onlinePagesIn, true);
  return s;
}

/** Another block of the zone went online: its partly freed chunks are small movable pieces. */
export function noteOnline(s: FirstBlockAlloc, pfn: number, nr: number, onlinePagesIn: (pfn: number, n: number) => number, first = false): void {
  if (!first && (s.smallMovable || s.movableTaken)) return;
  for (let c = pfn; c < pfn + nr; c += s.chunkPages) {
    const n = Math.min(s.chunkPages, pfn + nr - c);
    const free = onlinePagesIn(c, n);
    if (free === s.chunkPages && first) s.intact.push(c);
    else if (free > 0 && free < s.chunkPages) s.smallMovable = true;
  }
}

/** Steal the head intact chunk: its first pageblock is returned, the rest are left free (on the stealer's list). */
export function steal(s: FirstBlockAlloc, leftover: number[] | null): number | null {
  const c = s.intact.shift();
  if (c === undefined) return null;
  if (leftover) for (let p = c + s.pageblockPages; p < c + s.chunkPages; p += s.pageblockPages) leftover.push(p);
  leftover?.sort((a, b) => a - b);
  return c;
}

/** A small unmovable allocation (slab, page table): returns the pageblock it pins, if it is a new one. */
export function smallUnmovable(s: FirstBlockAlloc): Pin | null {
  if (s.smallPb !== null) return null;
  // __rmqueue_smallest() splits a free unmovable pageblock before any steal.
  const pb = s.unmovableFree.length ? (s.unmovableFree.shift() as number) : steal(s, s.unmovableFree);
  if (pb === null) return null;
  s.smallPb = pb;
  return { pfn: pb, kind: "unmovable" };
}

/**
 * The rest of user space's first movable refills, where an unmovable steal came
 * between its first chunk and the others (unmovable-spill 7): `n` more intact
 * chunks, from the head.
 */
export function moreMovable(s: FirstBlockAlloc, n: number): void {
  for (let i = 0; i < n; i++) {
    const c = s.intact.shift();
    if (c !== undefined) s.movablePbs.push(c);
  }
}

/**
 * User space's first movable pages: they split the head intact chunk (or, with
 * larger refills, the `movableChunks` head chunks), unless ZONE_MOVABLE or a
 * smaller free piece serves them.
 */
export function takeMovable(s: FirstBlockAlloc, movableElsewhere: boolean): void {
  if (!s.movableTaken && !movableElsewhere && !s.smallMovable) {
    for (let i = 0; i < Math.max(1, s.movableChunks); i++) {
      const c = s.intact.shift();
      if (c !== undefined) s.movablePbs.push(c);
    }
    s.movableHere = true;
  }
  s.movableTaken = true;
}
