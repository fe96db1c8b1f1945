/**
 * Rules found by the device-tree/NUMA sweep (issue 14, test/oracle/arm64/traces/a64-dts-*): the default CMA area is part
 * of the arm64 boot layout, and its pages count as movable for the auto-movable online policy (zone->cma_pages in
 * auto_movable_stats_account_zone(); a64-dts-vm-automovable.trixie); a /memory node from 4 GiB up has a longer name in
 * the unflattened device tree (a64-dts-numa4-3584m.trixie, a64-mb-dts-numa4.trixie).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB, MiB } from "../kernel/units.js";
import { virtBootLayout } from "./virt.js";
import type { MachineSpec } from "./types.js";

const twoNodes: MachineSpec = {
  type: "virt",
  acpi: false,
  memory: 2 * GiB,
  maxmem: 8 * GiB,
  slots: 1,
  smp: 2,
  cmdline: [],
  numa: [
    { nodeid: 0, cpus: "0", mem: 1536 * MiB },
    { nodeid: 1, cpus: "1", mem: 512 * MiB },
  ],
};

test("arm64 boot layout: one 64 MiB CMA area below the DMA limit, on the node at the top of RAM", () => {
  for (const build of ["6.1", "6.12"]) {
    const l = virtBootLayout(twoNodes, build);
    assert.equal(l.cma?.length, 1, build);
    const [c] = l.cma!;
    assert.equal(c.end - c.start, 64 * MiB);
    assert.ok(c.start >= 0x40000000 + 1536 * MiB && c.end <= 0xc0000000, `${build}: CMA ${c.start.toString(16)} on node 1`);
    assert.equal(c.start % (2 * MiB), 0);
  }
});

test("device tree: a /memory node at or above 4 GiB has a longer name (memory@100000000), 8 more bytes unflattened", async () => {
  const { arm64BootRam } = await import("./arm64-boot.js");
  const { virtMap } = await import("./virt.js");
  // Four nodes, the last from 0x100000000 (a64-dts-numa4-3584m.trixie: the tree takes 51460 bytes, from 0x11f8fc6f8).
  const spec: MachineSpec = {
    type: "virt",
    acpi: false,
    memory: 3584 * MiB,
    maxmem: 8 * GiB,
    slots: 1,
    smp: 6,
    cmdline: [],
    numa: [
      { nodeid: 0, cpus: "0", mem: 512 * MiB },
      { nodeid: 1, cpus: "1-2", mem: GiB },
      { nodeid: 2, cpus: "3", mem: 1536 * MiB },
      { nodeid: 3, cpus: "4-5", mem: 512 * MiB },
    ],
  };
  const ram = arm64BootRam(spec, virtMap(spec), false, "6.12");
  assert.ok(ram.reserved.some((r) => r.start === 0x11f8fc6f8 && r.end === 0x11f908ffc), "the unflattened tree at 0x11f8fc6f8");
});

test("memblock bottom-up: the lowest aligned fit at or above min, on the node asked for", async () => {
  const { Memblock } = await import("./arm64-memblock.js");
  const mb = new Memblock();
  mb.addMemory(0x40000000, 0x100000000, false, 0);
  mb.addMemory(0x100000000, 0x140000000, false, 1);
  mb.reserve(0x100000000, 0x100001000);
  assert.equal(mb.alloc({ size: 64 * MiB, align: 2 * MiB, min: 4 * GiB, max: 0x140000000, nid: 1, exact: true, bottomUp: true }), 0x100200000);
  assert.equal(mb.alloc({ size: 64 * MiB, align: 2 * MiB, min: 4 * GiB, max: 0x140000000, nid: 0, exact: true, bottomUp: true }), null);
});

test("7.2 on a NUMA device tree: a 64 MiB CMA area per node after the global one (dma_numa_cma_reserve)", () => {
  const spec: MachineSpec = {
    type: "virt",
    acpi: false,
    memory: 2 * GiB,
    maxmem: 4 * GiB,
    slots: 1,
    smp: 3,
    cmdline: [],
    numa: [
      { nodeid: 0, cpus: "0-1", mem: GiB },
      { nodeid: 1, mem: 768 * MiB },
      { nodeid: 2, cpus: "2", mem: 256 * MiB },
    ],
  };
  // a64-dts-numa3-cpuless-mid.sid: "cma: Reserved 64 MiB at" 0xbba00000 (global), 0x7be00000, 0xabe00000, 0xb7a00000.
  const reserved = virtBootLayout(spec, "7.2").iomem.flatMap((r) => r.children ?? []).filter((c) => c.name === "reserved");
  // All four are CMA (zone cma_pages: movable for auto-movable, a64-dts-vm-automovable.sid).
  assert.deepEqual(virtBootLayout(spec, "7.2").cma?.map((c) => c.start), [0xbba00000, 0x7be00000, 0xabe00000, 0xb7a00000]);
  for (const at of [0xbba00000, 0x7be00000, 0xabe00000, 0xb7a00000]) assert.ok(reserved.some((r) => r.start <= at && at + 64 * MiB - 1 <= r.end), `CMA at 0x${at.toString(16)}`);
  assert.equal(virtBootLayout(spec, "6.12").iomem.flatMap((r) => r.children ?? []).filter((c) => c.name === "reserved" && c.start <= 0x7be00000 && 0x7fdfffff <= c.end).length, 0);
});
