import { test } from "node:test";
import assert from "node:assert/strict";
import { addressMapSvg, blockSegments, foldAddressSpace, iomemSegments } from "./address-map.js";
import { runScenario } from "../scenario/runner.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { findExample } from "../scenario/examples.js";

const trace = runScenario(toRunnable(JSON.stringify(findExample("dimm")), "example:dimm").scenario, { boot: "derive" });

test("the map shows the hot-added DIMM's System RAM and its blocks, coloured by zone", () => {
  const s = trace.steps[1].snapshot;
  const top = iomemSegments(s);
  assert.ok(top.some((x) => x.start === 0x100000000 && x.end === 0x140000000 && x.label === "System RAM"));
  const blocks = blockSegments(s);
  const b32 = blocks.find((b) => b.start === 0x100000000)!;
  assert.equal(b32.kind, "Movable");
  const svg = addressMapSvg(s);
  assert.match(svg, /<title>memory32 online Movable \[0x100000000-0x107ffffff\]<\/title>/);
  assert.match(svg, /<title>System RAM \[0x100000000-0x13fffffff\]<\/title>/);
});

test("folding keeps address order and leaves gaps between used ranges", () => {
  const pieces = foldAddressSpace(
    [
      { start: 0, end: 1 << 30, label: "a", kind: "other" },
      { start: 2 ** 40, end: 2 ** 40 + (1 << 30), label: "b", kind: "other" },
    ],
    500,
  );
  assert.equal(pieces.length, 2);
  assert.ok(pieces[1].x > pieces[0].x + pieces[0].w);
  assert.ok(pieces[1].x + pieces[1].w <= 500.0001);
});
