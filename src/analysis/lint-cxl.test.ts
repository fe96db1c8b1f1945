/**
 * Issue 9 acceptance: `memhp lint` on a 65 GiB bare-metal q35 host with a
 * 4 GiB volatile expander reports the bytes the 2 GiB block size loses,
 * with the rule and a fix; CXL byte accounting adds up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lint } from "./lint.js";
import { deviceAccounting, deviceSum } from "./device-accounting.js";
import { bootSystem, applyStep } from "../scenario/runner.js";
import { findExample } from "../scenario/examples.js";
import { scenarioFromValue } from "../scenario/load.js";

function example(name: string) {
  const ex = findExample(name);
  assert.ok(ex, name);
  return scenarioFromValue(ex, `example:${name}`);
}

test("lint: a 4 GiB volatile expander on a 2 GiB-block host loses 2 GiB, with the kmem rule and a fix", () => {
  const scn = example("cxl-2g-blocks");
  const sys = bootSystem(scn.machine, { boot: "derive" });
  assert.equal(sys.kernel.blockSize, 2 * 2 ** 30);
  const fs = lint(sys.kernel, { cxl: sys.layout.cxl });
  const f = fs.find((x) => x.kind === "alignment-waste" && /cxl-vmem0/.test(x.message));
  assert.ok(f, JSON.stringify(fs.map((x) => x.message)));
  assert.equal(f.bytes, 2 * 2 ** 30);
  assert.match(f.message, /dev_dax_kmem_probe/);
  assert.match(f.fix, /768 MiB window in front/);
  assert.ok(fs.some((x) => /holds part of CXL Window 0/.test(x.message)));
});

test("CXL accounting: every byte of a device is somewhere, at every step", () => {
  const scn = example("cxl-pmem-2g-blocks");
  const sys = bootSystem(scn.machine, { boot: "derive" });
  const check = () => {
    const cxl = deviceAccounting(sys).filter((a) => a.kind === "cxl-memdev");
    assert.equal(cxl.length, 1);
    for (const a of cxl) assert.equal(deviceSum(a), a.size, JSON.stringify(a));
    return cxl[0];
  };
  assert.equal(check().notPlugged, 4 * 2 ** 30);
  for (const s of scn.steps) {
    applyStep(sys, s.raw);
    check();
  }
  const a = check();
  assert.equal(a.systemRam, 2 * 2 ** 30, JSON.stringify(a));
});
