/**
 * Property tests over CXL ram regions (issue 9, 6.12 and 7.2): a volatile
 * device's region assembled through the sysfs ABI and bound (dax_cxl hands
 * dax0.0 to kmem), then random daxctl reconfigurations, memory block state
 * writes, dax driver binds and region disable/enable/destroy never break the
 * model's invariants and never throw. Plus the dax bus's type matching: a
 * kmem-typed region's device binds to device_dax only through new_id.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkAll } from "./invariants.js";
import { checkCxl } from "./invariants-cxl.js";
import { sysfsRead, sysfsWrite } from "./sysfs.js";
import { MiB } from "./units.js";
import { walk } from "./resource.js";
import type { MachineSpec } from "../machine/types.js";
import { bootSystem, applyStep } from "../scenario/runner.js";
import type { System } from "../machine/system.js";

const RUNS = Number(process.env.MEMHP_PROPERTY_RUNS ?? 300) / 10 || 30;

function machine(version: string, size: number, auto: string): MachineSpec {
  return {
    type: "q35",
    memory: 1024 * MiB,
    cpu: "qemu64,hypervisor=off",
    cmdline: [`memhp_default_state=${auto}`],
    kernel: { version },
    cxl: {
      host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
      root_ports: [
        { id: "rp0", bus: "cxl.1", port: 0 },
        { id: "rp1", bus: "cxl.1", port: 1 },
      ],
      type3: [{ id: "v0", bus: "rp0", size: size * MiB, volatile: true, sn: 1 }],
      windows: [{ targets: ["cxl.1"], size: 4096 * MiB }],
    },
  } as MachineSpec;
}

/** The trace's sysfs sequence: create_ram_region, geometry, the endpoint decoder, target0, commit, bind. */
function assembleRamRegion(sys: System, size: number): void {
  const k = sys.kernel;
  const w = (path: string, value: string) => assert.equal(sysfsWrite(k, path, value + "\n").ok, true, `${path} <- ${value}`);
  w("/sys/bus/cxl/devices/decoder0.0/create_ram_region", "region0");
  w("/sys/bus/cxl/devices/region0/interleave_granularity", "256");
  w("/sys/bus/cxl/devices/region0/interleave_ways", "1");
  w("/sys/bus/cxl/devices/region0/size", `0x${(size * MiB).toString(16)}`);
  w("/sys/bus/cxl/devices/decoder2.0/mode", "ram");
  w("/sys/bus/cxl/devices/decoder2.0/dpa_size", `0x${(size * MiB).toString(16)}`);
  w("/sys/bus/cxl/devices/region0/target0", "decoder2.0");
  w("/sys/bus/cxl/devices/region0/commit", "1");
  w("/sys/bus/cxl/drivers/cxl_region/bind", "region0");
}

/** The invariants, with boot memory, kmem's System RAM and ZONE_DEVICE mappings as the memory that may exist. */
function problems(sys: System): string[] {
  const k = sys.kernel;
  const added = sys.layout.memblock.map((r) => ({ start: r.start, end: r.end }));
  walk(k.iomem, (r) => {
    if (r.name === "System RAM (kmem)") added.push({ start: r.start, end: r.end + 1 });
    return true;
  });
  for (const p of k.pgmaps) added.push({ start: p.start * k.geometry.pageSize, end: p.end * k.geometry.pageSize });
  return [...checkAll(k, added), ...checkCxl(k)].slice(0, 5);
}

for (const version of ["6.12", "7.2"]) {
  test(`${version}: a bound ram region's dax0.0 is kmem's by type; device_dax takes it only through new_id`, () => {
    const sys = bootSystem(machine(version, 256, "online_movable"), { boot: "derive" });
    const k = sys.kernel;
    assembleRamRegion(sys, 256);
    const uuid = sysfsRead(k, "/sys/bus/cxl/devices/region0/uuid");
    assert.ok(uuid.ok && uuid.value === "\n", "a ram region's uuid is empty");
    let kmem = false;
    walk(k.iomem, (r) => {
      if (r.name === "System RAM (kmem)" && r.start === 0x110000000 && r.end === 0x11fffffff) kmem = true;
      return true;
    });
    assert.ok(kmem, "System RAM (kmem) over the whole region");
    // Offline the memory, let kmem go, then device_dax: no match by type.
    for (const id of [34, 35]) assert.equal(sysfsWrite(k, `/sys/devices/system/memory/memory${id}/state`, "offline\n").ok, true);
    assert.equal(sysfsWrite(k, "/sys/bus/dax/drivers/kmem/unbind", "dax0.0\n").ok, true);
    assert.equal(sysfsWrite(k, "/sys/bus/dax/drivers/device_dax/bind", "dax0.0\n").ok, false);
    assert.equal(sysfsWrite(k, "/sys/bus/dax/drivers/device_dax/new_id", "dax0.0\n").ok, true);
    assert.ok(sysfsRead(k, "/sys/bus/dax/devices/dax0.0/numa_node").ok);
    assert.deepEqual(problems(sys), []);
  });
}

type Op =
  | { kind: "dax"; mode: string; movable: boolean }
  | { kind: "region"; action: string }
  | { kind: "block"; pick: number; value: string }
  | { kind: "driver"; drv: string; action: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("dax" as const), mode: fc.constantFrom("system-ram", "devdax"), movable: fc.boolean() }),
  fc.record({ kind: fc.constant("region" as const), action: fc.constantFrom("disable-region", "enable-region", "destroy-region") }),
  fc.record({ kind: fc.constant("block" as const), pick: fc.nat(), value: fc.constantFrom("online_movable", "offline", "online") }),
  fc.record({ kind: fc.constant("driver" as const), drv: fc.constantFrom("kmem", "device_dax"), action: fc.constantFrom("bind", "unbind", "new_id", "remove_id") }),
);

test(`random ram-region kmem / devdax / teardown sequences keep the model sound on 6.12 and 7.2 (${RUNS} sequences)`, () => {
  fc.assert(
    fc.property(fc.constantFrom("6.12", "7.2"), fc.constantFrom(256, 512), fc.constantFrom("online_movable", "online", "offline"), fc.array(opArb, { minLength: 1, maxLength: 10 }), (version, size, auto, ops) => {
      const sys = bootSystem(machine(version, size, auto), { boot: "derive" });
      const k = sys.kernel;
      assembleRamRegion(sys, size);
      for (const op of ops) {
        switch (op.kind) {
          case "dax":
            applyStep(sys, { op: "reconfigure-dax", dev: "dax0.0", mode: op.mode, movable: op.movable, force: true } as { op: string });
            break;
          case "region":
            applyStep(sys, { op: "cxl", args: [op.action, "region0"] } as { op: string });
            break;
          case "block": {
            const ids = [...k.blocks.keys()].sort((a, b) => a - b);
            sysfsWrite(k, `/sys/devices/system/memory/memory${ids[op.pick % ids.length]}/state`, op.value + "\n");
            break;
          }
          case "driver":
            sysfsWrite(k, `/sys/bus/dax/drivers/${op.drv}/${op.action}`, "dax0.0\n");
            break;
        }
        const found = problems(sys);
        if (found.length) throw new Error(`after ${JSON.stringify(op)}: ${found.join("; ")}`);
      }
    }),
    { numRuns: RUNS, seed: 20261205 },
  );
});
