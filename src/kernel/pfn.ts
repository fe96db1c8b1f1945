/**
 * pfn-level questions answered from ranges and blocks, never page by page:
 * pfn_to_online_page() (with the zone and node of the page), and the zone
 * span shrinking that uses it. Models mm/memory_hotplug.c pfn_to_online_page(),
 * find_smallest_section_pfn(), find_biggest_section_pfn(), shrink_zone_span().
 */
import type { Kernel } from "./kernel.js";
import { ZONE_DEVICE, zoneEnd, type Zone, type ZoneIdx } from "./zone.js";

export interface PageZone {
  nid: number;
  idx: ZoneIdx;
}

/** The zone a boot page belongs to: the node's zone whose boot span holds it (holes included). */
export function earlyZoneOfPfn(k: Kernel, pfn: number): PageZone | null {
  for (const r of k.bootZoneSpans) {
    if (pfn >= r.start && pfn < r.end) return { nid: r.nid, idx: r.idx };
  }
  return null;
}

/**
 * pfn_to_online_page(): the zone/node of `pfn` if it is online memory with an
 * initialised memmap, else null. ZONE_DEVICE pfns are never online.
 */
export function pfnToOnlinePage(k: Kernel, pfn: number): PageZone | null {
  const s = k.sparse.get(k.sparse.sectionNr(pfn));
  if (!s || !s.online) return null;
  if (!k.sparse.testSubsection(pfn)) return null;
  if (s.taintZoneDevice && k.pgmapCovers(pfn)) return null;
  const b = k.blockAt(pfn);
  if (b && b.state !== "offline" && b.zone) return { nid: b.zone.nid, idx: b.zone.idx };
  return earlyZoneOfPfn(k, pfn);
}

function matches(k: Kernel, pfn: number, z: Zone): boolean {
  const pz = pfnToOnlinePage(k, pfn);
  return pz !== null && pz.nid === z.nid && pz.idx === z.idx;
}

/**
 * Step from `from` by sub-sections towards `to` (exclusive), skipping whole
 * memory blocks that hold no online memory so the cost follows blocks, not pages.
 */
function findSmallest(k: Kernel, z: Zone, from: number, to: number): number | null {
  const step = k.sparse.ppss;
  const unit = k.idUnitPages;
  let pfn = from;
  while (pfn < to) {
    const b = k.blockAt(pfn);
    if (!b || b.state === "offline") {
      const next = b ? b.startPfn + b.nrPages : (Math.floor(pfn / unit) + 1) * unit;
      pfn += Math.ceil((next - pfn) / step) * step;
      continue;
    }
    if (matches(k, pfn, z)) return pfn;
    pfn += step;
  }
  return null;
}

function findBiggest(k: Kernel, z: Zone, lowest: number, from: number): number | null {
  const step = k.sparse.ppss;
  const unit = k.idUnitPages;
  let pfn = from;
  while (pfn >= lowest) {
    const b = k.blockAt(pfn);
    if (!b || b.state === "offline") {
      const prevEnd = (b ? b.startPfn : Math.floor(pfn / unit) * unit) - 1;
      pfn -= Math.ceil((pfn - prevEnd) / step) * step;
      continue;
    }
    if (matches(k, pfn, z)) return pfn;
    pfn -= step;
  }
  return null;
}

/** shrink_zone_span(): only the edges are trimmed; a hole in the middle leaves the span. */
export function shrinkZoneSpan(k: Kernel, z: Zone, startPfn: number, endPfn: number): void {
  if (z.idx === ZONE_DEVICE) return;
  if (z.startPfn === startPfn) {
    const pfn = findSmallest(k, z, endPfn, zoneEnd(z));
    if (pfn !== null && pfn !== 0) {
      z.spanned = zoneEnd(z) - pfn;
      z.startPfn = pfn;
    } else {
      z.startPfn = 0;
      z.spanned = 0;
    }
  } else if (zoneEnd(z) === endPfn) {
    const pfn = findBiggest(k, z, z.startPfn, startPfn - 1);
    if (pfn !== null && pfn !== 0) {
      z.spanned = pfn - z.startPfn + 1;
    } else {
      z.startPfn = 0;
      z.spanned = 0;
    }
  }
}
