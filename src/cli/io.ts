/**
 * Output for the CLI, the way Unix tools behave:
 * - a closed stdout (`memhp … | head -1`) ends the program quietly;
 * - output files are whole or absent: written to a temporary file beside the
 *   target, renamed into place; the temporary file is removed on any failure
 *   and on SIGINT/SIGTERM/SIGHUP;
 * - `-` is stdout; an existing directory as target is refused; a symlink is
 *   written through (its target is replaced, never the link); a device or FIFO
 *   is written directly; a missing parent directory is refused, like cp and tar;
 * - output is written in chunks, so its size is bounded by the disk, not by a string.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors.js";

// ---- cleanup on signals -------------------------------------------------

const cleanups = new Set<() => void>();
const SIGNALS: [NodeJS.Signals, number][] = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
];
const signalHandlers = new Map<NodeJS.Signals, () => void>();

function runCleanups(): void {
  for (const f of [...cleanups]) {
    try {
      f();
    } catch {
      // best effort: the other cleanups still run
    }
  }
  cleanups.clear();
}

/**
 * Run `fn` if the program is interrupted before the returned function is
 * called. Signal handlers are installed only while there is something to
 * clean up, so Ctrl-C during a long computation stops at once.
 */
export function onInterrupt(fn: () => void): () => void {
  cleanups.add(fn);
  if (signalHandlers.size === 0) {
    for (const [sig, num] of SIGNALS) {
      const h = () => {
        runCleanups();
        process.exit(128 + num);
      };
      signalHandlers.set(sig, h);
      process.on(sig, h);
    }
  }
  return () => {
    cleanups.delete(fn);
    if (cleanups.size === 0) {
      for (const [sig, h] of signalHandlers) process.removeListener(sig, h);
      signalHandlers.clear();
    }
  };
}

/** For the executable: a closed stdout or stderr ends the program quietly (status 141, as a SIGPIPE would). */
export function installExitHandlers(): void {
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") {
      runCleanups();
      process.exit(141);
    }
    throw e;
  };
  process.stdout.on("error", onError);
  process.stderr.on("error", onError);
}

// ---- output targets -----------------------------------------------------

export interface OutputTarget {
  /** As the user gave it. */
  given: string;
  /** stdout; a regular file (new or replaced) written through a temporary file; a device or FIFO written directly. */
  kind: "stdout" | "file" | "device";
  /** The path written (a symlink resolved). */
  file: string;
  /** Mode of the file replaced, kept. */
  mode?: number;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

const REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EISDIR: "is a directory",
  ENOTDIR: "a component of the path is not a directory",
  EEXIST: "file exists",
  ELOOP: "too many levels of symbolic links",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
};

/** "cannot write: permission denied (EACCES)" */
export function cannotWrite(e: unknown, file: string): InputError {
  if (e instanceof InputError) return e;
  const code = errCode(e);
  return new InputError(`cannot write: ${REASONS[code] ? `${REASONS[code]} (${code})` : code}`, { file });
}

/** The directory an output goes into must exist: refused otherwise, as cp and tar do (nothing is created). */
export function checkParentDir(file: string, given: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") throw new InputError(`cannot write: directory ${dir} does not exist`, { file: given });
    throw cannotWrite(e, given);
  }
  if (!st.isDirectory()) throw new InputError(`cannot write: ${dir} is not a directory`, { file: given });
}

/**
 * Check an output path before any work is done, so that a bad target costs
 * nothing and leaves nothing. Throws InputError (exit 2).
 */
export function checkOutput(given: string): OutputTarget {
  if (given === "-") return { given, kind: "stdout", file: "-" };
  if (given === "") throw new InputError("empty output file name");
  let file = given;
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if (errCode(e) !== "ENOENT") throw cannotWrite(e, given);
  }
  if (st?.isSymbolicLink()) {
    try {
      file = fs.realpathSync(given);
    } catch {
      throw new InputError("is a symbolic link to nothing (a dangling link); refusing to replace the link", { file: given });
    }
    st = fs.statSync(file);
  }
  if (st?.isDirectory()) throw new InputError("is a directory; give a file name", { file: given });
  checkParentDir(file, given);
  if (st && !st.isFile()) return { given, kind: "device", file };
  return { given, kind: "file", file, mode: st ? st.mode & 0o7777 : undefined };
}

export type Chunks = Iterable<string> | AsyncIterable<string>;

/** Bytes gathered before one write(2). */
const BATCH = 1 << 20;

/** Write chunks in batches through `put`, yielding to the event loop between batches (signals and EPIPE are handled there). */
async function pump(chunks: Chunks, put: (s: string) => void | Promise<void>): Promise<void> {
  let buf = "";
  for await (const c of chunks) {
    buf += c;
    if (buf.length >= BATCH) {
      await put(buf);
      buf = "";
      await new Promise((r) => setImmediate(r));
    }
  }
  if (buf) await put(buf);
}

/** Chunks (or one string) to stdout, respecting back-pressure. */
export async function writeStdout(chunks: Chunks | string): Promise<void> {
  await pump(typeof chunks === "string" ? [chunks] : chunks, (s) => {
    if (process.stdout.write(s)) return;
    return new Promise<void>((resolve) => process.stdout.once("drain", () => resolve()));
  });
}

/** Write `chunks` to a checked target: whole or not at all. */
export async function writeOutput(target: OutputTarget | string, chunks: Chunks | string): Promise<void> {
  const t = typeof target === "string" ? checkOutput(target) : target;
  const src = typeof chunks === "string" ? [chunks] : chunks;
  if (t.kind === "stdout") return writeStdout(src);
  if (t.kind === "device") {
    let fd: number;
    try {
      fd = fs.openSync(t.file, "w");
    } catch (e) {
      throw cannotWrite(e, t.given);
    }
    try {
      await pump(src, (s) => void fs.writeSync(fd, s));
    } catch (e) {
      throw cannotWrite(e, t.given);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  const tmp = path.join(path.dirname(t.file), `.${path.basename(t.file)}.memhp-tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let fd: number | undefined;
  const remove = () => {
    if (fd !== undefined) fs.closeSync(fd);
    fd = undefined;
    fs.rmSync(tmp, { force: true });
  };
  const done = onInterrupt(remove);
  try {
    fd = fs.openSync(tmp, "wx", t.mode ?? 0o666);
    if (t.mode !== undefined) fs.fchmodSync(fd, t.mode);
    const out = fd;
    await pump(src, (s) => void fs.writeSync(out, s));
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, t.file);
  } catch (e) {
    try {
      remove();
    } catch {
      // the first error is the one to report
    }
    throw cannotWrite(e, t.given);
  } finally {
    done();
  }
}

/** JSON text as chunks, newline-terminated (see json-stream.ts). */
export async function* withNewline(chunks: Iterable<string>): AsyncGenerator<string> {
  yield* chunks;
  yield "\n";
}

// ---- progress -----------------------------------------------------------

/** Where a status line goes: a terminal's stream (process.stderr), or a test's. */
export interface StatusStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/**
 * A status line on stderr for one piece of work that may take seconds (a
 * conformance search): shown only on a terminal, only once the work has
 * taken `delayMs`, redrawn at most ten times a second and cut to the
 * terminal's width so it stays one line; clear() wipes it before the work's
 * result is printed.
 */
export function statusLine(stream: StatusStream = process.stderr, now: () => number = Date.now, delayMs = 1000): { show(text: string): void; clear(): void } {
  const start = now();
  let drawn = -Infinity;
  let shown = false;
  return {
    show(text) {
      if (!stream.isTTY) return;
      const t = now();
      if (t - start < delayMs || t - drawn < 100) return;
      drawn = t;
      shown = true;
      // A terminal that reports no size (0 columns: a pty nobody sized) is taken as 80 wide.
      const width = (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80) - 1;
      stream.write(`\r\x1b[K${text.length > width ? text.slice(0, Math.max(0, width - 1)) + "…" : text}`);
    },
    clear() {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
    },
  };
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
