/** The bus providers: legacy e820 type-12 PMEM and ACPI NFIT NVDIMMs. Models drivers/nvdimm/e820.c and drivers/acpi/nfit/core.c. */
import type { Kernel } from "../kernel.js";
import { hexPa } from "../units.js";
import { insertNested, makeResource, type Resource, walk } from "../resource.js";
import type { NdBus } from "./nvdimm-core.js";
import { ndBusRegister, ndFlush } from "./nvdimm-bus.js";
import { ndDimmCreate } from "./nvdimm-dimm.js";
import { memremapCompatAlign } from "./nvdimm-pfn.js";
import { markBootBttRace, ndRegionCreate } from "./nvdimm-region.js";

/** The e820_pmem driver: a bus and one region per legacy PMEM range (address order). */
export function e820PmemProbe(k: Kernel, targetNodeOf: (addr: number) => number): NdBus | null {
  const ranges: Resource[] = [];
  walk(k.iomem, (r) => {
    if (r !== k.iomem && r.desc === "PERSISTENT_MEMORY_LEGACY" && r.parent?.desc !== "PERSISTENT_MEMORY_LEGACY") ranges.push(r);
    return true;
  });
  if (ranges.length === 0) return null;
  ranges.sort((a, b) => a.start - b.start);
  const bus = ndBusRegister(k, "e820", "/devices/platform/e820_pmem");
  for (const res of ranges) {
    const nid = targetNodeOf(res.start);
    const r = ndRegionCreate(k, bus, { start: res.start, size: res.end - res.start + 1, pagemap: true, targetNode: nid, numaNode: onlineNodeOf(k, nid) });
    const ns = { start: r.start, size: r.size };
    // The namespace probe's nd_btt_probe() races the region probe's btt seed when it gets that far.
    const compat = memremapCompatAlign(k);
    // Both outcomes are recorded for both kinds of range; the reference traces show id 1 for a
    // section-compatible range and id 0 otherwise, so that is the model's guess.
    markBootBttRace(r, ns.start % compat === 0 && (ns.start + ns.size) % compat === 0 ? 1 : 0);
  }
  k.uevent("bind", "/devices/platform/e820_pmem", "platform", [
    ["DRIVER", "e820_pmem"],
    ["MODALIAS", "platform:e820_pmem"],
  ]);
  return bus;
}

/** numa_map_to_online_node(). */
function onlineNodeOf(k: Kernel, nid: number): number {
  if (nid < 0) return nid;
  if (k.nodeOnline.has(nid)) return nid;
  const online = k.onlineNodes();
  let best = online[0] ?? 0;
  for (const n of online) if (k.nodeDistance(nid, n) < k.nodeDistance(nid, best)) best = n;
  return best;
}

export interface NfitNvdimm {
  slot: number;
  start: number;
  size: number;
  labelSize: number;
  /** SPA proximity domain (QEMU `node`). */
  pxm: number;
}

/** Where the NFIT device and its driver live: an ACPI driver on the ACPI device, or (newer kernels) a platform driver on its platform device. */
export function nfitDriver(k: Kernel): { devpath: string; subsystem: string; name: string; driverPath: string } {
  return k.rules.nfitPlatformDriver
    ? { devpath: "/devices/platform/ACPI0012:00", subsystem: "platform", name: "acpi-nfit", driverPath: "/bus/platform/drivers/acpi-nfit" }
    : { devpath: "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00", subsystem: "acpi", name: "nfit", driverPath: "/bus/acpi/drivers/nfit" };
}

/**
 * The nfit driver: bus, DIMMs, "Persistent Memory" resources and one region per
 * SPA range. `nvdimms` are in NFIT table order: the SPA ranges are kept in table
 * order (add_spa) and acpi_nfit_register_regions() registers a region for each
 * in that order, so region ids follow the table; the DIMMs are sorted by device
 * handle first (nfit_mem_init()'s nfit_mem_cmp), so nmem ids follow the slots.
 */
export function nfitProbe(k: Kernel, nvdimms: NfitNvdimm[], pxmToNode: (pxm: number) => number, addrToNid: (addr: number) => number, addrToTarget: (addr: number) => number): NdBus | null {
  if (nvdimms.length === 0) return null;
  const byHandle = [...nvdimms].sort((a, b) => a.slot - b.slot);
  const drv = nfitDriver(k);
  const bus = ndBusRegister(k, "nfit", drv.devpath);
  const dimms = new Map(byHandle.map((n) => [n.slot, ndDimmCreate(k, bus, { slot: n.slot, labelSize: n.labelSize })]));
  ndFlush(k);
  nvdimms.forEach((n) => {
    // acpi_nfit_insert_resource(): unless the range is already Persistent Memory.
    let covered = false;
    walk(k.iomem, (r) => {
      if (r !== k.iomem && r.desc === "PERSISTENT_MEMORY" && r.start <= n.start && r.end >= n.start + n.size - 1) covered = true;
      return !covered;
    });
    if (!covered) insertNested(k.iomem, makeResource(n.start, n.start + n.size - 1, "Persistent Memory", { busy: false }, "PERSISTENT_MEMORY"));
    // QEMU's SPA ranges carry a valid proximity domain: target_node = pxm_to_node(pxm),
    // numa_node = pxm_to_online_node(pxm). Where the domain maps to no node (always on arm64
    // under ACPI, whose faked node turns NUMA off) acpi_nfit_register_region() falls back to
    // the address (memory_add_physaddr_to_nid() for numa_node, phys_to_target_node() for
    // target_node), saying so in the log.
    let nid = pxmToNode(n.pxm);
    let numaNode = onlineNodeOf(k, nid);
    const range = `[${hexPa(n.start)}-${hexPa(n.start + n.size - 1)}]`;
    if (numaNode < 0) {
      numaNode = addrToNid(n.start);
      k.printk(6, `${drv.name} ACPI0012:00: changing numa node from -1 to ${numaNode} for nfit region ${range}`);
    }
    if (nid < 0) {
      nid = addrToTarget(n.start);
      k.printk(6, `${drv.name} ACPI0012:00: changing target node from -1 to ${nid} for nfit region ${range}`);
    }
    const r = ndRegionCreate(k, bus, { start: n.start, size: n.size, pagemap: false, targetNode: nid, numaNode, dimm: dimms.get(n.slot) });
    markBootBttRace(r, 0);
  });
  k.uevent("bind", drv.devpath, drv.subsystem, [
    ["DRIVER", drv.name],
    ["MODALIAS", "acpi:ACPI0012:"],
  ]);
  return bus;
}
