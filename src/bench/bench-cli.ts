/**
 * CLI benchmark (issue 11): what a user feels, measured as processes.
 *
 *   npm run bench:cli -- [--json] [--runs N]
 *
 * - startup: `memhp --help` and `memhp lsmem --sysroot SMALL` against a bare
 *   `node -e 0` (medians of alternating runs);
 * - lsmem on a 65,536-block sysroot (8 TiB in 128 MiB blocks, written by
 *   memhp's own exporter once and kept in the temporary directory), memhp's
 *   and util-linux's (/usr/bin/lsmem, when installed) alternating, with the
 *   peak RSS of each;
 * - replay: `memhp conformance` of the given real-kernel traces
 *   (../shared/conformance/traces) against the time QEMU took to record them
 *   (the sum of their noisy.total_seconds), process start included.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { exportSysroot } from "../abi/sysfs-export.js";
import { writeSysroot } from "../cli/sysroot-write.js";
import { MiB, TiB } from "../kernel/units.js";
import { bootSystem } from "../scenario/runner.js";

/** The repository: the nearest directory up with package.json (this runs from dist/bench or the CLI bundle). */
function repoRoot(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(d, "package.json")) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

const ROOT = repoRoot();
const BIN = path.join(ROOT, "bin", "memhp.js");
const UTIL_LINUX_LSMEM = "/usr/bin/lsmem";
const TRACES = path.join(ROOT, "..", "shared", "conformance", "traces");

/** Wall milliseconds of one process run (output discarded). */
function timeRun(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Medians of alternating runs of each command (alternation spreads the machine's noise evenly). */
function alternate(cmds: Record<string, [string, string[]]>, runs: number): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (const [k, [c, a]] of Object.entries(cmds)) timeRun(c, a); // warm the page cache once
  for (let i = 0; i < runs; i++) for (const [k, [c, a]] of Object.entries(cmds)) times[k].push(timeRun(c, a));
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v))]));
}

/** Peak RSS (MiB) of memhp with these arguments: the child reports its own maxRSS on exit through fd 3. */
function memhpPeakMib(args: string[]): number {
  const hook = `data:text/javascript,${encodeURIComponent('import{writeSync}from"node:fs";process.on("exit",()=>{try{writeSync(3,String(process.resourceUsage().maxRSS))}catch{}})')}`;
  const r = spawnSync(process.execPath, ["--import", hook, BIN, ...args], { stdio: ["ignore", "ignore", "pipe", "pipe"], encoding: "utf8" });
  const kib = Number((r.output[3] as string | null) ?? NaN);
  return round(kib / 1024);
}

/** Peak RSS (MiB) of another program, through GNU time when it is installed. */
function peakMibOf(cmd: string, args: string[]): number | null {
  if (!fs.existsSync("/usr/bin/time")) return null;
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const kib = Number(r.stderr.trim().split("\n").pop());
  return Number.isFinite(kib) ? round(kib / 1024) : null;
}

/** A sysroot of a synthetic machine (`ram` of RAM in 128 MiB blocks), exported by memhp once and kept. */
async function sysroot(name: string, ram: number): Promise<string> {
  const dir = path.join(os.tmpdir(), `memhp-bench-${name}`);
  const done = path.join(dir, ".complete");
  if (fs.existsSync(done)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const sys = bootSystem({ type: "synthetic", memory: ram, block_size: 128 * MiB, cmdline: [] }, { boot: "derive" });
  await writeSysroot(dir, exportSysroot(sys.kernel));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(done, "");
  return dir;
}

/** Sum of the recorded QEMU time of the given traces, and the traces. */
function recordedTraces(): { files: string[]; seconds: number } {
  if (!fs.existsSync(TRACES)) return { files: [], seconds: 0 };
  const files = fs.readdirSync(TRACES).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(TRACES, f));
  let seconds = 0;
  for (const f of files) seconds += Number((JSON.parse(fs.readFileSync(f, "utf8")) as { noisy?: { total_seconds?: number } }).noisy?.total_seconds ?? 0);
  return { files, seconds };
}

export async function runCliBench(runs: number, log: (s: string) => void): Promise<Record<string, number | string | null>> {
  const node = process.execPath;
  log("sysroots (written once, kept in the temporary directory)…");
  const small = await sysroot("8g", 8 * 1024 * MiB);
  const large = await sysroot("65536", 8 * TiB);
  const blocks = fs.readdirSync(path.join(large, "sys/devices/system/memory")).filter((n) => /^memory\d+$/.test(n)).length;
  if (blocks !== 65536) throw new Error(`the large sysroot has ${blocks} blocks, not 65536`);

  log("startup…");
  const start = alternate(
    {
      node: [node, ["-e", "0"]],
      help: [node, [BIN, "--help"]],
      lsmem_small: [node, [BIN, "lsmem", "--sysroot", small]],
    },
    runs,
  );

  log("lsmem on 65,536 blocks…");
  const haveUtil = fs.existsSync(UTIL_LINUX_LSMEM);
  const lsCmds: Record<string, [string, string[]]> = { memhp: [node, [BIN, "lsmem", "--sysroot", large]] };
  if (haveUtil) lsCmds.util = [UTIL_LINUX_LSMEM, ["--sysroot", large]];
  const ls = alternate(lsCmds, Math.max(3, Math.ceil(runs / 2)));

  log("replay of the given traces…");
  const { files, seconds } = recordedTraces();
  const replay = files.length ? median(Array.from({ length: 3 }, () => timeRun(node, [BIN, "conformance", ...files]))) / 1000 : null;

  return {
    node_ms: start.node,
    startup_ms: start.help,
    startup_ratio: round(start.help / start.node, 2),
    lsmem_small_ms: start.lsmem_small,
    lsmem_small_ratio: round(start.lsmem_small / start.node, 2),
    lsmem_65536_ms: ls.memhp,
    util_linux_lsmem_65536_ms: haveUtil ? ls.util : null,
    lsmem_65536_peak_rss_mib: memhpPeakMib(["lsmem", "--sysroot", large]),
    util_linux_lsmem_65536_peak_rss_mib: haveUtil ? peakMibOf(UTIL_LINUX_LSMEM, ["--sysroot", large]) : null,
    replay_traces: files.length,
    replay_recorded_seconds: round(seconds, 2),
    replay_seconds: replay === null ? null : round(replay, 3),
    replay_ratio: replay === null ? null : Math.round(seconds / replay),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const i = args.indexOf("--runs");
  const runs = i >= 0 ? Math.max(1, Number(args[i + 1]) || 11) : 11;
  const r = await runCliBench(runs, (s) => process.stderr.write(`${s}\n`));
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else for (const [k, v] of Object.entries(r)) process.stdout.write(`${k.padEnd(38)} ${v}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
