/**
 * The kernel's E820 edits (arch/x86/kernel/e820.c) and the boot iomem tree
 * built from them, on cases the traces do not cover.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB, MiB } from "../kernel/units.js";
import { E820_PRAM, E820_RAM, E820_RESERVED, e820Sanitize, endOfRam, formatE820Line, kernelE820, memblockFromE820, type RawE820 } from "./e820.js";
import { renderIomem } from "../kernel/resource.js";
import { deriveBootLayout } from "./qemu.js";

const fw: RawE820[] = [
  { start: 0, end: 0x9fc00, type: E820_RAM },
  { start: 0x9fc00, end: 0xa0000, type: E820_RESERVED },
  { start: 0xf0000, end: 0x100000, type: E820_RESERVED },
  { start: 0x100000, end: 0x3ffe0000, type: E820_RAM },
  { start: 0x3ffe0000, end: 0x40000000, type: E820_RESERVED },
];

test("sanitize: PRAM is never merged; it is cut at every change point", () => {
  const t = kernelE820(fw, ["memmap=64M!0x3c000000"]);
  assert.deepEqual(
    t.filter((e) => e.type === E820_PRAM).map((e) => [e.start, e.end]),
    [
      [0x3c000000, 0x3ffe0000],
      [0x3ffe0000, 0x40000000],
    ],
  );
  // Two adjacent PRAM ranges given separately stay separate; RAM neighbours merge.
  const two = e820Sanitize([
    { start: 0, end: 0x1000, type: E820_PRAM },
    { start: 0x1000, end: 0x2000, type: E820_PRAM },
    { start: 0x2000, end: 0x3000, type: E820_RAM },
    { start: 0x3000, end: 0x4000, type: E820_RAM },
  ]);
  assert.deepEqual(two.map((e) => [e.start, e.end, e.type]), [
    [0, 0x1000, E820_PRAM],
    [0x1000, 0x2000, E820_PRAM],
    [0x2000, 0x4000, E820_RAM],
  ]);
});

test("kernel edits: page 0 reserved, 640K-1M RAM removed, memmap=$ and mem=", () => {
  const t = kernelE820(fw, ["memmap=16M$0x20000000", "mem=768M"]);
  assert.deepEqual(
    t.map((e) => formatE820Line("x", e)),
    [
      "x: [mem 0x0000000000000000-0x0000000000000fff] reserved",
      "x: [mem 0x0000000000001000-0x000000000009fbff] usable",
      "x: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "x: [mem 0x00000000000f0000-0x00000000000fffff] reserved",
      "x: [mem 0x0000000000100000-0x000000001fffffff] usable",
      "x: [mem 0x0000000020000000-0x0000000020ffffff] reserved",
      "x: [mem 0x0000000021000000-0x000000002fffffff] usable",
      "x: [mem 0x000000003ffe0000-0x000000003fffffff] reserved",
    ],
  );
  assert.equal(endOfRam(t), 0x30000000);
  assert.deepEqual(memblockFromE820(t).map((r) => [r.start, r.end]), [
    [0x1000, 0x9f000],
    [0x100000, 0x20000000],
    [0x21000000, 0x30000000],
  ]);
});

test("a pc with RAM above 4 GiB ending off a 64 MiB boundary gets a RAM buffer line (derived from e820__reserve_resources_late)", () => {
  const layout = deriveBootLayout({ type: "pc", memory: 4 * GiB + 4 * MiB, cmdline: [] });
  const lines = renderIomem(layout.iomem);
  assert.ok(lines.includes("100000000-1403fffff : System RAM"), lines.join("\n"));
  assert.ok(lines.includes("140400000-143ffffff : RAM buffer"), lines.join("\n"));
  assert.ok(lines.includes("180000000-1ffffffff : PCI Bus 0000:00"), lines.join("\n"));
  assert.equal(layout.bootMemEnd, 0x140400000);
});
