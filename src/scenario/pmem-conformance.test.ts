/**
 * Issue 3 (nvdimm/dax half): the legacy pmem, NFIT nvdimm, device-dax and
 * kmem traces recorded from a real 6.1 kernel reproduce exactly — every
 * step's ndctl/daxctl outcome, kernel log, uevents and snapshot — with the
 * boot state derived from the machine description and imported from the
 * trace's boot snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { traceFile } from "../testing/paths.js";

export const PMEM_TRACES = ["legacy-pmem-collision", "legacy-pmem-subsection", "legacy-pmem-kmem", "nvdimm-fsdax", "nvdimm-512m-backend"];

for (const name of PMEM_TRACES) {
  for (const boot of ["derive", "import"] as const) {
    test(`${name} reproduces the real kernel (${boot} boot)`, () => {
      const file = traceFile(name);
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
    });
  }
}
