/** libdaxctl: dax regions, a device's memory blocks and their state, and the command context. Models daxctl/lib/libdaxctl.c. */
import type { Kernel } from "../kernel/kernel.js";
import { sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import { daxParentPath, daxState, type DaxRegionParent, type DevDax, devDaxSize } from "../kernel/drivers/dax.js";
import { type NdPfn } from "../kernel/drivers/nvdimm-core.js";
import { readdirOrder } from "../kernel/kernfs.js";
import { displayJsonArray, neg, type OptionTable, type ParseFailure, scanInt, scanPair, Stderr, strerror, toolResult, type ToolResult, usageResult } from "./tool-util.js";

export const ENXIO = -6;
export const EBUSY = -16;
export const EINVAL = -22;
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
  return daxRegionOf(k, nd);
}

/** daxctl_new_region(): the region under an nd_dax device or a CXL dax_region device. */
function daxRegionOf(k: Kernel, parent: DaxRegionParent): DaxctlRegion {
  const r = daxState(k).regions.find((x) => x.parent === parent);
  const devices = daxState(k).devices.filter((d) => d.registered && d.region.parent === parent);
  const ordered = readdirOrder(devices.map((d) => d.name))
    .map((n) => devices.find((d) => d.name === n)!)
    .reverse();
  return {
    id: parent.kind === "cxl_dax_region" ? (r?.id ?? 0) : parent.region.id,
    path: daxParentPath(parent),
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
  const seen: DaxRegionParent[] = [];
  for (const n of order) {
    const d = devs.find((x) => x.name === n)!;
    if (!seen.includes(d.region.parent)) seen.push(d.region.parent);
  }
  return seen.reverse().map((p) => daxRegionOf(k, p));
}

/** util_daxctl_region_filter(): "all", or a region id as "%d" or "region%d". */
export function daxRegionFilter(r: DaxctlRegion, ident: string | undefined): boolean {
  if (ident === undefined || ident === "all") return true;
  const n = scanInt(ident) ?? (ident.startsWith("region") ? scanInt(ident, "region".length) : null);
  return n !== null && n.value === r.id;
}

/** util_daxctl_dev_filter(): "all", the device name, or "X.Y" (region id X, device id Y). */
export function daxDevFilter(d: DevDax, ident: string | undefined): boolean {
  if (ident === undefined || ident === "all" || ident === d.name) return true;
  const xy = scanPair(ident);
  return xy !== null && xy[0] === d.region.id && xy[1] === d.id;
}

export function enabled(d: DevDax): boolean {
  return d.driver !== null;
}

export function isSystemRam(d: DevDax): boolean {
  return d.driver === "kmem";
}

export function devResource(d: DevDax): number {
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

export function readAttr(k: Kernel, path: string): string | null {
  const r = sysfsRead(k, path);
  return r.ok ? r.value.replace(/\n$/, "") : null;
}

function memblockOnline(k: Kernel, name: string): boolean {
  return (readAttr(k, `/sys/devices/system/memory/${name}/state`) ?? "").startsWith("online");
}

/** daxctl_memory_op(MEM_COUNT). */
export function numSections(k: Kernel, d: DevDax): number {
  const m = memblocksOf(k, d);
  return m === null ? ENOENT : m.length;
}

/** daxctl_memory_op(MEM_IS_ONLINE). */
export function numOnline(k: Kernel, d: DevDax): number {
  const m = memblocksOf(k, d);
  if (m === null) return ENOENT;
  return m.filter((n) => memblockOnline(k, n)).length;
}

/** daxctl_memory_is_movable(): 1, 0, or a negative errno (a block offline). */
export function isMovable(k: Kernel, d: DevDax): number {
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
export function memoryOp(k: Kernel, d: DevDax, op: "online_movable" | "online" | "offline", err: Stderr): number {
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

export class Ctx {
  readonly err = new Stderr();
  json: unknown[] | null = null;
  /** -u: the devices reported print with human sizes, one alone as an object. */
  human = false;
  constructor(readonly k: Kernel) {}
  lib(fn: string, msg: string): void {
    this.err.log("libdaxctl", fn, msg);
  }
}

export function result(argv: string[], rc: number, c: Ctx): ToolResult {
  return toolResult("daxctl", argv, rc, c.err, c.json ? displayJsonArray(c.json, { human: c.human }, c.err) : undefined);
}

/**
 * daxctl's usage errors, all printed here: usage_with_options() of the
 * command's table (daxctl-options.ts), or when parse_options() stopped, the
 * text that goes with why. Exit 129, nothing on stdout.
 */
export function usage(argv: string[], c: Ctx, t: OptionTable, failure?: ParseFailure): ToolResult {
  c.json = null;
  return usageResult("daxctl", argv, c.err, t, failure);
}
