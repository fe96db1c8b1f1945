import { test } from "node:test";
import assert from "node:assert/strict";
import { parseOptions, parseSize64, Stderr, normalizeUuids } from "./tool-util.js";
import { applyStep, bootSystem } from "../scenario/runner.js";
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
  assert.deepEqual(parseOptions(["--bogus"], specs), { error: "unknown option `bogus'", kind: "unknown" });
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

// usage_with_options() of ndctl/daxctl v76.1 (util/parse-options.c): "\n usage: <usage>\n\n", each option of the
// command's table as "    -x, --long <argh>" padded to 24 columns (or alone on its line, its help on the next
// at column 26), then "\n". The tables are those of ndctl/list.c, ndctl/namespace.c, ndctl/region.c,
// ndctl/dimm.c, daxctl/list.c and daxctl/device.c at tag v76.1, written out by hand.
const NDCTL_LIST_USAGE = [
  "",
  " usage: ndctl list [<options>]",
  "",
  "    -b, --bus <bus-id>    filter by bus",
  "    -r, --region <region-id>",
  "                          filter by region",
  "    -d, --dimm <dimm-id>  filter by dimm",
  "    -n, --namespace <namespace-id>",
  "                          filter by namespace id",
  "    -m, --mode <namespace-mode>",
  "                          filter by namespace mode",
  "    -t, --type <region-type>",
  "                          filter by region-type",
  "    -U, --numa-node <numa node>",
  "                          filter by numa node",
  "    -B, --buses           include bus info",
  "    -D, --dimms           include dimm info",
  "    -F, --firmware        include firmware info",
  "    -H, --health          include dimm health",
  "    -R, --regions         include region info",
  "    -N, --namespaces      include namespace info (default)",
  "    -X, --device-dax      include device-dax info",
  "    -C, --capabilities    include region capability info",
  "    -i, --idle            include idle devices",
  "    -c, --configured      include configured namespaces, disabled or not",
  "    -M, --media-errors    include media errors",
  // The help text ends in a space in list.c.
  "    -u, --human           use human friendly number formats ",
  "    -v, --verbose         increase output detail",
  "",
];

const NDCTL_CREATE_NAMESPACE_USAGE = [
  "",
  " usage: ndctl create-namespace [<options>]",
  "",
  "    -b, --bus <bus-id>    limit namespace to a bus with an id or provider of <bus-id>",
  "    -r, --region <region-id>",
  "                          limit namespace to a region with an id or name of <region-id>",
  "    -v, --verbose         emit extra debug messages to stderr",
  "    -e, --reconfig <reconfig namespace>",
  "                          reconfigure existing namespace",
  "    -u, --uuid <uuid>     specify the uuid for the namespace (default: autogenerate)",
  "    -n, --name <name>     specify an optional free form name for the namespace",
  "    -s, --size <size>     specify the namespace size in bytes (default: available capacity)",
  "    -m, --mode <operation-mode>",
  "                          specify a mode for the namespace, 'sector', 'fsdax', 'devdax' or 'raw'",
  "    -M, --map <memmap-location>",
  "                          specify 'mem' or 'dev' for the location of the memmap",
  "    -l, --sector-size <lba-size>",
  "                          specify the logical sector size in bytes",
  "    -t, --type <type>     specify the type of namespace to create 'pmem' or 'blk'",
  "    -a, --align <align>   specify the namespace alignment in bytes (default: 2M)",
  "    -f, --force           reconfigure namespace even if currently active",
  "    -L, --autolabel       automatically initialize labels",
  "    -c, --continue        continue creating namespaces as long as the filter criteria are met",
  "    -R, --autorecover     automatically cleanup on failure",
  "",
];

const DAXCTL_BASE_OPTIONS = [
  "    -r, --region <region-id>",
  "                          filter by region",
  "    -u, --human           use human friendly number formats",
  "    -v, --verbose         emit more debug messages",
];

/** A tool run's stderr, and that it printed nothing on stdout. */
function usageRun(tool: "ndctl" | "daxctl", args: string[]): { rc: number; stderr: string[] } {
  const sys = bootSystem({ type: "pc", memory: 1024 * MiB, maxmem: 4096 * MiB, slots: 2, cmdline: [], nvdimms: [{ id: "nv1", size: 512 * MiB + 128 * 1024, label_size: 128 * 1024 }] }, { boot: "derive" });
  const r = applyStep(sys, { op: tool, args }) as { rc: number; stderr: string[]; stdout_json?: unknown; stdout?: unknown };
  assert.ok(!("stdout_json" in r) && !("stdout" in r), `${tool} ${args.join(" ")} printed on stdout`);
  return { rc: r.rc, stderr: r.stderr };
}

test("ndctl list refusing its arguments prints usage_with_options(): the usage line and list.c's option table, exit 129", () => {
  assert.deepEqual(usageRun("ndctl", ["list", "--bogus"]), { rc: 129, stderr: ["  Error: unknown option `bogus'", ...NDCTL_LIST_USAGE] });
  // error("unknown parameter \"%s\"\n"): the message's own newline leaves an empty line before the usage's.
  assert.deepEqual(usageRun("ndctl", ["list", "extra"]), { rc: 129, stderr: ['  Error: unknown parameter "extra"', "", ...NDCTL_LIST_USAGE] });
  // parse_options_step(): an unknown option's whole word after "--" is named, its value too.
  assert.deepEqual(usageRun("ndctl", ["list", "--bogus=1"]).stderr[0], "  Error: unknown option `bogus=1'");
  assert.deepEqual(usageRun("ndctl", ["list", "-RZ"]), { rc: 129, stderr: ["  Error: unknown switch `Z'", ...NDCTL_LIST_USAGE] });
  // -h is the parser's own help: the same text with no error, exit 129.
  assert.deepEqual(usageRun("ndctl", ["list", "-h"]), { rc: 129, stderr: NDCTL_LIST_USAGE });
  assert.deepEqual(usageRun("ndctl", ["list", "-R", "--help"]), { rc: 129, stderr: NDCTL_LIST_USAGE });
});

test("a bad value is parse_options_usage(): the usage line and only that option's line, exit 129", () => {
  assert.deepEqual(usageRun("ndctl", ["list", "-b"]), { rc: 129, stderr: ["  Error: switch `b' requires a value", "", " usage: ndctl list [<options>]", "", "    -b, --bus <bus-id>    filter by bus"] });
  assert.deepEqual(usageRun("ndctl", ["list", "--region"]), {
    rc: 129,
    stderr: ["  Error: option `region' requires a value", "", " usage: ndctl list [<options>]", "", "    -r, --region <region-id>", "                          filter by region"],
  });
  assert.deepEqual(usageRun("ndctl", ["list", "--idle=1"]), { rc: 129, stderr: ["  Error: option `idle' takes no value", "", " usage: ndctl list [<options>]", "", "    -i, --idle            include idle devices"] });
  assert.deepEqual(usageRun("ndctl", ["zero-labels", "-s", "1x", "nmem0"]), {
    rc: 129,
    stderr: ["  Error: switch `s' expects a numerical value", "", " usage: ndctl zero-labels <nmem0> [<nmem1>..<nmemN>] [<options>]", "", "    -s, --size <n>        number of label bytes to operate"],
  });
  // An ambiguous abbreviation names both options; no option's name starts the word, so no option line.
  assert.deepEqual(usageRun("ndctl", ["list", "--name=x"]), { rc: 129, stderr: ["  Error: Ambiguous option: name=x (could be --namespace or --namespaces)", "", " usage: ndctl list [<options>]", ""] });
  // check_typos(): "-idle" is a long option with one dash: the error alone, exit 129.
  assert.deepEqual(usageRun("ndctl", ["list", "-idle"]), { rc: 129, stderr: ["  Error: did you mean `--idle` (with two dashes ?)"] });
});

test("long options may be abbreviated to a unique prefix, and negated (parse_long_opt())", () => {
  const sys = bootSystem({ type: "pc", memory: 1024 * MiB, maxmem: 4096 * MiB, slots: 2, cmdline: [], nvdimms: [{ id: "nv1", size: 512 * MiB + 128 * 1024, label_size: 128 * 1024 }] }, { boot: "derive" });
  const full = ndctl(sys.kernel, ["list", "--numa-node=0", "--regions", "--idle"]);
  assert.equal(full.rc, 0);
  // "--numa" and "--reg=" are unique prefixes; "--no-bus" unsets a string, "--no-idl" is an abbreviated negation.
  const short = ndctl(sys.kernel, ["list", "--numa=0", "--regions", "-b", "x", "--no-bus", "--idle", "--no-idl", "--idle"]);
  assert.deepEqual([short.rc, short.stderr, short.stdout_json], [0, full.stderr, full.stdout_json]);
  // "--regi" could be --region or --regions.
  assert.equal(ndctl(sys.kernel, ["list", "--regi"]).stderr[0], "  Error: Ambiguous option: regi (could be --region or --regions)");
});

test("ndctl create-namespace, region and dimm commands print their own option tables", () => {
  assert.deepEqual(usageRun("ndctl", ["create-namespace", "--bogus"]), { rc: 129, stderr: ["  Error: unknown option `bogus'", ...NDCTL_CREATE_NAMESPACE_USAGE] });
  assert.deepEqual(usageRun("ndctl", ["create-namespace", "-t", "nvme"]), { rc: 129, stderr: ["  Error: invalid type 'nvme', must be either 'pmem' or 'blk'", "", ...NDCTL_CREATE_NAMESPACE_USAGE] });
  const destroy = [
    "",
    " usage: ndctl destroy-namespace <namespace> [<options>]",
    "",
    "    -b, --bus <bus-id>    limit namespace to a bus with an id or provider of <bus-id>",
    "    -r, --region <region-id>",
    "                          limit namespace to a region with an id or name of <region-id>",
    "    -v, --verbose         emit extra debug messages to stderr",
    "    -f, --force           destroy namespace even if currently active",
    "",
  ];
  assert.deepEqual(usageRun("ndctl", ["destroy-namespace"]), { rc: 129, stderr: ['  Error: specify a namespace to destroy, or "all"', "", ...destroy] });
  const disable = [
    "",
    " usage: ndctl disable-namespace <namespace> [<options>]",
    "",
    "    -b, --bus <bus-id>    limit namespace to a bus with an id or provider of <bus-id>",
    "    -r, --region <region-id>",
    "                          limit namespace to a region with an id or name of <region-id>",
    "    -v, --verbose         emit extra debug messages to stderr",
    "",
  ];
  assert.deepEqual(usageRun("ndctl", ["disable-namespace", "namespace0.0", "x"]), { rc: 129, stderr: ['  Error: unknown extra parameter "x"', "", ...disable] });
  // region.c's table has -b and -t only: no -v in v76.1.
  const region = ["", " usage: ndctl enable-region <region> [<options>]", "", "    -b, --bus <bus-id>    <region> must be on a bus with an id/provider of <bus-id>", "    -t, --type <region-type>", "                          <region> must be of the specified type", ""];
  assert.deepEqual(usageRun("ndctl", ["enable-region"]), { rc: 129, stderr: ['  Error: specify a specific region id to act on, or "all"', "", ...region] });
  assert.deepEqual(usageRun("ndctl", ["enable-region", "-v", "all"]), { rc: 129, stderr: ["  Error: unknown switch `v'", ...region] });
  assert.deepEqual(usageRun("ndctl", ["enable-region", "-t", "nvme", "all"]), { rc: 129, stderr: ["  Error: unknown region type 'nvme', should be 'pmem' or 'blk'", "", ...region] });
  // dimm.c: no dimm named is usage_with_options() with no message; init-labels has -f and -V, zero-labels -s and -O.
  const init = [
    "",
    " usage: ndctl init-labels <nmem0> [<nmem1>..<nmemN>] [<options>]",
    "",
    "    -b, --bus <bus-id>    <nmem> must be on a bus with an id/provider of <bus-id>",
    "    -v, --verbose         turn on debug",
    "    -f, --force           force initialization even if existing index-block present",
    "    -V, --label-version <version-number>",
    "                          namespace label specification version (default: 1.1)",
    "",
  ];
  assert.deepEqual(usageRun("ndctl", ["init-labels"]), { rc: 129, stderr: init });
  const zero = [
    "",
    " usage: ndctl zero-labels <nmem0> [<nmem1>..<nmemN>] [<options>]",
    "",
    "    -b, --bus <bus-id>    <nmem> must be on a bus with an id/provider of <bus-id>",
    "    -v, --verbose         turn on debug",
    "    -s, --size <n>        number of label bytes to operate",
    "    -O, --offset <n>      offset into the label area to start operation",
    "",
  ];
  assert.deepEqual(usageRun("ndctl", ["zero-labels", "dimm0"]), { rc: 129, stderr: ["'dimm0' is not a valid dimm name", ...zero] });
  assert.deepEqual(usageRun("ndctl", ["zero-labels", "-f", "nmem0"]), { rc: 129, stderr: ["  Error: unknown switch `f'", ...zero] });
  const enable = ["", " usage: ndctl enable-dimm <nmem0> [<nmem1>..<nmemN>] [<options>]", "", "    -b, --bus <bus-id>    <nmem> must be on a bus with an id/provider of <bus-id>", "    -v, --verbose         turn on debug", ""];
  assert.deepEqual(usageRun("ndctl", ["enable-dimm", "--force", "nmem0"]), { rc: 129, stderr: ["  Error: unknown option `force'", ...enable] });
  // A bad label version is no usage error: dimm_action() fails, the command says how many it did, exit 1.
  assert.deepEqual(usageRun("ndctl", ["init-labels", "-V", "2.0", "nmem0"]), { rc: 1, stderr: ["'2.0' is not a valid label version", "initialized 0 nmem"] });
});

test("daxctl list and the device commands print their own option tables", () => {
  const list = [
    "",
    " usage: daxctl list [<options>]",
    "",
    "    -r, --region <region-id>",
    "                          filter by region",
    "    -d, --dev <dev-id>    filter by dax device instance name",
    "    -D, --devices         include dax device info",
    "    -R, --regions         include dax region info",
    "    -M, --mappings        include dax mappings info",
    "    -i, --idle            include idle devices",
    "    -u, --human           use human friendly number formats ",
    "",
  ];
  assert.deepEqual(usageRun("daxctl", ["list", "--bogus"]), { rc: 129, stderr: ["  Error: unknown option `bogus'", ...list] });
  assert.deepEqual(usageRun("daxctl", ["list", "a", "b"]), { rc: 129, stderr: ['  Error: unknown parameter "a"', "", '  Error: unknown parameter "b"', "", ...list] });
  const reconfigure = [
    "",
    " usage: daxctl reconfigure-device <device> [<options>]",
    "",
    ...DAXCTL_BASE_OPTIONS,
    "    -s, --size <size>     size to switch the device to",
    "    -a, --align <align>   alignment to switch the device to",
    "        --input <input>   input device JSON file",
    "    -m, --mode <mode>     mode to switch the device to",
    "    -N, --no-online       don't auto-online memory sections",
    "    -f, --force           attempt to offline memory sections before reconfiguration",
    "    -C, --check-config    use config files to determine parameters for the operation",
    "        --no-movable      online memory in ZONE_NORMAL",
    "",
  ];
  assert.deepEqual(usageRun("daxctl", ["reconfigure-device"]), { rc: 129, stderr: ['specify a device to reconfigure, or "all"', ...reconfigure] });
  assert.deepEqual(usageRun("daxctl", ["reconfigure-device", "dax0.0"]), { rc: 129, stderr: ["error: a 'align', 'mode' or 'size' option is required", ...reconfigure] });
  assert.deepEqual(usageRun("daxctl", ["reconfigure-device", "-m", "devdax", "-N", "dax0.0"]), { rc: 129, stderr: ["--no-online is incompatible with --mode=devdax", ...reconfigure] });
  assert.deepEqual(usageRun("daxctl", ["reconfigure-device", "-C", "-m", "devdax", "dax0.0"]), { rc: 129, stderr: ["dax0.0: -C cannot be used with --mode, --(no-)movable, or --(no-)online", ...reconfigure] });
  const online = ["", " usage: daxctl online-memory <device> [<options>]", "", ...DAXCTL_BASE_OPTIONS, "        --no-movable      online memory in ZONE_NORMAL", ""];
  assert.deepEqual(usageRun("daxctl", ["online-memory", "--bogus"]), { rc: 129, stderr: ["  Error: unknown option `bogus'", ...online] });
  const offline = ["", " usage: daxctl offline-memory <device> [<options>]", "", ...DAXCTL_BASE_OPTIONS, ""];
  assert.deepEqual(usageRun("daxctl", ["offline-memory", "--no-movable", "dax0.0"]), { rc: 129, stderr: ["  Error: unknown option `no-movable'", ...offline] });
  // enable-device and disable-device have no "[<options>]" in their usage; cmd_enable_device() parses as ACTION_DISABLE.
  assert.deepEqual(usageRun("daxctl", ["enable-device"]), { rc: 129, stderr: ['specify a device to disable, or "all"', "", " usage: daxctl enable-device <device>", "", ...DAXCTL_BASE_OPTIONS, ""] });
  assert.deepEqual(usageRun("daxctl", ["disable-device", "-f", "dax0.0"]), { rc: 129, stderr: ["  Error: unknown switch `f'", "", " usage: daxctl disable-device <device>", "", ...DAXCTL_BASE_OPTIONS, ""] });
});

test("what ndctl and daxctl would do that memhp does not model is said so, not invented", () => {
  const sys = bootSystem({ type: "pc", memory: 1024 * MiB, cmdline: [] }, { boot: "derive" });
  for (const [tool, args] of [
    ["daxctl", ["reconfigure-device", "-C", "dax0.0"]],
    ["daxctl", ["reconfigure-device", "-s", "0", "dax0.0"]],
    ["ndctl", ["zero-labels", "-s", "256", "nmem0"]],
    ["ndctl", ["list", "--help"]],
    ["daxctl", ["list", "--list-opts"]],
  ] as const) {
    const r = applyStep(sys, { op: tool, args: [...args] }) as { error?: string; unsupported?: boolean };
    assert.equal(r.unsupported, true, `${tool} ${args.join(" ")}`);
    assert.match(r.error ?? "", /is not modelled$/);
  }
});
