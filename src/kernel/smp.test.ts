import { test } from "node:test";
import assert from "node:assert/strict";
import { nrCpuIds } from "./smp.js";

test("nr_cpus=: caps the possible CPUs; 0, a larger count or garbage change nothing", () => {
  assert.equal(nrCpuIds(4, "nr_cpus=1"), 1);
  assert.equal(nrCpuIds(4, "quiet nr_cpus=2"), 2);
  assert.equal(nrCpuIds(4, "nr_cpus=8"), 4);
  assert.equal(nrCpuIds(4, "nr_cpus=0"), 4);
  assert.equal(nrCpuIds(4, "nr_cpus=x"), 4);
  assert.equal(nrCpuIds(4, "nr_cpus=0x2"), 2);
  assert.equal(nrCpuIds(512, "nr_cpus=1"), 1);
});
