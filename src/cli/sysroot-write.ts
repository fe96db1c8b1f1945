/**
 * Writing a sysroot (entries from src/abi/sysfs-export.ts) to a directory:
 * all or nothing. Everything goes to a temporary directory beside DIR, which
 * then replaces DIR with rename(2); a failure or a signal leaves DIR as it was. Nothing is
 * ever written outside DIR: entry paths must be relative and stay inside, and
 * symlinks must point inside.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors.js";
import type { SysrootEntry } from "../abi/sysfs-export.js";
import { cannotWrite, checkParentDir, onInterrupt } from "./io.js";

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

/** Entries written between two turns of the event loop (where SIGINT/SIGTERM are handled). */
const BATCH = 4096;

/**
 * Write `entries` as the directory `dir`. `dir` must not exist, or be an empty
 * directory, or (with `force`) any directory — never a symlink or a file. Its
 * parent must exist (like cp and tar). On any failure, and on SIGINT/SIGTERM/SIGHUP
 * while writing, the temporary directory is removed and `dir` is as it was.
 */
export async function writeSysroot(dir: string, entries: readonly SysrootEntry[], opts: { force?: boolean } = {}): Promise<void> {
  checkEntries(entries);
  const target = path.resolve(dir);
  const st = lstatOrNull(target);
  if (st) {
    if (st.isSymbolicLink()) throw new InputError("is a symbolic link; give the directory itself", { file: dir });
    if (!st.isDirectory()) throw new InputError("exists and is not a directory", { file: dir });
    let children: string[];
    try {
      children = fs.readdirSync(target);
    } catch (e) {
      throw cannotWrite(e, dir);
    }
    if (!opts.force && children.length > 0) throw new InputError("exists and is not empty (use --force to replace it)", { file: dir });
  }
  checkParentDir(target, dir);
  let tmp: string | null = null;
  const removeTmp = () => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = null;
  };
  const done = onInterrupt(removeTmp);
  try {
    tmp = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.memhp-tmp-`));
    const root = tmp;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const p = path.join(root, e.path);
      switch (e.kind) {
        case "dir":
          fs.mkdirSync(p, { recursive: true });
          break;
        case "file":
          // Created with its mode (an open file descriptor writes even to a 0444 file).
          fs.writeFileSync(p, e.content, { flag: "wx", mode: e.mode });
          break;
        case "symlink":
          fs.symlinkSync(e.target, p);
          break;
      }
      if (i % BATCH === BATCH - 1) await new Promise((r) => setImmediate(r));
    }
    // Modes last: a read-only directory would refuse its own children.
    // Files got their modes at creation unless the umask took bits away (one chmod each then).
    const umask = process.umask();
    for (const e of entries) if (e.kind === "file" && (e.mode & umask) !== 0) fs.chmodSync(path.join(root, e.path), e.mode);
    for (const e of [...entries].reverse()) if (e.kind === "dir") fs.chmodSync(path.join(root, e.path), e.mode);
    fs.chmodSync(root, 0o755);
    if (st) {
      // Swap: the old tree moves aside only for the instant between two renames (no signal
      // is handled in between), and comes back if the second one fails.
      const old = `${root}.old`;
      fs.renameSync(target, old);
      try {
        fs.renameSync(root, target);
      } catch (e) {
        fs.renameSync(old, target);
        throw e;
      }
      tmp = old; // from here on, the temporary thing to remove is the old tree
      removeTmp();
    } else {
      fs.renameSync(root, target);
      tmp = null;
    }
  } catch (e) {
    try {
      removeTmp();
    } catch {
      // the first error is the one to report
    }
    throw cannotWrite(e, dir);
  } finally {
    done();
  }
}
