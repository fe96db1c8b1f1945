/**
 * checkTrace tells its caller of each run its search makes (what `memhp
 * conformance` shows as a status line on a terminal), and of none when the
 * model's own outcomes reproduce the trace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkTrace } from "./check.js";
import { REPO_ROOT } from "../testing/paths.js";

const ARM64 = join(REPO_ROOT, "test", "oracle", "arm64", "traces");

function runsOf(text: string, file: string): { pass: boolean; races: number; calls: [number, number][] } {
  const calls: [number, number][] = [];
  const r = checkTrace(text, file, "derive", (runs, most) => calls.push([runs, most]));
  return { pass: r.mismatches.length === 0, races: r.races.length, calls };
}

test("a trace the model's own outcomes reproduce makes no search run", () => {
  const file = join(ARM64, "a64-probe20-uefi-vm-2m-900m.sid.json");
  const { pass, races, calls } = runsOf(readFileSync(file, "utf8"), file);
  assert.ok(pass);
  assert.ok(races > 0, "the boot ran into races: a search was possible");
  assert.deepEqual(calls, []);
});

test("a search reports each run, counting up from 1, never past the most it names", () => {
  // Reproduced by other outcomes than the model's own (unmovable-spill 1, reclaimable 1): a few runs.
  const found = join(ARM64, "a64-dts-vm-2dev-numa3.run2.json");
  const a = runsOf(readFileSync(found, "utf8"), found);
  assert.ok(a.pass);
  assert.ok(a.calls.length > 0);
  a.calls.forEach(([runs, most], i) => {
    assert.equal(runs, i + 1);
    assert.ok(runs <= most, `${runs} of at most ${most}`);
  });

  // The same recording with one unplug line gone: no outcome gives it. Its races have more than 512 combinations,
  // so the search goes by departures, within its budget.
  const raw = JSON.parse(readFileSync(found, "utf8")) as { steps: { dmesg: string[]; dmesg_levels: number[] }[] };
  const step = raw.steps[2];
  const at = step.dmesg.findIndex((l) => l.includes("unplugging memory: 0xc0a00000"));
  assert.ok(at >= 0);
  step.dmesg.splice(at, 1);
  step.dmesg_levels.splice(at, 1);
  const b = runsOf(JSON.stringify(raw), found);
  assert.ok(!b.pass);
  assert.ok(b.calls.length > 1);
  b.calls.forEach(([runs, most], i) => {
    assert.equal(runs, i + 1);
    assert.equal(most, 16384, "the budget is the most");
  });

  // x86 pin-128m.run2 (four races, 384 combinations) with an impossible size at the end: every combination but the
  // model's own is run, each once, and that is the most named.
  const small = join(REPO_ROOT, "test", "oracle", "traces", "pin-128m.run2.json");
  const t = JSON.parse(readFileSync(small, "utf8")) as { steps: { result?: { size?: number } }[] };
  const last = [...t.steps].reverse().find((st) => typeof st.result?.size === "number");
  assert.ok(last?.result);
  last.result.size = 3 * 1024;
  const c = runsOf(JSON.stringify(t), small);
  assert.ok(!c.pass);
  const most = c.calls[0][1];
  assert.ok(most > 1 && most < 512, `most ${most}`);
  assert.deepEqual(c.calls.map(([runs]) => runs), Array.from({ length: most }, (_, i) => i + 1), "every combination but the model's own, each once");
  assert.ok(c.calls.every(([, m]) => m === most));
});

test("outcomes known from an earlier search are run first: one run when they still reproduce the trace, the search as before when not", () => {
  const file = join(ARM64, "a64-dts-vm-2dev-numa3.run2.json");
  const text = readFileSync(file, "utf8");
  const searched = checkTrace(text, file, "derive");
  const found = Object.fromEntries(searched.races.filter((r) => r.outcome !== 0).map((r) => [r.key, r.outcome]));
  assert.ok(Object.keys(found).length > 0, "the model's own order does not give it");

  const calls: number[] = [];
  const known = checkTrace(text, file, "derive", (runs) => calls.push(runs), found);
  assert.deepEqual(known.mismatches, []);
  assert.deepEqual(known.races, searched.races);
  assert.deepEqual(calls, [1]);

  // Outcomes that do not give it (a stale record): the search goes on and finds the same as without them.
  const stale = { ...found, "movable-busy:node0": 1 };
  const again: number[] = [];
  const r = checkTrace(text, file, "derive", (runs) => again.push(runs), stale);
  assert.deepEqual(r.mismatches, []);
  assert.deepEqual(r.races, searched.races);
  assert.ok(again.length > 1);
  again.forEach((runs, i) => assert.equal(runs, i + 1));
});
