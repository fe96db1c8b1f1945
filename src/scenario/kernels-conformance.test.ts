/**
 * Issue 8: real-kernel traces of other versions (../shared/conformance/kernels/
 * and memhp's own recordings in test/oracle/kernels/) reproduce in both boot
 * modes, each checked with the profile its own `kernel` field names. Traces
 * of a version whose profile is not verified yet run as `todo`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { jsonFiles, REPO_ROOT, SHARED } from "../testing/paths.js";
import { parseRelease, traceRelease, versionInfo } from "../kernel/profile.js";

function suites(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "scenarios" && d.name !== "quirks")
    .map((d) => join(dir, d.name))
    .sort();
}

const files = [...suites(join(SHARED, "conformance", "kernels")), ...suites(join(REPO_ROOT, "test", "oracle", "kernels"))].flatMap(jsonFiles);

test("there are traces of other kernel versions to check", () => {
  assert.ok(files.length >= 42, `${files.length} traces`);
});

for (const file of files) {
  const text = readFileSync(file, "utf8");
  const release = traceRelease(JSON.parse(text) as Record<string, unknown>);
  const version = release ? parseRelease(release)?.text : undefined;
  const verified = version !== undefined && versionInfo(version)?.verified === true;
  const name = file.split("/").slice(-2).join("/");
  for (const boot of ["derive", "import"] as const) {
    test(`${name} (Linux ${version}) reproduces the real kernel (${boot} boot)`, { todo: verified ? undefined : `the ${version} profile is not verified yet` }, () => {
      const r = checkTrace(text, file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
    });
  }
}

test("memhp kernels' recorded trace counts are the traces in the repository (npm run kernels:verify)", async () => {
  const { VERIFIED_TRACES } = await import("../kernel/profiles/verified-traces.js");
  const { countKernelTraces } = await import("./kernel-verification.js");
  const counted = countKernelTraces(REPO_ROOT);
  // Traces added since the last recount make the repository hold more, never fewer.
  for (const [v, t] of Object.entries(VERIFIED_TRACES)) assert.ok(t.traces <= (counted[v] ?? 0), `Linux ${v}: ${t.traces} traces recorded, only ${counted[v] ?? 0} in the repository`);
  // Every trace of a verified version that this file requires to pass is counted as reproduced.
  for (const [v, t] of Object.entries(VERIFIED_TRACES)) assert.ok(t.reproduced <= t.traces, v);
  const required = files.filter((f) => {
    const r = traceRelease(JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown>);
    return r && versionInfo(parseRelease(r)!.text)?.verified;
  });
  const perVersion: Record<string, number> = {};
  for (const f of required) {
    const v = parseRelease(traceRelease(JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown>)!)!.text;
    perVersion[v] = (perVersion[v] ?? 0) + 1;
  }
  for (const [v, n] of Object.entries(perVersion)) assert.ok((VERIFIED_TRACES[v]?.reproduced ?? 0) >= n, `Linux ${v}: ${n} traces must reproduce, ${VERIFIED_TRACES[v]?.reproduced} recorded`);
});
