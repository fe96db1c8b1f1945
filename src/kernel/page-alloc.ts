/**
 * Where the kernel's own pages land when memory goes online, and what pins
 * them: the kernel's state around the page allocator model of
 * page-alloc-pins.ts (which pageblocks of a zone's first block the kernel
 * and user space take), driven from onlining (maybePinKernelAllocation),
 * hot-add and removal (pageAllocHotAdd, pageAllocRemove), the end of the
 * boot's probes (pageAllocBootEnds), the return to user space
 * (pageAllocUserSpace; after an operation's kernel work,
 * page-alloc-offline.ts pageAllocIdle()), migration out of an emptied ZONE_MOVABLE
 * (pageAllocMigrated); and the races the allocator runs into after the
 * boot (Kernel.runtimeRaces).
 */
import type { Kernel } from "./kernel.js";
import { onlinePagesIn } from "./online.js";
import { type FirstBlockAlloc, bootEnds, bootPcpRace, firstAllocRace, hotAdd, kernelPagesFreed, kernelPagesUsed, migrateIn, moreMovable, midPlugRace, movableDuringPlug, movableMidPlug, noteOnline, reclaimableMidPlug, reclaimableMidPlugRace, REFILL_MASK_PAGEBLOCKS, refillOutcome, type RefillAt, type RefillOutcome, spill, SPILL_THREE, spillAgain, spillRace, startFirstBlock, unmovableRefill, userSpaceAfterPlug, userSpaceRuns, type BootPcp, type Pin, type PinKind, type Reclaimable } from "./page-alloc-pins.js";
import { lowWatermark, minFreeKbytes, movableRefillChunks, pcpBatch, pcpHighLimits } from "./pcp.js";
import { ZONE_MOVABLE, ZONE_NORMAL, type Zone } from "./zone.js";

/**
 * The page allocator at work (not a kernel function): when a block makes a
 * kernel zone of a node with CPUs populated for the first time, the kernel's
 * own allocations land in it (slab pages: observed at pfn 0x100006 and
 * 0x110400 on the reference guest, 09-observed-6.1.md §D, §N and the
 * dimm-online-kernel / sysfs-bad-input traces), so that block can no longer
 * be offlined. Which pageblocks of it they take (what virtio-mem's sub-block
 * unplug shows) follows the buddy allocator's fallback, modelled in
 * page-alloc-pins.ts and driven from here, from hot-add (pageAllocHotAdd) and
 * from the return to user space (pageAllocUserSpace). Onlined pages go to the
 * tail of the free lists, so a block added to an already populated zone is
 * not used at once.
 */
export function maybePinKernelAllocation(k: Kernel, zone: Zone, pfn: number, nr: number, zoneWasEmpty: boolean): void {
  if (!zoneWasEmpty) {
    const s = k.firstBlockAllocs.find((a) => a.nid === zone.nid && a.zoneIdx === zone.idx && !a.settled);
    if (s) noteOnline(s, pfn, nr, onlinePagesIn(k));
    return;
  }
  if (!k.allocation.pinFirstKernelBlock) return;
  if (zone.idx === ZONE_MOVABLE || zone.idx > ZONE_NORMAL) return;
  if ((k.cpusByNode[zone.nid] ?? []).length === 0) return;
  // Only the highest kernel zone of the node receives GFP_KERNEL allocations first.
  const higherPopulated = k.node(zone.nid).zones.some((z) => z.idx > zone.idx && z.idx <= ZONE_NORMAL && z.present > 0);
  if (higherPopulated) return;
  const g = k.geometry;
  const s = startFirstBlock({ pageblockPages: g.pageblockSize / g.pageSize, chunkPages: g.maxOrderPages }, zone.nid, zone.idx, pfn, nr, onlinePagesIn(k));
  k.firstBlockAllocs = k.firstBlockAllocs.filter((a) => a.nid !== zone.nid || a.zoneIdx !== zone.idx);
  k.firstBlockAllocs.push(s);
}

const PIN_WHY: Record<PinKind, string> = {
  unmovable: "slab and page-table pages the kernel allocated after onlining (the first unmovable allocation stole this max-order chunk)",
  orphan: "user space's small unmovable pages (page tables, kernel stacks), in the vmemmap pageblock a removal freed while its max-order chunk's other pageblock was still in use: the smallest free unmovable piece left",
  reclaimable: "reclaimable slab pages (dentries, inodes) allocated when user space ran (their first allocation stole this max-order chunk)",
  vmemmap: "the vmemmap (struct pages) of a block added later, freed when that block is removed",
};

function pin(k: Kernel, pins: Pin[]): void {
  for (const p of pins) {
    k.unmovable.push({ start: p.pfn, end: p.pfn + 1, why: PIN_WHY[p.kind], ...(p.owner === undefined ? {} : { owner: p.owner }) });
    // User space's small unmovable pages may be gone by the unplug (page-alloc-offline.ts, unmovable-freed).
    if (p.user) for (const s of k.firstBlockAllocs) if (p.pfn >= s.start && p.pfn < s.end) s.userPbs.push(p.pfn);
  }
}

/**
 * Pins that hold a reclaimable steal of a chunk (user space's, or the
 * kworker's during a plug): a reclaimable refill of order 1 to 3 (the per-CPU
 * lists keep such orders; dentries and inodes) may later find no free piece
 * that large in the chunk's first pageblock, which order-0 slab pages split,
 * and take one of its other pageblock: the race reclaimable-refill, 0 not
 * before the unplug, 1 it does, and that pageblock keeps reclaimable pages
 * too (a64-pin-trace-4cpu-1500m-500m.r3.trixie: `grep`'s order-2 refill took
 * pages of 25 three seconds after `sh` stole chunk 24).
 */
function withReclaimableRefill(k: Kernel, s: FirstBlockAlloc, pins: Pin[]): Pin[] {
  const r = pins.find((p) => p.kind === "reclaimable");
  if (!r || s.chunkPages <= s.pageblockPages) return pins;
  if (runtimeRace(k, "reclaimable-refill", `node${s.nid}`, 2) !== 1) return pins;
  return [...pins, { pfn: r.pfn + s.pageblockPages, kind: "reclaimable" }];
}

/** User space's small unmovable pages took the lone free pageblock at `pfn` (page-alloc-offline.ts, vmemmap-orphan). */
export function pinOrphan(k: Kernel, pfn: number): void {
  pin(k, [{ pfn, kind: "orphan" }]);
}

/** User space's small unmovable pages in the pageblock at `pfn` are all freed (page-alloc-offline.ts, unmovable-freed): its pin goes. */
export function unpinUser(k: Kernel, pfn: number): void {
  const i = k.unmovable.findIndex((u) => u.start === pfn && u.why === PIN_WHY.unmovable);
  if (i >= 0) k.unmovable.splice(i, 1);
}

/**
 * arch_add_memory() of [startPfn, startPfn + nr) on node `nid`: page tables
 * and the vmemmap come from the page allocator, i.e. from a newly populated
 * zone of that node. The vmemmap is one pageblock-order allocation per
 * section where a section's memmap is exactly one pageblock (4 KiB pages;
 * other geometries are not measured: no vmemmap modelled).
 */
export function pageAllocHotAdd(k: Kernel, nid: number, startPfn: number, nr: number, memmapOnMemory: boolean): void {
  const g = k.geometry;
  const pps = k.sparse.pps;
  const memmapIsPageblock = (pps * g.structPageSize) / g.pageSize === g.pageblockSize / g.pageSize;
  const vmemmapSections: number[] = [];
  if (!memmapOnMemory && memmapIsPageblock) for (let p = startPfn; p < startPfn + nr; p += pps) vmemmapSections.push(p);
  // The hot-add runs in a kworker of CPU 0 (virtio-mem's config interrupt, ACPI's hotplug work): its page
  // tables and slab come from CPU 0's node (a64-pin-trace-numa2-pgtables.trixie).
  const localCpu = (k.cpusByNode[nid] ?? []).includes(0);
  for (const s of k.firstBlockAllocs) {
    if (s.nid !== nid) continue;
    // While a plug runs, user space's first movable page may come before this hot-add's allocations
    // (first-alloc outcome 2).
    const elsewhere = movableElsewhere(k, s);
    refreshBatch(k, s);
    if (!k.bootProbing && firstAllocRace(s, elsewhere)) {
      const chosen = runtimeRace(k, "first-alloc", `node${nid}`, firstAllocOutcomes(k, nid, 3));
      if (chosen === 2) movableDuringPlug(s, elsewhere);
      if (chosen === 3) s.movableAway = true;
    } else if (!k.bootProbing && s.plugAdds > 0 && midPlugRace(s, elsewhere)) {
      // plug-movable: 0 user space's first movable page comes after the plug; 2n - 1, before the n-th hot-add after
      // the plug's first, and its scaled refills before its reclaimable steal; 2n, the same with them after it
      // (page-alloc-plug.ts movableMidPlug()).
      const chosen = runtimeRace(k, "plug-movable", `node${nid}`, 2 * s.plugAdds + 1);
      if (chosen === 2 * s.plugAdds - 1 || chosen === 2 * s.plugAdds) movableMidPlug(s, chosen === 2 * s.plugAdds);
    }
    // plug-reclaimable: 0 no reclaimable page of the kernel during the plug; n, the hot-add kworker's reclaimable
    // page steals the head chunk before the n-th hot-add after the plug's first (page-alloc-plug.ts reclaimableMidPlug()).
    if (!k.bootProbing && s.plugAdds > 0 && reclaimableMidPlugRace(s) && runtimeRace(k, "plug-reclaimable", `node${nid}`, s.plugAdds + 1) === s.plugAdds) pin(k, withReclaimableRefill(k, s, reclaimableMidPlug(s)));
    if (!k.bootProbing) s.plugAdds++;
    // At boot, whether init's page cache or the vmemmap reaches the head chunk first is a race.
    const racing = k.bootProbing && g.hotplugLinearMapPages && localCpu && s.smallPb === null && !s.movableTaken;
    const pageCacheFirst = racing ? runtimeRace(k, "boot-pagecache", `node${nid}`, 2) === 0 : true;
    // The linear map's page-table pages (one per pageSize / 8 pages mapped) go through the hot-add CPU's per-CPU
    // list; where refills scale (6.7+) its refills grow to whole chunks (page-alloc-kworker.ts kernelPages()).
    const zone = k.node(s.nid).zones[s.zoneIdx];
    const batch = pcpBatch(zone.managed, g.pageSize);
    const pageTables = g.hotplugLinearMapPages && localCpu
      ? {
          pages: Math.ceil(nr / (g.pageSize / 8)),
          batch,
          ...(k.rules.pcpBatchScale ? { limits: pcpLimits(k, zone, batch) } : {}),
          // hotadd-slab: 0 the small pageblock holds the page tables' refills up to the model's count, 1 the
          // hot-adds' slab pages took its last pages one refill earlier (page-alloc-kworker.ts kernelPages()).
          slabFirst: () => runtimeRace(k, "hotadd-slab", `node${s.nid}`, 2) === 1,
        }
      : undefined;
    pin(k, hotAdd(s, { pageTablesFirst: g.hotplugLinearMapPages, vmemmapSections, userSpaceRunning: k.bootProbing, pageCacheFirst, localCpu, ...(pageTables ? { pageTables } : {}) }));
  }
}

/** The races the page allocator model runs into after the boot (page-alloc-pins.ts; test/oracle/arm64/evidence-pin/README.md). */
export const PAGE_ALLOC_RACES = ["first-alloc", "reclaimable", "unmovable-spill", "movable-busy", "unmovable-freed", "reclaimable-refill", "movable-refill", "unmovable-refill", "plug-movable", "plug-reclaimable", "migrated-busy", "hotadd-slab", "kernel-list", "kernel-split", "list-decay", "boot-pagecache", "boot-pcp", "vmemmap-orphan"] as const;

export type PageAllocRace = (typeof PAGE_ALLOC_RACES)[number];

/**
 * A race met after the boot (page-alloc-pins.ts): the outcome chosen in
 * RunOptions.bootRaces (key "race:region", default 0), recorded in
 * Kernel.runtimeRaces with `count` outcomes (a race met again with more
 * outcomes gets them added).
 */
export function runtimeRace(k: Kernel, race: PageAllocRace, region: string, count: number | readonly number[]): number {
  const chosen = k.raceChoices[`${race}:${region}`] ?? 0;
  const known = k.runtimeRaces.find((r) => r.race === race && r.region === region);
  const outcomes = typeof count === "number" ? Array.from({ length: count }, (_, i) => i) : [...count];
  if (!known) k.runtimeRaces.push({ race, region, outcomes, chosen });
  else if (known.outcomes.length < outcomes.length) known.outcomes.splice(0, known.outcomes.length, ...outcomes);
  return chosen;
}

/**
 * The drivers' boot-time probes are over (page-alloc-pins.ts bootEnds()): the
 * boot's last kernel allocations, and the probing CPU's per-CPU lists.
 */
export function pageAllocBootEnds(k: Kernel): void {
  k.bootProbing = false;
  const cpus = cpuCount(k);
  const PCP: BootPcp[] = ["free", "used", "kept"];
  for (const s of k.firstBlockAllocs) {
    const pcp = bootPcpRace(s, cpus > 1) ? (PCP[runtimeRace(k, "boot-pcp", `node${s.nid}`, PCP.length)] ?? "free") : "free";
    pin(k, bootEnds(s, { otherCpus: cpus > 1, pcp }));
  }
}

/**
 * arch_remove_memory() of [startPfn, startPfn + nr) on node `nid`: the vmemmap
 * and the linear map's page tables of the removed sections go back to the
 * page allocator. The page tables go where pageAllocHotAdd() drew them from:
 * the first kernel block of the block's node, when that node has CPU 0
 * (page-alloc-kworker.ts kernelPagesFreed()).
 */
export function pageAllocRemove(k: Kernel, startPfn: number, nr: number, nid: number): void {
  const freed = (u: { owner?: number }) => u.owner !== undefined && u.owner >= startPfn && u.owner < startPfn + nr;
  for (const u of k.unmovable) if (freed(u)) for (const s of k.firstBlockAllocs) if (u.start >= s.start && u.start < s.end) s.freedVmemmaps.push(u.start);
  k.unmovable = k.unmovable.filter((u) => !freed(u));
  if (!k.geometry.hotplugLinearMapPages || !(k.cpusByNode[nid] ?? []).includes(0)) return;
  for (const s of k.firstBlockAllocs) if (s.nid === nid) kernelPagesFreed(s, Math.ceil(nr / (k.geometry.pageSize / 8)));
}

/**
 * The kernel's work is done and user space runs (allocating movable and
 * reclaimable pages); it reads the sysfs files of the devices added since it
 * last ran (the "add" uevents since then).
 */
export function pageAllocUserSpace(k: Kernel): void {
  const newDevices = k.uevents.slice(k.userSpaceSeen).some((u) => u.action === "add");
  k.userSpaceSeen = k.uevents.length;
  for (const s of k.firstBlockAllocs) {
    // unmovable-spill 2: the small unmovable pages move on again, before this run's reclaimable page.
    if (newDevices && s.spillAgain) pin(k, spillAgain(s));
    if (s.settled) continue;
    const region = `node${s.nid}`;
    // kernel-list: 0 user space's small pages reach the next pageblock on the hot-add CPU's list, 1 one further.
    // kernel-split (one CPU): 0 the rest of the pageblock the kworker's last refill drew partly stays free, 1 a
    // larger unmovable page of user space takes a piece of it.
    // list-decay (6.7+, several CPUs): 0 the list keeps its pages until the unplug drains it, 1 its high decays and
    // another CPU's larger unmovable refill takes a piece of the last whole pageblock it gave back, 2 of the one
    // before it (decayed a pageblock deeper), 3 of both.
    const decayed = k.rules.pcpHighDecay ? (outcomes: number) => runtimeRace(k, "list-decay", region, outcomes) : undefined;
    pin(k, kernelPagesUsed(s, cpuCount(k) > 1, () => runtimeRace(k, "kernel-list", region, 2) === 1, () => runtimeRace(k, "kernel-split", region, 2) === 1, decayed));
    // unmovable-spill 4 and 5: user space's first unmovable refill finds the small pages' pageblocks full and moves
    // on (twice, or once) before its movable and reclaimable pages come (page-alloc-pins.ts spill(); 6 and 7 below).
    let spillChosen: number | undefined;
    if (newDevices && spillRace(s)) {
      spillChosen = runtimeRace(k, "unmovable-spill", region, spillOutcomes(k));
      if (spillChosen === 4) pin(k, spill(s, 3));
      if (spillChosen === 5) pin(k, spill(s, 1));
    }
    // Which comes first, the kernel's next unmovable page or user space's first movable page: a race.
    let movableFirst = false;
    if (firstAllocRace(s, movableElsewhere(k, s))) {
      const chosen = runtimeRace(k, "first-alloc", region, firstAllocOutcomes(k, s.nid, 2));
      movableFirst = chosen === 1 || chosen === 2;
      if (chosen === 3) s.movableAway = true;
    }
    const elsewhere = movableElsewhere(k, s);
    refreshBatch(k, s);
    s.plugAdds = 0;
    // After a plug during which user space's first movable page came (plug-movable), its scaled refills take the
    // further chunks now.
    const plugChunks = movableRefillChunks(pcpBatch(k.node(s.nid).zones[s.zoneIdx].managed, k.geometry.pageSize), k.rules.pcpBatchScale, s.chunkPages, cpuCount(k));
    userSpaceAfterPlug(s, plugChunks);
    // unmovable-spill 7 (9): the two moves (one) come after the first chunk of user space's movable pages and before
    // the other chunks of its scaled refills.
    let rest = 0;
    const midway = () => !s.movableTaken && !elsewhere && !s.smallMovable && s.movableChunks > 1;
    if ((spillChosen === 7 || spillChosen === 9) && midway()) {
      rest = s.movableChunks - 1;
      s.movableChunks = 1;
    }
    // A scaled unmovable refill on another CPU (page-alloc-pins.ts unmovableRefill()), met once user space has its
    // small unmovable pageblock: 0 none; else where it comes (after user space's movable pages, before them, or
    // after their first chunk) and which of the stolen pageblocks keep pages (page-alloc-pins.ts refillOutcome()).
    const chunks = unmovableRefillChunks(k, s);
    const pbs = Math.min(REFILL_MASK_PAGEBLOCKS, (chunks * s.chunkPages) / s.pageblockPages);
    let refill: RefillOutcome | null = null;
    const hadSmall = s.smallPb !== null;
    const decide = () => {
      if (!(chunks > 0 && !s.refillDecided && hadSmall)) return;
      const at: RefillAt[] = midway() || rest > 0 ? ["after", "before", "midway"] : ["after", "before"];
      const chosen = runtimeRace(k, "unmovable-refill", region, 1 + at.length * 2 ** pbs);
      s.refillDecided = true;
      refill = refillOutcome(chosen, pbs, at);
      if (refill?.at === "midway" && rest === 0) {
        rest = s.movableChunks - 1;
        s.movableChunks = 1;
      }
    };
    const doRefill = (at: RefillAt) => {
      const r = refill as RefillOutcome | null;
      return r && r.at === at ? unmovableRefill(s, chunks, r.kept) : [];
    };
    const first = () => {
      decide();
      return doRefill("before");
    };
    // unmovable-spill 6: the two moves come between user space's movable pages and its reclaimable one; 8, and a
    // third after it. 9: the one move, then the other movable chunks, then another CPU's scaled unmovable refill
    // (a64-pin-trace-4cpu-1500m-500m.r7.trixie: base64 stole 18 after cat's chunk 16; sh's movable refill took 17,
    // 20 and 22, then its unmovable one stole 24 and 26).
    let movedBetween = false;
    const between = () => {
      decide();
      movedBetween = spillChosen !== undefined && spillChosen >= 6 && spillChosen <= 9 && spillRace(s);
      if (spillChosen === 9) {
        const pins = [...doRefill("midway"), ...(movedBetween ? spill(s, 1) : [])];
        moreMovable(s, rest);
        return [...pins, ...doRefill("after")];
      }
      const pins = [...doRefill("midway"), ...doRefill("after"), ...(movedBetween ? spill(s, 3) : [])];
      moreMovable(s, rest);
      return pins;
    };
    // When user space's first lasting reclaimable page comes: 0 by the rule, 1 deferred to the next run that
    // reads new devices, 2 never, 3 by the rule but freed before the unplug, 4 + i a late steal of the i-th head
    // chunk seen (page-alloc-pins.ts Reclaimable).
    const choice = k.raceChoices[`reclaimable:${region}`] ?? 0;
    const reclaimable: Reclaimable = RECLAIMABLE[choice] ?? { late: choice - RECLAIMABLE.length };
    pin(k, withReclaimableRefill(k, s, userSpaceRuns(s, elsewhere, newDevices, movableFirst, reclaimable, between, first)));
    // On a node whose CPUs do no hot-add (they run on CPU 0), the small pageblock's pages are those of the tasks on
    // the node's own CPUs, user space's: they too may be gone by the unplug (unmovable-freed).
    if (!hadSmall && s.smallPb !== null && !(k.cpusByNode[s.nid] ?? []).includes(0)) s.userPbs.unshift(s.smallPb);
    if (spillChosen === 8 && movedBetween) pin(k, spillAgain(s));
    if (s.lateHeads.length || (newDevices && (s.settled || s.deferred))) runtimeRace(k, "reclaimable", region, RECLAIMABLE.length + s.lateHeads.length);
    userSpaceAfterPlug(s, plugChunks, true);
    if (spillRace(s)) pin(k, spill(s, spillChosen ?? runtimeRace(k, "unmovable-spill", region, spillOutcomes(k))));
  }
}

/**
 * The zone's per-CPU batch as it stands (zone_batchsize() of its managed
 * pages; zone_pcp_update() runs at every online): how many chunks user
 * space's first movable refills split (pcp.ts movableRefillChunks()).
 */
function refreshBatch(k: Kernel, s: FirstBlockAlloc): void {
  if (s.movableTaken) return;
  const z = k.node(s.nid).zones[s.zoneIdx];
  const chunks = movableRefillChunks(pcpBatch(z.managed, k.geometry.pageSize), k.rules.pcpBatchScale, s.chunkPages, cpuCount(k));
  // Whether the first refill is already scaled depends on the list's recent refills and frees (alloc_factor
  // halves on every free): the race movable-refill, 0 scaled (a64-pin-trace-uefi-700m, 6.12 and 7.2), 1 one
  // chunk (x-probe20-q35-vm-2m-800m on 6.12).
  s.movableChunks = chunks > 1 && runtimeRace(k, "movable-refill", `node${s.nid}`, 2) === 1 ? 1 : chunks;
}

/**
 * The per-CPU lists' high limits of `zone` now (zone_pcp_update() after
 * setup_per_zone_wmarks(), which every online runs): its low watermark from
 * min_free_kbytes and the managed pages of the zones up to Normal, split
 * over its node's CPUs (pcp.ts). Debian's kernels have transparent
 * hugepages, so khugepaged's min_free_kbytes applies.
 */
function pcpLimits(k: Kernel, zone: Zone, batch: number): { highMin: number; highMax: number } {
  const g = k.geometry;
  let lowmem = 0;
  let zones = 0;
  for (const n of k.nodes.values()) {
    for (const z of n.zones) {
      if (z.idx > ZONE_NORMAL || z.present === 0) continue;
      lowmem += z.managed;
      zones++;
    }
  }
  const minKb = minFreeKbytes(lowmem, g.pageSize, g.pageblockSize / g.pageSize, zones);
  const cpus = (k.cpusByNode[zone.nid] ?? []).length || cpuCount(k);
  return pcpHighLimits(zone.managed, lowWatermark(zone.managed, lowmem, minKb, g.pageSize), batch, cpus);
}

/** The machine's CPUs (an imported boot takes them from the machine too: runner.ts). */
function cpuCount(k: Kernel): number {
  return Object.values(k.cpusByNode).reduce((n, c) => n + c.length, 0);
}

/** How many chunks a scaled unmovable refill steals (0: refills do not scale, or one fits in a chunk). */
function unmovableRefillChunks(k: Kernel, s: FirstBlockAlloc): number {
  if (!k.rules.pcpBatchScale || cpuCount(k) < 2) return 0;
  const refill = pcpBatch(k.node(s.nid).zones[s.zoneIdx].managed, k.geometry.pageSize) * 32;
  return refill > s.chunkPages ? Math.ceil(refill / s.chunkPages) : 0;
}

/** User space's movable pages do not come to this block: a populated ZONE_MOVABLE on its node serves them, or they come from another node. */
function movableElsewhere(k: Kernel, s: FirstBlockAlloc): boolean {
  return s.movableAway || (k.node(s.nid).zones[ZONE_MOVABLE]?.present ?? 0) > 0;
}

/**
 * How many outcomes the first-alloc race has where it is met (`here`: 3 at a
 * hot-add, where user space's page may come during the plug; 2 when user
 * space runs): one more, 3, where other nodes have CPUs, whose processes take
 * their movable pages from their own node (`a64-pin-trace-2dev-numa3-steals.r3.sid`:
 * the kernel's first, and no movable page reached the block).
 */
function firstAllocOutcomes(k: Kernel, nid: number, here: number): number {
  const otherCpus = Object.entries(k.cpusByNode).some(([n, cpus]) => Number(n) !== nid && cpus.length > 0);
  return otherCpus ? 4 : here;
}

/**
 * The outcomes of the unmovable-spill race: 0 to 3 moves after user space's run, 4 two before it, 5 one before it,
 * 6 two between its movable and reclaimable pages, 7 two after its first movable chunk (page-alloc-pins.ts spill());
 * with four CPUs or more, 8: two between its movable and reclaimable pages and a third after them (each move is a
 * refill that found no free unmovable page while the other CPUs' lists held them: seen with four,
 * a64-pin-trace-4cpu-1800m.r1), and 9: one after its first movable chunk (a64-pin-trace-4cpu-1500m-500m.r7.trixie);
 * with three or more, 10: three after user space's run (page-alloc-pins.ts SPILL_THREE; three CPUs,
 * a64-dts-vm-2dev-numa3 on 6.1).
 */
function spillOutcomes(k: Kernel): number[] {
  const cpus = cpuCount(k);
  const base = Array.from({ length: 8 }, (_, i) => i);
  if (cpus >= 4) return [...base, 8, 9, SPILL_THREE];
  return cpus === 3 ? [...base, SPILL_THREE] : base;
}

/** The outcomes of the reclaimable race before the late ones (page-alloc-pins.ts Reclaimable). */
const RECLAIMABLE = ["rule", "deferred", "never", "freed"] as const;

/** offline_pages() emptied a node's ZONE_MOVABLE: its movable pages were migrated into the node's kernel zone (page-alloc-pins.ts migrateIn). */
export function pageAllocMigrated(k: Kernel, zone: Zone): void {
  if (zone.idx !== ZONE_MOVABLE || zone.present > 0) return;
  for (const s of k.firstBlockAllocs) if (s.nid === zone.nid) migrateIn(s);
}
