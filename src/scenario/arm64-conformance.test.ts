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
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { ARM64_RACES, arm64Traces, departures, type Arm64Races } from "../testing/arm64-traces.js";
import { REPO_ROOT } from "../testing/paths.js";

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

test("npm run arm64:races: a trace it cannot read is an error naming the file and place (exit 2), nothing is written and no temp file left; Ctrl-C the same", async () => {
  // The script takes another repository root (tests): its test/oracle/arm64/traces, and ../shared beside it (none here).
  const top = mkdtempSync(join(tmpdir(), "memhp-arm64-races-"));
  const root = join(top, "repo");
  const script = join(REPO_ROOT, "scripts", "arm64-races.mjs");
  const dir = join(root, "test", "oracle", "arm64");
  try {
    // No traces there yet: said so, exit 2.
    const none = spawnSync(process.execPath, [script, root], { encoding: "utf8" });
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /^arm64-races: no arm64 traces under .*repo .*; nothing written\n$/);
    mkdirSync(join(dir, "traces"), { recursive: true });
    const good = readFileSync(join(REPO_ROOT, "test/oracle/arm64/traces/a64-sweep-vm-768m.trixie.json"), "utf8");
    writeFileSync(join(dir, "traces", "a.json"), good);
    // One cut short (no dmesg in its last step) and one that is not JSON.
    const cut = JSON.parse(good) as { steps: Record<string, unknown>[] };
    delete cut.steps[cut.steps.length - 1].dmesg;
    writeFileSync(join(dir, "traces", "b.json"), JSON.stringify(cut, null, 1));
    writeFileSync(join(dir, "traces", "c.json"), "{ not json");
    const r = spawnSync(process.execPath, [script, root], { encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /b\.json:\d+:\d+: steps\[\d+\]\.dmesg: missing required field/);
    assert.match(r.stderr, /c\.json:\d+:\d+: /);
    assert.equal(r.stderr.split("\n").filter((l) => l.includes("b.json")).length, 1, "each fault once, though both boot modes read the file");
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(r.stdout, "");
    assert.deepEqual(readdirSync(dir).sort(), ["traces"], "nothing written, no temp file");
    rmSync(join(dir, "traces", "b.json"));
    rmSync(join(dir, "traces", "c.json"));
    const ok = spawnSync(process.execPath, [script, root], { encoding: "utf8", env: { ...process.env, MEMHP_JOBS: "1" } });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { traces: 1, runs: 2, withRaces: 0, seconds: (JSON.parse(ok.stdout) as { seconds: number }).seconds, failing: [] });
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "races.json"), "utf8")), {});
    // A race-decided trace, interrupted: exit 130, the races.json before it untouched, no temp file.
    copyFileSync(join(REPO_ROOT, "test/oracle/arm64/traces/a64-probe35-uefi-4cpu-vm-2m-1700m-900m.sid.json"), join(dir, "traces", "d.json"));
    const int = await new Promise<{ status: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [script, root], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      setTimeout(() => child.kill("SIGINT"), 2000);
      child.on("close", (status) => done({ status, stderr }));
    });
    assert.equal(int.status, 130, int.stderr);
    assert.match(int.stderr, /interrupted, nothing written/);
    assert.deepEqual(readdirSync(dir).sort(), ["races.json", "traces"]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "races.json"), "utf8")), {});
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
