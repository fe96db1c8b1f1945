/**
 * The arm64 traces conformance checks (issue 14): the given set (../shared/conformance/arm64/traces, 6.1 and 6.12)
 * and the recordings in test/oracle/arm64/traces, for the kernel versions with arm64 build data
 * (machine/arm64-builds.ts). test/oracle/arm64/races.json (`npm run arm64:races`) names, per trace and boot mode,
 * the page-allocator race outcomes a conformance search found to reproduce it, keyed as here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { jsonFiles, REPO_ROOT, SHARED } from "./paths.js";

/** races.json of a repository (this one by default). */
export function arm64RacesFile(root = REPO_ROOT): string {
  return join(root, "test", "oracle", "arm64", "races.json");
}
export const ARM64_RACES = arm64RacesFile();

export interface Arm64Trace {
  /** `given/6.1/NAME.json` or `traces/NAME.json`. */
  key: string;
  file: string;
}

/** Race outcomes that reproduce a trace, per boot mode (only the outcomes other than 0). */
export type Arm64Races = Record<string, { derive?: Record<string, number>; import?: Record<string, number> }>;

/** A trace of a kernel with arm64 build data; one that cannot be read is kept, for its reader to name the fault. */
function modelled(file: string): boolean {
  let kernel: unknown;
  try {
    kernel = (JSON.parse(readFileSync(file, "utf8")) as { kernel?: unknown }).kernel;
  } catch {
    return true;
  }
  return typeof kernel !== "string" || /^6\.1\.|^6\.12\.|^7\.2\./.test(kernel);
}

/** The arm64 traces of a repository (this one by default) and of the shared set beside it. */
export function arm64Traces(root = REPO_ROOT): Arm64Trace[] {
  const given = join(root === REPO_ROOT ? SHARED : join(root, "..", "shared"), "conformance", "arm64", "traces");
  const recorded = join(root, "test", "oracle", "arm64", "traces");
  const givenFiles = [...jsonFiles(join(given, "6.1")), ...jsonFiles(join(given, "6.12"))].map((file) => ({ key: `given/${relative(given, file)}`, file }));
  const recordedFiles = jsonFiles(recorded).map((file) => ({ key: `traces/${relative(recorded, file)}`, file }));
  return [...givenFiles, ...recordedFiles].filter((t) => modelled(t.file));
}

/** The outcomes other than 0 of a conformance result's races: what races.json keeps. */
export function departures(races: { key: string; outcome: number }[]): Record<string, number> {
  return Object.fromEntries(races.filter((r) => r.outcome !== 0).map((r) => [r.key, r.outcome]));
}

/**
 * The race outcomes an earlier conformance search found for a recording (derive boot): arm64/races.json for the
 * arm64 traces, evidence-races.json for the traced evidence recordings; undefined for any other file.
 */
export function knownRaces(file: string): Record<string, number> | undefined {
  const oracle = join(REPO_ROOT, "test", "oracle");
  const rel = relative(oracle, file);
  if (rel.startsWith("arm64/traces/")) return (readJson(ARM64_RACES) as Arm64Races)[rel.slice("arm64/".length)]?.derive;
  if (/^(arm64\/)?evidence-pin\//.test(rel)) return (readJson(join(oracle, "evidence-races.json")) as Record<string, Record<string, number> | null>)[rel] ?? undefined;
  return undefined;
}

const cache = new Map<string, unknown>();
function readJson(file: string): unknown {
  if (!cache.has(file)) cache.set(file, existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {});
  return cache.get(file);
}
