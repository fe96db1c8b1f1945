import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { InputError } from "../errors.js";
import { GiB, MiB, KiB, parseAddress, parseSize, SizeParseError } from "../kernel/units.js";
import { SHARED, TRACES, jsonFiles } from "../testing/paths.js";
import { EXAMPLES } from "./examples.js";
import { parseScenario, scenarioFromValue, type Scenario } from "./load.js";
import { loadScenarioFile } from "./load-file.js";
import { MAX_SIZE } from "./schema.js";

const SCENARIOS = join(SHARED, "conformance", "scenarios");
const scenarioFiles = jsonFiles(SCENARIOS);
const noShared = { skip: !existsSync(SCENARIOS) && "../shared/conformance/scenarios not present" };

/** Parse, and on an InputError fail with its one-line form (so a test failure says where). */
function load(text: string, file: string): Scenario {
  try {
    return parseScenario(text, file);
  } catch (e) {
    if (e instanceof InputError) assert.fail(e.format());
    throw e;
  }
}

function inputError(text: string, file: string): InputError {
  try {
    parseScenario(text, file);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  assert.fail(`${file}: expected an InputError`);
}

test("every conformance scenario loads, keeping each step as written", noShared, () => {
  assert.ok(scenarioFiles.length > 0);
  for (const f of scenarioFiles) {
    const text = readFileSync(f, "utf8");
    const s = loadScenarioFile(f);
    const obj = JSON.parse(text);
    assert.equal(s.name, obj.name);
    assert.equal(s.description, obj.description);
    assert.deepEqual(s.raw, obj);
    assert.equal(s.steps.length, obj.steps.length);
    s.steps.forEach((st, i) => {
      assert.deepEqual(st.raw, obj.steps[i]);
      assert.equal(st.op, obj.steps[i].op);
    });
    assert.ok(s.machine.memory > 0);
    assert.ok(Array.isArray(s.machine.cmdline));
  }
});

test("sizes and addresses become bytes; defaults are filled in", noShared, () => {
  const fsdax = loadScenarioFile(join(SCENARIOS, "nvdimm-fsdax.json"));
  assert.deepEqual(fsdax.machine, {
    type: "pc",
    memory: GiB,
    maxmem: 8 * GiB,
    slots: 4,
    cmdline: [],
    nvdimms: [{ id: "nv1", size: 524416 * KiB, addr: 0x100000000, label_size: 128 * KiB }],
  });
  const first = fsdax.steps[0];
  assert.equal(first.op, "create-namespace");
  if (first.op === "create-namespace") {
    assert.equal(first.align, 2 * MiB);
    assert.equal(first.mode, "fsdax");
    assert.equal(first.raw.align, "2M");
  }
  const vm = loadScenarioFile(join(SCENARIOS, "virtio-mem.json"));
  assert.deepEqual(vm.machine.virtio_mem, [{ id: "vm0", size: GiB, block_size: 2 * MiB, requested_size: 0 }]);
  assert.deepEqual(
    vm.steps.map((s) => (s.op === "virtio-mem-resize" ? s.requested_size : -1)),
    [256 * MiB, 300 * MiB, 64 * MiB, 0],
  );
  const unaligned = loadScenarioFile(join(SCENARIOS, "dimm-unaligned.json"));
  const d4 = unaligned.steps[6];
  assert.ok(d4.op === "plug-dimm" && d4.addr === 0x100100000 && d4.size === 128 * MiB);
  const writes = loadScenarioFile(join(SCENARIOS, "dimm-memmap-on-memory.json")).steps.filter((s) => s.op === "write");
  assert.ok(writes.every((w) => w.op === "write" && w.newline === true));
  assert.ok(writes.some((w) => w.op === "write" && w.paths?.length === 2 && w.path === undefined));
});

test("a trace's scenario loads like the scenario file", { skip: !existsSync(TRACES) && "no traces" }, () => {
  for (const f of jsonFiles(TRACES)) {
    const fromTrace = loadScenarioFile(f);
    const scenarioFile = join(SCENARIOS, f.split("/").pop()!);
    if (!existsSync(scenarioFile)) continue;
    const trace = JSON.parse(readFileSync(f, "utf8"));
    assert.deepEqual(fromTrace.raw, trace.scenario);
    if (JSON.stringify(trace.scenario) === JSON.stringify(JSON.parse(readFileSync(scenarioFile, "utf8"))))
      assert.deepEqual(fromTrace, loadScenarioFile(scenarioFile), f);
  }
});

test("YAML equivalents of the conformance scenarios load identically", noShared, () => {
  for (const f of scenarioFiles) {
    const text = readFileSync(f, "utf8");
    const fromJson = load(text, f);
    const obj = JSON.parse(text);
    const block = stringify(obj);
    const flow = stringify(obj, { collectionStyle: "flow" });
    assert.deepEqual(load(block, f.replace(/\.json$/, ".yaml")), fromJson, `${f} as block YAML`);
    assert.deepEqual(load(flow, f.replace(/\.json$/, ".yml")), fromJson, `${f} as flow YAML`);
    // Content detection without an extension, both ways.
    assert.deepEqual(load(text, f.replace(/\.json$/, "")), fromJson);
    assert.deepEqual(load(block, f.replace(/\.json$/, "")), fromJson);
  }
});

test("idiomatic hand-written YAML (comments, unquoted numbers) means the same as the JSON", noShared, () => {
  const yaml = `# The basic DIMM life, as a person would write it.
name: dimm-unaligned
description: ${JSON.stringify(JSON.parse(readFileSync(join(SCENARIOS, "dimm-unaligned.json"), "utf8")).description)}
machine:
  type: pc
  memory: 1G
  maxmem: 8G
  slots: 4
  cmdline: [memhp_default_state=online_movable]
steps:
  - {op: plug-dimm, id: d1, size: 64M, addr: 0x100000000}   # YAML reads hex as a number
  - {op: unplug-dimm, id: d1}
  - {op: plug-dimm, id: d2, size: 1G, addr: 0x104000000}
  - {op: unplug-dimm, id: d2}
  - {op: plug-dimm, id: d3, size: 192M, addr: 0x110000000}
  - {op: unplug-dimm, id: d3}
  - {op: plug-dimm, id: d4, size: 128M, addr: 0x100100000}
  - op: plug-dimm
    id: d5
    size: 128M
    addr: 6442450944          # decimal
  - {op: plug-dimm, id: d6, size: 128Mi, addr: "0x180000000"}
  - {op: plug-dimm, id: d7, size: 256M, addr: 0o57000000000}
  - {op: unplug-dimm, id: d5}
`;
  const fromJson = loadScenarioFile(join(SCENARIOS, "dimm-unaligned.json"));
  const typed = (s: Scenario) => ({ ...s, raw: undefined, steps: s.steps.map((st) => ({ ...st, raw: undefined })) });
  // "128Mi" is not a size: check it is refused, then compare the corrected file.
  const err = inputError(yaml, "hand.yaml");
  assert.equal(err.location.field, "steps[8].size");
  assert.equal(err.location.line, 22);
  assert.equal(err.location.column, 35);
  const fixed = load(yaml.replace("128Mi", "128MiB"), "hand.yaml");
  assert.deepEqual(typed(fixed), typed(fromJson));
  assert.equal(fixed.steps[0].raw.addr, 0x100000000);
});

test("built-in examples load", () => {
  for (const ex of EXAMPLES) {
    const s = load(JSON.stringify(ex), `example:${ex.name}`);
    assert.equal(s.name, ex.name);
    assert.deepEqual(scenarioFromValue(ex, ex.name), s);
  }
});

test("defaults: name from the file, oracle defaults for the machine, null is absent", () => {
  const s = load(
    `machine: {memory: 2G, smp: 3, numa: [{cpus: 0, mem: 1G}, {mem: 1G, cpus: "1-2"}], profile: 5.2, cpu: host, ram_noreserve: true, extra_qemu_args: []}
dyndbg: []
steps:
  - {op: plug-dimm, id: d1, size: 0x8000000, addr: null, node: 1}
  - {op: write, path: /sys/devices/system/memory/memory8/state, value: "1", newline: false}
  - {op: settle}
`,
    "dir/my-test.yaml",
  );
  assert.equal(s.name, "my-test");
  assert.equal(s.raw.name, "my-test");
  assert.equal(s.description, undefined);
  assert.deepEqual(s.machine, {
    type: "pc",
    memory: 2 * GiB,
    smp: 3,
    cpu: "host",
    cmdline: [],
    numa: [
      { nodeid: 0, cpus: "0", mem: GiB },
      { nodeid: 1, cpus: "1-2", mem: GiB },
    ],
    kernel: { version: "5.2" },
  });
  const [plug, write, settle] = s.steps;
  assert.deepEqual({ ...plug, raw: undefined }, { op: "plug-dimm", id: "d1", size: 128 * MiB, node: 1, raw: undefined });
  assert.ok(!("addr" in plug));
  assert.equal(plug.raw.addr, null);
  assert.ok(write.op === "write" && write.newline === false && write.value === "1");
  assert.deepEqual({ ...settle, raw: undefined }, { op: "settle", raw: undefined });
  const noMem = load(`{"name": "m", "machine": {}}`, "m.json");
  assert.deepEqual(noMem.machine, { type: "pc", memory: GiB, cmdline: [] });
});

test("a trace without an extension is recognised by content", () => {
  const trace = JSON.stringify({ format: "linux-memhp-oracle-trace/1", scenario: { name: "t", machine: { memory: "1G" }, steps: [] }, boot: {}, steps: [] });
  assert.equal(load(trace, "-").name, "t");
  const bad = inputError(trace.replace('"1G"', '"1Q"'), "-");
  assert.equal(bad.location.field, "scenario.machine.memory");
  assert.equal(bad.location.line, 1);
});

test("JSON integers up to 2^52 are sizes; larger, fractional or negative ones are not", () => {
  const scn = (size: string) => `{"machine": {"memory": "1G"}, "steps": [{"op": "virtio-mem-resize", "id": "v", "requested_size": ${size}}]}`;
  const s = load(scn(String(MAX_SIZE)), "s.json").steps[0];
  assert.ok(s.op === "virtio-mem-resize" && s.requested_size === MAX_SIZE);
  for (const bad of [String(MAX_SIZE + 1), "1e300", "-1", "1.5", '"0x10000000000001"', '"-0x10"', "null", "[]"]) {
    const e = inputError(scn(bad), "s.json");
    assert.equal(e.location.field, "steps[0].requested_size", bad);
    assert.deepEqual([e.location.line, e.location.column], [1, scn("@").indexOf("@") + 1], bad);
  }
});

test("every truncation of a scenario is either a scenario or a located InputError", noShared, () => {
  const text = readFileSync(join(SCENARIOS, "sysfs-bad-input.json"), "utf8").slice(0, 3000);
  const yaml = stringify(JSON.parse(readFileSync(join(SCENARIOS, "dimm-unaligned.json"), "utf8")));
  for (const [src, file, step] of [
    [text, "t.json", 1],
    [yaml, "t.yaml", 2], // yaml's parser is slower: every other cut
  ] as const) {
    for (let n = 0; n < src.length; n += step) {
      const cut = src.slice(0, n);
      try {
        parseScenario(cut, file);
      } catch (e) {
        if (!(e instanceof InputError)) throw new Error(`${file} cut at ${n}: ${String(e)}`);
        const lines = cut.split("\n").length;
        assert.ok(e.location.line! >= 1 && e.location.line! <= lines, `${file} cut at ${n}: ${e.format()}`);
        assert.ok(e.location.column! >= 1, `${file} cut at ${n}: ${e.format()}`);
      }
    }
  }
});

test("sizes and addresses follow Python's int(x, 0)", () => {
  assert.equal(parseSize("0o17"), 15);
  assert.equal(parseSize("0b101"), 5);
  assert.equal(parseSize("0x1_000"), 0x1000);
  assert.equal(parseSize("0X10M"), 16 * MiB);
  assert.equal(parseSize("00"), 0);
  assert.equal(parseSize("524416K"), 524416 * KiB);
  assert.equal(parseSize("1GiB"), GiB);
  assert.throws(() => parseSize("010"), SizeParseError); // Python refuses it; it is not octal
  assert.throws(() => parseSize("8P"), SizeParseError); // 2^53
  assert.equal(parseAddress("0x100000000"), 0x100000000);
  assert.equal(parseAddress("0o40000000000"), 0x100000000);
  assert.equal(parseAddress(4096), 4096);
  assert.throws(() => parseAddress("4G"), SizeParseError);
  assert.throws(() => parseAddress("0100"), SizeParseError);
  assert.throws(() => parseAddress("-1"), SizeParseError);
});

test("loadScenarioFile: an unreadable file is an InputError naming it", () => {
  const missing = join(SCENARIOS, "no-such-scenario.yaml");
  assert.throws(
    () => loadScenarioFile(missing),
    (e: unknown) => e instanceof InputError && e.location.file === missing && /cannot read: no such file/.test(e.message),
  );
});

test("machine.qemu: 7.2 or 10.0 (YAML numbers too); another release is refused where it is written", () => {
  const scn = (q: string) => `name: q\nmachine:\n  type: q35\n  memory: 1G\n  qemu: ${q}\nsteps: []\n`;
  assert.equal(load(scn("10.0"), "q.yaml").machine.qemu, "10.0");
  assert.equal(load(scn('"7.2"'), "q.yaml").machine.qemu, "7.2");
  const err = inputError(scn("8.2"), "q.yaml");
  assert.equal(err.location.field, "machine.qemu");
  assert.match(err.message, /QEMU 8\.2 is not modelled/);
  assert.equal(inputError(scn("10.0").replace("q35", "synthetic"), "q.yaml").location.field, "machine.qemu");
});

test("a machine is checked on the QEMU its own kernel boots it on: a CXL q35 with RAM above 4 GiB and virtio-mem is refused at load under 7.2 (QEMU 10.0 would put bus 0's BARs above 4 GiB), accepted under 6.1 (QEMU 7.2)", () => {
  const scn = (kernel: string) =>
    `name: q\nmachine:\n  type: q35\n  memory: 4G\n  maxmem: 16G\n  slots: 1\n  cpu: qemu64,hypervisor=off\n  kernel: "${kernel}"\n` +
    `  virtio_mem: [{id: vm0, size: 1G, block_size: 2M, requested_size: 0}]\n` +
    `  cxl:\n    host_bridges: [{id: cxl.1, bus_nr: 12}]\n    root_ports: [{id: rp0, bus: cxl.1, port: 0, chassis: 0, slot: 2}, {id: rp1, bus: cxl.1, port: 1, chassis: 0, slot: 3}]\n` +
    `    type3: [{id: vm1, bus: rp0, size: 512M, volatile: true, sn: "0x1"}]\n    windows: [{targets: [cxl.1], size: 4G}]\nsteps: []\n`;
  assert.equal(load(scn("6.1"), "q.yaml").machine.memory, 4 * GiB);
  const err = inputError(scn("7.2"), "q.yaml");
  assert.equal(err.location.field, "machine.virtio_mem");
  assert.ok(err.location.line !== undefined, "located in the file");
  assert.match(err.message, /bus 0 BARs above 4 GiB/);
});

test("CXL host bridges take the oracle's numa_node (a node machine.numa has) and windows a granularity as a size (\"1K\")", () => {
  const scn = (hb: string, gran: string, numa = "") =>
    `name: q\nmachine:\n  type: q35\n  memory: 1G\n${numa}` +
    `  cxl:\n    host_bridges: [${hb}]\n    root_ports: [{id: rp0, bus: cxl.1, port: 0}]\n` +
    `    type3: [{id: m0, bus: rp0, size: 512M}]\n    windows: [{targets: [cxl.1], size: 4G, interleave_granularity: ${gran}}]\nsteps: []\n`;
  const two = "  numa: [{nodeid: 0, cpus: \"0\", mem: 512M}, {nodeid: 1, mem: 512M}]\n";
  const m = load(scn("{id: cxl.1, bus_nr: 12, numa_node: 1}", "1K", two), "q.yaml").machine;
  assert.equal(m.cxl?.host_bridges[0].numa_node, 1);
  assert.equal(m.cxl?.windows[0].interleave_granularity, 1024);
  const err = inputError(scn("{id: cxl.1, bus_nr: 12, numa_node: 1}", "256"), "q.yaml");
  assert.equal(err.location.field, "machine.cxl.host_bridges[0].numa_node");
  assert.match(err.message, /Illegal numa node 1/);
  assert.match(inputError(scn("{id: cxl.1, bus_nr: 12}", "3K"), "q.yaml").message, /power of two from 256 to 16384/);
});
