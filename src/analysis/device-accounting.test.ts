/**
 * Every byte of every memory device is accounted, after every step of every
 * real-kernel trace (DIMMs, virtio-mem, nvdimm regions).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { deviceAccounting, deviceSum } from "./device-accounting.js";
import { applyStep, bootSystem } from "../scenario/runner.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { jsonFiles, ORACLE_TRACES, TRACES } from "../testing/paths.js";

const files = [...jsonFiles(TRACES), ...jsonFiles(ORACLE_TRACES)];

test(`device accounting adds up to each device's size at every step of ${files.length} traces`, () => {
  let devicesSeen = 0;
  for (const f of files) {
    const { scenario } = toRunnable(readFileSync(f, "utf8"), f);
    const sys = bootSystem(scenario.machine, { boot: "derive" });
    const check = (where: string) => {
      for (const a of deviceAccounting(sys)) {
        devicesSeen++;
        assert.equal(deviceSum(a), a.size, `${basename(f)} ${where}: ${a.kind} ${a.device}: ${JSON.stringify(a)}`);
        for (const [key, v] of Object.entries(a)) if (typeof v === "number") assert.ok(v >= 0, `${basename(f)} ${where}: ${a.device} ${key} < 0`);
      }
    };
    check("boot");
    scenario.steps.forEach((s, i) => {
      applyStep(sys, s);
      check(`step ${i}`);
    });
  }
  assert.ok(devicesSeen > 100, `only ${devicesSeen} device states checked`);
});

test("a DIMM the block size cannot take is all 'trimmed'; a memmap_on_memory block keeps 2 MiB of metadata", () => {
  const { scenario } = toRunnable(readFileSync(join(TRACES, "dimm-memmap-on-memory.json"), "utf8"), "t");
  const sys = bootSystem(scenario.machine, { boot: "derive" });
  applyStep(sys, scenario.steps[0]);
  const d1 = deviceAccounting(sys).find((a) => a.device === "d1")!;
  assert.equal(d1.metadata, 2 * 1024 * 1024);
  assert.equal(d1.systemRam, 126 * 1024 * 1024);
  const { scenario: un } = toRunnable(readFileSync(join(TRACES, "dimm-unaligned.json"), "utf8"), "t");
  const sys2 = bootSystem(un.machine, { boot: "derive" });
  applyStep(sys2, un.steps[0]);
  const u1 = deviceAccounting(sys2).find((a) => a.device === "d1")!;
  assert.equal(u1.trimmed, 64 * 1024 * 1024);
  assert.equal(u1.systemRam, 0);
});
