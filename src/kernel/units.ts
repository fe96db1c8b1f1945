/**
 * Units, alignment and formatting helpers.
 *
 * Physical addresses and PFNs are plain JavaScript numbers (exact to 2^53, and
 * x86_64 physical addresses stop at 2^52). Bitwise operators truncate to 32
 * bits, so every alignment goes through the helpers here.
 * Models include/linux/align.h and the vsprintf widths the kernel uses.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

export const PAGE_SIZE = 4096;

/** Largest multiple of `a` that is <= x. */
export function alignDown(x: number, a: number): number {
  return x - (x % a);
}

/** Smallest multiple of `a` that is >= x. */
export function alignUp(x: number, a: number): number {
  const r = x % a;
  return r === 0 ? x : x + (a - r);
}

export function isAligned(x: number, a: number): boolean {
  return x % a === 0;
}

export function isPowerOfTwo(x: number): boolean {
  if (!Number.isSafeInteger(x) || x <= 0) return false;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/** log2 of a power of two. */
export function log2(x: number): number {
  let n = 0;
  while (x > 1) {
    x /= 2;
    n++;
  }
  return n;
}

export function pfnOf(addr: number): number {
  return Math.floor(addr / PAGE_SIZE);
}

export function addrOf(pfn: number): number {
  return pfn * PAGE_SIZE;
}

/** Lowercase hex without prefix (`%lx`). */
export function hex(x: number): string {
  return x.toString(16);
}

/** `%0Nlx`: zero-padded to at least `width` digits, longer values printed in full. */
export function hexPad(x: number, width: number): string {
  return x.toString(16).padStart(width, "0");
}

/** `%#lx` as the kernel prints it: `0x0` for zero (glibc would print `0`). */
export function hex0x(x: number): string {
  return "0x" + x.toString(16);
}

/** `%#010llx`: "0x" plus at least 8 digits (the width includes the prefix). */
export function hex0x10(x: number): string {
  return "0x" + x.toString(16).padStart(8, "0");
}

/** `%pa` on 64-bit: 0x + 16 zero-padded digits. */
export function hexPa(x: number): string {
  return "0x" + x.toString(16).padStart(16, "0");
}

/** `%016llx`. */
export function hex16(x: number): string {
  return x.toString(16).padStart(16, "0");
}

export class SizeParseError extends Error {}

const SIZE_MULT: Record<string, bigint> = { "": 1n, K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n, P: 1n << 50n, E: 1n << 60n };

/**
 * Python's `int(x, 0)` without a sign: `0x…`, `0o…`, `0b…` (either case), or
 * decimal without leading zeros (`0`, `00` are fine, `010` is not: Python
 * rejects it rather than reading octal); single `_` between digits allowed.
 * Returns a BigInt (exact), or null when `s` is not such an integer.
 */
/** An integer literal as Python's int(x, 0) reads it (what the oracle's scenario sizes and addresses are), as regex source. */
export const INT_LITERAL_SOURCE = "(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0(?:_?0)*)";
const INT_LITERAL = new RegExp(`^${INT_LITERAL_SOURCE}$`);

function pyIntLiteral(s: string): bigint | null {
  if (!INT_LITERAL.test(s)) return null;
  return BigInt(s.replace(/_/g, ""));
}

/** Python (and so the oracle) rejects `010`: say why. */
function leadingZeroHint(digits: string): string {
  return /^0[0-9_]*[1-9]/.test(digits) ? " (leading zero: write 0o… for octal, or drop the zero)" : "";
}

function toSafe(v: bigint, input: string | number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SizeParseError(`out of range (more than 2^53): "${input}"`);
  return Number(v);
}

/**
 * Parse an address: a non-negative integer in any base, as Python's
 * `int(x, 0)` takes it (`0x100000000`, `0o17`, `0b101`, `4096`), or a JSON
 * integer. No size suffix. Throws SizeParseError on anything else.
 */
export function parseAddress(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input) || input < 0) throw new SizeParseError(`not a non-negative integer: ${input}`);
    return input;
  }
  const s = input.trim();
  if (/^-/.test(s) && pyIntLiteral(s.slice(1).trim()) !== null) throw new SizeParseError(`negative: "${input}"`);
  const v = pyIntLiteral(s.replace(/^\+/, ""));
  if (v === null) throw new SizeParseError(`not an address (an integer in any base, e.g. 0x100000000): "${input}"${leadingZeroHint(s)}`);
  return toSafe(v, input);
}

/**
 * Parse a size or address: any-base integer (`0x…`, `0o…`, `0b…`, decimal,
 * as Python's `int(x, 0)`) with an optional binary suffix K/M/G/T/P/E (KiB,
 * MiB, … also accepted, and an optional trailing `B`). Throws SizeParseError
 * on anything else.
 */
export function parseSize(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input) || input < 0) throw new SizeParseError(`not a non-negative integer: ${input}`);
    return input;
  }
  const s = input.trim();
  const m = /^([+-]?)\s*(0[xX][0-9a-fA-F_]+|0[oObB][0-7_]+|[0-9_]+)\s*([kmgtpe]?)(i?b)?$/i.exec(s);
  const base = m ? pyIntLiteral(m[2]) : null;
  if (!m || base === null) throw new SizeParseError(`not a size: "${input}"${leadingZeroHint(m?.[2] ?? "")}`);
  const suffix = m[3].toUpperCase();
  if (m[4] && !suffix && m[4].toLowerCase() === "ib") throw new SizeParseError(`not a size: "${input}"`);
  if (m[1] === "-" && base !== 0n) throw new SizeParseError(`negative size: "${input}"`);
  return toSafe(base * SIZE_MULT[suffix], input);
}

/** Human-readable binary size: 128M, 1G, 1.5G, 64K, 512 (bytes). */
export function formatSize(bytes: number): string {
  const units: [number, string][] = [
    [1024 * TiB, "P"],
    [TiB, "T"],
    [GiB, "G"],
    [MiB, "M"],
    [KiB, "K"],
  ];
  for (const [u, s] of units) {
    if (bytes >= u) {
      const v = bytes / u;
      return (Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, "")) + s;
    }
  }
  return String(bytes);
}

/** A half-open range [start, end). */
export interface Range {
  readonly start: number;
  readonly end: number;
}

export function rangesOverlap(a: Range, b: Range): boolean {
  return a.start < b.end && b.start < a.end;
}

export function assertNever(x: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** is_power_of_2(): exact at any size (comparing with the power itself: log2 of 2^53 - 1 rounds to 53). */
export function isPowerOf2(x: number): boolean {
  return x > 0 && 2 ** Math.round(Math.log2(x)) === x;
}
