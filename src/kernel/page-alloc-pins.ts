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
 * - Those page tables (64 pages per 128 MiB block) come through the
 *   hot-adding CPU's per-CPU list, whose refills take the small pageblock's
 *   free pages first and then further pageblocks; where refills scale (6.7+)
 *   they double up to the list's high, so a large plug's refill steals whole
 *   chunks (kernelPages(), a64-pin-trace-uefi-900m).
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
 * Recordings of one scenario differ where this order is timing: each such
 * departure the tracepoints showed is a race with the order above as outcome
 * 0 (first-alloc, reclaimable, unmovable-spill, movable-busy, movable-refill,
 * unmovable-refill, plug-movable, plug-reclaimable, migrated-busy, hotadd-slab, kernel-list, kernel-split, list-decay, boot-pagecache, boot-pcp;
 * test/oracle/arm64/evidence-pin/README.md, 'Runs that differ: races'); the
 * caller (page-alloc.ts) picks the outcome.
 * Pure: no kernel state beyond the object it is given.
 */

import { pcpRefill } from "./pcp.js";

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
  /** The movable-busy race was met (a movable pageblock's first unplug attempt). */
  busyDecided: boolean;
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
  const s: FirstBlockAlloc = { nid, zoneIdx, pageblockPages: g.pageblockPages, chunkPages: g.chunkPages, intact: [], unmovableFree: [], pcp: [], smallPb: null, smallMovable: false, movableTaken: false, movableHere: false, lateHeads: [], spillDecided: false, spillAgain: false, deferred: false, movableAway: false, movablePbs: [], busyDecided: false, movableChunks: 1, refillDecided: false, plugAdds: 0, midPlug: false, lateRefills: false, reclaimableTaken: false, vmemmapChunk: null, migratedDecided: false, settled: false, kworker: { factor: 0, high: 0, list: [], smallLeft: g.pageblockPages, split: null, used: false, slabDecided: false, usedPbs: [] } };
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
      const stole = !s.unmovableFree.length;
      const pb = stole ? steal(s, s.unmovableFree) : (s.unmovableFree.shift() as number);
      if (pb === null) break;
      if (stole && s.vmemmapChunk === null) s.vmemmapChunk = pb;
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
 * `userSpaceRunning` (a device plugged at boot): init's page cache splits the
 * head chunk between the page tables and the vmemmap, unless the vmemmap
 * comes first (`pageCacheFirst` false, the boot-pagecache race).
 * `pageTables` (refills scale): the page-table pages go through the hot-add
 * CPU's per-CPU list (kernelPages()).
 */
export function hotAdd(s: FirstBlockAlloc, o: { pageTablesFirst: boolean; vmemmapSections: readonly number[]; userSpaceRunning?: boolean; pageCacheFirst?: boolean; localCpu?: boolean; pageTables?: ScaledPageTables }): Pin[] {
  const pins: Pin[] = [];
  // Page tables and slab come from the node of the CPU doing the hot-add; the vmemmap from the block's own node.
  const local = o.localCpu ?? true;
  const small = () => {
    const p = local ? smallUnmovable(s) : null;
    if (p) pins.push(p);
  };
  if (o.pageTablesFirst && local) {
    small();
    if (o.pageTables && s.smallPb !== null) pins.push(...kernelPages(s, o.pageTables.pages, o.pageTables.batch, o.pageTables.limits, o.pageTables.slabFirst));
    // While the page tables of the new block's linear map are written, user space (init, at boot) keeps
    // allocating: its first movable pages split the head intact chunk before the vmemmap comes (or, in
    // the other order of that race, after it: `pageCacheFirst` false).
    if (o.userSpaceRunning && (o.pageCacheFirst ?? true)) takeMovable(s, false);
  }
  for (const owner of o.vmemmapSections) {
    // The pageblock-order refill raises pcp->high too (6.7+).
    const t = o.pageTables;
    if (!s.pcp.length && t?.limits) pcpRefill(s.kworker, t.limits, t.batch, Math.log2(s.pageblockPages), kworkerCount(s));
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
export function bootEnds(s: FirstBlockAlloc, o: { otherCpus: boolean; pcp?: BootPcp }): Pin[] {
  const pins: Pin[] = [];
  const pcp = o.pcp ?? "free";
  if (o.otherCpus && pcp !== "kept") {
    if (pcp === "used") for (const pb of s.pcp) pins.push({ pfn: pb, kind: "unmovable" });
    s.pcp = [];
  }
  const pb = s.smallPb !== null ? s.unmovableFree.shift() : undefined;
  if (pb !== undefined) pins.push({ pfn: pb, kind: "unmovable" });
  return pins;
}

/**
 * What becomes of the pageblocks left on the probing CPU's per-CPU list
 * (bootEnds()): "free", they stay there unused (the traced boots: later work
 * runs on CPU 0); "used", an unmovable allocation on that CPU takes them
 * (`a64-probe2-vm-boot-two.run2`: pageblock 4 stayed); "kept", the later
 * hot-adds run on that CPU and their vmemmaps take them first
 * (`a64-probe2-vm-boot-two.trixie`). Which CPU the device's interrupt and
 * the workqueue run on is timing: the boot-pcp race.
 */
export type BootPcp = "free" | "used" | "kept";

/** Whether bootEnds() meets the boot-pcp race: pageblocks are left on another CPU's per-CPU list. */
export function bootPcpRace(s: FirstBlockAlloc, otherCpus: boolean): boolean {
  return otherCpus && s.pcp.length > 0;
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
 * `movableFirst`: the other outcome of firstAllocRace(). `first` runs after the
 * kernel's small unmovable page and before the movable pages, `refill` after
 * them and before the reclaimable steal (the caller's races).
 */
export function userSpaceRuns(s: FirstBlockAlloc, movableElsewhere: boolean, newDevices: boolean, movableFirst = false, reclaimable: Reclaimable = "rule", refill?: () => Pin[], first?: () => Pin[]): Pin[] {
  if (s.settled) return [];
  const pins: Pin[] = [];
  const movable = () => takeMovable(s, movableElsewhere);
  if (movableFirst) movable();
  const p = smallUnmovable(s);
  if (p) pins.push(p);
  if (first) pins.push(...first());
  movable();
  if (refill) pins.push(...refill());
  if (!newDevices) {
    // No new sysfs files to read: by the rule no reclaimable page comes now. Where one would land if it
    // came anyway (a late steal) is the chunk at the head now.
    const head = s.intact[0];
    if (head === undefined) return pins;
    if (!s.lateHeads.includes(head)) s.lateHeads.push(head);
    if (typeof reclaimable !== "object" || s.lateHeads[reclaimable.late] !== head) return pins;
  } else if (reclaimable === "never" || (reclaimable === "deferred" && !s.deferred)) {
    s.deferred = true;
    return pins;
  }
  // A reclaimable pageblock the kernel stole during the plug (plug-reclaimable) serves user space's pages.
  const r = s.reclaimableTaken ? null : steal(s, null);
  if (r !== null && reclaimable !== "freed") pins.push({ pfn: r, kind: "reclaimable" });
  s.settled = true;
  return pins;
}

/**
 * Where user space's first lasting reclaimable slab page comes from (the
 * reclaimable race): "rule", the run after it read new devices' sysfs files
 * (userSpaceRuns()); "deferred", not then but at the next run that reads
 * new devices, if one comes before the unplug (user space ran on another
 * node's CPU and allocated there, or its few pages in the block were freed
 * before the unplug: `a64-pin-trace-numa2-node0`, 6.1; vm1's kworker stole
 * chunk 4 in `a64-pin-trace-2dev-numa3`); "never", none stays before the
 * unplug at all (`a64-pin-trace-2dev-numa3-end.r11.trixie`: no reclaimable
 * page reached the block after either device); "freed", the steal comes by
 * the rule but its few slab pages are freed before the unplug, so the chunk
 * is used up and nothing stays (`a64-pin-trace-numa2-node0`, 6.1: 2 slab
 * pages in pageblock 6, gone at the unplug); `{ late: i }`, a
 * steal although no new device appeared (the dentry cache outgrew its slab
 * pages while the harness ran: `a64-pin-trace-offline-manual`), taking the
 * i-th distinct chunk that was at the head of the free list at such a run
 * (FirstBlockAlloc.lateHeads).
 */
export type Reclaimable = "rule" | "deferred" | "never" | "freed" | { late: number };

/**
 * The race of a second small unmovable pageblock: the kernel's and user
 * space's small unmovable pages (page tables, slab) outgrow the first
 * pageblock before the unplug (or are served on a CPU whose list is empty),
 * and the allocator splits the next free UNMOVABLE pageblock
 * (`a64-pin-trace-numa2-node0.sid`: user page tables in pageblock 5), or,
 * with none free, steals the head chunk (a64-pin-trace-uefi-900m.r1, 6.1:
 * the oracle's snapshot process stole chunk 7 when pageblocks 0 and 7 were
 * full and 9 sat on a per-CPU list). Met once per block, when such a
 * pageblock or an intact chunk is free.
 */
export function spillRace(s: FirstBlockAlloc): boolean {
  return !s.spillDecided && s.smallPb !== null && (s.unmovableFree.length > 0 || s.intact.length > 0);
}

/**
 * The outcome of spillRace(): how many times the small unmovable pages move
 * to a new pageblock (each time the next free UNMOVABLE pageblock or, with
 * none, a steal of the head chunk: spillAgain()). 0 never; 1 once, now; 2
 * once now and once more when user space next reads new devices (a CPU
 * whose per-CPU list is empty finds the free unmovable pages held on the
 * other CPUs' lists, `a64-pin-trace-2dev-numa3-end.r4.trixie`: `cat` stole
 * chunk 4 with pageblock 4 still partly free); 3 twice now: after the
 * reclaimable steal the second is the chunk after it
 * (a64-pin-trace-uefi-900m.r1, 6.1: the oracle's snapshot process, `snap`,
 * stole chunk 7 for an order-0 unmovable page once pageblocks 0 and 7 were
 * full; freed in that run, its pages stayed in recordings of
 * a64-probe20-uefi-vm-2m-900m and a64-probe19-dts-4cpu-vm-2m-400m on 6.1);
 * 4 the same two moves, made before user space's movable and reclaimable
 * pages, and 5 one move made then (the caller decides when, and passes 3 or
 * 1): its first unmovable refill found the
 * small pages' pageblocks full, stole the head chunk and later used the
 * chunk's other pageblock (a64-pin-trace-uefi-1800m.r1, 6.1: the agent
 * stole chunk 8 before its movable page split 9; a64-pin-trace-4cpu-1500m.r1.sid:
 * `base64` stole chunk 8 before the movable refills; one move only:
 * `../quirks/a64-probe21-uefi-4cpu-vm-2m-1500m`, 6.1, kept 14 and not 15);
 * 6 the two moves after user space's first movable pages and before its
 * reclaimable one (a64-probe26-uefi-4cpu-vm-2m-1300m, 6.12 and 7.2 alike:
 * movable pages in chunk 6, chunk 7 stolen and both its pageblocks kept, the
 * reclaimable steal in 8; `a64-pin-trace-4cpu-1500m.r2.sid`); 7 the two
 * moves after the first chunk of user space's movable pages, before the
 * other chunks of its scaled refills (moreMovable()) and its reclaimable
 * page (`a64-pin-trace-4cpu-1500m.r1.sid`: `cat`'s movable page split chunk
 * 7, `base64` stole 8, `sh`'s movable refills took 9 and 10, the reclaimable
 * steal 11; `a64-pin-trace-4cpu-1100m-steals.r4.sid`). Where refills scale, 6 and
 * 7 are what another CPU's scaled unmovable refill of one chunk gives when
 * both its pageblocks keep pages (unmovableRefill() takes two).
 */
export function spill(s: FirstBlockAlloc, moves: number): Pin[] {
  s.spillDecided = true;
  s.spillAgain = moves === 2;
  if (moves < 1) return [];
  const pins = spillAgain(s);
  s.spillAgain = moves === 2;
  return moves >= 3 ? [...pins, ...spillAgain(s)] : pins;
}

/** The second move of unmovable-spill 2: the next free UNMOVABLE pageblock, or a steal of the head chunk. */
export function spillAgain(s: FirstBlockAlloc): Pin[] {
  s.spillAgain = false;
  const pb = s.unmovableFree.length ? (s.unmovableFree.shift() as number) : steal(s, s.unmovableFree);
  return pb === null ? [] : [{ pfn: pb, kind: "unmovable" }];
}

/**
 * offline_pages() of another block of the node migrates its movable pages
 * (user space's, ZONE_MOVABLE's) into the node's kernel zone: where no chunk
 * of this block holds movable pages yet, they split the head intact chunk
 * (`a64-pin-trace-offline-manual.trixie`, the resize to 64M: memory16's
 * pages went into chunk 1 of memory17).
 */
export function migrateIn(s: FirstBlockAlloc): void {
  if (s.settled || s.movableHere || s.smallMovable) return;
  const c = s.intact.shift();
  if (c !== undefined) s.movablePbs.push(c);
  s.movableHere = true;
}

/**
 * Whether an unplug attempt of [pfn, pfn + nr) meets the movable-busy race:
 * the first time a range holding user space's movable pages (and no pinned
 * page) is taken, one of them may be busy for a moment (locked, under I/O),
 * so alloc_contig_range() fails once and a later pass of the same resize
 * takes it (`a64-pin-trace-2dev-numa3-steals.r6.trixie`, and x86
 * `pin-pc-numa-node1`: the sub-block of the movable pageblock unplugged after
 * the ones below it).
 */
export function movableBusyRace(s: FirstBlockAlloc, pfn: number, nr: number): boolean {
  // The pages user space uses first are at the start of its first chunk (a larger refill's later chunks are
  // mostly free: a64-pin-trace-uefi-700m.r1.sid, sub-block 4 of pageblocks 8 to 12).
  const p = s.movablePbs[0];
  return !s.busyDecided && p !== undefined && p >= pfn && p < pfn + nr;
}

/**
 * Whether an unplug attempt of [pfn, pfn + nr), which holds no pinned page,
 * meets the migrated-busy race: the range holds the first chunk the hot-adds'
 * vmemmaps stole, whose vmemmaps the removal of the later blocks freed. With
 * the zone's movable pages used up, the unplug's own migration targets (the
 * pages it moves out of the sub-blocks above) steal that chunk
 * (`mm_page_alloc_extfrag` of the kworker in the steals recordings, e.g.
 * `a64-pin-trace-4cpu-1600m.r2.trixie`: pageblock 2, then 1), and one of those
 * pages may be busy for a moment when virtio-mem reaches it: that attempt
 * fails and a later pass takes it (pageblock 2 unplugged after 1:
 * `a64-pin-trace-4cpu-1500m.r2.trixie`, `-1100m-steals.r2.sid`,
 * `../quirks/a64-probe27-uefi-4cpu-vm-2m-1400m.trixie`). Met once.
 */
export function migratedBusyRace(s: FirstBlockAlloc, pfn: number, nr: number): boolean {
  const c = s.vmemmapChunk;
  return !s.migratedDecided && c !== null && c >= pfn && c < pfn + nr;
}

/**
 * The third outcome of the first-alloc race: user space's first movable page
 * comes while the plug still runs, before the next block's hot-add allocates
 * anything (`a64-pin-trace-2dev-numa3-end.sid`: `cat` split chunk 0 before
 * the kworker's vmemmap stole chunk 1).
 */
export function movableDuringPlug(s: FirstBlockAlloc, movableElsewhere: boolean): void {
  takeMovable(s, movableElsewhere);
}

/**
 * Whether the plug-movable race is met at a hot-add: a plug's hot-adds are
 * under way (the kernel has its small pageblock) and user space's movable
 * pages have not split a chunk of this block yet.
 */
export function midPlugRace(s: FirstBlockAlloc, movableElsewhere: boolean): boolean {
  return !s.settled && s.smallPb !== null && !s.movableTaken && !movableElsewhere && !s.smallMovable && s.intact.length > 1;
}

/**
 * The plug-movable race's outcome at a hot-add: user space's first movable
 * page comes in the middle of a plug, before this hot-add's allocations. Its
 * refill is the unscaled batch, so it splits one chunk; the chunks the
 * kernel's later refills and vmemmaps then steal are the ones after it, and
 * user space's scaled refills, when it runs after the plug, take the further
 * ones (userSpaceAfterPlug()), before its reclaimable steal or, `lateRefills`,
 * after it. Traced: `a64-pin-trace-4cpu-1700m.r1.trixie` (`cat` split chunk 7
 * after the sixth block's vmemmap, so the seventh block's 2016-page refill
 * stole chunks 8 and 9 and its vmemmap chunk 10; the agent's movable refills
 * later took the rest of 7 and chunks 11 and 12, the reclaimable steal 13),
 * `a64-pin-trace-uefi-1800m.r3.trixie` (after the ninth vmemmap); late:
 * `../../test/oracle/evidence-pin/x86-pin-trace-q35-2cpu-1500m.r1.trixie`
 * (x86: `cat` split chunk 5 between two vmemmaps, `sh`'s reclaimable page
 * stole chunk 8 right after the plug, and no movable refill split a chunk
 * before it).
 */
export function movableMidPlug(s: FirstBlockAlloc, lateRefills = false): void {
  moreMovable(s, 1);
  s.movableHere = true;
  s.movableTaken = true;
  s.midPlug = true;
  s.lateRefills = lateRefills;
}

/**
 * The plug-reclaimable race's outcome at a hot-add: the hot-adding kworker
 * allocates a reclaimable page (GFP_ATOMIC, __GFP_RECLAIMABLE, order 2) before
 * this hot-add's allocations and, with no reclaimable pageblock in the zone,
 * steals the head chunk; user space's reclaimable pages later go there, so
 * no reclaimable steal comes when it runs (`a64-pin-trace-4cpu-1600m.r2.trixie`:
 * chunk 4, between two vmemmaps, and `sh`'s reclaimable page went to it;
 * `a64-pin-trace-2dev-numa3`, 6.1: vm1's kworker stole chunk 4 the same way).
 */
export function reclaimableMidPlug(s: FirstBlockAlloc): Pin[] {
  const c = steal(s, null);
  if (c === null) return [];
  s.reclaimableTaken = true;
  return [{ pfn: c, kind: "reclaimable" }];
}

/** Whether the plug-reclaimable race is met at a hot-add: the kernel has its small pageblock and no reclaimable pageblock came yet. */
export function reclaimableMidPlugRace(s: FirstBlockAlloc): boolean {
  return !s.settled && !s.reclaimableTaken && s.smallPb !== null && s.intact.length > 1;
}

/** User space runs after a plug during which its first movable page came: its scaled refills split `chunks` chunks in all, the first being the one split then (`late`: the call after its reclaimable steal). */
export function userSpaceAfterPlug(s: FirstBlockAlloc, chunks: number, late = false): void {
  if (!s.midPlug || s.lateRefills !== late) return;
  s.midPlug = false;
  moreMovable(s, chunks - 1);
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
function takeMovable(s: FirstBlockAlloc, movableElsewhere: boolean): void {
  if (!s.movableTaken && !movableElsewhere && !s.smallMovable) {
    for (let i = 0; i < Math.max(1, s.movableChunks); i++) {
      const c = s.intact.shift();
      if (c !== undefined) s.movablePbs.push(c);
    }
    s.movableHere = true;
  }
  s.movableTaken = true;
}

/**
 * The unmovable-refill race, where refills scale and a scaled refill is more
 * than a chunk: a process on another CPU refills its unmovable list with
 * batch << 5 pages, more than the free UNMOVABLE pages, so the refill steals
 * `chunks` whole chunks (`a64-pin-trace-uefi-700m.r1.trixie`: `base64` stole
 * chunks 7 and 8 within 2 ms). The refill's pages go to that CPU's list, and
 * which of them are still in use at the unplug is timing: `kept` says which of
 * the stolen pageblocks keep pages (bit i: the i-th, in steal order; the
 * others are drained when virtio-mem takes them). Traced: none kept
 * (`.r1.trixie`, `.r2.trixie`), the second chunk's first pageblock
 * (`.r1.sid`: 16 of 14 to 17), the last three (`a64-pin-trace-4cpu-1500m.r4.trixie`:
 * `base64`'s refill stole chunks 10 and 11, and 21 to 23 kept pages), the
 * last one (`.r3.trixie`: the agent's, 17 of 14 to 17), the first and the
 * last (`a64-pin-trace-4cpu-1500m-steals.r3.trixie`, 16 and 19), the second
 * chunk (`-steals.r2.trixie`, 22 and 23).
 */
export function unmovableRefill(s: FirstBlockAlloc, chunks: number, kept: number): Pin[] {
  s.refillDecided = true;
  const pins: Pin[] = [];
  const per = s.chunkPages / s.pageblockPages;
  for (let i = 0; i < chunks; i++) {
    const c = steal(s, null);
    if (c === null) break;
    for (let j = 0; j < per; j++) if (Math.floor(kept / 2 ** (i * per + j)) % 2 === 1) pins.push({ pfn: c + j * s.pageblockPages, kind: "unmovable" });
  }
  return pins;
}

/** The linear-map page tables of one hot-add where per-CPU refills scale: how many pages, and the zone's batch now. */
export interface ScaledPageTables {
  readonly pages: number;
  readonly batch: number;
  /** Where refills scale (pcpBatchScale, 6.7+): the zone's per-CPU high limits (pcp.ts pcpHighLimits()); before, every refill takes the batch. */
  readonly limits?: { readonly highMin: number; readonly highMax: number };
  /** The hotadd-slab race, asked once, at the last refill that fits in the small pageblock: true, it does not (kernelPages()). */
  readonly slabFirst?: () => boolean;
}

/** The pages on the hot-add CPU's per-CPU list, all orders (pcp->count): the order-0 ones and the pageblock-order ones. */
function kworkerCount(s: FirstBlockAlloc): number {
  return s.kworker.list.reduce((n, e) => n + e.pages, 0) + s.pcp.length * s.pageblockPages;
}

/**
 * `n` order-0 unmovable pages (a hot-add's linear-map page tables, 64 for a
 * 128 MiB block with 4 KiB pages) through the hot-add CPU's per-CPU list.
 * When the list is empty a refill takes the zone's batch or, where refills
 * scale (6.7+, `limits`), batch << alloc_factor pages, cut to what keeps the
 * list (all orders) below pcp->high (pcp.ts pcpRefill(); the kworker frees
 * nothing in between, so the factor only rises), first the small unmovable
 * pageblock's free pages (the buddy's smallest pieces), then a pageblock a
 * refill drew partly, then whole free UNMOVABLE pageblocks, then whole
 * stolen chunks. The pages are used from the head of the list: a pageblock
 * other than the small one whose pages the kernel uses is pinned.
 * Evidence: a64-pin-trace-uefi-900m.r1.trixie, .r2.trixie, .r1.sid (2 CPUs:
 * refills of 7, 14, 28, 56, then 240 and 2016 pages while seven blocks were
 * added: 167 pages of pageblock 0, pageblock 7, chunk 4 and 313 pages of
 * chunk 5); a64-pin-trace-4cpu-1500m.r1.trixie (4 CPUs, so a lower high:
 * 7, 14, 28, 56, then 119, cut by pcp->high, and 496); 6.1's .r1 and .r2
 * (refills of the batch: 473 pages for seven blocks).
 * The hot-adds' slab pages of orders 1 to 3 come from the small pageblock
 * too, from 0 to some 40 pages a plug (`.r2`: 8, `.r1`: 42): they decide
 * whether it runs out at a refill or the one after, the hotadd-slab race
 * (`slabFirst`, asked at the last refill that fits; `.r1`'s last refill
 * took 23 pages of pageblock 7 before the last vmemmap stole chunk 4).
 */
export function kernelPages(s: FirstBlockAlloc, n: number, batch: number, limits?: { highMin: number; highMax: number }, slabFirst?: () => boolean): Pin[] {
  const kw = s.kworker;
  const pins: Pin[] = [];
  let need = n;
  while (need > 0) {
    if (!kw.list.length) {
      const r = limits ? pcpRefill(kw, limits, batch, 0, kworkerCount(s)) : batch;
      // The last refill that fits in the small pageblock: the hot-adds' own slab pages may have taken its last
      // pages first, so that it does not (the hotadd-slab race).
      if (slabFirst && !kw.slabDecided && kw.smallLeft >= r && kw.smallLeft - r < r) {
        kw.slabDecided = true;
        if (slabFirst()) kw.smallLeft = r - 1;
      }
      if (!drawUnmovable(s, r)) break;
    }
    const head = kw.list[0] as { pb: number; pages: number };
    const take = Math.min(need, head.pages);
    head.pages -= take;
    need -= take;
    if (head.pb !== s.smallPb && !kw.usedPbs.includes(head.pb)) {
      kw.usedPbs.push(head.pb);
      pins.push({ pfn: head.pb, kind: "unmovable" });
    }
    if (!head.pages) kw.list.shift();
  }
  return pins;
}

/** rmqueue_bulk() of `n` order-0 unmovable pages onto the hot-add CPU's list (kernelPages()): how many it got. */
function drawUnmovable(s: FirstBlockAlloc, n: number): number {
  const kw = s.kworker;
  let got = 0;
  const put = (pb: number, pages: number) => {
    const last = kw.list[kw.list.length - 1];
    if (last && last.pb === pb) last.pages += pages;
    else kw.list.push({ pb, pages });
    got += pages;
  };
  while (got < n) {
    if (s.smallPb !== null && kw.smallLeft > 0) {
      const d = Math.min(n - got, kw.smallLeft);
      kw.smallLeft -= d;
      put(s.smallPb, d);
      continue;
    }
    if (!kw.split || !kw.split.left) {
      // A whole free UNMOVABLE pageblock, else a steal of the head chunk (its other pageblocks join the free ones).
      const pb = s.unmovableFree.length ? (s.unmovableFree.shift() as number) : steal(s, s.unmovableFree);
      if (pb === null) break;
      kw.split = { pb, left: s.pageblockPages };
    }
    const d = Math.min(n - got, kw.split.left);
    kw.split.left -= d;
    put(kw.split.pb, d);
  }
  return got;
}

/**
 * User space runs after the hot-add CPU's refills reached past the small
 * unmovable pageblock (kernelPages()): its small unmovable pages on that CPU
 * use up the list's rest of the small pageblock and reach the next pageblock
 * on it, and (`otherCpus`) the other CPUs' first order-0 unmovable refills
 * take the buddy's smallest free UNMOVABLE pieces, the rest of the pageblock
 * the last refill drew partly (a64-pin-trace-uefi-900m.r1.trixie: CPU 0
 * reached pageblock 7, CPU 1's refill took pages of pageblock 10; both kept
 * pages at the unplug). The list's other pages stay free and are drained
 * when virtio-mem takes them. Its frees bring alloc_factor back to 0.
 * `further` (the kernel-list race): user space allocated more and reached
 * one pageblock further along the list (a64-pin-trace-uefi-1800m.r1.trixie:
 * 14 new blocks, eight seconds of user space before the unplug; `cat` took
 * the first page of pageblock 8 with 160 pages of 7 still on the list).
 * Asked only where the list goes on past the next pageblock. `splitTaken`
 * (the kernel-split race, one CPU only): a larger unmovable page of user
 * space (orders 1 to 3) took a piece of the partly drawn pageblock's rest,
 * which is among the smallest free UNMOVABLE pieces
 * (a64-pin-trace-1cpu-1g.r1.sid: `sh`'s order-2 page in pageblock 10;
 * `.r2.sid`: none there). `decayed` (the list-decay race, where pcp->high
 * decays, 6.7+, and other CPUs run user space): the list shrinks as its high
 * decays, giving its last pages back to the buddy, newest first, and another
 * CPU's order-1 to order-3 refill takes a piece of the last whole pageblock
 * on it, next to the partly drawn one (a64-pin-trace-4cpu-1800m.r5.sid:
 * `grep`'s order-3 refill in pageblock 16, 17 being the partly drawn one).
 */
export function kernelPagesUsed(s: FirstBlockAlloc, otherCpus: boolean, further?: () => boolean, splitTaken?: () => boolean, decayed?: () => boolean): Pin[] {
  const kw = s.kworker;
  // User space frees pages on that CPU all the time, and every free halves alloc_factor; pcp->high decays
  // to high_min within seconds (decay_pcp_high()).
  kw.factor = 0;
  kw.high = 0;
  if (kw.used || kw.smallLeft > 0) return [];
  kw.used = true;
  const pins: Pin[] = [];
  const at = kw.list.findIndex((e) => e.pb !== s.smallPb);
  const next = kw.list[at];
  if (next && !kw.usedPbs.includes(next.pb)) pins.push({ pfn: next.pb, kind: "unmovable" });
  // How far user space's pages reach along the list is how much it allocated: the kernel-list race.
  const after = kw.list[at + 1];
  if (after && further?.()) pins.push({ pfn: after.pb, kind: "unmovable" });
  const split = kw.split;
  if (split && split.left > 0 && split.left < s.pageblockPages && !pins.some((p) => p.pfn === split.pb) && !kw.usedPbs.includes(split.pb)) {
    // With one CPU no other CPU's refill comes; a larger unmovable page of user space may still take a piece (the
    // kernel-split race).
    if (otherCpus || splitTaken?.()) pins.push({ pfn: split.pb, kind: "unmovable" });
  }
  if (split && otherCpus && decayed) {
    const whole = kw.list.filter((e) => e.pb !== split.pb && e.pb !== s.smallPb && e.pages === s.pageblockPages);
    const last = whole[whole.length - 1];
    if (last && !pins.some((p) => p.pfn === last.pb) && !kw.usedPbs.includes(last.pb) && decayed()) pins.push({ pfn: last.pb, kind: "unmovable" });
  }
  kw.list = [];
  return pins;
}

/**
 * arch_remove_memory() of `pages` page-table pages' worth of linear map: they
 * are freed, each free halving alloc_factor, and the offline drained the
 * per-CPU lists, so the small pageblock has those pages free again and the
 * next hot-add's refills start small (kernelPages()).
 */
export function kernelPagesFreed(s: FirstBlockAlloc, pages: number): void {
  const kw = s.kworker;
  const back = kw.list.reduce((n, e) => n + (e.pb === s.smallPb ? e.pages : 0), 0);
  kw.smallLeft = Math.min(s.pageblockPages, kw.smallLeft + back + pages);
  kw.list = [];
  kw.factor = 0;
  kw.high = 0;
}
