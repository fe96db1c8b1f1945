/**
 * The fallback model of page-alloc-pins.ts against what kmem tracepoints and
 * /proc/kpageflags showed on real guests (test/oracle/evidence-pin/README.md,
 * test/oracle/arm64/evidence-pin/): 4 KiB pages, 2 MiB pageblocks, 4 MiB
 * max-order chunks, 128 MiB blocks at pfn 0 here (pageblock numbers = pfn / 512).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type FirstBlockAlloc, type Pin, bootEnds, bootPcpRace, firstAllocRace, hotAdd, kernelPagesFreed, kernelPagesUsed, midPlugRace, migratedBusyRace, migrateIn, movableBusyCandidates, movableBusyRace, movableDuringPlug, movableMidPlug, orphanVmemmap, reclaimableMidPlug, reclaimableMidPlugRace, noteOnline, spill, SPILL_THREE, spillAgain, spillRace, unmovableRefill, startFirstBlock, userFreedCandidates, userFreedRace, userSpaceAfterPlug, userSpaceRuns } from "./page-alloc-pins.js";
import { lowWatermark, minFreeKbytes, movableRefillChunks, pcpBatch, pcpHighLimits, pcpRefill, zoneBatch } from "./pcp.js";

const G = { pageblockPages: 512, chunkPages: 1024 };
const BLOCK = 32768;
const all = (_pfn: number, n: number) => n;
const pbs = (pins: Pin[]) => pins.map((p) => `${p.kind[0]}${p.pfn / 512}`);

/** A virtio-mem resize that plugs `blocks` whole blocks and `partialMiB` of the next one, then returns to user space. */
function resize(s: FirstBlockAlloc, o: { later: number; pageTablesFirst: boolean; partialMiB?: number; movableElsewhere?: boolean }): Pin[] {
  const pins: Pin[] = [];
  for (let i = 1; i <= o.later; i++) {
    pins.push(...hotAdd(s, { pageTablesFirst: o.pageTablesFirst, vmemmapSections: [i * BLOCK] }).filter((p) => p.kind !== "vmemmap"));
    const plugged = i === o.later && o.partialMiB ? o.partialMiB * 256 : BLOCK;
    noteOnline(s, i * BLOCK, BLOCK, (p, n) => Math.max(0, Math.min(n, i * BLOCK + plugged - p)));
  }
  pins.push(...userSpaceRuns(s, o.movableElsewhere ?? false, true));
  return pins;
}

test("arm64, 300M in 2 MiB sub-blocks (a64-pin-trace-online): page tables steal chunk 0, reclaimable slab chunk 3", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(s, { later: 2, pageTablesFirst: true })), ["u0", "r6"]);
});

test("arm64, 500M in 4 MiB sub-blocks (a64-pin-trace-bs4m-online-kernel): three vmemmaps use pageblocks 1-4, reclaimable lands in 8", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(s, { later: 3, pageTablesFirst: true })), ["u0", "r8"]);
});

test("x86, 256M (x86-pin-trace-smp2): the vmemmap refill takes chunk 0 whole, slab steals chunk 1", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(s, { later: 1, pageTablesFirst: false })), ["u2", "r6"]);
  const t = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(t, { later: 2, pageTablesFirst: false })), ["u2", "r6"], "the second vmemmap comes from the per-CPU list");
});

test("x86, 128M (one block, no later hot-add): slab steals chunk 0, movable splits chunk 1, reclaimable steals chunk 2", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(s, { later: 0, pageTablesFirst: false })), ["u0", "r4"]);
});

test("x86, 130M (x86-pin-trace-130m-512m): the partly plugged block takes the movable pages, reclaimable steals chunk 2", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(s, { later: 1, pageTablesFirst: false, partialMiB: 2 })), ["u2", "r4"]);
  // Growing to 512M afterwards (x86-pin-trace-130m-512m step 4): the vmemmaps take the per-CPU list's
  // pageblock 1, the free 3 and a steal of chunk 3 (6), held only while their blocks exist.
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: false, vmemmapSections: [2 * BLOCK, 3 * BLOCK, 4 * BLOCK] })), ["v1", "v3", "v6"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), []);
});

test("movable allocations served by ZONE_MOVABLE: reclaimable steals the chunk after the unmovable one", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(resize(s, { later: 0, pageTablesFirst: true, movableElsewhere: true })), ["u0", "r2"]);
});

test("a first block with unplugged chunks: only wholly free chunks can be stolen", () => {
  // 6 MiB plugged: chunk 0 intact, chunk 1 half free (a small movable piece), the rest not in the buddy.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, (p, n) => Math.max(0, Math.min(n, 1536 - p)));
  assert.deepEqual(s.intact, [0]);
  assert.equal(s.smallMovable, true);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["u0"], "no chunk left for the reclaimable steal: it falls back elsewhere");
});

test("a block onlined by a sysfs write, no new devices (a64-pin-trace-offline-manual step 6): no reclaimable page reaches it", () => {
  // The harness had read every sysfs file already: its dentries and inodes fit in existing slab pages.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(userSpaceRuns(s, true, false)), ["u0"]);
  assert.deepEqual(pbs(userSpaceRuns(s, true, false)), []);
  // New devices later (new sysfs files read): the reclaimable caches grow and steal the next chunk.
  assert.deepEqual(pbs(userSpaceRuns(s, true, true)), ["r2"]);
  assert.deepEqual(pbs(userSpaceRuns(s, true, true)), [], "settled");
});

test("user space's movable pages split one chunk once, however often it runs", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(userSpaceRuns(s, false, false)), ["u0"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, false)), []);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["r4"]);
});

test("vmemmap pages belong to the block they describe (a64-pin-trace-2dev-numa3: vm1's vmemmaps stay while vm1 keeps its memory)", () => {
  // arm64, 2 MiB sub-blocks: vm0's second block, then user space, then a second device's three blocks on the node.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  const first = hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  assert.deepEqual(first.map((p) => [p.kind, p.pfn / 512, p.owner === undefined ? null : p.owner / BLOCK]), [["unmovable", 0, null], ["vmemmap", 1, 1]]);
  userSpaceRuns(s, false, true);
  const later = hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK] });
  // The per-CPU list's pageblock 2, then a refill: the free pageblock 3 and a steal of the next intact chunk (8).
  assert.deepEqual(later.map((p) => [p.kind, p.pfn / 512, (p.owner ?? 0) / BLOCK]), [["vmemmap", 2, 4], ["vmemmap", 3, 5], ["vmemmap", 8, 6]]);
});

test("one block and no later hot-add: whether the kernel's first unmovable page or user space's first movable page comes first is a race", () => {
  // Four untraced 128M recordings (x86 and arm64, two each) kept pageblocks 0 and 4 twice and 2 and 4 twice;
  // the traced ones (x86-pin-trace-128m, a64-pin-trace-128m) show user space's movable page taking chunk 0 first.
  const a = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.equal(firstAllocRace(a, false), true);
  assert.deepEqual(pbs(userSpaceRuns(a, false, true)), ["u0", "r4"]);
  const b = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(userSpaceRuns(b, false, true, true)), ["u2", "r4"]);
  // No race once the kernel's unmovable pages are there (a later hot-add), or when movable pages go elsewhere.
  const c = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(c, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  assert.equal(firstAllocRace(c, false), false);
  assert.equal(firstAllocRace(startFirstBlock(G, 0, 2, 0, BLOCK, all), true), false);
});

test("a device plugged at boot (a64-pin-trace-boot-two, 6.1 and 6.12): init runs meanwhile; its movable pages come between the next block's page tables and its vmemmap", () => {
  // vm0 plugs 136M at boot with 2 MiB sub-blocks: its first block is onlined, then the second block is hot-added.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  const boot = hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], userSpaceRunning: true });
  // Page tables steal chunk 0 (pageblock 0); init's page cache splits chunk 1 (LRU pages in pageblock 2); the
  // vmemmap refill takes the free pageblock 1 and steals chunk 2 (pageblock 4, leaving 5 free).
  assert.deepEqual(pbs(boot), ["u0", "v1"]);
  assert.deepEqual(s.pcp, [4 * 512]);
  assert.deepEqual(s.unmovableFree, [5 * 512]);
  // The boot goes on (modules load: vmalloc page tables, slab): pageblock 0 overflows into the free pageblock 5;
  // the probing CPU's per-CPU list (pageblock 4, kworker/1) is not the one later work (kworker/0) uses.
  assert.deepEqual(pbs(bootEnds(s, { otherCpus: true })), ["u5"]);
  assert.deepEqual(s.pcp, []);
  // Then user space reads the new devices: the reclaimable steal takes chunk 3 (pageblock 6).
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["r6"]);
  // vm1's three blocks later, on CPU 0: their vmemmaps steal chunk 4 (pageblocks 8, 9) and chunk 5 (10).
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK] })), ["v8", "v9", "v10"]);
});

test("boot ends with one CPU: the probing CPU's per-CPU list is the one later work uses", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], userSpaceRunning: true });
  assert.deepEqual(pbs(bootEnds(s, { otherCpus: false })), ["u5"]);
  assert.deepEqual(s.pcp, [4 * 512]);
  // Nothing free on the unmovable list: the overflow has nowhere to go without a new steal, none is made.
  const t = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(bootEnds(t, { otherCpus: true })), []);
});

test("x86 maps hot-added memory with large pages: no page tables come first, so init's movable pages do not come between", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: false, vmemmapSections: [BLOCK], userSpaceRunning: true })), ["v0", "u2"]);
  assert.equal(s.movableTaken, false);
});

test("a hot-add run by a CPU of another node (a64-pin-trace-numa2-pgtables.trixie): its page tables and slab come from that node, only the vmemmap from the block's", () => {
  // 6.12 puts the device of a64-probe2-dt-numa2-vm-node0 on node 1 (CPU 1); kworker/0 hot-adds the second block:
  // its 129 page-table pages came from node 0, its vmemmap stole chunk 0 of node 1's new Normal zone whole.
  const s = startFirstBlock(G, 1, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false })), ["v0"]);
  assert.deepEqual(s.pcp, [512]);
  assert.equal(s.smallPb, null);
  // User space's first unmovable page then steals chunk 1 (the untraced 6.12 recording: 2 and 6 stay) ...
  assert.equal(firstAllocRace(s, false), true);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["u2", "r6"]);
  // ... or its movable pages come first (the traced runs: movable pages in 2, the agent's pipe page steals chunk 2).
  const t = startFirstBlock(G, 1, 2, 0, BLOCK, all);
  hotAdd(t, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false });
  assert.deepEqual(pbs(userSpaceRuns(t, false, true, true)), ["u4", "r6"]);
});

test("boot-pcp: the probing CPU's per-CPU pageblocks stay free, are used on that CPU, or serve the later hot-adds", () => {
  const boot = (pageCacheFirst = true) => {
    const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
    hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], userSpaceRunning: true, pageCacheFirst });
    return s;
  };
  const later = (s: FirstBlockAlloc) => pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK] }));
  // The traced order ("free"): pageblock 4 stays on CPU 1's list, vm1's vmemmaps steal chunks 4 and 5.
  const free = boot();
  assert.equal(bootPcpRace(free, true), true);
  assert.equal(bootPcpRace(free, false), false, "one CPU: the list is the one later work uses, no race");
  assert.deepEqual(pbs(bootEnds(free, { otherCpus: true, pcp: "free" })), ["u5"]);
  userSpaceRuns(free, false, true);
  assert.deepEqual(later(free), ["v8", "v9", "v10"]);
  // "used" (a64-probe2-vm-boot-two.run2, 6.1: 0, 4, 5, 6, 8, 9, 10 stayed): an unmovable allocation on CPU 1 takes 4.
  const used = boot();
  assert.deepEqual(pbs(bootEnds(used, { otherCpus: true, pcp: "used" })), ["u4", "u5"]);
  userSpaceRuns(used, false, true);
  assert.deepEqual(later(used), ["v8", "v9", "v10"]);
  // "kept", and the vmemmap before init's page cache (a64-probe2-vm-boot-two.trixie: 0, 2, 3, 6, 8, 9 stayed): the
  // refill took pageblock 1 and a steal of chunk 1 (2; 3 free UNMOVABLE, where the boot's overflow goes), and vm1's
  // hot-adds ran on CPU 1 and used pageblock 2 first.
  const kept = boot(false);
  assert.deepEqual(pbs(bootEnds(kept, { otherCpus: true, pcp: "kept" })), ["u3"]);
  assert.deepEqual(pbs(userSpaceRuns(kept, false, true)), ["r6"], "the page cache splits chunk 2 now, the reclaimable steal takes chunk 3");
  assert.deepEqual(later(kept), ["v2", "v8", "v9"]);
});

test("unmovable-spill (a64-pin-trace-numa2-node0.sid): small unmovable pages outgrow their pageblock into the free one the steal left", () => {
  // 7.2, the device on node 1, hot-added by kworker/0: the vmemmap steals chunk 0; user space's movable pages come
  // first, its pipe page steals chunk 2 (4; 5 free UNMOVABLE) and its reclaimable page chunk 3 (6) ...
  const s = startFirstBlock(G, 1, 2, 0, BLOCK, all);
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false });
  assert.equal(spillRace(s), false, "no small unmovable pageblock yet");
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, true)), ["u4", "r6"]);
  // ... and user page tables then split pageblock 5, in the recording that kept 4, 5 and 6.
  assert.equal(spillRace(s), true);
  assert.deepEqual(pbs(spill(s, 1)), ["u5"]);
  assert.equal(spillRace(s), false, "met once per block");
  const t = startFirstBlock(G, 1, 2, 0, BLOCK, all);
  hotAdd(t, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false });
  userSpaceRuns(t, false, true, true);
  assert.deepEqual(pbs(spill(t, 0)), [], "the other outcome: pageblock 5 stays free (.run2.sid: 4 and 6)");
  assert.deepEqual(t.unmovableFree, [5 * 512]);
});

test("reclaimable deferred (a64-pin-trace-2dev-numa3): no steal after the first device; the kworker's steal comes with the second device", () => {
  // 6.1, both devices on node 0: vm0's second block (page tables steal chunk 0, vmemmap pageblock 1; 2 on the
  // per-CPU list, 3 free), then user space's movable pages split chunk 2 and, deferred, no reclaimable steal.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] })), ["u0", "v1"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "deferred")), []);
  assert.equal(s.settled, false);
  // vm1's three blocks: vmemmaps 2 (per-CPU list), 3 and a steal of chunk 3 (6; 7 free UNMOVABLE).
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK] })), ["v2", "v3", "v6"]);
  // Their devices are read: the reclaimable steal takes chunk 4 (8), and page tables spill into 7 (`.run2`: 0, 2, 3, 6, 7, 8).
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "deferred")), ["r8"]);
  assert.deepEqual(pbs(spill(s, 1)), ["u7"]);
  // By the rule the steal comes at once (chunk 3: pageblock 6) and vm1's vmemmaps steal chunk 4.
  const r = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(r, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  assert.deepEqual(pbs(userSpaceRuns(r, false, true)), ["r6"]);
  assert.deepEqual(pbs(hotAdd(r, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK] })), ["v2", "v3", "v8"]);
});

test("a late reclaimable steal, after migration split the next chunk (a64-pin-trace-offline-manual.trixie)", () => {
  // memory17 onlined by a sysfs write with memory16 in ZONE_MOVABLE: dd's page steals chunk 0; no new devices.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(userSpaceRuns(s, true, false, false, { late: 1 })), ["u0"]);
  assert.deepEqual(s.lateHeads, [1024], "a late steal now would take chunk 1");
  // The resize to 64M offlines memory16: its movable pages are migrated into chunk 1.
  migrateIn(s);
  assert.deepEqual(s.intact.slice(0, 1), [2048]);
  migrateIn(s);
  assert.deepEqual(s.intact.slice(0, 1), [2048], "later migrations find movable pages in the block already");
  // The next run meets chunk 2 at the head: the late steal (the second head seen) takes it: sub-blocks 0 and 2 stay.
  assert.deepEqual(pbs(userSpaceRuns(s, true, false, false, { late: 1 })), ["r4"]);
  assert.equal(s.settled, true);
  // The rule: no steal without new devices (the untraced .run2.trixie and the traced -end.trixie: sub-block 0 only).
  const t = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  userSpaceRuns(t, true, false);
  migrateIn(t);
  assert.deepEqual(pbs(userSpaceRuns(t, true, false)), []);
});

test("first-alloc outcome 2 (a64-pin-trace-2dev-numa3-end.sid): user space's movable page comes while the plug runs, before the next block's vmemmap", () => {
  // 7.2, both devices on node 2 (CPU 2), hot-added by kworker/0: `cat` split chunk 0 right after the first
  // block went online, so the second block's vmemmap refill stole chunk 1 (2, 3 on the per-CPU list) ...
  const s = startFirstBlock(G, 2, 2, 0, BLOCK, all);
  assert.equal(firstAllocRace(s, false), true);
  movableDuringPlug(s, false);
  assert.equal(firstAllocRace(s, false), false, "decided");
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false })), ["v2"]);
  // ... kdamond's small unmovable page stole chunk 2 (4; 5 free) and, deferred, no reclaimable steal yet.
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "deferred")), ["u4"]);
  // vm1's vmemmaps: 3 from the list, then 5 and a steal of chunk 3 (6; 7 free); then grep's reclaimable page
  // stole chunk 4 (8) and the agent's small pages went to 7: 3 to 8 stayed (2 went with vm0's second block).
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK], localCpu: false })), ["v3", "v5", "v6"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "deferred")), ["r8"]);
  assert.deepEqual(pbs(spill(s, 1)), ["u7"]);
});

/**
 * A first block of node 2 whose hot-add ran on another node's CPU: user space's movable page during the plug
 * (chunk 0), the vmemmap refill's steal of chunk 1 (2, 3), then user space's small unmovable pages, which steal
 * chunk 2 (4): where the spill's moves start.
 */
function beforeSpill(): FirstBlockAlloc {
  const s = startFirstBlock(G, 2, 2, 0, BLOCK, all);
  movableDuringPlug(s, false);
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false });
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "deferred")), ["u4"]);
  assert.equal(spillRace(s), true);
  return s;
}

test("unmovable-spill 2 (a64-pin-trace-2dev-numa3-end.r4.trixie): the small pages move on twice, the second time by a steal", () => {
  // 6.12: cat's movable page during the plug (chunk 0), the vmemmap refill steals chunk 1 (2, 3), the agent's page
  // table steals chunk 2 (4) and its next ones split 5 ...
  const s = beforeSpill();
  assert.deepEqual(pbs(spill(s, 2)), ["u5"]);
  assert.equal(s.spillAgain, true);
  // ... vm1's vmemmaps: 3, then a steal of chunk 3 (6, 7) ...
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK], localCpu: false })), ["v3", "v6", "v7"]);
  // ... then cat, on a CPU with an empty list, steals chunk 4 (8) and grep's reclaimable page chunk 5 (10).
  assert.deepEqual(pbs(spillAgain(s)), ["u8"]);
  assert.equal(s.spillAgain, false);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "deferred")), ["r10"]);
});

test("reclaimable never (a64-pin-trace-2dev-numa3-end.r11.trixie): no reclaimable page reaches the block after either device", () => {
  // 6.12: cat's movable page during the plug (chunk 0), the vmemmap refill steals chunk 1 (2, 3), the agent's page
  // steals chunk 2 (4; 5 free) ...
  const s = startFirstBlock(G, 2, 2, 0, BLOCK, all);
  movableDuringPlug(s, false);
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK], localCpu: false })), ["v2"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "never")), ["u4"]);
  assert.deepEqual(pbs(spill(s, 0)), []);
  // ... vm1's vmemmaps 3, 5 and a steal of chunk 3 (6), and no reclaimable page after vm1 either: 3, 4, 5, 6 stay.
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [4 * BLOCK, 5 * BLOCK, 6 * BLOCK], localCpu: false })), ["v3", "v5", "v6"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true, false, "never")), []);
  assert.equal(s.settled, false);
});

test("movable-busy: the pageblock user space's movable pages split is the one an unplug attempt may find busy once", () => {
  // x86 pin-pc-numa-node1: the vmemmap takes chunk 0, slab steals chunk 1 (2), movable pages split chunk 2 (4).
  const s = startFirstBlock(G, 1, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: false, vmemmapSections: [BLOCK] })), ["v0", "u2"]);
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["r6"]);
  assert.deepEqual(s.movablePbs, [4 * 512]);
  assert.equal(movableBusyRace(s, 3 * 512, 512), false, "pageblock 3 holds no movable page of user space");
  assert.equal(movableBusyRace(s, 4 * 512, 512), true);
  assert.equal(movableBusyRace(s, 0, BLOCK), true, "a whole-block attempt covers it too (the caller skips ranges with pins)");
  assert.equal(movableBusyRace(s, 5 * 512, 512), true, "the chunk's other pageblock holds movable pages too");
  assert.deepEqual(movableBusyCandidates(s, () => false).map((p) => p / 512), [4, 5], "the first chunk's first pageblock first");
  assert.deepEqual(movableBusyCandidates(s, (p) => p === 4 * 512).map((p) => p / 512), [5], "a pinned pageblock is never the busy one");
  assert.deepEqual(movableBusyCandidates(s, () => false, 5 * 512).map((p) => p / 512), [4], "nor one virtio-mem passed already");
  s.busyDecided = true;
  assert.equal(movableBusyRace(s, 4 * 512, 512), false, "met once");
  // Pages migrated into the block count too (a64-pin-trace-offline-manual.trixie: chunk 1).
  const t = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  userSpaceRuns(t, true, false);
  migrateIn(t);
  assert.deepEqual(t.movablePbs, [2 * 512]);
});

test("zone_batchsize(): 0.1 % of the zone, a quarter of it, then 2^n - 1 (4 KiB pages)", () => {
  const MiB = 256; // pages
  assert.equal(zoneBatch(128 * MiB, 4096), 7);
  assert.equal(zoneBatch(256 * MiB, 4096), 15);
  assert.equal(zoneBatch(640 * MiB, 4096), 31);
  assert.equal(zoneBatch(700 * MiB, 4096), 63);
  assert.equal(zoneBatch(64 * 1024 * MiB, 4096), 63, "at most 1 MiB of pages: 256 / 4 = 64, rounded to 63");
  assert.equal(zoneBatch(1, 4096), 0, "a tiny zone: 1 + 0 = 1, 2^0 - 1");
});

test("pcp->batch is zone_batchsize() but at least 1 (zone_set_pageset_high_and_batch()): a tiny zone's page tables still come one page a refill", () => {
  assert.equal(pcpBatch(4 * 256, 4096), 1, "a 4 MiB zone");
  assert.equal(pcpBatch(128 * 256, 4096), 7);
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [], pageTables: { pages: 64, batch: pcpBatch(4 * 256, 4096) } });
  assert.equal(s.kworker.smallLeft, 512 - 64, "64 refills of one page, none lost");
});

test("pcpBatchScale (6.7+): user space's first movable refills split three chunks of a 700 MiB zone, one of a 640 MiB zone", () => {
  // a64-pin-trace-uefi-700m.r1.trixie: the agent's first refill took 2016 pages (63 << 5), another process's 63
  // more: pageblocks 8 to 12. 6.1 refills 63 pages at a time: one chunk (.r1).
  assert.equal(movableRefillChunks(63, true, 1024), 3);
  assert.equal(movableRefillChunks(63, false, 1024), 1);
  assert.equal(movableRefillChunks(31, true, 1024), 1, "992 + 31 pages fit in a chunk (a64-pin-640m on 6.12 and 7.2)");
  assert.equal(movableRefillChunks(63, true, 1024, 1), 2, "one CPU: no other CPU's refill (a64-probe23-dts-1cpu-vm-2m-1g)");
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  s.movableChunks = 3;
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] })), ["u0", "v1"]);
  userSpaceRuns(s, false, true, false, "rule");
  assert.deepEqual(s.movablePbs, [4 * 512, 6 * 512, 8 * 512], "chunks 2, 3 and 4");
  // The pages user space uses first are at the start of the first chunk: outcome 1 of movable-busy names it; the
  // other pageblocks of the chunks follow (a64-probe31-uefi-3cpu-vm-2m-1600m.trixie: the second of the second), at most
  // four (MOVABLE_BUSY_PAGEBLOCKS: each more is one more outcome conformance's search tries).
  assert.deepEqual(movableBusyCandidates(s, () => false).map((p) => p / 512), [4, 5, 6, 7]);
  assert.equal(movableBusyRace(s, 7 * 512, 512), true, "met at the first attempt that reaches one of them, the highest");
  assert.equal(movableBusyRace(s, 9 * 512, 512), false, "the third chunk is past the four named");
});

test("unmovable-refill: a scaled unmovable refill on another CPU steals whole chunks; which of its pageblocks keep pages is timing", () => {
  // a64-pin-trace-uefi-700m.r1.trixie: base64 stole chunks 7 and 8 within 2 ms, grep's reclaimable page then took 9.
  const run = (kept: number) => {
    const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
    s.movableChunks = 3;
    hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
    return pbs(userSpaceRuns(s, false, true, false, "rule", () => unmovableRefill(s, 2, kept)));
  };
  assert.deepEqual(run(0), ["r14"], "chunks 5 and 6 stolen and drained at the unplug; the reclaimable steal takes chunk 7");
  assert.deepEqual(run(0b0100), ["u12", "r14"], ".r1.sid: the second stolen chunk's first pageblock keeps pages");
  assert.deepEqual(run(0b1110), ["u11", "u12", "u13", "r14"], "a64-pin-trace-4cpu-1500m.r4.trixie: the last three keep pages");
  assert.deepEqual(run(0b1001), ["u10", "u13", "r14"], "-steals.r3.trixie: the first and the last");
});

test("plug-movable: user space's first movable page in the middle of a plug splits one chunk; its scaled refills take the further ones after the plug", () => {
  // a64-pin-trace-4cpu-1700m.r1.trixie: cat split chunk 7 during the hot-adds, the kernel's later steals took chunks 8
  // on, and after the plug the agent's movable refills took the rest of 7 and two more chunks before the reclaimable steal.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  assert.equal(midPlugRace(s, false), true, "the kernel has its small pageblock, user space no movable chunk yet");
  assert.equal(midPlugRace(s, true), false, "not where ZONE_MOVABLE serves user space's movable pages");
  movableMidPlug(s);
  assert.deepEqual(s.movablePbs, [4 * 512], "the head chunk (2), one chunk only");
  assert.equal(midPlugRace(s, false), false, "met once");
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [2 * BLOCK] })), ["v2"], "the next vmemmap: pageblock 2, still on the per-CPU list");
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [3 * BLOCK] })), ["v3"], "the refill after it takes the free pageblock 3...");
  assert.equal(s.pcp[0], 6 * 512, "...and steals chunk 3, past the movable one");
  userSpaceAfterPlug(s, 3);
  assert.deepEqual(s.movablePbs, [4 * 512, 8 * 512, 10 * 512], "after the plug, two more chunks for the scaled refills");
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["r12"], "the reclaimable steal takes the chunk after them");
  userSpaceAfterPlug(s, 3);
  assert.equal(s.movablePbs.length, 3, "once");
  // x86-pin-trace-q35-2cpu-1500m.trixie: the scaled refills came after the reclaimable steal, which took the chunk
  // right after the plug's.
  const late = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(late, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  movableMidPlug(late, true);
  userSpaceAfterPlug(late, 3);
  assert.deepEqual(late.movablePbs, [4 * 512], "not before its reclaimable steal");
  assert.deepEqual(pbs(userSpaceRuns(late, false, true)), ["r6"], "the reclaimable steal takes chunk 3");
  userSpaceAfterPlug(late, 3, true);
  assert.deepEqual(late.movablePbs, [4 * 512, 8 * 512, 10 * 512], "then the further chunks");
});

test("plug-reclaimable: the kworker's reclaimable page during a plug steals the head chunk, and user space's reclaimable pages go there", () => {
  // a64-pin-trace-4cpu-1600m.r2.trixie: a GFP_ATOMIC|__GFP_RECLAIMABLE order-2 page of the kworker stole chunk 4 between two
  // vmemmaps; sh's first reclaimable page later went to pageblock 8, and no reclaimable steal came.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  assert.equal(reclaimableMidPlugRace(s), true);
  assert.deepEqual(pbs(reclaimableMidPlug(s)), ["r4"], "the head chunk (2)");
  assert.equal(reclaimableMidPlugRace(s), false, "met once");
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), [], "user space's movable pages split chunk 3, and its reclaimable pages need no steal");
  assert.deepEqual(s.movablePbs, [6 * 512]);
  assert.equal(s.intact[0], 8 * 512, "chunk 4 stays intact");
});

test("migrated-busy: met where an unplug reaches the first chunk the vmemmaps stole, once", () => {
  // a64-pin-trace-4cpu-1100m-steals.r2.sid: pageblock 2 (chunk 1, the first vmemmap steal) unplugged after pageblock 1.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.equal(migratedBusyRace(s, 0, BLOCK), false, "no vmemmap yet");
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  assert.equal(s.vmemmapChunk, 2 * 512, "the refill took the free pageblock 1 and stole chunk 1");
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [2 * BLOCK] });
  hotAdd(s, { pageTablesFirst: true, vmemmapSections: [3 * BLOCK] });
  assert.equal(s.vmemmapChunk, 2 * 512, "the first steal only");
  assert.equal(migratedBusyRace(s, 3 * 512, 512), false, "another sub-block");
  assert.equal(migratedBusyRace(s, 2 * 512, 512), true);
  s.migratedDecided = true;
  assert.equal(migratedBusyRace(s, 2 * 512, 512), false, "once");
});

/** The zone's batch after `blocks` 128 MiB blocks are online (zone_batchsize()). */
const batchAt = (blocks: number) => zoneBatch(blocks * BLOCK, 4096);

/** The per-CPU high limits of a Normal zone of `blocks` blocks beside the 2 GiB UEFI guest's DMA zone (502,123 managed pages). */
function limitsAt(blocks: number, cpus: number) {
  const lowmem = 502123 + blocks * BLOCK;
  return pcpHighLimits(blocks * BLOCK, lowWatermark(blocks * BLOCK, lowmem, minFreeKbytes(lowmem, 4096, 512, 2), 4096), batchAt(blocks), cpus);
}

/**
 * Plugs `later` blocks after the first (each hot-add's 64 page-table pages go through the kworker's list): with
 * `cpus`, where refills scale (6.7+) on a machine with that many CPUs; without, refills of the batch (6.1).
 */
function scaledPlug(s: FirstBlockAlloc, later: number, cpus?: number): Pin[] {
  const pins: Pin[] = [];
  for (let i = 1; i <= later; i++) pins.push(...hotAdd(s, { pageTablesFirst: true, vmemmapSections: [i * BLOCK], pageTables: { pages: 64, batch: batchAt(i), ...(cpus ? { limits: limitsAt(i, cpus) } : {}) } }));
  return pins;
}

test("pcpBatchScale, 900M (a64-pin-trace-uefi-900m.r1.trixie): the kworker's refills grow to 2016 pages, take pageblock 7 and steal chunks 4 and 5", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  s.movableChunks = 3;
  const pins = scaledPlug(s, 7, 2);
  // Refills of 7, 14, 28, 56 (block 2), 240 (block 3: batch 15 << 4), then 2016 (block 7: batch 63 << 5): 167 pages
  // of pageblock 0, pageblock 7, chunk 4 (8, 9) and 313 pages of chunk 5 (10). The vmemmaps: 1 to 6, then 11 (the
  // free half of chunk 5) and a steal of chunk 6 (12 left on the list, 13 free).
  assert.deepEqual(pbs(pins.filter((p) => p.kind === "vmemmap")), ["v1", "v2", "v3", "v4", "v5", "v6", "v11"]);
  assert.deepEqual(pbs(pins.filter((p) => p.kind !== "vmemmap")), ["u0"], "block 8's page tables come from pageblock 0's pages on the list");
  assert.equal(s.kworker.factor, 5);
  assert.equal(s.kworker.smallLeft, 0);
  assert.deepEqual(s.kworker.split, { pb: 10 * 512, left: 199 });
  assert.deepEqual(s.unmovableFree, [13 * 512]);
  // User space: CPU 0's small pages reach pageblock 7 on the list, CPU 1's refill takes the rest of 10; movable
  // refills split chunks 7 to 9 and the reclaimable steal takes chunk 10.
  assert.deepEqual(pbs(kernelPagesUsed(s, true)), ["u7", "u10"]);
  assert.equal(s.kworker.factor, 0, "user space's frees halve alloc_factor");
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["r20"]);
  assert.deepEqual(s.movablePbs, [14 * 512, 16 * 512, 18 * 512]);
  assert.deepEqual(kernelPagesUsed(s, true), [], "once");
});

test("6.1, 900M (a64-pin-trace-uefi-900m.r2): refills of the batch, 473 pages in all, stay within pageblock 0", () => {
  // The kworker's refills per block in both 6.1 recordings: 70 (ten of 7), 60 (four of 15), 93, 62, 62 (31 each),
  // 63, 63: pageblock 0 keeps 39 free pages.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  const pins = scaledPlug(s, 7);
  assert.deepEqual(pbs(pins.filter((p) => p.kind !== "vmemmap")), ["u0"]);
  assert.equal(s.kworker.smallLeft, 512 - 473);
  assert.equal(s.kworker.factor, 0);
  assert.deepEqual(pbs(pins.filter((p) => p.kind === "vmemmap")), ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]);
});

test("pcpBatchScale, 700M (a64-pin-trace-uefi-700m): five hot-adds stay within pageblock 0's pages", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  const pins = scaledPlug(s, 5, 2);
  assert.deepEqual(pbs(pins.filter((p) => p.kind !== "vmemmap")), ["u0"]);
  assert.equal(s.kworker.smallLeft, 167, "512 - (7 + 14 + 28 + 56 + 240)");
  assert.deepEqual(kernelPagesUsed(s, true), [], "nothing past pageblock 0");
});

test("pcpBatchScale: a removal frees the page tables and drains the list, so the next plug's refills start small again", () => {
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  scaledPlug(s, 5, 2);
  kernelPagesFreed(s, 4 * 64);
  assert.equal(s.kworker.factor, 0);
  assert.deepEqual(s.kworker.list, []);
  assert.equal(s.kworker.smallLeft, 167 + 25 + 256, "the list's 25 pages and the four blocks' page tables are free again");
  kernelPagesFreed(s, 64);
  assert.equal(s.kworker.smallLeft, 512, "never more than a pageblock");
});

test("unmovable-spill 3 (a64-probe20-uefi-vm-2m-900m, 6.1): once into the free pageblock, and at once on into the chunk after the reclaimable one", () => {
  // 6.1 has no scaled refills: the model's order, then the spill.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  const pins = resize(s, { later: 7, pageTablesFirst: true });
  assert.deepEqual(pbs(pins), ["u0", "r12"]);
  assert.deepEqual(pbs(spill(s, 3)), ["u9", "u14"]);
  assert.equal(s.spillAgain, false, "both moves are done");
});

test("pcpBatchScale with 4 CPUs, 1500M (a64-pin-trace-4cpu-1500m.r1.trixie): a lower pcp->high cuts the fifth refill to 119, the sixth (496) splits pageblock 5", () => {
  // high_min is the zone's low watermark over the node's CPUs: 406 for two blocks with 4 CPUs (zoneinfo recorded
  // 1625 / 4). The fifth refill would be 15 << 4 = 240 but the list holds a pageblock-order page: 406 + 240 - 512 - 15.
  assert.deepEqual(limitsAt(2, 4), { highMin: 406, highMax: 2048 });
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  const pins = scaledPlug(s, 11, 4);
  assert.deepEqual(pbs(pins.filter((p) => p.kind === "vmemmap")), ["v1", "v2", "v3", "v4", "v6", "v7", "v8", "v9", "v10", "v11", "v12"]);
  assert.equal(s.kworker.smallLeft, 0, "7 + 14 + 28 + 56 + 119 + 288 of the 496");
  assert.deepEqual(s.kworker.split, { pb: 5 * 512, left: 512 - 208 });
  assert.equal(s.kworker.factor, 5);
  assert.deepEqual(pbs(pins.filter((p) => p.kind !== "vmemmap")), ["u0", "u5"], "blocks 6 to 12 took pages of 5 from the list");
  assert.deepEqual(kernelPagesUsed(s, true), [], "the list's next pageblock and the rest of the split one are both 5, pinned already");
});

test("nr_pcp_alloc() (6.7+): an order-0 refill doubles while pcp->high allows it, and is cut where it does not", () => {
  const p = { high: 0, factor: 0 };
  const lim = { highMin: 215, highMax: 1024 };
  assert.deepEqual([7, 14, 28, 56].map(() => pcpRefill(p, lim, 7, 0, 0)), [7, 14, 28, 56]);
  assert.deepEqual(p, { high: 215 + 105, factor: 4 });
  assert.equal(pcpRefill(p, lim, 7, 9, 41), 2, "a pageblock-order refill takes 2 pages and raises high by the batch");
  assert.equal(p.high, 327);
  assert.equal(pcpRefill(p, { highMin: 406, highMax: 2048 }, 15, 0, 512), 119, "cut: 406 + 240 - 512 - 15");
  assert.equal(p.factor, 4, "a cut refill does not raise the factor");
  assert.equal(pcpRefill(p, { highMin: 576, highMax: 3072 }, 31, 0, 512), 31 * 16);
  assert.equal(p.factor, 5);
});

test("hotadd-slab (a64-pin-trace-uefi-900m.r1, 6.1): the hot-adds' slab pages take pageblock 0's last pages one refill earlier, so block 8's refill splits 7", () => {
  const run = (early: boolean) => {
    const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
    const asked: number[] = [];
    const pins: Pin[] = [];
    for (let i = 1; i <= 7; i++) {
      const slabFirst = () => (asked.push(i), early);
      pins.push(...hotAdd(s, { pageTablesFirst: true, vmemmapSections: [i * BLOCK], pageTables: { pages: 64, batch: batchAt(i), slabFirst } }));
    }
    return { asked, pins: pbs(pins), used: pbs(kernelPagesUsed(s, true)) };
  };
  // Block 8's refill of 63 is the last that fits in pageblock 0 (102 pages left): asked there, once.
  assert.deepEqual(run(false), { asked: [7], pins: ["u0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"], used: [] });
  // .r1: it took pages of the free pageblock 7 (user space used the first of them) and the last vmemmap's refill
  // then stole chunk 4.
  assert.deepEqual(run(true), { asked: [7], pins: ["u0", "v1", "v2", "v3", "v4", "v5", "v6", "v8"], used: ["u7"] });
});

test("kernel-list (a64-pin-trace-uefi-1800m.r1.trixie): user space's small pages reach the next pageblock on the hot-add CPU's list, or one further", () => {
  const run = (further: boolean) => {
    const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
    s.movableChunks = 3;
    const pins = scaledPlug(s, 13, 2).filter((p) => p.kind !== "vmemmap");
    return [...pbs(pins), ...pbs(kernelPagesUsed(s, true, () => further))];
  };
  // Blocks 8 to 14 took pageblock 0's 167 pages on the list and 281 of pageblock 7 (pinned while the plug ran).
  assert.deepEqual(run(false), ["u0", "u7", "u10"]);
  assert.deepEqual(run(true), ["u0", "u7", "u8", "u10"], "cat took the first page of pageblock 8");
});

test("unmovable-spill 10 (a64-dts-vm-2dev-numa3, 6.1, three CPUs): three moves after user space's run, the third into the free half of the chunk the second stole", () => {
  const s = beforeSpill();
  // Into the free 5, a steal of the next intact chunk (6, 7), then its free half, 7.
  assert.deepEqual(pbs(spill(s, SPILL_THREE)), ["u5", "u6", "u7"]);
  assert.equal(s.spillAgain, false, "no further move later");
  assert.equal(spillRace(s), false, "met once");
  // Twice now (3) stops at the steal.
  assert.deepEqual(pbs(spill(beforeSpill(), 3)), ["u5", "u6"]);
});

test("list-decay: the refill's piece is in the last whole pageblock the decayed list gave back, or a pageblock deeper in the one before it, or pieces in both", () => {
  const run = (depth: number) => {
    const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
    s.movableChunks = 3;
    const pins = scaledPlug(s, 13, 2).filter((p) => p.kind !== "vmemmap");
    const asked: number[] = [];
    const used = kernelPagesUsed(s, true, () => false, undefined, (outcomes) => {
      asked.push(outcomes);
      return depth;
    });
    return { pins: [...pbs(pins), ...pbs(used)], asked };
  };
  const none = run(0);
  assert.deepEqual(none.asked, [4], "two whole pageblocks or more on the list: four outcomes");
  assert.deepEqual(none.pins, ["u0", "u7", "u10"]);
  assert.deepEqual(run(1).pins, ["u0", "u7", "u10", "u9"], "the last whole pageblock on the list");
  assert.deepEqual(run(2).pins, ["u0", "u7", "u10", "u8"], "the one before it");
  // a64-pin-trace-4cpu-1700m-900m.r4.trixie: the list gave back 18 and 17 (decayed at 17.0 s and 18.0 s), and
  // `sh`'s refills on CPU 2 took pages of both (an order-2 refill in 18, an order-0 one of 78 pages across 17 and 18).
  assert.deepEqual(run(3).pins, ["u0", "u7", "u10", "u9", "u8"], "both");
});

test("unmovable-spill 4 (a64-pin-trace-uefi-1800m.r1, 6.1): two moves before user space's movable and reclaimable pages", () => {
  // With pageblocks 0 and 9 full and no free UNMOVABLE pageblock, the agent stole the head chunk (16; 17 used later),
  // then its movable page split the next chunk and the reclaimable steal the one after.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  s.unmovableFree = [];
  s.smallPb = 0;
  s.intact = [16, 18, 20, 22].map((pb) => pb * 512);
  assert.equal(spillRace(s), true, "met with no free UNMOVABLE pageblock: a steal");
  assert.deepEqual(pbs(spill(s, 3)), ["u16", "u17"], "the caller makes outcome 4's moves before user space runs");
  assert.deepEqual(pbs(userSpaceRuns(s, false, true)), ["r20"]);
  assert.deepEqual(s.movablePbs, [18 * 512]);
});

test("unmovable-freed: the pageblocks user space's small unmovable pages took past the small one are named, and met once", () => {
  // kernel-list's pageblocks and another CPU's refill of the partly drawn one are user space's (kernelPagesUsed());
  // so is a spill's move (spillAgain()); the kernel's own page tables (kernelPages()) and the small pageblock are not.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  assert.deepEqual(pbs(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [BLOCK] })), ["u0", "v1"]);
  const moved = spill(s, 1);
  assert.deepEqual(moved, [{ pfn: 3 * 512, kind: "unmovable", user: true }], "the spill's move (the free pageblock the vmemmap refill left) is user space's");
  assert.equal(hotAdd(s, { pageTablesFirst: true, vmemmapSections: [2 * BLOCK] }).some((p) => p.user), false, "the hot-add's pages are the kernel's");
  s.userPbs.push(...moved.map((p) => p.pfn));
  const pinned = (p: number) => p === 0 || p === 3 * 512;
  assert.deepEqual(userFreedCandidates(s, pinned), [3 * 512]);
  assert.equal(userFreedRace(s, 0, 512, pinned), false, "the small pageblock is not user space's here");
  assert.equal(userFreedRace(s, 3 * 512, 512, pinned), true);
  assert.equal(userFreedRace(s, 3 * 512, 512, () => false), false, "a pageblock no longer pinned is not asked about");
  s.freedDecided = true;
  assert.equal(userFreedRace(s, 3 * 512, 512, pinned), false, "met once");
  // The hot-add CPU's list: user space's small pages reach the next pageblock on it, and another CPU takes the rest
  // of the pageblock the last refill drew partly (a64-pin-trace-uefi-900m.r1.trixie), both user space's.
  const t = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  hotAdd(t, { pageTablesFirst: true, vmemmapSections: [BLOCK] });
  t.kworker.smallLeft = 0;
  t.kworker.list = [{ pb: 7 * 512, pages: 300 }, { pb: 8 * 512, pages: 512 }];
  t.kworker.split = { pb: 9 * 512, left: 100 };
  const used = kernelPagesUsed(t, true);
  assert.deepEqual(used.map((p) => [p.pfn / 512, p.user]), [[7, true], [9, true]]);
});

test("vmemmap-orphan (a64-pin-light-4cpu-1700m-900m.r5.trixie): a vmemmap pageblock a removal freed while its chunk's other pageblock is still in use may take user space's next unmovable refill; met once", () => {
  // Vmemmaps in 8 to 11 (chunks 8 and 10); the 900M shrink removed the higher blocks first, freeing 11, 10, then 9.
  const s = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  s.freedVmemmaps.push(11 * 512, 10 * 512, 9 * 512);
  const vmemmap8 = (p: number) => p === 8 * 512;
  // 10 and 11 merged into a free chunk; 9 stays a lone pageblock, the smallest free UNMOVABLE piece: `agent`'s
  // refill took 30 pages of it three seconds after the shrink.
  assert.equal(orphanVmemmap(s, vmemmap8), 9 * 512);
  assert.equal(orphanVmemmap(s, () => false), null, "every freed pageblock merged with its chunk's other half");
  // The quirk's layout (11 freed last while 10 stayed a vmemmap): the orphan freed last is the one named.
  const t = startFirstBlock(G, 0, 2, 0, BLOCK, all);
  t.freedVmemmaps.push(15 * 512, 14 * 512, 11 * 512);
  assert.equal(orphanVmemmap(t, (p) => p === 10 * 512), 11 * 512);
  assert.equal(orphanVmemmap(t, (p) => p === 10 * 512 || p === 11 * 512), null, "a pageblock pinned again is not free");
  t.orphanDecided = true;
  assert.equal(orphanVmemmap(t, (p) => p === 10 * 512), null, "met once");
});
