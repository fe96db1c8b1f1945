/** Issue 8 on the command line: --kernel, compare --kernels, memhp kernels, import's kernel release, bad input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";
import { SHARED } from "../testing/paths.js";

test("memhp kernels --json lists every profile with its recorded trace count and the rules with evidence", async () => {
  const r = await runCli(["kernels", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { profiles: { version: string; status: string; traces: { traces: number; reproduced: number }; config: { MHP_DEFAULT_ONLINE_TYPE: string } }[]; rules: { name: string; changes: { since: string; evidence: string }[] }[] };
  assert.deepEqual(j.profiles.map((p) => p.version), ["5.2", "5.10", "6.1", "6.12", "7.2"]);
  const v = Object.fromEntries(j.profiles.map((p) => [p.version, p]));
  assert.equal(v["5.2"].status, "what-if");
  for (const x of ["5.10", "6.1", "6.12", "7.2"]) assert.ok(v[x].traces.reproduced >= 14, `${x}: ${JSON.stringify(v[x].traces)}`);
  assert.equal(v["6.12"].config.MHP_DEFAULT_ONLINE_TYPE, "online");
  const per = j.rules.find((x) => x.name === "memmapOnMemoryPerBlock")!;
  assert.ok(per.changes[0].evidence.includes("trixie/dimm-memmap-on-memory.json"));
});

test("compare --kernels shows the build's auto-online default and memmap_on_memory per version", async () => {
  const r = await runCli(["compare", "example:dimm", "--kernels", "5.10,6.1,6.12,7.2", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const runs = (JSON.parse(r.stdout) as { runs: { profile: string; kernel: { auto_online_default: string; memmap_on_memory: string } }[] }).runs;
  assert.deepEqual(runs.map((x) => [x.profile, x.kernel.auto_online_default]), [["5.10", "offline"], ["6.1", "offline"], ["6.12", "online"], ["7.2", "online"]]);
  assert.equal(runs[0].kernel.memmap_on_memory, "not built");
  // memmap_on_memory on: a 1 GiB DIMM keeps its memmap in itself only from 6.8 on (one 2 MiB per 128 MiB block).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-k-"));
  const f = path.join(dir, "mom.yaml");
  fs.writeFileSync(f, "machine: {memory: 1G, maxmem: 8G, slots: 4, cmdline: [memhp_default_state=offline, memory_hotplug.memmap_on_memory=1]}\nsteps:\n  - {op: plug-dimm, id: d1, size: 1G, addr: 0x100000000}\n");
  const mom = await runCli(["compare", f, "--kernels", "5.10,6.1,6.12", "--json"]);
  assert.equal(mom.code, 0, mom.stderr);
  const m = (JSON.parse(mom.stdout) as { runs: { kernel: { memmap_on_memory: string }; lost_bytes: { metadata: number } }[] }).runs;
  assert.deepEqual(m.map((x) => x.kernel.memmap_on_memory), ["not built", "single-block additions", "every block"]);
  assert.deepEqual(m.map((x) => x.lost_bytes.metadata), [0, 0, 16 * 1024 * 1024]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("--kernel: run models the version; unknown versions and impossible builds are exit 2, located", async () => {
  const r = await runCli(["run", "example:dimm@0", "--kernel", "6.12", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { model: { profile: string } }).model.profile, "6.12");
  const bad = await runCli(["run", "example:dimm", "--kernel", "6.18"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^memhp: --kernel: unknown kernel version "6\.18" .*nearest profile at or below it is 6\.12\)\n$/);
  const badc = await runCli(["compare", "example:dimm", "--kernels", "6.1,4.4"]);
  assert.equal(badc.code, 2);
  assert.match(badc.stderr, /--kernels: unknown kernel version "4\.4"/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-k-"));
  const f = path.join(dir, "s.yaml");
  fs.writeFileSync(f, 'machine:\n  memory: 1G\n  kernel: {version: "5.10", config: {CONFIG_MHP_MEMMAP_ON_MEMORY: y}}\nsteps: []\n');
  const imp = await runCli(["run", f]);
  assert.equal(imp.code, 2);
  assert.match(imp.stderr, /s\.yaml:3:\d+: machine\.kernel\.config\.CONFIG_MHP_MEMMAP_ON_MEMORY: Linux 5\.10 cannot be built that way/);
  fs.writeFileSync(f, "machine:\n  memory: 1G\n  kernel: {version: \"6.12\", config: {CONFIG_NOPE: y}}\nsteps: []\n");
  const opt = await runCli(["run", f]);
  assert.equal(opt.code, 2);
  assert.match(opt.stderr, /machine\.kernel\.config\.CONFIG_NOPE: unknown configuration option/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("import records the kernel release; run names the profile used and why; --kernel overrides", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-k-"));
  execFileSync("tar", ["-xjf", path.join(SHARED, "conformance", "util-linux", "x86_64-16g.tar.bz2"), "-C", dir]);
  const root = path.join(dir, "x86_64-16g");
  fs.mkdirSync(path.join(root, "proc/sys/kernel"), { recursive: true });
  fs.writeFileSync(path.join(root, "proc/sys/kernel/osrelease"), "6.18.44-cloud-amd64\n");
  const out = path.join(dir, "m.json");
  const imp = await runCli(["import", root, "-o", out]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /kernel: Linux 6\.18\.44-cloud-amd64 \(modelled with the 6\.12 profile: the newest verified at or below 6\.18\)/);
  assert.equal((JSON.parse(fs.readFileSync(out, "utf8")) as { kernel: string }).kernel, "6.18.44-cloud-amd64");
  const run = await runCli(["run", out]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^kernel: Linux 6\.18\.44-cloud-amd64 \(modelled with the 6\.12 profile/m);
  assert.match(run.stdout, /boot \(import, Linux 6\.12\)/);
  const over = await runCli(["run", out, "--kernel", "7.2"]);
  assert.match(over.stdout, /boot \(import, Linux 7\.2\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});
