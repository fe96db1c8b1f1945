/**
 * Issue 14: arm64 guests (QEMU virt) reproduce the real arm64 kernels'
 * traces in both boot modes: the given set (../shared/conformance/arm64) and
 * the recordings in test/oracle/arm64/traces.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { jsonFiles, REPO_ROOT, SHARED } from "../testing/paths.js";

const GIVEN = join(SHARED, "conformance", "arm64", "traces");
const RECORDED = join(REPO_ROOT, "test", "oracle", "arm64", "traces");

/** Kernel versions with arm64 build data (machine/arm64-builds.ts): 6.1, 6.12 and 7.2. */
function modelled(file: string): boolean {
  const t = JSON.parse(readFileSync(file, "utf8")) as { kernel?: string };
  return /^6\.1\.|^6\.12\.|^7\.2\./.test(t.kernel ?? "");
}

const files = [...jsonFiles(join(GIVEN, "6.1")), ...jsonFiles(join(GIVEN, "6.12")), ...jsonFiles(RECORDED)].filter(modelled);

test("the arm64 trace sets are there", () => {
  assert.ok(files.length >= 20, `found ${files.length} arm64 traces`);
});

for (const file of files) {
  const name = basename(file, ".json");
  for (const boot of ["derive", "import"] as const) {
    test(`${name} (arm64) reproduces the real kernel (${boot} boot)`, () => {
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
    });
  }
}
