import { test } from "node:test";
import assert from "node:assert/strict";
import { adjustZoneRange, parseCoreSize, zoneMovablePfns } from "./zone-movable.js";
import { ZONE_DMA32, ZONE_MOVABLE } from "./zone.js";

test("parseCoreSize: sizes with memparse suffixes and percentages", () => {
  assert.deepEqual(parseCoreSize("512M"), { bytes: 512 * 2 ** 20 });
  assert.deepEqual(parseCoreSize("1g"), { bytes: 2 ** 30 });
  assert.deepEqual(parseCoreSize("4096"), { bytes: 4096 });
  assert.deepEqual(parseCoreSize("25%"), { percent: 25 });
  assert.equal(parseCoreSize("101%"), null);
  assert.equal(parseCoreSize("mirror"), null);
  assert.equal(parseCoreSize("1X"), null);
});

// x-probe8-movablecore (x86 pc, 2 GiB, movablecore=512M): memblock [0x1000, 0x9f000) and [0x100000, 0x7ffe0000);
// zoneinfo: DMA32 4096 + 389120 pages, Movable from pfn 393216 (0x60000000), 131040 pages.
const pc2g = [
  { start: 0x1, end: 0x9f, nid: 0 },
  { start: 0x100, end: 0x7ffe0, nid: 0 },
];

test("movablecore=512M on a 2 GiB pc: ZONE_MOVABLE from 0x60000000 (the kernel's share rounded up to 4 MiB)", () => {
  const z = zoneMovablePfns(pc2g, null, { bytes: 512 * 2 ** 20 }, 0x1000, 1024, 4096);
  assert.deepEqual([...z], [[0, 0x60000]]);
  assert.deepEqual(adjustZoneRange(ZONE_DMA32, 0x1000, 0x7ffe0, 0x7ffe0, 0x60000, 0x100000), { start: 0x1000, end: 0x60000 });
  assert.deepEqual(adjustZoneRange(ZONE_MOVABLE, 0, 0, 0x7ffe0, 0x60000, 0x100000), { start: 0x60000, end: 0x7ffe0 });
});

test("kernelcore= keeps that much for the kernel; the rest of the node above it is Movable", () => {
  const z = zoneMovablePfns(pc2g, { bytes: 2 ** 30 }, null, 0x1000, 1024, 4096);
  // 1 GiB of kernel pages: 158 + 3840 below DMA32's start, the rest from 0x1000 on; rounded up to 1024 pages.
  assert.equal(z.get(0), Math.ceil((0x1000 + 262144 - 158 - 3840) / 1024) * 1024);
  // kernelcore as large as memory, or nothing asked: no Movable zone.
  assert.equal(zoneMovablePfns(pc2g, { bytes: 4 * 2 ** 30 }, null, 0x1000, 1024, 4096).size, 0);
  assert.equal(zoneMovablePfns(pc2g, null, null, 0x1000, 1024, 4096).size, 0);
  // Percentages of all pages.
  assert.deepEqual(zoneMovablePfns(pc2g, null, { percent: 25 }, 0x1000, 1024, 4096), zoneMovablePfns(pc2g, null, { bytes: Math.floor(524158 / 4) * 4096 }, 0x1000, 1024, 4096));
});

test("two nodes share the kernel's part evenly", () => {
  const two = [
    { start: 0x40000, end: 0x60000, nid: 0 },
    { start: 0x60000, end: 0x80000, nid: 1 },
  ];
  const z = zoneMovablePfns(two, null, { bytes: 256 * 2 ** 20 }, 0x40000, 1024, 4096);
  // 262144 pages, 65536 movable: 196608 for the kernel, 98304 per node.
  assert.deepEqual([...z], [[0, 0x40000 + 98304], [1, 0x60000 + 98304]]);
});
