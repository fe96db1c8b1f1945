/**
 * Property (issue 12 acceptance): over random scenarios — pc/q35/synthetic
 * machines with NUMA, DIMMs, virtio-mem and boot options; DIMM plugs and
 * unplugs, state/online writes to boot and hot-added blocks, virtio-mem
 * resizes, policy changes — no step throws, the kernel invariants hold after
 * every step, the run is deterministic, and the model's own trace replays
 * under `--boot import` (the two boot modes agree on it).
 * MEMHP_REPLAY_RUNS overrides the number of scenarios (default 150).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkBlocks, checkIomem, checkNodes, checkZones } from "../kernel/invariants.js";
import { checkTrace } from "./check.js";
import { scenarioFromValue } from "./load.js";
import { applyStep, bootSystem, runScenario, type RawStep, type RunnableScenario } from "./runner.js";

const RUNS = Number(process.env.MEMHP_REPLAY_RUNS ?? 150);

type Machine = Record<string, unknown>;

const machineArb: fc.Arbitrary<Machine> = fc
  .record({
    type: fc.constantFrom("pc", "q35", "synthetic"),
    memory: fc.constantFrom("1G", "2G", "3G", "4G", "6G"),
    numa: fc.boolean(),
    virtio: fc.boolean(),
    virtioNode: fc.constantFrom(0, 1),
    requested: fc.constantFrom("0", "128M", "512M"),
    cmdline: fc.subarray(["memhp_default_state=online", "movable_node", "memory_hotplug.memmap_on_memory=1", "memory_hotplug.online_policy=auto-movable"]),
  })
  .map((m) => {
    const machine: Machine = { type: m.type, memory: m.memory, maxmem: "16G", slots: 4, cmdline: m.cmdline };
    const half = `${parseInt(m.memory, 10) * 512}M`;
    if (m.numa) machine.numa = [{ nodeid: 0, cpus: "0", mem: half }, { nodeid: 1, mem: half }];
    if (m.virtio && m.type !== "synthetic") {
      machine.virtio_mem = [{ id: "vm0", size: "1G", requested_size: m.requested, ...(m.numa ? { node: m.virtioNode } : {}) }];
    }
    return machine;
  });

const stepArb: fc.Arbitrary<RawStep> = fc.oneof(
  fc.record({ op: fc.constant("plug-dimm"), id: fc.constantFrom("d1", "d2", "d3"), size: fc.constantFrom("128M", "256M", "512M", "1G"), node: fc.constantFrom(undefined, 1) }).map((s) => {
    const o: RawStep = { op: s.op, id: s.id, size: s.size };
    if (s.node !== undefined) o.node = s.node;
    return o;
  }),
  fc.record({ op: fc.constant("unplug-dimm"), id: fc.constantFrom("d1", "d2", "d3") }),
  fc.record({
    op: fc.constant("write"),
    block: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 32, max: 64 }), fc.integer({ min: 64, max: 140 })),
    attr: fc.constantFrom("state", "state", "online"),
    value: fc.constantFrom("offline", "online", "online_kernel", "online_movable", "0", "1"),
  }).map((s) => ({ op: "write", path: `/sys/devices/system/memory/memory${s.block}/${s.attr}`, value: s.value })),
  fc.record({ op: fc.constant("write"), value: fc.constantFrom("offline", "online", "online_movable") }).map((s) => ({ op: "write", path: "/sys/devices/system/memory/auto_online_blocks", value: s.value })),
  fc.record({ op: fc.constant("virtio-mem-resize"), id: fc.constant("vm0"), requested_size: fc.constantFrom("0", "128M", "256M", "1G") }),
);

function scenarioOf(machine: Machine, steps: RawStep[], n: number): RunnableScenario {
  // Steps for devices the machine lacks are dropped (they are bad input, not a kernel case).
  const kept = steps.filter((s) => s.op !== "virtio-mem-resize" || machine.virtio_mem !== undefined);
  const s = scenarioFromValue({ name: `replay-${n}`, machine, steps: kept }, `replay-${n}`);
  return { name: s.name, machine: s.machine, steps: s.steps.map((x) => x.raw as RawStep), raw: s.raw };
}

test(`the model's own traces replay under --boot import; invariants hold; deterministic (${RUNS} scenarios)`, () => {
  let n = 0;
  fc.assert(
    fc.property(machineArb, fc.array(stepArb, { minLength: 1, maxLength: 8 }), (machine, steps) => {
      const scn = scenarioOf(machine, steps, n++);
      // Every step applies without throwing; the state stays sound after each.
      const sys = bootSystem(scn.machine, { boot: "derive" });
      for (const [i, step] of scn.steps.entries()) {
        applyStep(sys, step);
        const k = sys.kernel;
        const problems = [...checkIomem(k), ...checkBlocks(k), ...checkZones(k), ...checkNodes(k)];
        if (problems.length) throw new Error(`step ${i} ${JSON.stringify(step)}: ${problems.slice(0, 3).join("; ")}`);
      }
      const first = JSON.stringify(runScenario(scn, { boot: "derive" }));
      assert.equal(JSON.stringify(runScenario(scn, { boot: "derive" })), first, "two runs differ");
      const r = checkTrace(first, scn.name, "import");
      if (r.mismatches.length) {
        const m = r.mismatches[0];
        throw new Error(`import disagrees with derive at ${m.step}, ${m.field}: expected ${JSON.stringify(m.expected).slice(0, 200)}, got ${JSON.stringify(m.got).slice(0, 200)}\n${JSON.stringify(scn.raw)}`);
      }
    }),
    { numRuns: RUNS, seed: 20261205 },
  );
});

// Found by the property: a node whose Normal zone spans virtio-mem memory above another node's
// boot memory made import give that memory (and the memblock allocations at its top) to the wrong node.
for (const memory of ["2G", "6G"]) {
  test(`q35 with two NUMA nodes, virtio-mem on node 0 and memhp_default_state=online (${memory}): both boot modes agree on offlining every boot block`, () => {
    const gib = parseInt(memory, 10);
    const half = `${gib * 512}M`;
    const machine = {
      type: "q35", memory, maxmem: "16G",
      numa: [{ nodeid: 0, cpus: "0", mem: half }, { nodeid: 1, mem: half }],
      virtio_mem: [{ id: "vm0", size: "2G", requested_size: "128M", node: 0 }],
      cmdline: ["memhp_default_state=online"],
    };
    const steps = Array.from({ length: 72 }, (_, i) => ({ op: "write", path: `/sys/devices/system/memory/memory${i}/state`, value: "offline" }));
    const scn = scenarioOf(machine, steps, 0);
    const trace = JSON.stringify(runScenario(scn, { boot: "derive" }));
    assert.deepEqual(checkTrace(trace, scn.name, "import").mismatches, []);
  });
}
