/**
 * What virtio-mem's unplug attempts of a zone's first block meet: a movable
 * page busy for a moment (the movable-busy race), the pages the unplug
 * migrated into a freed vmemmap chunk busy for a moment, or for good
 * (migrated-busy), user space's small unmovable pages gone before it came
 * (unmovable-freed), or in a vmemmap pageblock an earlier shrink freed
 * (vmemmap-orphan). page-alloc-pins.ts; test/oracle/arm64/evidence-pin/README.md,
 * 'Runs that differ: races'. Pure.
 */

import type { FirstBlockAlloc } from "./page-alloc-block.js";

/** How many pageblocks of the chunks holding movable pages the movable-busy race names (movableBusyCandidates()): every traced busy page was in the first, an untraced one in the fourth; each more is one more outcome to search. */
export const MOVABLE_BUSY_PAGEBLOCKS = 4;

/**
 * The pageblocks where one of user space's movable pages may be busy when
 * virtio-mem first reaches them: every pageblock of the chunks holding
 * movable pages (FirstBlockAlloc.movablePbs, user space's or migrated in), in
 * the order the chunks came, first the first chunk's first pageblock, where
 * the pages user space uses first are (a larger refill's later chunks are
 * mostly free: a64-pin-trace-uefi-700m.r1.sid, sub-block 4 of pageblocks 8 to
 * 12); those `pinned` or above `below` (passed already) left out, at most
 * MOVABLE_BUSY_PAGEBLOCKS. The busy page of every traced run was in the first;
 * test/oracle/arm64/traces/a64-probe31-uefi-3cpu-vm-2m-1600m.trixie (6.12, three CPUs) met
 * it in pageblock 23, the second of user space's second movable chunk (22).
 */
export function movableBusyCandidates(s: FirstBlockAlloc, pinned: (pfn: number) => boolean, below = Infinity): number[] {
  const out: number[] = [];
  for (const c of s.movablePbs) {
    for (let p = c; p < c + s.chunkPages && out.length < MOVABLE_BUSY_PAGEBLOCKS; p += s.pageblockPages) if (p < below && !pinned(p) && !out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * Whether an unplug attempt of [pfn, pfn + nr) meets the movable-busy race:
 * the first time a range holding a pageblock of the chunks with movable pages
 * (and no pinned page) is taken, one of those pages, in this range or one
 * virtio-mem reaches later, may be busy for a moment (locked, under I/O), so
 * alloc_contig_range() fails once there and a later pass of the same resize
 * takes it (`a64-pin-trace-2dev-numa3-steals.r6.trixie`, and x86
 * `pin-pc-numa-node1`: the sub-block of the movable pageblock unplugged after
 * the ones below it). The caller picks the pageblock
 * (movableBusyCandidates(): outcome 1 + i, the i-th).
 */
export function movableBusyRace(s: FirstBlockAlloc, pfn: number, nr: number): boolean {
  return !s.busyDecided && movableBusyCandidates(s, () => false, pfn + nr).some((p) => p >= pfn);
}

/** How many of user space's pageblocks the unmovable-freed race names (userFreedCandidates()): 2^3 outcomes. */
export const USER_FREED_PAGEBLOCKS = 3;

/**
 * Whether an unplug attempt of [pfn, pfn + nr) meets the unmovable-freed
 * race: it is the first to reach a pageblock that user space's small
 * unmovable pages took (FirstBlockAlloc.userPbs: a move of the spill, the
 * hot-add CPU's list past the small pageblock, another CPU's refill; on a
 * node whose CPUs do no hot-add, the small pageblock itself) and that is
 * still pinned. Those pages belong to processes (page tables, kernel stacks,
 * pipe buffers) and go when they exit: whether any of them is still in use
 * when virtio-mem comes is timing. Met once, naming the first
 * USER_FREED_PAGEBLOCKS of them (userFreedCandidates()); a later one always
 * keeps its pages. Traced: `a64-pin-trace-2dev-numa3-steals.r7.trixie`
 * (`base64`'s small unmovable page stole chunk 4 and was freed before the
 * unplug), `a64-pin-trace-uefi-900m.r1` (6.1, the chunk `snap` stole for the
 * spill was free again at the end); untraced, in test/oracle/arm64/traces/,
 * one of the races' usual outcomes but for such pageblocks free:
 * `a64-probe35-uefi-2cpu-vm-2m-1000m-100m.trixie` (7, the hot-add CPU's
 * list), `a64-probe22-uefi-vm-4m-1800m.trixie` (10, another CPU's refill of
 * the pageblock the kworker drew partly), `a64-dts-vm-2dev-numa3.run3.trixie`
 * (5, the spill's move), `.run2.trixie` (node 2's small pageblock and the
 * spill's).
 */
export function userFreedRace(s: FirstBlockAlloc, pfn: number, nr: number, pinned: (pfn: number) => boolean): boolean {
  return !s.freedDecided && s.userPbs.some((p) => p >= pfn && p < pfn + nr && pinned(p));
}

/** The pageblocks the unmovable-freed race names: user space's, still pinned, in the order they were taken, at most USER_FREED_PAGEBLOCKS; bit i of the outcome frees the i-th. */
export function userFreedCandidates(s: FirstBlockAlloc, pinned: (pfn: number) => boolean): number[] {
  return s.userPbs.filter((p, i) => pinned(p) && s.userPbs.indexOf(p) === i).slice(0, USER_FREED_PAGEBLOCKS);
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
 * `../traces/a64-probe27-uefi-4cpu-vm-2m-1400m.trixie`). Met once.
 */
export function migratedBusyRace(s: FirstBlockAlloc, pfn: number, nr: number): boolean {
  const c = s.vmemmapChunk;
  return !s.migratedDecided && c !== null && c >= pfn && c < pfn + nr;
}

/**
 * migrated-busy 2: where the unplug's migrated pages stay busy through the
 * resize, the lowest vmemmap pageblock the removals freed that nothing pins
 * (at most `pfn`, the attempt that met the race): the last of them virtio-mem
 * reaches, where the pages migrated out of the sub-blocks above end. Never
 * unplugged: `a64-pin-trace-2dev-numa3-steals.r9.trixie` (pageblock 0, 21 LRU
 * pages in it at the end), `../traces/a64-probe33-uefi-4cpu-vm-2m-1500m-500m.trixie`
 * (pageblock 1, taken by the migration after chunk 2 in
 * `a64-pin-trace-4cpu-1500m-500m.r5.trixie`).
 */
export function migratedStuck(s: FirstBlockAlloc, pfn: number, pinned: (pfn: number) => boolean): number {
  return s.freedVmemmaps.filter((p) => p <= pfn && !pinned(p)).reduce((a, b) => Math.min(a, b), pfn);
}

/**
 * The vmemmap-orphan race, met once where user space runs after a removal
 * (a virtio-mem shrink) freed a vmemmap pageblock of the block whose chunk's
 * other pageblock is still in use (`pinned`: another block's vmemmap), and
 * virtio-mem's unplug has not reached the block (page-alloc-offline.ts
 * pageAllocFreedBefore(): from then on it takes the free pageblocks): such a
 * pageblock cannot merge into a free chunk, so it stays a lone free
 * pageblock on the UNMOVABLE free list, the smallest piece there once the
 * small pageblocks' pieces are used up, and user space's next order-0
 * unmovable refill may take it: outcome 1, and it keeps pages to the unplug.
 * Traced: `a64-pin-light-4cpu-1700m-900m.r5.trixie` (the shrink freed 11, 10
 * and 9 while 8 stayed a vmemmap; `agent`'s refill took 30 pages of 9 three
 * seconds later, others followed; kept at the end) and `.r9.trixie` (`sh`'s
 * refill of 63 pages); in the other ten of those runs and the eleven traced
 * with stack traces it stayed free (outcome 0). The one named is the last freed (a freed page goes
 * to the head of its free list). Returns its first pfn, or null where the
 * race is not met.
 */
export function orphanVmemmap(s: FirstBlockAlloc, pinned: (pfn: number) => boolean): number | null {
  if (s.orphanDecided || s.chunkPages <= s.pageblockPages) return null;
  for (let i = s.freedVmemmaps.length - 1; i >= 0; i--) {
    const p = s.freedVmemmaps[i];
    if (pinned(p)) continue;
    const chunk = s.start + Math.floor((p - s.start) / s.chunkPages) * s.chunkPages;
    for (let q = chunk; q < chunk + s.chunkPages; q += s.pageblockPages) if (q !== p && pinned(q)) return p;
  }
  return null;
}
