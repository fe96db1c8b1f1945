/**
 * The arm64 boot's memblock replay against the real kernels' own account of
 * it: test/oracle/arm64/memblock/ holds, for boots recorded with
 * memblock=debug, the reserved regions the kernel had when
 * reserve_memblock_reserved_regions() ran (replayed from its log). The model
 * derives them from the machine alone, byte for byte, including the
 * sub-page allocations whose pages decide /proc/iomem's "reserved" lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { jsonFiles, REPO_ROOT } from "../testing/paths.js";
import { scenarioFromValue } from "../scenario/load.js";
import { arm64BootRam } from "./arm64-boot.js";
import { Memblock, nrKernelPagesFree } from "./arm64-memblock.js";
import { virtMap } from "./virt.js";
import { GiB, MiB } from "../kernel/units.js";

const DIR = join(REPO_ROOT, "test", "oracle", "arm64", "memblock");
const hex = (n: number) => "0x" + n.toString(16);

test("the memblock evidence is there (6.1 and 6.12, UEFI and device tree, 1 and 2 CPUs)", () => {
  assert.ok(jsonFiles(DIR).length >= 8);
});

for (const file of jsonFiles(DIR)) {
  const ev = JSON.parse(readFileSync(file, "utf8")) as { trace: string; kernel: string; reserved: [string, string][] };
  test(`${basename(file, ".json")}: memblock.reserved at arch_initcall is the kernel's, byte for byte`, () => {
    const trace = JSON.parse(readFileSync(join(DIR, ev.trace), "utf8")) as { scenario: unknown };
    const sc = scenarioFromValue(trace.scenario, file);
    const ram = arm64BootRam(sc.machine, virtMap(sc.machine), false, ev.kernel);
    assert.deepEqual(
      ram.reserved.map((r) => [hex(r.start), hex(r.end)]),
      ev.reserved,
    );
  });
}

test("memblock: reservations merge when they touch, a free splits one, nomap memory is never handed out", () => {
  const mb = new Memblock();
  mb.addMemory(0x40000000, 0x40000000 + GiB);
  mb.addMemory(0x40000000 + GiB, 0x40000000 + GiB + 64 * MiB, true);
  mb.reserve(0x40001000, 0x40002000);
  mb.reserve(0x40002000, 0x40002010);
  assert.deepEqual(mb.reserved, [{ base: 0x40001000, end: 0x40002010 }]);
  mb.free(0x40001800, 0x40001900);
  assert.equal(mb.reserved.length, 2);
  // Top-down below the nomap range; a 64-byte-aligned 100-byte allocation ends where free memory ends, rounded down.
  assert.equal(mb.alloc({ size: 100, align: 64 }), alignDown64(0x40000000 + GiB - 100));
  assert.equal(mb.physMemSize(), GiB + 64 * MiB);
});

test("memblock: a lower limit that nothing satisfies is dropped (memblock_alloc_internal's retry)", () => {
  const mb = new Memblock();
  mb.addMemory(0x40000000, 0x48000000);
  assert.equal(mb.alloc({ size: 2 * MiB, align: 2 * MiB, min: 0x50000000 }), 0x47e00000);
});

test("memblock: page-table pages fill the highest free pages, gap by gap, without walking pages", () => {
  const mb = new Memblock();
  mb.addMemory(0, 64 * 1024 * GiB);
  mb.reserve(64 * 1024 * GiB - 4096 * 3, 64 * 1024 * GiB - 4096 * 2);
  assert.ok(mb.allocPages(8 * 1024 * 1024, 4096));
  assert.equal(mb.reserved.length, 1);
  assert.equal(mb.reserved[0].end, 64 * 1024 * GiB);
  assert.equal(nrKernelPagesFree(mb, 4096), 64 * 1024 * GiB / 4096 - 8 * 1024 * 1024 - 1);
});

function alignDown64(x: number): number {
  return x - (x % 64);
}
