/**
 * daxctl 76 on the model: reconfigure-device (devdax <-> system-ram, with
 * the auto-online policy check and memory block onlining in the node
 * directory's readdir order), online-memory, offline-memory,
 * enable-device, disable-device and list. Follows daxctl/device.c,
 * daxctl/json.c, daxctl/list.c and daxctl/lib/libdaxctl.c: the same sysfs
 * writes (new_id/bind, remove_id/unbind, memoryN/state) in the same order.
 */
import type { Kernel } from "../kernel/kernel.js";
import { sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import { daxDriverBind, daxDriverIdStore, daxDriverUnbind, daxState, devDaxSize, type DevDax } from "../kernel/drivers/dax.js";
import { devPath, readdirOrder, type NdPfn } from "../kernel/drivers/nvdimm-core.js";
import { ndFlush } from "../kernel/drivers/nvdimm.js";
import { exitStatus, neg, parseOptions, Stderr, strerror, type ToolResult } from "./tool-util.js";

const ENXIO = -6;
const EBUSY = -16;
const EINVAL = -22;
const ENOENT = -2;

/** A daxctl region as libdaxctl sees it (the `dax_region` directory of an nd_dax device). */
export interface DaxctlRegion {
  id: number;
  /** sysfs path under /sys/devices. */
  path: string;
  size: number | null;
  align: number | null;
  available: number;
  devices: DevDax[];
}

/** daxctl_new_region() for an nd_dax device (what ndctl uses for its JSON). */
export function daxRegionForNd(k: Kernel, nd: NdPfn): DaxctlRegion | undefined {
  const r = daxState(k).regions.find((x) => x.parent === nd);
  const path = devPath(nd);
  const devices = daxState(k).devices.filter((d) => d.registered && d.region.parent === nd);
  const ordered = readdirOrder(devices.map((d) => d.name))
    .map((n) => devices.find((d) => d.name === n)!)
    .reverse();
  return {
    id: nd.region.id,
    path,
    size: r ? r.end - r.start + 1 : null,
    align: r ? r.align : null,
    available: r ? Math.max(0, r.end - r.start + 1 - r.devices.reduce((a, d) => a + devDaxSize(d), 0)) : 0,
    devices: ordered,
  };
}

/** daxctl_region_foreach(): regions discovered from /sys/bus/dax/devices, newest first. */
export function daxctlRegions(k: Kernel): DaxctlRegion[] {
  const devs = daxState(k).devices.filter((d) => d.registered);
  const order = readdirOrder(devs.map((d) => d.name));
  const seen: NdPfn[] = [];
  for (const n of order) {
    const d = devs.find((x) => x.name === n)!;
    if (!seen.includes(d.region.parent)) seen.push(d.region.parent);
  }
  return seen.reverse().map((nd) => daxRegionForNd(k, nd)!);
}

/* --------------------------------------------------- memory (libdaxctl) -- */

function enabled(d: DevDax): boolean {
  return d.driver !== null;
}

function isSystemRam(d: DevDax): boolean {
  return d.driver === "kmem";
}

function devResource(d: DevDax): number {
  return d.ranges[0]?.start ?? 0;
}

/** The memoryN entries of the target node's directory that fall in the device, in readdir order; null if the node directory does not exist. */
function memblocksOf(k: Kernel, d: DevDax): string[] | null {
  const nid = d.targetNode;
  if (nid < 0 || !k.nodeOnline.has(nid)) return null;
  const names = [...k.blocks.values()].filter((b) => b.nodeLinks.includes(nid)).map((b) => `memory${b.id}`);
  const bs = parseInt(readAttr(k, "/sys/devices/system/memory/block_size_bytes") ?? "0", 16);
  const start = devResource(d);
  const end = start + devDaxSize(d) - 1;
  return readdirOrder(names).filter((n) => {
    const idx = parseInt(readAttr(k, `/sys/devices/system/memory/${n}/phys_index`) ?? "0", 16);
    const res = idx * bs;
    return res >= start && res <= end;
  });
}

function readAttr(k: Kernel, path: string): string | null {
  const r = sysfsRead(k, path);
  return r.ok ? r.value.replace(/\n$/, "") : null;
}

function memblockOnline(k: Kernel, name: string): boolean {
  return (readAttr(k, `/sys/devices/system/memory/${name}/state`) ?? "").startsWith("online");
}

/** daxctl_memory_op(MEM_COUNT). */
function numSections(k: Kernel, d: DevDax): number {
  const m = memblocksOf(k, d);
  return m === null ? ENOENT : m.length;
}

/** daxctl_memory_op(MEM_IS_ONLINE). */
function numOnline(k: Kernel, d: DevDax): number {
  const m = memblocksOf(k, d);
  if (m === null) return ENOENT;
  return m.filter((n) => memblockOnline(k, n)).length;
}

/** daxctl_memory_is_movable(): 1, 0, or a negative errno (a block offline). */
function isMovable(k: Kernel, d: DevDax): number {
  const m = memblocksOf(k, d);
  if (m === null) return ENOENT;
  let zone: "Movable" | "Normal" | "mixed" | null = null;
  let inconsistent = false;
  for (const n of m) {
    if (!memblockOnline(k, n)) return ENXIO;
    const z = readAttr(k, `/sys/devices/system/memory/${n}/valid_zones`) ?? "";
    const cur = z === "Movable" ? "Movable" : z === "Normal" ? "Normal" : "mixed";
    if (zone === null) zone = cur;
    else if (zone !== cur) inconsistent = true;
  }
  if (inconsistent) zone = "mixed";
  return zone === "Movable" ? 1 : 0;
}

export function daxDeviceHasOnlineMemory(k: Kernel, d: DevDax): boolean {
  return isSystemRam(d) && numOnline(k, d) > 0;
}

/** Online (zone "online_movable" or "online") or offline each block; returns the count acted on or a negative errno. */
function memoryOp(k: Kernel, d: DevDax, op: "online_movable" | "online" | "offline", err: Stderr): number {
  const m = memblocksOf(k, d);
  if (m === null) {
    err.log("libdaxctl", "daxctl_memory_op", `${d.name}: Failed to get node_path\n`);
    return ENXIO;
  }
  let count = 0;
  for (const n of m) {
    const path = `/sys/devices/system/memory/${n}/state`;
    const online = memblockOnline(k, n);
    if (op === "offline") {
      if (!online) continue;
      const w = sysfsWrite(k, path, "offline");
      if (!w.ok) {
        if (!memblockOnline(k, n)) continue;
        err.log("libdaxctl", "offline_one_memblock", `${d.name}: Failed to offline ${path.replace("/sys/devices/system/memory", `/sys/devices/system/node/node${d.targetNode}`)}: ${strerror(neg(w.errno))}\n`);
        return neg(w.errno);
      }
      count++;
    } else {
      if (online) continue;
      const w = sysfsWrite(k, path, op);
      if (!w.ok) {
        if (memblockOnline(k, n)) {
          count++;
          continue;
        }
        return neg(w.errno);
      }
      count++;
    }
  }
  return count;
}

/* ---------------------------------------------------------------- JSON -- */

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

/* ------------------------------------------------------------ commands -- */

interface Params {
  mode?: string;
  noOnline: boolean;
  noMovable: boolean;
  force: boolean;
  verbose: boolean;
  region?: string;
}

class Ctx {
  readonly err = new Stderr();
  json: unknown[] | null = null;
  constructor(readonly k: Kernel) {}
  lib(fn: string, msg: string): void {
    this.err.log("libdaxctl", fn, msg);
  }
}

function devEnable(c: Ctx, d: DevDax, mode: "devdax" | "system-ram"): number {
  if (enabled(d)) return 0;
  const drv = mode === "devdax" ? "device_dax" : "kmem";
  // daxctl_bind(): new_id (which attaches), then bind; both quiet.
  daxDriverIdStore(c.k, drv, "new_id", d.name);
  const b = daxDriverBind(c.k, drv, d.name);
  if (!enabled(d)) {
    c.lib("daxctl_dev_enable", `${d.name}: failed to enable\n`);
    return b ? neg(b) : ENXIO;
  }
  return 0;
}

function devDisable(c: Ctx, d: DevDax): number {
  if (!enabled(d)) return 0;
  const drv = d.driver!;
  daxDriverIdStore(c.k, drv, "remove_id", d.name);
  daxDriverUnbind(c.k, drv, d.name);
  if (enabled(d)) {
    c.lib("daxctl_dev_disable", `${d.name}: failed to disable\n`);
    return EBUSY;
  }
  return 0;
}

function willAutoOnline(k: Kernel): boolean {
  return (readAttr(k, "/sys/devices/system/memory/auto_online_blocks") ?? "").startsWith("online");
}

function devOnlineMemory(c: Ctx, p: Params, d: DevDax): number {
  if (!isSystemRam(d)) {
    c.err.write(`${d.name}: failed to get the memory object\n`);
    return ENXIO;
  }
  const sections = numSections(c.k, d);
  if (sections < 0) {
    c.err.write(`${d.name}: failed to get number of memory sections\n`);
    return sections;
  }
  let on = numOnline(c.k, d);
  if (on < 0) {
    c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
    return on;
  }
  if (on)
    c.err.write(
      `${d.name}:\n  WARNING: detected a race while onlining memory\n  Some memory may not be in the expected zone. It is\n  recommended to disable any other onlining mechanisms,\n  and retry. If onlining is to be left to other agents,\n  use the --no-online option to suppress this warning\n`,
    );
  if (on === sections) {
    c.err.write(`${d.name}: all memory sections (${on}) already online\n`);
    return 1;
  }
  if (on > 0) c.err.write(`${d.name}: ${on} memory section${on === 1 ? "" : "s"} already online\n`);
  const rc = memoryOp(c.k, d, p.noMovable ? "online" : "online_movable", c.err);
  if (rc < 0) {
    c.err.write(`${d.name}: failed to online memory: ${strerror(rc)}\n`);
    return rc;
  }
  if (p.verbose) c.err.write(`${d.name}: ${rc} memory section${rc === 1 ? "" : "s"} onlined\n`);
  on = numOnline(c.k, d);
  if (on < 0) {
    c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
    return on;
  }
  if (on < sections) {
    c.err.write(`${d.name}: failed to online ${sections - on} memory sections\n`);
    return ENXIO;
  }
  return 0;
}

function devOfflineMemory(c: Ctx, p: Params, d: DevDax): number {
  if (!isSystemRam(d)) {
    c.err.write(`${d.name}: failed to get the memory object\n`);
    return ENXIO;
  }
  const sections = numSections(c.k, d);
  if (sections < 0) {
    c.err.write(`${d.name}: failed to get number of memory sections\n`);
    return sections;
  }
  let on = numOnline(c.k, d);
  if (on < 0) {
    c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
    return on;
  }
  const off = sections - on;
  if (off === sections) {
    c.err.write(`${d.name}: all memory sections (${off}) already offline\n`);
    return 1;
  }
  if (off) c.err.write(`${d.name}: ${off} memory section${off === 1 ? "" : "s"} already offline\n`);
  const rc = memoryOp(c.k, d, "offline", c.err);
  if (rc < 0) {
    c.err.write(`${d.name}: failed to offline memory: ${strerror(rc)}\n`);
    return rc;
  }
  if (p.verbose) c.err.write(`${d.name}: ${rc} memory section${rc === 1 ? "" : "s"} offlined\n`);
  on = numOnline(c.k, d);
  if (on < 0) {
    c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
    return on;
  }
  if (on) {
    c.err.write(`${d.name}: failed to offline ${on} memory sections\n`);
    return ENXIO;
  }
  return 0;
}

function reconfigSystemRam(c: Ctx, p: Params, d: DevDax): number {
  if (p.noOnline || !p.noMovable) {
    if (!p.force && willAutoOnline(c.k)) {
      c.err.write(`${d.name}: error: kernel policy will auto-online memory, aborting\n`);
      return EBUSY;
    }
  }
  let skipEnable = false;
  if (enabled(d)) {
    if (isSystemRam(d)) {
      c.err.write(`${d.name} was already in system-ram mode\n`);
      skipEnable = true;
    } else {
      const rc = devDisable(c, d);
      if (rc) {
        c.err.write(`${d.name}: disable failed: ${strerror(rc)}\n`);
        return rc;
      }
    }
  }
  if (!skipEnable) {
    const rc = devEnable(c, d, "system-ram");
    if (rc) return rc;
  }
  if (p.noOnline) return 0;
  return devOnlineMemory(c, p, d);
}

function reconfigDevdax(c: Ctx, p: Params, d: DevDax): number {
  if (enabled(d)) {
    if (!isSystemRam(d)) {
      c.err.write(`${d.name} was already in devdax mode\n`);
      return 1;
    }
    if (p.force) {
      const rc = devOfflineMemory(c, p, d);
      if (rc < 0) return rc;
    }
    const on = numOnline(c.k, d);
    if (on < 0) {
      c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
      return on;
    }
    if (on > 0) {
      if (p.verbose) {
        c.err.write(`${d.name}: found ${on} memory sections online\n`);
        c.err.write(`${d.name}: refusing to change modes\n`);
      }
      return EBUSY;
    }
    const rc = devDisable(c, d);
    if (rc) {
      c.err.write(`${d.name}: disable failed: ${strerror(rc)}\n`);
      return rc;
    }
  }
  return devEnable(c, d, "devdax");
}

type Action = "reconfigure" | "online" | "offline" | "enable" | "disable";

function devFilter(d: DevDax, ident: string): boolean {
  if (ident === "all") return true;
  if (ident === d.name) return true;
  const m = /^(\d+)\.(\d+)$/.exec(ident);
  return !!m && Number(m[1]) === d.region.id && Number(m[2]) === d.id;
}

function regionFilter(r: DaxctlRegion, ident: string | undefined): boolean {
  if (!ident || ident === "all") return true;
  if (/^\d+$/.test(ident)) return Number(ident) === r.id;
  return ident === `region${r.id}`;
}

function doDevice(c: Ctx, p: Params, d: DevDax, action: Action): number {
  switch (action) {
    case "reconfigure": {
      let rc: number;
      if (p.mode === "system-ram") rc = reconfigSystemRam(c, p, d);
      else if (p.mode === "devdax") rc = reconfigDevdax(c, p, d);
      else {
        c.err.write(`${d.name}: unknown mode requested: 0\n`);
        rc = EINVAL;
      }
      if (rc < 0) return rc;
      c.json = c.json ?? [];
      c.json.push(daxDevJson(c.k, d));
      return 0;
    }
    case "online":
    case "offline":
      if (!isSystemRam(d)) {
        c.err.write(`${d.name}: memory operations are not applicable in devdax mode\n`);
        return ENXIO;
      }
      return action === "online" ? devOnlineMemory(c, p, d) : devOfflineMemory(c, p, d);
    case "enable":
    case "disable": {
      if (isSystemRam(d)) {
        c.err.write(`${d.name}: status operations are only applicable in devdax mode\n`);
        return ENXIO;
      }
      const rc = action === "enable" ? devEnable(c, d, "devdax") : devDisable(c, d);
      if (rc) c.err.write(`${d.name}: ${action} failed: ${strerror(rc)}\n`);
      return rc;
    }
  }
}

function result(argv: string[], rc: number, c: Ctx): ToolResult {
  const r: ToolResult = { argv: ["daxctl", ...argv], rc: exitStatus(rc), stderr: c.err.lines() };
  if (c.json) r.stdout_json = c.json;
  return r;
}

function cmdDevice(k: Kernel, argv: string[], action: Action): ToolResult {
  const c = new Ctx(k);
  const specs = [
    { short: "r", long: "region", type: "string" as const, key: "region" },
    { short: "u", long: "human", type: "bool" as const, key: "human" },
    { short: "v", long: "verbose", type: "bool" as const, key: "verbose" },
    { short: "m", long: "mode", type: "string" as const, key: "mode" },
    { short: "N", long: "no-online", type: "bool" as const, key: "noOnline" },
    { short: "f", long: "force", type: "bool" as const, key: "force" },
    { short: "C", long: "check-config", type: "bool" as const, key: "check" },
    { short: "s", long: "size", type: "string" as const, key: "size" },
    { short: "a", long: "align", type: "string" as const, key: "align" },
    { long: "no-movable", type: "bool" as const, key: "noMovable" },
  ];
  const po = parseOptions(argv.slice(1), specs);
  const text = { reconfigure: "daxctl reconfigure-device <device> [<options>]", online: "daxctl online-memory <device> [<options>]", offline: "daxctl offline-memory <device> [<options>]", enable: "daxctl enable-device <device> [<options>]", disable: "daxctl disable-device <device> [<options>]" }[action];
  if ("error" in po) {
    c.err.error(`${po.error}\n`);
    c.err.write(`\n usage: ${text}\n\n`);
    return result(argv, 129, c);
  }
  const o = po.opts;
  const p: Params = {
    mode: typeof o.mode === "string" ? o.mode : undefined,
    noOnline: o.noOnline === true,
    noMovable: o.noMovable === true,
    force: o.force === true,
    verbose: o.verbose === true,
    region: typeof o.region === "string" ? o.region : undefined,
  };
  let bad = false;
  if (po.args.length === 0) {
    const what = { reconfigure: "reconfigure", online: "online memory for", offline: "offline memory for", enable: "enable", disable: "disable" }[action];
    c.err.write(`specify a device to ${what}, or "all"\n`);
    bad = true;
  }
  for (let i = 1; i < po.args.length; i++) {
    c.err.write(`unknown extra parameter "${po.args[i]}"\n`);
    bad = true;
  }
  if (action === "reconfigure" && !bad) {
    if (!p.mode && o.size === undefined && o.align === undefined) {
      c.err.write("error: a 'align', 'mode' or 'size' option is required\n");
      bad = true;
    } else if (p.mode === "devdax" && p.noOnline) {
      c.err.write("--no-online is incompatible with --mode=devdax\n");
      bad = true;
    }
  }
  if (bad) {
    c.err.write(`\n usage: ${text}\n\n`);
    return result(argv, 129, c);
  }
  const device = po.args[0].replace(/^.*\//, "");
  ndFlush(k);
  let rc = ENXIO;
  let processed = 0;
  for (const r of daxctlRegions(k)) {
    if (!regionFilter(r, p.region)) continue;
    for (const d of r.devices) {
      if (!devFilter(d, device)) continue;
      rc = doDevice(c, p, d, action);
      if (rc === 0) processed++;
    }
  }
  ndFlush(k);
  const verb = { reconfigure: ["reconfiguring devices", "reconfigured"], online: ["onlining memory", "onlined memory for"], offline: ["offlining memory", "offlined memory for"], enable: ["enabling devices", "enabled"], disable: ["disabling devices", "disabled"] }[action];
  if (rc < 0) c.err.write(`error ${verb[0]}: ${strerror(rc)}\n`);
  c.err.write(`${verb[1]} ${processed} device${processed === 1 ? "" : "s"}\n`);
  return result(argv, rc, c);
}

function cmdList(k: Kernel, argv: string[]): ToolResult {
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

/** Run `daxctl <argv…>` against the kernel model. */
export function daxctl(k: Kernel, argv: string[]): ToolResult {
  switch (argv[0]) {
    case "reconfigure-device":
      return cmdDevice(k, argv, "reconfigure");
    case "online-memory":
      return cmdDevice(k, argv, "online");
    case "offline-memory":
      return cmdDevice(k, argv, "offline");
    case "enable-device":
      return cmdDevice(k, argv, "enable");
    case "disable-device":
      return cmdDevice(k, argv, "disable");
    case "list":
      return cmdList(k, argv);
  }
  const c = new Ctx(k);
  c.err.write(`daxctl: '${argv[0] ?? ""}' is not a daxctl command. See 'daxctl --help'.\n`);
  return result(argv, 1, c);
}

export { EINVAL };
