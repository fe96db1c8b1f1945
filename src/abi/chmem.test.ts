import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chmem, chmemSysrootArg, type SysfsTarget } from "./chmem.js";
import { strverscmp } from "./util-linux/cnum.js";
import { ulParseSize } from "./util-linux/size.js";
import { lsmem } from "./lsmem.js";
import { directorySysfsTarget, openSysroot, readSysrootDir } from "./sysroot.js";

const DATA = fileURLToPath(new URL("../../test/util-linux/", import.meta.url));
const MEM = "/sys/devices/system/memory";

/**
 * An in-memory sysfs. `files` maps absolute paths to contents; "@dir" marks a
 * directory that would otherwise be implicit, "@symlink" a dangling link.
 * Writes behave like writes to regular files (offset 0, no truncation)
 * unless `writeErrors` names the path, or `kernelWrites` replaces contents.
 */
function fakeSysfs(
  files: Record<string, string>,
  opts: { writeErrors?: Record<string, string>; kernelWrites?: boolean } = {},
) {
  const f = { ...files };
  const writes: [string, string][] = [];
  const isDirPath = (p: string) => f[p] === "@dir" || Object.keys(f).some((k) => k.startsWith(p + "/"));
  const target: SysfsTarget = {
    read: (p) => (f[p] === undefined || f[p].startsWith("@") ? null : f[p]),
    list: (dir) => {
      if (!isDirPath(dir)) return null;
      const names = new Set<string>();
      for (const k of Object.keys(f)) if (k.startsWith(dir + "/")) names.add(k.slice(dir.length + 1).split("/")[0]);
      return [...names];
    },
    exists: (p) => (p in f && f[p] !== "@symlink") || isDirPath(p),
    write: (p, v) => {
      const e = opts.writeErrors?.[p];
      if (e) return { ok: false, errno: e };
      if (isDirPath(p)) return { ok: false, errno: "EISDIR" };
      const cur = f[p];
      if (cur === undefined || cur === "@symlink") return { ok: false, errno: "ENOENT" };
      f[p] = opts.kernelWrites ? v : v + cur.slice(v.length);
      writes.push([p, v]);
      return { ok: true };
    },
  };
  return { target, files: f, writes };
}

/** util-linux's chmem test (tests/ts/chmem/*), step by step, on an extracted dump. */
function utilLinuxChmemTest(dump: string, blockIdx: string, zoneIdx: string) {
  const s = openSysroot(DATA + `chmem/dumps/${dump}.tar.bz2`);
  try {
    const root = s.root;
    const t = directorySysfsTarget(root);
    const results: Record<string, { out: string; err: string }> = {};
    const doChmem = (r: { out: string; err: string }, args: string[]) => {
      const res = chmem(t, ["--sysroot", root, ...args]);
      r.out += res.stdout;
      r.err += res.stderr;
    };
    const cat = (p: string) => readFileSync(root + p, "utf8");
    const truncate = (p: string) => writeFileSync(root + p, "");

    const blocks = { out: "", err: "" };
    const st = `${MEM}/memory${blockIdx}/state`;
    doChmem(blocks, ["--disable", "--blocks", blockIdx]);
    blocks.out += cat(st);
    truncate(st);
    blocks.out += "\n";
    doChmem(blocks, ["--enable", "--blocks", blockIdx]);
    blocks.out += cat(st) + "\n";
    results["enable-disable-blocks"] = blocks;

    const zone = { out: "", err: "" };
    const raw = lsmem(readSysrootDir(root), ["--sysroot", root, "--all", "--output=BLOCK,RANGE", "--raw"]).stdout;
    const rangeStr = raw.split("\n").find((l) => l.startsWith(zoneIdx + " "))!.slice(zoneIdx.length + 1);
    const vz = root + `${MEM}/memory${zoneIdx}/valid_zones`;
    chmodSync(vz, 0o644);
    writeFileSync(vz, "Movable\n");
    const zst = `${MEM}/memory${zoneIdx}/state`;
    doChmem(zone, ["--verbose", "--disable", rangeStr]);
    zone.out += cat(zst);
    truncate(zst);
    zone.out += "\n";
    doChmem(zone, ["--verbose", "--enable", "--zone", "Movable", rangeStr]);
    zone.out += cat(zst) + "\n";
    doChmem(zone, ["--verbose", "--enable", rangeStr]);
    truncate(zst);
    zone.out += "\n";
    doChmem(zone, ["--verbose", "--enable", "--zone", "Normal", rangeStr]);
    zone.out += cat(zst) + "\n";
    results["enable-disable-zone"] = zone;
    return results;
  } finally {
    s.cleanup();
  }
}

for (const [dump, blockIdx, zoneIdx] of [
  ["x86_64_16g", "0", "4"],
  ["aarch64_16k_16g", "8193", "8195"],
]) {
  test(`util-linux chmem test ${dump}: outputs and sysfs writes as expected`, () => {
    const got = utilLinuxChmemTest(dump, blockIdx, zoneIdx);
    for (const sub of ["enable-disable-blocks", "enable-disable-zone"]) {
      const exp = readFileSync(DATA + `chmem/expected/${dump}-${sub}`, "utf8");
      let expErr = "";
      try {
        expErr = readFileSync(DATA + `chmem/expected/${dump}-${sub}.err`, "utf8");
      } catch {
        /* no stderr expected */
      }
      assert.equal(got[sub].out, exp, `${sub} stdout`);
      assert.equal(got[sub].err, expErr, `${sub} stderr`);
    }
  });
}

test("synthetic sysroots: outputs and writes recorded from the reference build", () => {
  const fx = JSON.parse(readFileSync(DATA + "chmem/synthetic-cases.json", "utf8")) as {
    sysroots: Record<string, Record<string, string>>;
    cases: { sysroot: string; args: string[]; stdout: string; stderr: string; exitCode: number; changed: Record<string, string> }[];
  };
  assert.ok(fx.cases.length >= 70);
  for (const c of fx.cases) {
    const fake = fakeSysfs(fx.sysroots[c.sysroot]);
    const r = chmem(fake.target, [...c.args, "--sysroot", "/x"]);
    const what = `${c.sysroot}: chmem ${c.args.join(" ")}`;
    assert.equal(r.stdout, c.stdout, what);
    assert.equal(r.stderr, c.stderr, what);
    assert.equal(r.exitCode, c.exitCode, what);
    const changed: Record<string, string> = {};
    for (const [k, v] of Object.entries(fake.files)) if (fx.sysroots[c.sysroot][k] !== v) changed[k] = v;
    assert.deepEqual(changed, c.changed, what);
  }
});

/** A small x86-like sysfs: 128 MiB blocks 30..35, as a kernel would show them. */
function small(states: string[], zones: string[] = states.map(() => "Normal\n")) {
  const files: Record<string, string> = { [`${MEM}/block_size_bytes`]: "8000000\n" };
  states.forEach((s, i) => {
    files[`${MEM}/memory${30 + i}/state`] = s;
    files[`${MEM}/memory${30 + i}/valid_zones`] = zones[i];
  });
  return files;
}

test("write failures: warn() with strerror on ranges, verbose lines and a summary on sizes", () => {
  const files = small(["online\n", "online\n", "online\n", "offline\n"]);
  const errs = { [`${MEM}/memory31/state`]: "EBUSY", [`${MEM}/memory32/state`]: "EINVAL" };
  const a = fakeSysfs(files, { writeErrors: errs, kernelWrites: true });
  assert.deepEqual(chmem(a.target, ["-d", "-b", "30-33"]), {
    stdout: "",
    stderr:
      "chmem: Memory Block 31 (0x00000000f8000000-0x00000000ffffffff) disable failed: Device or resource busy\n" +
      "chmem: Memory Block 32 (0x0000000100000000-0x0000000107ffffff) disable failed: Invalid argument\n",
    exitCode: 64,
  });
  assert.deepEqual(a.writes, [[`${MEM}/memory30/state`, "offline"]]);

  const b = fakeSysfs(files, { writeErrors: errs, kernelWrites: true });
  assert.deepEqual(chmem(b.target, ["-d", "-v", "384M"]), {
    stdout:
      "Memory Block 32 (0x0000000100000000-0x0000000107ffffff) disable failed\n" +
      "Memory Block 31 (0x00000000f8000000-0x00000000ffffffff) disable failed\n" +
      "Memory Block 30 (0x00000000f0000000-0x00000000f7ffffff) disabled\n",
    stderr: "chmem: Could only disable 128M of memory\n",
    exitCode: 64,
  });

  const c = fakeSysfs(files, { writeErrors: { ...errs, [`${MEM}/memory30/state`]: "EBUSY" }, kernelWrites: true });
  assert.deepEqual(chmem(c.target, ["-d", "128M"]), { stdout: "", stderr: "chmem: Could only disable 0B of memory\n", exitCode: 1 });
  assert.deepEqual(chmem(c.target, ["-d", "-b", "30-32"]).exitCode, 1);
});

test("enable picks online_movable when Movable is a valid zone; -z selects kernel or movable", () => {
  const files = small(["offline\n", "offline\n", "offline\n"], ["Normal Movable\n", "Movable Normal\n", "Normal\n"]);
  const a = fakeSysfs(files, { kernelWrites: true });
  assert.equal(chmem(a.target, ["-e", "-b", "30-32"]).exitCode, 0);
  assert.deepEqual(a.writes.map((w) => w[1]), ["online_movable", "online_movable", "online"]);
  const b = fakeSysfs(files, { kernelWrites: true });
  const r = chmem(b.target, ["-e", "-b", "30-32", "-z", "Movable"]);
  assert.equal(r.stderr, "chmem: Memory Block 32 (0x0000000100000000-0x0000000107ffffff) enable failed: Zone mismatch\n");
  assert.equal(r.exitCode, 64);
  const c = fakeSysfs(files, { kernelWrites: true });
  chmem(c.target, ["-e", "-b", "30-32", "-z", "normal"]);
  assert.deepEqual(c.writes.map((w) => w[1]), ["online_kernel", "online_kernel", "online_kernel"]);
  // without valid_zones -z is ignored with a warning
  const d = fakeSysfs({ [`${MEM}/block_size_bytes`]: "8000000\n", [`${MEM}/memory30/state`]: "offline\n" }, { kernelWrites: true });
  assert.deepEqual(chmem(d.target, ["-e", "-b", "30", "-z", "Movable", "-v"]), {
    stdout: "Memory Block 30 (0x00000000f0000000-0x00000000f7ffffff) enabled\n",
    stderr: "chmem: zone ignored, no valid_zones sysfs attribute present\n",
    exitCode: 0,
  });
});

test("argument errors", () => {
  const t = fakeSysfs(small(["online\n"])).target;
  const TRY = "Try 'chmem --help' for more information.\n";
  const cases: [string[], string][] = [
    [[], "chmem: bad usage\n" + TRY],
    [["-e"], "chmem: bad usage\n" + TRY],
    [["-b", "30"], "chmem: bad usage\n" + TRY],
    [["-e", "1", "2"], "chmem: bad usage\n" + TRY],
    [["-x"], "chmem: invalid option -- 'x'\n" + TRY],
    [["-e", "--zone"], "chmem: option '--zone' requires an argument\n" + TRY],
    [["-e", "-d", "1"], "chmem: options --enable and --disable cannot be combined\n"],
    [["-d", "-m", "1", "1"], "chmem: options --disable and --memmap-on-memory cannot be combined\n"],
    [["-e", "-z", "Foo", "128M"], "chmem: unknown memory zone: Foo\n" + TRY],
    [["-e", "100M"], "chmem: Size must be aligned to memory block size (128M)\n"],
    [["-e", "12x"], "chmem: Failed to parse size: '12x': Invalid argument\n"],
    [["-e", "99999999999999999999G"], "chmem: Failed to parse size: '99999999999999999999G': Numerical result out of range\n"],
    [["-e", "-b", "x-3"], "chmem: Failed to parse start: 'x'\n"],
    [["-e", "-b", "5-3"], "chmem: Invalid range: 5-3\n"],
    [["-e", "1-2-3"], "chmem: Invalid parameter: 1-2-3\n"],
    [["-e", "--", "---"], "chmem: Invalid parameter: ---\n"],
    [["-e", "---"], "chmem: unrecognized option '---'\n" + TRY],
    [["-e", "0x0-7ffffff"], "chmem: Invalid end address format: 7ffffff\n"],
    [["-e", "0x0-0x7fffff"], "chmem: Start address and (end address + 1) must be aligned to memory block size (128M)\n"],
    [["-e", "0x0-0xzz"], "chmem: Failed to parse end address: '0xzz'\n"],
  ];
  for (const [args, err] of cases) assert.deepEqual(chmem(t, args), { stdout: "", stderr: err, exitCode: 1 }, args.join(" "));
  // -c conflicts with nothing (util-linux's exclusion table is out of ASCII order)
  assert.equal(chmem(t, ["-c", "-e", "-b", "30"]).exitCode, 0);
  assert.equal(chmem(t, ["-h"]).stdout.split("\n").slice(0, 3).join("\n"), "\nUsage:\n chmem [options] [SIZE|RANGE|BLOCKRANGE]");
  assert.equal(chmem(t, ["-V"]).stdout, "chmem from util-linux 2.43.devel-1218-39465\n");
  assert.equal(chmemSysrootArg(["-e", "--sysr=/a", "-s", "/b", "1"]), "/b");
});

test("sysfs problems", () => {
  assert.deepEqual(chmem(fakeSysfs({}).target, ["-e", "1"]), {
    stdout: "",
    stderr: "chmem: cannot open /sys/devices/system/memory: No such file or directory\n",
    exitCode: 1,
  });
  assert.deepEqual(chmem(fakeSysfs({ [`${MEM}/block_size_bytes`]: "8000000\n" }).target, ["-e", "1"]).stderr, "chmem: Failed to read /sys/devices/system/memory: Success\n");
  assert.deepEqual(chmem(fakeSysfs({ [`${MEM}/memory0/state`]: "online\n" }).target, ["-e", "1"]).stderr, "chmem: Failed to read /sys/devices/system/memory: No such file or directory\n");
  // a zero block size divides by zero: SIGFPE
  const zero = fakeSysfs({ [`${MEM}/block_size_bytes`]: "0\n", [`${MEM}/memory0/state`]: "online\n" }).target;
  assert.deepEqual(chmem(zero, ["-e", "1G"]), { stdout: "", stderr: "", exitCode: 136 });
});

test("s390 memory configuration: util-linux never lists the configurable blocks", () => {
  const files = {
    ...small(["offline\n", "online\n"]),
    "/sys/firmware/memory/memory30/config": "0\n",
    "/sys/firmware/memory/memory30/memmap_on_memory": "0\n",
    "/sys/firmware/memory/memory31/config": "1\n",
    "/sys/firmware/memory/memory31/memmap_on_memory": "0\n",
  };
  const f = fakeSysfs(files);
  assert.deepEqual(chmem(f.target, ["-e", "-b", "30-31"]), { stdout: "", stderr: "", exitCode: 1 });
  assert.deepEqual(chmem(f.target, ["-e", "256M"]), { stdout: "", stderr: "chmem: Could only enable 0B of memory\n", exitCode: 1 });
  assert.deepEqual(chmem(f.target, ["-c", "128M"]), { stdout: "Could only configure 0B of memory\n", stderr: "", exitCode: 1 });
  assert.deepEqual(f.writes, []);
  // without /sys/firmware/memory, -c and -g explain themselves
  const g = fakeSysfs(small(["offline\n"]));
  assert.deepEqual(chmem(g.target, ["-g", "-b", "30"]), { stdout: "Cannot deconfigure. Use -d instead.\n", stderr: "", exitCode: 1 });
});

test("strverscmp (versionsort) and strtosize", () => {
  // as glibc sorts them: leading zeros are fractional and come first
  const names = ["memory10", "memory9", "memory100", "memory0", "memory01", "memory1", "memory001", "memory010"];
  assert.deepEqual([...names].sort(strverscmp), ["memory001", "memory01", "memory010", "memory0", "memory1", "memory9", "memory10", "memory100"]);
  const size = (s: string) => {
    const r = ulParseSize(s);
    return r.ok ? r.value : r.errno;
  };
  assert.equal(size("128M"), 128n * 1024n * 1024n);
  assert.equal(size("1.5GiB"), 3n * 512n * 1024n * 1024n);
  assert.equal(size("2KB"), 2000n);
  assert.equal(size("0x10"), 16n);
  assert.equal(size("010"), 8n);
  assert.equal(size("1.25k"), 1279n); // digit by digit, each rounded down, as util-linux does
  assert.equal(size("3.000001G"), 3221226545n);
  assert.equal(size(" +7K"), 7168n);
  assert.equal(size("1.99999999999999999999999G"), "ERANGE");
  assert.equal(size("-1"), "EINVAL");
  assert.equal(size("1.5"), "EINVAL");
  assert.equal(size("1Q"), "EINVAL");
  assert.equal(size("16E"), "ERANGE");
});
