/**
 * explain's dax-kmem verdict (what `daxctl reconfigure-device -m system-ram`
 * would do with a dax device) against the model doing it (device_dax
 * unbound, kmem given the device's id, as daxctl does): after every step
 * of every recorded trace with a devdax namespace (x86 and arm64), for every
 * dax device not yet System RAM, the prediction and a copy of the state
 * reconfigured must agree on success, and on failure on the errno the driver
 * core logs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { daxDriverIdStore, daxDriverUnbind, daxState } from "../kernel/drivers/dax.js";
import { ERRNO_NUMBER } from "../kernel/errno.js";
import type { Kernel } from "../kernel/kernel.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { applyStep, bootSystem, type RunnableScenario } from "../scenario/runner.js";
import { traceProfile } from "../scenario/check.js";
import { jsonFiles, ORACLE_TRACES, REPO_ROOT, TRACES } from "../testing/paths.js";
import { explainRange, predictKmem } from "./explain-range.js";

const FILES = [...jsonFiles(TRACES), ...jsonFiles(ORACLE_TRACES), ...jsonFiles(join(REPO_ROOT, "test", "oracle", "arm64", "traces"))].filter((f) => readFileSync(f, "utf8").includes('"devdax"'));

/** A recording's scenario and the kernel it was recorded on. */
function load(file: string): { scn: RunnableScenario; profile: ReturnType<typeof traceProfile> } {
  const r = toRunnable(readFileSync(file, "utf8"), file);
  return { scn: r.scenario, profile: traceProfile(r.trace!.raw as Record<string, unknown>, file) };
}

function stateAt({ scn, profile }: ReturnType<typeof load>, n: number): Kernel {
  const sys = bootSystem(scn.machine, { boot: "derive", profile });
  for (let i = 0; i < n; i++) applyStep(sys, scn.steps[i]);
  return sys.kernel;
}

test("there are recordings with devdax namespaces to check kmem predictions on (x86 and arm64)", () => {
  assert.ok(FILES.length >= 50, `${FILES.length}`);
  assert.ok(FILES.some((f) => f.includes("/arm64/")));
});

test("explain's dax-kmem verdicts agree with kmem on the model, after every step of every devdax recording", () => {
  let checked = 0;
  const failures = new Set<string>();
  for (const file of FILES) {
    const rec = load(file);
    for (let n = 0; n <= rec.scn.steps.length; n++) {
      const k = stateAt(rec, n);
      for (const d of daxState(k).devices) {
        if (!d.registered || d.kmem) continue;
        const v = predictKmem(k, d);
        const copy = stateAt(rec, n);
        const logged = copy.log.length;
        // What daxctl asks of the kernel (its own policy checks left out): unbind device_dax, give kmem the id.
        if (d.driver) daxDriverUnbind(copy, d.driver, d.name);
        daxDriverIdStore(copy, "kmem", "new_id", d.name);
        const after = daxState(copy).devices.find((x) => x.name === d.name);
        const where = `${basename(file)} after step ${n}, ${d.name}`;
        assert.equal(after?.kmem !== null && after?.kmem !== undefined, v.ok, `${where}: explain says ${v.ok ? "ok" : `${v.errno} (${v.reason})`}`);
        if (!v.ok) {
          const lines = copy.log.slice(logged).map((l) => l.text);
          assert.ok(lines.some((l) => l.includes(`failed with error -${ERRNO_NUMBER[v.errno!]}`)), `${where}: ${v.errno}, log ${JSON.stringify(lines)}`);
          failures.add(v.reason.split(":")[0]);
        }
        checked++;
      }
    }
  }
  assert.ok(checked >= 50, `${checked} predictions checked`);
  // Both ways of failing occur in the recordings: an impossible node (arm64 NUMA under ACPI) and no whole block.
  assert.ok([...failures].some((r) => r.includes("not a possible node")), [...failures].join(" | "));
});

test("explain on an arm64 NVDIMM of NUMA node 1 says why kmem fails (target node 1 is not possible under ACPI), as the real kernel did", () => {
  const file = join(REPO_ROOT, "test", "oracle", "arm64", "traces", "a64-probe37-16k-uefi-numa2-nv-node1.sid.json");
  const text = readFileSync(file, "utf8");
  const k = stateAt(load(file), 1);
  const e = explainRange(k, 0xc0000000, 512 * 2 ** 20);
  const v = e.verdicts.find((x) => x.action === "dax-kmem");
  assert.ok(v, "a dax-kmem verdict for the dax device in the range");
  assert.equal(v.ok, false);
  assert.equal(v.errno, "EINVAL");
  assert.match(v.reason, /target node 1 is not a possible node/);
  // What the real kernel logged when daxctl tried it (step 2 of the recording).
  const real = JSON.parse(text) as { steps: { dmesg: string[] }[] };
  assert.ok(real.steps[1].dmesg.includes("kmem dax0.0: probe with driver kmem failed with error -22"));
});

test("explain on an arm64 NVDIMM of node 0 predicts the blocks kmem adds, as many as the real kernel onlined", () => {
  const file = join(REPO_ROOT, "test", "oracle", "arm64", "traces", "a64-16k-probe-nv-devdax.sid.json");
  const text = readFileSync(file, "utf8");
  const k = stateAt(load(file), 1);
  const d = daxState(k).devices.find((x) => x.name === "dax0.0")!;
  const v = predictKmem(k, d);
  assert.equal(v.ok, true, v.reason);
  const real = JSON.parse(text) as { steps: { result: { stdout_json?: { total_memblocks: number }[] } }[] };
  const total = real.steps[1].result.stdout_json![0].total_memblocks;
  assert.match(v.result!, new RegExp(`: ${total} block\\(s\\) memory\\d+\\.\\.memory\\d+`));
});
