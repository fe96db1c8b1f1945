/**
 * Issue 5's acceptance: designs and profiles side by side, every byte
 * accounted, the section-sharing PMEM example against the real kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compareScenario, parseDesign, type CompareRun } from "./compare.js";
import { EXAMPLES } from "../scenario/examples.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { runScenario } from "../scenario/runner.js";
import { compareTraces, formatMismatch, type RealTrace } from "../scenario/conformance.js";
import { jsonFiles, SHARED, traceFile } from "../testing/paths.js";
import { join } from "node:path";
import { MiB } from "../kernel/units.js";

const ALL_DESIGNS = ["fixed:128M", "fixed:2G", "variable", "single-owner"];

function example(name: string) {
  const ex = EXAMPLES.find((e) => e.name === name)!;
  return toRunnable(JSON.stringify(ex), `example:${name}`).scenario;
}

function assertAddsUp(where: string, r: CompareRun): void {
  const lost = r.lost_bytes.alignment + r.lost_bytes.holes + r.lost_bytes.metadata;
  for (const [k, v] of Object.entries({ ...r.lost_bytes, usable_ram: r.usable_ram_bytes, usable_device: r.usable_device_bytes })) {
    assert.ok(v >= 0, `${where} ${r.profile} ${r.design}: ${k} is negative (${v})`);
  }
  assert.equal(r.usable_ram_bytes + r.usable_device_bytes + lost, r.capacity_bytes, `${where} ${r.profile} ${r.design}: usable + lost != capacity`);
}

test("usable + lost adds up to the capacity for every built-in example, profile and design", () => {
  for (const ex of EXAMPLES) {
    const designs = ex.name === "64t" ? ["fixed:2G", "variable"] : ALL_DESIGNS;
    for (const r of compareScenario(example(ex.name), ["6.1", "5.2"], designs).runs) assertAddsUp(`example:${ex.name}`, r);
  }
});

test("usable + lost adds up to the capacity for every conformance scenario, profile and design", () => {
  for (const file of jsonFiles(join(SHARED, "conformance", "scenarios"))) {
    const { scenario } = toRunnable(readFileSync(file, "utf8"), file);
    for (const r of compareScenario(scenario, ["6.1", "5.2"], ALL_DESIGNS).runs) assertAddsUp(scenario.name, r);
  }
});

test("pmem-shared-section under 6.1 reproduces the real kernel's trace of the same layout", () => {
  const real = JSON.parse(readFileSync(traceFile("legacy-pmem-subsection"), "utf8")) as RealTrace;
  const scn = example("pmem-shared-section");
  real.steps = real.steps.slice(0, scn.steps.length);
  assert.deepEqual(scn.steps, (real.scenario.steps as unknown[]).slice(0, scn.steps.length), "same steps as the trace");
  const model = runScenario(scn, { boot: "derive", profile: "6.1" });
  assert.deepEqual(compareTraces(real, model).slice(0, 5).map((m) => formatMismatch("pmem-shared-section", m)), []);
});

test("pmem-shared-section under 5.2: the section-granular kernel truncates the namespace away and loses all 64 MiB to alignment", () => {
  const [v61, v52] = compareScenario(example("pmem-shared-section"), ["6.1", "5.2"], ["fixed:128M"]).runs;
  assert.equal(v52.lost_bytes.alignment, 64 * MiB);
  assert.equal(v52.usable_device_bytes, 0);
  assert.ok(v52.failed_steps.some((f) => /alignment collision, truncate 67108864 bytes/.test(f.reason)), JSON.stringify(v52.failed_steps));
  // 6.1 maps it in sub-sections: only the info block and memmap (metadata) and the kmem trim differ.
  assert.ok(v61.lost_bytes.metadata > 0);
  // Steps count from 1: step 2 (create in region0) fails as on the real kernel; step 3 (force on namespace0.0) creates it.
  assert.ok(v61.failed_steps.some((f) => f.step === 2), "6.1 refuses the region-wide namespace, as the real kernel does");
  assert.ok(!v61.failed_steps.some((f) => f.step === 3), "6.1 creates the fsdax namespace");
});

test("example:64t: 524,288 blocks of 128 MiB, 32,768 of 2 GiB, one variable block per firmware range", () => {
  const { runs } = compareScenario(example("64t"), ["6.1", "5.2"], ["fixed:128M", "fixed:2G", "variable"]);
  const blocks = Object.fromEntries(runs.filter((r) => r.profile === "6.1").map((r) => [r.design, r.block_devices]));
  assert.deepEqual(blocks, { "fixed:128M": 524288, "fixed:2G": 32768, variable: 1 });
});

test("designs parse, and bad ones are refused", () => {
  assert.deepEqual(parseDesign("fixed:2G").design, { blockSize: 2 * 1024 * MiB });
  assert.deepEqual(parseDesign("variable").design, { variable: true });
  assert.throws(() => parseDesign("fixed:64M"), /power of two/);
  assert.throws(() => parseDesign("fixed:384M"), /power of two/);
  assert.throws(() => parseDesign("wobbly"), /unknown design/);
});
