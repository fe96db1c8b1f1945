import { test } from "node:test";
import assert from "node:assert/strict";
import { LOG_BUF_LEN, logBufAllocations, logBufLen } from "./printk.js";
import { MiB } from "./units.js";

test("log_buf_len=: memparse, rounded up to a power of two, only when larger than the static 128 KiB", () => {
  assert.equal(logBufLen("log_buf_len=4M", 1), 4 * MiB);
  assert.equal(logBufLen("log_buf_len=3M", 1), 4 * MiB);
  assert.equal(logBufLen("log_buf_len=0x100000", 1), MiB);
  assert.equal(logBufLen("log_buf_len=64k", 1), 0, "smaller than the static buffer: kept");
  assert.equal(logBufLen("log_buf_len=", 1), 0);
  assert.equal(logBufLen("log_buf_len=abc", 1), 0);
  assert.equal(logBufLen("log_buf_len=1M log_buf_len=2M", 1), 2 * MiB, "the last one wins");
  assert.equal(logBufLen("log_buf_len=16G", 1), 2 ** 31, "cut to 2 GiB");
});

test("many possible CPUs enlarge the log buffer by 4 KiB each past the first, once that is over half the static one", () => {
  assert.equal(logBufLen("", 4), 0);
  assert.equal(logBufLen("", 17), 0, "16 x 4 KiB = 64 KiB: not over half");
  assert.equal(logBufLen("", 18), 256 * 1024, "68 KiB + 128 KiB, rounded up");
  assert.equal(logBufLen("log_buf_len=1M", 64), MiB, "an explicit size wins");
  assert.equal(LOG_BUF_LEN, 128 * 1024);
});

test("setup_log_buf(): text, descriptors (24 bytes per 32 of text) and records (88 bytes, 112 on 7.2)", () => {
  // a64-probe53-uefi-2g-log-buf-len-4m: "printk: log buffer data + meta data: 4194304 + 17825792 = 22020096 bytes" on 7.2.
  assert.deepEqual(logBufAllocations(4 * MiB, 88), [4 * MiB, 3 * MiB, 11 * MiB]);
  const [, descs, infos] = logBufAllocations(4 * MiB, 112);
  assert.equal(descs + infos, 17825792);
  assert.deepEqual(logBufAllocations(0, 88), []);
});
