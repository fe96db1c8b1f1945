/**
 * One numbering everywhere: steps count from 1. "step N" in run's report,
 * conformance's mismatches, compare's failed steps and lint's findings is the
 * step whose state FILE@N (and explain's "after step N") shows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";
import { traceFile } from "../testing/paths.js";

test("run's report numbers the first step 1 and the last N; explain FILE@N says after step N", async () => {
  const r = await runCli(["run", "example:dimm"]);
  assert.equal(r.code, 0, r.stderr);
  const steps = [...r.stdout.matchAll(/^step (\d+): (\S+)/gm)].map((m) => [Number(m[1]), m[2]]);
  assert.deepEqual(steps.map((s) => s[0]), [1, 2, 3, 4]);
  assert.equal(steps[0][1], "plug-dimm");
  const e = await runCli(["explain", "memory32", "example:dimm@1"]);
  assert.match(e.stdout, /^dimm, after step 1 of 4 \(Linux 6\.1\)\n/);
  // @1 is the state after the plug: the block exists, offline.
  assert.match(e.stdout, /memory32 .* offline/);
  const j = JSON.parse((await runCli(["run", "example:dimm@1", "--json"])).stdout);
  assert.equal(j.steps.length, 1);
  assert.equal(j.steps[0].step.op, "plug-dimm");
});

test("conformance names the first step 'step 1'", async () => {
  const t = JSON.parse(fs.readFileSync(traceFile("dimm-online-kernel"), "utf8"));
  t.steps[0].dmesg = [...t.steps[0].dmesg, "a line the model does not print"];
  t.steps[0].dmesg_levels = [...t.steps[0].dmesg_levels, 6];
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-numbering-"));
  const f = path.join(d, "t.json");
  fs.writeFileSync(f, JSON.stringify(t));
  const r = await runCli(["conformance", f]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL [^:]+: step 1, dmesg/m);
  const j = JSON.parse((await runCli(["conformance", "--json", f])).stdout);
  assert.equal(j.results[0].mismatches[0].step, 1);
  fs.rmSync(d, { recursive: true });
});

test("compare names a failing first step 'step 1'", async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-numbering-"));
  const f = path.join(d, "s.json");
  fs.writeFileSync(f, JSON.stringify({ name: "s", machine: { type: "pc", memory: "1G", maxmem: "4G", slots: 2 }, steps: [{ op: "write", path: "/sys/devices/system/memory/memory0/state", value: "offline" }] }));
  const r = await runCli(["compare", f, "--profiles", "6.1", "--designs", "fixed:128M", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const failed = JSON.parse(r.stdout).runs[0].failed_steps;
  assert.equal(failed.length, 1);
  assert.equal(failed[0].step, 1);
  fs.rmSync(d, { recursive: true });
});
