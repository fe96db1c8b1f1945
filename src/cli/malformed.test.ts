/**
 * Bad input ends in exit 2 with a message that says where (file, line,
 * field), never a stack trace, never a partial output file: a corpus of
 * malformed dumps (truncated files, bad numbers, missing block_size_bytes,
 * overlapping ranges), malformed machine files and bad arguments.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";
import { sysrootCases } from "../testing/sysroot-cases.js";
import { traceFile } from "../testing/paths.js";

const { root: ROOT, goodDump, dumpWith } = sysrootCases("memhp-malformed-");
let n = 0;


const MEM = "sys/devices/system/memory";
const put = (dir: string, rel: string, text: string) => fs.writeFileSync(path.join(dir, rel), text);
const del = (dir: string, rel: string) => fs.rmSync(path.join(dir, rel), { recursive: true, force: true });

/** Expect exit 2, a located memhp message matching `where` and `what`, no stack trace, no output file. */
async function expectBad(argv: string[], where: RegExp, what: RegExp, outputs: string[] = []): Promise<void> {
  const r = await runCli(argv);
  const label = argv.join(" ");
  assert.equal(r.code, 2, `${label}: exit ${r.code}, stderr ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${label}: stack trace`);
  assert.doesNotMatch(r.stderr, /internal error/, label);
  assert.match(r.stderr, /^(memhp: |error: )/, label);
  assert.match(r.stderr, where, `${label}: location in ${r.stderr}`);
  assert.match(r.stderr, what, `${label}: message in ${r.stderr}`);
  for (const o of outputs) assert.equal(fs.existsSync(o), false, `${label}: left ${o}`);
}

const DUMP_CASES: [string, (d: string) => void, RegExp, RegExp][] = [
  ["missing block_size_bytes", (d) => del(d, `${MEM}/block_size_bytes`), /block_size_bytes/, /missing block_size_bytes/],
  ["block_size_bytes not hex", (d) => put(d, `${MEM}/block_size_bytes`, "8000zz\n"), /block_size_bytes: /, /not a hexadecimal number/],
  ["block_size_bytes too small", (d) => put(d, `${MEM}/block_size_bytes`, "1000\n"), /block_size_bytes: /, /not a power of two/],
  ["block_size_bytes empty (truncated)", (d) => put(d, `${MEM}/block_size_bytes`, ""), /block_size_bytes: /, /empty block_size_bytes \(truncated/],
  ["state truncated", (d) => put(d, `${MEM}/memory32/state`, ""), /memory32\/state: /, /empty state \(truncated/],
  ["state cut short", (d) => put(d, `${MEM}/memory32/state`, "onl"), /memory32\/state: /, /expected online, offline/],
  ["state missing", (d) => del(d, `${MEM}/memory33/state`), /memory33\/state: /, /missing state/],
  ["phys_index not the block", (d) => put(d, `${MEM}/memory32/phys_index`, "00000021\n"), /memory32\/phys_index: /, /does not match memory32/],
  ["phys_index bad number", (d) => put(d, `${MEM}/memory32/phys_index`, "0000002g\n"), /memory32\/phys_index: /, /not a hexadecimal number/],
  ["online not a boolean", (d) => put(d, `${MEM}/memory32/online`, "2\n"), /memory32\/online: /, /expected 0 or 1/],
  ["removable bad", (d) => put(d, `${MEM}/memory32/removable`, "yes\n"), /memory32\/removable: /, /expected 0 or 1/],
  ["phys_device negative", (d) => put(d, `${MEM}/memory32/phys_device`, "-1\n"), /memory32\/phys_device: /, /not a decimal number/],
  ["valid_zones unknown zone", (d) => put(d, `${MEM}/memory32/valid_zones`, "Normal Highmem\n"), /memory32\/valid_zones: /, /unknown zone "Highmem"/],
  ["two lines in an attribute", (d) => put(d, `${MEM}/memory32/state`, "offline\noffline\n"), /memory32\/state: /, /one line/],
  ["duplicate block", (d) => fs.cpSync(path.join(d, `${MEM}/memory32`), path.join(d, `${MEM}/memory032`), { recursive: true, verbatimSymlinks: true }), /memory0?32: /, /appears twice \(memory0?32 and memory0?32\)/],
  ["no blocks", (d) => { for (const e of fs.readdirSync(path.join(d, MEM))) if (/^memory\d+$/.test(e)) del(d, `${MEM}/${e}`); }, /sys\/devices\/system\/memory/, /no memoryN/],
  ["iomem overlapping ranges", (d) => fs.appendFileSync(path.join(d, "proc/iomem"), "13ff00000-14fffffff : Reserved\n"), /proc\/iomem:\d+: /, /overlaps "System RAM"/],
  ["iomem truncated line", (d) => fs.appendFileSync(path.join(d, "proc/iomem"), "fd00000000-ffff"), /proc\/iomem:\d+: /, /not an iomem line/],
  ["iomem bad range", (d) => fs.appendFileSync(path.join(d, "proc/iomem"), "200000000-1fffffff : Reserved\n"), /proc\/iomem:\d+: /, /bad range/],
  ["iomem of another machine", (d) => put(d, "proc/iomem", "00001000-0009fbff : System RAM\n"), /proc\/iomem: /, /holds no System RAM here/],
  ["iomem empty", (d) => put(d, "proc/iomem", "\n"), /proc\/iomem: /, /empty \/proc\/iomem/],
  ["zoneinfo truncated", (d) => put(d, "proc/zoneinfo", "Node 0, zone      DMA\n  pages free     3840\n"), /proc\/zoneinfo:1: /, /no spanned\/present lines \(truncated/],
  ["zoneinfo bad number", (d) => put(d, "proc/zoneinfo", "Node 0, zone      DMA\n        spanned  40x5\n        present  3998\n"), /proc\/zoneinfo:2: /, /spanned: not a number/],
  ["zoneinfo unknown zone", (d) => put(d, "proc/zoneinfo", "Node 0, zone  HighMem\n        spanned  1\n        present  1\n"), /proc\/zoneinfo:1: /, /unknown zone/],
  ["meminfo bad number", (d) => put(d, "proc/meminfo", "MemTotal:  lots kB\n"), /proc\/meminfo:1: /, /MemTotal/],
  ["firmware memmap overlapping entries", (d) => { fs.mkdirSync(path.join(d, "sys/firmware/memmap/99")); put(d, "sys/firmware/memmap/99/start", "0x1000\n"); put(d, "sys/firmware/memmap/99/end", "0x2fff\n"); put(d, "sys/firmware/memmap/99/type", "Reserved\n"); }, /memmap\/99/, /overlaps entry 0/],
  ["firmware memmap end below start", (d) => put(d, "sys/firmware/memmap/0/start", "0xa0000\n"), /memmap\/0\/end: /, /below start/],
  ["firmware memmap without 0x", (d) => put(d, "sys/firmware/memmap/0/start", "0\n"), /memmap\/0\/start: /, /0x-prefixed/],
  ["firmware memmap truncated entry", (d) => del(d, "sys/firmware/memmap/1/type"), /memmap\/1/, /missing type/],
  ["node mask garbage", (d) => put(d, "sys/devices/system/node/has_memory", "0-x\n"), /has_memory: /, /not a node list/],
  ["module parameter garbage", (d) => put(d, "sys/module/memory_hotplug/parameters/online_policy", "fastest\n"), /online_policy: /, /unexpected value/],
  ["auto_online_blocks garbage", (d) => put(d, `${MEM}/auto_online_blocks`, "maybe\n"), /auto_online_blocks: /, /unknown value/],
];

for (const [name, edit, where, what] of DUMP_CASES) {
  test(`malformed dump: ${name} → exit 2, located`, async () => {
    const dir = await dumpWith(edit);
    const out = path.join(ROOT, `out-${n}.json`);
    await expectBad(["import", dir, "-o", out], where, what, [out]);
    const exp = path.join(ROOT, `exp-${n}`);
    await expectBad(["export-sysfs", "--sysroot", dir, exp], where, what, [exp]);
  });
}

test("malformed dump: not a sysroot, a broken tarball", async () => {
  const empty = path.join(ROOT, "empty");
  fs.mkdirSync(empty);
  await expectBad(["import", empty, "-o", path.join(ROOT, "x.json")], /empty/, /not a sysroot/, [path.join(ROOT, "x.json")]);
  const tar = path.join(ROOT, "broken.tar.bz2");
  fs.writeFileSync(tar, "BZh91AY&SY this is not bzip2");
  await expectBad(["import", tar, "-o", path.join(ROOT, "y.json")], /broken\.tar\.bz2/, /cannot extract/, [path.join(ROOT, "y.json")]);
  await expectBad(["explain", "memory0", "--sysroot", path.join(ROOT, "nope")], /nope/, /no such/);
});

/** A valid machine file (imported from the good dump), as an object to break. */
async function machineFile(): Promise<Record<string, unknown>> {
  const out = path.join(ROOT, "good-machine.json");
  if (!fs.existsSync(out)) {
    const r = await runCli(["import", await goodDump(), "-o", out]);
    assert.equal(r.code, 0, r.stderr);
  }
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

const MACHINE_CASES: [string, (m: Record<string, any>) => string, RegExp, RegExp][] = [
  ["truncated JSON", (m) => JSON.stringify(m, null, 1).slice(0, 500), /\.json:\d+:\d+: /, /./],
  ["unknown top-level key", (m) => JSON.stringify({ ...m, extra: 1 }, null, 1), /\.json:\d+:\d+: extra: /, /unknown key "extra"/],
  ["missing snapshot", (m) => JSON.stringify({ ...m, snapshot: undefined }, null, 1), /snapshot: /, /missing/],
  ["block state of the wrong type", (m) => { m.snapshot.memory.blocks.memory32.state = 5; return JSON.stringify(m, null, 1); }, /\.json:\d+:\d+: snapshot\.memory\.blocks\.memory32\.state: /, /expected a string/],
  ["bad block size", (m) => { m.snapshot.memory.block_size_bytes = "123"; return JSON.stringify(m, null, 1); }, /snapshot\.memory\.block_size_bytes: /, /not a power of two/],
  ["negative zone span", (m) => { m.snapshot.zoneinfo.node0.DMA.spanned = -4; return JSON.stringify(m, null, 1); }, /snapshot\.zoneinfo\.node0\.DMA\.spanned: /, /page count/],
  ["bad iomem line", (m) => { (m.snapshot.iomem as string[])[2] = "garbage"; return JSON.stringify(m, null, 1); }, /snapshot\.iomem\[2\]: /, /iomem line/],
  ["unknown op", (m) => JSON.stringify({ ...m, steps: [{ op: "plug-cpu" }] }, null, 1), /\.json:\d+:\d+: steps\[0\]\.op: /, /unknown op "plug-cpu"/],
  ["negative DIMM size", (m) => JSON.stringify({ ...m, steps: [{ op: "plug-dimm", id: "d", size: "-1G" }] }, null, 1), /steps\[0\]\.size: /, /negative/],
  ["huge DIMM size", (m) => JSON.stringify({ ...m, steps: [{ op: "plug-dimm", id: "d", size: "99999999T" }] }, null, 1), /steps\[0\]\.size: /, /./],
  ["machine of the wrong type", (m) => JSON.stringify({ ...m, machine: { ...m.machine, memory: true } }, null, 1), /machine\.memory: /, /./],
];

for (const [name, edit, where, what] of MACHINE_CASES) {
  test(`malformed machine file: ${name} → exit 2, located`, async () => {
    const file = path.join(ROOT, `machine-${n++}.json`);
    fs.writeFileSync(file, edit(structuredClone(await machineFile())));
    const trace = path.join(ROOT, `trace-${n}.json`);
    await expectBad(["run", file, "--trace", trace], where, what, [trace]);
    await expectBad(["lint", file], where, what);
  });
}

const ARG_CASES: [string, string[], RegExp, RegExp][] = [
  ["explain: not a target", ["explain", "memoryX", "example:dimm"], /TARGET: /, /expected memoryN/],
  ["explain: range ends before it starts", ["explain", "0x2000-0x1000", "example:dimm"], /TARGET: /, /end below start/],
  ["explain: huge size", ["explain", "0x100000000+99999999T", "example:dimm"], /TARGET: /, /out of range/],
  ["explain: no such block", ["explain", "memory4096", "example:dimm"], /TARGET: /, /no block memory4096/],
  ["explain: nothing to look at", ["explain", "memory0"], /memhp: /, /nothing to look at/],
  ["explain: FILE and --sysroot", ["explain", "memory0", "example:dimm", "--sysroot", "/tmp"], /--sysroot: /, /either/],
  ["explain: bad --boot", ["explain", "memory0", "example:dimm", "--boot", "guess"], /--boot/, /invalid/],
  ["lsmem: step beyond the scenario", ["lsmem", `${traceFile("boot-1g")}@7`], /boot-1g\.json@7: /, /only 0 step/],
  ["lsmem: unreadable model", ["lsmem", "/nonexistent/scenario.yaml"], /\/nonexistent\/scenario\.yaml: /, /cannot read/],
  ["lsmem: bad --boot", ["lsmem", "--boot", "maybe", "example:dimm"], /--boot: /, /expected derive or import/],
  ["chmem: --sysroot and MODEL", ["chmem", "-e", "--sysroot", "/tmp", "example:dimm", "1G"], /example:dimm: /, /either --sysroot/],
  ["export-sysfs: no DIR", ["export-sysfs", "example:dimm"], /DIR: /, /missing the output directory/],
  ["export-sysfs: missing parent", ["export-sysfs", "example:dimm", "/nonexistent/dir/out"], /\/nonexistent\/dir\/out: /, /cannot write: directory \/nonexistent\/dir does not exist/],
  ["import: source and --live", ["import", "/tmp", "--live", "-o", "x.json"], /\/tmp: /, /either/],
  ["import: bad --slots", ["import", "/tmp", "-o", "x.json", "--slots", "many"], /--slots: /, /expected a number/],
  ["import: bad --maxmem", ["import", "/tmp", "-o", "x.json", "--maxmem", "12Q"], /--maxmem: /, /not a size/],
  ["import: negative --maxmem", ["import", "/tmp", "-o", "x.json", "--maxmem", "-4G"], /--maxmem: /, /negative/],
  ["lint: unknown example", ["lint", "example:nope"], /example:nope: /, /no built-in example/],
];

for (const [name, argv, where, what] of ARG_CASES) {
  test(`bad arguments: ${name} → exit 2`, async () => {
    await expectBad(argv, where, what, [path.join(process.cwd(), "x.json")]);
  });
}
