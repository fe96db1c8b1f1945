/**
 * Issue 2's acceptance: the DIMM and sysfs traces recorded from a real 6.1
 * kernel reproduce exactly, with the boot state derived from the machine
 * description and imported from the trace's boot snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { basename } from "node:path";
import { jsonFiles, ORACLE_TRACES, traceFile } from "../testing/paths.js";

export const CORE_TRACES = [
  "boot-1g",
  "boot-4g-q35",
  "dimm-online-movable",
  "dimm-online-kernel",
  "dimm-unaligned",
  "sysfs-bad-input",
  "dimm-movable-node",
  "dimm-memmap-on-memory",
];

for (const name of CORE_TRACES) {
  for (const boot of ["derive", "import"] as const) {
    test(`${name} reproduces the real kernel (${boot} boot)`, () => {
      const file = traceFile(name);
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
    });
  }
}

/** Traces recorded for memhp with the same oracle and kernel (test/oracle/): other sizes, q35, NUMA, policies. */
for (const file of jsonFiles(ORACLE_TRACES)) {
  const name = basename(file, ".json");
  for (const boot of ["derive", "import"] as const) {
    test(`${name} (test/oracle) reproduces the real kernel (${boot} boot)`, () => {
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
    });
  }
}
