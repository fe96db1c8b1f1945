/**
 * `ndctl list` and `daxctl list`: filters, --human, --idle, --verbose, buses.
 * Expected values are those ndctl/daxctl 76.1 printed in the held-out
 * recordings test/oracle/arm64/traces/a64-probe60-nv2-list-filters.trixie.json
 * and a64-probe60-nv2-fsdax-list-human{,.trixie}.json, unless said otherwise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootSystem, applyStep } from "../scenario/runner.js";
import { ndctl } from "./ndctl.js";
import { daxctl } from "./daxctl.js";
import { displayJsonArray, humanSize, jsonHex, normalizeUuids, Stderr } from "./tool-util.js";

const MiB = 1 << 20;
const GiB = 1024 * MiB;
const U = "<uuid>";
const NULL_UUID = "00000000-0000-0000-0000-000000000000";

/** The probe60 machine: arm64 virt with two labelled 1 GiB NVDIMMs. */
function twoNvdimms(version: string) {
  const nv = (id: string) => ({ id, size: 1048704 * 1024, label_size: 128 * 1024 });
  return bootSystem({ type: "virt", memory: GiB, maxmem: 8 * GiB, slots: 4, cmdline: ["memhp_default_state=offline"], kernel: { version }, nvdimms: [nv("nv1"), nv("nv2")] }, { boot: "derive" });
}

type Sys = ReturnType<typeof twoNvdimms>;

/** Run a tool; its rc, stderr and JSON with uuids normalised as the oracle records them. */
function run(sys: Sys, tool: "ndctl" | "daxctl", args: string[]) {
  const r = (tool === "ndctl" ? ndctl : daxctl)(sys.kernel, args);
  return { rc: r.rc, stderr: r.stderr, json: normalizeUuids(r.stdout_json, {}) };
}

function json(sys: Sys, tool: "ndctl" | "daxctl", ...args: string[]): unknown {
  const r = run(sys, tool, args);
  assert.deepEqual([r.rc, r.stderr], [0, []], `${tool} ${args.join(" ")}`);
  return r.json;
}

/** The trixie recording after `create-namespace -e namespace1.0 -f -m devdax -a 2M`. */
function devdaxOnRegion1(): Sys {
  const sys = twoNvdimms("6.12");
  const r = applyStep(sys, { op: "create-namespace", namespace: "namespace1.0", force: true, mode: "devdax", align: "2M" }) as { rc: number };
  assert.equal(r.rc, 0);
  return sys;
}

const DAX_DEV = { chardev: "dax1.0", size: 1054867456, target_node: 0, align: 2097152, mode: "devdax" };
const NS1_CHARDEV = { dev: "namespace1.0", mode: "devdax", map: "dev", size: 1054867456, uuid: U, chardev: "dax1.0", align: 2097152 };
const NS1_DAXREGION = { dev: "namespace1.0", mode: "devdax", map: "dev", size: 1054867456, uuid: U, daxregion: { id: 1, size: 1054867456, align: 2097152, devices: [DAX_DEV] }, align: 2097152 };
const NS0_RAW = { dev: "namespace0.0", mode: "raw", size: 1073741824, sector_size: 512, blockdev: "pmem0" };
const NMEM1 = { dev: "nmem1", id: "8680-57341200", handle: 2, phys_id: 0 };
const NMEM0 = { dev: "nmem0", id: "8680-56341200", handle: 1, phys_id: 0 };

test("util/json.c display_size(): plain below 5000 KiB, then MiB/MB, GiB/GB from 2 GiB, TiB/TB from 2 TiB, in rounded hundredths", () => {
  assert.equal(humanSize(0), 0);
  assert.equal(humanSize(2097152), 2097152);
  assert.equal(humanSize(5000 * 1024 - 1), 5119999);
  assert.equal(humanSize(5000 * 1024), "4.88 MiB (5.12 MB)");
  assert.equal(humanSize(16 * MiB), "16.00 MiB (16.78 MB)");
  assert.equal(humanSize(1054867456), "1006.00 MiB (1054.87 MB)");
  assert.equal(humanSize(GiB), "1024.00 MiB (1073.74 MB)");
  assert.equal(humanSize(2 * GiB - 1), "2048.00 MiB (2147.48 MB)");
  assert.equal(humanSize(2 * GiB), "2.00 GiB (2.15 GB)");
  assert.equal(humanSize(2 * 1024 * GiB), "2.00 TiB (2.20 TB)");
  // "%#llx": zero has no 0x; the set cookie needs all 64 bits.
  assert.equal(jsonHex(0, { human: true }), "0");
  assert.equal(jsonHex(2, { human: true }), "0x2");
  assert.equal(jsonHex(52512752653219036n, { human: true }), "0xba90120012b4dc");
  assert.equal(jsonHex(2, {}), 2);
});

test("util_display_json_array(): with --human one object prints alone; without, arrays stay arrays; an empty list warns", () => {
  const e = new Stderr();
  assert.deepEqual(displayJsonArray([{ a: 1 }], { human: true }, e), { a: 1 });
  assert.deepEqual(displayJsonArray([{ a: 1 }], {}, e), [{ a: 1 }]);
  assert.deepEqual(displayJsonArray([{ a: 1 }, { a: 2 }], { human: true }, e), [{ a: 1 }, { a: 2 }]);
  assert.equal(displayJsonArray([], { human: true }, e), undefined);
  assert.deepEqual(e.lines(), []);
  assert.deepEqual(displayJsonArray([], {}, e), []);
  assert.deepEqual(e.lines(), ["  Warning: no matching devices found", ""]);
});

test("ndctl list -r/-d/-m/-b filter as util_filter_walk() does; -B is provider and dev only", () => {
  const sys = devdaxOnRegion1();
  assert.deepEqual(json(sys, "ndctl", "list", "-N", "-r", "region1"), [NS1_CHARDEV]);
  assert.deepEqual(json(sys, "ndctl", "list", "-N", "-r", "region0"), [NS0_RAW]);
  assert.deepEqual(json(sys, "ndctl", "list", "-D", "-d", "nmem1"), [NMEM1]);
  assert.deepEqual(json(sys, "ndctl", "list", "-B"), [{ provider: "ACPI.NFIT", dev: "ndbus0" }]);
  assert.deepEqual(json(sys, "ndctl", "list", "-N", "-m", "devdax"), [NS1_CHARDEV]);
  const region = (dev: string, dimm: string, iset?: number) => ({
    dev, size: GiB, align: 16 * MiB, available_size: 0, max_available_extent: 0, type: "pmem",
    ...(iset === undefined ? {} : { iset_id: iset }),
    mappings: [{ dimm, offset: 0, length: GiB, position: 0 }], persistence_domain: "unknown",
  });
  assert.deepEqual(json(sys, "ndctl", "list", "-RD", "-b", "ACPI.NFIT"), { dimms: [NMEM1, NMEM0], regions: [region("region1", "nmem0", 52512752653219036), region("region0", "nmem1")] });
  // -X alone lists devdax namespaces with their dax region.
  assert.deepEqual(json(sys, "ndctl", "list", "-X"), [NS1_DAXREGION]);
});

test("ndctl list filters (derived from filter.c, not recorded): ids, X.Y, regions holding a matching DIMM, a filter alone selecting the listing", () => {
  const sys = devdaxOnRegion1();
  assert.deepEqual(json(sys, "ndctl", "list", "-N", "-r", "1"), [NS1_CHARDEV]);
  assert.deepEqual(json(sys, "ndctl", "list", "-n", "0.0"), [NS0_RAW]);
  assert.deepEqual(json(sys, "ndctl", "list", "-N", "-n", "namespace0.0 1.0"), [NS1_CHARDEV, NS0_RAW]);
  // region1 maps nmem0: only its namespaces.
  assert.deepEqual(json(sys, "ndctl", "list", "-N", "-d", "nmem0"), [NS1_CHARDEV]);
  assert.equal(json(sys, "ndctl", "list", "-N", "-b", "ndbus1"), undefined);
  assert.equal(json(sys, "ndctl", "list", "-N", "-m", "sector"), undefined);
  // No -B/-D/-R/-N: -r lists regions, -b buses (with what they hold), -d dimms.
  assert.deepEqual((json(sys, "ndctl", "list", "-r", "region0") as { dev: string }[]).map((r) => r.dev), ["region0"]);
  assert.deepEqual(json(sys, "ndctl", "list", "-d", "nmem0"), [NMEM0]);
  assert.deepEqual(json(sys, "ndctl", "list", "-b", "ndbus0"), [{ provider: "ACPI.NFIT", dev: "ndbus0" }]);
  const withDimms = json(sys, "ndctl", "list", "-B", "-D", "-d", "nmem1") as Record<string, unknown>[];
  assert.deepEqual(withDimms, [{ provider: "ACPI.NFIT", dev: "ndbus0", dimms: [NMEM1] }]);
});

test("ndctl list -u: sizes and iset_id human, small sizes plain; daxctl list -u prints its one device as an object; daxctl list -R", () => {
  const sys = devdaxOnRegion1();
  const region = (dev: string, iset?: string) => ({
    dev, size: "1024.00 MiB (1073.74 MB)", align: "16.00 MiB (16.78 MB)", available_size: 0, max_available_extent: 0, type: "pmem",
    ...(iset === undefined ? {} : { iset_id: iset }), persistence_domain: "unknown",
  });
  assert.deepEqual(json(sys, "ndctl", "list", "-R", "-u"), [region("region1", "0xba90120012b4dc"), region("region0")]);
  assert.deepEqual(json(sys, "daxctl", "list", "-u"), { ...DAX_DEV, size: "1006.00 MiB (1054.87 MB)" });
  assert.deepEqual(json(sys, "daxctl", "list", "-R"), [{ path: "/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region1/dax1.0", id: 1, size: 1054867456, align: 2097152 }]);
  // One region listed with -u: the object (util_display_json_array); handle and phys_id are hex.
  assert.deepEqual(json(sys, "ndctl", "list", "-D", "-u", "-d", "nmem1"), { ...NMEM1, handle: "0x2", phys_id: "0" });
});

test("ndctl list -i shows the idle seed namespace; -v adds raw_uuid, the dax region, numa_node and target_node", () => {
  const sys = devdaxOnRegion1();
  const seed = { dev: "namespace1.1", mode: "raw", size: 0, uuid: NULL_UUID, sector_size: 512, state: "disabled" };
  assert.deepEqual(json(sys, "ndctl", "list", "-Ni"), [NS1_CHARDEV, seed, NS0_RAW]);
  const nodes = { numa_node: 0, target_node: 0 };
  assert.deepEqual(json(sys, "ndctl", "list", "-Nv"), [
    { dev: "namespace1.0", mode: "devdax", map: "dev", size: 1054867456, uuid: U, raw_uuid: U, daxregion: NS1_DAXREGION.daxregion, align: 2097152, ...nodes },
    { ...NS0_RAW, ...nodes },
  ]);
});

test("ndctl list on label-less regions (fsdax-list-human): -Nu, -RNu (arrays stay arrays inside the object), -n, -Ri, -D -i", () => {
  for (const version of ["6.1", "6.12"]) {
    const sys = twoNvdimms(version);
    const h = "1024.00 MiB (1073.74 MB)";
    const ns = (i: number) => ({ dev: `namespace${i}.0`, mode: "raw", size: h, sector_size: 512, blockdev: `pmem${i}` });
    assert.deepEqual(json(sys, "ndctl", "list", "-Nu"), [ns(1), ns(0)]);
    const region = (i: number) => ({ dev: `region${i}`, size: h, align: "16.00 MiB (16.78 MB)", available_size: 0, max_available_extent: 0, type: "pmem", persistence_domain: "unknown", namespaces: [ns(i)] });
    assert.deepEqual(json(sys, "ndctl", "list", "-RNu"), { regions: [region(1), region(0)] });
    assert.deepEqual(json(sys, "ndctl", "list", "-N", "-n", "namespace0.0"), [NS0_RAW]);
    const plain = (i: number) => ({ dev: `region${i}`, size: GiB, align: 16 * MiB, available_size: 0, max_available_extent: 0, type: "pmem", persistence_domain: "unknown" });
    assert.deepEqual(json(sys, "ndctl", "list", "-Ri"), [plain(1), plain(0)]);
    assert.deepEqual(json(sys, "ndctl", "list", "-D", "-i"), [NMEM1, NMEM0]);
  }
});

test("ndctl/daxctl list: bad filters and stray arguments are errors, as in ndctl", () => {
  const sys = twoNvdimms("6.12");
  assert.deepEqual(run(sys, "ndctl", ["list", "-m", "bogus"]), { rc: 234, stderr: ["  Error: invalid mode: 'bogus'", ""], json: undefined });
  assert.deepEqual(run(sys, "ndctl", ["list", "-t", "nvme"]), { rc: 234, stderr: ['  Error: unknown type "nvme" must be "pmem" or "blk"', ""], json: undefined });
  assert.deepEqual(run(sys, "ndctl", ["list", "-U", "x"]).rc, 234);
  assert.equal(json(sys, "ndctl", "list", "-t", "blk"), undefined);
  const extra = run(sys, "ndctl", ["list", "region0"]);
  assert.deepEqual([extra.rc, extra.stderr[0]], [129, '  Error: unknown parameter "region0"']);
  const dax = run(sys, "daxctl", ["list", "dax0.0"]);
  assert.deepEqual([dax.rc, dax.stderr[0]], [129, '  Error: unknown parameter "dax0.0"']);
});

test("derived from ndctl/daxctl 76.1 (not recorded): -C lists what the btt, pfn and dax seeds support, -u shapes reconfigure-device's output, -M a device's mappings", () => {
  const sys = devdaxOnRegion1();
  const caps = (json(sys, "ndctl", "list", "-R", "-C", "-r", "region0") as Record<string, unknown>[])[0].capabilities;
  assert.deepEqual(caps, [
    { mode: "sector", sector_sizes: [512, 520, 528, 4096, 4104, 4160, 4224] },
    { mode: "fsdax", alignments: [4096, 2097152] },
    { mode: "devdax", alignments: [4096, 2097152] },
  ]);
  // 6.1 on arm64 has no ZONE_DEVICE: no pfn or dax seed, no capabilities.
  const old = twoNvdimms("6.1");
  assert.equal((json(old, "ndctl", "list", "-R", "-C", "-r", "region0") as Record<string, unknown>[])[0].capabilities, undefined);
  const maps = json(sys, "daxctl", "list", "-M") as Record<string, unknown>[];
  const start = parseInt((applyStep(sys, { op: "read", path: "/sys/bus/dax/devices/dax1.0/resource" }) as { value: string }).value, 16);
  assert.deepEqual(maps[0].mappings, [{ page_offset: 0, start, end: start + 1054867456 - 1, size: 1054867456 }]);
  const r = run(sys, "daxctl", ["reconfigure-device", "-m", "system-ram", "-u", "dax1.0"]);
  assert.deepEqual([r.rc, r.stderr], [0, ["reconfigured 1 device"]]);
  assert.deepEqual(r.json, { ...DAX_DEV, size: "1006.00 MiB (1054.87 MB)", mode: "system-ram", online_memblocks: 7, total_memblocks: 7, movable: true });
});
