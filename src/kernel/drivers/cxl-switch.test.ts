/**
 * Regions through CXL switches: cxl_port_setup_targets()'s peer checks
 * (check_last_peer()) on the machine of test/oracle/cxl/
 * cxl-probe99-two-switches-x4 (two switches on the two root ports of one
 * host bridge, a device on each of their four downstream ports). The
 * recordings show the "cannot host" refusal and the orders that work; this
 * checks a peer mismatch, which no recording has.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../../testing/paths.js";
import { loadScenarioFile } from "../../scenario/load-file.js";
import { applyStep, bootSystem } from "../../scenario/runner.js";

const scn = loadScenarioFile(join(REPO_ROOT, "test/oracle/cxl/scenarios/cxl-probe99-two-switches-x4.json"));

function boot() {
  const sys = bootSystem(scn.machine, { boot: "derive", profile: "6.12" });
  const w = applyStep(sys, { op: "cxl", args: ["list", "-M"] }) as { stdout_json: { memdev: string; host: string }[] };
  // Memdevs by PCI device: 0f and 10 behind the switch on rp0 (0c:00.0), 13 and 14 behind the one on rp1.
  const at = (bus: string) => w.stdout_json.find((m) => m.host === `0000:${bus}:00.0`)!.memdev;
  return { sys, at };
}

const create = (sys: ReturnType<typeof bootSystem>, mems: string[]) =>
  applyStep(sys, { op: "cxl", args: ["create-region", "-m", "-t", "pmem", "-d", "decoder0.0", "-w", "4", ...mems] }) as { rc: number; stderr: string[] };

test("a 4-way region over two switches needs the host bridge's ports to alternate and each switch's ports every fourth position", () => {
  const { sys, at } = boot();
  const good = create(sys, [at("0f"), at("13"), at("10"), at("14")]);
  assert.deepEqual(good.stderr, ["cxl region: cmd_create_region: created 1 region"]);
  const dec = applyStep(sys, { op: "cxl", args: ["list", "-D", "-d", "decoder1.0"] }) as { stdout_json: { interleave_ways: number; interleave_granularity?: number }[] };
  assert.equal(dec.stdout_json[0].interleave_ways, 2);
});

test("a position on the same root port as the one two before but through another root port than its peer: mismatched peer, ENXIO at the last target", () => {
  const { sys, at } = boot();
  const before = sys.kernel.log.length;
  // Positions 0 and 1 take rp1 and rp0; position 2 comes through rp0 again, whose peer two before is on rp1.
  const r = create(sys, [at("13"), at("0f"), at("10"), at("14")]);
  assert.deepEqual(r.stderr, ["cxl region: create_region: region0: failed to set target3 to " + at("14"), "cxl region: cmd_create_region: created 0 regions"]);
  const log = sys.kernel.log.slice(before).map((l) => l.text);
  assert.ok(log.includes(`cxl region0: pci0000:0c:port1: ${at("10")}:decoder${endpointOf(sys, at("10"))}.0 pos 2 mismatched peer ${at("13")}:decoder${endpointOf(sys, at("13"))}.0`), log.join("\n"));
  // The region is gone and the devices' capacity is free again: the good order works now.
  assert.equal(create(sys, [at("0f"), at("13"), at("10"), at("14")]).rc, 0);
});

function endpointOf(sys: ReturnType<typeof bootSystem>, mem: string): number {
  const e = applyStep(sys, { op: "cxl", args: ["list", "-E", "-m", mem] }) as { stdout_json: { endpoint: string }[] };
  return Number(e.stdout_json[0].endpoint.replace("endpoint", ""));
}
