/**
 * Property tests over CXL machines (issue 9): random sequences of cxl-cli
 * region commands, region sysfs writes, namespaces, dax/kmem
 * reconfiguration and memory block state writes never break the model's
 * invariants (invariants.ts, invariants-cxl.ts) and never throw.
 * MEMHP_PROPERTY_RUNS overrides the number of sequences (default 300).
 */
import { test } from "node:test";
import fc from "fast-check";
import { checkAll } from "./invariants.js";
import { checkCxl } from "./invariants-cxl.js";
import { sysfsWrite } from "./sysfs.js";
import { MiB } from "./units.js";
import { walk } from "./resource.js";
import type { MachineSpec } from "../machine/types.js";
import { bootSystem, applyStep } from "../scenario/runner.js";

const RUNS = Number(process.env.MEMHP_PROPERTY_RUNS ?? 300) / 10 || 30;

type Op =
  | { kind: "create"; devs: number[]; size?: string }
  | { kind: "ns"; region: number; mode: string }
  | { kind: "dax"; dev: number; mode: string; movable: boolean }
  | { kind: "destroy-ns"; region: number }
  | { kind: "region"; action: string; region: number; force: boolean }
  | { kind: "sysfs"; attr: string; value: string; region: number }
  | { kind: "block"; pick: number; value: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), devs: fc.subarray([0, 1], { minLength: 1 }), size: fc.option(fc.constantFrom("256M", "512M", "1G"), { nil: undefined }) }),
  fc.record({ kind: fc.constant("ns" as const), region: fc.nat(2), mode: fc.constantFrom("devdax", "fsdax", "raw") }),
  fc.record({ kind: fc.constant("dax" as const), dev: fc.nat(2), mode: fc.constantFrom("system-ram", "devdax"), movable: fc.boolean() }),
  fc.record({ kind: fc.constant("destroy-ns" as const), region: fc.nat(2) }),
  fc.record({ kind: fc.constant("region" as const), action: fc.constantFrom("disable-region", "enable-region", "destroy-region"), region: fc.nat(2), force: fc.boolean() }),
  fc.record({
    kind: fc.constant("sysfs" as const),
    attr: fc.constantFrom("commit", "size", "interleave_ways", "target0", "uuid"),
    value: fc.constantFrom("0", "1", "0x10000000", "", "decoder2.0", "2"),
    region: fc.nat(2),
  }),
  fc.record({ kind: fc.constant("block" as const), pick: fc.nat(), value: fc.constantFrom("online_movable", "offline", "online") }),
);

const machineArb: fc.Arbitrary<MachineSpec> = fc
  .record({ sizes: fc.tuple(fc.constantFrom(256, 512, 1024), fc.constantFrom(256, 512)), two: fc.boolean(), window: fc.constantFrom(1024, 4096), auto: fc.boolean() })
  .map(({ sizes, two, window, auto }) => ({
    type: "q35" as const,
    memory: 1024 * MiB,
    cpu: "qemu64,hypervisor=off",
    cmdline: auto ? ["memhp_default_state=online_movable"] : ["memhp_default_state=offline"],
    cxl: {
      host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
      root_ports: [
        { id: "rp0", bus: "cxl.1", port: 0 },
        { id: "rp1", bus: "cxl.1", port: 1 },
      ],
      type3: [{ id: "m0", bus: "rp0", size: sizes[0] * MiB, lsa_size: 256 * 1024, sn: 1 }, ...(two ? [{ id: "m1", bus: "rp1", size: sizes[1] * MiB, lsa_size: 256 * 1024, sn: 2 }] : [])],
      windows: [{ targets: ["cxl.1"], size: window * MiB }],
    },
  }));

test(`random CXL region / namespace / kmem sequences keep the model sound (${RUNS} sequences)`, () => {
  fc.assert(
    fc.property(machineArb, fc.array(opArb, { minLength: 1, maxLength: 12 }), (spec, ops) => {
      const sys = bootSystem(spec, { boot: "derive" });
      const k = sys.kernel;
      const boot = sys.layout.memblock.map((r) => ({ start: r.start, end: r.end }));
      const mems = (spec.cxl!.type3.length === 2 ? ["mem0", "mem1"] : ["mem0"]);
      for (const op of ops) {
        let step: Record<string, unknown> | null = null;
        switch (op.kind) {
          case "create": {
            const ms = op.devs.filter((i) => i < mems.length).map((i) => mems[i]);
            if (!ms.length) break;
            step = { op: "cxl", args: ["create-region", "-m", "-t", "pmem", "-d", "decoder0.0", "-w", String(ms.length), ...(op.size ? ["-s", op.size] : []), ...ms] };
            break;
          }
          case "ns":
            step = { op: "create-namespace", region: `region${op.region}`, mode: op.mode };
            break;
          case "dax":
            step = { op: "reconfigure-dax", dev: `dax${op.dev}.0`, mode: op.mode, movable: op.movable, force: true };
            break;
          case "destroy-ns":
            step = { op: "destroy-namespace", namespace: `namespace${op.region}.0` };
            break;
          case "region":
            step = { op: "cxl", args: [op.action, ...(op.force && op.action === "destroy-region" ? ["-f"] : []), `region${op.region}`] };
            break;
          case "sysfs":
            sysfsWrite(k, `/sys/bus/cxl/devices/region${op.region}/${op.attr}`, op.value + "\n");
            break;
          case "block": {
            const ids = [...k.blocks.keys()].sort((a, b) => a - b);
            sysfsWrite(k, `/sys/devices/system/memory/memory${ids[op.pick % ids.length]}/state`, op.value + "\n");
            break;
          }
        }
        if (step) applyStep(sys, step as { op: string });
        const added = [...boot];
        walk(k.iomem, (r) => {
          if (r.name === "System RAM (kmem)") added.push({ start: r.start, end: r.end + 1 });
          return true;
        });
        for (const p of k.pgmaps) added.push({ start: p.start * k.geometry.pageSize, end: p.end * k.geometry.pageSize });
        const problems = [...checkAll(k, added), ...checkCxl(k)];
        if (problems.length) throw new Error(`after ${JSON.stringify(op)}: ${problems.slice(0, 5).join("; ")}`);
      }
    }),
    { numRuns: RUNS, seed: 20261205 },
  );
});
