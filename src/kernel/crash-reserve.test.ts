import { test } from "node:test";
import assert from "node:assert/strict";
import { crashkernelSize } from "./crash-reserve.js";

test("crashkernel=SIZE: the plain form, page-aligned; the last one wins; other forms reserve nothing here", () => {
  assert.equal(crashkernelSize("console=ttyS0 crashkernel=128M", 4096), 128 * 2 ** 20);
  assert.equal(crashkernelSize("crashkernel=1G", 4096), 2 ** 30);
  assert.equal(crashkernelSize("crashkernel=100000", 4096), 102400);
  assert.equal(crashkernelSize("crashkernel=64M crashkernel=256M", 4096), 256 * 2 ** 20);
  assert.equal(crashkernelSize("crashkernel=256M,high", 4096), null);
  assert.equal(crashkernelSize("crashkernel=512M-2G:64M,2G-:128M", 4096), null);
  assert.equal(crashkernelSize("quiet", 4096), null);
  assert.equal(crashkernelSize("crashkernel=0", 4096), null);
});
