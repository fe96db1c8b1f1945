/**
 * Which zone a block goes to when onlined, and what `valid_zones` shows.
 * Models mm/memory_hotplug.c zone_for_pfn_range(), default_kernel_zone_for_pfn(),
 * default_zone_for_pfn(), auto_movable_zone_for_pfn(),
 * auto_movable_can_online_movable(), and drivers/base/memory.c valid_zones_show().
 */
import { countSystemRamPages } from "./resource.js";
import type { Kernel, OnlineType } from "./kernel.js";
import type { MemoryBlock, MemoryGroup } from "./memory-block.js";
import { pfnToOnlinePage } from "./pfn.js";
import { ZONE_DEVICE, ZONE_MOVABLE, ZONE_NAMES, ZONE_NORMAL, zoneIntersects, type Zone, type ZoneIdx } from "./zone.js";

/** default_kernel_zone_for_pfn(): the first zone below Normal intersecting the range, else Normal. */
export function defaultKernelZoneForPfn(k: Kernel, nid: number, startPfn: number, nr: number): Zone {
  const n = k.node(nid);
  for (let zid = 0; zid < ZONE_NORMAL; zid++) {
    if (zoneIntersects(n.zones[zid], startPfn, nr)) return n.zones[zid];
  }
  return n.zones[ZONE_NORMAL];
}

/** default_zone_for_pfn(): the contig-zones policy. */
function defaultZoneForPfn(k: Kernel, nid: number, startPfn: number, nr: number): Zone {
  const kernelZone = defaultKernelZoneForPfn(k, nid, startPfn, nr);
  const movable = k.node(nid).zones[ZONE_MOVABLE];
  const inKernel = zoneIntersects(kernelZone, startPfn, nr);
  const inMovable = zoneIntersects(movable, startPfn, nr);
  if (inKernel !== inMovable) return inKernel ? kernelZone : movable;
  return k.params.movableNode ? movable : kernelZone;
}

interface Stats {
  kernelEarly: number;
  movable: number;
}

/** auto_movable_can_online_movable(nid or -1 for all nodes, group, nr_pages). */
function autoMovableCanOnlineMovable(k: Kernel, nid: number, group: MemoryGroup | null, nrPages: number): boolean {
  const stats: Stats = { kernelEarly: 0, movable: 0 };
  for (const n of k.nodes.values()) {
    if (nid !== -1 && n.nid !== nid) continue;
    for (const z of n.zones) {
      if (z.present === 0) continue;
      if (z.idx === ZONE_MOVABLE) stats.movable += z.present;
      else {
        // CMA pages (never in hot-added memory) behave like ZONE_MOVABLE.
        stats.kernelEarly += z.presentEarly - z.cmaPages;
        stats.movable += z.cmaPages;
      }
    }
  }
  const ratio = k.params.autoMovableRatio;
  let reqKernelEarly = 0;
  let groupsMovable = 0;
  if (ratio !== 0) {
    for (const g of k.groups.values()) {
      if (g.kind !== "dynamic" || g === group) continue;
      if (nid !== -1 && g.nid !== nid) continue;
      const pages = Math.floor((g.presentMovablePages * 100) / ratio) - g.presentKernelPages;
      if (pages > 0) reqKernelEarly += pages;
      groupsMovable += g.presentMovablePages;
    }
  }
  let kernelEarly = stats.kernelEarly;
  let movable = stats.movable;
  if (kernelEarly <= reqKernelEarly) return false;
  kernelEarly -= reqKernelEarly;
  movable -= groupsMovable;
  if (group && group.kind === "dynamic") kernelEarly += group.presentKernelPages;
  movable += nrPages;
  return movable <= Math.floor((ratio * kernelEarly) / 100);
}

/** auto_movable_zone_for_pfn(). */
function autoMovableZoneForPfn(k: Kernel, nid: number, group: MemoryGroup | null, pfn: number, nrPages: number): Zone {
  const kernelZone = (p: number) => defaultKernelZoneForPfn(k, nid, p, nrPages);
  if (k.params.autoMovableRatio === 0) return kernelZone(pfn);
  let maxPages: number;
  let onlinePages = 0;
  if (group && group.kind === "static") {
    maxPages = group.pages;
    onlinePages = group.presentMovablePages;
    if (group.presentKernelPages) return kernelZone(pfn);
  } else if (!group || group.pages === nrPages) {
    maxPages = nrPages;
  } else {
    maxPages = group.pages;
    // Look at every online section of the unit that contains the block.
    pfn = pfn - (pfn % group.pages);
    const pps = k.sparse.pps;
    for (let p = pfn; p < pfn + group.pages; p += pps) {
      const z = pfnToOnlinePage(k, p);
      if (!z) continue;
      if (z.idx !== ZONE_MOVABLE) return kernelZone(pfn);
      onlinePages += pps;
    }
  }
  const need = maxPages - onlinePages;
  if (!autoMovableCanOnlineMovable(k, -1, group, need)) return kernelZone(pfn);
  if (k.params.autoMovableNumaAware && !autoMovableCanOnlineMovable(k, nid, group, need)) return kernelZone(pfn);
  return k.node(nid).zones[ZONE_MOVABLE];
}

/** zone_for_pfn_range(). */
export function zoneForPfnRange(
  k: Kernel,
  type: OnlineType,
  nid: number,
  group: MemoryGroup | null,
  startPfn: number,
  nr: number,
): Zone {
  if (type === "online_kernel") return defaultKernelZoneForPfn(k, nid, startPfn, nr);
  if (type === "online_movable") return k.node(nid).zones[ZONE_MOVABLE];
  if (k.params.onlinePolicy === "auto-movable") return autoMovableZoneForPfn(k, nid, group, startPfn, nr);
  return defaultZoneForPfn(k, nid, startPfn, nr);
}

export function blockGroup(k: Kernel, b: MemoryBlock): MemoryGroup | null {
  return b.group === null ? null : k.groups.get(b.group) ?? null;
}

/** The zone a plain `online` of this block would pick (the first word of valid_zones). */
export function blockDefaultZone(k: Kernel, b: MemoryBlock, type: OnlineType = "online"): Zone {
  return zoneForPfnRange(k, type, b.nid, blockGroup(k, b), b.startPfn, b.nrPages);
}

/**
 * Older kernels' test_pages_in_a_zone(): it looks at the first page of each
 * MAX_ORDER chunk of the block, so a chunk that starts in device pages makes
 * the block read `none`: memremap_pages() over legacy PMEM sharing the block
 * (the boot's raw namespace maps it), and the struct pages keep ZONE_DEVICE
 * after the mapping goes (a boot section's memmap is not freed:
 * legacy-pmem-subsection.bullseye step 6, after kmem took nothing). A plain
 * hole's struct pages carry the zone around them (x-probe69-acpi-data.bullseye:
 * an E820 ACPI range at the start of memory6 still reads DMA32).
 */
function chunkStartsInDevicePages(k: Kernel, b: MemoryBlock): boolean {
  const ps = k.geometry.pageSize;
  const end = b.startPfn + b.nrPages;
  const inBlock = (r: { start: number; end: number }) => r.start < end && b.startPfn < r.end;
  const mapped = k.pgmaps.filter(inBlock);
  const legacy = k.iomem.children
    .filter((r) => r.name === "Persistent Memory (legacy)")
    .map((r) => ({ start: Math.floor(r.start / ps), end: Math.floor((r.end + 1) / ps) }))
    .filter(inBlock);
  if (!mapped.length && !legacy.length) return false;
  const chunk = k.geometry.maxOrderPages;
  for (let pfn = b.startPfn; pfn < end; pfn += chunk) {
    if (mapped.some((r) => pfn >= r.start && pfn < r.end)) return true;
    // Stale device pages: memory hot-added there since (kmem) has struct pages of its own zone again.
    if (legacy.some((r) => pfn >= r.start && pfn < r.end) && countSystemRamPages(k.iomem, pfn * ps, (pfn + 1) * ps, ps) === 0) return true;
  }
  return false;
}

/** valid_zones_show(). */
export function validZones(k: Kernel, b: MemoryBlock): string {
  if (b.state === "online") {
    if (!b.zone) return "none";
    if (k.rules.validZonesNoneWithDevicePages && chunkStartsInDevicePages(k, b)) return "none";
    return ZONE_NAMES[b.zone.idx];
  }
  const nid = b.nid;
  const group = blockGroup(k, b);
  const start = b.startPfn;
  const nr = b.nrPages;
  const d = zoneForPfnRange(k, "online", nid, group, start, nr);
  let out = ZONE_NAMES[d.idx];
  const kz = zoneForPfnRange(k, "online_kernel", nid, group, start, nr);
  if (kz !== d) out += ` ${ZONE_NAMES[kz.idx]}`;
  const mz = zoneForPfnRange(k, "online_movable", nid, group, start, nr);
  if (mz !== d) out += ` ${ZONE_NAMES[mz.idx]}`;
  return out;
}

export function zoneIdxName(idx: ZoneIdx): string {
  return ZONE_NAMES[idx];
}

export { ZONE_DEVICE };
