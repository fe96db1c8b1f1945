import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { applyStep, bootSystem, type RawStep } from "../scenario/runner.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { traceFile } from "../testing/paths.js";
import { breakdownSum, pmemAccounting, type RegionAccount } from "./accounting.js";

const TRACES = ["legacy-pmem-collision", "legacy-pmem-subsection", "legacy-pmem-kmem", "nvdimm-fsdax", "nvdimm-512m-backend"];

function check(where: string, accts: RegionAccount[]): void {
  for (const r of accts) {
    assert.equal(breakdownSum(r), r.size, `${where} ${r.region}: categories sum to the region size`);
    for (const [k, v] of Object.entries(r)) if (typeof v === "number") assert.ok(v >= 0, `${where} ${r.region}.${k} = ${v}`);
    for (const ns of r.namespaces) {
      assert.equal(breakdownSum(ns), ns.size, `${where} ${ns.name}: categories sum to the namespace size`);
      for (const [k, v] of Object.entries(ns)) if (typeof v === "number") assert.ok(v >= 0, `${where} ${ns.name}.${k} = ${v}`);
    }
  }
}

/** Every step of the recorded pmem traces, in both boot modes. */
for (const name of TRACES) {
  for (const boot of ["derive", "import"] as const) {
    test(`pmem accounting sums to the device size at every step of ${name} (${boot})`, () => {
      const file = traceFile(name);
      const { scenario, trace } = toRunnable(readFileSync(file, "utf8"), file);
      const sys = bootSystem(scenario.machine, { boot, bootSnapshot: trace?.bootSnapshot });
      check(`${name} boot`, pmemAccounting(sys.kernel));
      scenario.steps.forEach((step: RawStep, i: number) => {
        applyStep(sys, step);
        check(`${name} step ${i}`, pmemAccounting(sys.kernel));
      });
    });
  }
}

function runTo(name: string, n: number): RegionAccount[] {
  const file = traceFile(name);
  const { scenario } = toRunnable(readFileSync(file, "utf8"), file);
  const sys = bootSystem(scenario.machine, { boot: "derive" });
  for (const step of scenario.steps.slice(0, n)) applyStep(sys, step);
  return pmemAccounting(sys.kernel);
}

test("legacy raw namespace: all device pages, memmap in RAM", () => {
  const [r] = runTo("legacy-pmem-subsection", 0);
  assert.equal(r.devicePages, 64 << 20);
  assert.equal(r.namespaces[0].memmapInRam, (64 << 20) / 4096 * 64);
});

test("fsdax 512 MiB: 8 KiB info + memmap + padding make the 10 MiB data offset", () => {
  const [r] = runTo("nvdimm-fsdax", 5);
  const ns = r.namespaces[0];
  assert.equal(ns.devicePages, 526385152);
  assert.equal(ns.metadata + ns.padding, 0xa00000);
  assert.equal(ns.trimmed, 0);
});

test("devdax handed to kmem: the block-aligned part is System RAM, the rest trimmed", () => {
  const [r] = runTo("nvdimm-fsdax", 10);
  const ns = r.namespaces[0];
  assert.equal(ns.systemRam, 3 * 128 << 20);
  assert.equal(ns.trimmed, 526385152 - (3 * 128 << 20));
});

test("kmem refused (nothing block-aligned): the dax range is unusable", () => {
  const [r] = runTo("legacy-pmem-subsection", 6);
  const ns = r.namespaces[0];
  assert.equal(ns.systemRam, 0);
  assert.equal(ns.unusable, 65011712);
});

test("collision: failed raw namespaces are unusable", () => {
  const accts = runTo("legacy-pmem-collision", 0);
  for (const r of accts) assert.equal(r.unusable, r.size);
});
