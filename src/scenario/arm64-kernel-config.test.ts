/**
 * Debian's arm64 builds as presets (issue 14): chosen from the machine's
 * arch and the version, overridable in a scenario, shown by explain, and
 * bad combinations refused with a located error (exit 2).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";
import { REPO_ROOT, SHARED } from "../testing/paths.js";
import { parseScenario } from "./load.js";
import { applyStep, bootSystem } from "./runner.js";
import { sysfsRead } from "../kernel/sysfs.js";
import { explainRange } from "../analysis/explain.js";

const DIMM_TRACE = (v: string) => path.join(SHARED, "conformance", "arm64", "traces", v, "arm64-dimm-online-movable.json");
const dimmScenario = (kernel: string) =>
  `{"machine":{"type":"virt","memory":"1G","maxmem":"8G","slots":4,"cmdline":["memhp_default_state=offline"],"kernel":${kernel}},"steps":[{"op":"plug-dimm","id":"d1","size":"1G","addr":"0x80000000"}]}`;

/** The scenario files the tests write, removed when the file's tests are done (they were left behind, 16 a run). */
const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-a64cfg-"));
  tmpDirs.push(dir);
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

test("an arm64 DIMM adds nothing on Debian's build; with CONFIG_ACPI_HOTPLUG_MEMORY: y it adds memory16-23 (and no firmware memmap: not built on arm64)", () => {
  for (const [kernel, added] of [
    ['"6.1"', false],
    ['"6.12"', false],
    ['{"version":"6.1","config":{"CONFIG_ACPI_HOTPLUG_MEMORY":"y"}}', true],
    ['{"preset":"debian-13-arm64","config":{"ACPI_HOTPLUG_MEMORY":true}}', true],
  ] as const) {
    const sc = parseScenario(dimmScenario(kernel), "s.json");
    const sys = bootSystem(sc.machine, { boot: "derive" });
    assert.equal(sys.kernel.kernelProfile.preset, kernel.includes("6.12") || kernel.includes("debian-13") ? "debian-13-arm64" : "debian-12-arm64", kernel);
    applyStep(sys, sc.steps[0].raw);
    assert.equal(sys.kernel.blocks.has(16) && sys.kernel.blocks.has(23), added, kernel);
    assert.equal(sys.kernel.firmwareMemmap.length, 0, `${kernel}: no firmware memmap entries`);
    assert.deepEqual(sysfsRead(sys.kernel, "/sys/firmware/memmap/0/type"), { ok: false, errno: "ENOENT" });
    const v = explainRange(sys.kernel, 0x80000000, 128 * 1024 * 1024).verdicts;
    if (!added) assert.equal(v.find((x) => x.action === "hot-add")!.ok, false);
  }
});

test("memhp explain on the arm64 DIMM trace names the build option, the preset and its Debian config", async () => {
  const r = await runCli(["explain", "0x80000000+128M", `${DIMM_TRACE("6.1")}@1`, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout;
  assert.match(text, /built without CONFIG_ACPI_HOTPLUG_MEMORY/);
  assert.match(text, /acpi_memhotplug/);
  assert.match(text, /preset debian-12-arm64 \(src\/kernel\/profiles\/config\.ts; its Debian config: test\/kernel-configs\/config-6\.1\.0-57-arm64\)/);
  assert.match(text, /Linux 6\.1 \(preset debian-12-arm64\) on arm64-4k: CONFIG_ACPI_HOTPLUG_MEMORY is not set/);
  // Asked about a block the DIMM should have given: the same answer, not "no such block".
  const b = await runCli(["explain", "memory16", `${DIMM_TRACE("6.1")}@1`]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /hot-add +no\n.*\n +why: +nothing is added: this kernel is built without CONFIG_ACPI_HOTPLUG_MEMORY/);
  const none = await runCli(["explain", "memory40", `${DIMM_TRACE("6.1")}@1`]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no block memory40 in this state/);
  const r12 = await runCli(["explain", "0x80000000+128M", `${DIMM_TRACE("6.12")}@1`]);
  assert.match(r12.stdout, /Linux 6\.12 \(preset debian-13-arm64\) on arm64-4k: CONFIG_ACPI_HOTPLUG_MEMORY is not set/);
  // Overridden in the scenario: the DIMM's memory is there, and explain names the override where an option is missing.
  const f = tmpFile("dimm.json", dimmScenario('{"version":"6.1","config":{"CONFIG_ACPI_HOTPLUG_MEMORY":"y"}}'));
  const run = await runCli(["run", f, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const trace = JSON.parse(run.stdout) as { model: { kernel_config: Record<string, unknown> }; steps: { snapshot: { memory: { blocks: Record<string, unknown> } } }[] };
  assert.equal(trace.model.kernel_config.preset, "debian-12-arm64");
  assert.equal(trace.model.kernel_config.ACPI_HOTPLUG_MEMORY, true);
  assert.ok("memory16" in trace.steps[0].snapshot.memory.blocks && "memory23" in trace.steps[0].snapshot.memory.blocks);
  // The model's own trace replays with its kernel, build configuration included (conformance of a model trace).
  const t = tmpFile("t.json", run.stdout);
  for (const boot of ["derive", "import"]) {
    const c = await runCli(["conformance", "--boot", boot, t]);
    assert.equal(c.code, 0, `${boot}: ${c.stdout}${c.stderr}`);
  }
  const g = tmpFile("nvdimm.json", dimmScenario('{"version":"6.12","config":{"CONFIG_ZONE_DEVICE":"n"}}'));
  const ex = await runCli(["explain", "0x100000000+128M", `${g}@0`]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /machine\.kernel\.config CONFIG_ZONE_DEVICE \(the scenario's override\)/);
});

test("bad arm64 input is exit 2 with file:line:col: a DIMM outside the device-memory region, a page size the version has no build for", async () => {
  const cases: [string, RegExp][] = [
    [
      '{"machine":{"type":"virt","memory":"1G","maxmem":"8G","slots":4},\n "steps":[{"op":"plug-dimm","id":"d1","size":"1G","addr":"0x40000000"}]}',
      /^memhp: \S+s\.json:2:\d+: steps\[0\]\.addr: \[0x40000000, 0x80000000\) \(1G\) lies outside the virt machine's device-memory region \[0x80000000, 0x340000000\)/,
    ],
    ['{"machine":{"type":"virt",\n "arch":"arm64-16k","kernel":"6.1"}}', /^memhp: \S+s\.json:2:9: machine\.arch: no arm64 build of Linux 6\.1 with 16K pages is modelled/],
    ['{"machine":{"type":"virt","arch":"arm64-64k"}}', /machine\.arch: no arm64 build of Linux 6\.1 with 64K pages is modelled \(no Debian arm64 kernel has 64K pages/],
    ['{"machine":{"type":"virt","kernel":"5.10"}}', /machine\.kernel\.version: no arm64 build of Linux 5\.10 is modelled/],
    ['{"machine":{"type":"virt","kernel":{"preset":"debian-13"}}}', /machine\.kernel\.preset: preset debian-13 is a build for x86_64, this machine runs arm64/],
    ['{"machine":{"type":"q35","kernel":{"preset":"debian-12-arm64"}}}', /machine\.kernel\.preset: preset debian-12-arm64 is a build for arm64, this machine runs x86_64/],
    ['{"machine":{"type":"virt","kernel":{"preset":"debian-13-arm64-16k"}}}', /machine\.kernel\.preset: debian-13-arm64-16k has 16K pages, the machine's arch has 4K/],
    ['{"machine":{"type":"pc","kernel":{"version":"6.12","config":{"CONFIG_ARM64_16K_PAGES":"y"}}}}', /machine\.kernel\.config\.CONFIG_ARM64_16K_PAGES: CONFIG_ARM64_16K_PAGES is an arm64 option/],
    ['{"machine":{"type":"synthetic","arch":"arm64-64k","memory":"4G","kernel":{"preset":"debian-13-arm64-16k"}}}', /machine\.kernel\.preset: debian-13-arm64-16k has 16K pages, the machine's arch has 64K/],
  ];
  for (const [text, want] of cases) {
    const f = tmpFile("s.json", text);
    for (const cmd of ["lint", "run"]) {
      const r = await runCli([cmd, f]);
      assert.equal(r.code, 2, `${cmd} ${text}: ${r.stderr}`);
      assert.match(r.stderr, want, text);
      assert.equal(r.stdout, "", `${cmd}: no partial output`);
    }
  }
  // --kernel naming a version without a build for the machine.
  const f16 = tmpFile("s.json", '{"machine":{"type":"virt","arch":"arm64-16k"}}');
  const ok = await runCli(["run", f16, "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { model: { profile: string; kernel_config: { preset: string } } }).model.kernel_config.preset, "debian-13-arm64-16k");
  const bad = await runCli(["run", f16, "--kernel", "6.1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^memhp: kernel: Linux 6\.1 cannot run this arm64-16k machine: no arm64 build of Linux 6\.1 with 16K pages/);
  // A build of one's own: 64K pages over Debian's 6.12 arm64 configuration.
  const own = tmpFile("s.json", '{"machine":{"type":"virt","arch":"arm64-64k","kernel":{"version":"6.12","config":{"CONFIG_ARM64_64K_PAGES":"y"}}}}');
  const r64 = await runCli(["run", own, "--json"]);
  assert.equal(r64.code, 0, r64.stderr);
  const cfg = (JSON.parse(r64.stdout) as { model: { kernel_config: Record<string, unknown> } }).model.kernel_config;
  assert.deepEqual([cfg.preset, cfg.ARM64_PAGES, cfg.ZONE_DEVICE, cfg.ACPI_HOTPLUG_MEMORY], ["debian-13-arm64", "64K", true, false]);
});

test("compare across architectures: one version by default (5.2 has no arm64 build); a version without an arm64 build is exit 2 naming --kernels", async () => {
  const f = tmpFile("c.json", dimmScenario('"6.1"').replace(',"kernel":"6.1"', ""));
  const r = await runCli(["compare", f, "--archs", "x86_64,arm64", "--designs", "fixed", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const runs = (JSON.parse(r.stdout) as { runs: { arch: string; profile: string }[] }).runs;
  assert.deepEqual(runs.map((x) => `${x.arch} ${x.profile}`), ["x86_64 6.1", "arm64 6.1"]);
  const bad = await runCli(["compare", f, "--archs", "x86_64,arm64", "--kernels", "5.10,6.1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^memhp: --kernels: Linux 5\.10 on arm64: no arm64 build of Linux 5\.10 is modelled/);
  assert.equal(bad.stdout, "");
});

test("a 64K-page arm64 dump (no Debian build has 64K pages) imports as the version's arm64 build with CONFIG_ARM64_64K_PAGES=y, and runs", async () => {
  const src = tmpFile("s.json", '{"machine":{"type":"virt","arch":"arm64-64k","memory":"2G","maxmem":"4G","slots":2,"kernel":{"version":"6.12","config":{"CONFIG_ARM64_64K_PAGES":"y"}}},"steps":[]}');
  const dir = path.dirname(src);
  const ex = await runCli(["export-sysfs", `${src}@0`, path.join(dir, "dump")]);
  assert.equal(ex.code, 0, ex.stderr);
  // With the release the dump names (a 6.12 kernel), and without one (6.1, the default).
  fs.mkdirSync(path.join(dir, "dump", "proc", "sys", "kernel"), { recursive: true });
  fs.writeFileSync(path.join(dir, "dump", "proc", "sys", "kernel", "osrelease"), "6.12.9-64k\n");
  for (const [release, version, preset] of [
    [true, "6.12", "debian-13-arm64"],
    [false, "6.1", "debian-12-arm64"],
  ] as const) {
    if (!release) fs.rmSync(path.join(dir, "dump", "proc", "sys", "kernel", "osrelease"));
    const mf = path.join(dir, `m-${version}.json`);
    const imp = await runCli(["import", path.join(dir, "dump"), "-o", mf, "--json"]);
    assert.equal(imp.code, 0, imp.stderr);
    const m = JSON.parse(fs.readFileSync(mf, "utf8")) as { machine: { arch: string; kernel: unknown }; import: { inferred: string[] } };
    assert.equal(m.machine.arch, "arm64-64k");
    assert.deepEqual(m.machine.kernel, { ...(release ? { version } : {}), config: { CONFIG_ARM64_64K_PAGES: "y" } });
    assert.ok(m.import.inferred.some((i) => i.includes(`modelled as ${preset} with CONFIG_ARM64_64K_PAGES=y`)), m.import.inferred.join("\n"));
    const run = await runCli(["run", mf, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const t = JSON.parse(run.stdout) as { model: { profile: string; kernel_config: Record<string, unknown> }; boot: { snapshot: { memory: { block_size_bytes: string } } } };
    assert.deepEqual([t.model.profile, t.model.kernel_config.preset, t.model.kernel_config.ARM64_PAGES], [version, preset, "64K"]);
    assert.equal(t.boot.snapshot.memory.block_size_bytes, "20000000");
  }
});

test("memhp kernels lists the arm64 presets with their Debian config (text and --json)", async () => {
  const j = await runCli(["kernels", "--json"]);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as {
    profiles: { version: string; arm64_presets: string[] }[];
    presets: { name: string; arch: string; version: string; evidence: string; config: Record<string, unknown> }[];
  };
  const p = Object.fromEntries(out.presets.map((x) => [x.name, x]));
  assert.equal(p["debian-12-arm64"].arch, "arm64");
  assert.equal(p["debian-12-arm64"].config.ZONE_DEVICE, false);
  assert.equal(p["debian-13-arm64-16k"].config.ARM64_PAGES, "16K");
  assert.match(p["debian-13-arm64"].evidence, /^config-6\.12\.118\+deb13-arm64;/);
  assert.deepEqual(out.profiles.find((x) => x.version === "6.12")!.arm64_presets, ["debian-13-arm64", "debian-13-arm64-16k"]);
  const t = await runCli(["kernels"]);
  assert.match(t.stdout, /^ {2}debian-12-arm64 +6\.1 +arm64 4K +ZONE_DEVICE=n ACPI_HOTPLUG_MEMORY=n FIRMWARE_MEMMAP=n auto_online=offline +\(test\/kernel-configs\/config-6\.1\.0-57-arm64\)$/m);
});

test("Debian's 16K-page kernels (13 and unstable) and Debian unstable's arm64 kernel (real recordings): reproduce with the boot imported, on their builds (arm64-conformance.test.ts runs them derived too)", async () => {
  const { checkTrace } = await import("./check.js");
  const dir = path.join(REPO_ROOT, "test", "oracle", "arm64", "traces");
  const files = fs.readdirSync(dir).filter((f) => f.startsWith("a64-16k-"));
  for (const want of ["a64-16k-boot-1g.trixie.json", "a64-16k-virtio-mem-sbm.trixie.json", "a64-16k-efi-node0-256m-dbg.trixie.json"]) assert.ok(files.includes(want), want);
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    const t = JSON.parse(text) as { kernel_package: string; scenario: { machine: { acpi?: boolean } }; boot: { snapshot: { zoneinfo: { node0: { DMA: { start_pfn: number } } } } } };
    // Debian 13's 16K kernel (.trixie) or Debian unstable's (.sid), each with its own build data.
    assert.match(t.kernel_package, f.endsWith(".sid.json") ? /^linux-image-7\.2\.13\+deb14-arm64-16k / : /^linux-image-6\.12\.118\+deb13-arm64-16k /, f);
    // 16K pfns: RAM starts at pfn 4096 under UEFI (with edk2's flash at 0x04000000), at 65536 (0x40000000) on a device tree.
    assert.equal(t.boot.snapshot.zoneinfo.node0.DMA.start_pfn, t.scenario.machine.acpi === false ? 65536 : 4096, f);
    const r = checkTrace(text, f, "import");
    assert.deepEqual(r.mismatches, [], f);
  }
  // Debian unstable's arm64 build (7.2): boot, DIMM (nothing added), NVDIMM devdax/kmem and virtio-mem (in traces/, where
  // arm64-conformance.test.ts runs them in both boot modes).
  for (const f of ["arm64-boot-1g.sid.json", "arm64-dimm-online-movable.sid.json", "arm64-nvdimm-kmem.sid.json", "arm64-virtio-mem.sid.json"]) {
    const text = fs.readFileSync(path.join(REPO_ROOT, "test", "oracle", "arm64", "traces", f), "utf8");
    assert.match((JSON.parse(text) as { kernel: string }).kernel, /^7\.2\.13\+deb14-arm64$/);
    assert.deepEqual(checkTrace(text, f, "import").mismatches, [], f);
  }
  const sc = parseScenario(fs.readFileSync(path.join(REPO_ROOT, "test", "oracle", "arm64", "scenarios", "a64-16k-boot-1g.json"), "utf8"), "a64-16k-boot-1g.json");
  assert.equal(bootSystem(sc.machine, { boot: "derive" }).kernel.kernelProfile.preset, "debian-13-arm64-16k");
  assert.equal(bootSystem({ ...sc.machine, kernel: { version: "7.2" } }, { boot: "derive" }).kernel.kernelProfile.preset, "debian-unstable-arm64-16k");
});
