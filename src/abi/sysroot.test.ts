import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import {
  chmemOnSysroot,
  directorySysfsTarget,
  isSysrootArchive,
  lsmemOnSysroot,
  openSysroot,
  readSysroot,
  readSysrootDir,
} from "./sysroot.js";

const DATA = fileURLToPath(new URL("../../test/util-linux/", import.meta.url));
const MEM = "sys/devices/system/memory";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "memhp-sysroot-test-"));
}

/** A sysroot with `blocks` (index → files) under sys/devices/system/memory. */
function makeSysroot(blockSize: string | null, blocks: Record<string, Record<string, string>>): string {
  const root = tmp();
  mkdirSync(join(root, MEM), { recursive: true });
  if (blockSize !== null) writeFileSync(join(root, MEM, "block_size_bytes"), blockSize);
  for (const [name, files] of Object.entries(blocks)) {
    mkdirSync(join(root, MEM, name));
    for (const [f, v] of Object.entries(files)) {
      if (f.startsWith("node")) symlinkSync("../../node/" + f, join(root, MEM, name, f));
      else writeFileSync(join(root, MEM, name, f), v);
    }
  }
  return root;
}

function assertInputError(fn: () => unknown, re: RegExp, file?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.match(e.message, re);
    if (file !== undefined) assert.equal(e.location.file, file);
    return true;
  });
}

test("util-linux dumps read into views", () => {
  const x86 = readSysroot(DATA + "lsmem/dumps/x86_64-16g.tar.bz2");
  assert.equal(x86.blockSizeBytes, 128 * 1024 * 1024);
  assert.equal(x86.blocks.length, 128);
  assert.deepEqual(
    x86.blocks.map((b) => b.index).filter((i) => i >= 20 && i < 34),
    [20, 21, 22, 23, 32, 33],
  );
  assert.deepEqual(x86.blocks[0], { index: 0, state: "online\n", removable: "0\n", physDevice: "0\n", nodes: [0], validZones: "none\n" });
  assert.equal(x86.firmwareBlocks, undefined);
  assert.equal(x86.memmapOnMemoryParam, undefined);

  const s390 = readSysroot(DATA + "lsmem/dumps/s390-zvm-6g.tar.bz2");
  assert.equal(s390.blockSizeBytes, 256 * 1024 * 1024);
  assert.equal(s390.blocks.length, 24);
  assert.equal(s390.blocks[7].validZones, "DMA Normal\n");

  const arm = readSysroot(DATA + "lsmem/dumps/aarch64_16K_16g.tar.bz2");
  assert.equal(arm.blocks[0].index, 8192);
  for (const f of ["x86_64_16g", "aarch64_16k_16g"]) assert.ok(readSysroot(DATA + `chmem/dumps/${f}.tar.bz2`).blocks.length > 100);
});

test("malformed dumps are InputErrors naming the file", () => {
  const roots: string[] = [];
  const mk = (bs: string | null, blocks: Record<string, Record<string, string>> = { memory0: { state: "online\n" } }) => {
    const r = makeSysroot(bs, blocks);
    roots.push(r);
    return r;
  };
  try {
    let r = mk(null);
    assertInputError(() => readSysrootDir(r), /missing block_size_bytes/, join(r, MEM, "block_size_bytes"));
    r = mk("zz\n");
    assertInputError(() => readSysrootDir(r), /not a hexadecimal number: "zz\\n"/, join(r, MEM, "block_size_bytes"));
    r = mk("0\n");
    assertInputError(() => readSysrootDir(r), /out of range/);
    r = mk("80000000000000000\n");
    assertInputError(() => readSysrootDir(r), /out of range/);
    r = mk("8000000\n", {});
    assertInputError(() => readSysrootDir(r), /no memoryN block directories/, join(r, MEM));
    r = mk("8000000\n", { memory1: { state: "online\n" }, memory01: { state: "online\n" } });
    assertInputError(() => readSysrootDir(r), /block 1 appears twice/);
    r = mk("8000000\n", { memory99999999999999999999: {} });
    assertInputError(() => readSysrootDir(r), /too large/);
    r = mk("8000000\n");
    writeFileSync(join(r, MEM, "memory7"), "");
    assertInputError(() => readSysrootDir(r), /memory7 is not a directory/);
    r = tmp();
    roots.push(r);
    assertInputError(() => readSysrootDir(r), /not a sysroot: sys\/devices\/system\/memory is missing/, r);
    assertInputError(() => readSysroot(join(r, "nope")), /no such sysroot/);
    writeFileSync(join(r, "f.txt"), "x");
    assertInputError(() => readSysroot(join(r, "f.txt")), /not a directory or a \.tar/);
    writeFileSync(join(r, "bad.tar.bz2"), "not bzip2");
    assertInputError(() => readSysroot(join(r, "bad.tar.bz2")), /cannot extract archive/, join(r, "bad.tar.bz2"));
    mkdirSync(join(r, "a", "b"), { recursive: true });
    execFileSync("tar", ["-czf", join(r, "empty.tar.gz"), "-C", join(r, "a"), "b"]);
    assertInputError(() => readSysroot(join(r, "empty.tar.gz")), /archive holds no sys\/devices\/system\/memory/);
  } finally {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  }
});

test("optional files, node links, firmware memory and module parameters", () => {
  const r = makeSysroot("0x10000000\n", {
    memory2: { state: "offline\n", node1: "", node0: "", nodeX: "" },
    memory10: {},
  });
  try {
    mkdirSync(join(r, "sys/firmware/memory/memory0"), { recursive: true });
    writeFileSync(join(r, "sys/firmware/memory/memory0/config"), "1\n");
    mkdirSync(join(r, "sys/module/memory_hotplug/parameters"), { recursive: true });
    writeFileSync(join(r, "sys/module/memory_hotplug/parameters/memmap_on_memory"), "Y\n");
    const v = readSysrootDir(r);
    assert.equal(v.blockSizeBytes, 0x10000000);
    assert.deepEqual(v.blocks, [
      { index: 2, state: "offline\n", nodes: [0, 1] },
      { index: 10, state: "", nodes: [] },
    ]);
    assert.deepEqual(v.firmwareBlocks, [{ index: 0, config: "1\n" }]);
    assert.equal(v.memmapOnMemoryParam, "Y\n");
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test("openSysroot: archives extract to a temporary directory that cleanup removes", () => {
  assert.ok(isSysrootArchive("a.tar.bz2") && isSysrootArchive("a.tgz") && isSysrootArchive("a.tar") && !isSysrootArchive("a.zip"));
  const s = openSysroot(DATA + "lsmem/dumps/s390-zvm-6g.tar.bz2");
  assert.match(s.root, /s390-zvm-6g$/);
  assert.equal(readFileSync(join(s.root, MEM, "block_size_bytes"), "utf8"), "10000000\n");
  s.cleanup();
  assert.throws(() => readFileSync(join(s.root, MEM, "block_size_bytes")));
});

test("directorySysfsTarget writes like chmem on a sysroot: existing files, offset 0, no truncation", () => {
  const r = makeSysroot("8000000\n", { memory3: { state: "offline\n", valid_zones: "Normal\n" } });
  try {
    mkdirSync(join(r, MEM, "memory3", "subdir"));
    const t = directorySysfsTarget(r);
    assert.equal(t.read(`/${MEM}/memory3/state`), "offline\n");
    assert.equal(t.read(`/${MEM}/memory3/nope`), null);
    assert.deepEqual(t.list(`/${MEM}`)?.sort(), ["block_size_bytes", "memory3"]);
    assert.equal(t.list(`/${MEM}/nope`), null);
    assert.equal(t.exists?.(`/${MEM}/memory3`), true);
    assert.equal(t.exists?.(`/${MEM}/memory4`), false);
    assert.deepEqual(t.write(`/${MEM}/memory3/state`, "online"), { ok: true });
    assert.equal(readFileSync(join(r, MEM, "memory3/state"), "utf8"), "onlinee\n");
    assert.deepEqual(t.write(`/${MEM}/memory3/online`, "1"), { ok: false, errno: "ENOENT" });
    assert.deepEqual(t.write(`/${MEM}/memory3/subdir`, "1"), { ok: false, errno: "EISDIR" });
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test("lsmemOnSysroot and chmemOnSysroot resolve --sysroot (directories and archives)", () => {
  const tarball = DATA + "lsmem/dumps/x86_64-16g.tar.bz2";
  const summary = "Memory block size:                128M\nTotal online memory:               16G\nTotal offline memory:               0B\n";
  assert.deepEqual(lsmemOnSysroot(["--summary=only", "--sysroot", tarball]), { stdout: summary, stderr: "", exitCode: 0 });
  assert.equal(lsmemOnSysroot(["--summary=only"], { defaultSysroot: tarball }).stdout, summary);
  assert.equal(lsmemOnSysroot(["-h"], { defaultSysroot: "/nonexistent" }).exitCode, 0);
  assertInputError(() => lsmemOnSysroot(["-s", "/nonexistent/root"]), /no such sysroot/);

  const r = makeSysroot("8000000\n", { memory0: { state: "online\n" }, memory1: { state: "offline\n" } });
  try {
    const res = chmemOnSysroot(["-v", "-e", "--blocks", "0-1", "--sysroot", r]);
    assert.deepEqual(res, {
      stdout:
        "Memory Block 0 (0x0000000000000000-0x0000000007ffffff) already enabled\n" +
        "Memory Block 1 (0x0000000008000000-0x000000000fffffff) enabled\n",
      stderr: "",
      exitCode: 0,
    });
    assert.equal(readFileSync(join(r, MEM, "memory1/state"), "utf8"), "onlinee\n");
    assert.equal(lsmemOnSysroot(["-s", r, "--all", "-r", "-o", "BLOCK,STATE"]).stdout, "BLOCK STATE\n0 online\n1 ?\n");
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});
