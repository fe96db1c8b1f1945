/**
 * Property tests: random operation sequences on random machines; after every
 * step the state must be sound (invariants.ts) and nothing may throw.
 * MEMHP_PROPERTY_RUNS overrides the number of sequences (default 10,000).
 */
import { test } from "node:test";
import fc from "fast-check";
import { checkAll } from "./invariants.js";
import { sysfsWrite } from "./sysfs.js";
import { GiB, MiB } from "./units.js";
import type { MachineSpec } from "../machine/types.js";
import { bootSystem } from "../scenario/runner.js";

const RUNS = Number(process.env.MEMHP_PROPERTY_RUNS ?? 10000);

type Op =
  | { kind: "plug"; blocks: number; offsetBlocks: number; misalign: number; auto: boolean }
  | { kind: "unplug"; pick: number }
  | { kind: "state"; pick: number; value: string }
  | { kind: "online"; pick: number; value: string }
  | { kind: "auto"; value: string }
  | { kind: "policy"; value: string }
  | { kind: "ratio"; value: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("plug" as const),
    blocks: fc.integer({ min: 1, max: 8 }),
    offsetBlocks: fc.integer({ min: 0, max: 40 }),
    misalign: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 63 })),
    auto: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("unplug" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("state" as const), pick: fc.nat(), value: fc.constantFrom("online", "online_kernel", "online_movable", "offline", "offline", "bogus") }),
  fc.record({ kind: fc.constant("online" as const), pick: fc.nat(), value: fc.constantFrom("0", "1", "yes", "n", "2") }),
  fc.record({ kind: fc.constant("auto" as const), value: fc.constantFrom("offline", "online", "online_kernel", "online_movable") }),
  fc.record({ kind: fc.constant("policy" as const), value: fc.constantFrom("contig-zones", "auto-movable") }),
  fc.record({ kind: fc.constant("ratio" as const), value: fc.constantFrom("0", "100", "301", "3000") }),
);

const machineArb: fc.Arbitrary<MachineSpec> = fc.record({
  type: fc.constantFrom("synthetic" as const, "synthetic" as const, "pc" as const),
  memory: fc.constantFrom(512 * MiB, GiB, 2 * GiB, 3 * GiB),
  cmdline: fc.subarray(["movable_node", "memhp_default_state=online", "memory_hotplug.memmap_on_memory=1"]),
}).map((m) => ({ ...m, maxmem: m.memory + 8 * GiB, slots: 6 }));

test(`random hotplug sequences keep the model sound (${RUNS} sequences)`, () => {
  fc.assert(
    fc.property(machineArb, fc.array(opArb, { minLength: 1, maxLength: 14 }), (spec, ops) => {
      const sys = bootSystem(spec, { boot: "derive" });
      const k = sys.kernel;
      const boot = sys.layout.memblock.map((r) => ({ start: r.start, end: r.end }));
      const region = sys.layout.deviceMemory!;
      let n = 0;
      const blockIds = () => [...k.blocks.keys()].sort((a, b) => a - b);
      for (const op of ops) {
        switch (op.kind) {
          case "plug": {
            const addr = region.base + op.offsetBlocks * 128 * MiB + op.misalign * 2 * MiB;
            sys.plugDimm({ id: `d${n++}`, size: op.blocks * 128 * MiB, addr: op.auto ? undefined : addr });
            break;
          }
          case "unplug": {
            const dimms = sys.devices.filter((d) => d.kind === "dimm");
            if (dimms.length) sys.unplugDimm(dimms[op.pick % dimms.length].id);
            break;
          }
          case "state":
          case "online": {
            const ids = blockIds();
            const id = ids[op.pick % ids.length];
            sysfsWrite(k, `/sys/devices/system/memory/memory${id}/${op.kind}`, op.value + "\n");
            break;
          }
          case "auto":
            sysfsWrite(k, "/sys/devices/system/memory/auto_online_blocks", op.value + "\n");
            break;
          case "policy":
            sysfsWrite(k, "/sys/module/memory_hotplug/parameters/online_policy", op.value + "\n");
            break;
          case "ratio":
            sysfsWrite(k, "/sys/module/memory_hotplug/parameters/auto_movable_ratio", op.value + "\n");
            break;
        }
        const added = [
          ...boot,
          ...[...k.acpiMemDevices.values()].filter((d) => d.enabled).map((d) => ({ start: d.start, end: d.start + d.size })),
        ];
        const problems = checkAll(k, added);
        if (problems.length) {
          throw new Error(`after ${JSON.stringify(op)}: ${problems.slice(0, 5).join("; ")}`);
        }
      }
    }),
    { numRuns: RUNS, seed: 20261125 },
  );
});
