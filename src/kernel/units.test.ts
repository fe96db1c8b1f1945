import { test } from "node:test";
import assert from "node:assert/strict";
import { alignDown, alignUp, hex0x, hex0x10, hexPa, hexPad, parseSize, SizeParseError, TiB } from "./units.js";

test("alignment helpers are exact beyond 32 bits", () => {
  const a = 64 * TiB + 0x1234567;
  assert.equal(alignDown(a, 128 * 1024 * 1024), 64 * TiB);
  assert.equal(alignUp(a, 128 * 1024 * 1024), 64 * TiB + 128 * 1024 * 1024);
  assert.equal(alignUp(64 * TiB, 2 * 1024 * 1024), 64 * TiB);
});

test("kernel hex formats", () => {
  assert.equal(hex0x(0), "0x0");
  assert.equal(hex0x10(0x100000000), "0x100000000");
  assert.equal(hex0x10(0x1000), "0x00001000");
  assert.equal(hexPa(0x48000000), "0x0000000048000000");
  assert.equal(hexPad(0x20, 8), "00000020");
});

test("sizes and addresses parse with suffixes and any base", () => {
  assert.equal(parseSize("512M"), 512 * 1024 * 1024);
  assert.equal(parseSize("524416K"), 524416 * 1024);
  assert.equal(parseSize("0x100000000"), 0x100000000);
  assert.equal(parseSize("64T"), 64 * TiB);
  assert.throws(() => parseSize("12Q"), SizeParseError);
  assert.throws(() => parseSize("-5"), SizeParseError);
});
