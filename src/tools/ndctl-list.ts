/** `ndctl list` and its JSON (namespaces, regions, dimms, buses). Models ndctl/list.c and ndctl/json.c. */
import type { Kernel } from "../kernel/kernel.js";
import { dimmUniqueId } from "../kernel/drivers/nvdimm-dimm.js";
import { pfnSize } from "../kernel/drivers/nvdimm-pfn.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { regionAvailableSize, regionMaxAvailableExtent, regionSetCookie } from "../kernel/drivers/nvdimm-region.js";
import { ND_DEVICE, type NdDimm, type NdNamespace, type NdRegion, NULL_UUID, regionNstype } from "../kernel/drivers/nvdimm-core.js";
import { daxRegionForNd } from "./daxctl-lib.js";
import { daxRegionJson } from "./daxctl-list.js";
import { parseOptions, type ToolResult } from "./tool-util.js";
import { blockDevice, busDimms, busRegions, Ctx, type Loc, ndBuses, nsBtt, nsDax, nsIsActive, nsList, nsModeOf, nsPfn, pfnLocation, result, usage } from "./ndctl-lib.js";

/** util_namespace_to_json(). */
export function namespaceJson(k: Kernel, ns: NdNamespace, flags: { dax: boolean; daxDevs: boolean }): Record<string, unknown> | null {
  const j: Record<string, unknown> = { dev: ns.name };
  const btt = nsBtt(ns);
  const dax = nsDax(ns);
  const pfn = nsPfn(ns);
  const mode = nsModeOf(k, ns);
  let size: number | null = null;
  let loc: Loc = "none";
  switch (mode) {
    case "fsdax":
      if (pfn) {
        size = pfnSize(pfn);
        loc = pfnLocation(pfn);
      } else {
        size = ns.size;
        loc = "mem";
      }
      j.mode = "fsdax";
      break;
    case "devdax":
      if (!dax) return null;
      size = pfnSize(dax);
      j.mode = "devdax";
      loc = pfnLocation(dax);
      break;
    case "sector":
      if (!btt) return null;
      j.mode = "sector";
      size = btt.driver ? btt.size : null;
      break;
    case "raw":
      size = ns.size;
      j.mode = "raw";
      break;
  }
  if (mode !== "sector" && mode !== "raw") j.map = loc;
  if (size !== null) j.size = size;
  let align = 0;
  let bdev = "";
  if (btt) {
    j.uuid = btt.uuid ?? NULL_UUID;
    bdev = btt.disk?.name ?? "";
  } else if (pfn) {
    align = pfn.align;
    j.uuid = pfn.uuid ?? NULL_UUID;
    bdev = pfn.disk?.name ?? "";
  } else if (dax) {
    align = dax.align;
    j.uuid = dax.uuid ?? NULL_UUID;
    const region = daxRegionForNd(k, dax);
    if (flags.dax && region) {
      j.daxregion = daxRegionJson(k, region, { path: false, devices: flags.daxDevs, idle: false });
    } else if (region && region.devices.length) {
      j.chardev = region.devices[0].name;
    }
  } else if (ns.nstype !== "io") {
    j.uuid = ns.uuid ?? NULL_UUID;
    bdev = blockDevice(ns);
  } else {
    bdev = blockDevice(ns);
  }
  if (!dax) j.sector_size = btt ? btt.lbasize : ns.nstype === "pmem" && ns.lbasize ? ns.lbasize : 512;
  if (align) j.align = align;
  if (bdev) j.blockdev = bdev;
  if (!nsIsActive(k, ns)) j.state = "disabled";
  if (ns.altName) j.name = ns.altName;
  return j;
}

export interface ListFlags {
  buses?: boolean;
  dimms?: boolean;
  regions?: boolean;
  namespaces?: boolean;
  idle?: boolean;
  dax?: boolean;
}

export function regionEnabled(k: Kernel, r: NdRegion): boolean {
  ndFlush(k);
  return r.driver !== null;
}

function dimmJson(d: NdDimm): Record<string, unknown> {
  const j: Record<string, unknown> = d.cxl ? (d.cxlIdSecurity ? { dev: d.name, id: String(d.serial), security: "disabled" } : { dev: d.name }) : { dev: d.name, id: dimmUniqueId(d), handle: d.handle, phys_id: d.physId };
  if (!d.driver) j.state = "disabled";
  return j;
}

function regionJson(k: Kernel, r: NdRegion, list: ListFlags): Record<string, unknown> {
  const io = regionNstype(r) !== ND_DEVICE.NAMESPACE_PMEM;
  const j: Record<string, unknown> = {
    dev: r.name,
    size: r.size,
    align: r.align,
    available_size: io ? 0 : regionAvailableSize(r),
    max_available_extent: io ? 0 : regionMaxAvailableExtent(r),
    type: "pmem",
  };
  if (!io) {
    const c = regionSetCookie(r);
    if (c !== null) j.iset_id = Number(c);
  }
  if (list.dimms && r.mappings.length) {
    const maps = [...r.mappings].reverse().filter((m) => list.idle || m.dimm.driver);
    if (maps.length) j.mappings = maps.map((m) => ({ dimm: m.dimm.name, offset: m.start, length: m.size, position: m.position }));
  }
  if (!regionEnabled(k, r)) j.state = "disabled";
  j.persistence_domain = r.persistenceDomain ?? "unknown";
  return j;
}

/** `ndctl list` with the given flags: the JSON value it prints (undefined when it prints nothing). */
export function ndctlListJson(k: Kernel, list: ListFlags): unknown {
  ndFlush(k);
  // The accumulators of list.c's struct list_filter_arg.
  let jdimms: unknown[] | null = null;
  let jregions: Record<string, unknown>[] | null = null;
  let jnamespaces: unknown[] | null = null;
  let jbus: Record<string, unknown> | null = null;
  let jregion: Record<string, unknown> | null = null;
  const jbuses: Record<string, unknown>[] = [];
  for (const bus of ndBuses(k)) {
    if (list.buses) {
      jdimms = null;
      jregion = null;
      jregions = null;
      jnamespaces = null;
      jbus = { provider: bus.provider === "e820" ? "e820" : "ACPI.NFIT", dev: bus.name, scrub_state: "idle" };
      jbuses.push(jbus);
    }
    if (list.dimms) {
      for (const d of busDimms(k, bus)) {
        if (!list.idle && !d.driver) continue;
        if (!jdimms) {
          jdimms = [];
          if (jbus) jbus.dimms = jdimms;
        }
        jdimms.push(dimmJson(d));
      }
    }
    for (const r of busRegions(k, bus)) {
      if (list.regions) {
        if (!list.idle && !regionEnabled(k, r)) continue;
        if (!jregions) {
          jregions = [];
          if (jbus) jbus.regions = jregions;
        }
        jregion = regionJson(k, r, list);
        jnamespaces = null;
        jregions.push(jregion);
      }
      if (!list.namespaces) continue;
      for (const ns of nsList(r)) {
        if (!nsIsActive(k, ns) && !list.idle) continue;
        if (!jnamespaces) {
          jnamespaces = [];
          const container = jregion ?? jbus;
          if (container) container.namespaces = jnamespaces;
        }
        const jn = namespaceJson(k, ns, { dax: !!list.dax, daxDevs: !!list.dax });
        if (jn) jnamespaces.push(jn);
      }
    }
  }
  if (list.buses) return jbuses.length ? jbuses : undefined;
  const parts = (jdimms ? 1 : 0) + (jregions ? 1 : 0) + (jnamespaces ? 1 : 0);
  if (parts > 1) {
    const p: Record<string, unknown> = {};
    if (jdimms) p.dimms = jdimms;
    if (jregions) p.regions = jregions;
    if (jnamespaces && !jregions) p.namespaces = jnamespaces;
    return p;
  }
  if (jdimms) return jdimms;
  if (jregions) return jregions;
  if (jnamespaces) return jnamespaces;
  return undefined;
}

export function cmdList(k: Kernel, argv: string[]): ToolResult {
  const c = new Ctx(k);
  const po = parseOptions(argv.slice(1), [
    { short: "b", long: "bus", type: "string", key: "bus" },
    { short: "r", long: "region", type: "string", key: "region" },
    { short: "d", long: "dimm", type: "string", key: "dimm" },
    { short: "n", long: "namespace", type: "string", key: "namespace" },
    { short: "m", long: "mode", type: "string", key: "mode" },
    { short: "B", long: "buses", type: "bool", key: "buses" },
    { short: "D", long: "dimms", type: "bool", key: "dimms" },
    { short: "R", long: "regions", type: "bool", key: "regions" },
    { short: "N", long: "namespaces", type: "bool", key: "namespaces" },
    { short: "X", long: "device-dax", type: "bool", key: "dax" },
    { short: "i", long: "idle", type: "bool", key: "idle" },
    { short: "u", long: "human", type: "bool", key: "human" },
    { short: "v", long: "verbose", type: "incr", key: "verbose" },
  ]);
  if ("error" in po) {
    c.err.error(`${po.error}\n`);
    return usage(argv, c, "ndctl list [<options>]");
  }
  const o = po.opts;
  const flags: ListFlags = { buses: !!o.buses, dimms: !!o.dimms, regions: !!o.regions, namespaces: !!o.namespaces, idle: !!o.idle, dax: !!o.dax };
  if (!flags.buses && !flags.dimms && !flags.regions && !flags.namespaces) flags.namespaces = true;
  const json = ndctlListJson(k, flags);
  if (json !== undefined) c.stdoutJson = json;
  return result(argv, 0, c);
}
