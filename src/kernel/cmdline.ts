/**
 * lib/cmdline.c, lib/kstrtox.c and lib/vsprintf.c's simple_strto*(): the
 * kernel's parsers for command-line and sysfs values. memparse() is what
 * `mem=`, `memmap=`, `crashkernel=`, `kernelcore=` and `movablecore=` read
 * their sizes with; simpleStrtoull() what `nr_cpus=`, `swiotlb=` and the hash
 * table sizes read; kstrtoull() and kstrtobool() what sysfs stores and module
 * parameters read. Their one home is here. Pure.
 */

/** KSTRTOX_OVERFLOW's limit: values are unsigned 64-bit. */
const U64 = 1n << 64n;

/**
 * _parse_integer_fixup_radix() then _parse_integer() with base 0: "0x" before a hex digit is hex, a leading 0 octal,
 * else decimal; the digits read (null when none) as a 64-bit value (wrapped, with `overflow` set), and the rest.
 */
function parseInteger(s: string): { value: bigint; overflow: boolean; rest: string } | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return null;
  const d = m[1];
  const v = /^0[xX]/.test(d) ? BigInt(d) : d.length > 1 && d[0] === "0" ? BigInt("0o" + d.slice(1)) : BigInt(d);
  return { value: BigInt.asUintN(64, v), overflow: v >= U64, rest: s.slice(d.length) };
}

/** simple_strtoull(s, &rest, 0): the number at the start of `s` (overflow wraps) and what follows; null when no digit. */
export function simpleStrtoull(s: string): { value: bigint; rest: string } | null {
  const r = parseInteger(s);
  return r && { value: r.value, rest: r.rest };
}

/**
 * kstrtoull(s, 0): the whole of `s` as an unsigned 64-bit number — an optional "+", the digits, at most one trailing
 * newline — or the errno: EINVAL when anything else is there, ERANGE when it does not fit.
 */
export function kstrtoull(s: string): bigint | "EINVAL" | "ERANGE" {
  const r = parseInteger(s.startsWith("+") ? s.slice(1) : s);
  if (!r || (r.rest !== "" && r.rest !== "\n")) return "EINVAL";
  return r.overflow ? "ERANGE" : r.value;
}

/** memparse(): an integer in C base notation (0x…, 0…, decimal) with an optional K/M/G/T/P/E suffix. */
export function memparse(s: string): { value: number; rest: string } | null {
  const r = parseInteger(s);
  if (!r) return null;
  let v = r.value;
  let rest = r.rest;
  const shift: Record<string, bigint> = { k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n };
  const sh = shift[rest[0]?.toLowerCase() ?? ""];
  if (sh !== undefined) {
    // An unsigned long long shifted: what passes 2^64 is lost.
    v = BigInt.asUintN(64, v << sh);
    rest = rest.slice(1);
  }
  return { value: Number(v), rest };
}

/**
 * A list of NODE:SIZE pairs separated by commas (hugetlb_cma=, numa_cma=): the node a decimal number, the size
 * through memparse(), read up to the first pair that does not parse.
 */
export function nodeSizes(v: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const part of v.split(",")) {
    const m = /^(\d+):(.*)$/.exec(part);
    const size = m ? memparse(m[2]) : null;
    if (!m || !size || size.rest !== "") break;
    out.set(Number(m[1]), size.value);
  }
  return out;
}

/** kstrtobool() (lib/kstrtox.c) as the kernel parses booleans: y/Y/t/T/1 and "on" true, n/N/f/F/0 and "off" false. */
export function kstrtobool(s: string): boolean | null {
  const c0 = s[0];
  const c1 = s[1];
  if (c0 === undefined) return null;
  if ("yYtT1".includes(c0)) return true;
  if ("nNfF0".includes(c0)) return false;
  if (c0 === "o" || c0 === "O") {
    if (c1 === "n" || c1 === "N") return true;
    if (c1 === "f" || c1 === "F") return false;
  }
  return null;
}
