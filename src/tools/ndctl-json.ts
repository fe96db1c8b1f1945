/**
 * The JSON ndctl prints for buses, DIMMs, regions (with their mappings and
 * capabilities) and namespaces. Models ndctl/json.c and region_to_json() of
 * ndctl/list.c. Sizes and hex values follow the --human flag (tool-util.ts).
 *
 * Not modelled: badblocks (the model's media has none, so "badblock_count"
 * and "badblocks" never appear), and the firmware and health objects, which
 * need DSM commands (firmware info, SMART) that neither QEMU's NFIT DIMMs
 * nor CXL nmems offer: ndctl then leaves them out.
 */
import type { Kernel } from "../kernel/kernel.js";
import { dimmUniqueId } from "../kernel/drivers/nvdimm-dimm.js";
import { pfnSize, pfnSupportedAlignments } from "../kernel/drivers/nvdimm-pfn.js";
import { BTT_LBASIZE_SUPPORTED } from "../kernel/drivers/nvdimm-btt.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { regionAvailableSize, regionMaxAvailableExtent, regionSetCookie } from "../kernel/drivers/nvdimm-region.js";
import { ND_DEVICE, type NdBus, type NdDimm, type NdMapping, type NdNamespace, type NdRegion, NULL_UUID, regionNstype } from "../kernel/drivers/nvdimm-core.js";
import { daxRegionForNd } from "./daxctl-lib.js";
import { daxRegionJson } from "./daxctl-list.js";
import { type JsonFlags, jsonHex, jsonSize } from "./tool-util.js";
import { blockDevice, busProvider, type Loc, nsBtt, nsDax, nsIsActive, nsModeOf, nsPfn, pfnLocation } from "./ndctl-lib.js";

type Json = Record<string, unknown>;

/** util_bus_to_json(): no "scrub_state", as the buses modelled have no ARS scrub attribute (QEMU's NFIT does not support ARS). */
export function busJson(b: NdBus): Json {
  return { provider: busProvider(b), dev: b.name };
}

/** util_dimm_to_json(). */
export function dimmJson(d: NdDimm, f: JsonFlags): Json {
  const j: Json = { dev: d.name };
  if (d.cxl) {
    // A CXL nmem has no NFIT handle or phys_id; its id and security only where the kernel has them.
    if (d.cxlIdSecurity) j.id = String(d.serial);
  } else {
    j.id = dimmUniqueId(d);
    j.handle = jsonHex(d.handle, f);
    j.phys_id = jsonHex(d.physId, f);
  }
  if (!d.driver) j.state = "disabled";
  if (d.cxl && d.cxlIdSecurity) j.security = "disabled";
  return j;
}

/** util_mapping_to_json(). */
function mappingJson(m: NdMapping, f: JsonFlags): Json {
  return { dimm: m.dimm.name, offset: jsonHex(m.start, f), length: jsonHex(m.size, f), position: m.position };
}

/** util_region_capabilities_to_json(): what the region's btt, pfn and dax seeds support; nothing unless all three exist. */
function capabilitiesJson(k: Kernel, r: NdRegion): Json[] | null {
  if (!r.bttSeed?.registered || !r.pfnSeed?.registered || !r.daxSeed?.registered) return null;
  const aligns = pfnSupportedAlignments(k);
  return [
    { mode: "sector", sector_sizes: [...BTT_LBASIZE_SUPPORTED] },
    { mode: "fsdax", alignments: [...aligns] },
    { mode: "devdax", alignments: [...aligns] },
  ];
}

export function regionEnabled(k: Kernel, r: NdRegion): boolean {
  ndFlush(k);
  return r.driver !== null;
}

/** Which of the region's mappings region_to_json() lists (only with -D: those of matching, and unless -i or -c enabled, DIMMs). */
export type MappingFilter = ((d: NdDimm) => boolean) | null;

/** region_to_json() of ndctl/list.c. */
export function regionJson(k: Kernel, r: NdRegion, f: JsonFlags, mappings: MappingFilter): Json {
  const io = regionNstype(r) !== ND_DEVICE.NAMESPACE_PMEM;
  const j: Json = {
    dev: r.name,
    size: jsonSize(r.size, f),
    align: jsonSize(r.align, f),
    available_size: jsonSize(io ? 0 : regionAvailableSize(r), f),
    max_available_extent: jsonSize(io ? 0 : regionMaxAvailableExtent(r), f),
    type: "pmem",
  };
  if (f.verbose && r.numaNode >= 0) j.numa_node = r.numaNode;
  if (f.verbose && r.targetNode >= 0) j.target_node = r.targetNode;
  if (!io) {
    const c = regionSetCookie(r);
    if (c !== null) j.iset_id = jsonHex(c, f);
  }
  if (mappings) {
    const maps = [...r.mappings].reverse().filter((m) => mappings(m.dimm));
    if (maps.length) j.mappings = maps.map((m) => mappingJson(m, f));
  }
  if (!regionEnabled(k, r)) j.state = "disabled";
  if (f.capabilities) {
    const caps = capabilitiesJson(k, r);
    if (caps) j.capabilities = caps;
  }
  j.persistence_domain = r.persistenceDomain ?? "unknown";
  return j;
}

/** util_namespace_to_json(); null where ndctl fails (a devdax or sector namespace without its dax or btt device). */
export function namespaceJson(k: Kernel, ns: NdNamespace, f: JsonFlags): Json | null {
  const j: Json = { dev: ns.name };
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
  if (size !== null) j.size = jsonSize(size, f);
  // util_raw_uuid_to_json(): with -v, the namespace's own uuid next to its claim's.
  const rawUuid = (): void => {
    if (f.verbose && ns.uuid && ns.uuid !== NULL_UUID) j.raw_uuid = ns.uuid;
  };
  let align = 0;
  let bdev = "";
  if (btt) {
    j.uuid = btt.uuid ?? NULL_UUID;
    rawUuid();
    bdev = btt.disk?.name ?? "";
  } else if (pfn) {
    align = pfn.align;
    j.uuid = pfn.uuid ?? NULL_UUID;
    rawUuid();
    bdev = pfn.disk?.name ?? "";
  } else if (dax) {
    align = dax.align;
    j.uuid = dax.uuid ?? NULL_UUID;
    rawUuid();
    const region = daxRegionForNd(k, dax);
    if (f.dax && region) {
      j.daxregion = daxRegionJson(k, region, f);
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
  // The namespace's numa_node and target_node attributes are its region's.
  if (f.verbose && ns.region.numaNode >= 0) j.numa_node = ns.region.numaNode;
  if (f.verbose && ns.region.targetNode >= 0) j.target_node = ns.region.targetNode;
  return j;
}
