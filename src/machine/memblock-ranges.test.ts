import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeMemblockRanges } from "./memblock-ranges.js";

test("memblock ranges: adjacent ranges of one node merge, a node boundary or a hole keeps them apart", () => {
  const got = mergeMemblockRanges([
    { start: 0x60000000, end: 0x70000000, nid: 1 },
    { start: 0x40000000, end: 0x50000000, nid: 0 },
    { start: 0x50000000, end: 0x60000000, nid: 0 },
    { start: 0x70000000, end: 0x80000000, nid: 1 },
    { start: 0x90000000, end: 0xa0000000, nid: 1 },
  ]);
  assert.deepEqual(got, [
    { start: 0x40000000, end: 0x60000000, nid: 0 },
    { start: 0x60000000, end: 0x80000000, nid: 1 },
    { start: 0x90000000, end: 0xa0000000, nid: 1 },
  ]);
});
