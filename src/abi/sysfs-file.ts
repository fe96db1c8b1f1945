/**
 * Reading the files of a dump (a sysroot directory, or the running machine)
 * safely and with few system calls. Node only.
 *
 * A sysfs attribute is at most one page; a dump is input like any other and
 * may hold anything in its place: a FIFO (reading one blocks forever), a
 * symlink to /dev/zero (reading one never ends), a 12 MB file. So each file
 * is opened without following a final symlink and without blocking
 * (O_NOFOLLOW | O_NONBLOCK), read once into a buffer one byte larger than
 * the cap, and only when that read looks wrong (nothing read, more than the
 * cap, an error) is the file's type asked for, to say what is wrong. A
 * symlink is followed only after stat() shows it leads to a regular file.
 * Special files and files over the cap are InputErrors naming the file
 * (exit 2); a missing or unreadable file is `undefined` (absent).
 *
 * The reads are three system calls per file (open, read, close), paths
 * relative to the dump's directory (see withDirectory()): the kernel walks
 * a short path, as util-linux does with openat().
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors.js";

/** The size of a sysfs attribute's buffer (PAGE_SIZE on x86_64). */
export const SYSFS_ATTR_MAX = 4096;
/** A generous cap for /proc files (iomem, zoneinfo, meminfo) of large machines. */
export const PROC_FILE_MAX = 64 * 1024 * 1024;

const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW, O_NOCTTY } = fs.constants;
const OPEN_FLAGS = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY;

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? "";
}

/** What a non-regular file is, for messages. */
export function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a directory";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** Errors that mean "this file is not there (for us)": the attribute is absent. */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "EACCES", "EPERM", "EIO", "ENODEV", "ENXIO"]);

/** The short values most attributes hold, shared instead of allocated per file. */
const COMMON = ["online\n", "offline\n", "0\n", "1\n", "Normal\n", "Movable\n", "none\n", "Y\n", "N\n"];
const COMMON_BYTES = COMMON.map((t) => Buffer.from(t));

function interned(buf: Buffer, n: number): string {
  for (let i = 0; i < COMMON.length; i++) {
    const c = COMMON_BYTES[i];
    if (c.length !== n) continue;
    let j = 0;
    while (j < n && buf[j] === c[j]) j++;
    if (j === n) return COMMON[i];
  }
  return buf.toString("utf8", 0, n);
}

export interface ReadFileOptions {
  /** Largest size accepted (bytes); default one page. */
  cap?: number;
  /** A directory in the file's place reads as absent instead of an error. */
  directoryIsAbsent?: boolean;
}

/**
 * Reads files under one directory. `label(rel)` names a file in messages.
 * One buffer is reused for every read.
 */
export class DumpFileReader {
  private buf = Buffer.allocUnsafe(SYSFS_ATTR_MAX + 1);
  /** Prefix joined to relative paths: "" while the process is in the directory. */
  private prefix: string;

  constructor(
    readonly dir: string,
    readonly label: (rel: string) => string = (rel) => path.join(dir, rel),
  ) {
    this.prefix = dir.endsWith("/") ? dir : `${dir}/`;
  }

  /**
   * Run `fn` with the process's working directory set to the dump's
   * directory, so that reads use short relative paths; restored after.
   * Where the working directory cannot change (worker threads, an
   * unreadable current directory) the reads use full paths.
   */
  withDirectory<T>(fn: () => T): T {
    let old: string;
    try {
      old = process.cwd();
      process.chdir(this.dir);
    } catch {
      return fn();
    }
    const prefix = this.prefix;
    this.prefix = "";
    try {
      return fn();
    } finally {
      this.prefix = prefix;
      process.chdir(old);
    }
  }

  /** The path to open for `rel` (relative while in the directory). */
  resolve(rel: string): string {
    return this.prefix + rel;
  }

  private special(rel: string, what: string): InputError {
    return new InputError(`${what}, not a regular file: a sysfs or proc file is expected here`, { file: this.label(rel) });
  }

  /** The text of `rel`, or undefined when it is absent or unreadable. */
  read(rel: string, opts: ReadFileOptions = {}): string | undefined {
    const cap = opts.cap ?? SYSFS_ATTR_MAX;
    const p = this.resolve(rel);
    let fd: number;
    try {
      fd = fs.openSync(p, OPEN_FLAGS);
    } catch (e) {
      const c = code(e);
      if (c === "ELOOP") return this.readSymlink(rel, opts);
      if (ABSENT.has(c)) return undefined;
      throw new InputError(`cannot open: ${c || (e as Error).message}`, { file: this.label(rel) });
    }
    try {
      return this.readOpen(fd, rel, cap, opts);
    } finally {
      fs.closeSync(fd);
    }
  }

  private readOpen(fd: number, rel: string, cap: number, opts: ReadFileOptions): string | undefined {
    if (this.buf.length < cap + 1) this.buf = Buffer.allocUnsafe(Math.min(cap + 1, 1 << 20));
    const buf = this.buf;
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, Math.min(buf.length, cap + 1), null);
    } catch (e) {
      const c = code(e);
      if (c === "EISDIR") {
        if (opts.directoryIsAbsent) return undefined;
        throw new InputError("is a directory, expected a file", { file: this.label(rel) });
      }
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw this.special(rel, `${fileKind(st)}`);
      if (ABSENT.has(c)) return undefined;
      throw new InputError(`cannot read: ${c || (e as Error).message}`, { file: this.label(rel) });
    }
    if (n > 0 && n < buf.length && n <= cap) return n <= 9 ? interned(buf, n) : buf.toString("utf8", 0, n);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw this.special(rel, fileKind(st));
    if (n === 0) return "";
    // A regular file larger than the buffer: read on up to the cap.
    const chunks = [Buffer.from(buf.subarray(0, n))];
    let total = n;
    while (total <= cap) {
      const more = Buffer.allocUnsafe(Math.min(1 << 20, cap + 1 - total));
      const k = fs.readSync(fd, more, 0, more.length, null);
      if (k === 0) break;
      chunks.push(more.subarray(0, k));
      total += k;
    }
    if (total > cap) {
      const what = cap === SYSFS_ATTR_MAX ? "a sysfs attribute holds at most one page (4096 bytes)" : `at most ${cap} bytes are read`;
      throw new InputError(`file too large (${st.size > total ? st.size : `over ${cap}`} bytes): ${what}`, { file: this.label(rel) });
    }
    return Buffer.concat(chunks, total).toString("utf8");
  }

  /** A symlink in a file's place: followed only to a regular file. */
  private readSymlink(rel: string, opts: ReadFileOptions): string | undefined {
    const p = this.resolve(rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      const c = code(e);
      if (c === "ELOOP") throw new InputError("symbolic link loop", { file: this.label(rel) });
      if (ABSENT.has(c)) return undefined;
      throw new InputError(`cannot open: ${c}`, { file: this.label(rel) });
    }
    if (st.isDirectory()) {
      if (opts.directoryIsAbsent) return undefined;
      throw new InputError("is a directory, expected a file", { file: this.label(rel) });
    }
    if (!st.isFile()) throw this.special(rel, `a symbolic link to ${fileKind(st)}`);
    let fd: number;
    try {
      fd = fs.openSync(p, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    } catch (e) {
      if (ABSENT.has(code(e))) return undefined;
      throw new InputError(`cannot open: ${code(e)}`, { file: this.label(rel) });
    }
    try {
      return this.readOpen(fd, rel, opts.cap ?? SYSFS_ATTR_MAX, opts);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * The entries of directory `rel`; undefined when it does not exist.
   * An unreadable directory is an InputError naming it.
   */
  list(rel: string): string[] | undefined {
    try {
      return fs.readdirSync(this.resolve(rel));
    } catch (e) {
      const c = code(e);
      if (c === "ENOENT") return undefined;
      if (c === "ENOTDIR") throw new InputError("not a directory", { file: this.label(rel) });
      if (c === "EACCES" || c === "EPERM") throw new InputError("cannot list the directory: permission denied", { file: this.label(rel) });
      throw new InputError(`cannot list the directory: ${c || (e as Error).message}`, { file: this.label(rel) });
    }
  }

  /** Whether `rel` is a directory (following symlinks). */
  isDir(rel: string): boolean {
    try {
      return fs.statSync(this.resolve(rel)).isDirectory();
    } catch {
      return false;
    }
  }
}
