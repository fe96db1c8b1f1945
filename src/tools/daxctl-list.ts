/** `daxctl list` and its JSON. Models daxctl/list.c and daxctl/json.c. */
import type { Kernel } from "../kernel/kernel.js";
import { type DevDax, devDaxSize } from "../kernel/drivers/dax.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { parseOptions, type ToolResult } from "./tool-util.js";
import { Ctx, type DaxctlRegion, daxctlRegions, devResource, enabled, isMovable, isSystemRam, numOnline, numSections, result } from "./daxctl-lib.js";

/** util_daxctl_dev_to_json(). */
export function daxDevJson(k: Kernel, d: DevDax): Record<string, unknown> {
  const j: Record<string, unknown> = { chardev: d.name, size: devDaxSize(d) };
  if (d.targetNode >= 0) j.target_node = d.targetNode;
  if (d.align > 0) j.align = d.align;
  const mem = isSystemRam(d);
  j.mode = mem ? "system-ram" : "devdax";
  if (mem && devResource(d) !== 0) {
    const sections = numSections(k, d);
    const online = numOnline(k, d);
    j.online_memblocks = online;
    j.total_memblocks = sections;
    const mv = isMovable(k, d);
    if (mv === 1) j.movable = true;
    else if (mv === 0) j.movable = false;
  }
  if (!enabled(d)) j.state = "disabled";
  return j;
}

/** util_daxctl_region_to_json(). */
export function daxRegionJson(k: Kernel, r: DaxctlRegion, o: { path: boolean; devices: boolean; idle: boolean }): Record<string, unknown> {
  const j: Record<string, unknown> = {};
  // The /sys/devices prefix is trimmed.
  if (o.path) j.path = r.path.replace(/^\/devices/, "");
  j.id = r.id;
  if (r.size !== null) j.size = r.size;
  if (r.available) j.available_size = r.available;
  if (r.align !== null) j.align = r.align;
  if (!o.devices) return j;
  const devs = r.devices.filter((d) => o.idle || devDaxSize(d) > 0).map((d) => daxDevJson(k, d));
  if (devs.length) j.devices = devs;
  return j;
}

/** `daxctl list` output as JSON (undefined: prints nothing). */
export function daxctlListJson(k: Kernel, o: { regions: boolean; devices: boolean; idle: boolean }): unknown {
  ndFlush(k);
  const regions = daxctlRegions(k);
  if (o.regions) {
    const out = regions.map((r) => daxRegionJson(k, r, { path: true, devices: o.devices, idle: o.idle }));
    return out.length ? out : undefined;
  }
  if (o.devices) {
    const devs = regions.flatMap((r) => r.devices.filter((d) => o.idle || devDaxSize(d) > 0)).map((d) => daxDevJson(k, d));
    return devs.length ? devs : undefined;
  }
  return undefined;
}

export function cmdList(k: Kernel, argv: string[]): ToolResult {
  const c = new Ctx(k);
  const po = parseOptions(argv.slice(1), [
    { short: "r", long: "region", type: "string", key: "region" },
    { short: "d", long: "dev", type: "string", key: "dev" },
    { short: "D", long: "devices", type: "bool", key: "devs" },
    { short: "R", long: "regions", type: "bool", key: "regions" },
    { short: "M", long: "mappings", type: "bool", key: "mappings" },
    { short: "i", long: "idle", type: "bool", key: "idle" },
    { short: "u", long: "human", type: "bool", key: "human" },
  ]);
  if ("error" in po) {
    c.err.error(`${po.error}\n`);
    c.err.write("\n usage: daxctl list [<options>]\n\n");
    return result(argv, 129, c);
  }
  let regions = po.opts.regions === true;
  let devices = po.opts.devs === true;
  if (!regions && !devices) {
    regions = typeof po.opts.region === "string";
    devices = typeof po.opts.dev === "string";
  }
  if (!regions && !devices) devices = true;
  const json = daxctlListJson(k, { regions, devices, idle: po.opts.idle === true });
  const r = result(argv, 0, c);
  if (json !== undefined) r.stdout_json = json;
  return r;
}
