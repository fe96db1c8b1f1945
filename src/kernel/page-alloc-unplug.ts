/**
 * What virtio-mem's unplug attempts of a zone's first block meet: a movable
 * page busy for a moment (the movable-busy race), the pages the unplug
 * migrated into a freed vmemmap chunk busy for a moment, or for good
 * (migrated-busy). page-alloc-pins.ts; test/oracle/arm64/evidence-pin/README.md,
 * 'Runs that differ: races'. Pure.
 */

import type { FirstBlockAlloc } from "./page-alloc-block.js";

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
