/**
 * What ndctl and daxctl share: their result shape (as the oracle records a
 * tool run), the option parser of util/parse-options.c (parse-options.ts,
 * re-exported here), the stderr conventions of util/usage.c and util/log.c,
 * and errno texts.
 */
import { isPowerOf2 } from "../kernel/units.js";
import { cStrtoimax } from "./c-strto.js";
import type { Kernel } from "../kernel/kernel.js";

import { type OptionTable, type ParseFailure, parseFailureText, usageWithOptions } from "./parse-options.js";

export { type OptEntry, type OptionTable, type OptSpec, type OptValue, type ParsedOpts, type ParseFailure, parseCommand, parseFailureText, parseOptions, usageWithOptions } from "./parse-options.js";

export interface ToolResult {
  argv: string[];
  rc: number;
  stdout_json?: unknown;
  stdout?: string[];
  stderr: string[];
  /** What memhp cannot model about this run (the command's outcome is then unknown). */
  unsupported?: string;
}

/** A finished run of `tool argv…`: exit status, stderr lines and, when the command printed JSON, that JSON. */
export function toolResult(tool: "ndctl" | "daxctl", argv: string[], rc: number, err: Stderr, stdoutJson?: unknown): ToolResult {
  const r: ToolResult = { argv: [tool, ...argv], rc: exitStatus(rc), stderr: err.lines() };
  if (stdoutJson !== undefined) r.stdout_json = stdoutJson;
  return r;
}

/**
 * A command refusing its arguments (exit 129, nothing on stdout): after
 * parse_options() stopped, the text that goes with why (parse-options.ts);
 * otherwise the command's usage_with_options(). --list-opts and
 * --list-cmds (names on stdout for shell completion, exit 130) are not modelled.
 */
export function usageResult(tool: "ndctl" | "daxctl", argv: string[], err: Stderr, t: OptionTable, failure?: ParseFailure): ToolResult {
  if (failure?.kind === "list") return { argv: [tool, ...argv], rc: 130, stderr: [], unsupported: `${tool} ${argv[0]} ${failure.what} (option names on stdout for shell completion) is not modelled` };
  err.write(failure ? parseFailureText(failure, t) : usageWithOptions(t.usage, t.options));
  return toolResult(tool, argv, 129, err);
}

export type Command = (k: Kernel, argv: string[]) => ToolResult;

/** The main() of ndctl/daxctl (util/main.c): run the command named by argv[0], or say it is not one (exit 1). */
export function runCommand(k: Kernel, tool: "ndctl" | "daxctl", argv: string[], commands: Readonly<Record<string, Command>>): ToolResult {
  const cmd = argv[0];
  // main_handle_internal_command(): "<tool> <cmd> --help" runs "<tool> help <cmd>", which shows the man page.
  if (argv.length > 1 && argv[1] === "--help") return { argv: [tool, ...argv], rc: 1, stderr: [], unsupported: `${tool} ${cmd} --help (${tool} help ${cmd}: the man page) is not modelled` };
  if (cmd !== undefined && Object.hasOwn(commands, cmd)) return commands[cmd](k, argv);
  const err = new Stderr();
  err.write(`${tool}: '${cmd ?? ""}' is not ${tool === "ndctl" ? "an" : "a"} ${tool} command. See '${tool} --help'.\n`);
  return toolResult(tool, argv, 1, err);
}

/** Accumulates stderr text and splits it into lines the way the oracle records them. */
export class Stderr {
  private text = "";
  write(s: string): void {
    this.text += s;
  }
  /** util/usage.c error(): " " + " Error: " + message, then a newline. */
  error(msg: string): void {
    this.text += `  Error: ${msg}\n`;
  }
  warning(msg: string): void {
    this.text += `  Warning: ${msg}\n`;
  }
  /** util/log.c at LOG_ERR: "<owner>: <function>: <message>". */
  log(owner: string, fn: string, msg: string): void {
    this.text += `${owner}: ${fn}: ${msg}`;
  }
  lines(): string[] {
    if (this.text === "") return [];
    const l = this.text.split("\n");
    if (l[l.length - 1] === "") l.pop();
    return l;
  }
}

/** Positive errno numbers and strerror() texts (glibc). */
export const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EIO: 5, ENXIO: 6, E2BIG: 7, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16, EEXIST: 17,
  ENODEV: 19, EINVAL: 22, ENOSPC: 28, ERANGE: 34, ENOTTY: 25, EOPNOTSUPP: 95,
};

const STRERROR: Record<number, string> = {
  1: "Operation not permitted",
  2: "No such file or directory",
  5: "Input/output error",
  6: "No such device or address",
  7: "Argument list too long",
  11: "Resource temporarily unavailable",
  12: "Cannot allocate memory",
  13: "Permission denied",
  16: "Device or resource busy",
  17: "File exists",
  19: "No such device",
  22: "Invalid argument",
  25: "Inappropriate ioctl for device",
  28: "No space left on device",
  34: "Numerical result out of range",
  95: "Operation not supported",
};

export function strerror(n: number): string {
  return STRERROR[Math.abs(n)] ?? `Unknown error ${Math.abs(n)}`;
}

/** errno name (kernel model) to a negative number. */
export function neg(errno: string): number {
  return -(ERRNO[errno] ?? 22);
}

/** A process exit status as the shell sees it (main() returns a negative errno; exit() keeps the low 8 bits). */
export function exitStatus(rc: number): number {
  return ((rc % 256) + 256) % 256;
}

/**
 * util/json.h's util_json_flags: what a *_to_json() function includes and how
 * it prints numbers. Shared by ndctl and daxctl.
 */
export interface JsonFlags {
  idle?: boolean;
  configured?: boolean;
  mediaErrors?: boolean;
  /** The caller knows the dax region's parent: no "path". */
  dax?: boolean;
  daxDevs?: boolean;
  daxMappings?: boolean;
  human?: boolean;
  verbose?: boolean;
  capabilities?: boolean;
  firmware?: boolean;
}

const SZ_1K = 1024n;
const SZ_1M = 1024n * SZ_1K;
const SZ_1G = 1024n * SZ_1M;
const SZ_1T = 1024n * SZ_1G;

/** "%ld.%02ld" of a count of hundredths. */
function centi(c: bigint, unit: string): string {
  return `${c / 100n}.${String(c % 100n).padStart(2, "0")} ${unit}`;
}

/**
 * util/json.c display_size(): a size as ndctl and daxctl print it with
 * --human. Below 5000 KiB the plain number; otherwise binary and decimal
 * units side by side, rounded to hundredths: MiB/MB below 2 GiB, GiB/GB
 * below 2 TiB, TiB/TB above.
 */
export function humanSize(bytes: number | bigint): number | string {
  const b = BigInt(bytes);
  if (b < 5000n * SZ_1K) return Number(b);
  const [bin, binUnit, dec, decUnit] = b < 2n * SZ_1G ? [SZ_1M, "MiB", 1000000n, "MB"] : b < 2n * SZ_1T ? [SZ_1G, "GiB", 1000000000n, "GB"] : [SZ_1T, "TiB", 1000000000000n, "TB"];
  const cBin = ((b * 200n) / (bin as bigint) + 1n) / 2n;
  const cDec = (b / ((dec as bigint) / 200n) + 1n) / 2n;
  return `${centi(cBin, binUnit as string)} (${centi(cDec, decUnit as string)})`;
}

/** util_json_object_size(): the number, or with `human` its display_size() form. */
export function jsonSize(bytes: number | bigint, f: JsonFlags): number | string {
  return f.human ? humanSize(bytes) : Number(bytes);
}

/** util_json_object_hex(): the number, or with `human` "%#llx" (0 prints as "0"). */
export function jsonHex(v: number | bigint, f: JsonFlags): number | string {
  if (!f.human) return Number(v);
  const b = BigInt.asUintN(64, BigInt(v));
  return b === 0n ? "0" : `0x${b.toString(16)}`;
}

/**
 * util_display_json_array(): what a listing prints. With `human`, a list of
 * one object prints the object alone; an empty list prints "[]" with a
 * warning (nothing at all with `human`).
 */
export function displayJsonArray(list: unknown[], f: JsonFlags, err: Stderr): unknown {
  if (list.length > 1 || !f.human) {
    if (list.length === 0) err.warning("no matching devices found\n");
    return list;
  }
  return list.length ? list[0] : undefined;
}

/**
 * One integer conversion of sscanf() ("%d"/"%ld") at `pos`: white space,
 * an optional sign, then at least one digit. Returns the value and where
 * the scan stopped, or null when nothing converts.
 */
export function scanInt(s: string, pos = 0): { value: number; end: number } | null {
  const r = cStrtoimax(s.slice(pos), 10);
  return r.end === 0 ? null : { value: Number(r.value), end: pos + r.end };
}

/** sscanf(s, "%d.%d") == 2 (the "X.Y" form of a namespace or dax device name): the two numbers, or null. */
export function scanPair(s: string): [number, number] | null {
  const a = scanInt(s);
  if (!a || s[a.end] !== ".") return null;
  const b = scanInt(s, a.end + 1);
  return b ? [a.value, b.value] : null;
}

/** util/size.c __parse_size64(): number with an optional K/M/G/T suffix (binary), returning the unit too. */
export function parseSize64(s: string | undefined): { value: number; units: number } | null {
  if (s === undefined) return null;
  const m = /^(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgGtT]?)$/.exec(s.trim());
  if (!m) return null;
  const lit = m[1];
  let v = /^0x/i.test(lit) ? parseInt(lit, 16) : lit.length > 1 && lit[0] === "0" ? parseInt(lit, 8) : Number(lit);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()] ?? 1;
  v *= unit;
  return { value: v, units: unit };
}

/** A power of two that is also a safe integer (what ndctl's option parsing reads). */
export function isPow2(x: number): boolean {
  return Number.isSafeInteger(x) && isPowerOf2(x);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The oracle's normalize_json(): random uuids (keys ending in "uuid" or
 * uuid-shaped values, except the all-zero one) become "<uuid>"; the
 * originals are collected in `noisy` by JSON path.
 */
export function normalizeUuids(v: unknown, noisy: Record<string, string>, path = ""): unknown {
  if (Array.isArray(v)) return v.map((x, i) => normalizeUuids(x, noisy, `${path}[${i}]`));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, x] of Object.entries(v)) {
      if (typeof x === "string" && (key.endsWith("uuid") || UUID_RE.test(x)) && x !== "00000000-0000-0000-0000-000000000000") {
        noisy[`${path}/${key}`] = x;
        out[key] = "<uuid>";
      } else {
        out[key] = normalizeUuids(x, noisy, `${path}/${key}`);
      }
    }
    return out;
  }
  return v;
}
