import { test } from "node:test";
import assert from "node:assert/strict";
import { parseOptions, parseSize64, Stderr, normalizeUuids } from "./tool-util.js";
import { bootSystem } from "../scenario/runner.js";
import { ndctl } from "./ndctl.js";
import { daxctl } from "./daxctl.js";
import { identFilter } from "./ndctl-filter.js";

const MiB = 1 << 20;

test("parse-options: bundled short flags, values, --no- negation and options named no-…", () => {
  const specs = [
    { short: "f", long: "force", type: "bool" as const, key: "force" },
    { short: "m", long: "mode", type: "string" as const, key: "mode" },
    { long: "no-movable", type: "bool" as const, key: "noMovable" },
  ];
  const r = parseOptions(["-fm", "devdax", "--movable", "dax0.0"], specs);
  assert.ok(!("error" in r));
  assert.deepEqual(r, { opts: { force: true, mode: "devdax", noMovable: false }, args: ["dax0.0"] });
  const r2 = parseOptions(["--mode=system-ram", "--no-movable", "--no-force"], specs);
  assert.deepEqual(r2, { opts: { mode: "system-ram", noMovable: true, force: false }, args: [] });
  assert.deepEqual(parseOptions(["--bogus"], specs), { error: "unknown option `bogus'" });
});

test("sizes with binary suffixes", () => {
  assert.deepEqual(parseSize64("2M"), { value: 2 * MiB, units: MiB });
  assert.deepEqual(parseSize64("0x1000"), { value: 4096, units: 1 });
  assert.equal(parseSize64("2X"), null);
});

test("util/usage.c error(): two leading spaces and an empty line after a message ending in a newline", () => {
  const e = new Stderr();
  e.error("create namespace: region0: bad\n");
  e.write("failed\n");
  assert.deepEqual(e.lines(), ["  Error: create namespace: region0: bad", "", "failed"]);
});

test("uuid normalisation as the oracle does it", () => {
  const noisy: Record<string, string> = {};
  const v = normalizeUuids({ uuid: "6b94b855-6de4-4200-a2d1-764b83ea94cd", n: [{ uuid: "00000000-0000-0000-0000-000000000000" }] }, noisy);
  assert.deepEqual(v, { uuid: "<uuid>", n: [{ uuid: "00000000-0000-0000-0000-000000000000" }] });
  assert.deepEqual(noisy, { "/uuid": "6b94b855-6de4-4200-a2d1-764b83ea94cd" });
});

test("ndctl/daxctl on a machine without pmem", () => {
  const sys = bootSystem({ type: "pc", memory: 1024 * MiB, cmdline: [] }, { boot: "derive" });
  const c = ndctl(sys.kernel, ["create-namespace", "-m", "fsdax"]);
  assert.equal(c.rc, 237);
  assert.deepEqual(c.stderr, ["failed to create namespace: No such device or address"]);
  const d = daxctl(sys.kernel, ["reconfigure-device", "-m", "system-ram", "dax0.0"]);
  assert.equal(d.rc, 250);
  assert.deepEqual(d.stderr, ["error reconfiguring devices: No such device or address", "reconfigured 0 devices"]);
  assert.equal(ndctl(sys.kernel, ["list"]).stdout_json, undefined);
  // daxctl/device.c: enable and disable say "device" in their error line, reconfigure "devices".
  assert.deepEqual(daxctl(sys.kernel, ["disable-device", "dax0.0"]).stderr, ["error disabling device: No such device or address", "disabled 0 devices"]);
  assert.deepEqual(daxctl(sys.kernel, ["enable-device", "dax0.0"]).stderr, ["error enabling device: No such device or address", "enabled 0 devices"]);
});

test("ndctl disable-dimm on a DIMM whose region is up: skipped, exit 1 (EXIT_FAILURE), as a64-probe42-nv-dimm-relabel recorded", () => {
  const sys = bootSystem({ type: "pc", memory: 1024 * MiB, maxmem: 4096 * MiB, slots: 2, cmdline: [], nvdimms: [{ id: "nv1", size: 512 * MiB + 128 * 1024, label_size: 128 * 1024 }] }, { boot: "derive" });
  const busy = ndctl(sys.kernel, ["disable-dimm", "nmem0"]);
  assert.deepEqual([busy.rc, busy.stderr], [1, ["nmem0 is active, skipping...", "disabled 0 nmem"]]);
  assert.equal(ndctl(sys.kernel, ["disable-region", "region0"]).rc, 0);
  const done = ndctl(sys.kernel, ["disable-dimm", "nmem0"]);
  assert.deepEqual([done.rc, done.stderr], [0, ["disabled 1 nmem"]]);
});

test("label-less legacy region: sub-dividing refused, alignment errors name the region", () => {
  const sys = bootSystem({ type: "pc", memory: 2048 * MiB, cmdline: ["memmap=256M!0x30000000"] }, { boot: "derive" });
  const r = ndctl(sys.kernel, ["create-namespace", "-e", "namespace0.0", "-f", "-m", "fsdax", "-s", "128M"]);
  assert.equal(r.rc, 234);
  assert.deepEqual(r.stderr, ["  Error: Legacy / label-less namespaces do not support sub-dividing a region", "", "  Error: Retry without -s/--size=", "", "failed to reconfigure namespace: Invalid argument"]);
  const a = ndctl(sys.kernel, ["create-namespace", "-e", "namespace0.0", "-f", "-m", "devdax", "-a", "3M"]);
  assert.equal(a.rc, 129);
});

test("ndctl's bus/region/dimm filters: strtoul ids, 'all', and the first word's id for every word (ndctl/filter.c)", () => {
  const r0 = ["region0"];
  assert.equal(identFilter(undefined, 0, r0), true);
  assert.equal(identFilter("all", 3, r0), true);
  assert.equal(identFilter("0", 0, r0), true);
  assert.equal(identFilter("0x0", 0, r0), true);
  assert.equal(identFilter("region0", 0, r0), true);
  assert.equal(identFilter("region1", 0, r0), false);
  // strtoul base 0: a leading 0 is octal, a sign is accepted, trailing text is not a number.
  assert.equal(identFilter("010", 8, ["region8"]), true);
  assert.equal(identFilter("010", 10, ["region10"]), false);
  assert.equal(identFilter("+1", 1, ["region1"]), true);
  assert.equal(identFilter("08", 8, ["region8"]), false);
  assert.equal(identFilter("1abc", 1, ["region1"]), false);
  // Several words: the id comes from the first word every time.
  assert.equal(identFilter("0 region1", 0, r0), true);
  assert.equal(identFilter("0 region1", 1, ["region1"]), false);
  assert.equal(identFilter("region1 0", 0, r0), false);
  assert.equal(identFilter("region1 region0", 0, r0), true);
  assert.equal(identFilter("5 all", 0, r0), true);
});
