/**
 * Writing a sysroot (entries from src/abi/sysfs-export.ts) to a directory:
 * all or nothing. Everything goes to a temporary directory beside DIR, which
 * then replaces DIR with rename(2); a failure leaves DIR as it was. Nothing is
 * ever written outside DIR: entry paths must be relative and stay inside, and
 * symlinks must point inside.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors.js";
import type { SysrootEntry } from "../abi/sysfs-export.js";

/** Does `rel` (relative to a root) stay inside the root, lexically? */
function staysInside(rel: string): boolean {
  if (rel === "" || path.posix.isAbsolute(rel)) return false;
  const norm = path.posix.normalize(rel);
  return norm !== ".." && !norm.startsWith("../") && norm !== ".";
}

/** Check every entry: relative paths inside the root, symlink targets resolving inside the root. */
export function checkEntries(entries: readonly SysrootEntry[]): void {
  for (const e of entries) {
    if (!staysInside(e.path) || e.path.split("/").includes("..")) {
      throw new InputError(`refusing to write outside the output directory: ${JSON.stringify(e.path)}`, { field: "path" });
    }
    if (e.kind === "symlink") {
      const dir = path.posix.dirname(e.path);
      const resolved = path.posix.isAbsolute(e.target) ? null : path.posix.normalize(path.posix.join(dir, e.target));
      if (resolved === null || !staysInside(resolved)) {
        throw new InputError(`refusing a symlink that leaves the output directory: ${e.path} -> ${e.target}`, { field: "path" });
      }
    }
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

/**
 * Write `entries` as the directory `dir`. `dir` must not exist, or be an empty
 * directory, or (with `force`) any directory — never a symlink or a file.
 */
export function writeSysroot(dir: string, entries: readonly SysrootEntry[], opts: { force?: boolean } = {}): void {
  checkEntries(entries);
  const target = path.resolve(dir);
  const st = lstatOrNull(target);
  if (st) {
    if (st.isSymbolicLink()) throw new InputError("is a symbolic link; give the directory itself", { file: dir });
    if (!st.isDirectory()) throw new InputError("exists and is not a directory", { file: dir });
    if (!opts.force && fs.readdirSync(target).length > 0) throw new InputError("exists and is not empty (use --force to replace it)", { file: dir });
  }
  const parent = path.dirname(target);
  if (!lstatOrNull(parent)?.isDirectory()) throw new InputError("parent directory does not exist", { file: dir });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.memhp-tmp-`));
  try {
    for (const e of entries) {
      const p = path.join(tmp, e.path);
      switch (e.kind) {
        case "dir":
          fs.mkdirSync(p, { recursive: true });
          break;
        case "file":
          fs.writeFileSync(p, e.content, { flag: "wx" });
          break;
        case "symlink":
          fs.symlinkSync(e.target, p);
          break;
      }
    }
    // Modes last: a read-only directory would refuse its own children.
    for (const e of entries) if (e.kind === "file") fs.chmodSync(path.join(tmp, e.path), e.mode);
    for (const e of [...entries].reverse()) if (e.kind === "dir") fs.chmodSync(path.join(tmp, e.path), e.mode);
    fs.chmodSync(tmp, 0o755);
    if (st) {
      const old = `${tmp}.old`;
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        fs.renameSync(old, target);
        throw e;
      }
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: dir });
  }
}
