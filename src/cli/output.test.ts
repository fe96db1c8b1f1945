/**
 * Output files, as Unix tools treat them (bin/memhp.js as a process):
 * `-` is stdout, a directory is refused with nothing left behind, a symlink
 * is written through and never replaced, a missing parent directory is
 * refused the same way by every command, temporary files go on failure and
 * on signals, export-sysfs --force never leaves the old tree only in a
 * hidden directory, and /proc is bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MEMHP_BIN, spawnCli } from "../testing/cli.js";

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "memhp-output-test-"));
}

const NO_TRACE = /at .*\.js:\d+|internal error/;

test("run --trace - prints the trace on stdout instead of the report", () => {
  const r = spawnCli(["run", "example:dimm", "--trace", "-"]);
  assert.equal(r.code, 0, r.stderr);
  const t = JSON.parse(r.stdout);
  assert.equal(t.format, "linux-memhp-oracle-trace/1");
  assert.equal(t.steps.length, 4);
  assert.doesNotMatch(r.stdout, /memhp run:/);
});

test("an existing directory as output file is refused (exit 2), nothing left behind", () => {
  const d = tmp();
  const target = path.join(d, "out");
  fs.mkdirSync(target);
  for (const argv of [
    ["run", "example:dimm", "--trace", target],
    ["import", "--iomem", "/dev/null", "-o", target],
  ]) {
    const r = spawnCli(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /is a directory/);
    assert.doesNotMatch(r.stderr, NO_TRACE);
    assert.deepEqual(fs.readdirSync(d), ["out"]);
    assert.deepEqual(fs.readdirSync(target), []);
  }
  fs.rmSync(d, { recursive: true });
});

test("a symlink as output is written through (the link stays a link); a dangling one is refused", () => {
  const d = tmp();
  const real = path.join(d, "real.json");
  fs.writeFileSync(real, "old");
  fs.chmodSync(real, 0o640);
  const link = path.join(d, "link.json");
  fs.symlinkSync("real.json", link);
  const r = spawnCli(["run", "example:dimm", "--trace", link]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readlinkSync(link), "real.json");
  assert.equal(JSON.parse(fs.readFileSync(real, "utf8")).format, "linux-memhp-oracle-trace/1");
  assert.equal(fs.statSync(real).mode & 0o777, 0o640, "the replaced file keeps its mode");
  const dangling = path.join(d, "dangling.json");
  fs.symlinkSync("nowhere/x.json", dangling);
  const bad = spawnCli(["run", "example:dimm", "--trace", dangling]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /symbolic link/);
  assert.equal(fs.readlinkSync(dangling), "nowhere/x.json");
  assert.deepEqual(fs.readdirSync(d).sort(), ["dangling.json", "link.json", "real.json"]);
  fs.rmSync(d, { recursive: true });
});

test("a device as output is written, not replaced", () => {
  const r = spawnCli(["run", "example:dimm", "--trace", "/dev/null"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.statSync("/dev/null").isCharacterDevice());
});

test("a missing parent directory is refused the same way by every command, nothing created", () => {
  const d = tmp();
  const missing = path.join(d, "no", "such");
  for (const argv of [
    ["run", "example:dimm", "--trace", path.join(missing, "t.json")],
    ["import", "--iomem", "/dev/null", "-o", path.join(missing, "m.json")],
    ["export-sysfs", "example:dimm@1", path.join(missing, "root")],
  ]) {
    const r = spawnCli(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`cannot write: directory ${path.join(d, "no", "such").replace(/[/.]/g, "\\$&")} does not exist\\n$`), argv[0]);
    assert.deepEqual(fs.readdirSync(d), [], argv[0]);
  }
  fs.rmSync(d, { recursive: true });
});

test("export-sysfs into /proc is bad input (exit 2), nothing written anywhere", { skip: !fs.existsSync("/proc/self") }, () => {
  for (const argv of [
    ["export-sysfs", "example:dimm@1", "/proc/memhp-test"],
    ["export-sysfs", "example:dimm@1", "/proc", "--force"],
    ["export-sysfs", "example:dimm@1", "/proc/self/memhp"],
  ]) {
    const r = spawnCli(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, NO_TRACE);
    assert.match(r.stderr, /^memhp: \/proc/);
  }
  assert.deepEqual(fs.readdirSync("/").filter((f) => f.includes("memhp-tmp")), []);
});

/** A machine big enough that writing its sysroot or trace takes a while (for signals). */
function bigMachine(dir: string): string {
  const f = path.join(dir, "big.json");
  fs.writeFileSync(f, JSON.stringify({ name: "big", machine: { type: "synthetic", memory: "2T", block_size: "128M" }, steps: [] }));
  return f;
}

function killWhenExists(argv: string[], watch: string, pred: (names: string[]) => boolean, sig: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MEMHP_BIN, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (b) => (stderr += b));
    const timer = setInterval(() => {
      if (!killed && pred(fs.readdirSync(watch))) {
        killed = true;
        child.kill(sig);
      }
    }, 2);
    child.on("exit", (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, killed });
    });
  });
}

test("SIGINT/SIGTERM while writing: temporary files and directories removed; export-sysfs --force leaves the old tree in place", async () => {
  const d = tmp();
  const big = bigMachine(d);
  const out = path.join(d, "root");
  // The old tree, to be replaced with --force.
  const first = spawnCli(["export-sysfs", "example:dimm@1", out]);
  assert.equal(first.code, 0, first.stderr);
  const before = fs.readdirSync(path.join(out, "sys/devices/system/memory")).length;
  const r = await killWhenExists(["export-sysfs", big, out, "--force"], d, (ns) => ns.some((n) => n.includes("memhp-tmp")), "SIGINT");
  assert.ok(r.killed, "the temporary directory was seen");
  if (r.code !== 0) {
    assert.equal(r.code, 130, r.stderr);
    assert.equal(fs.readdirSync(path.join(out, "sys/devices/system/memory")).length, before, "the old tree is in place");
  }
  assert.deepEqual(fs.readdirSync(d).sort(), ["big.json", "root"]);
  // A trace file interrupted while written.
  const many = path.join(d, "many.json");
  fs.writeFileSync(many, JSON.stringify({ name: "many", machine: { type: "pc", memory: "1G" }, steps: Array.from({ length: 20000 }, () => ({ op: "read", path: "/sys/devices/system/memory/memory0/state" })) }));
  const t = await killWhenExists(["run", many, "--trace", path.join(d, "t.json")], d, (ns) => ns.some((n) => n.includes("memhp-tmp")), "SIGTERM");
  assert.ok(t.killed);
  if (t.code !== 0) assert.equal(t.code, 143, t.stderr);
  assert.deepEqual(fs.readdirSync(d).filter((n) => n.includes("memhp-tmp")), []);
  fs.rmSync(d, { recursive: true, force: true });
});
