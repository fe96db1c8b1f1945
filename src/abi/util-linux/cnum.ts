/**
 * The C library's number parsing as util-linux uses it: strtoumax(),
 * strtoimax() (their home is src/tools/c-strto.ts, which ndctl's and
 * daxctl's filters use too), fscanf("%d"), util-linux's ul_strtou64(),
 * glibc's strverscmp(), and the ASCII character classes of the C locale.
 * Pure: no node:* imports.
 */

export { asciiLower, cIsSpace, cStrtoimax, cStrtoumax, U64_MAX } from "../../tools/c-strto.js";
import { cStrtoimax, cStrtoumax } from "../../tools/c-strto.js";

export function cIsDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

/** fscanf("%d"): the int read, or null when nothing matched (strtol() underneath, then the low 32 bits, as glibc stores it). */
export function cScanInt(s: string): number | null {
  const r = cStrtoimax(s, 10);
  return r.end === 0 ? null : Number(BigInt.asIntN(32, r.value));
}

/** ul_path_read_buffer(): drop one trailing newline. */
export function stripNewline(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}


/** printf("%0Nllx") of a 64-bit value. */
export function hex64(v: bigint, width: number): string {
  return BigInt.asUintN(64, v).toString(16).padStart(width, "0");
}

/** glibc strverscmp(), which versionsort() uses to order scandir() results. */
export function strverscmp(s1: string, s2: string): number {
  const S_N = 0,
    S_I = 3,
    S_F = 6,
    S_Z = 9,
    CMP = 2,
    LEN = 3;
  const next = [S_N, S_I, S_Z, S_N, S_I, S_I, S_N, S_F, S_F, S_N, S_F, S_Z];
  const result = [
    CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
    CMP, -1, -1, +1, LEN, LEN, +1, LEN, LEN,
    CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
    CMP, +1, +1, -1, CMP, CMP, -1, CMP, CMP,
  ];
  const at = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : 0);
  const cls = (c: number) => (c === 48 ? 1 : 0) + (c >= 48 && c <= 57 ? 1 : 0);
  const isdig = (c: number) => c >= 48 && c <= 57;
  if (s1 === s2) return 0;
  let i1 = 0,
    i2 = 0;
  let c1 = at(s1, i1++);
  let c2 = at(s2, i2++);
  let state = S_N + cls(c1);
  let diff: number;
  while ((diff = c1 - c2) === 0) {
    if (c1 === 0) return diff;
    state = next[state];
    c1 = at(s1, i1++);
    c2 = at(s2, i2++);
    state += cls(c1);
  }
  state = result[state * 3 + cls(c2)];
  switch (state) {
    case CMP:
      return diff;
    case LEN:
      while (isdig(at(s1, i1++))) if (!isdig(at(s2, i2++))) return 1;
      return isdig(at(s2, i2)) ? -1 : diff;
    default:
      return state;
  }
}

export type Parsed = { ok: true; value: bigint } | { ok: false; errno: string };

/** ul_strtou64(): strtoimax() rejects negatives, strtoumax() converts; trailing junk is EINVAL. */
export function ulStrtou64(s: string, base: number): Parsed {
  if (!s) return { ok: false, errno: "EINVAL" };
  if (cStrtoimax(s, base).value < 0n) return { ok: false, errno: "ERANGE" };
  const u = cStrtoumax(s, base);
  if (u.erange) return { ok: false, errno: "ERANGE" };
  if (u.end === 0 || u.end < s.length) return { ok: false, errno: "EINVAL" };
  return { ok: true, value: u.value };
}
