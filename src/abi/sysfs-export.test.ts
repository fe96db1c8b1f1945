/**
 * export-sysfs: the entries a state exports (spec 07), writing them safely,
 * and the round trip dump → import → export that must give back every
 * attribute of the dump.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";
import { importSnapshot } from "./import-snapshot.js";
import { dumpToSnapshot } from "./dump.js";
import { readDump } from "./dump-read.js";
import { BLOCK_ATTRS, DEVICE_POWER_FILES, exportSysroot, relativeLink, type SysrootEntry } from "./sysfs-export.js";
import { lsmem } from "./lsmem.js";
import { readSysrootDir } from "./sysroot.js";
import { sysfsView } from "./sysfs-view.js";
import { checkEntries, writeSysroot } from "../cli/sysroot-write.js";
import { SHARED, traceFile } from "../testing/paths.js";
import { treeOf } from "../testing/tree.js";
import type { Snapshot } from "./snapshot.js";

const DUMP = path.join(SHARED, "conformance", "util-linux", "x86_64-16g.tar.bz2");

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "memhp-export-test-"));
}

function bootSnapshot(name: string): Snapshot {
  return (JSON.parse(readFileSync(traceFile(name), "utf8")) as { boot: { snapshot: Snapshot } }).boot.snapshot;
}

test("relative symlink targets", () => {
  assert.equal(relativeLink("sys/devices/system/memory/memory32", "sys/devices/system/node/node0"), "../../node/node0");
  assert.equal(relativeLink("sys/devices/system/memory/memory32", "sys/bus/memory"), "../../../../bus/memory");
  assert.equal(
    relativeLink("sys/devices/system/memory/memory32", "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/PNP0C80:00"),
    "../../../LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/PNP0C80:00",
  );
});

test("a state exports every attribute of spec 07 §2 for every block, with modes and links", () => {
  const k = importSnapshot(bootSnapshot("dimm-online-kernel"));
  const entries = exportSysroot(k);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (const id of k.sortedBlockIds()) {
    const dir = `sys/devices/system/memory/memory${id}`;
    for (const [name, mode] of BLOCK_ATTRS) {
      const e = byPath.get(`${dir}/${name}`);
      assert.ok(e && e.kind === "file", `${dir}/${name}`);
      assert.equal(e.mode, mode);
    }
    for (const [name] of DEVICE_POWER_FILES) assert.ok(byPath.has(`${dir}/power/${name}`));
    assert.deepEqual(byPath.get(`${dir}/subsystem`), { kind: "symlink", path: `${dir}/subsystem`, target: "../../../../bus/memory" });
    assert.deepEqual(byPath.get(`${dir}/node0`), { kind: "symlink", path: `${dir}/node0`, target: "../../node/node0" });
    assert.ok(byPath.has(`sys/devices/system/node/node0/memory${id}`));
  }
  const f = (p: string) => (byPath.get(p) as { content: string }).content;
  assert.equal(f("sys/devices/system/memory/block_size_bytes"), "8000000\n");
  assert.equal(f("sys/devices/system/memory/memory1/phys_index"), "00000001\n");
  assert.equal(f("sys/devices/system/memory/memory0/valid_zones"), "none\n");
  assert.equal(f("sys/devices/system/node/has_memory"), "0\n");
  assert.equal(f("sys/firmware/memmap/0/end"), "0x9fbff\n");
  assert.equal(f("sys/module/memory_hotplug/parameters/online_policy"), "contig-zones\n");
  assert.ok(f("proc/iomem").startsWith("00000000-00000fff : Reserved\n"));
  assert.match(f("proc/zoneinfo"), /^Node 0, zone      DMA\n/);
  checkEntries(entries);
});

test("writing refuses paths and symlinks that leave the directory", async () => {
  const bad: SysrootEntry[][] = [
    [{ kind: "file", path: "../escape", mode: 0o444, content: "" }],
    [{ kind: "file", path: "/etc/passwd", mode: 0o444, content: "" }],
    [{ kind: "file", path: "sys/../../x", mode: 0o444, content: "" }],
    [{ kind: "symlink", path: "sys/link", target: "../../outside" }],
    [{ kind: "symlink", path: "sys/link", target: "/etc" }],
  ];
  for (const entries of bad) assert.throws(() => checkEntries(entries), InputError, JSON.stringify(entries));
  const root = tmp();
  const out = path.join(root, "out");
  await assert.rejects(() => writeSysroot(out, bad[3]), InputError);
  assert.equal(fs.existsSync(out), false);
  assert.deepEqual(fs.readdirSync(root), []);
  fs.rmSync(root, { recursive: true, force: true });
});

test("writing is all or nothing, refuses a non-empty or symlinked DIR without --force", async () => {
  const k = importSnapshot(bootSnapshot("boot-1g"));
  const entries = exportSysroot(k);
  const root = tmp();
  const out = path.join(root, "sysroot");
  await writeSysroot(out, entries);
  const first = treeOf(out);
  assert.ok(first.size > 100);
  // Not empty: refused, untouched.
  await assert.rejects(() => writeSysroot(out, entries), /not empty/);
  assert.deepEqual(treeOf(out), first);
  // A failure half-way (a duplicate file) leaves the old tree and no temporary directory.
  const broken = [...entries, entries.find((e) => e.kind === "file")!];
  await assert.rejects(() => writeSysroot(out, broken, { force: true }), InputError);
  assert.deepEqual(treeOf(out), first);
  assert.deepEqual(fs.readdirSync(root), ["sysroot"]);
  // --force replaces.
  fs.writeFileSync(path.join(out, "stale"), "x");
  await writeSysroot(out, entries, { force: true });
  assert.deepEqual(treeOf(out), first);
  // A symlink as DIR is refused (it could point anywhere).
  fs.symlinkSync(out, path.join(root, "link"));
  await assert.rejects(() => writeSysroot(path.join(root, "link"), entries, { force: true }), /symbolic link/);
  // An empty existing directory is fine.
  fs.mkdirSync(path.join(root, "empty"));
  await writeSysroot(path.join(root, "empty"), entries);
  fs.rmSync(root, { recursive: true, force: true });
});

test("import of the util-linux x86_64 dump, then export, reproduces every attribute of the dump", { skip: !fs.existsSync(DUMP) }, async () => {
  const root = tmp();
  execFileSync("tar", ["-xjf", DUMP, "-C", root]);
  const dumpRoot = path.join(root, "x86_64-16g");
  const { snapshot } = dumpToSnapshot(readDump(DUMP));
  const k = importSnapshot(snapshot);
  const out = path.join(root, "export");
  await writeSysroot(out, exportSysroot(k, { extraMemoryFiles: snapshot.extra_files }));
  const dump = treeOf(dumpRoot);
  const mine = treeOf(out);
  let compared = 0;
  for (const [p, v] of dump) {
    assert.equal(mine.get(p), v, p);
    compared++;
  }
  assert.ok(compared > 2000);
  // lsmem reads both the same way (tables only: the model also has the memmap_on_memory parameter the dump lacks).
  for (const args of [["--summary=never"], ["-a", "-o", "RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES", "--summary=never"], ["-J"], ["-r", "-b"]]) {
    assert.equal(lsmem(sysfsView(k), args).stdout, lsmem(readSysrootDir(dumpRoot), args).stdout, args.join(" "));
  }
  fs.rmSync(root, { recursive: true, force: true });
});

test("export of trace states, imported again and exported again, gives the same tree", async () => {
  for (const name of ["dimm-online-kernel", "boot-4g-q35", "dimm-movable-node"]) {
    const k = importSnapshot(bootSnapshot(name));
    const root = tmp();
    await writeSysroot(path.join(root, "a"), exportSysroot(k));
    const { snapshot } = dumpToSnapshot(readDump(path.join(root, "a")));
    const k2 = importSnapshot(snapshot);
    await writeSysroot(path.join(root, "b"), exportSysroot(k2));
    const a = treeOf(path.join(root, "a"));
    const b = treeOf(path.join(root, "b"));
    for (const [p, v] of a) assert.equal(b.get(p), v, `${name}: ${p}`);
    assert.equal(b.size, a.size, name);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
