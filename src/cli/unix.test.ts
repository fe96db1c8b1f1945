/**
 * memhp as a Unix tool, run as a process (bin/memhp.js, the bundle): the
 * command table, help for every command, quiet on a closed pipe.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { COMMANDS } from "./commands.js";
import { spawnCli, spawnPipeline } from "../testing/cli.js";
import { traceFile } from "../testing/paths.js";

test("memhp --help lists every command of the table; each command's --help has examples", () => {
  const top = spawnCli(["--help"]);
  assert.equal(top.code, 0, top.stderr);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c.name} `, "m"), c.name);
  assert.match(top.stdout, /Steps are numbered from 1/);
  for (const c of COMMANDS) {
    const r = spawnCli([c.name, "--help"]);
    assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
    assert.match(r.stdout, /Examples:/, c.name);
    assert.equal(r.stderr, "", c.name);
  }
  const help = spawnCli(["help", "run"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /--trace <file>/);
});

test("an unknown command is exit 2 with a suggestion, not a stack trace", () => {
  const r = spawnCli(["rnu", "example:dimm"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'rnu'/);
  assert.match(r.stderr, /Did you mean run\?/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
});

// Every command that prints, its output cut off by a reader that has already gone.
const PIPED: string[][] = [
  ["run", "example:dimm"],
  ["run", "example:dimm", "--json"],
  ["run", "example:dimm", "--trace", "-"],
  ["explain", "memory32", "example:dimm@2"],
  ["explain", "0", "example:dimm", "--json"],
  ["examples"],
  ["conformance", traceFile("dimm-online-kernel")],
  ["lsmem", "example:dimm@2"],
  ["chmem", "-e", "-b", "example:dimm@1", "32", "--json"],
  ["lint", "example:dimm"],
  ["compare", "example:dimm", "--designs", "fixed:128M"],
  ["export-sysfs", "example:dimm@1", "/nonexistent-parent/x"], // stderr only: nothing on stdout to break
  ["--help"],
];

test("a closed stdout ends every command quietly: no EPIPE stack trace", () => {
  for (const argv of PIPED) {
    const r = spawnPipeline(argv, "true");
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at .*\.js:\d+|internal error/, `${argv.join(" ")}: ${r.stderr}`);
  }
  const head = spawnPipeline(["explain", "memory32", "example:dimm@2"], "head -1");
  assert.equal(head.stderr, "");
  assert.match(head.stdout, /^dimm, after step 2 of 4 \(Linux 6\.1\)\n$/);
});
