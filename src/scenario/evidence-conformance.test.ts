/**
 * Every traced evidence recording (test/oracle/evidence-pin, test/oracle/arm64/evidence-pin: kmem tracepoints and
 * kpageflags of real guests) is an outcome of the model's page-allocator races, but for the few listed here with
 * what their traces show that no race gives. test/oracle/evidence-races.json (`npm run evidence:races`, the
 * conformance search run on each) names the outcomes that reproduce each one; here each is checked in one model
 * run, so the whole set costs seconds, not the minutes of searching it again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { traceProfile } from "./check.js";
import { compareTraces, type RealTrace } from "./conformance.js";
import { toRunnable } from "./resolve-text.js";
import { runScenario } from "./runner.js";
import { REPO_ROOT } from "../testing/paths.js";

const ORACLE = join(REPO_ROOT, "test", "oracle");
const DIRS = ["evidence-pin", "arm64/evidence-pin"];

/** Recordings no combination of the races gives, and what their traces show (arm64/evidence-pin/README.md). */
const UNEXPLAINED: Record<string, string> = {
  "evidence-pin/x86-pin-trace-q35-node1.json": "user space on CPU 1 split chunk 0 with movable pages while the plug on its node ran, before the vmemmap stole chunk 1",
};

const evidence = JSON.parse(readFileSync(join(ORACLE, "evidence-races.json"), "utf8")) as Record<string, Record<string, number> | null>;

function recordings(): string[] {
  return DIRS.flatMap((dir) =>
    readdirSync(join(ORACLE, dir))
      .filter((f) => f.endsWith(".json") && !f.endsWith(".scenario.json"))
      .filter((f) => (JSON.parse(readFileSync(join(ORACLE, dir, f), "utf8")) as { format?: unknown }).format === "linux-memhp-oracle-trace/1")
      .map((f) => `${dir}/${f}`),
  ).sort();
}

test("evidence-races.json names every traced evidence recording, and no other (npm run evidence:races after recording)", () => {
  const all = recordings();
  assert.ok(all.length >= 140, `${all.length} recordings`);
  assert.deepEqual(Object.keys(evidence).sort(), all);
});

test("the evidence recordings no combination of the races gives are the listed ones, each with what its trace shows", () => {
  const failing = Object.entries(evidence)
    .filter(([, races]) => races === null)
    .map(([f]) => f)
    .sort();
  assert.deepEqual(failing, Object.keys(UNEXPLAINED).sort());
});

test("every other evidence recording is reproduced by the race outcomes named for it (derive boot)", () => {
  let checked = 0;
  for (const [name, races] of Object.entries(evidence)) {
    if (races === null) continue;
    const file = join(ORACLE, name);
    const { scenario, trace } = toRunnable(readFileSync(file, "utf8"), file);
    const raw = trace!.raw as RealTrace;
    const run = runScenario(scenario, { boot: "derive", bootSnapshot: trace!.bootSnapshot, bootDevices: trace!.bootDevices, profile: traceProfile(trace!.raw as Record<string, unknown>, file), bootRaces: races });
    assert.deepEqual(compareTraces(raw, run), [], `${name} with ${JSON.stringify(races)}`);
    checked++;
  }
  assert.ok(checked >= 135, `${checked} reproduced`);
});

test("npm run evidence:races: a recording it cannot read is an error naming the file and place (exit 2), and nothing is written", () => {
  const dir = mkdtempSync(join(tmpdir(), "memhp-evidence-"));
  try {
    mkdirSync(join(dir, "arm64", "evidence-pin"), { recursive: true });
    // A good recording, and one cut short: the recorder stopped at its last step (no dmesg there).
    const good = readFileSync(join(ORACLE, "arm64/evidence-pin/a64-pin-trace-128m.json"), "utf8");
    writeFileSync(join(dir, "arm64", "evidence-pin", "a.json"), good);
    const cut = JSON.parse(good) as { steps: Record<string, unknown>[] };
    delete cut.steps[cut.steps.length - 1].dmesg;
    writeFileSync(join(dir, "arm64", "evidence-pin", "b.json"), JSON.stringify(cut, null, 1));
    writeFileSync(join(dir, "arm64", "evidence-pin", "c.json"), "{ not json");
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "evidence-races.mjs"), dir], { encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /b\.json:\d+:\d+: steps\[\d+\]\.dmesg: missing required field/);
    assert.match(r.stderr, /c\.json: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.ok(!existsSync(join(dir, "evidence-races.json")), "nothing written");
    rmSync(join(dir, "arm64", "evidence-pin", "b.json"));
    rmSync(join(dir, "arm64", "evidence-pin", "c.json"));
    const ok = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "evidence-races.mjs"), dir], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, "evidence-races.json"), "utf8")) as object), ["arm64/evidence-pin/a.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
