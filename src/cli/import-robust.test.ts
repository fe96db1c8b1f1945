/**
 * `memhp import` refuses what the model cannot boot (exit 2, nothing
 * written) and writes only machine files that `memhp run` boots
 * (issue 12, items 2 and 6).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-import-robust-"));
process.on("exit", () => fs.rmSync(ROOT, { recursive: true, force: true }));
const MEM = "sys/devices/system/memory";

let good: string | null = null;
async function dump(name: string, edit: (d: string) => void): Promise<string> {
  if (!good) {
    good = path.join(ROOT, "good");
    const r = await runCli(["export-sysfs", "example:dimm@1", good]);
    assert.equal(r.code, 0, r.stderr);
  }
  const d = path.join(ROOT, name);
  fs.cpSync(good, d, { recursive: true, verbatimSymlinks: true });
  edit(d);
  return d;
}

test("import refuses a dump with a 16 TiB block size (x86_64 blocks are 128 MiB to 2 GiB)", async () => {
  const d = await dump("bs16t", (d) => {
    fs.writeFileSync(path.join(d, MEM, "block_size_bytes"), "100000000000\n");
    fs.rmSync(path.join(d, "proc/iomem"));
  });
  const out = path.join(ROOT, "bs16t.json");
  const r = await runCli(["import", d, "-o", out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /block_size_bytes: the model cannot boot this dump: block_size_bytes 0x100000000000 is more than an x86_64 kernel uses/);
  assert.equal(fs.existsSync(out), false);
});

test("an imported machine file boots: run, lint and explain take it", async () => {
  const d = await dump("plain", () => {});
  const out = path.join(ROOT, "plain.json");
  assert.equal((await runCli(["import", d, "-o", out])).code, 0);
  for (const argv of [["run", out], ["lint", out], ["explain", "memory32", out]]) {
    const r = await runCli(argv);
    assert.ok(r.code === 0 || r.code === 1, `${argv.join(" ")}: ${r.code} ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
});

// ------------------------------------------------ item 6: what people have --

let outs = 0;
/** Import, expect success; the machine file must also boot (lsmem on it). */
async function importOk(argv: string[]): Promise<{ stdout: string; machine: any; out: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = path.join(ROOT, `imported${outs++}.json`);
  const r = await runCli(["import", ...argv, "-o", out]);
  assert.equal(r.code, 0, r.stderr);
  const l = await runCli(["lsmem", out]);
  assert.equal(l.code, 0, l.stderr);
  return { stdout: r.stdout, machine: JSON.parse(fs.readFileSync(out, "utf8")), out };
}

const SERVER_IOMEM = [
  "00000000-00000fff : Reserved",
  "00001000-0009ffff : System RAM",
  "000a0000-000fffff : Reserved",
  "00100000-7fffffff : System RAM",
  "  01000000-01ffffff : Kernel code",
  "80000000-8fffffff : PCI MMCONFIG 0000 [bus 00-ff]",
  "100000000-107fffffff : System RAM",
  "1080000000-187fffffff : Persistent Memory",
  "  1080000000-187fffffff : namespace0.0",
].join("\n") + "\n";

test("import --iomem FILE alone: blocks from System RAM, the block size inferred and said", async () => {
  const f = path.join(ROOT, "server.iomem");
  fs.writeFileSync(f, SERVER_IOMEM);
  const { stdout, machine } = await importOk(["--iomem", f]);
  // RAM ends at 66 GiB: bare metal above 64 GiB probes 2 GiB blocks.
  assert.equal(machine.snapshot.memory.block_size_bytes, "80000000");
  assert.deepEqual(Object.keys(machine.snapshot.memory.blocks), ["memory0", ...Array.from({ length: 31 }, (_, i) => `memory${i + 2}`)]);
  assert.match(stdout, /inferred: block size: 2G, inferred as x86_64 probes it/);
  assert.match(stdout, /inferred: memory blocks: 32, one per 2G holding System RAM/);
});

test("import --iomem FILE --block-size: the given size; below a section refused", async () => {
  const f = path.join(ROOT, "server2.iomem");
  fs.writeFileSync(f, SERVER_IOMEM);
  const { machine, stdout } = await importOk(["--iomem", f, "--block-size", "1G"]);
  assert.equal(machine.snapshot.memory.block_size_bytes, "40000000");
  assert.doesNotMatch(stdout, /inferred: block size/);
  const r = await runCli(["import", "--iomem", f, "--block-size", "64M", "-o", path.join(ROOT, "no.json")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--block-size: expected a power of two of at least 128M/);
  assert.equal(fs.existsSync(path.join(ROOT, "no.json")), false);
});

test("import --iomem with --zoneinfo and --meminfo: nodes and MemTotal from them", async () => {
  const io = path.join(ROOT, "numa.iomem");
  fs.writeFileSync(io, "00001000-0009ffff : System RAM\n00100000-7fffffff : System RAM\n100000000-17fffffff : System RAM\n");
  const zi = path.join(ROOT, "numa.zoneinfo");
  fs.writeFileSync(zi, [
    "Node 0, zone      DMA", "        spanned  4095", "        present  3998", "  start_pfn:           1",
    "Node 0, zone    DMA32", "        spanned  520192", "        present  520192", "  start_pfn:           4096",
    "Node 1, zone   Normal", "        spanned  524288", "        present  524288", "  start_pfn:           1048576", "",
  ].join("\n"));
  const mi = path.join(ROOT, "numa.meminfo");
  fs.writeFileSync(mi, "MemTotal:        3900000 kB\r\nMemFree:  1 kB\r\n");
  const { machine } = await importOk(["--iomem", io, "--zoneinfo", zi, "--meminfo", mi]);
  assert.deepEqual(machine.snapshot.memory.blocks.memory32.nodes, ["node1"]);
  assert.deepEqual(machine.snapshot.memory.blocks.memory1.nodes, ["node0"]);
  assert.equal(machine.snapshot.meminfo.MemTotal, "3900000 kB");
});

test("a `00000000-00000000 : Crash kernel` line and CRLF line ends are read; all zeros still means not root", async () => {
  const d = await dump("crash", (d) => {
    const lines = fs.readFileSync(path.join(d, "proc/iomem"), "utf8").trimEnd().split("\n");
    lines.splice(1, 0, "00000000-00000000 : Crash kernel");
    fs.writeFileSync(path.join(d, "proc/iomem"), lines.join("\r\n") + "\r\n");
  });
  const { machine } = await importOk([d]);
  assert.ok(machine.snapshot.iomem.every((l: string) => !l.includes("\r")));
  assert.equal(Object.keys(machine.snapshot.memory.blocks).length, 16);
  const z = path.join(ROOT, "zero.iomem");
  fs.writeFileSync(z, "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n00000000-00000000 : Crash kernel\n");
  const r = await runCli(["import", "--iomem", z, "-o", path.join(ROOT, "zero.json")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /zero\.iomem:2: addresses are all zero: read \/proc\/iomem as root/);
});

test("ndctl/daxctl list JSON given to import: a message saying what import reads", async () => {
  const j = path.join(ROOT, "ndctl.json");
  fs.writeFileSync(j, JSON.stringify([{ dev: "namespace0.0", mode: "devdax", size: 1054867456, chardev: "dax0.0" }], null, 2));
  for (const argv of [["import", j, "-o", path.join(ROOT, "n.json")], ["import", "--iomem", j, "-o", path.join(ROOT, "n.json")]]) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ndctl\.json: this looks like `ndctl list` \/ `daxctl list` JSON, which import does not read: give a sysfs dump .* or \/proc\/iomem/);
    assert.equal(fs.existsSync(path.join(ROOT, "n.json")), false);
  }
});

test("kmem under an NFIT Persistent Memory range keeps its namespace, dax and System RAM (kmem) on import", async () => {
  const scn = path.join(process.cwd(), "test/oracle/scenarios/h-kmem-nvdimm-no-movable-offline.json");
  const d = path.join(ROOT, "kmem");
  assert.equal((await runCli(["export-sysfs", `${scn}@3`, d])).code, 0);
  const { out } = await importOk([d]);
  const r = await runCli(["run", out, "--json"]);
  const iomem = (JSON.parse(r.stdout).boot.snapshot.iomem as string[]).join("\n");
  assert.match(iomem, /100000000-13fffffff : Persistent Memory\n {2}100000000-1011fffff : namespace0\.0\n {2}108000000-13fffffff : dax0\.0\n {4}108000000-13fffffff : System RAM \(kmem\)/);
  const lint = await runCli(["lint", out]);
  assert.doesNotMatch(lint.stdout, /memory33\.\.memory39 can never go offline/);
});

test("explain: a dump's valid_zones none (older kernels) and removable 0 are evidence", async () => {
  const d = await dump("old", (d) => {
    fs.writeFileSync(path.join(d, MEM, "memory5/valid_zones"), "none\n");
    fs.writeFileSync(path.join(d, MEM, "memory6/removable"), "0\n");
  });
  const { out } = await importOk([d]);
  const five = await runCli(["explain", "memory5", out]);
  assert.match(five.stdout, /the dump shows valid_zones "none" for this online block although its pages lie in one zone/);
  assert.doesNotMatch(five.stdout, /spans several zones/);
  const six = await runCli(["explain", "memory6", out]);
  assert.match(six.stdout, /offline +yes \(uncertain\)/);
  assert.match(six.stdout, /the dump shows memory6\/removable 0/);
  const zero = await runCli(["explain", "memory0", out]);
  assert.match(zero.stdout, /spans several zones/);
});
