/**
 * Issue 9: the CXL traces recorded from real kernels reproduce exactly in
 * both boot modes — ../shared/conformance/cxl/traces/<version>/ for the
 * kernel profiles the model has, and memhp's own recordings in
 * test/oracle/cxl/ — plus the bad-topology errors of machine.cxl.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { jsonFiles, REPO_ROOT, SHARED } from "../testing/paths.js";
import { PROFILES } from "../kernel/profile.js";

// Every version directory of the given traces whose kernel profile is verified.
const versions = ["6.1", "6.12", "7.2"].filter((v) => PROFILES[v]?.verified);
const files = [
  ...versions.flatMap((v) => jsonFiles(join(SHARED, "conformance", "cxl", "traces", v))),
  ...jsonFiles(join(REPO_ROOT, "test", "oracle", "cxl")),
];

for (const file of files) {
  for (const boot of ["derive", "import"] as const) {
    test(`${file.split("/").slice(-2).join("/")} reproduces the real kernel (${boot} boot)`, () => {
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(file, m)), []);
    });
  }
}
