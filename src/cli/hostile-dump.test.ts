/**
 * Hostile dumps: special files and oversized files where sysfs attributes
 * belong, and unreadable directories. Every dump reader (lsmem, chmem,
 * import, the MODEL-less commands' --sysroot) must end promptly with exit 2
 * and a message naming the path — never hang on a FIFO, never read
 * /dev/zero without end, never quote megabytes of a bad value, never an
 * internal error. Each case runs the CLI in a child process with a time
 * limit, so a regression fails instead of hanging the suite.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../testing/cli.js";
import { sysrootCases } from "../testing/sysroot-cases.js";

const BIN = fileURLToPath(new URL("../../bin/memhp.js", import.meta.url));
// Readable by the unprivileged user of the permission cases.
const { root: ROOT, dumpWith } = sysrootCases("memhp-hostile-", { shared: true });

const MEM = "sys/devices/system/memory";
/** Generous: the machine may be loaded; a hang is what this catches. */
const LIMIT_MS = 60_000;


interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function memhp(args: string[], asUser = false): Run {
  const cmd = asUser ? "setpriv" : process.execPath;
  const argv = asUser ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, BIN, ...args] : [BIN, ...args];
  const t = Date.now();
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: LIMIT_MS, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms: Date.now() - t };
}

function expectExit2(r: Run, label: string, file: string, what: RegExp): void {
  assert.notEqual(r.status, null, `${label}: did not finish within ${LIMIT_MS} ms (hung?)`);
  assert.equal(r.status, 2, `${label}: exit ${r.status}, stderr ${r.stderr.slice(0, 500)}`);
  assert.equal(r.stdout, "", `${label}: partial output`);
  assert.ok(r.stderr.includes(file), `${label}: ${file} not named in ${r.stderr.slice(0, 500)}`);
  assert.match(r.stderr, what, label);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at .+:\d+:\d+/, `${label}: stack trace or internal error`);
  assert.ok(r.stderr.length < 1000, `${label}: ${r.stderr.length} bytes of error`);
}

/** The commands that read a dump, each on DIR. */
function readers(dir: string): [string, string[]][] {
  return [
    ["lsmem", ["lsmem", "--sysroot", dir]],
    ["lsmem --summary=only", ["lsmem", "--summary=only", "--sysroot", dir]],
    ["chmem", ["chmem", "--sysroot", dir, "-e", "128M"]],
    ["import", ["import", dir, "-o", path.join(dir, "..", `out-${path.basename(dir)}.json`)]],
  ];
}

const STATE = `${MEM}/memory5/state`;

test("a FIFO in place of a sysfs attribute: exit 2 naming it, no hang", async () => {
  const dir = await dumpWith((d) => {
    fs.rmSync(path.join(d, STATE));
    execFileSync("mkfifo", [path.join(d, STATE)]);
  });
  for (const [label, args] of readers(dir)) expectExit2(memhp(args), label, path.join(dir, STATE), /a FIFO, not a regular file/);
  assert.equal(fs.readdirSync(ROOT).filter((f) => f.endsWith(".json")).length, 0, "import left an output file");
});

test("a symlink to /dev/zero in place of an attribute: exit 2, memory bounded", async () => {
  const dir = await dumpWith((d) => {
    fs.rmSync(path.join(d, STATE));
    fs.symlinkSync("/dev/zero", path.join(d, STATE));
  });
  for (const [label, args] of readers(dir)) expectExit2(memhp(args), label, path.join(dir, STATE), /a symbolic link to a character device/);
});

test("a character device itself (not a symlink) and a symlink to a FIFO are refused too", async () => {
  const dir = await dumpWith((d) => {
    fs.rmSync(path.join(d, STATE));
    execFileSync("mknod", [path.join(d, STATE), "c", "1", "3"]); // /dev/null's numbers: harmless to open
    const f = path.join(d, `${MEM}/memory4/state`);
    fs.rmSync(f);
    execFileSync("mkfifo", [path.join(d, "fifo")]);
    fs.symlinkSync("../../../../../fifo", f);
  });
  expectExit2(memhp(["lsmem", "--sysroot", dir]), "lsmem", `${MEM}/memory`, /not a regular file/);
});

test("a 12 MB attribute: exit 2 saying it is over a page, a short message", async () => {
  const dir = await dumpWith((d) => fs.writeFileSync(path.join(d, STATE), "online".repeat(2_000_000) + "\n"));
  for (const [label, args] of readers(dir)) expectExit2(memhp(args), label, path.join(dir, STATE), /file too large .*one page/);
});

test("a bad value in a large /proc file is quoted as a short prefix", async () => {
  const dir = await dumpWith((d) => fs.writeFileSync(path.join(d, "proc/iomem"), "x".repeat(3_000_000) + "\n"));
  const r = memhp(["import", dir, "-o", path.join(ROOT, "iomem-out.json")]);
  expectExit2(r, "import", path.join(dir, "proc/iomem"), /not an iomem line: "x{40}"… \(3000000 characters\)/);
});

test("a bad attribute value is quoted as a short prefix", async () => {
  const dir = await dumpWith((d) => fs.writeFileSync(path.join(d, STATE), "z".repeat(4000) + "\n"));
  const r = memhp(["import", dir, "-o", path.join(ROOT, "state-out.json")]);
  expectExit2(r, "import", path.join(dir, STATE), /state: expected online, offline or going-offline, got "z{40}"… \(4000 characters\)/);
});

// Root reads any directory: the permission cases run as an unprivileged user (nobody).
// The unprivileged user must also reach the CLI: a checkout under a 0700 directory (mktemp -d) hides it from nobody.
const canDropPrivileges =
  process.getuid?.() !== 0 ||
  (spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]).status === 0 &&
    spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r", BIN]).status === 0);

test("an unreadable directory: exit 2 naming it, not an internal error", { skip: !canDropPrivileges && "needs setpriv to drop root, and the checkout readable by nobody" }, async () => {
  const asUser = process.getuid?.() === 0;
  const block = `${MEM}/memory5`;
  const dir = await dumpWith((d) => fs.chmodSync(path.join(d, block), 0o000));
  const out = path.join(ROOT, "unreadable-out.json");
  const r = memhp(["import", dir, "-o", out], asUser);
  expectExit2(r, "import", path.join(dir, block), /permission denied|cannot list/);
  assert.equal(fs.existsSync(out), false);
  expectExit2(memhp(["lsmem", "-o", "+NODE", "--sysroot", dir], asUser), "lsmem -o +NODE", path.join(dir, block), /permission denied/);
  const memDir = await dumpWith((d) => fs.chmodSync(path.join(d, MEM), 0o311));
  const r2 = memhp(["lsmem", "--sysroot", memDir], asUser);
  expectExit2(r2, "lsmem (memory directory not listable)", path.join(memDir, MEM), /permission denied/);
});
