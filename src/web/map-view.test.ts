import { test } from "node:test";
import assert from "node:assert/strict";
import { findExample } from "../scenario/examples.js";
import { makeAxis, populated } from "./axis.js";
import { blockIndexAt, blockKind, describeBlock } from "./map-view.js";
import { changesOf, Session } from "./session.js";
import { checkInPage, mismatchRange } from "./conformance-view.js";
import { readFileSync } from "node:fs";
import { traceFile } from "../testing/paths.js";

const ex = (name: string) => JSON.stringify(findExample(name));

test("the map's view of the shared section: memory7's sub-section map, half RAM, half ZONE_DEVICE", () => {
  const s = new Session(ex("pmem-shared-section"), "example:pmem-shared-section");
  const v = s.states[5].view;
  const p = v.partial.find((x) => x.nr === 7)!;
  assert.equal(p.bits.length, 64);
  assert.ok(p.bits.every(Boolean));
  assert.ok(v.pgmaps.some((g) => g.start <= 0x3c200000 && g.end === 0x40000000));
  const i = blockIndexAt(v.blocks, 0x3c000000);
  assert.equal(v.blocks.id[i], 7);
  assert.equal(blockKind(v.blocks, i), "online DMA32");
  assert.match(describeBlock(v, i), /^memory7, online, zone DMA32, node 0, boot$/);
  assert.ok(v.iomem.some((r) => r.name === "dax0.0" && r.start === 0x3c200000 && r.depth >= 1));
  const ch = changesOf(s.states[4], s.states[5]);
  assert.ok(ch.words.includes("iomem + 3c200000-3fffffff : dax0.0"));
  assert.ok(ch.ranges.some((r) => r.start <= 0x3c200000 && r.end >= 0x40000000));
});

test("the axis folds long empty stretches so RAM is not a sliver, and maps addresses both ways", () => {
  const s = new Session(ex("dimm"), "example:dimm");
  const v = s.states[1].view;
  const used = populated(v);
  assert.ok(used.some(([a, b]) => a === 0x100000000 && b === 0x140000000));
  const ax = makeAxis(v, true);
  const ram = used.reduce((n, [a, b]) => n + b - a, 0);
  assert.ok(ax.total < ram * 1.2, `axis ${ax.total} vs populated ${ram}`);
  for (const a of [0, 0x3fffffff, 0x100000000, 0x13fffffff]) assert.equal(Math.round(ax.toA(ax.toV(a))), a);
  assert.ok(ax.pieceAt(0x80000000).gap);
  const flat = makeAxis(v, false);
  assert.equal(flat.toV(0x100000000), 0x100000000);
});

test("64 TiB: the view holds 524,288 blocks in typed arrays and one run of early sections", () => {
  const s = new Session(ex("64t"), "example:64t");
  const v = s.states[0].view;
  assert.equal(v.blocks.n, 524288);
  assert.equal(s.states[0].snapshot, null);
  assert.equal(v.sections.length, 1);
  assert.equal(v.sections[0].last - v.sections[0].first + 1, 524288);
  assert.equal(v.blocks.id[blockIndexAt(v.blocks, 2 ** 45)], 2 ** 45 / 2 ** 27);
});

test("a real-kernel trace in the page: every step PASS; an altered copy fails at that step, placed on memory7", () => {
  const text = readFileSync(traceFile("legacy-pmem-subsection"), "utf8");
  const ok = checkInPage(text, "legacy-pmem-subsection");
  assert.equal(ok.total, 0);
  assert.ok(ok.steps.every((x) => x.pass));
  const t = JSON.parse(text);
  t.steps[2].snapshot.memory.blocks.memory7.valid_zones = "Movable";
  const bad = checkInPage(JSON.stringify(t), "altered");
  assert.deepEqual(bad.steps.map((x) => x.pass), ok.steps.map((_, i) => i !== 3));
  const s = new Session(JSON.stringify(t), "altered", { bootRaces: bad.races });
  const m = bad.steps[3].mismatches[0];
  assert.equal(m.field, "memory.blocks.memory7.valid_zones");
  assert.deepEqual(mismatchRange(m, s.states[3].view), { start: 0x38000000, end: 0x40000000 });
});

test("SVG export: the same drawing as the canvas, labels inside their boxes, the marks as outlines", async () => {
  const { mapSvg } = await import("./exporter.js");
  const { GUTTER } = await import("./map-draw.js");
  const s = new Session(ex("pmem-shared-section"), "example:pmem-shared-section");
  const v = s.states[5].view;
  const ax = makeAxis(v, true);
  const width = 1000;
  // Section 7 fills the map.
  const v0 = ax.toV(0x38000000);
  const v1 = ax.toV(0x40000000);
  const vp = { width, x: (x: number) => GUTTER + ((x - v0) / (v1 - v0)) * (width - GUTTER), v: (px: number) => v0 + ((px - GUTTER) / (width - GUTTER)) * (v1 - v0) };
  const svg = mapSvg(vp, ax, v, { changed: [{ start: 0x3c000000, end: 0x40000000 }], mismatch: [], selected: null }, (t) => t.length * 6);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1000"/);
  assert.match(svg, />memory7 online DMA32 node0<\/text>/);
  assert.match(svg, />Persistent Memory \(legacy\)<\/text>/);
  assert.match(svg, /stroke="#000000" stroke-width="1.5" stroke-dasharray="4 3"/);
  // 64 sub-sections of section 7: 32 memory (green), 32 ZONE_DEVICE (red).
  assert.equal((svg.match(/fill="#EE6677" stroke="#FFFFFF"/g) ?? []).length >= 32, true);
});

test("what a step changed, by kind: a plugged DIMM's blocks are added, onlining changes them, unplugging removes them", () => {
  const s = new Session(ex("dimm"), "example:dimm");
  const at = (i: number) => changesOf(s.states[i - 1], s.states[i]).ranges;
  const dimm = (r: { start: number; end: number }) => r.start === 0x100000000 && r.end === 0x140000000;
  assert.ok(at(1).some((r) => dimm(r) && r.kind === "added"));
  assert.ok(at(2).some((r) => dimm(r) && r.kind === "changed"));
  assert.ok(at(4).some((r) => dimm(r) && r.kind === "removed"));
  assert.ok(!at(4).some((r) => r.kind === "added"));
});
