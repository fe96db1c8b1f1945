/**
 * The hot-adding CPU's per-CPU list in a kernel zone's first block: the
 * linear-map page tables of each hot-add come through it (rmqueue_bulk()
 * refills, doubling where refills scale, 6.7+, up to the list's high), what
 * user space later takes from it (the kernel-list, kernel-split and
 * list-decay races) and what a removal gives back (page-alloc-pins.ts;
 * test/oracle/arm64/evidence-pin/README.md, 'A 900 MiB plug', 'Per-CPU
 * high', 'The list decays'). Pure.
 */

import { pcpRefill } from "./pcp.js";
import { type FirstBlockAlloc, type Pin, steal } from "./page-alloc-block.js";

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
export function kworkerCount(s: FirstBlockAlloc): number {
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
 * `decayed` returns how many whole pageblocks deep the list had decayed when
 * that refill came: 0 none (no refill there before the unplug), 1 the last
 * whole one, 2 the one before it too, the refill's piece being in the one
 * given back last (newest first: the lower), where the list holds two or
 * more (../traces/a64-probe35-uefi-4cpu-vm-2m-1700m-900m.run2.trixie, 6.12:
 * 17 of 16 to 18 kept, 16 free; a 900 MiB shrink between the plug and the
 * unplug, seconds more of decay), 3 two deep with pieces of both taken (the
 * traced ../evidence-pin/a64-pin-trace-4cpu-1700m-900m.r4.trixie: the list
 * gave back 18, then 17, and `sh`'s refills on CPU 2 took an order-2 piece of
 * 18 and, in one order-0 refill, pages of both).
 */
export function kernelPagesUsed(s: FirstBlockAlloc, otherCpus: boolean, further?: () => boolean, splitTaken?: () => boolean, decayed?: (outcomes: number) => number): Pin[] {
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
  if (next && !kw.usedPbs.includes(next.pb)) pins.push({ pfn: next.pb, kind: "unmovable", user: true });
  // How far user space's pages reach along the list is how much it allocated: the kernel-list race.
  const after = kw.list[at + 1];
  if (after && further?.()) pins.push({ pfn: after.pb, kind: "unmovable", user: true });
  const split = kw.split;
  if (split && split.left > 0 && split.left < s.pageblockPages && !pins.some((p) => p.pfn === split.pb) && !kw.usedPbs.includes(split.pb)) {
    // With one CPU no other CPU's refill comes; a larger unmovable page of user space may still take a piece (the
    // kernel-split race).
    if (otherCpus || splitTaken?.()) pins.push({ pfn: split.pb, kind: "unmovable", user: true });
  }
  if (split && otherCpus && decayed) {
    const whole = kw.list.filter((e) => e.pb !== split.pb && e.pb !== s.smallPb && e.pages === s.pageblockPages);
    const last = whole[whole.length - 1];
    if (last && !pins.some((p) => p.pfn === last.pb) && !kw.usedPbs.includes(last.pb)) {
      // How deep the list decayed: the refill's piece is in the whole pageblock given back last, the last one on
      // the list or, a pageblock deeper, the one before it; or (3) other CPUs' refills took pieces of both.
      const depth = decayed(whole.length >= 2 ? 4 : 2);
      const gone = depth === 3 ? whole.slice(-2).reverse() : [whole[whole.length - depth]];
      for (const g of gone) if (g && !pins.some((p) => p.pfn === g.pb) && !kw.usedPbs.includes(g.pb)) pins.push({ pfn: g.pb, kind: "unmovable", user: true });
    }
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
