/**
 * Property tests for arm64 guests (issue 14): random QEMU virt machines
 * (UEFI or device tree, sizes, NUMA, a virtio-mem device) and random
 * operation sequences (virtio-mem resizes, block state writes, DIMMs the
 * kernel ignores, auto-online changes). After every step the model's state
 * is sound (invariants.ts); and a run whose boot is imported from the derived
 * boot's snapshot gives the same trace as the derived run (derive vs import).
 * MEMHP_PROPERTY_RUNS overrides the number of sequences (default 400 here:
 * each one runs a scenario twice).
 */
import { test } from "node:test";
import fc from "fast-check";
import { checkAll } from "../kernel/invariants.js";
import { walk } from "../kernel/resource.js";
import { GiB, MiB } from "../kernel/units.js";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { runnableScenario, scenarioFromValue } from "./load.js";
import { applyStep, bootSystem, runScenario, type RawStep } from "./runner.js";

const RUNS = Math.max(1, Math.floor(Number(process.env.MEMHP_PROPERTY_RUNS ?? 10000) / 25));

interface Machine {
  memory: number;
  acpi: boolean;
  numa: boolean;
  vmSize: number;
  vmBlock: number;
  cmdline: string[];
  /** machine.kernel and arch: Debian's builds (4K, 16K) and overrides of them. */
  kernel: { kernel?: unknown; arch?: string };
}

const KERNELS: Machine["kernel"][] = [
  {},
  { kernel: "6.12" },
  { kernel: "7.2" },
  { kernel: "6.12", arch: "arm64-16k" },
  { kernel: { version: "6.12", config: { CONFIG_ARM64_64K_PAGES: "y" } }, arch: "arm64-64k" },
  { kernel: { version: "6.1", config: { CONFIG_ACPI_HOTPLUG_MEMORY: "y" } } },
  { kernel: { version: "6.12", config: { CONFIG_ACPI_HOTPLUG_MEMORY: "y", CONFIG_ZONE_DEVICE: "n" } } },
];

const machineArb: fc.Arbitrary<Machine> = fc
  .record({
    memory: fc.constantFrom(512 * MiB, GiB, 1536 * MiB, 2 * GiB, 3 * GiB),
    acpi: fc.boolean(),
    numa: fc.boolean(),
    vmSize: fc.constantFrom(256 * MiB, 512 * MiB, GiB),
    vmBlock: fc.constantFrom(2 * MiB, 4 * MiB, 128 * MiB, 256 * MiB),
    cmdline: fc.subarray(["memhp_default_state=online_movable", "memory_hotplug.online_policy=auto-movable", "movable_node"]),
    kernel: fc.constantFrom(...KERNELS),
  })
  .map((m) => ({ ...m, vmBlock: Math.min(m.vmBlock, m.vmSize) }));

type Op =
  | { kind: "resize"; blocks: number }
  | { kind: "state"; pick: number; value: string }
  | { kind: "dimm"; gib: number }
  | { kind: "auto"; value: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("resize" as const), blocks: fc.nat({ max: 512 }) }),
  fc.record({ kind: fc.constant("state" as const), pick: fc.nat(), value: fc.constantFrom("online", "online_kernel", "online_movable", "offline", "offline") }),
  fc.record({ kind: fc.constant("dimm" as const), gib: fc.constantFrom(0, 1) }),
  fc.record({ kind: fc.constant("auto" as const), value: fc.constantFrom("offline", "online", "online_movable") }),
);

function scenarioOf(m: Machine, ops: Op[]): { machine: Record<string, unknown>; steps: RawStep[] } {
  const base = 0x40000000 + m.memory;
  const machine: Record<string, unknown> = {
    type: "virt",
    memory: `${m.memory / MiB}M`,
    maxmem: `${(m.memory + 4 * GiB) / MiB}M`,
    slots: 2,
    cmdline: m.cmdline,
    virtio_mem: [{ id: "vm0", size: `${m.vmSize / MiB}M`, block_size: `${m.vmBlock / MiB}M`, requested_size: "0" }],
  };
  if (!m.acpi) machine.acpi = false;
  if (m.kernel.kernel !== undefined) machine.kernel = m.kernel.kernel;
  if (m.kernel.arch !== undefined) machine.arch = m.kernel.arch;
  if (m.numa) machine.numa = [{ nodeid: 0, cpus: "0", mem: `${m.memory / 2 / MiB}M` }, { nodeid: 1, mem: `${m.memory / 2 / MiB}M` }];
  let n = 0;
  const firstBlock = Math.floor(base / (128 * MiB));
  const steps: RawStep[] = ops.map((op): RawStep => {
    switch (op.kind) {
      case "resize":
        return { op: "virtio-mem-resize", id: "vm0", requested_size: `${((op.blocks * m.vmBlock) % (m.vmSize + m.vmBlock)) / MiB}M` };
      case "state":
        return { op: "write", path: `/sys/devices/system/memory/memory${op.pick % 2 === 0 ? firstBlock + (op.pick % 24) : 8 + (op.pick % 8)}/state`, value: op.value };
      case "dimm":
        return { op: "plug-dimm", id: `d${n++}`, size: "128M" };
      case "auto":
        return { op: "write", path: "/sys/devices/system/memory/auto_online_blocks", value: op.value };
    }
  });
  return { machine, steps };
}

test(`random arm64 (virt) sequences keep the model sound and derive = import (${RUNS} sequences)`, () => {
  fc.assert(
    fc.property(machineArb, fc.array(opArb, { minLength: 1, maxLength: 10 }), (m, ops) => {
      const raw = { name: "arm64-random", ...scenarioOf(m, ops) };
      const sc = scenarioFromValue(raw, "arm64-random.json");
      // Invariants after every step of a derived run.
      const sys = bootSystem(sc.machine, { boot: "derive" });
      const k = sys.kernel;
      const boot = sys.layout.memblock.map((r) => ({ start: r.start, end: r.end }));
      for (const step of sc.steps) {
        applyStep(sys, step.raw);
        const added = [...boot];
        walk(k.iomem, (r) => {
          // Hot-added RAM: virtio-mem, dax kmem, and DIMMs where the build has CONFIG_ACPI_HOTPLUG_MEMORY (above boot RAM).
          if (r.name === "System RAM (virtio_mem)" || r.name === "System RAM (kmem)" || (r.name === "System RAM" && r.start >= 0x80000000)) added.push({ start: r.start, end: r.end + 1 });
          return true;
        });
        const problems = checkAll(k, added);
        if (problems.length) throw new Error(`after ${JSON.stringify(step.raw)}: ${problems.slice(0, 5).join("; ")}`);
      }
      // Derive vs import: the derived run, taken as a recording, reproduces with its boot imported.
      const derived = runScenario(runnableScenario(sc), { boot: "derive" });
      const text = JSON.stringify({ ...derived, scenario: raw, arch: "arm64" });
      const r = checkTrace(text, "arm64-random.json", "import");
      if (r.mismatches.length) throw new Error(r.mismatches.slice(0, 3).map((x) => formatMismatch("arm64-random", x)).join("\n"));
    }),
    { numRuns: RUNS, seed: 20261205 },
  );
});
