/**
 * The glue of page-alloc.ts on a booted machine: which zone's first block a
 * removal's page tables go back to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../scenario/load.js";
import { bootSystem } from "../scenario/runner.js";
import { pageAllocRemove } from "./page-alloc.js";
import { startFirstBlock } from "./page-alloc-pins.js";
import { ZONE_NORMAL } from "./zone.js";

test("a removal frees its linear-map page tables into the zone they came from: the hot-adding CPU's node, for that node's blocks only", () => {
  // Device tree, two nodes, CPU 0 on node 0: a hot-add on node 0 drew its page tables through CPU 0's list from
  // node 0's first kernel block (pageAllocHotAdd: localCpu); one on node 1 did not draw from either modelled list.
  const sc = parseScenario(JSON.stringify({ machine: { type: "virt", acpi: false, memory: "2G", smp: 2, maxmem: "8G", slots: 1, numa: [{ nodeid: 0, mem: "1G", cpus: "0" }, { nodeid: 1, mem: "1G", cpus: "1" }] } }), "two-nodes.json");
  const k = bootSystem(sc.machine, { boot: "derive", profile: "6.12" }).kernel;
  assert.deepEqual(k.cpusByNode, { 0: [0], 1: [1] });
  const block = 32768;
  const first = (nid: number, pfn: number) => {
    const s = startFirstBlock({ pageblockPages: 512, chunkPages: 1024 }, nid, ZONE_NORMAL, pfn, block, (_p, n) => n);
    s.smallPb = pfn;
    s.kworker.smallLeft = 100;
    k.firstBlockAllocs.push(s);
    return s;
  };
  const n0 = first(0, 0x100000);
  const n1 = first(1, 0x200000);
  pageAllocRemove(k, 0x208000, block, 1);
  assert.equal(n0.kworker.smallLeft, 100, "node 1's page tables did not come from node 0's zone");
  assert.equal(n1.kworker.smallLeft, 100, "nor from node 1's: no CPU 0 there");
  pageAllocRemove(k, 0x108000, block, 0);
  assert.equal(n0.kworker.smallLeft, 164, "a 128 MiB block's 64 page-table pages are free again in node 0's zone");
  assert.equal(n1.kworker.smallLeft, 100);
});
