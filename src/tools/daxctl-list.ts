/** `daxctl list` and its JSON. Models daxctl/list.c and daxctl/json.c. */
import type { Kernel } from "../kernel/kernel.js";
import { type DevDax, devDaxSize } from "../kernel/drivers/dax.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { displayJsonArray, type JsonFlags, jsonHex, jsonSize, parseCommand, type ToolResult } from "./tool-util.js";
import { LIST_TABLE } from "./daxctl-options.js";
import { Ctx, type DaxctlRegion, daxctlRegions, daxDevFilter, daxRegionFilter, devResource, enabled, isMovable, isSystemRam, numOnline, numSections, result, usage } from "./daxctl-lib.js";

type Json = Record<string, unknown>;

/**
 * util_daxctl_mapping_to_json() for each mappingN of the device (one per
 * range; page_offset counts the pages of the ranges before it). libdaxctl
 * lists them newest first.
 */
function mappingsJson(k: Kernel, d: DevDax, f: JsonFlags): Json[] {
  let pgoff = 0;
  const out: Json[] = [];
  for (const r of d.ranges) {
    const size = r.end - r.start + 1;
    out.push({ page_offset: jsonHex(pgoff, f), start: jsonHex(r.start, f), end: jsonHex(r.end, f), size: jsonSize(size, f) });
    pgoff += Math.floor(size / k.geometry.pageSize);
  }
  return out.reverse();
}

/** util_daxctl_dev_to_json(). */
export function daxDevJson(k: Kernel, d: DevDax, f: JsonFlags = {}): Json {
  const j: Json = { chardev: d.name, size: jsonSize(devDaxSize(d), f) };
  if (d.targetNode >= 0) j.target_node = d.targetNode;
  if (d.align > 0) j.align = jsonSize(d.align, f);
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
  if (f.daxMappings) {
    const maps = mappingsJson(k, d, f);
    if (maps.length) j.mappings = maps;
  }
  return j;
}

/** util_daxctl_devs_to_list(): the region's devices that pass the filter (sized ones only, unless idle or configured ones are asked for). */
function devsJson(k: Kernel, r: DaxctlRegion, ident: string | undefined, f: JsonFlags): Json[] {
  return r.devices.filter((d) => daxDevFilter(d, ident) && (f.idle || f.configured || devDaxSize(d) > 0)).map((d) => daxDevJson(k, d, f));
}

/** util_daxctl_region_to_json(): "path" (trimmed of /sys/devices) unless the caller is ndctl (flag dax), "devices" with daxDevs. */
export function daxRegionJson(k: Kernel, r: DaxctlRegion, f: JsonFlags, ident?: string): Json {
  const j: Json = {};
  if (!f.dax) j.path = r.path.replace(/^\/devices/, "");
  j.id = r.id;
  if (r.size !== null) j.size = jsonSize(r.size, f);
  if (r.available) j.available_size = jsonSize(r.available, f);
  if (r.align !== null) j.align = r.align;
  if (!f.daxDevs) return j;
  const devs = devsJson(k, r, ident, f);
  if (devs.length) j.devices = devs;
  return j;
}

export interface DaxctlListOptions {
  regions?: boolean;
  devices?: boolean;
  mappings?: boolean;
  idle?: boolean;
  human?: boolean;
  /** -r and -d. */
  region?: string;
  dev?: string;
}

/** cmd_list() after option parsing: the JSON it prints (undefined: nothing). */
function listJson(k: Kernel, o: DaxctlListOptions, c: Ctx): unknown {
  ndFlush(k);
  let regions = !!o.regions;
  let devs = !!o.devices;
  if (!regions && !devs) {
    regions = o.region !== undefined;
    devs = o.dev !== undefined;
  }
  if (!regions && !devs) devs = true;
  const f: JsonFlags = { daxDevs: devs, daxMappings: o.mappings, idle: o.idle, human: o.human };
  let jregions: Json[] | null = null;
  let jdevs: Json[] | null = null;
  for (const r of daxctlRegions(k)) {
    if (!daxRegionFilter(r, o.region)) continue;
    if (regions) {
      jregions = jregions ?? [];
      jregions.push(daxRegionJson(k, r, f, o.dev));
    } else {
      const list = devsJson(k, r, o.dev, f);
      if (list.length) jdevs = [...(jdevs ?? []), ...list];
    }
  }
  if (jregions) return displayJsonArray(jregions, f, c.err);
  if (jdevs) return displayJsonArray(jdevs, f, c.err);
  return undefined;
}

/** `daxctl list` output as JSON (undefined: prints nothing). */
export function daxctlListJson(k: Kernel, o: DaxctlListOptions): unknown {
  return listJson(k, o, new Ctx(k));
}

export function cmdList(k: Kernel, argv: string[]): ToolResult {
  const c = new Ctx(k);
  const po = parseCommand(argv, LIST_TABLE);
  if ("error" in po) return usage(argv, c, LIST_TABLE, po);
  if (po.args.length) {
    for (const a of po.args) c.err.error(`unknown parameter "${a}"\n`);
    return usage(argv, c, LIST_TABLE);
  }
  const o = po.opts;
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const json = listJson(k, { regions: o.regions === true, devices: o.devs === true, mappings: o.mappings === true, idle: o.idle === true, human: o.human === true, region: str(o.region), dev: str(o.dev) }, c);
  const r = result(argv, 0, c);
  if (json !== undefined) r.stdout_json = json;
  return r;
}
