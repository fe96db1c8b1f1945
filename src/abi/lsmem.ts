/**
 * util-linux lsmem(1), byte for byte, over an abstract view of
 * /sys/devices/system/memory. Pure: no node:* imports, runs in a browser.
 *
 * Reference: util-linux sys-utils/lsmem.c and the parts of libsmartcols it
 * uses (column width calculation, human/raw/pairs/JSON printing), at commit
 * 39465c78 (2.43-devel). Behaviour modelled from that source, including its
 * quirks: "unknown column" messages print the rest of the list, empty list
 * items fail silently, the SIZE width hint only applies when the data is
 * wider than the header, a memconfig-only column (CONFIGURED,
 * MEMMAP-ON-MEMORY) skipped before another column makes lsmem fail in
 * add_scols_line.
 *
 * The output is that of a non-terminal stdout (as in util-linux's test suite):
 * no width reduction, `--annotate=auto` means no annotation.
 *
 * Also exported for chmem.ts: a glibc-compatible getopt_long, the
 * util-linux size formatter and the C number parsers both tools share.
 */
import { STRERROR } from "../kernel/errno.js";

/* ------------------------------------------------------------------------ */
/* The view                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * One /sys/devices/system/memory/memoryN directory. String fields are the raw
 * file contents (trailing newline included, as read); lsmem strips one
 * trailing newline like ul_path_read_buffer().
 */
export interface MemoryBlockView {
  /** N of memoryN. */
  index: number;
  /** contents of `state`; "" when the file is missing or empty (lsmem shows "?"). */
  state: string;
  /** contents of `removable`; absent when the file is missing (lsmem then says "no"). */
  removable?: string;
  /** contents of `phys_device` (lsmem does not read it; kept for other users of the view). */
  physDevice?: string;
  /** N of each `nodeN` entry of the block directory, in directory order; lsmem uses the first. */
  nodes: number[];
  /** contents of `valid_zones`; absent when the file is missing. */
  validZones?: string;
}

/** One /sys/firmware/memory/memoryN directory (s390 memory configuration). */
export interface FirmwareMemoryBlockView {
  index: number;
  /** contents of `config` (absent: missing file). */
  config?: string;
  /** contents of `memmap_on_memory` (absent: missing file). */
  memmapOnMemory?: string;
}

export interface MemorySysfsView {
  /** value of block_size_bytes (the file holds it in hex). */
  blockSizeBytes: number;
  blocks: MemoryBlockView[];
  /**
   * /sys/firmware/memory/memoryN entries. lsmem switches to its memory
   * configuration mode (CONFIGURED and MEMMAP-ON-MEMORY columns) when one with
   * index 0 exists. Absent on anything but s390.
   */
  firmwareBlocks?: FirmwareMemoryBlockView[];
  /** contents of /sys/module/memory_hotplug/parameters/memmap_on_memory, if present. */
  memmapOnMemoryParam?: string;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface LsmemOptions {
  /** Environment: LSMEM_COLUMNS (default columns) and LIBSMARTCOLS_JSON (compact|lines). */
  env?: Record<string, string | undefined>;
}

/* ------------------------------------------------------------------------ */
/* Process plumbing shared with chmem                                        */
/* ------------------------------------------------------------------------ */

/** Thrown to end a modelled program run (exit(3)). */
export class ProgramExit {
  constructor(readonly code: number) {}
}

/** stdout/stderr of one modelled run plus err(3)-family helpers. */
export class Proc {
  out = "";
  errOut = "";
  constructor(readonly prog: string) {}
  print(s: string): void {
    this.out += s;
  }
  /** warnx(3) */
  warnx(msg: string): void {
    this.errOut += `${this.prog}: ${msg}\n`;
  }
  /** warn(3): message plus strerror(errno). */
  warn(msg: string, errno: string): void {
    this.errOut += `${this.prog}: ${msg}: ${strerror(errno)}\n`;
  }
  errx(code: number, msg: string): never {
    this.warnx(msg);
    throw new ProgramExit(code);
  }
  err(code: number, msg: string, errno: string): never {
    this.warn(msg, errno);
    throw new ProgramExit(code);
  }
  /** errtryhelp(3) */
  tryHelp(code = 1): never {
    this.errOut += `Try '${this.prog} --help' for more information.\n`;
    throw new ProgramExit(code);
  }
  exit(code: number): never {
    throw new ProgramExit(code);
  }
  /** Run `main`, turning ProgramExit into an exit code. */
  run(main: () => number): ToolResult {
    let exitCode: number;
    try {
      exitCode = main();
    } catch (e) {
      if (e instanceof ProgramExit) exitCode = e.code;
      else throw e;
    }
    return { stdout: this.out, stderr: this.errOut, exitCode };
  }
}

const EXTRA_STRERROR: Record<string, string> = {
  SUCCESS: "Success",
  ESRCH: "No such process",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EWOULDBLOCK: "Resource temporarily unavailable",
  EFAULT: "Bad address",
  ENOTDIR: "Not a directory",
  EROFS: "Read-only file system",
  EFBIG: "File too large",
  ENOSYS: "Function not implemented",
  ETIMEDOUT: "Connection timed out",
  ECANCELED: "Operation canceled",
  EOVERFLOW: "Value too large for defined data type",
  EDOM: "Numerical argument out of domain",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  ETXTBSY: "Text file busy",
  ENOTEMPTY: "Directory not empty",
  ENOEXEC: "Exec format error",
  ECHILD: "No child processes",
  EXDEV: "Invalid cross-device link",
  ENOTTY: "Inappropriate ioctl for device",
  ESPIPE: "Illegal seek",
  EMLINK: "Too many links",
  EPIPE: "Broken pipe",
  EDEADLK: "Resource deadlock avoided",
  ENOLCK: "No locks available",
  ENODATA: "No data available",
  ENOMSG: "No message of desired type",
  EIDRM: "Identifier removed",
  ENOSR: "Out of streams resources",
  ENOLINK: "Link has been severed",
  EPROTO: "Protocol error",
  EBADMSG: "Bad message",
  EILSEQ: "Invalid or incomplete multibyte or wide character",
  EUSERS: "Too many users",
  ENOBUFS: "No buffer space available",
  ENOTCONN: "Transport endpoint is not connected",
  EALREADY: "Operation already in progress",
  EINPROGRESS: "Operation now in progress",
  ESTALE: "Stale file handle",
  EDQUOT: "Disk quota exceeded",
  ENOMEDIUM: "No medium found",
  EKEYREJECTED: "Key was rejected by service",
  EOWNERDEAD: "Owner died",
  ENOTRECOVERABLE: "State not recoverable",
  ERFKILL: "Operation not possible due to RF-kill",
};

/** glibc strerror() text of an errno name ("EINVAL" → "Invalid argument"). */
export function strerror(errno: string): string {
  return (STRERROR as Record<string, string>)[errno] ?? EXTRA_STRERROR[errno] ?? `Unknown error ${errno}`;
}

/* ------------------------------------------------------------------------ */
/* glibc getopt_long                                                         */
/* ------------------------------------------------------------------------ */

export const NO_ARG = 0;
export const REQUIRED_ARG = 1;
export const OPTIONAL_ARG = 2;

export interface LongOption {
  name: string;
  hasArg: 0 | 1 | 2;
  /** the value getopt_long returns: a short option character, or a code above CHAR_MAX. */
  val: number;
}

export type GetoptItem = { ok: true; c: number; arg?: string } | { ok: false; message: string };

/**
 * glibc getopt_long() in its default (permuting) mode, as a list: every option
 * in command-line order, each either an option character with its argument or
 * an error (whose message glibc prints to stderr; getopt_long returns '?'),
 * plus the operands (non-options, in order, then everything after "--").
 * Parsing does not depend on what the program does with the options, so
 * computing the list up front and acting on it in order is equivalent.
 */
export function getoptLong(
  prog: string,
  args: readonly string[],
  optstring: string,
  longopts: readonly LongOption[],
): { items: GetoptItem[]; operands: string[] } {
  const items: GetoptItem[] = [];
  const operands: string[] = [];
  const shortSpec = (ch: string): 0 | 1 | 2 | null => {
    if (ch === ":" || ch === ";") return null;
    const i = optstring.indexOf(ch);
    if (i < 0) return null;
    if (optstring[i + 1] === ":") return optstring[i + 2] === ":" ? OPTIONAL_ARG : REQUIRED_ARG;
    return NO_ARG;
  };
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== "-") {
      operands.push(a);
      i++;
      continue;
    }
    if (a.startsWith("--")) {
      i++;
      const nextchar = a.slice(2);
      const eq = nextchar.indexOf("=");
      const name = eq < 0 ? nextchar : nextchar.slice(0, eq);
      let found: LongOption | undefined = longopts.find((o) => o.name === name);
      if (!found) {
        const ambig: LongOption[] = [];
        for (const o of longopts) {
          if (!o.name.startsWith(name)) continue;
          if (!found) found = o;
          else if (found.hasArg !== o.hasArg || found.val !== o.val) {
            if (ambig.length === 0) ambig.push(found);
            ambig.push(o);
          }
        }
        if (ambig.length > 0) {
          const poss = longopts.filter((o) => ambig.includes(o)).map((o) => ` '--${o.name}'`).join("");
          items.push({ ok: false, message: `${prog}: option '--${nextchar}' is ambiguous; possibilities:${poss}\n` });
          continue;
        }
      }
      if (!found) {
        items.push({ ok: false, message: `${prog}: unrecognized option '--${nextchar}'\n` });
        continue;
      }
      if (eq >= 0) {
        if (found.hasArg === NO_ARG) {
          items.push({ ok: false, message: `${prog}: option '--${found.name}' doesn't allow an argument\n` });
          continue;
        }
        items.push({ ok: true, c: found.val, arg: nextchar.slice(eq + 1) });
      } else if (found.hasArg === REQUIRED_ARG) {
        if (i < args.length) items.push({ ok: true, c: found.val, arg: args[i++] });
        else items.push({ ok: false, message: `${prog}: option '--${found.name}' requires an argument\n` });
      } else {
        items.push({ ok: true, c: found.val });
      }
      continue;
    }
    // a cluster of short options
    i++;
    for (let j = 1; j < a.length; j++) {
      const ch = a[j];
      const spec = shortSpec(ch);
      if (spec === null) {
        items.push({ ok: false, message: `${prog}: invalid option -- '${ch}'\n` });
        continue;
      }
      if (spec === NO_ARG) {
        items.push({ ok: true, c: ch.charCodeAt(0) });
        continue;
      }
      const rest = a.slice(j + 1);
      if (rest.length > 0) items.push({ ok: true, c: ch.charCodeAt(0), arg: rest });
      else if (spec === OPTIONAL_ARG) items.push({ ok: true, c: ch.charCodeAt(0) });
      else if (i < args.length) items.push({ ok: true, c: ch.charCodeAt(0), arg: args[i++] });
      else items.push({ ok: false, message: `${prog}: option requires an argument -- '${ch}'\n` });
      break;
    }
  }
  return { items, operands };
}

/**
 * util-linux err_exclusive_options() (include/optutils.h), including its
 * reliance on groups being listed in ASCII order (chmem's are not, which
 * makes its -c exclusive with nothing).
 */
export function errExclusiveOptions(
  p: Proc,
  c: number,
  longopts: readonly LongOption[],
  excl: readonly string[],
  status: number[],
): void {
  for (let e = 0; e < excl.length && excl[e].charCodeAt(0) <= c; e++) {
    const group = excl[e];
    for (let k = 0; k < group.length && group.charCodeAt(k) <= c; k++) {
      if (group.charCodeAt(k) !== c) continue;
      if (status[e] === 0) status[e] = c;
      else if (status[e] !== c) {
        const name = (v: number) => {
          const o = longopts.find((l) => l.val === v);
          return o ? `--${o.name}` : `-${String.fromCharCode(v)}`;
        };
        p.errx(1, `options ${name(status[e])} and ${name(c)} cannot be combined`);
      }
      break;
    }
  }
}

/** Version string of the reference build (git describe of 39465c78 via tools/git-version-gen). */
export const UTIL_LINUX_PACKAGE_STRING = "util-linux 2.43.devel-1218-39465";

/** `%-Ns%s\n` help lines for -h/-V (USAGE_HELP_OPTIONS). */
export function usageHelpOptions(margin: number): string {
  return `${" -h, --help".padEnd(margin)}display this help\n${" -V, --version".padEnd(margin)}display version\n`;
}

/* ------------------------------------------------------------------------ */
/* C number parsing and formatting                                           */
/* ------------------------------------------------------------------------ */

const U64_MAX = (2n ** 64n) - 1n;
const I64_MAX = (2n ** 63n) - 1n;
const I64_MIN = -(2n ** 63n);

/** c_tolower() over a string: ASCII letters only, as util-linux's c_strcasecmp(). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

export function cIsSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\v" || ch === "\f" || ch === "\r";
}

export function cIsDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function digitValue(ch: string | undefined): number {
  if (ch === undefined) return 99;
  const c = asciiLower(ch);
  if (c >= "0" && c <= "9") return c.charCodeAt(0) - 48;
  if (c >= "a" && c <= "z") return c.charCodeAt(0) - 87;
  return 99;
}

interface StrtoResult {
  /** the magnitude read (unclamped) and its sign */
  negative: boolean;
  magnitude: bigint;
  /** index just after the number; 0 when nothing was converted */
  end: number;
}

/** The scanning common to strtol-family functions. */
function strtoScan(s: string, base: number): StrtoResult {
  let i = 0;
  while (cIsSpace(s[i])) i++;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") {
    negative = s[i] === "-";
    i++;
  }
  if ((base === 0 || base === 16) && s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && digitValue(s[i + 2]) < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) {
    base = s[i] === "0" ? 8 : 10;
  }
  const start = i;
  let mag = 0n;
  const b = BigInt(base);
  while (digitValue(s[i]) < base) {
    mag = mag * b + BigInt(digitValue(s[i]));
    i++;
  }
  if (i === start) return { negative: false, magnitude: 0n, end: 0 };
  return { negative, magnitude: mag, end: i };
}

/** strtoumax(): value, end index and whether errno was set to ERANGE. */
export function cStrtoumax(s: string, base: number): { value: bigint; end: number; erange: boolean } {
  const r = strtoScan(s, base);
  if (r.magnitude > U64_MAX) return { value: U64_MAX, end: r.end, erange: true };
  const v = r.negative && r.magnitude !== 0n ? (2n ** 64n) - r.magnitude : r.magnitude;
  return { value: v, end: r.end, erange: false };
}

/** strtoimax() */
export function cStrtoimax(s: string, base: number): { value: bigint; end: number; erange: boolean } {
  const r = strtoScan(s, base);
  const v = r.negative ? -r.magnitude : r.magnitude;
  if (v > I64_MAX) return { value: I64_MAX, end: r.end, erange: true };
  if (v < I64_MIN) return { value: I64_MIN, end: r.end, erange: true };
  return { value: v, end: r.end, erange: false };
}

/** fscanf("%d"): the int read, or null when nothing matched. */
export function cScanInt(s: string): number | null {
  let i = 0;
  while (cIsSpace(s[i])) i++;
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  if (!cIsDigit(s[i])) return null;
  let v = 0n;
  while (cIsDigit(s[i])) v = v * 10n + BigInt(s.charCodeAt(i++) - 48);
  if (neg) v = -v;
  // glibc converts with strtol and stores the low 32 bits
  v = BigInt.asIntN(32, BigInt.asIntN(64, v > I64_MAX ? I64_MAX : v < I64_MIN ? I64_MIN : v));
  return Number(v);
}

/** ul_path_read_buffer(): drop one trailing newline. */
export function stripNewline(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/** util-linux size_to_human_string(SIZE_SUFFIX_1LETTER, bytes): 128M, 2.6G, 15.8G, 0B. */
export function sizeToHumanString(bytesIn: number | bigint): string {
  const bytes = BigInt.asUintN(64, BigInt(bytesIn));
  let exp = 10;
  for (; exp <= 60; exp += 10) if (bytes < 2n ** BigInt(exp)) break;
  exp -= 10;
  const letter = "BKMGTPE"[exp ? exp / 10 : 0];
  let dec = exp ? bytes / (2n ** BigInt(exp)) : bytes;
  let frac = exp ? bytes % (2n ** BigInt(exp)) : 0n;
  if (frac) {
    if (frac >= U64_MAX / 1000n) frac = ((frac / 1024n) * 1000n) / (2n ** BigInt(exp - 10));
    else frac = (frac * 1000n) / (2n ** BigInt(exp));
    frac = ((frac + 50n) / 100n) * 10n;
    if (frac === 100n) {
      dec++;
      frac = 0n;
    }
  }
  // dec is an int in C (%d); sizes here never reach 2^31 units
  if (frac) {
    let s = `${dec}.${frac.toString().padStart(2, "0")}`;
    if (s.endsWith("0")) s = s.slice(0, -1);
    return s + letter;
  }
  return `${dec}${letter}`;
}

/** printf("%0Nllx") of a 64-bit value. */
function hex64(v: bigint, width: number): string {
  return BigInt.asUintN(64, v).toString(16).padStart(width, "0");
}

/* ------------------------------------------------------------------------ */
/* libsmartcols (the subset lsmem uses)                                      */
/* ------------------------------------------------------------------------ */

export type ScolsFormat = "human" | "raw" | "export" | "json";
export type JsonFormat = "pretty" | "compact" | "lines";

export interface ScolsColumn {
  name: string;
  /** width hint: >= 1 absolute width (below 1 relative, only used on terminals) */
  whint: number;
  right: boolean;
  json: "string" | "number" | "boolean";
  annotation?: string;
}

export interface ScolsTable {
  name?: string;
  format: ScolsFormat;
  noheadings: boolean;
  jsonFormat: JsonFormat;
  columns: ScolsColumn[];
  /** one array per line; index = column; undefined/null = no data */
  lines: (string | null | undefined)[][];
}

/** fputs_nonblank(): raw-format cell encoding. */
function rawEncode(s: string): string {
  let o = "";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === " " || ch === "\t" || ch === "\\" || c < 0x20 || c === 0x7f) o += `\\x${c.toString(16).padStart(2, "0")}`;
    else o += ch;
  }
  return o;
}

/** fputs_quoted(): pairs-format value encoding. */
function exportQuote(s: string): string {
  let o = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\" || ch === "`" || ch === "$" || c < 0x20 || c === 0x7f) o += `\\x${c.toString(16).padStart(2, "0")}`;
    else o += ch;
  }
  return o + '"';
}

/** fputs_quoted_case_json() */
function jsonQuote(s: string, lower = false): string {
  let o = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\") o += "\\" + ch;
    else if (c >= 0x20) o += lower && c <= 127 ? ch.toLowerCase() : ch;
    else if (ch === "\b") o += "\\b";
    else if (ch === "\t") o += "\\t";
    else if (ch === "\n") o += "\\n";
    else if (ch === "\f") o += "\\f";
    else if (ch === "\r") o += "\\r";
    else o += `\\u00${c.toString(16).padStart(2, "0")}`;
  }
  return o + '"';
}

/** lib/jsonwrt.c */
class JsonWriter {
  out = "";
  indent = 0;
  afterClose = false;
  constructor(readonly fmt: JsonFormat) {}
  private ind(): void {
    this.out += "   ".repeat(this.indent);
  }
  private printName(name: string | null): void {
    if (this.afterClose) {
      if (this.fmt === "lines") this.out += this.indent === 0 ? "\n" : ",";
      else if (this.fmt === "compact") this.out += ",";
      else this.out += name !== null ? ",\n" : ",";
    }
    if (this.fmt === "pretty" && (name !== null || !this.afterClose)) this.ind();
    if (name !== null) this.out += jsonQuote(name, true);
  }
  open(name: string | null, type: "object" | "array" | "value"): void {
    this.printName(name);
    let s: string;
    if (type === "object") {
      if (this.fmt === "lines") s = "{";
      else if (this.fmt === "compact") s = this.indent === 2 ? (name !== null ? ":{" : "\n{") : "{";
      else s = name !== null ? ": {\n" : "{\n";
      this.indent++;
    } else if (type === "array") {
      if (this.fmt === "lines" || this.fmt === "compact") s = name !== null ? ":[" : "[";
      else s = name !== null ? ": [\n" : "[\n";
      this.indent++;
    } else {
      if (this.fmt === "pretty") s = name !== null ? ": " : " ";
      else s = name !== null ? ":" : "";
    }
    this.out += s;
    this.afterClose = false;
  }
  close(type: "object" | "array" | "value"): void {
    if (type === "value") {
      this.afterClose = true;
      return;
    }
    this.indent--;
    if (this.fmt === "compact" && this.indent === 1) this.out += "\n";
    if (this.fmt === "pretty") {
      this.out += "\n";
      this.ind();
    }
    this.out += type === "object" ? "}" : "]";
    if (this.fmt !== "lines" && this.indent === 0) this.out += "\n";
    this.afterClose = true;
  }
  valueString(name: string, data: string): void {
    this.open(name, "value");
    this.out += data ? jsonQuote(data) : "null";
    this.close("value");
  }
  valueRaw(name: string, data: string): void {
    this.open(name, "value");
    this.out += data ? data : "null";
    this.close("value");
  }
  valueBoolean(name: string, v: boolean): void {
    this.open(name, "value");
    this.out += v ? "true" : "false";
    this.close("value");
  }
}

/** scols_print_table() on a non-terminal stream; "" when the table has no columns (libsmartcols returns -EINVAL). */
export function scolsPrintTable(tb: ScolsTable): string {
  const cols = tb.columns;
  if (cols.length === 0) return "";
  if (tb.lines.length === 0) {
    if (tb.format !== "json") return "";
    const j = new JsonWriter(tb.jsonFormat);
    if (tb.jsonFormat !== "lines") {
      j.open(null, "object");
      j.open(tb.name ?? "", "array");
      j.close("array");
      j.close("object");
    }
    return j.out;
  }
  const cell = (ln: (string | null | undefined)[], i: number): string => ln[i] ?? "";
  const lastIdx = cols.length - 1;

  if (tb.format === "json") {
    const j = new JsonWriter(tb.jsonFormat);
    if (tb.jsonFormat !== "lines") {
      j.open(null, "object");
      j.open(tb.name ?? "", "array");
    }
    for (const ln of tb.lines) {
      j.open(null, "object");
      cols.forEach((cl, i) => {
        const data = cell(ln, i);
        if (cl.json === "string") j.valueString(cl.name, data);
        else if (cl.json === "number") j.valueRaw(cl.name, data);
        else j.valueBoolean(cl.name, !(data === "" || data[0] === "0" || data[0] === "N" || data[0] === "n"));
      });
      j.close("object");
    }
    if (tb.jsonFormat !== "lines") {
      j.close("array");
      j.close("object");
    } else j.out += "\n";
    return j.out;
  }

  const rows: string[] = [];
  if (tb.format === "raw") {
    if (!tb.noheadings) rows.push(cols.map((c) => rawEncode(c.name)).join(" "));
    for (const ln of tb.lines) rows.push(cols.map((_, i) => rawEncode(cell(ln, i))).join(" "));
    return rows.join("\n") + "\n";
  }
  if (tb.format === "export") {
    for (const ln of tb.lines) rows.push(cols.map((c, i) => `${c.name}=${exportQuote(cell(ln, i))}`).join(" "));
    return rows.join("\n") + "\n";
  }

  // human: __scols_calculate() for a non-terminal (nothing is reduced)
  const widths = cols.map((cl, i) => {
    let widthMin = tb.noheadings ? 0 : cl.name.length;
    const noHeader = tb.noheadings;
    if (!widthMin) widthMin = 1;
    let widthMax = 0;
    for (const ln of tb.lines) widthMax = Math.max(widthMax, cell(ln, i).length);
    let width = widthMax;
    if (width <= widthMin) width = widthMin;
    else if (cl.whint >= 1 && width < Math.floor(cl.whint) && widthMin < Math.floor(cl.whint)) width = Math.floor(cl.whint);
    if (widthMax === 0 && noHeader && widthMin === 1 && width <= 1) width = 0;
    return width;
  });
  const printRow = (data: string[], header: boolean): string => {
    let o = "";
    cols.forEach((cl, i) => {
      const isLast = i === lastIdx;
      const d = data[i];
      let len = d.length;
      let width = widths[i];
      if (isLast && len < width && !cl.right) width = len;
      if (d) {
        if (cl.right) {
          o += " ".repeat(Math.max(0, width - len));
          len = Math.max(len, width);
        }
        if (header && cl.annotation) o += `\x1b]8;;${cl.annotation}\x1b\\${d}\x1b]8;;\x1b\\`;
        else o += d;
      }
      if (isLast) return;
      o += " ".repeat(Math.max(0, width - len));
      o += " ";
    });
    return o;
  };
  if (!tb.noheadings) rows.push(printRow(cols.map((c) => c.name), true));
  for (const ln of tb.lines) rows.push(printRow(cols.map((_, i) => cell(ln, i)), false));
  return rows.join("\n") + "\n";
}

/* ------------------------------------------------------------------------ */
/* lsmem                                                                     */
/* ------------------------------------------------------------------------ */

const enum State {
  Online = 0,
  Offline = 1,
  GoingOffline = 2,
  Unknown = 3,
}

const ZONE_NAMES = ["DMA", "DMA32", "Normal", "Highmem", "Movable", "Device", "None", "Unknown"];
const ZONE_UNKNOWN = 7;
const MAX_NR_ZONES = 8;

const COL_RANGE = 0,
  COL_SIZE = 1,
  COL_STATE = 2,
  COL_REMOVABLE = 3,
  COL_BLOCK = 4,
  COL_NODE = 5,
  COL_ZONES = 6,
  COL_CONFIG = 7,
  COL_MEMMAP = 8;

interface ColDesc {
  name: string;
  whint: number;
  right: boolean;
  help: string;
}

const COLDESCS: ColDesc[] = [
  { name: "RANGE", whint: 0, right: false, help: "start and end address of the memory range" },
  { name: "SIZE", whint: 5, right: true, help: "size of the memory range" },
  { name: "STATE", whint: 0, right: true, help: "online status of the memory range" },
  { name: "REMOVABLE", whint: 0, right: true, help: "memory is removable" },
  { name: "BLOCK", whint: 0, right: true, help: "memory block number or blocks range" },
  { name: "NODE", whint: 0, right: true, help: "numa node of memory" },
  { name: "ZONES", whint: 0, right: true, help: "valid zones for the memory range" },
  { name: "CONFIGURED", whint: 0, right: true, help: "configuration status of the memory range" },
  { name: "MEMMAP-ON-MEMORY", whint: 0, right: true, help: "memmap-on-memory status of the memory range" },
];

/** Column names lsmem knows, in its order. */
export const LSMEM_COLUMNS = COLDESCS.map((c) => c.name);

const PATH_SYS_MEMORY = "/sys/devices/system/memory";

interface Block {
  index: bigint;
  count: bigint;
  state: State;
  node: number;
  zones: number[];
  removable: boolean;
  config: boolean;
  memmap: boolean;
}

const OPT_SUMMARY = 128,
  OPT_OUTPUT_ALL = 129,
  OPT_ANNOTATE = 130;

const ch = (s: string) => s.charCodeAt(0);

const LSMEM_LONGOPTS: LongOption[] = [
  { name: "all", hasArg: NO_ARG, val: ch("a") },
  { name: "annotate", hasArg: OPTIONAL_ARG, val: OPT_ANNOTATE },
  { name: "bytes", hasArg: NO_ARG, val: ch("b") },
  { name: "help", hasArg: NO_ARG, val: ch("h") },
  { name: "json", hasArg: NO_ARG, val: ch("J") },
  { name: "noheadings", hasArg: NO_ARG, val: ch("n") },
  { name: "output", hasArg: REQUIRED_ARG, val: ch("o") },
  { name: "output-all", hasArg: NO_ARG, val: OPT_OUTPUT_ALL },
  { name: "pairs", hasArg: NO_ARG, val: ch("P") },
  { name: "raw", hasArg: NO_ARG, val: ch("r") },
  { name: "split", hasArg: REQUIRED_ARG, val: ch("S") },
  { name: "summary", hasArg: OPTIONAL_ARG, val: OPT_SUMMARY },
  { name: "sysroot", hasArg: REQUIRED_ARG, val: ch("s") },
  { name: "version", hasArg: NO_ARG, val: ch("V") },
];
const LSMEM_OPTSTRING = "abhJno:PrS:s:V";

function lsmemUsage(): string {
  let o = "\nUsage:\n lsmem [options]\n\n";
  o += "List the ranges of available memory with their online status.\n";
  o += "\nOptions:\n";
  o += " -a, --all                 list each individual memory block\n";
  o += "     --annotate[=<when>]   annotate columns with a tooltip (always|never|auto)\n";
  o += " -b, --bytes               print SIZE in bytes, not in human readable format\n";
  o += " -J, --json                use JSON output format\n";
  o += " -n, --noheadings          don't print headings\n";
  o += " -o, --output <list>       output columns\n";
  o += "     --output-all          output all columns\n";
  o += ' -P, --pairs               use key="value" output format\n';
  o += " -r, --raw                 use raw output format\n";
  o += " -S, --split <list>        split ranges by specified columns\n";
  o += " -s, --sysroot <dir>       use the specified directory as system root\n";
  o += "     --summary[=<when>]    print summary information (always|never|only)\n";
  o += "\n";
  o += usageHelpOptions(27);
  o += "\nAvailable output columns:\n";
  for (const c of COLDESCS) o += ` ${c.name.padStart(10)}  ${c.help}\n`;
  o += "\nFor more details see lsmem(1).\n";
  return o;
}

/**
 * string_add_to_idarray() with lsmem's column_name_to_id(): the ids, or null
 * after a failure (an unknown name has been reported with warnx; empty items
 * and too long lists fail silently, as in util-linux).
 */
function parseColumnList(p: Proc, list: string, ary: number[], arysz: number): number[] | null {
  if (!list) return null;
  let pos = ary.length;
  let l = list;
  if (l[0] === "+") l = l.slice(1);
  else pos = 0;
  if (pos > arysz) return null;
  const out = ary.slice(0, pos);
  if (!l) return null;
  let begin = -1;
  for (let i = 0; i < l.length; i++) {
    if (out.length - pos >= arysz - pos) return null;
    if (begin < 0) begin = i;
    let end = -1;
    if (l[i] === ",") end = i;
    if (i + 1 === l.length) end = i + 1;
    if (end < 0) continue;
    if (end <= begin) return null;
    const name = l.slice(begin, end);
    const id = COLDESCS.findIndex((c) => asciiLower(c.name) === asciiLower(name));
    if (id < 0) {
      p.warnx(`unknown column: ${l.slice(begin)}`);
      return null;
    }
    out.push(id);
    begin = -1;
    if (end === l.length) break;
  }
  return out;
}

/**
 * The --sysroot value lsmem would use (the last one given), for callers that
 * resolve it before calling lsmem(); undefined without one.
 */
export function lsmemSysrootArg(args: readonly string[]): string | undefined {
  let root: string | undefined;
  for (const it of getoptLong("lsmem", args, LSMEM_OPTSTRING, LSMEM_LONGOPTS).items) {
    if (!it.ok) break;
    if (it.c === ch("s")) root = it.arg;
  }
  return root;
}

/**
 * Run `lsmem ARGS` (ARGS without the program name) against a view of
 * /sys/devices/system/memory. `--sysroot` is accepted and otherwise ignored:
 * the caller has already read the view from it (see lsmemSysrootArg()).
 * `view` may be a function: it is then called only once lsmem gets to
 * reading sysfs (not for --help, --version or bad options), and whatever it
 * throws propagates.
 */
export function lsmem(
  view: MemorySysfsView | (() => MemorySysfsView),
  args: readonly string[],
  options: LsmemOptions = {},
): ToolResult {
  const p = new Proc("lsmem");
  return p.run(() => lsmemMain(p, view, args, options.env ?? {}));
}

function lsmemMain(
  p: Proc,
  viewArg: MemorySysfsView | (() => MemorySysfsView),
  args: readonly string[],
  env: Record<string, string | undefined>,
): number {
  let listAll = false,
    bytes = false,
    json = false,
    exportFmt = false,
    raw = false,
    noheadings = false,
    wantSummary = true,
    wantTable = true;
  let outarg: string | undefined;
  let splitarg: string | undefined;
  let sysroot: string | undefined;
  let annotateArg: string | undefined;
  let columns: number[] = [];

  const { items, operands } = getoptLong("lsmem", args, LSMEM_OPTSTRING, LSMEM_LONGOPTS);
  const exclSt = [0, 0];
  for (const it of items) {
    if (!it.ok) {
      p.errOut += it.message;
      p.tryHelp();
    }
    errExclusiveOptions(p, it.c, LSMEM_LONGOPTS, ["JPr", "Sa"], exclSt);
    switch (it.c) {
      case ch("a"):
        listAll = true;
        break;
      case ch("b"):
        bytes = true;
        break;
      case ch("J"):
        json = true;
        wantSummary = false;
        break;
      case ch("n"):
        noheadings = true;
        break;
      case ch("o"):
        outarg = it.arg;
        break;
      case OPT_OUTPUT_ALL:
        columns = COLDESCS.map((_, i) => i);
        break;
      case ch("P"):
        exportFmt = true;
        wantSummary = false;
        break;
      case ch("r"):
        raw = true;
        wantSummary = false;
        break;
      case ch("s"):
        sysroot = it.arg;
        break;
      case ch("S"):
        splitarg = it.arg;
        break;
      case OPT_SUMMARY:
        if (it.arg !== undefined) {
          if (it.arg === "never") wantSummary = false;
          else if (it.arg === "only") wantTable = false;
          else if (it.arg === "always") wantSummary = true;
          else p.errx(1, "unsupported --summary argument");
        } else wantTable = false;
        break;
      case OPT_ANNOTATE:
        annotateArg = it.arg;
        break;
      case ch("h"):
        p.print(lsmemUsage());
        return 0;
      case ch("V"):
        p.print(`lsmem from ${UTIL_LINUX_PACKAGE_STRING}\n`);
        return 0;
    }
  }
  if (operands.length) {
    p.warnx("bad usage");
    p.tryHelp();
  }

  // annotationwanted(): "auto" (or no argument) asks isatty(stdout); the model's stdout is not a terminal
  let annotate = false;
  if (annotateArg !== undefined && annotateArg !== "never") {
    if (annotateArg === "always") annotate = true;
    else if (annotateArg !== "auto") p.errx(1, `invalid argument of --annotate: ${annotateArg}`);
  }

  if (!wantTable && !wantSummary) p.errx(1, "options --{raw,json,pairs} and --summary=only are mutually exclusive");

  // lsmem opens the sysroot here; a lazy view is resolved at the same point
  const view = typeof viewArg === "function" ? viewArg() : viewArg;
  const haveMemconfig = (view.firmwareBlocks ?? []).some((b) => b.index === 0);
  const prefix = sysroot ?? "";

  if (!wantTable && wantSummary) {
    const info = readInfo(p, view, haveMemconfig, prefix, { listAll: false, split: noSplit() });
    p.print(summary(view, info, bytes));
    return 0;
  }

  if (columns.length === 0) columns = [COL_RANGE, COL_SIZE, COL_STATE, COL_REMOVABLE, COL_BLOCK];
  if (outarg === undefined) outarg = env.LSMEM_COLUMNS;
  if (outarg !== undefined) {
    const r = parseColumnList(p, outarg, columns, COLDESCS.length * 2);
    if (!r) return 1;
    columns = r;
  }

  const skip = (id: number) => (id === COL_MEMMAP || id === COL_CONFIG) && !haveMemconfig;
  const tableCols: ScolsColumn[] = [];
  for (const id of columns) {
    if (skip(id)) continue;
    const d = COLDESCS[id];
    let jt: ScolsColumn["json"] = "string";
    if (json) {
      if ((id === COL_SIZE && bytes) || id === COL_NODE) jt = "number";
      else if (id === COL_REMOVABLE) jt = "boolean";
    }
    tableCols.push({ name: d.name, whint: d.whint, right: d.right, json: jt, annotation: annotate ? d.help : undefined });
  }

  let split: SplitPolicy;
  if (splitarg !== undefined) {
    let ids: number[] = [];
    if (asciiLower(splitarg) !== "none") {
      const r = parseColumnList(p, splitarg, [], COLDESCS.length);
      if (!r) return 1;
      ids = r;
    }
    split = splitPolicy(ids);
  } else split = splitPolicy(columns);

  const info = readInfo(p, view, haveMemconfig, prefix, { listAll, split });

  if (wantTable) {
    const lines: (string | null)[][] = [];
    for (const blk of info.blocks) {
      const line: (string | null)[] = new Array(tableCols.length).fill(null);
      columns.forEach((id, i) => {
        if (skip(id)) return;
        const str = cellText(id, blk, info, bytes, haveMemconfig);
        if (str === null) return;
        if (i >= line.length) {
          // scols_line_refer_data() on a cell the line does not have → err_oom()
          p.err(1, "sys-utils/lsmem.c: 336: cannot allocate memory", "SUCCESS");
        }
        line[i] = str;
      });
      lines.push(line);
    }
    const format: ScolsFormat = json ? "json" : exportFmt ? "export" : raw ? "raw" : "human";
    const lsj = env.LIBSMARTCOLS_JSON;
    const out = scolsPrintTable({
      name: json ? "memory" : undefined,
      format,
      noheadings,
      jsonFormat: lsj === "compact" ? "compact" : lsj === "lines" ? "lines" : "pretty",
      columns: tableCols,
      lines,
    });
    p.print(out);
    if (wantSummary) p.print("\n");
  }
  if (wantSummary) p.print(summary(view, info, bytes));
  return 0;
}

interface SplitPolicy {
  state: boolean;
  node: boolean;
  removable: boolean;
  zones: boolean;
  memmap: boolean;
  config: boolean;
}

function noSplit(): SplitPolicy {
  return { state: false, node: false, removable: false, zones: false, memmap: false, config: false };
}

function splitPolicy(ids: number[]): SplitPolicy {
  return {
    state: ids.includes(COL_STATE),
    node: ids.includes(COL_NODE),
    removable: ids.includes(COL_REMOVABLE),
    zones: ids.includes(COL_ZONES),
    memmap: ids.includes(COL_MEMMAP),
    config: ids.includes(COL_CONFIG),
  };
}

interface Info {
  blockSize: bigint;
  blocks: Block[];
  haveNodes: boolean;
  haveZones: boolean;
  online: bigint;
  offline: bigint;
}

/** read_basic_info() + read_info() */
function readInfo(
  p: Proc,
  view: MemorySysfsView,
  haveMemconfig: boolean,
  prefix: string,
  pol: { listAll: boolean; split: SplitPolicy },
): Info {
  const sysBlocks = [...view.blocks].sort((a, b) => a.index - b.index);
  if (sysBlocks.length === 0) {
    // scandir() found nothing; errno is left from the failed access to /sys/firmware/memory/memory0
    p.err(1, `Failed to read ${prefix}${PATH_SYS_MEMORY}`, haveMemconfig ? "SUCCESS" : "ENOENT");
  }
  const haveNodes = sysBlocks.some((b) => b.nodes.length > 0);
  const haveZones = sysBlocks.some((b) => b.validZones !== undefined);
  const byIndex = new Map(sysBlocks.map((b) => [b.index, b]));
  const blockSize = BigInt.asUintN(64, BigInt(view.blockSizeBytes));

  type Source = { index: number; fw?: FirmwareMemoryBlockView };
  let sources: Source[];
  if (haveMemconfig) {
    const fw = [...(view.firmwareBlocks ?? [])].sort((a, b) => a.index - b.index);
    sources = fw.map((f) => ({ index: f.index, fw: f }));
  } else sources = sysBlocks.map((b) => ({ index: b.index }));

  const info: Info = { blockSize, blocks: [], haveNodes, haveZones, online: 0n, offline: 0n };
  for (const src of sources) {
    const blk: Block = {
      index: BigInt(src.index),
      count: 1n,
      state: State.Unknown,
      node: 0,
      zones: [],
      removable: false,
      config: false,
      memmap: false,
    };
    const sb = byIndex.get(src.index);
    let skipSys = false;
    if (src.fw) {
      const c = src.fw.config !== undefined ? cScanInt(src.fw.config) : null;
      if (c !== null) blk.config = c === 1;
      const m = src.fw.memmapOnMemory !== undefined ? cScanInt(src.fw.memmapOnMemory) : null;
      if (m !== null) blk.memmap = m === 1;
      blk.state = State.Offline;
      if (!blk.config) skipSys = true;
    }
    if (!skipSys) {
      const r = sb?.removable !== undefined ? cScanInt(sb.removable) : null;
      if (r !== null) blk.removable = r === 1;
      const st = sb ? stripNewline(sb.state) : "";
      if (st === "offline") blk.state = State.Offline;
      else if (st === "online") blk.state = State.Online;
      else if (st === "going-offline") blk.state = State.GoingOffline;
      if (haveNodes) {
        if (!sb) p.err(1, `Failed to open memory${src.index}`, "ENOENT");
        blk.node = sb.nodes.length ? sb.nodes[0] : -1;
      }
      if (haveZones && sb?.validZones !== undefined) {
        const s = stripNewline(sb.validZones);
        for (const tok of s.split(" ")) {
          if (!tok) continue;
          if (blk.zones.length >= MAX_NR_ZONES) break;
          const id = ZONE_NAMES.findIndex((z) => asciiLower(z) === asciiLower(tok));
          blk.zones.push(id < 0 ? ZONE_UNKNOWN : id);
        }
      }
    }
    if (blk.state === State.Online) info.online += blockSize;
    else info.offline += blockSize;
    if (mergeable(info, blk, pol)) {
      info.blocks[info.blocks.length - 1].count++;
      continue;
    }
    info.blocks.push(blk);
  }
  info.online = BigInt.asUintN(64, info.online);
  info.offline = BigInt.asUintN(64, info.offline);
  return info;
}

/** is_mergeable() */
function mergeable(info: Info, blk: Block, pol: { listAll: boolean; split: SplitPolicy }): boolean {
  if (!info.blocks.length) return false;
  const curr = info.blocks[info.blocks.length - 1];
  if (pol.listAll) return false;
  if (curr.index + curr.count !== blk.index) return false;
  const s = pol.split;
  if (s.state && curr.state !== blk.state) return false;
  if (s.removable && curr.removable !== blk.removable) return false;
  if (s.node && info.haveNodes && curr.node !== blk.node) return false;
  if (s.zones && info.haveZones) {
    if (curr.zones.length !== blk.zones.length) return false;
    for (let i = 0; i < curr.zones.length; i++) {
      if (curr.zones[i] === ZONE_UNKNOWN || curr.zones[i] !== blk.zones[i]) return false;
    }
  }
  if (s.config && curr.config !== blk.config) return false;
  if (s.memmap && curr.memmap !== blk.memmap) return false;
  return true;
}

function cellText(id: number, blk: Block, info: Info, bytes: boolean, haveMemconfig: boolean): string | null {
  const bs = info.blockSize;
  switch (id) {
    case COL_RANGE: {
      const start = BigInt.asUintN(64, blk.index * bs);
      const size = BigInt.asUintN(64, blk.count * bs);
      return `0x${hex64(start, 16)}-0x${hex64(start + size - 1n, 16)}`;
    }
    case COL_SIZE: {
      const size = BigInt.asUintN(64, blk.count * bs);
      return bytes ? size.toString() : sizeToHumanString(size);
    }
    case COL_STATE:
      return ["online", "offline", "on->off", "?"][blk.state];
    case COL_REMOVABLE:
      return blk.state === State.Online ? (blk.removable ? "yes" : "no") : null;
    case COL_BLOCK:
      return blk.count === 1n ? `${blk.index}` : `${blk.index}-${blk.index + blk.count - 1n}`;
    case COL_NODE:
      return info.haveNodes ? `${blk.node}` : null;
    case COL_ZONES:
      // BUFSIZ-limited in C; never reached with at most 8 zone names
      return info.haveZones ? blk.zones.map((z) => ZONE_NAMES[z]).join("/") : null;
    case COL_CONFIG:
      return haveMemconfig ? (blk.config ? "yes" : "no") : null;
    case COL_MEMMAP:
      return haveMemconfig ? (blk.memmap ? "yes" : "no") : null;
  }
  return null;
}

/** print_summary() */
function summary(view: MemorySysfsView, info: Info, bytes: boolean): string {
  let o = "";
  const line = (label: string, value: string) => {
    o += `${label.padEnd(32)} ${value.padStart(bytes ? 15 : 5)}\n`;
  };
  const v = (x: bigint) => (bytes ? x.toString() : sizeToHumanString(x));
  line("Memory block size:", v(info.blockSize));
  line("Total online memory:", v(info.online));
  line("Total offline memory:", v(info.offline));
  if (view.memmapOnMemoryParam !== undefined) {
    // ul_path_read_buffer() into char[8]: at most 7 bytes, one trailing newline dropped
    const buf = stripNewline(view.memmapOnMemoryParam.slice(0, 7)).split("\0")[0];
    let res: string | null = null;
    if (buf.startsWith("Y")) res = "yes";
    else if (buf.startsWith("N")) res = "no";
    else if (buf.startsWith("force")) res = "force";
    if (view.memmapOnMemoryParam.length > 0 && res !== null) line("Memmap on memory parameter:", res);
  }
  return o;
}
