/**
 * `cxl list`'s options and filters (cxl-cli 76's cxl/list.c and
 * cxl/filter.c) on the machine of test/oracle/cxl/cxl-probe84-ram-list-options
 * (one 1 GiB volatile device, a ram region). The recordings in
 * test/oracle/cxl/ (probe83, probe84, probe85) check the listings against
 * the real tool; these check what they do not show.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB } from "../kernel/units.js";
import { cxlState } from "../kernel/drivers/cxl-core.js";
import { applyStep, bootSystem } from "../scenario/runner.js";
import type { MachineSpec } from "../machine/types.js";
import { CXL_ONE_VOLATILE } from "../testing/cxl-specs.js";
import { cxlList } from "./cxl-list.js";
import { filterHas, filterWords } from "./cxl-filter.js";

function machine(): ReturnType<typeof bootSystem> {
  const spec: MachineSpec = { type: "q35", memory: GiB, cpu: "qemu64,hypervisor=off", kernel: { version: "7.2" }, cmdline: ["memhp_default_state=offline"], cxl: { ...CXL_ONE_VOLATILE, type3: [{ ...CXL_ONE_VOLATILE.type3[0], sn: 1 }] } };
  return bootSystem(spec, { boot: "derive" });
}

function list(sys: ReturnType<typeof bootSystem>, ...args: string[]) {
  return cxlList(cxlState(sys.kernel)!, args);
}

test("a filter's words split at spaces when it has one, else at commas", () => {
  assert.deepEqual(filterWords("mem0,mem1"), ["mem0", "mem1"]);
  assert.deepEqual(filterWords("mem0 mem1,mem2"), ["mem0", "mem1,mem2"]);
  assert.deepEqual(filterWords("  mem0  "), ["mem0"]);
  assert.equal(filterHas("port1,root0", "root"), true);
  assert.equal(filterHas("port1", "root"), false);
  assert.equal(filterHas(undefined, "root"), false);
});

test("cxl list with no option lists memdevs and regions; with no region, the memdevs alone and flat", () => {
  const sys = machine();
  const r = list(sys);
  assert.ok(!("unsupported" in r));
  assert.equal(r.rc, 0);
  assert.deepEqual(r.json, [{ memdev: "mem0", ram_size: GiB, serial: 1, host: "0000:0d:00.0" }]);
});

test("a memdev filter that names nothing prints [] and ndctl's warning", () => {
  const sys = machine();
  const r = list(sys, "-m", "mem7");
  assert.ok(!("unsupported" in r));
  assert.deepEqual(r.json, []);
  assert.deepEqual(r.stderr, ["  Warning: no matching devices found", ""]);
  // With -u an empty listing prints nothing at all.
  const u = list(sys, "-m", "mem7", "-u");
  assert.ok(!("unsupported" in u));
  assert.equal(u.json, undefined);
  assert.deepEqual(u.stderr, []);
});

test("memdevs are named by number, name, PCI device or serial", () => {
  const sys = machine();
  for (const f of [["-m", "0"], ["-m", "mem0"], ["-m", "0000:0d:00.0"], ["-s", "1"], ["-s", "0x1"], ["-m", "all"], ["-m", "mem3,mem0"]]) {
    const r = list(sys, ...f);
    assert.ok(!("unsupported" in r));
    assert.equal((r.json as { memdev: string }[])[0]?.memdev, "mem0", f.join(" "));
  }
  // strtoull() must read the whole word: "1x" is no serial.
  const r = list(sys, "-s", "1x");
  assert.ok(!("unsupported" in r));
  assert.deepEqual(r.json, []);
});

test("-S without a port filter and unknown options are usage errors (exit 129)", () => {
  const sys = machine();
  const s = list(sys, "-S");
  assert.ok(!("unsupported" in s));
  assert.equal(s.rc, 129);
  assert.deepEqual(s.stderr.slice(0, 6), ["  Error: -S/--single expects a port filter: -p/--port=", "", "", " usage: cxl list [<options>]", "", "    -m, --memdev <memory device name(s)>"]);
  // An option too wide for 24 columns has its help on the next line; a short one on its own line.
  assert.equal(s.stderr[6], "                          filter by CXL memory device name(s)");
  assert.ok(s.stderr.includes("    -M, --memdevs         include CXL memory device info"));
  assert.ok(s.stderr.includes("        --debug           debug list walk"));
  assert.equal(s.stderr.at(-1), "");
  const z = list(sys, "-Z");
  assert.ok(!("unsupported" in z));
  assert.deepEqual(z.stderr.slice(0, 4), ["  Error: unknown switch `Z'", "", " usage: cxl list [<options>]", ""]);
  const x = list(sys, "extra");
  assert.ok(!("unsupported" in x));
  assert.equal(x.rc, 129);
  assert.equal(x.stderr[0], '  Error: unknown parameter "extra"');
});

test("-I lists IDENTIFY's partition info (human sizes with -u, 0 stays 0); -H and -A add nothing, as no recorded device answered them; --debug is reported as not modelled", () => {
  const sys = machine();
  const part = list(sys, "-M", "-I");
  assert.ok(!("unsupported" in part));
  const mem = { memdev: "mem0", ram_size: GiB, serial: 1, host: "0000:0d:00.0" };
  assert.deepEqual(part.json, [{ ...mem, partition_info: { total_size: GiB, volatile_only_size: GiB, persistent_only_size: 0, partition_alignment_size: 0 } }]);
  const human = list(sys, "-M", "-I", "-u");
  assert.ok(!("unsupported" in human));
  // One object with -u is printed alone, not in an array.
  assert.deepEqual((human.json as { partition_info: unknown }).partition_info, { total_size: "1024.00 MiB (1073.74 MB)", volatile_only_size: "1024.00 MiB (1073.74 MB)", persistent_only_size: 0, partition_alignment_size: 0 });
  for (const f of [["-M", "-H"], ["-M", "-A"], ["-M", "--health", "--alert-config"]]) {
    const r = list(sys, ...f);
    assert.ok(!("unsupported" in r), f.join(" "));
    assert.deepEqual(r.json, [mem], f.join(" "));
  }
  // -vvv: the -vv tree with each memdev's partition_info.
  const vvv = list(sys, "-vvv");
  assert.ok(!("unsupported" in vvv));
  assert.match(JSON.stringify(vvv.json), /"memdev":\{"memdev":"mem0","ram_size":1073741824,"serial":1,"host":"0000:0d:00.0","partition_info":\{"total_size":1073741824,/);
  const dbg = list(sys, "--debug");
  assert.ok("unsupported" in dbg);
  assert.match(dbg.unsupported, /is not modelled$/);
  // Through the scenario op it is a step error, not a listing.
  const r = applyStep(sys, { op: "cxl", args: ["list", "--debug"] }) as { error?: string; unsupported?: boolean };
  assert.equal(r.unsupported, true);
  assert.match(r.error ?? "", /^memhp: cxl list --debug/);
});

test("a port filter alone lists that port by itself; with -P it keeps the port's descendants' listing rules", () => {
  const sys = machine();
  const r = list(sys, "-p", "port1");
  assert.ok(!("unsupported" in r));
  assert.deepEqual(r.json, [{ port: "port1", host: "pci0000:0c", depth: 1 }]);
  // "root" in a port filter with -P lists the bus too, and the ports below it (their ancestor is named) inside it.
  const root = list(sys, "-P", "-p", "root");
  assert.ok(!("unsupported" in root));
  assert.deepEqual(root.json, [{ bus: "root0", provider: "ACPI.CXL", "ports:root0": [{ port: "port1", host: "pci0000:0c", depth: 1 }] }]);
  // With -S the filter names root0 alone: port1 is not listed.
  const single = list(sys, "-P", "-S", "-p", "root");
  assert.ok(!("unsupported" in single));
  assert.deepEqual(single.json, [{ bus: "root0", provider: "ACPI.CXL" }]);
});

test("create-region's integer options are OPT_INTEGERs: a word that is not a number is a usage error naming that option (parse_options_usage())", () => {
  const sys = machine();
  const r = applyStep(sys, { op: "cxl", args: ["create-region", "-m", "-d", "decoder0.0", "-w", "two", "mem0"] }) as { rc: number; stderr: string[] };
  assert.equal(r.rc, 129);
  assert.deepEqual(r.stderr, [
    "  Error: switch `w' expects a numerical value",
    "",
    " usage: cxl create-region <target0> ... [<options>]",
    "",
    "    -w, --ways <n>        number of memdevs participating in the regions interleave set",
  ]);
  // -h is the parser's own: the whole option list, no error; "cxl list --help" would open the man page.
  const h = applyStep(sys, { op: "cxl", args: ["list", "-h"] }) as { rc: number; stderr: string[] };
  assert.equal(h.rc, 129);
  assert.deepEqual(h.stderr.slice(0, 4), ["", " usage: cxl list [<options>]", "", "    -m, --memdev <memory device name(s)>"]);
  const help = applyStep(sys, { op: "cxl", args: ["list", "--help"] }) as { unsupported?: boolean; error?: string };
  assert.equal(help.unsupported, true);
  assert.match(help.error ?? "", /^memhp: cxl list --help \(cxl help list: the man page\) is not modelled$/);
  // No root decoder: parse_create_options() refuses, exit 1.
  const d = applyStep(sys, { op: "cxl", args: ["create-region", "-m", "mem0"] }) as { rc: number; stderr: string[] };
  assert.deepEqual(d, { argv: ["cxl", "create-region", "-m", "mem0"], rc: 1, stderr: ["cxl region: parse_create_options: no root decoder specified", "cxl region: cmd_create_region: created 0 regions"] });
  // --ways=0 is a number, and not a valid one.
  const z = applyStep(sys, { op: "cxl", args: ["create-region", "-m", "-d", "decoder0.0", "--ways=0", "mem0"] }) as { rc: number; stderr: string[] };
  assert.equal(z.rc, 1);
  assert.equal(z.stderr[0], "cxl region: parse_create_options: Invalid interleave ways: 0");
});
