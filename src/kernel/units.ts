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

/**
 * Parse a size or address: any-base integer (`0x…`, `0o…`, `0b…`, decimal)
 * with an optional binary suffix K/M/G/T/P/E (KiB, MiB, … also accepted, and
 * an optional trailing `B`). Throws SizeParseError on anything else.
 */
export function parseSize(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input) || input < 0) throw new SizeParseError(`not a non-negative integer: ${input}`);
    return input;
  }
  const s = input.trim();
  const m = /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)\s*([kmgtpe]?)(i?b)?$/i.exec(s);
  if (!m) throw new SizeParseError(`not a size: "${input}"`);
  const base = Number(m[1].toLowerCase().startsWith("0") && m[1].length > 1 && /^0[0-7]+$/.test(m[1]) ? parseInt(m[1], 8) : Number(m[1]));
  if (!Number.isFinite(base)) throw new SizeParseError(`not a size: "${input}"`);
  const suffix = (m[2] ?? "").toUpperCase();
  if (m[3] && !suffix && m[3].toLowerCase() === "ib") throw new SizeParseError(`not a size: "${input}"`);
  const mult = { "": 1, K: KiB, M: MiB, G: GiB, T: TiB, P: 1024 * TiB, E: 1024 * 1024 * TiB }[suffix] ?? 1;
  const v = base * mult;
  if (!Number.isSafeInteger(v)) throw new SizeParseError(`size out of range (more than 2^53): "${input}"`);
  return v;
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
