/** Paths for tests: the repository root and ../shared, from either src/ (tsx) or dist/ (compiled). */
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SHARED = join(REPO_ROOT, "..", "shared");
export const TRACES = join(SHARED, "conformance", "traces");
export const ORACLE_TRACES = join(REPO_ROOT, "test", "oracle", "traces");

export function traceFile(name: string): string {
  return join(TRACES, `${name}.json`);
}

/** JSON files of a directory, or [] when it does not exist. */
export function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(dir, f));
}
