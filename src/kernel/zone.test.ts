/**
 * Zonelist fallback order (build_zonelists / find_next_best_node): headless
 * nodes first among equals, nodes numbered below the local one last, and the
 * round-robin load shared by all nodes of one rebuild. Checked against the
 * real kernel by test/oracle/traces/h-numa3-dimms.json ("Fallback order for
 * Node 0: 0 2 1" with node 2 CPU-less).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernel } from "./kernel.js";
import { fallbackOrder } from "./zone.js";
import { resolveRules } from "./profile.js";

function kernelWith(cpus: Record<number, number[]>, distances: Record<string, number> = {}, version = "6.1"): Kernel {
  const k = Object.create(Kernel.prototype) as Kernel;
  (k as { rules: unknown }).rules = resolveRules(version);
  k.cpusByNode = cpus;
  k.distances = distances;
  return k;
}

test("a node without CPUs comes before nodes with CPUs at the same distance", () => {
  const k = kernelWith({ 0: [0], 1: [1], 2: [] });
  assert.deepEqual(fallbackOrder(k, 0, [0, 1, 2]), [0, 2, 1]);
  assert.deepEqual(fallbackOrder(k, 1, [0, 1, 2]), [1, 2, 0]);
  assert.deepEqual(fallbackOrder(k, 2, [0, 1, 2]), [2, 0, 1]);
});

test("nodes numbered below the local node come after those above it", () => {
  const k = kernelWith({ 0: [0], 1: [1], 2: [2], 3: [3] });
  assert.deepEqual(fallbackOrder(k, 2, [0, 1, 2, 3]), [2, 3, 0, 1]);
});

test("distance decides first; nodes without memory are never fallbacks, the local node always leads", () => {
  const d = { "0,1": 30, "1,0": 30, "0,2": 15, "2,0": 15 };
  const k = kernelWith({ 0: [0], 1: [1], 2: [2] }, d);
  assert.deepEqual(fallbackOrder(k, 0, [0, 1, 2]), [0, 2, 1]);
  assert.deepEqual(fallbackOrder(k, 0, [1]), [0, 1]);
  assert.deepEqual(fallbackOrder(k, 3, [0, 1]), [3, 0, 1]);
});

test("the first node of a new distance group takes load, which later nodes' orders see", () => {
  // Four nodes with CPUs, all at distance 20: node 0 picks 1 first (load[1] = 1, new distance group).
  const k = kernelWith({ 0: [0], 1: [1], 2: [2], 3: [3] });
  const load = new Map<number, number>();
  assert.deepEqual(fallbackOrder(k, 0, [0, 1, 2, 3], load), [0, 1, 2, 3]);
  assert.equal(load.get(1), 1);
  // Node 3: 0, 1 and 2 are all below it (+1 each); 1 carries load, so 0 then 2 then 1.
  assert.deepEqual(fallbackOrder(k, 3, [0, 1, 2, 3], load), [3, 0, 2, 1]);
});

test("6.12 on: a memoryless local node is left out of its own order (6.1 lists it first)", () => {
  assert.deepEqual(fallbackOrder(kernelWith({ 0: [0], 1: [1] }), 1, [0]), [1, 0]);
  assert.deepEqual(fallbackOrder(kernelWith({ 0: [0], 1: [1] }, {}, "6.12"), 1, [0]), [0]);
  assert.deepEqual(fallbackOrder(kernelWith({ 0: [0], 1: [1] }, {}, "6.12"), 1, [0, 1]), [1, 0]);
});

test("offlining a node's last memory: 6.1 rebuilds the zonelists with the node still in N_MEMORY, 6.12 on without it", async () => {
  const { bootSystem } = await import("../scenario/runner.js");
  const { sysfsWrite } = await import("./sysfs.js");
  const GiB = 2 ** 30;
  const orders = (profile: string) => {
    const sys = bootSystem({ type: "pc", memory: GiB, maxmem: 4 * GiB, slots: 2, smp: 2, cmdline: ["memhp_default_state=online_movable"], numa: [{ nodeid: 0, cpus: "0", mem: GiB }, { nodeid: 1, cpus: "1" }] }, { boot: "derive", profile });
    sys.plugDimm({ id: "d1", size: 128 * 2 ** 20, addr: 4 * GiB, node: 1 });
    const k = sys.kernel;
    k.log.splice(0);
    assert.deepEqual(sysfsWrite(k, "/sys/devices/system/memory/memory32/state", "offline\n"), { ok: true });
    return k.log.filter((l) => l.text.startsWith("Fallback order")).map((l) => l.text);
  };
  // test/oracle/cxl/cxl-pmem-numa.json step 5 (6.1); cxl/cxl-pmem-numa.trixie and cxl-probe67-ram-numa.sid step 13.
  assert.deepEqual(orders("6.1"), ["Fallback order for Node 0: 0 1 ", "Fallback order for Node 1: 1 0 "]);
  assert.deepEqual(orders("6.12"), ["Fallback order for Node 0: 0 ", "Fallback order for Node 1: 0 "]);
});
