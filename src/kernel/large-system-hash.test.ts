import { test } from "node:test";
import assert from "node:assert/strict";
import { hashEntriesCmdline, largeSystemHashBytes, largeSystemHashRetries } from "./large-system-hash.js";
import { MiB } from "./units.js";

test("dhash_entries= and ihash_entries=: C numbers, no suffix; the last one wins", () => {
  assert.equal(hashEntriesCmdline("dhash_entries=65536 ihash_entries=16384", "dhash_entries"), 65536);
  assert.equal(hashEntriesCmdline("dhash_entries=65536 ihash_entries=16384", "ihash_entries"), 16384);
  assert.equal(hashEntriesCmdline("dhash_entries=0x1000", "dhash_entries"), 4096);
  assert.equal(hashEntriesCmdline("dhash_entries=64k", "dhash_entries"), 64, "simple_strtoul() stops at the suffix");
  assert.equal(hashEntriesCmdline("quiet", "dhash_entries"), 0);
});

test("alloc_large_system_hash(): a given count rounded up to a power of two, cut to 1/16 of memory", () => {
  const nk = 440000; // about 1.7 GiB of pages
  // a64-probe53-uefi-2g-dhash-ihash: "Dentry cache hash table entries: 65536 (order: 7, 524288 bytes, linear)".
  assert.equal(largeSystemHashBytes(nk, 4096, 13, 65536), 512 * 1024);
  assert.equal(largeSystemHashBytes(nk, 4096, 14, 16384), 128 * 1024);
  assert.equal(largeSystemHashBytes(nk, 4096, 13, 100000), MiB, "131072 buckets");
  assert.equal(largeSystemHashBytes(nk, 4096, 13, 1), 8, "one bucket");
  // 2^40 buckets: no more than 1/16 of memory (about 107 MiB here, so 64 MiB as a power of two).
  assert.equal(largeSystemHashBytes(nk, 4096, 13, 2 ** 40), 64 * MiB);
  // Without a count: one bucket per 2^scale bytes, as before.
  assert.equal(largeSystemHashBytes(274176, 4096, 13), 2 * MiB);
});

test("a failed table allocation halves it while it is over a page", () => {
  assert.deepEqual(largeSystemHashRetries(64 * 1024, 4096), [65536, 32768, 16384, 8192, 4096]);
  assert.deepEqual(largeSystemHashRetries(4096, 4096), [4096]);
  assert.equal(largeSystemHashRetries(2 ** 31 * 8, 4096).length, 23, "bounded: 2^34 bytes down to a page");
});
