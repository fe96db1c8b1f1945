/**
 * The commands of issue 4 end to end, in-process through main(): help with
 * examples, import → machine file → run / export-sysfs, explain and lint
 * output and exit codes, chmem on a model.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";
import { SHARED, traceFile } from "../testing/paths.js";
import { treeOf } from "../testing/tree.js";

const DUMP = path.join(SHARED, "conformance", "util-linux", "x86_64-16g.tar.bz2");
const SCENARIOS = path.join(SHARED, "conformance", "scenarios");

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "memhp-cli-test-"));
}

test("every command has --help with examples", async () => {
  for (const cmd of ["lsmem", "chmem", "import", "export-sysfs", "explain", "lint"]) {
    const r = await runCli([cmd, "--help"]);
    assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    assert.match(r.stdout, /Examples:/, cmd);
    assert.match(r.stdout, new RegExp(`memhp ${cmd}`), cmd);
  }
});

test("import of a dump gives a machine file that run, lsmem and export-sysfs take; the export reproduces the dump", { skip: !fs.existsSync(DUMP) }, async () => {
  const dir = tmp();
  const mf = path.join(dir, "m.json");
  const r = await runCli(["import", DUMP, "-o", mf, "--maxmem", "32G", "--slots", "4", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.blocks, 128);
  assert.ok(summary.inferred.some((s: string) => /iomem/.test(s)));
  const m = JSON.parse(fs.readFileSync(mf, "utf8"));
  assert.equal(m.format, "memhp-machine/1");
  // What if: hot-add a DIMM to that machine.
  m.steps = [{ op: "plug-dimm", id: "d1", size: "1G" }];
  fs.writeFileSync(mf, JSON.stringify(m));
  const run = await runCli(["run", mf, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const trace = JSON.parse(run.stdout);
  assert.equal(trace.model.boot, "import");
  assert.equal(Object.keys(trace.steps[0].snapshot.memory.blocks).length, 136);
  const ls = await runCli(["lsmem", "-r", "-o", "RANGE,BLOCK", `${mf}@0`]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /0x0000000100000000-0x000000043fffffff 32-135/);
  // export @0 and compare with the dump, file by file.
  const out = path.join(dir, "export");
  const ex = await runCli(["export-sysfs", `${mf}@0`, out]);
  assert.equal(ex.code, 0, ex.stderr);
  const dump = path.join(dir, "dump");
  fs.mkdirSync(dump);
  execFileSync("tar", ["-xjf", DUMP, "-C", dump]);
  const want = treeOf(path.join(dump, "x86_64-16g"));
  const got = treeOf(out);
  for (const [p, v] of want) assert.equal(got.get(p), v, p);
  // --sysroot works where FILE does.
  const ex2 = await runCli(["lsmem", "--sysroot", DUMP, "-r", "-o", "RANGE,BLOCK"]);
  assert.equal(ex2.stdout, ls.stdout);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("export-sysfs refuses a non-empty DIR (exit 2, untouched) unless --force", async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "keep"), "mine");
  const r = await runCli(["export-sysfs", "example:dimm@1", dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^memhp: .*: exists and is not empty \(use --force to replace it\)\n$/);
  assert.deepEqual(fs.readdirSync(dir), ["keep"]);
  const f = await runCli(["export-sysfs", "example:dimm@1", dir, "--force"]);
  assert.equal(f.code, 0, f.stderr);
  assert.ok(fs.existsSync(path.join(dir, "sys/devices/system/memory/memory32/state")));
  assert.equal(fs.readlinkSync(path.join(dir, "sys/devices/system/memory/memory32/firmware_node")), "../../../LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/PNP0C80:00");
  assert.equal(fs.readlinkSync(path.join(dir, "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/PNP0C80:00/physical_node")), "../../../../system/memory/memory32");
  assert.equal(fs.existsSync(path.join(dir, "keep")), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("explain --json predicts, names rules and evidence; a bare address explains its block and the range", async () => {
  const r = await runCli(["explain", "memory32", `${traceFile("dimm-online-kernel")}@10`, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const e = j.explanations[0];
  assert.equal(e.name, "memory32");
  const off = e.verdicts.find((v: { action: string }) => v.action === "offline");
  assert.equal(off.ok, false);
  assert.equal(off.errno, "EBUSY");
  assert.match(off.rule.spec, /^04 §7/);
  const a = await runCli(["explain", "0x100000000", `${traceFile("dimm-online-kernel")}@1`, "--json"]);
  const kinds = JSON.parse(a.stdout).explanations.map((x: { kind: string }) => x.kind);
  assert.deepEqual(kinds, ["block", "range"]);
  const txt = await runCli(["explain", "0x140000000+1G", "example:dimm@0"]);
  assert.equal(txt.code, 0, txt.stderr);
  assert.match(txt.stdout, /plug-dimm +yes/);
  assert.match(txt.stdout, /hot-add +yes/);
});

test("lint exits 1 on error findings, 0 otherwise", { skip: !fs.existsSync(path.join(SCENARIOS, "dimm-unaligned.json")) }, async () => {
  const bad = await runCli(["lint", path.join(SCENARIOS, "dimm-unaligned.json"), "--json"]);
  assert.equal(bad.code, 1, bad.stderr);
  const j = JSON.parse(bad.stdout);
  assert.ok(j.errors >= 1);
  for (const f of j.findings) for (const k of ["severity", "range", "message", "fix"]) assert.ok(k in f, k);
  const ok = await runCli(["lint", path.join(SCENARIOS, "boot-1g.json")]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /0 error\(s\)/);
});

test("chmem on a model goes through the kernel's sysfs: errors and messages as util-linux prints them", async () => {
  const r = await runCli(["chmem", "-d", "-b", `${traceFile("dimm-online-kernel")}@9`, "32-33"]);
  assert.equal(r.code, 64, r.stderr); // partial success
  assert.match(r.stderr, /^chmem: Memory Block 32 \(0x0000000100000000-0x0000000107ffffff\) disable failed: Device or resource busy\n$/);
  const j = await runCli(["chmem", "-e", "-z", "Movable", "-b", `${traceFile("dimm-online-kernel")}@1`, "33", "--json"]);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout);
  assert.deepEqual(out.writes, [{ path: "/sys/devices/system/memory/memory33/state", value: "online_movable", ok: true }]);
});
