/**
 * The arm64 kernel's default CMA area (64 MiB, dma_contiguous_reserve()) is
 * part of the boot layout, and its pages count as movable for the
 * auto-movable online policy (zone->cma_pages in
 * auto_movable_stats_account_zone()): evidence a64-dts-vm-automovable.trixie.
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
