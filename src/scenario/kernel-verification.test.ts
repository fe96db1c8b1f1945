/**
 * `npm run kernels:verify` and `memhp kernels --verify` name each trace the
 * model does not reproduce with why: the boot mode and its first mismatch,
 * or where a trace that cannot be read is wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyKernelTraces } from "./kernel-verification.js";
import { REPO_ROOT } from "../testing/paths.js";

test("verifyKernelTraces: a trace that does not reproduce is named with its first difference, one cut short with where", () => {
  const good = readFileSync(join(REPO_ROOT, "test/oracle/arm64/traces/a64-probe30-dimm-2g-online.trixie.json"), "utf8");
  const trace = JSON.parse(good) as { steps: { result: { errno?: string } }[] };
  // The real kernel said ENOENT (no memory24: the DIMM added nothing); a trace claiming EINVAL is one the model cannot give.
  trace.steps[1].result.errno = "EINVAL";
  const cut = JSON.parse(good) as { steps: Record<string, unknown>[] };
  delete cut.steps[2].dmesg;
  // The repository one level down, so that its ../shared (which verifyKernelTraces also reads) is empty.
  const top = mkdtempSync(join(tmpdir(), "memhp-verify-"));
  const root = join(top, "repo");
  try {
    const dir = join(root, "test/oracle/arm64/traces");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "a-good.json"), good);
    writeFileSync(join(dir, "b-wrong.json"), JSON.stringify(trace, null, 1));
    writeFileSync(join(dir, "c-cut.json"), JSON.stringify(cut, null, 1));
    writeFileSync(join(dir, "d-not-a-trace.json"), "{}");
    const tally = verifyKernelTraces(root);
    assert.deepEqual(Object.keys(tally), ["6.12"]);
    assert.equal(tally["6.12"].traces, 3);
    assert.equal(tally["6.12"].reproduced, 1);
    const [wrong, short] = tally["6.12"].failing;
    // Steps are counted from 1, as `memhp conformance` names them.
    assert.deepEqual(wrong, { file: "test/oracle/arm64/traces/b-wrong.json", why: 'derive boot: step 2, result.errno, expected "EINVAL", got "ENOENT"' });
    assert.equal(short.file, "test/oracle/arm64/traces/c-cut.json");
    assert.match(short.why, /^line \d+:\d+: steps\[2\]\.dmesg: missing required field$/);
    assert.equal(tally["6.12"].failing.length, 2);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
