/**
 * lib/cmdline.c: the kernel's parsers for command-line values. memparse()
 * is what `mem=`, `memmap=`, `crashkernel=`, `kernelcore=` and `movablecore=`
 * read their sizes with; its one home is here. Pure.
 */

/** memparse(): an integer in C base notation (0x…, 0…, decimal) with an optional K/M/G/T/P/E suffix. */
export function memparse(s: string): { value: number; rest: string } | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return null;
  const digits = m[1];
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits[0] === "0") v = BigInt("0o" + digits.slice(1));
  else v = BigInt(digits);
  let rest = s.slice(digits.length);
  const shift: Record<string, bigint> = { k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n };
  const sh = shift[rest[0]?.toLowerCase() ?? ""];
  if (sh !== undefined) {
    v <<= sh;
    rest = rest.slice(1);
  }
  return { value: Number(v), rest };
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
