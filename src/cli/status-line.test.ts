/**
 * The status line a long conformance search shows on a terminal: only on a
 * terminal, only after a second, one line, wiped before the result. Run for
 * real under a pseudo-terminal (util-linux `script`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { statusLine } from "./io.js";
import { MEMHP_BIN, spawnCli } from "../testing/cli.js";
import { REPO_ROOT } from "../testing/paths.js";

function fake(isTTY: boolean, columns = 80): { out: string[]; stream: { isTTY: boolean; columns: number; write(s: string): boolean } } {
  const out: string[] = [];
  return { out, stream: { isTTY, columns, write: (s: string) => out.push(s) > 0 } };
}

test("statusLine: nothing off a terminal, nothing in the first second, at most ten redraws a second, cut to the width, wiped by clear()", () => {
  let now = 0;
  const clock = () => now;
  const piped = fake(false);
  const p = statusLine(piped.stream, clock);
  now = 5000;
  p.show("searching");
  p.clear();
  assert.deepEqual(piped.out, []);

  now = 0;
  const tty = fake(true, 20);
  const s = statusLine(tty.stream, clock);
  now = 999;
  s.show("too soon");
  assert.deepEqual(tty.out, []);
  now = 1000;
  s.show("run 1");
  now = 1050;
  s.show("run 2");
  now = 1100;
  s.show("a status longer than the terminal is wide");
  // 19 characters: one fewer than the terminal is wide, so the cursor never wraps.
  assert.deepEqual(tty.out, ["\r\x1b[Krun 1", "\r\x1b[Ka status longer th…"]);
  s.clear();
  s.clear();
  assert.deepEqual(tty.out.slice(2), ["\r\x1b[K"], "wiped once");

  now = 0;
  const unsized = fake(true, 0);
  const u = statusLine(unsized.stream, clock);
  now = 2000;
  u.show("run 7 of at most 8192");
  assert.deepEqual(unsized.out, ["\r\x1b[Krun 7 of at most 8192"], "a pty nobody sized reports 0 columns: taken as 80");

  const quick = fake(true);
  const q = statusLine(quick.stream, clock);
  q.clear();
  assert.deepEqual(quick.out, [], "never shown, nothing to wipe");
});

test("memhp conformance on a terminal: a search of seconds shows its runs on one line, wiped before the FAIL line; piped, stderr stays empty", (t) => {
  if (spawnSync("script", ["--version"]).status !== 0) return t.skip("util-linux script is not installed");
  // A recording the model reproduces, with one unplug line taken out: no outcome gives it, so the search runs
  // for seconds (some 5 s here).
  const src = join(REPO_ROOT, "test", "oracle", "arm64", "traces", "a64-probe25-uefi-vm-2m-1100m.json");
  const raw = JSON.parse(readFileSync(src, "utf8")) as { steps: { dmesg: string[]; dmesg_levels: number[] }[] };
  const step = raw.steps.find((s) => s.dmesg.some((l) => l.includes("unplugging memory: 0xc0400000")))!;
  const at = step.dmesg.findIndex((l) => l.includes("unplugging memory: 0xc0400000"));
  step.dmesg.splice(at, 1);
  step.dmesg_levels.splice(at, 1);
  const dir = mkdtempSync(join(tmpdir(), "memhp-status-"));
  try {
    const file = join(dir, "doctored.json");
    writeFileSync(file, JSON.stringify(raw));
    const command = [process.execPath, MEMHP_BIN, "conformance", file].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /doctored\.json: trying other outcomes of its races, run \d+ of at most \d+/);
    // The last status, wiped, then the result at the start of the line.
    assert.match(r.stdout, /run \d+ of at most \d+\r\x1b\[KFAIL /);
    assert.match(r.stdout, /0 passed, 1 failed/);

    const piped = spawnCli(["conformance", file], { timeoutMs: 120_000 });
    assert.equal(piped.code, 1);
    assert.equal(piped.stderr, "");
    assert.match(piped.stdout, /^FAIL /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
