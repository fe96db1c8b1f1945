/**
 * kernfs directory order (fs/kernfs/dir.c): entries sorted by the hash of
 * their name, which is the order readdir(3) gives a sysfs directory and so
 * the order ndctl, daxctl and libcxl find devices in.
 */
const M64 = (1n << 64n) - 1n;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;

/** kernfs_name_hash(name, NULL): the key kernfs sorts directory entries by. */
export function kernfsNameHash(name: string): number {
  let h = 0n;
  for (const c of new TextEncoder().encode(name)) {
    const cb = BigInt(c);
    h = ((h + (cb << 4n) + (cb >> 4n)) * 11n) & M64;
  }
  // end_name_hash() = hash_long(hash, 32) on 64-bit.
  let x = Number(((h * GOLDEN_RATIO_64) & M64) >> 32n);
  x = x & 0x7fffffff;
  if (x < 2) x += 2;
  if (x >= 0x7fffffff) x = 0x7ffffffe;
  return x;
}

/** readdir(3) order of a sysfs directory: by kernfs hash, then name. */
export function readdirOrder(names: string[]): string[] {
  return [...names].sort((a, b) => kernfsNameHash(a) - kernfsNameHash(b) || (a < b ? -1 : a > b ? 1 : 0));
}
