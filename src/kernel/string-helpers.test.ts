import { test } from "node:test";
import assert from "node:assert/strict";
import { stringGetSize } from "./string-helpers.js";

const MiB = 2 ** 20;

test("string_get_size: three significant figures, rounded, in binary units", () => {
  // dax kmem on 7.2: "DAX region truncated by 94.0 MiB" (test/oracle/arm64/traces/a64-probe-nv-2g-devdax.sid),
  // "122 MiB" and "118 MiB" (../shared/conformance/kernels/sid), "62.0 MiB" (ndctl's daxctl-devices.sh).
  assert.equal(stringGetSize(94 * MiB), "94.0 MiB");
  assert.equal(stringGetSize(122 * MiB), "122 MiB");
  assert.equal(stringGetSize(62 * MiB), "62.0 MiB");
  assert.equal(stringGetSize(1.5 * 2 ** 30), "1.50 GiB");
  assert.equal(stringGetSize(2 * MiB), "2.00 MiB");
  assert.equal(stringGetSize(0), "0 B");
  assert.equal(stringGetSize(1023), "1023 B");
  // The remainder is cut to three decimals, then rounded at the last printed digit, carrying into the integer part.
  assert.equal(stringGetSize(2047), "2.00 KiB");
  assert.equal(stringGetSize(1000 * 1024 + 1023), "1001 KiB");
  assert.equal(stringGetSize(10 * MiB - 1), "10.00 MiB");
  assert.equal(stringGetSize(10 * MiB + 1000 * 1024), "11.0 MiB");
  assert.equal(stringGetSize(1234567, 1, 10), "1.23 MB");
  assert.equal(stringGetSize(2 ** 53), "8.00 PiB");
});
