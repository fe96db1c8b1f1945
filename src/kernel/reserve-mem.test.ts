import { test } from "node:test";
import assert from "node:assert/strict";
import { reserveMemCmdline } from "./reserve-mem.js";
import { cmaPernumaCmdline, numaCmaCmdline } from "./dma-contiguous.js";
import { MiB } from "./units.js";

test("reserve_mem=SIZE:ALIGN:NAME: each valid one, in order; the alignment at least 64 bytes; names unique and short", () => {
  assert.deepEqual(reserveMemCmdline("reserve_mem=64M:4096:trace"), [{ size: 64 * MiB, align: 4096, name: "trace" }]);
  assert.deepEqual(reserveMemCmdline("reserve_mem=1M:0:a reserve_mem=2M:2M:b"), [
    { size: MiB, align: 64, name: "a" },
    { size: 2 * MiB, align: 2 * MiB, name: "b" },
  ]);
  assert.deepEqual(reserveMemCmdline("reserve_mem=1M:4k:a reserve_mem=1M:4k:a"), [{ size: MiB, align: 4096, name: "a" }], "a name once");
  for (const bad of ["reserve_mem=0:4k:a", "reserve_mem=1M:4k:", "reserve_mem=1M:4k", "reserve_mem=1M", "reserve_mem=x:4k:a", "reserve_mem=1M:4k:abcdefghijklmnop"]) {
    assert.deepEqual(reserveMemCmdline(bad), [], bad);
  }
  const nine = Array.from({ length: 9 }, (_, i) => `reserve_mem=1M:4k:n${i}`).join(" ");
  assert.equal(reserveMemCmdline(nine).length, 8, "at most eight");
});

test("cma_pernuma=: memparse, the last one wins; absent is null", () => {
  assert.equal(cmaPernumaCmdline("cma_pernuma=32M"), 32 * MiB);
  assert.equal(cmaPernumaCmdline("cma_pernuma=32M cma_pernuma=16M"), 16 * MiB);
  assert.equal(cmaPernumaCmdline("cma_pernuma=x"), 0);
  assert.equal(cmaPernumaCmdline("cma=64M"), null);
});

test("numa_cma=NODE:SIZE,…: pairs up to the first bad one; absent is null", () => {
  assert.deepEqual(numaCmaCmdline("numa_cma=1:16M"), new Map([[1, 16 * MiB]]));
  assert.deepEqual(numaCmaCmdline("numa_cma=0:32M,1:16M"), new Map([[0, 32 * MiB], [1, 16 * MiB]]));
  assert.deepEqual(numaCmaCmdline("numa_cma=0:32M,x"), new Map([[0, 32 * MiB]]));
  assert.equal(numaCmaCmdline("cma_pernuma=16M"), null);
});
