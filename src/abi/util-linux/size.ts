/**
 * util-linux's size strings (lib/strutils.c): size_to_human_string() as
 * lsmem and chmem print sizes, and ul_parse_size() as chmem reads them.
 * Pure: no node:* imports.
 */
import { U64_MAX, cIsDigit, cStrtoumax, type Parsed } from "./cnum.js";

const U64 = (x: bigint) => BigInt.asUintN(64, x);

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


/** ul_parse_size() (strtosize()) in the C locale. */
export function ulParseSize(str: string): Parsed {
  const fail = (errno: string): Parsed => ({ ok: false, errno });
  if (!str) return fail("EINVAL");
  let p = 0;
  while (str[p] === " " || (str[p] >= "\t" && str[p] <= "\r")) p++;
  if (str[p] === "-") return fail("EINVAL");
  const r = cStrtoumax(str, 0);
  if (r.end === 0 || (r.erange && (r.value === U64_MAX || r.value === 0n))) return fail(r.erange ? "ERANGE" : "EINVAL");
  let x = r.value;
  if (r.end >= str.length) return { ok: true, value: x };
  p = r.end;
  let base = 1024n;
  let frac = 0n;
  let fracZeros = 0;
  const at = (i: number) => (i < str.length ? str[i] : "");
  for (;;) {
    if (at(p + 1) === "i" && (at(p + 2) === "B" || at(p + 2) === "b") && at(p + 3) === "") base = 1024n;
    else if ((at(p + 1) === "B" || at(p + 1) === "b") && at(p + 2) === "") base = 1000n;
    else if (at(p + 1) !== "") {
      if (frac === 0n && at(p) === ".") {
        let f = p + 1;
        while (at(f) === "0") {
          fracZeros++;
          f++;
        }
        let end: number;
        if (cIsDigit(at(f))) {
          const fr = cStrtoumax(str.slice(f), 0);
          if (fr.end === 0 || (fr.erange && (fr.value === U64_MAX || fr.value === 0n))) return fail(fr.erange ? "ERANGE" : "EINVAL");
          frac = fr.value;
          end = f + fr.end;
        } else end = f;
        if (end >= str.length) return fail("EINVAL");
        p = end;
        continue;
      }
      return fail("EINVAL");
    }
    break;
  }
  let pwr = "KMGTPEZY".indexOf(at(p)) + 1;
  if (pwr === 0 || at(p) === "") pwr = "kmgtpezy".indexOf(at(p)) + 1;
  if (pwr === 0 || at(p) === "") return fail("EINVAL");
  for (let i = 0; i < pwr; i++) {
    if (U64_MAX / base < x) return fail("ERANGE");
    x *= base;
  }
  if (frac && pwr) {
    let fracDiv = 10n,
      fracPoz = 1n,
      fracBase = 1n;
    for (let i = 0; i < pwr; i++) if (U64_MAX / base >= fracBase) fracBase *= base;
    while (fracDiv < frac) {
      if (fracDiv <= U64_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    for (let i = 0; i < fracZeros; i++) {
      if (fracDiv <= U64_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    do {
      const seg = frac % 10n;
      const segDiv = fracDiv / fracPoz;
      frac /= 10n;
      fracPoz *= 10n;
      if (seg && segDiv / seg) x = U64(x + fracBase / (segDiv / seg));
    } while (frac);
  }
  return { ok: true, value: x };
}
