/**
 * lib/string_helpers.c: string_get_size(), the kernel's human-readable sizes
 * ("94.0 MiB", "122 MiB", "1.50 GiB") in log lines. Three significant
 * figures: the integer part after dividing down by 1024 (or 1000), then as
 * many decimals as it leaves room for, from the remainder cut to thousandths
 * and rounded at the last printed digit (which may carry into the integer).
 */

const UNITS: Record<2 | 10, string[]> = {
  2: ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
  10: ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
};
const ROUNDING = [500, 50, 5];
const U32 = 2 ** 32;

/** string_get_size(size, blkSize, STRING_UNITS_2 or _10). Sizes are exact up to 2^53. */
export function stringGetSize(size: number, blkSize = 1, units: 2 | 10 = 2): string {
  const divisor = units === 2 ? 1024 : 1000;
  let i = 0;
  let tmp = "";
  if (blkSize === 0) size = 0;
  if (size !== 0) {
    // Both factors are first brought under 32 bits, dropping their remainders (the kernel keeps its u64 product from overflowing).
    while (blkSize >= U32) {
      blkSize = Math.floor(blkSize / divisor);
      i++;
    }
    while (size >= U32) {
      size = Math.floor(size / divisor);
      i++;
    }
    size *= blkSize;
    let remainder = 0;
    while (size >= divisor) {
      remainder = size % divisor;
      size = Math.floor(size / divisor);
      i++;
    }
    let j = 0;
    for (let cap = size; cap * 10 < 1000; j++) cap *= 10;
    if (units === 2) remainder = Math.floor((remainder * 1000) / 1024);
    remainder += ROUNDING[j]!;
    if (remainder >= 1000) {
      remainder -= 1000;
      size += 1;
    }
    if (j) tmp = "." + String(remainder).padStart(3, "0").slice(0, j);
  }
  const unit = UNITS[units][i] ?? "UNK";
  return `${size}${tmp} ${unit}`;
}
