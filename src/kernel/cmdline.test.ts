import { test } from "node:test";
import assert from "node:assert/strict";
import { memparse } from "./cmdline.js";
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
