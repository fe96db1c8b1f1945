/**
 * virtio-mem's fake-offlining (alloc_contig_range()) of a range in a kernel
 * zone's first block: what the page allocator's state there makes it meet,
 * with the races that decide it, and what user space made of the pageblocks
 * an earlier removal freed (page-alloc-unplug.ts; the choices come from
 * RunOptions.bootRaces through page-alloc.ts runtimeRace()).
 */
import type { Kernel } from "./kernel.js";
import { pinOrphan, runtimeRace, unpinUser } from "./page-alloc.js";
import { migratedBusyRace, migratedStuck, movableBusyCandidates, movableBusyRace, orphanVmemmap, userFreedCandidates, userFreedRace } from "./page-alloc-unplug.js";

/**
 * The kernel's work of an operation is over (a resize, a hot-add or removal
 * and what it queued) and user space goes on running for seconds: its
 * refills after a removal (page-alloc-unplug.ts orphanVmemmap(); unlike the
 * runs of page-alloc.ts pageAllocUserSpace(), which also come between the
 * removals of one shrink, this is after the last).
 */
export function pageAllocIdle(k: Kernel): void {
  const pinned = (p: number) => k.isUnmovable(p, p + 1) !== null;
  for (const s of k.firstBlockAllocs) {
    // vmemmap-orphan: 0 a vmemmap pageblock a removal freed while its chunk's other pageblock is in use stays free,
    // 1 user space's next unmovable refill takes it.
    const orphan = orphanVmemmap(s, pinned);
    if (orphan === null) continue;
    s.orphanDecided = true;
    if (runtimeRace(k, "vmemmap-orphan", `node${s.nid}`, 2) === 1) pinOrphan(k, orphan);
  }
}

/**
 * Before an unplug attempt of [pfn, pfn + nr) checks for unmovable pages: the
 * first attempt that reaches a pageblock user space's small unmovable pages
 * took meets the unmovable-freed race (page-alloc-unplug.ts userFreedRace()):
 * 0 they all keep pages; otherwise bit i of the outcome says the i-th such
 * pageblock (userFreedCandidates()) holds none any more, so it is not pinned.
 */
export function pageAllocFreedBefore(k: Kernel, pfn: number, nr: number): void {
  const pinned = (p: number) => k.isUnmovable(p, p + 1) !== null;
  for (const s of k.firstBlockAllocs) {
    // virtio-mem takes the block's free pageblocks from here on: no lone one is left for user space (vmemmap-orphan).
    if (pfn < s.end && pfn + nr > s.start) s.orphanDecided = true;
    if (!userFreedRace(s, pfn, nr, pinned)) continue;
    s.freedDecided = true;
    const cands = userFreedCandidates(s, pinned);
    const chosen = runtimeRace(k, "unmovable-freed", `node${s.nid}`, 2 ** cands.length);
    cands.forEach((p, i) => {
      if (Math.floor(chosen / 2 ** i) % 2 === 1) unpinUser(k, p);
    });
  }
}

/**
 * virtio-mem's fake-offlining of [pfn, pfn + nr) in a kernel zone, which holds
 * no pinned page: whether one of user space's movable pages is busy for a
 * moment there, so this attempt fails (the race "movable-busy:nodeN", met at
 * the first attempt that reaches a pageblock of the chunks holding movable
 * pages: 0 none is busy, 1 + i the i-th of movableBusyCandidates(), here or
 * in a range virtio-mem reaches later), or one of the pages the unplug
 * migrated into the freed vmemmap chunk is (migratedBusyRace(), "migrated-busy").
 */
export function pageAllocTransientBusy(k: Kernel, pfn: number, nr: number): boolean {
  const pinned = (p: number) => k.isUnmovable(p, p + 1) !== null;
  const within = (p: number | null) => p !== null && p >= pfn && p < pfn + nr;
  for (const s of k.firstBlockAllocs) {
    if (within(s.stuck)) return true;
    if (within(s.busyPb)) {
      s.busyPb = null;
      return true;
    }
    if (movableBusyRace(s, pfn, nr)) {
      s.busyDecided = true;
      const cands = movableBusyCandidates(s, pinned, pfn + nr);
      const busy = cands[runtimeRace(k, "movable-busy", `node${s.nid}`, 1 + cands.length) - 1];
      if (busy !== undefined && within(busy)) return true;
      if (busy !== undefined) s.busyPb = busy;
    }
    // migrated-busy: the freed vmemmap chunk took the unplug's migrated pages; 0 taken at the first try, 1 one of
    // them busy, a later pass takes it, 2 the lowest freed vmemmap pageblock, the last they reach, stays busy
    // (page-alloc-unplug.ts migratedBusyRace(), migratedStuck()).
    if (migratedBusyRace(s, pfn, nr)) {
      s.migratedDecided = true;
      const chosen = runtimeRace(k, "migrated-busy", `node${s.nid}`, 3);
      if (chosen === 1) return true;
      if (chosen === 2) {
        s.stuck = migratedStuck(s, pfn, pinned);
        if (within(s.stuck)) return true;
      }
    }
  }
  return false;
}
