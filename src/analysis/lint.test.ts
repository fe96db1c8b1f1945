/** lint: layout problems of machines booted by the model. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { toRunnable } from "../scenario/resolve-text.js";
import { applyStep, bootSystem, type RunnableScenario } from "../scenario/runner.js";
import { SHARED } from "../testing/paths.js";
import { lint, type LintContext } from "./lint.js";

function scenario(text: string, file = "test.json"): RunnableScenario {
  return toRunnable(text, file).scenario;
}

function boot(scn: RunnableScenario, steps = 0) {
  const sys = bootSystem(scn.machine, { boot: "derive" });
  for (let i = 0; i < steps; i++) applyStep(sys, scn.steps[i]);
  const ctx: LintContext = {
    deviceMemory: sys.layout.deviceMemory,
    pmem: sys.layout.legacyPmem.map((p) => ({ name: "Persistent Memory (legacy)", start: p.start, end: p.end })),
  };
  return { sys, ctx };
}

const SCENARIOS = join(SHARED, "conformance", "scenarios");

test("a plain 1 GiB guest has only notes: memory0 spans two zones, memory7 has the BIOS hole", () => {
  const scn = scenario(JSON.stringify({ name: "plain", machine: { type: "pc", memory: "1G" }, steps: [] }));
  const { sys, ctx } = boot(scn);
  const f = lint(sys.kernel, ctx);
  assert.deepEqual(f.filter((x) => x.severity !== "info"), []);
  const never = f.filter((x) => x.kind === "never-offline");
  assert.deepEqual(never.map((x) => x.range), ["0x0-0x7ffffff", "0x38000000-0x3fffffff"]);
  assert.match(never[0].message, /several zones/);
  assert.match(never[1].message, /memory holes/);
  for (const x of f) assert.ok(x.fix.length > 0);
});

test("legacy PMEM inside the last boot block: RAM and PMEM share a section and a block", { skip: !existsSync(join(SCENARIOS, "legacy-pmem-subsection.json")) }, () => {
  const file = join(SCENARIOS, "legacy-pmem-subsection.json");
  const { sys, ctx } = boot(scenario(readFileSync(file, "utf8"), file));
  const f = lint(sys.kernel, ctx);
  const share = f.find((x) => x.kind === "ram-pmem-sharing");
  assert.ok(share, JSON.stringify(f, null, 1));
  assert.equal(share.severity, "warning");
  assert.equal(share.range, "0x38000000-0x3fffffff");
  assert.match(share.message, /section/);
  assert.match(share.fix, /0x40000000/);
  const waste = f.find((x) => x.kind === "alignment-waste" && /kmem/.test(x.message));
  assert.equal(waste?.bytes, 64 * 2 ** 20);
});

test("DIMMs the block size cannot take are errors; aligned ones are not", () => {
  const scn = scenario(
    JSON.stringify({
      name: "dimms",
      machine: { type: "pc", memory: "1G", maxmem: "8G", slots: 4 },
      steps: [
        { op: "plug-dimm", id: "ok", size: "1G", addr: "0x100000000" },
        { op: "plug-dimm", id: "small", size: "64M", addr: "0x140000000" },
        { op: "plug-dimm", id: "shifted", size: "128M", addr: "0x148000000" },
        { op: "plug-dimm", id: "odd", size: "128M", addr: "0x151000000" },
      ],
    }),
  );
  const { sys, ctx } = boot(scn);
  const dimms = scn.steps.map((s, i) => ({ step: i, id: String(s.id), size: Number.parseInt(String(s.size)) * (String(s.size).endsWith("G") ? 2 ** 30 : 2 ** 20), addr: Number(s.addr) }));
  const f = lint(sys.kernel, { ...ctx, dimms });
  const errs = f.filter((x) => x.severity === "error");
  assert.deepEqual(errs.map((x) => x.message.split(" ")[1]), ["small", "odd"]);
  assert.match(errs[0].message, /size 64 MiB is not a multiple of 128 MiB/);
  assert.match(errs[1].message, /address 0x151000000 is not 128 MiB-aligned/);
});

test("a hotplug area that is not a multiple of the block size wastes its tail", () => {
  const scn = scenario(JSON.stringify({ name: "area", machine: { type: "pc", memory: "1G", maxmem: "1G", slots: 0 }, steps: [] }));
  const { sys } = boot(scn);
  const f = lint(sys.kernel, { deviceMemory: { base: 0x100000000, size: 1024 * 2 ** 20 + 64 * 2 ** 20 } });
  const w = f.find((x) => x.kind === "alignment-waste");
  assert.equal(w?.bytes, 64 * 2 ** 20);
  assert.equal(w?.severity, "warning");
});

test("hot-added memory that the kernel pinned can never go offline (a warning, not a note)", () => {
  const scn = scenario(
    JSON.stringify({
      name: "pinned",
      machine: { type: "pc", memory: "1G", maxmem: "8G", slots: 4, cmdline: ["memhp_default_state=offline"] },
      steps: [
        { op: "plug-dimm", id: "d1", size: "1G", addr: "0x100000000" },
        { op: "write", path: "/sys/devices/system/memory/memory32/state", value: "online_kernel" },
      ],
    }),
  );
  const { sys, ctx } = boot(scn, 2);
  const f = lint(sys.kernel, ctx);
  const w = f.find((x) => x.kind === "never-offline" && x.severity === "warning");
  assert.ok(w, JSON.stringify(f, null, 1));
  assert.match(w.message, /memory32/);
  assert.match(w.fix, /online_movable/);
});
