/**
 * daxctl's option tables and usage lines as v76.1 has them (daxctl/list.c,
 * daxctl/device.c): every option of a command in table order, since
 * usage_with_options() prints them all.
 */
import type { OptionTable, OptSpec } from "./parse-options.js";

/** daxctl list (cmd_list()). */
export const LIST_TABLE: OptionTable = {
  usage: "daxctl list [<options>]",
  options: [
    { short: "r", long: "region", type: "string", key: "region", argh: "region-id", help: "filter by region" },
    { short: "d", long: "dev", type: "string", key: "dev", argh: "dev-id", help: "filter by dax device instance name" },
    { short: "D", long: "devices", type: "bool", key: "devs", help: "include dax device info" },
    { short: "R", long: "regions", type: "bool", key: "regions", help: "include dax region info" },
    { short: "M", long: "mappings", type: "bool", key: "mappings", help: "include dax mappings info" },
    { short: "i", long: "idle", type: "bool", key: "idle", help: "include idle devices" },
    // The help ends in a space in list.c.
    { short: "u", long: "human", type: "bool", key: "human", help: "use human friendly number formats " },
  ],
};

/** device.c BASE_OPTIONS(). -v also raises libdaxctl's log level to debug, whose messages memhp does not print. */
const BASE: OptSpec[] = [
  { short: "r", long: "region", type: "string", key: "region", argh: "region-id", help: "filter by region" },
  { short: "u", long: "human", type: "bool", key: "human", help: "use human friendly number formats" },
  { short: "v", long: "verbose", type: "bool", key: "verbose", help: "emit more debug messages" },
];

/**
 * device.c CREATE_OPTIONS() (also in reconfigure-device's table): a new
 * size or align is a resize memhp does not model (the command says so);
 * --input is read by create-device only, reconfigure-device ignores it.
 */
const CREATE: OptSpec[] = [
  { short: "s", long: "size", type: "string", key: "size", argh: "size", help: "size to switch the device to" },
  { short: "a", long: "align", type: "string", key: "align", argh: "align", help: "alignment to switch the device to" },
  { long: "input", type: "string", key: "input", argh: "input", help: "input device JSON file" },
];

/** device.c RECONFIG_OPTIONS(). -C reads daxctl's config files, which memhp does not model (the command says so). */
const RECONFIG: OptSpec[] = [
  { short: "m", long: "mode", type: "string", key: "mode", argh: "mode", help: "mode to switch the device to" },
  { short: "N", long: "no-online", type: "bool", key: "noOnline", help: "don't auto-online memory sections" },
  { short: "f", long: "force", type: "bool", key: "force", help: "attempt to offline memory sections before reconfiguration" },
  { short: "C", long: "check-config", type: "bool", key: "check", help: "use config files to determine parameters for the operation" },
];

/** device.c ZONE_OPTIONS(). */
const ZONE: OptSpec[] = [{ long: "no-movable", type: "bool", key: "noMovable", help: "online memory in ZONE_NORMAL" }];

export type DeviceAction = "reconfigure" | "online" | "offline" | "enable" | "disable";

/** reconfig_options, online_options, offline_options, enable_options, disable_options with their commands' usage lines. */
export const DEVICE_TABLES: Readonly<Record<DeviceAction, OptionTable>> = {
  reconfigure: { usage: "daxctl reconfigure-device <device> [<options>]", options: [...BASE, ...CREATE, ...RECONFIG, ...ZONE] },
  online: { usage: "daxctl online-memory <device> [<options>]", options: [...BASE, ...ZONE] },
  offline: { usage: "daxctl offline-memory <device> [<options>]", options: BASE },
  enable: { usage: "daxctl enable-device <device>", options: BASE },
  disable: { usage: "daxctl disable-device <device>", options: BASE },
};
