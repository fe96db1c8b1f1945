/**
 * Which real-kernel traces each kernel profile reproduces: every trace in the
 * repository (test/oracle/) and beside it (../shared/conformance/), run on the
 * model in both boot modes with the profile its own `kernel` field names.
 * `memhp kernels --verify` runs this; `npm run kernels:verify` writes the
 * counts to src/kernel/profiles/verified-traces.ts, which `memhp kernels`
 * shows and a test keeps true.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { checkTrace } from "./check.js";
import { describeMismatch } from "./conformance.js";
import { InputError } from "../errors.js";
import { parseRelease, traceRelease } from "../kernel/profile.js";

/** Folders of traces, relative to the repository root (../shared is beside it). */
export const TRACE_ROOTS = [
  "../shared/conformance/traces",
  "../shared/conformance/kernels",
  "../shared/conformance/cxl/traces",
  "../shared/conformance/arm64/traces",
  "test/oracle/traces",
  "test/oracle/kernels",
  "test/oracle/cxl",
  "test/oracle/arm64/traces",
];

function walkJson(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) {
      if (e.name !== "scenarios" && e.name !== "shows" && e.name !== "quirks") out.push(...walkJson(join(dir, e.name)));
    } else if (e.name.endsWith(".json")) out.push(join(dir, e.name));
  }
  return out;
}

export interface VersionTally {
  traces: number;
  reproduced: number;
  /** The traces it does not reproduce (relative to the repository root), each with why: the first boot mode that fails and its first mismatch, or the error. */
  failing: { file: string; why: string }[];
}

/** Run every trace under the roots; tally per kernel version (major.minor of the trace's kernel). */
export function verifyKernelTraces(repoRoot: string, onTrace?: (file: string) => void): Record<string, VersionTally> {
  const out: Record<string, VersionTally> = {};
  for (const root of TRACE_ROOTS) {
    for (const file of walkJson(join(repoRoot, root))) {
      const text = readFileSync(file, "utf8");
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (raw.format !== "linux-memhp-oracle-trace/1") continue;
      const release = traceRelease(raw);
      const version = release ? parseRelease(release)?.text ?? "?" : "6.1";
      const t = (out[version] ??= { traces: 0, reproduced: 0, failing: [] });
      t.traces++;
      onTrace?.(file);
      let why: string | null = null;
      try {
        for (const boot of ["derive", "import"] as const) {
          const first = checkTrace(text, file, boot).mismatches[0];
          if (first) {
            why = `${boot} boot: ${describeMismatch(first)}`;
            break;
          }
        }
      } catch (e) {
        // Where in the trace (its line and field): the file is named beside it.
        why = e instanceof InputError ? new InputError(e.message, { ...e.location, file: undefined }).format() : (e as Error).message;
      }
      if (why === null) t.reproduced++;
      else t.failing.push({ file: relative(repoRoot, file), why });
    }
  }
  return out;
}

/** How many traces of each version the roots hold (no model run). */
export function countKernelTraces(repoRoot: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const root of TRACE_ROOTS) {
    for (const file of walkJson(join(repoRoot, root))) {
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (raw.format !== "linux-memhp-oracle-trace/1") continue;
      const release = traceRelease(raw);
      const version = release ? parseRelease(release)?.text ?? "?" : "6.1";
      out[version] = (out[version] ?? 0) + 1;
    }
  }
  return out;
}
