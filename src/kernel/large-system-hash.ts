/**
 * alloc_large_system_hash() (mm/mm_init.c; mm/page_alloc.c before 6.5):
 * how many buckets a boot-time hash table gets — from the command line
 * (dhash_entries=, ihash_entries=, …) or from nr_kernel_pages — and the
 * bytes it asks memblock for. The dentry and inode caches' tables are
 * the ones taken from memblock before the buddy allocator exists
 * (vfs_caches_init_early(), one node). Pure.
 */
import { simpleStrtoull } from "./cmdline.js";
import { alignUp, MiB } from "./units.js";

/** Bytes per bucket of the dentry (hlist_bl_head) and inode (hlist_head) tables. */
export const HASH_BUCKET = 8;

/**
 * The bucket count a table's __setup("NAME=") gives (simple_strtoul(): leading digits in C bases; the last one wins);
 * 0 when absent, which leaves the size to memory.
 */
export function hashEntriesCmdline(cmdline: string, name: "dhash_entries" | "ihash_entries"): number {
  let n = 0;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith(name + "=")) continue;
    const v = simpleStrtoull(w.slice(name.length + 1));
    n = v ? Number(v.value) : 0;
  }
  return n;
}

/**
 * The table's first size in bytes: `entries` buckets when given, else one per 2^scale bytes of nr_kernel_pages
 * (rounded up to 1 MiB first; one more scale step per 4x beyond 64 GiB; at least a page's worth); rounded up to a power
 * of two, then cut to 1/16 of memory (nr_all_pages, here the same as nr_kernel_pages) and 2^31 buckets. A failed
 * allocation halves it while it is over a page (largeSystemHashRetries()).
 */
export function largeSystemHashBytes(nrKernelPages: number, pageSize: number, scale: number, entries = 0): number {
  const pageShift = Math.log2(pageSize);
  let n = entries;
  if (!n) {
    n = alignUp(nrKernelPages, MiB / pageSize);
    // ADAPT_SCALE_BASE (64 GiB of pages), ADAPT_SCALE_SHIFT 2.
    for (let adapt = (64 * 1024 * MiB) / pageSize; adapt < n; adapt *= 4) scale++;
    n = scale > pageShift ? Math.floor(n / 2 ** (scale - pageShift)) : n * 2 ** (pageShift - scale);
    if (n * HASH_BUCKET < pageSize) n = pageSize / HASH_BUCKET;
  }
  n = 2 ** Math.ceil(Math.log2(n));
  const max = Math.min(Math.floor((nrKernelPages * pageSize) / 16 / HASH_BUCKET), 2 ** 31);
  if (n > max) n = max;
  return 2 ** Math.floor(Math.log2(Math.max(1, n))) * HASH_BUCKET;
}

/** The sizes alloc_large_system_hash() tries in turn from `bytes`: halving while the last failed size is over a page. */
export function largeSystemHashRetries(bytes: number, pageSize: number): number[] {
  const out = [bytes];
  for (let b = bytes; b > pageSize && b > HASH_BUCKET; ) out.push((b /= 2));
  return out;
}
