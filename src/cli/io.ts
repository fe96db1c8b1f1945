/** Output helpers for the CLI: whole files or nothing (write to a temporary name, then rename). */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InputError } from "../errors.js";

export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.memhp-tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path) || ".", { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    throw new InputError(`cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
}

/** Progress on stderr for work that takes over a second (only on a terminal). */
export function progress(enabled: boolean): (done: number, total: number, what: string) => void {
  const start = Date.now();
  let shown = false;
  return (done, total, what) => {
    if (!enabled || !process.stderr.isTTY) return;
    if (Date.now() - start < 1000 && done < total) return;
    shown = true;
    process.stderr.write(`\r${what} ${done}/${total}`);
    if (done >= total && shown) process.stderr.write("\n");
  };
}
