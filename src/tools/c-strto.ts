/**
 * The C library's strtoumax()/strtoimax() (base 0, 8, 10 or 16; white space,
 * a sign, "0x"), as the userland tools memhp models read numbers: ndctl's
 * and daxctl's device filters here, util-linux through abi/util-linux/cnum.ts.
 * Pure.
 */

export const U64_MAX = (2n ** 64n) - 1n;
export const I64_MAX = (2n ** 63n) - 1n;
export const I64_MIN = -(2n ** 63n);

/** c_tolower() over a string: ASCII letters only, as util-linux's c_strcasecmp(). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

export function cIsSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\v" || ch === "\f" || ch === "\r";
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
