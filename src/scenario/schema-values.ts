/**
 * The field types of memhp's file formats as zod schemas: sizes and
 * addresses as the oracle writes them (converted to bytes, each carrying its
 * JSON Schema for `memhp schema`), sysfs paths, CPU lists, command-line
 * words, and the wording of values in messages. Browser-safe: no I/O.
 */
import { z } from "zod";
import { INT_LITERAL_SOURCE, parseAddress, parseSize, SizeParseError } from "../kernel/units.js";

/** x86_64 physical addresses stop at 2^52: no size or address may exceed it. */
export const MAX_SIZE = 2 ** 52;
/** QEMU's ACPI_MAX_RAM_SLOTS (pc and q35). */
export const MAX_SLOTS = 256;
/** QEMU's MAX_NODES. */
export const MAX_NUMA_NODES = 128;
/** The message of a required field that is absent (load.ts locates it at the enclosing object). */
export const MISSING = "missing required field";

/** A short description of a value for messages: `"12Q"`, `-5`, `true`, `null`, `a list`, `an object`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return typeof v;
}

export type Ctx = { issues: { push(issue: { code: "custom"; message: string; input: unknown; path?: PropertyKey[] }): void } };

export function fail(ctx: Ctx, message: string, input: unknown): typeof z.NEVER {
  ctx.issues.push({ code: "custom", message, input });
  return z.NEVER;
}

/** Optional field: absent or null (the oracle treats null as absent) gives undefined. */
export function opt<T extends z.ZodType>(s: T) {
  return s.nullish().transform((v): z.output<T> | undefined => v ?? undefined);
}

/** Drop keys whose value is undefined (optional fields that were absent or null). */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Parse a size ("512M", "0x1000", 4096) or an address (any-base integer, no suffix) to bytes; a message on failure. */
export function sizeOrMessage(v: unknown, kind: "size" | "address"): number | string {
  if (typeof v === "number") {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return `${kind} is not an integer: ${v}`;
    if (v < 0) return `negative ${kind}: ${v}`;
    if (v > MAX_SIZE) return `${kind} too large: ${v} (more than 2^52, the x86_64 physical address limit)`;
    return v === 0 ? 0 : v; // not -0
  }
  if (typeof v === "string") {
    let n: number;
    try {
      n = kind === "size" ? parseSize(v) : parseAddress(v);
    } catch (e) {
      if (e instanceof SizeParseError) return /out of range/.test(e.message) ? `${kind} too large: ${describeValue(v)} (more than 2^52, the x86_64 physical address limit)` : e.message;
      throw e;
    }
    if (n > MAX_SIZE) return `${kind} too large: ${describeValue(v)} (more than 2^52, the x86_64 physical address limit)`;
    return n;
  }
  const eg = kind === "size" ? `"512M" or 536870912` : `"0x100000000" or 4294967296`;
  return `expected a ${kind} (e.g. ${eg}), got ${describeValue(v)}`;
}

export type SizeCheck = (n: number) => string | undefined;

/** What a size or an address field accepts as written, as JSON Schema (for `memhp schema` and editors). */
export const AS_WRITTEN = {
  size: {
    description: 'A size in bytes: "512M", "524416K", "0x8000000" (binary K/M/G/T/P/E suffixes), or an integer.',
    anyOf: [
      { type: "integer", minimum: 0, maximum: MAX_SIZE },
      { type: "string", pattern: `^\\s*\\+?\\s*${INT_LITERAL_SOURCE}\\s*[kKmMgGtTpPeE]?(?:[iI]?[bB])?\\s*$` },
    ],
  },
  address: {
    description: 'A physical address: an integer in any base as Python\'s int(x, 0) reads it ("0x100000000", "0o…", "0b…", decimal), or an integer.',
    anyOf: [
      { type: "integer", minimum: 0, maximum: MAX_SIZE },
      { type: "string", pattern: `^\\s*\\+?${INT_LITERAL_SOURCE}\\s*$` },
    ],
  },
};

export function sizeField(kind: "size" | "address", check?: SizeCheck) {
  return z
    .unknown()
    .transform((v, ctx): number => {
      if (v === undefined) return fail(ctx, MISSING, v);
      const r = sizeOrMessage(v, kind);
      if (typeof r === "string") return fail(ctx, r, v);
      const bad = check?.(r);
      return bad ? fail(ctx, bad, v) : r;
    })
    .meta(AS_WRITTEN[kind]);
}

export function optSizeField(kind: "size" | "address", check?: SizeCheck) {
  return z
    .unknown()
    .transform((v, ctx): number | undefined => {
      if (v === undefined || v === null) return undefined;
      const r = sizeOrMessage(v, kind);
      if (typeof r === "string") return fail(ctx, r, v);
      const bad = check?.(r);
      return bad ? fail(ctx, bad, v) : r;
    })
    .meta({ ...AS_WRITTEN[kind], anyOf: [...AS_WRITTEN[kind].anyOf, { type: "null" }] })
    .optional();
}

export const positive: SizeCheck = (n) => (n > 0 ? undefined : "must be greater than 0");

/** A size: "512M", "524416K", "0x8000000", or a JSON integer; non-negative, at most 2^52. */
export const Size = sizeField("size");
/** An address: an integer in any base as Python's int(x, 0) takes it ("0x100000000", "0o…", "0b…", decimal), or a JSON integer. */
export const Address = sizeField("address");

export const NonNegInt = z.number().int().min(0);
export const Seconds = z.number().positive();
export const Id = z.string().min(1);
export const Args = z.array(z.string());

/** A sysfs path: absolute, under /sys/, no `.`/`..` components. */
export const SysfsPath = z.string().superRefine((s, ctx) => {
  if (!s.startsWith("/sys/")) ctx.addIssue({ code: "custom", message: `not an absolute path under /sys/: ${describeValue(s)}` });
  else if (s.split("/").some((c) => c === "." || c === "..")) ctx.addIssue({ code: "custom", message: `path must not contain "." or ".." components: ${describeValue(s)}` });
  else if (/[\0\n]/.test(s)) ctx.addIssue({ code: "custom", message: `path contains a NUL or newline: ${describeValue(s)}` });
});

/** A CPU list as QEMU's -numa cpus= takes it: "0", "0-1", "0,2"; a JSON integer is taken as one CPU. */
export const CpuList = z.unknown().transform((v, ctx): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === "string" && /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) return v;
  return fail(ctx, `not a CPU list (e.g. "0", "0-1", "0,2"): ${describeValue(v)}`, v);
})
  .meta({ description: 'CPUs as QEMU\'s -numa cpus= takes them: "0", "0-1", "0,2", or one CPU number.', anyOf: [{ type: "integer", minimum: 0 }, { type: "string", pattern: "^\\d+(-\\d+)?(,\\d+(-\\d+)?)*$" }, { type: "null" }] })
  .optional();

/** One kernel command-line word. */
export const CmdlineWord = z.string().superRefine((s, ctx) => {
  if (s === "") ctx.addIssue({ code: "custom", message: "empty command-line word" });
  else if (/\s/.test(s)) ctx.addIssue({ code: "custom", message: `one command-line word per list element (no spaces): ${describeValue(s)}` });
});
