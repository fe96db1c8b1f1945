import { test } from "node:test";
import assert from "node:assert/strict";
import { Memblock } from "./arm64-memblock.js";
import { cmaAllocMem, cmaDeclareMulti, hugetlbCma } from "./cma-reserve.js";
import { GiB, MiB } from "../kernel/units.js";

/** RAM [1 GiB, 6 GiB) on one node, its top 16 MiB taken (the kernel's early allocations). */
function memblock(): Memblock {
  const mb = new Memblock();
  mb.addMemory(GiB, 6 * GiB, false, 0);
  mb.reserve(6 * GiB - 16 * MiB, 6 * GiB);
  return mb;
}

test("cma_alloc_mem(): bottom-up from 4 GiB when the memory reaches 4 GiB + size, else top-down", () => {
  assert.equal(cmaAllocMem(memblock(), GiB, GiB, 6 * GiB, 0), 4 * GiB);
  const mb = memblock();
  mb.reserve(4 * GiB, 4 * GiB + 2 * MiB);
  assert.equal(cmaAllocMem(mb, GiB, 2 * MiB, 6 * GiB, 0), 4 * GiB + 2 * MiB, "the first free 2 MiB step from 4 GiB up");
  // No room from 4 GiB up: top-down below the limit.
  assert.equal(cmaAllocMem(memblock(), 2 * GiB, GiB, 6 * GiB, 0), 3 * GiB);
  assert.equal(cmaAllocMem(memblock(), GiB, GiB, 3 * GiB, 0), 2 * GiB, "a limit below 4 GiB + size: top-down");
});

test("cma_declare_contiguous_multi(): one area when it fits, else pieces from 4 GiB up, the largest first, in address order", () => {
  const mb = new Memblock();
  mb.addMemory(GiB, 8 * GiB, false, 0);
  // Holes at 4.5 GiB and 6.25 GiB: no free 2 GiB-aligned 2 GiB piece, but 1 GiB pieces at 5 and 7 GiB (and 4 GiB cut short).
  mb.reserve(4 * GiB + 512 * MiB, 4 * GiB + 640 * MiB);
  mb.reserve(6 * GiB + 256 * MiB, 6 * GiB + 300 * MiB);
  mb.reserve(GiB, 4 * GiB);
  const got = cmaDeclareMulti(mb, 2 * GiB, GiB, 2 * MiB, 0);
  assert.deepEqual(got, [{ start: 5 * GiB, end: 6 * GiB }, { start: 7 * GiB, end: 8 * GiB }]);
  assert.equal(cmaDeclareMulti(mb, 4 * GiB, GiB, 2 * MiB, 0), null, "not enough left");
});

test("hugetlb_cma: the build's alignment and search; nothing without the parameter", () => {
  const one = { align: "pageblock", sizing: "roundup", search: "one" } as const;
  assert.deepEqual(hugetlbCma(memblock(), "quiet", one, [0], GiB, 2 * MiB), []);
  // 6.1: a pageblock alignment, so the area may cross 4 GiB (a64-probe55-uefi-4g-hugetlb-cma-1g: "could not be activated").
  const mb = memblock();
  mb.reserve(5 * GiB, 6 * GiB);
  assert.deepEqual(hugetlbCma(mb, "hugetlb_cma=1G", one, [0], GiB, 2 * MiB), [{ start: 4 * GiB, end: 5 * GiB }]);
  const mb2 = memblock();
  mb2.reserve(4 * GiB + 2 * MiB, 6 * GiB);
  assert.deepEqual(hugetlbCma(mb2, "hugetlb_cma=1G", one, [0], GiB, 2 * MiB), [{ start: 3 * GiB + 2 * MiB, end: 4 * GiB + 2 * MiB }]);
  const gig = { align: "gigantic", sizing: "roundup", search: "one" } as const;
  assert.deepEqual(hugetlbCma(memblock(), "hugetlb_cma=1G", gig, [0], GiB, 2 * MiB), [{ start: 4 * GiB, end: 5 * GiB }]);
});
