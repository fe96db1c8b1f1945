/**
 * CLI fuzz (issue 12 acceptance): seeded random malformed scenarios, traces
 * and dumps (with special files: FIFOs, a symlink to /dev/zero) run through
 * the CLI in-process. Every case ends in exit 0, 1 or 2 — never an internal
 * error; exit 2 comes with a located message naming the file and no stack
 * trace, and leaves no output file or temporary file behind. Time is
 * bounded by the test's timeout, memory by a generous RSS bound.
 * MEMHP_FUZZ_CASES overrides the number of random cases per kind (default 25).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli, type CliResult } from "../testing/cli.js";
import { traceFile } from "../testing/paths.js";

const CASES = Number(process.env.MEMHP_FUZZ_CASES ?? 25);
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-fuzz-"));
process.on("exit", () => fs.rmSync(ROOT, { recursive: true, force: true }));

/** A small deterministic generator (the same cases on every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

const JUNK: unknown[] = [null, 0, -1, 1.5, 7, "", "x", "12Q", "0x", "16T", "4P", "65T", true, [], {}, [1, 2], { a: 1 }, "0x100000000", "-4G", "1" + "0".repeat(40)];

function pickFrom<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** Every path of a JSON value (objects and arrays), up to a depth. */
function paths(v: unknown, depth = 6, p: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(p);
  if (depth > 0 && v !== null && typeof v === "object") {
    for (const k of Object.keys(v).slice(0, 30)) paths((v as Record<string, unknown>)[k], depth - 1, [...p, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}

/** Set (or delete) the value at a random path of a clone. */
function mutate(base: unknown, r: () => number, skip: (p: (string | number)[]) => boolean): unknown {
  const v = structuredClone(base) as Record<string | number, unknown>;
  const all = paths(v).filter((p) => p.length > 0 && !skip(p));
  for (let n = 1 + Math.floor(r() * 2); n > 0; n--) {
    const p = pickFrom(r, all);
    let o: unknown = v;
    for (const k of p.slice(0, -1)) o = o !== null && typeof o === "object" ? (o as Record<string | number, unknown>)[k] : undefined;
    if (o === null || typeof o !== "object") continue;
    const last = p[p.length - 1];
    if (r() < 0.15 && !Array.isArray(o)) delete (o as Record<string | number, unknown>)[last];
    else (o as Record<string | number, unknown>)[last] = pickFrom(r, JUNK);
  }
  return v;
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.includes("memhp-tmp") || f.startsWith("out"));
}

/** The contract for one run. */
function expectClean(label: string, file: string, r: CliResult, outDir: string): void {
  assert.ok([0, 1, 2].includes(r.code), `${label}: exit ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/, label);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${label}: stack trace`);
  if (r.code === 2) {
    assert.match(r.stderr, /^memhp: /, label);
    assert.ok(r.stderr.includes(path.basename(file)) || /^memhp: [^\n]*(--|machine|steps|boot|snapshot)/.test(r.stderr), `${label}: not located: ${r.stderr}`);
    assert.ok(r.stderr.length < 2000, `${label}: a long message (${r.stderr.length} chars)`);
    assert.deepEqual(leftovers(outDir), [], `${label}: left files behind`);
  }
}

const BASE_SCENARIO = {
  name: "fuzz",
  machine: {
    type: "pc", memory: "1G", maxmem: "8G", slots: 4, cmdline: ["memhp_default_state=offline"],
    nvdimms: [{ id: "nv1", size: "1G", label_size: "128K" }],
    numa: [{ nodeid: 0, cpus: "0", mem: "1G" }],
  },
  steps: [
    { op: "plug-dimm", id: "d1", size: "256M", addr: "0x180000000" },
    { op: "write", path: "/sys/devices/system/memory/memory48/state", value: "online_movable" },
    { op: "read", path: "/sys/devices/system/memory/memory48/valid_zones" },
    { op: "create-namespace", namespace: "namespace0.0", mode: "devdax", force: true },
    { op: "unplug-dimm", id: "d1" },
  ],
};

const rssStart = process.memoryUsage().rss;

test(`fuzz: ${CASES} malformed scenarios through run --trace`, { timeout: 120_000 }, async () => {
  const r = rng(1205);
  const dir = path.join(ROOT, "scenarios");
  fs.mkdirSync(dir);
  for (let i = 0; i < CASES; i++) {
    const file = path.join(dir, `s${i}.${i % 3 === 0 ? "yaml" : "json"}`);
    const v = mutate(BASE_SCENARIO, r, () => false);
    fs.writeFileSync(file, i % 3 === 0 ? (await import("yaml")).stringify(v) : JSON.stringify(v, null, 1));
    const out = path.join(dir, "out.json");
    const res = await runCli(["run", file, "--trace", out]);
    expectClean(`s${i} ${JSON.stringify(v).slice(0, 300)}`, file, res, dir);
    fs.rmSync(out, { force: true });
  }
});

test(`fuzz: ${CASES} malformed traces through conformance, both boot modes`, { timeout: 120_000 }, async () => {
  const r = rng(512);
  const base = JSON.parse(fs.readFileSync(traceFile("dimm-online-kernel"), "utf8"));
  const dir = path.join(ROOT, "traces");
  fs.mkdirSync(dir);
  for (let i = 0; i < CASES; i++) {
    const file = path.join(dir, `t${i}.json`);
    // Leave most of the scenario alone (its own fuzz is above): the recorded parts are the target.
    const v = mutate(base, r, (p) => p[0] === "scenario" && p.length < 3);
    fs.writeFileSync(file, JSON.stringify(v));
    const res = await runCli(["conformance", "--boot", "both", file]);
    expectClean(`t${i}`, file, res, dir);
  }
});

test("fuzz: dumps with special files and hostile contents through import, lsmem and explain", { timeout: 120_000 }, async () => {
  const good = path.join(ROOT, "good");
  assert.equal((await runCli(["export-sysfs", "example:dimm@1", good])).code, 0);
  const MEM = "sys/devices/system/memory";
  const edits: [string, (d: string) => void][] = [
    ["a FIFO as an attribute", (d) => { fs.rmSync(path.join(d, MEM, "memory32/state")); execFileSync("mkfifo", [path.join(d, MEM, "memory32/state")]); }],
    ["a FIFO as /proc/iomem", (d) => { fs.rmSync(path.join(d, "proc/iomem")); execFileSync("mkfifo", [path.join(d, "proc/iomem")]); }],
    ["/proc/zoneinfo a symlink to /dev/zero", (d) => { fs.rmSync(path.join(d, "proc/zoneinfo")); fs.symlinkSync("/dev/zero", path.join(d, "proc/zoneinfo")); }],
    ["block_size_bytes of 16 TiB", (d) => { fs.writeFileSync(path.join(d, MEM, "block_size_bytes"), "100000000000\n"); fs.rmSync(path.join(d, "proc/iomem")); }],
    ["a 1 MiB state file", (d) => fs.writeFileSync(path.join(d, MEM, "memory32/state"), "x".repeat(1 << 20))],
    ["binary iomem", (d) => fs.writeFileSync(path.join(d, "proc/iomem"), Buffer.from([0, 1, 2, 255, 10, 13, 0]))],
    ["a directory as block_size_bytes", (d) => { fs.rmSync(path.join(d, MEM, "block_size_bytes")); fs.mkdirSync(path.join(d, MEM, "block_size_bytes")); }],
    ["ndctl JSON as iomem", (d) => fs.writeFileSync(path.join(d, "proc/iomem"), '[{"dev":"namespace0.0","mode":"fsdax"}]\n')],
  ];
  for (const [i, [what, edit]] of edits.entries()) {
    const d = path.join(ROOT, `dump${i}`);
    fs.cpSync(good, d, { recursive: true, verbatimSymlinks: true });
    edit(d);
    const outDir = path.join(ROOT, `dump${i}-out`);
    fs.mkdirSync(outDir);
    for (const argv of [["import", d, "-o", path.join(outDir, "out.json")], ["lsmem", "--sysroot", d], ["explain", "memory32", "--sysroot", d]]) {
      const res = await runCli(argv);
      expectClean(`${what}: ${argv[0]}`, d, res, outDir);
      // import reads every file; lsmem (like util-linux's) and explain read only what they need.
      if (argv[0] === "import") assert.equal(res.code, 2, `${what}: import: expected exit 2, got ${res.code}: ${res.stderr}`);
    }
  }
});

test("fuzz: memory stays bounded", () => {
  const grown = (process.memoryUsage().rss - rssStart) / 2 ** 20;
  assert.ok(grown < 768, `RSS grew by ${grown.toFixed(0)} MiB`);
});
