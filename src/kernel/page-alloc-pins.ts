/**
 * Which pageblocks of the first block of a kernel zone the kernel's own
 * allocations pin: a small model of the buddy allocator's fallback
 * (mm/page_alloc.c __rmqueue_fallback(), steal_suitable_fallback(), expand(),
 * rmqueue_bulk()), enough to say where the first unmovable and the first
 * reclaimable pages of a newly populated zone land. Evidence: kmem
 * tracepoints (mm_page_alloc, mm_page_alloc_extfrag) and /proc/kpageflags
 * recorded on x86 and arm64 guests, test/oracle/evidence-pin/ and
 * test/oracle/arm64/evidence-pin/ (README there).
 *
 * What the recordings show, and this model follows:
 * - online_pages() frees the block in max-order chunks, in address order, to
 *   the tail of the MOVABLE free list, so the lowest chunk is the list head.
 * - An unmovable or reclaimable allocation that finds nothing on its own list
 *   steals the head max-order chunk whole (all its pageblocks change type),
 *   takes the first pageblock and leaves the others free on its own list.
 * - Small unmovable allocations (slab, page tables) then stay in that first
 *   pageblock; they are what keeps it from being unplugged.
 * - The vmemmap of a block hot-added later (one pageblock-order allocation per
 *   section) goes through the per-CPU lists, refilled two at a time
 *   (nr_pcp_alloc(): max(batch >> order, 2)), and is freed when that block
 *   is removed: it pins its pageblock only while that block exists.
 * - arm64 maps hot-added memory in the linear map with pages (rodata_full:
 *   NO_BLOCK_MAPPINGS), so each hot-add first allocates page-table pages
 *   (small, unmovable) and then the vmemmap; x86 maps it with large pages,
 *   and the first small unmovable allocation comes after the vmemmap.
 * - When user space runs, its movable pages take the smallest free MOVABLE
 *   piece of the zone (an intact chunk of this block unless a partly plugged
 *   chunk or a ZONE_MOVABLE serves them); once it reads new devices' sysfs
 *   files, its first new reclaimable slab page (dentries, inodes) steals the
 *   next intact chunk.
 * - A device plugged at boot is probed while init runs (it loads the driver):
 *   its page cache splits the head chunk while the next block's page tables
 *   are written, module loading spills small unmovable pages into the next
 *   free unmovable pageblock, and the probing CPU's per-CPU list is not the
 *   one later work uses (a64-pin-trace-boot-two).
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
  /** The reclaimable steal happened: nothing more gets pinned. */
  settled: boolean;
}

export type PinKind = "unmovable" | "reclaimable" | "vmemmap";

/** A pageblock that now holds kernel pages alloc_contig_range() cannot migrate. */
export interface Pin {
  readonly pfn: number;
  readonly kind: PinKind;
  /** vmemmap: the first pfn of the section it describes (freed when that section is removed). */
  readonly owner?: number;
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
  const s: FirstBlockAlloc = { nid, zoneIdx, pageblockPages: g.pageblockPages, chunkPages: g.chunkPages, intact: [], unmovableFree: [], pcp: [], smallPb: null, smallMovable: false, movableTaken: false, settled: false };
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
function steal(s: FirstBlockAlloc, leftover: number[] | null): number | null {
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

/** A pageblock-order unmovable allocation through the per-CPU list (a vmemmap block): the pageblock it takes, if any. */
export function pageblockUnmovable(s: FirstBlockAlloc, refill = 2): number | null {
  if (!s.pcp.length) {
    for (let i = 0; i < refill; i++) {
      const pb = s.unmovableFree.length ? (s.unmovableFree.shift() as number) : steal(s, s.unmovableFree);
      if (pb === null) break;
      s.pcp.push(pb);
    }
  }
  return s.pcp.shift() ?? null;
}

/**
 * arch_add_memory() of a later block on the zone's node: the linear-map page
 * tables first where the architecture maps hot-added memory with pages, then
 * one vmemmap allocation for each section in `vmemmapSections` (first pfns of
 * the sections whose memmap is not on the memory itself), then the kernel's
 * slab objects for the new block. A vmemmap pageblock is held while its
 * section exists (pin kind "vmemmap", `owner`). The page tables and slab
 * come from the node of the CPU doing the hot-add (`localCpu` false: another
 * node's; a64-pin-trace-numa2-pgtables.trixie), the vmemmap from the block's.
 */
export function hotAdd(s: FirstBlockAlloc, o: { pageTablesFirst: boolean; vmemmapSections: readonly number[]; userSpaceRunning?: boolean; localCpu?: boolean }): Pin[] {
  const pins: Pin[] = [];
  // Page tables and slab come from the node of the CPU doing the hot-add; the vmemmap from the block's own node.
  const local = o.localCpu ?? true;
  const small = () => {
    const p = local ? smallUnmovable(s) : null;
    if (p) pins.push(p);
  };
  if (o.pageTablesFirst && local) {
    small();
    // While the page tables of the new block's linear map are written, user space (init, at boot) keeps
    // allocating: its first movable pages split the head intact chunk before the vmemmap comes.
    if (o.userSpaceRunning) takeMovable(s, false);
  }
  for (const owner of o.vmemmapSections) {
    const pb = pageblockUnmovable(s);
    if (pb !== null) pins.push({ pfn: pb, kind: "vmemmap", owner });
  }
  small();
  return pins;
}

/**
 * The boot goes on after a device plugged at boot was onlined (init loads
 * modules: vmalloc page tables, slab), so the small unmovable pageblock fills
 * and the allocator splits the next free UNMOVABLE pageblock (the lowest one
 * a steal left), which keeps kernel pages too. The probe ran on a CPU of its
 * own (a kworker of the CPU that loaded the driver; kworker/1 in the boot
 * recordings, while later resizes run on CPU 0): with `otherCpus`, the
 * pageblocks left on its per-CPU list are not the ones later work takes,
 * and stay free.
 */
export function bootEnds(s: FirstBlockAlloc, o: { otherCpus: boolean }): Pin[] {
  if (o.otherCpus) s.pcp = [];
  const pb = s.smallPb !== null ? s.unmovableFree.shift() : undefined;
  return pb === undefined ? [] : [{ pfn: pb, kind: "unmovable" }];
}

/**
 * Whether the order of the kernel's first small unmovable page and user
 * space's first movable page decides the pins: neither has come yet and the
 * movable page would split an intact chunk of this block. It is a race (a
 * block onlined with no later hot-add: the kworker's next unmovable page and
 * the harness's processes; 128M recordings showed both orders on x86 and
 * arm64, test/oracle/arm64/evidence-pin/README.md).
 */
export function firstAllocRace(s: FirstBlockAlloc, movableElsewhere: boolean): boolean {
  return !s.settled && s.smallPb === null && !s.movableTaken && !movableElsewhere && !s.smallMovable && s.intact.length > 1;
}

/**
 * User space runs: the kernel's first small unmovable allocation if none came
 * yet; movable pages, which split an intact chunk the first time (unless
 * `movableElsewhere` or smaller movable pieces exist); and, if it sees new
 * devices (`newDevices`: it reads their sysfs files, so the dentry and inode
 * caches grow), the first reclaimable slab page, which steals the next intact
 * chunk. Without new devices its lookups fit in existing slab pages (the
 * sysfs-online recording: no reclaimable page reached the block while the
 * harness ran; one did when the dump read files it had never opened).
 * `movableFirst`: the other outcome of firstAllocRace().
 */
export function userSpaceRuns(s: FirstBlockAlloc, movableElsewhere: boolean, newDevices: boolean, movableFirst = false): Pin[] {
  if (s.settled) return [];
  const pins: Pin[] = [];
  const movable = () => takeMovable(s, movableElsewhere);
  if (movableFirst) movable();
  const p = smallUnmovable(s);
  if (p) pins.push(p);
  movable();
  if (!newDevices) return pins;
  const r = steal(s, null);
  if (r !== null) pins.push({ pfn: r, kind: "reclaimable" });
  s.settled = true;
  return pins;
}

/** User space's first movable pages: they split the head intact chunk, unless ZONE_MOVABLE or a smaller free piece serves them. */
function takeMovable(s: FirstBlockAlloc, movableElsewhere: boolean): void {
  if (!s.movableTaken && !movableElsewhere && !s.smallMovable) s.intact.shift();
  s.movableTaken = true;
}
