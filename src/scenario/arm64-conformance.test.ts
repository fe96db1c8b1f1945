/**
 * Issue 14: arm64 guests (QEMU virt) reproduce the real arm64 kernels'
 * traces in both boot modes: the given set (../shared/conformance/arm64) and
 * the recordings in test/oracle/arm64/traces.
 *
 * Where the page allocator's races decide a trace (which sub-blocks virtio-mem
 * cannot unplug), the conformance search finds the outcomes that reproduce it;
 * a four-CPU shrink takes it ten seconds or more. test/oracle/arm64/races.json
 * (`npm run arm64:races`: that search on every trace) names them, and here each
 * trace is run with them first, so the whole set costs minutes, not a quarter
 * of an hour. Outcomes that no longer reproduce a trace still pass if the search
 * finds others, but the test fails and asks for races.json to be written again,
 * so it never silently goes back to searching.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { ARM64_RACES, arm64Traces, departures, type Arm64Races } from "../testing/arm64-traces.js";

const traces = arm64Traces();
const known = (existsSync(ARM64_RACES) ? JSON.parse(readFileSync(ARM64_RACES, "utf8")) : {}) as Arm64Races;

test("the arm64 trace sets are there", () => {
  assert.ok(traces.length >= 20, `found ${traces.length} arm64 traces`);
});

test("races.json names only arm64 traces that are there (npm run arm64:races after moving or removing one)", () => {
  const keys = new Set(traces.map((t) => t.key));
  assert.deepEqual(Object.keys(known).filter((k) => !keys.has(k)), []);
});

for (const { key, file } of traces) {
  const name = basename(file, ".json");
  for (const boot of ["derive", "import"] as const) {
    test(`${name} (arm64) reproduces the real kernel (${boot} boot)`, () => {
      const named = known[key]?.[boot];
      const r = checkTrace(readFileSync(file, "utf8"), file, boot, undefined, named);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
      assert.deepEqual(departures(r.races), named ?? {}, `${key} (${boot}) is reproduced by other race outcomes than races.json names: npm run arm64:races`);
    });
  }
}
