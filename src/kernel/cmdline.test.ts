import { test } from "node:test";
import assert from "node:assert/strict";
import { kstrtoull, memparse, nodeSizes, simpleStrtoull } from "./cmdline.js";
import { parseCoreSize } from "./zone-movable.js";
import { parseCrashkernel } from "./crash-reserve.js";
import { paramsFromCmdline } from "./boot.js";
import { MiB } from "./units.js";

test("memparse: C bases and binary suffixes", () => {
  assert.deepEqual(memparse("64M!0x3c000000"), { value: 64 * MiB, rest: "!0x3c000000" });
  assert.deepEqual(memparse("0x3c000000"), { value: 0x3c000000, rest: "" });
  assert.deepEqual(memparse("010k"), { value: 8 * 1024, rest: "" });
  assert.equal(memparse("!"), null);
});

test("every size on the command line goes through memparse(): C bases and all suffixes, nothing after them", () => {
  assert.deepEqual(parseCoreSize("0x20000000"), { bytes: 512 * MiB });
  assert.equal(parseCoreSize("512Mx"), null);
  assert.equal(parseCrashkernel("crashkernel=0x10000000", 0, 0)?.size, 256 * MiB);
  assert.equal(parseCrashkernel("crashkernel=256Mx", 0, 0), null);
  assert.equal(paramsFromCmdline(["mem=0x30000000"]).memLimit, 768 * MiB);
  assert.equal(paramsFromCmdline(["mem=1T"]).memLimit, 1024 * 1024 * MiB);
  assert.equal(paramsFromCmdline(["mem=768Mx"]).memLimit, null);
});

test("simple_strtoull(): C bases, the digits it can read, 64-bit wraparound; no digit is null", () => {
  assert.deepEqual(simpleStrtoull("128M"), { value: 128n, rest: "M" });
  assert.deepEqual(simpleStrtoull("0x1fz"), { value: 31n, rest: "z" });
  assert.deepEqual(simpleStrtoull("017"), { value: 15n, rest: "" });
  assert.deepEqual(simpleStrtoull("0xg"), { value: 0n, rest: "xg" }, "0x without a hex digit: the 0 alone");
  assert.deepEqual(simpleStrtoull("18446744073709551617"), { value: 1n, rest: "" });
  assert.equal(simpleStrtoull("+1"), null);
  assert.equal(simpleStrtoull("x"), null);
});

test("kstrtoull(): the whole string, an optional +, one trailing newline; EINVAL otherwise, ERANGE past 64 bits", () => {
  assert.equal(kstrtoull("0x100201000\n"), 0x100201000n);
  assert.equal(kstrtoull("+42"), 42n);
  assert.equal(kstrtoull("010"), 8n);
  assert.equal(kstrtoull("18446744073709551615"), 2n ** 64n - 1n);
  assert.equal(kstrtoull("18446744073709551616"), "ERANGE");
  for (const bad of ["", "\n", "12 ", "12\n\n", "1G", "-1", "0x", "page"]) assert.equal(kstrtoull(bad), "EINVAL", JSON.stringify(bad));
});

test("memparse(): the suffix shifts an unsigned 64-bit value (16E wraps to 0); node:size lists stop at the first bad pair", () => {
  assert.equal(memparse("16E")?.value, 0);
  assert.equal(memparse("1E")?.value, 2 ** 60);
  assert.deepEqual(nodeSizes("0:1G,1:512M"), new Map([[0, 2 ** 30], [1, 512 * MiB]]));
  assert.deepEqual(nodeSizes("0:1G,1:x,2:1G"), new Map([[0, 2 ** 30]]));
  assert.deepEqual(nodeSizes("a:1G"), new Map());
});
