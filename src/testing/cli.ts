/** Run the memhp CLI in-process (runCli) or as a process (spawnCli), and capture what it prints (tests only). */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main } from "../cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  // memhp writes strings; binary chunks are the test runner's own reports (it shares stdout with the
  // test file's process and may write while main() awaits a command's module): those pass through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== "string") return (out as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

/** bin/memhp.js, the executable (the esbuild bundle `npm run build` makes). */
export const MEMHP_BIN = fileURLToPath(new URL("../../bin/memhp.js", import.meta.url));

/** Run bin/memhp.js as a process (for what only a real process shows: pipes, signals, startup). */
export function spawnCli(argv: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): CliResult & { signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, [MEMHP_BIN, ...argv], { cwd: opts.cwd, input: opts.input, encoding: "utf8", timeout: opts.timeoutMs ?? 60_000, maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** A shell pipeline around bin/memhp.js: `memhp ARGS | CONSUMER` (stderr of both captured). */
export function spawnPipeline(argv: string[], consumer: string): { code: number; stdout: string; stderr: string } {
  const quoted = [process.execPath, MEMHP_BIN, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const r = spawnSync("sh", ["-c", `${quoted} | ${consumer}`], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
