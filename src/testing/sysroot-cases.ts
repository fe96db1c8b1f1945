/** Edited copies of one good sysroot, for tests of what dump readers make of bad input (tests only). */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "./cli.js";

export interface SysrootCases {
  /** The temporary directory (removed at exit) holding the good sysroot, the cases and any output. */
  root: string;
  /** A good sysroot (a DIMM plugged into a 1 GiB guest: example:dimm@1), exported once. */
  goodDump(): Promise<string>;
  /** A fresh copy of the good sysroot with `edit` applied. */
  dumpWith(edit: (dir: string) => void): Promise<string>;
}

/** `shared`: readable by other users too (for cases run as an unprivileged user). */
export function sysrootCases(prefix: string, opts: { shared?: boolean } = {}): SysrootCases {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (opts.shared) fs.chmodSync(root, 0o755);
  process.on("exit", () => fs.rmSync(root, { recursive: true, force: true }));
  let base: string | null = null;
  let n = 0;
  const goodDump = async (): Promise<string> => {
    if (base) return base;
    const dir = path.join(root, "good");
    const r = await runCli(["export-sysfs", "example:dimm@1", dir]);
    assert.equal(r.code, 0, r.stderr);
    base = dir;
    return base;
  };
  const dumpWith = async (edit: (dir: string) => void): Promise<string> => {
    const dir = path.join(root, `case${n++}`);
    fs.cpSync(await goodDump(), dir, { recursive: true, verbatimSymlinks: true });
    execFileSync("chmod", ["-R", opts.shared ? "u+w,go+rX" : "u+w", dir]);
    edit(dir);
    return dir;
  };
  return { root, goodDump, dumpWith };
}
