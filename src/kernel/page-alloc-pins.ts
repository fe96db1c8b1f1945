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
 * 0 (first-alloc, reclaimable, unmovable-spill, movable-busy, unmovable-freed,
 * reclaimable-refill, movable-refill, unmovable-refill, plug-movable,
 * plug-reclaimable, migrated-busy, hotadd-slab, kernel-list, kernel-split,
 * list-decay, boot-pagecache, boot-pcp, vmemmap-orphan;
 * test/oracle/arm64/evidence-pin/README.md, 'Runs that differ: races'); the
 * caller (page-alloc.ts) picks the outcome. Four parts live apart and are
 * re-exported here: the first block's state, pins and fallback steal
 * (page-alloc-block.ts), the hot-adding CPU's per-CPU list
 * (page-alloc-kworker.ts), user space during a plug (page-alloc-plug.ts)
 * and what virtio-mem's unplug attempts meet (page-alloc-unplug.ts).
 * Pure: no kernel state beyond the object it is given.
 */

import { type FirstBlockAlloc, type Pin, steal, smallUnmovable, takeMovable } from "./page-alloc-block.js";
import { type ScaledPageTables, kworkerCount, kernelPages } from "./page-alloc-kworker.js";
import { pcpRefill } from "./pcp.js";

export * from "./page-alloc-block.js";
export * from "./page-alloc-kworker.js";
export * from "./page-alloc-plug.js";
export * from "./page-alloc-unplug.js";

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
  if (moves === SPILL_THREE) return [...pins, ...spillAgain(s), ...spillAgain(s)];
  return moves >= 3 ? [...pins, ...spillAgain(s)] : pins;
}

/**
 * unmovable-spill 10 (three CPUs or more): three moves after user space's run, the third into the free half of the
 * chunk the second stole, as the agent's pages moved into 19, the free half of its chunk 18, in the traced
 * a64-pin-trace-4cpu-1800m.r1 (6.1; there the reclaimable steal came between: outcome 8). Each move is a refill
 * on a CPU that found the free unmovable pages held on the other CPUs' lists: the untraced 6.1 recording
 * ../traces/a64-dts-vm-2dev-numa3.json (three CPUs) kept 9, 10 and 11 so.
 */
export const SPILL_THREE = 10;

/** The second move of unmovable-spill 2: the next free UNMOVABLE pageblock, or a steal of the head chunk. */
export function spillAgain(s: FirstBlockAlloc): Pin[] {
  s.spillAgain = false;
  const pb = s.unmovableFree.length ? (s.unmovableFree.shift() as number) : steal(s, s.unmovableFree);
  return pb === null ? [] : [{ pfn: pb, kind: "unmovable", user: true }];
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

/** Where a scaled unmovable refill on another CPU comes: after user space's movable pages, before them, or after their first chunk. */
export type RefillAt = "after" | "before" | "midway";

/** An outcome of the unmovable-refill race other than 0 (no such refill): where it comes, and which of its pageblocks keep pages. */
export interface RefillOutcome {
  readonly at: RefillAt;
  /** Bit i: the i-th stolen pageblock keeps pages (unmovableRefill()). */
  readonly kept: number;
}

/**
 * The unmovable-refill race's outcome `chosen`: 0 no such refill; 1 + p * 2^n + m,
 * the refill comes at place `at[p]` and keeps pages in the stolen pageblocks
 * of mask m (n of them). Outcome 1 is the refill whose pages all stay free;
 * 5, for two chunks of two pageblocks, the one whose second chunk's first
 * pageblock keeps pages (`a64-pin-trace-uefi-700m.r1.sid`).
 */
export function refillOutcome(chosen: number, pbs: number, at: readonly RefillAt[]): RefillOutcome | null {
  if (chosen <= 0) return null;
  const i = chosen - 1;
  const place = at[Math.floor(i / 2 ** pbs)];
  return place ? { at: place, kept: i % 2 ** pbs } : null;
}

/** The stolen pageblocks whose use the unmovable-refill race enumerates: a 2016-page refill's two 4 MiB chunks (4 KiB pages). */
export const REFILL_MASK_PAGEBLOCKS = 4;
