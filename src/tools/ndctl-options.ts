/**
 * ndctl's option tables and usage lines as v76.1 has them (ndctl/list.c,
 * ndctl/namespace.c, ndctl/region.c, ndctl/dimm.c): every option of a
 * command, in table order, with its argument name and help, since
 * usage_with_options() prints them all, including the ones whose effect
 * memhp does not model (each says what becomes of it).
 */
import type { OptionTable, OptSpec } from "./parse-options.js";

/** ndctl list (cmd_list()). -F and -H add the firmware and health objects, which need DSM commands QEMU's DIMMs do not have: they print nothing more here either (ndctl-json.ts). */
export const LIST_TABLE: OptionTable = {
  usage: "ndctl list [<options>]",
  options: [
    { short: "b", long: "bus", type: "string", key: "bus", argh: "bus-id", help: "filter by bus" },
    { short: "r", long: "region", type: "string", key: "region", argh: "region-id", help: "filter by region" },
    { short: "d", long: "dimm", type: "string", key: "dimm", argh: "dimm-id", help: "filter by dimm" },
    { short: "n", long: "namespace", type: "string", key: "namespace", argh: "namespace-id", help: "filter by namespace id" },
    { short: "m", long: "mode", type: "string", key: "mode", argh: "namespace-mode", help: "filter by namespace mode" },
    { short: "t", long: "type", type: "string", key: "type", argh: "region-type", help: "filter by region-type" },
    { short: "U", long: "numa-node", type: "string", key: "numaNode", argh: "numa node", help: "filter by numa node" },
    { short: "B", long: "buses", type: "bool", key: "buses", help: "include bus info" },
    { short: "D", long: "dimms", type: "bool", key: "dimms", help: "include dimm info" },
    { short: "F", long: "firmware", type: "bool", key: "firmware", help: "include firmware info" },
    { short: "H", long: "health", type: "bool", key: "health", help: "include dimm health" },
    { short: "R", long: "regions", type: "bool", key: "regions", help: "include region info" },
    { short: "N", long: "namespaces", type: "bool", key: "namespaces", help: "include namespace info (default)" },
    { short: "X", long: "device-dax", type: "bool", key: "dax", help: "include device-dax info" },
    { short: "C", long: "capabilities", type: "bool", key: "capabilities", help: "include region capability info" },
    { short: "i", long: "idle", type: "bool", key: "idle", help: "include idle devices" },
    { short: "c", long: "configured", type: "bool", key: "configured", help: "include configured namespaces, disabled or not" },
    { short: "M", long: "media-errors", type: "bool", key: "mediaErrors", help: "include media errors" },
    // The help ends in a space in list.c.
    { short: "u", long: "human", type: "bool", key: "human", help: "use human friendly number formats " },
    { short: "v", long: "verbose", type: "incr", key: "verbose", help: "increase output detail" },
  ],
};

/** namespace.c BASE_OPTIONS(). -v raises libndctl's log level to debug, whose messages memhp does not print. */
const NAMESPACE_BASE: OptSpec[] = [
  { short: "b", long: "bus", type: "string", key: "bus", argh: "bus-id", help: "limit namespace to a bus with an id or provider of <bus-id>" },
  { short: "r", long: "region", type: "string", key: "region", argh: "region-id", help: "limit namespace to a region with an id or name of <region-id>" },
  { short: "v", long: "verbose", type: "bool", key: "verbose", help: "emit extra debug messages to stderr" },
];

/** namespace.c CREATE_OPTIONS(). */
const NAMESPACE_CREATE: OptSpec[] = [
  { short: "e", long: "reconfig", type: "string", key: "reconfig", argh: "reconfig namespace", help: "reconfigure existing namespace" },
  { short: "u", long: "uuid", type: "string", key: "uuid", argh: "uuid", help: "specify the uuid for the namespace (default: autogenerate)" },
  { short: "n", long: "name", type: "string", key: "name", argh: "name", help: "specify an optional free form name for the namespace" },
  { short: "s", long: "size", type: "string", key: "size", argh: "size", help: "specify the namespace size in bytes (default: available capacity)" },
  { short: "m", long: "mode", type: "string", key: "mode", argh: "operation-mode", help: "specify a mode for the namespace, 'sector', 'fsdax', 'devdax' or 'raw'" },
  { short: "M", long: "map", type: "string", key: "map", argh: "memmap-location", help: "specify 'mem' or 'dev' for the location of the memmap" },
  { short: "l", long: "sector-size", type: "string", key: "sectorSize", argh: "lba-size", help: "specify the logical sector size in bytes" },
  { short: "t", long: "type", type: "string", key: "type", argh: "type", help: "specify the type of namespace to create 'pmem' or 'blk'" },
  { short: "a", long: "align", type: "string", key: "align", argh: "align", help: "specify the namespace alignment in bytes (default: 2M)" },
  { short: "f", long: "force", type: "bool", key: "force", help: "reconfigure namespace even if currently active" },
  { short: "L", long: "autolabel", type: "bool", key: "autolabel", help: "automatically initialize labels" },
  { short: "c", long: "continue", type: "bool", key: "greedy", help: "continue creating namespaces as long as the filter criteria are met" },
  { short: "R", long: "autorecover", type: "bool", key: "autorecover", help: "automatically cleanup on failure" },
];

export type NamespaceAction = "create" | "destroy" | "enable" | "disable";

/** create_options, destroy_options and base_options (enable, disable), with parse_namespace_options()'s usage line. */
export const NAMESPACE_TABLES: Readonly<Record<NamespaceAction, OptionTable>> = {
  create: { usage: "ndctl create-namespace [<options>]", options: [...NAMESPACE_BASE, ...NAMESPACE_CREATE] },
  destroy: {
    usage: "ndctl destroy-namespace <namespace> [<options>]",
    options: [...NAMESPACE_BASE, { short: "f", long: "force", type: "bool", key: "force", help: "destroy namespace even if currently active" }],
  },
  enable: { usage: "ndctl enable-namespace <namespace> [<options>]", options: NAMESPACE_BASE },
  disable: { usage: "ndctl disable-namespace <namespace> [<options>]", options: NAMESPACE_BASE },
};

/** region.c region_options: -b and -t (no -v in v76.1). */
const REGION_OPTIONS: OptSpec[] = [
  { short: "b", long: "bus", type: "string", key: "bus", argh: "bus-id", help: "<region> must be on a bus with an id/provider of <bus-id>" },
  { short: "t", long: "type", type: "string", key: "type", argh: "region-type", help: "<region> must be of the specified type" },
];

export const REGION_TABLES: Readonly<Record<"enable" | "disable", OptionTable>> = {
  enable: { usage: "ndctl enable-region <region> [<options>]", options: REGION_OPTIONS },
  disable: { usage: "ndctl disable-region <region> [<options>]", options: REGION_OPTIONS },
};

/** dimm.c BASE_OPTIONS(). -v raises libndctl's log level to debug, whose messages memhp does not print. */
const DIMM_BASE: OptSpec[] = [
  { short: "b", long: "bus", type: "string", key: "bus", argh: "bus-id", help: "<nmem> must be on a bus with an id/provider of <bus-id>" },
  { short: "v", long: "verbose", type: "bool", key: "verbose", help: "turn on debug" },
];

export type DimmAction = "init-labels" | "zero-labels" | "enable-dimm" | "disable-dimm";

/** init_options (INIT_OPTIONS()), zero_options (LABEL_OPTIONS(): a part of the label area; memhp zeroes it all only) and base_options. */
export const DIMM_TABLES: Readonly<Record<DimmAction, OptionTable>> = {
  "init-labels": {
    usage: "ndctl init-labels <nmem0> [<nmem1>..<nmemN>] [<options>]",
    options: [
      ...DIMM_BASE,
      { short: "f", long: "force", type: "bool", key: "force", help: "force initialization even if existing index-block present" },
      { short: "V", long: "label-version", type: "string", key: "labelversion", argh: "version-number", help: "namespace label specification version (default: 1.1)" },
    ],
  },
  "zero-labels": {
    usage: "ndctl zero-labels <nmem0> [<nmem1>..<nmemN>] [<options>]",
    options: [
      ...DIMM_BASE,
      { short: "s", long: "size", type: "uint", key: "len", help: "number of label bytes to operate" },
      { short: "O", long: "offset", type: "uint", key: "offset", help: "offset into the label area to start operation" },
    ],
  },
  "enable-dimm": { usage: "ndctl enable-dimm <nmem0> [<nmem1>..<nmemN>] [<options>]", options: DIMM_BASE },
  "disable-dimm": { usage: "ndctl disable-dimm <nmem0> [<nmem1>..<nmemN>] [<options>]", options: DIMM_BASE },
};
