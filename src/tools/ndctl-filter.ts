/**
 * ndctl's device filters and the walk `ndctl list` is built on: which
 * buses, DIMMs, regions and namespaces an identifier (-b, -d, -r, -n), a
 * namespace mode (-m), a region type (-t) and a NUMA node (-U) select.
 * Models ndctl/filter.c.
 */
import type { Kernel } from "../kernel/kernel.js";
import { sysfsDirExists } from "../kernel/sysfs.js";
import type { NdBus, NdDimm, NdNamespace, NdRegion } from "../kernel/drivers/nvdimm-core.js";
import { busDimms, busProvider, busRegions, type Ctx, EINVAL, type Mode, ndBuses, nsList, nsModeOf } from "./ndctl-lib.js";
import { scanPair } from "./tool-util.js";
import { cStrtoimax, cStrtoumax, U64_MAX } from "./c-strto.js";

/**
 * strtoul(s, &end, 0) accepted whole, as ndctl's filters take a device id:
 * the id, or null when the text is not entirely a number (or is ULONG_MAX,
 * which they use as "no id"). Negative numbers wrap as in C.
 */
function strtoulId(s: string): bigint | null {
  const r = cStrtoumax(s, 0);
  if (r.end === 0 || r.end !== s.length) return null;
  return r.value === U64_MAX ? null : r.value;
}

/** The words of an identifier as strtok_r(ident, " ") cuts them. */
function words(ident: string): string[] {
  return ident.split(" ").filter(Boolean);
}

/**
 * ndctl's util_{bus,region,dimm}_filter(): IDENT is space-separated words;
 * "all" matches everything. A quirk kept as ndctl has it: the id is parsed
 * from the first word for every word (strtok_r has cut the buffer there), so
 * a numeric first word compares ids only and a named first word names only.
 */
export function identFilter(ident: string | undefined, id: number, names: string[]): boolean {
  if (ident === undefined) return true;
  const ws = words(ident);
  const firstId = ws.length ? strtoulId(ws[0]) : null;
  for (const word of ws) {
    if (word === "all") return true;
    if (firstId !== null && firstId === BigInt(id)) return true;
    if (firstId === null && names.includes(word)) return true;
  }
  return false;
}

export function regionFilter(r: NdRegion, ident: string | undefined): boolean {
  return identFilter(ident, r.id, [r.name]);
}

export function busFilter(b: NdBus, ident: string | undefined): boolean {
  return identFilter(ident, b.id, [busProvider(b), b.name]);
}

export function dimmFilter(d: NdDimm, ident: string | undefined): boolean {
  return identFilter(ident, d.id, [d.name]);
}

/** util_namespace_filter(): a word is "all", the device name, or "X.Y" (region id X, namespace id Y). */
export function namespaceFilter(ns: NdNamespace, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  for (const word of words(ident)) {
    if (word === "all" || word === ns.name) return true;
    const xy = scanPair(word);
    if (xy && xy[0] === ns.region.id && xy[1] === ns.id) return true;
  }
  return false;
}

/** ndctl_dimm_foreach_in_region(): the DIMMs the region maps. */
function regionDimms(r: NdRegion): NdDimm[] {
  return r.mappings.map((m) => m.dimm);
}

/** The util_*_filter_by_*() checks: an absent identifier or exactly "all" passes without looking. */
function any(ident: string | undefined): boolean {
  return ident === undefined || ident === "all";
}

function busHasDimm(k: Kernel, b: NdBus, ident: string | undefined): boolean {
  return any(ident) || busDimms(k, b).some((d) => dimmFilter(d, ident));
}

function busHasRegion(k: Kernel, b: NdBus, ident: string | undefined): boolean {
  return any(ident) || busRegions(k, b).some((r) => regionFilter(r, ident));
}

function regionHasNamespace(r: NdRegion, ident: string | undefined): boolean {
  return any(ident) || nsList(r).some((ns) => namespaceFilter(ns, ident));
}

function busHasNamespace(k: Kernel, b: NdBus, ident: string | undefined): boolean {
  return any(ident) || busRegions(k, b).some((r) => regionHasNamespace(r, ident));
}

function regionHasDimm(r: NdRegion, ident: string | undefined): boolean {
  return any(ident) || regionDimms(r).some((d) => dimmFilter(d, ident));
}

/** util_dimm_filter_by_region() / _by_namespace(): the DIMM is in a region that matches (or holds a matching namespace). */
function dimmInRegion(k: Kernel, d: NdDimm, match: (r: NdRegion) => boolean): boolean {
  return busRegions(k, d.bus).some((r) => match(r) && regionDimms(r).includes(d));
}

/** util_nsmode(): the mode a -m value names ("memory", "safe" and "dax" are the old names), case-insensitively. */
export function nsmode(mode: string): Mode {
  const m = mode.toLowerCase();
  if (m === "memory" || m === "fsdax") return "fsdax";
  if (m === "sector" || m === "safe") return "sector";
  if (m === "dax" || m === "devdax") return "devdax";
  if (m === "raw") return "raw";
  return "unknown";
}

/** struct ndctl_filter_params: the identifiers given on the command line. */
export interface FilterParams {
  bus?: string;
  region?: string;
  type?: string;
  dimm?: string;
  mode?: string;
  namespace?: string;
  numaNode?: string;
}

/** struct ndctl_filter_ctx: called for each device that passes; bus and region return false to skip their children. */
export interface FilterCallbacks {
  bus(b: NdBus): boolean;
  dimm?: (d: NdDimm) => void;
  region(r: NdRegion): boolean;
  namespace?: (ns: NdNamespace) => void;
}

/** strtol(s, &end, 0) accepted whole, or null. */
function strtolWhole(s: string): number | null {
  const r = cStrtoimax(s, 0);
  return r.end === 0 || r.end !== s.length ? null : Number(r.value);
}

const NUMA_NO_NODE = -1;

/** ndctl_filter_walk(): checks the parameters (an error and -EINVAL when one is bad), then visits the matching devices bus by bus. */
export function ndctlFilterWalk(c: Ctx, cb: FilterCallbacks, p: FilterParams): number {
  const k = c.k;
  if (p.type !== undefined && p.type !== "pmem" && p.type !== "blk") {
    c.err.error(`unknown type "${p.type}" must be "pmem" or "blk"\n`);
    return EINVAL;
  }
  if (p.mode !== undefined && nsmode(p.mode) === "unknown") {
    c.err.error(`invalid mode: '${p.mode}'\n`);
    return EINVAL;
  }
  let numa = NUMA_NO_NODE;
  if (p.numaNode !== undefined && p.numaNode !== "all") {
    if (!sysfsDirExists(k, "/sys/devices/system/node")) {
      c.err.error("This system does not support NUMA");
      return EINVAL;
    }
    const n = strtolWhole(p.numaNode);
    if (n === null) {
      c.err.error(`invalid numa_node: '${p.numaNode}'\n`);
      return EINVAL;
    }
    numa = n;
  }
  // Every region the model has is a pmem region with a numa_node attribute.
  const typeOk = p.type !== "blk";
  const mode = p.mode === undefined ? null : nsmode(p.mode);
  for (const bus of ndBuses(k)) {
    if (!busFilter(bus, p.bus) || !busHasDimm(k, bus, p.dimm) || !busHasRegion(k, bus, p.region) || !busHasNamespace(k, bus, p.namespace)) continue;
    if (!cb.bus(bus)) continue;
    if (cb.dimm) {
      for (const d of busDimms(k, bus)) {
        if (!dimmFilter(d, p.dimm)) continue;
        if (!any(p.region) && !dimmInRegion(k, d, (r) => regionFilter(r, p.region))) continue;
        if (!any(p.namespace) && !dimmInRegion(k, d, (r) => nsList(r).some((ns) => namespaceFilter(ns, p.namespace)))) continue;
        if (numa !== NUMA_NO_NODE && !dimmInRegion(k, d, (r) => r.numaNode === numa)) continue;
        cb.dimm(d);
      }
    }
    for (const r of busRegions(k, bus)) {
      if (!regionFilter(r, p.region) || !regionHasDimm(r, p.dimm) || !regionHasNamespace(r, p.namespace)) continue;
      if (numa !== NUMA_NO_NODE && r.numaNode !== numa) continue;
      if (!typeOk) continue;
      if (!cb.region(r)) continue;
      if (!cb.namespace) continue;
      for (const ns of nsList(r)) {
        if (!namespaceFilter(ns, p.namespace)) continue;
        if (mode !== null && nsModeOf(k, ns) !== mode) continue;
        // The namespace's numa_node attribute is its region's.
        if (numa !== NUMA_NO_NODE && r.numaNode !== numa) continue;
        cb.namespace(ns);
      }
    }
  }
  return 0;
}
