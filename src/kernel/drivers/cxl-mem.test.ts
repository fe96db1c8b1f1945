/**
 * cxl_mem unbound from a memdev and bound again (test/oracle/cxl/cxl-probe89-memdev-unbind
 * shows the events); what memhp does not model says so instead of guessing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB } from "../units.js";
import { applyStep, bootSystem } from "../../scenario/runner.js";
import { CXL_ONE_PMEM_MACHINE } from "../../testing/cxl-specs.js";

const spec = CXL_ONE_PMEM_MACHINE;

test("unbinding cxl_mem: the endpoint goes, the memdev is listed disabled, binding brings endpoint2 back; a second unbind is ENODEV", () => {
  const sys = bootSystem(spec, { boot: "derive" });
  const w = (path: string, value: string) => applyStep(sys, { op: "write", path, value }) as { ok?: boolean; errno?: string };
  assert.equal(w("/sys/bus/cxl/drivers/cxl_mem/unbind", "mem0").ok, true);
  assert.equal(w("/sys/bus/cxl/drivers/cxl_mem/unbind", "mem0").errno, "ENODEV");
  assert.equal(w("/sys/bus/cxl/drivers/cxl_mem/unbind", "mem7").errno, "ENODEV");
  const list = applyStep(sys, { op: "cxl", args: ["list", "-Mi"] }) as { stdout_json: unknown };
  assert.deepEqual(list.stdout_json, [{ memdev: "mem0", pmem_size: GiB, serial: 1, host: "0000:0d:00.0", state: "disabled" }]);
  assert.equal(w("/sys/bus/cxl/drivers/cxl_mem/bind", "mem0").ok, true);
  const eps = applyStep(sys, { op: "cxl", args: ["list", "-E"] }) as { stdout_json: unknown };
  assert.deepEqual(eps.stdout_json, [{ endpoint: "endpoint2", host: "mem0", depth: 2 }]);
});

test("unbinding cxl_mem from a memdev in a region takes the region down: disabled, decode reset, the mapping gone; bound again, the endpoint has its decoders back (the 2-way case, where decoder2.0 reads back interleave_ways 2: test/oracle/cxl/cxl-probe90-unbind-in-region)", () => {
  const sys = bootSystem(spec, { boot: "derive" });
  const c = applyStep(sys, { op: "cxl", args: ["create-region", "-m", "-d", "decoder0.0", "-s", "256M", "mem0"] }) as { rc: number };
  assert.equal(c.rc, 0);
  const r = applyStep(sys, { op: "write", path: "/sys/bus/cxl/drivers/cxl_mem/unbind", value: "mem0" }) as { ok?: boolean };
  assert.equal(r.ok, true);
  const list = applyStep(sys, { op: "cxl", args: ["list", "-Ri", "-T"] }) as { stdout_json: unknown; stderr: string[] };
  assert.deepEqual(list.stdout_json, [{ region: "region0", resource: 0x110000000, size: 256 * 1024 * 1024, interleave_ways: 1, interleave_granularity: 256, decode_state: "reset", state: "disabled", mappings: [] }]);
  assert.deepEqual(list.stderr, ["libcxl: cxl_mappings_init: region0 target0:  lookup failure"]);
  assert.equal((applyStep(sys, { op: "write", path: "/sys/bus/cxl/drivers/cxl_mem/bind", value: "mem0" }) as { ok?: boolean }).ok, true);
  const dec = applyStep(sys, { op: "cxl", args: ["list", "-D", "-d", "decoder2.0", "-i"] }) as { stdout_json: unknown };
  assert.deepEqual(dec.stdout_json, [{ decoder: "decoder2.0", interleave_ways: 1, state: "disabled" }]);
});

test("unbinding cxl_mem under a ram region whose memory is online is reported as not modelled (the recorded guests died)", () => {
  const spec72: typeof spec = { ...spec, cmdline: ["memhp_default_state=online_movable"], cxl: { ...spec.cxl!, type3: [{ id: "vmem0", bus: "rp0", size: 512 * 1024 * 1024, volatile: true, sn: 1 }] } };
  const sys = bootSystem(spec72, { boot: "derive" });
  const D = "/sys/bus/cxl/devices";
  for (const [path, value] of [
    [`${D}/decoder0.0/create_ram_region`, "region0"],
    [`${D}/region0/interleave_granularity`, "256"],
    [`${D}/region0/interleave_ways`, "1"],
    [`${D}/region0/size`, "0x20000000"],
    [`${D}/decoder2.0/mode`, "ram"],
    [`${D}/decoder2.0/dpa_size`, "0x20000000"],
    [`${D}/region0/target0`, "decoder2.0"],
    [`${D}/region0/commit`, "1"],
    ["/sys/bus/cxl/drivers/cxl_region/bind", "region0"],
  ]) assert.equal((applyStep(sys, { op: "write", path, value }) as { ok?: boolean }).ok, true, path);
  const r = applyStep(sys, { op: "write", path: "/sys/bus/cxl/drivers/cxl_mem/unbind", value: "mem0" }) as { unsupported?: boolean; error?: string };
  assert.equal(r.unsupported, true);
  assert.match(r.error ?? "", /^memhp: unbinding cxl_mem from mem0 while its ram region's memory is online: kmem cannot remove the memory .* A guest that dies is not modelled$/);
});

test("binding cxl_mem again after its region was killed: QEMU 7.2's device keeps the Committed bit of the reset decoder, so the new endpoint's probe fails (ENXIO, three log lines, the port added and removed); QEMU 10.0's clears it (test/oracle/cxl/cxl-probe90-unbind-in-region: 6.1 on 7.2, 6.12 and 7.2 on 10.0)", () => {
  const run = (profile: string, qemu?: "7.2" | "10.0") => {
    const sys = bootSystem(qemu ? { ...spec, qemu } : spec, { boot: "derive", profile });
    assert.equal((applyStep(sys, { op: "cxl", args: ["create-region", "-m", "-d", "decoder0.0", "-s", "256M", "mem0"] }) as { rc: number }).rc, 0);
    assert.equal((applyStep(sys, { op: "write", path: "/sys/bus/cxl/drivers/cxl_mem/unbind", value: "mem0" }) as { ok?: boolean }).ok, true);
    const before = sys.kernel.log.length;
    const r = applyStep(sys, { op: "write", path: "/sys/bus/cxl/drivers/cxl_mem/bind", value: "mem0" }) as { ok?: boolean; errno?: string };
    const eps = applyStep(sys, { op: "cxl", args: ["list", "-E"] }) as { stdout_json?: unknown };
    return { r, log: sys.kernel.log.slice(before).map((l) => l.text), eps: eps.stdout_json };
  };
  const old = run("6.1");
  assert.equal(old.r.errno, "ENXIO");
  assert.deepEqual(old.log, ["cxl_port endpoint2: decoder2.0: Committed with zero size", "cxl_port endpoint2: Couldn't enumerate decoders (-6)", "cxl_mem mem0: endpoint2 failed probe"]);
  assert.deepEqual(old.eps, []);
  assert.equal(run("6.12", "7.2").r.errno, "ENXIO");
  const now = run("6.12");
  assert.equal(now.r.ok, true);
  assert.deepEqual(now.eps, [{ endpoint: "endpoint2", host: "mem0", depth: 2 }]);
});
