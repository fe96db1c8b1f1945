import { test } from "node:test";
import assert from "node:assert/strict";
import { firstChunkMaps, pageFirstChunkUnit, pcpuSlotBytes, percpuAllocCmdline } from "./percpu.js";

test("percpu_alloc=: the last embed or page; anything else leaves the architecture's choice", () => {
  assert.equal(percpuAllocCmdline("quiet percpu_alloc=page"), "page");
  assert.equal(percpuAllocCmdline("percpu_alloc=page percpu_alloc=embed"), "embed");
  assert.equal(percpuAllocCmdline("percpu_alloc=lpage"), null);
  assert.equal(percpuAllocCmdline("percpu_alloc=pages"), null);
});

test("a page-mapped first chunk's unit, as the kernels logged it (\"percpu: 27 4K pages/cpu s87272 r8192 d15128\")", () => {
  // a64-probe53-uefi-2g-2cpu-percpu-page on 6.1, 6.12 and 7.2; a64-probe54-16k-* on the 16K builds.
  assert.equal(pageFirstChunkUnit(87272, 12 * 1024, 4096), 27 * 4096);
  assert.equal(pageFirstChunkUnit(101528, 20 * 1024, 4096), 32 * 4096);
  assert.equal(pageFirstChunkUnit(109144, 20 * 1024, 4096), 34 * 4096);
  assert.equal(pageFirstChunkUnit(200024, 20 * 1024, 16384), 14 * 16384);
  assert.equal(pageFirstChunkUnit(109272, 20 * 1024, 16384), 9 * 16384);
});

test("the first chunk's maps and slot lists give every build's embedded chunk as memblock=debug measured it", () => {
  // [unit, static, struct, page] → the measured pcpu_alloc_first_chunk() sizes and pcpu_setup_first_chunk()'s slots.
  const builds: [string, number, number, number, number, number[][], number][] = [
    ["6.1", 0x1f000, 87272, 0x90, 4096, [[0x90, 0x180, 0x188, 0x60], [0x90, 0x400, 0x408, 0x100]], 0x120],
    ["6.12", 0x22000, 101528, 0xc8, 4096, [[0xc8, 0x180, 0x188, 0x60], [0xc8, 0x400, 0x408, 0x100]], 0x130],
    ["7.2", 0x24000, 109144, 0x88, 4096, [[0x88, 0x180, 0x188, 0x60], [0x88, 0x400, 0x408, 0x100]], 0x130],
    ["6.12-16k", 0x3c000, 200024, 0xc8, 16384, [[0xc8, 0x200, 0x208, 0x20], [0xc8, 0x600, 0x608, 0x60]], 0x130],
    ["7.2-16k", 0x24000, 109272, 0x88, 16384, [[0x88, 0x400, 0x408, 0x40], [0x88, 0x400, 0x408, 0x40]], 0x130],
  ];
  for (const [name, unit, st, struct, page, maps, slots] of builds) {
    assert.deepEqual(firstChunkMaps(st, unit, struct, page), maps, name);
    assert.equal(pcpuSlotBytes(unit), slots, name);
  }
  // The page-mapped chunk of a64-probe54-uefi-2g-2cpu-percpu-page-mbdbg: a smaller dynamic region.
  assert.deepEqual(firstChunkMaps(87272, 27 * 4096, 0x90, 4096), [[0x90, 384, 392, 96], [0x90, 512, 520, 128]]);
  assert.deepEqual(firstChunkMaps(101528, 32 * 4096, 0xc8, 4096)[1], [0xc8, 768, 776, 192]);
  assert.equal(pcpuSlotBytes(27 * 4096), 288);
});
