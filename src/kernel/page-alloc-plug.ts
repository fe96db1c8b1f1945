/**
 * User space during a plug: its first movable page, or the hot-adding
 * kworker's reclaimable page, between two hot-adds of one plug (the
 * plug-movable and plug-reclaimable races), and its scaled movable refills
 * once the plug is over (page-alloc-pins.ts;
 * test/oracle/arm64/evidence-pin/README.md, 'User space during a plug'). Pure.
 */

import { type FirstBlockAlloc, type Pin, steal, moreMovable, takeMovable } from "./page-alloc-block.js";

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
