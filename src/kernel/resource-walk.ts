/**
 * Walks of the iomem tree (kernel/resource.c): the pre-order walk, the child
 * search every lookup starts with, region_intersects() and
 * walk_system_ram_range() as the hotplug paths use them.
 */
import type { Resource } from "./resource.js";

/** Index of the first child whose end >= start (children are sorted and disjoint). */
export function firstEndingAtOrAfter(children: Resource[], start: number): number {
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (children[mid].end < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const REGION_DISJOINT = 0;
export const REGION_INTERSECTS = 1;
export const REGION_MIXED = 2;

function isSystemRam(r: Resource): boolean {
  return r.flags.sysram;
}

/**
 * Models region_intersects(start, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE)
 * with the descendant search of 6.1.158.
 */
export function regionIntersectsSystemRam(root: Resource, start: number, size: number): number {
  const end = start + size - 1;
  let type = 0;
  let other = 0;
  for (const r of root.children) {
    if (r.end < start || r.start > end) continue;
    if (isSystemRam(r)) {
      type++;
      continue;
    }
    // Look into descendants for RAM covering the overlap.
    const os = Math.max(start, r.start);
    const oe = Math.min(end, r.end);
    const ram: [number, number][] = [];
    walk(r, (d) => {
      if (d === r) return true;
      if (d.end < os || d.start > oe) return false;
      if (isSystemRam(d)) {
        ram.push([Math.max(os, d.start), Math.min(oe, d.end)]);
        return false;
      }
      return true;
    });
    if (ram.length === 0) {
      other++;
      continue;
    }
    type++;
    ram.sort((a, b) => a[0] - b[0]);
    let cursor = os;
    let covered = true;
    for (const [s, e] of ram) {
      if (s > cursor) {
        covered = false;
        break;
      }
      cursor = Math.max(cursor, e + 1);
    }
    if (cursor <= oe) covered = false;
    if (!covered) other++;
  }
  if (type === 0) return REGION_DISJOINT;
  return other === 0 ? REGION_INTERSECTS : REGION_MIXED;
}

/** Pre-order walk; the visitor returns false to skip a subtree. */
export function walk(r: Resource, visit: (r: Resource, depth: number) => boolean, depth = 0): void {
  if (!visit(r, depth)) return;
  for (const c of r.children) walk(c, visit, depth + 1);
}

/**
 * Pages of [startPfn, endPfn) covered by busy System RAM resources at any
 * depth, a match consuming its subtree (models walk_system_ram_range() as
 * used by offline_pages' hole check).
 */
export function countSystemRamPages(root: Resource, start: number, end: number, pageSize: number): number {
  let pages = 0;
  const visit = (r: Resource): void => {
    for (let i = firstEndingAtOrAfter(r.children, start); i < r.children.length; i++) {
      const c = r.children[i];
      if (c.start >= end) break;
      if (c.end < start) continue;
      if (c.flags.sysram && c.flags.busy) {
        const s = Math.max(start, c.start);
        const e = Math.min(end - 1, c.end);
        // Only whole pages inside the resource count.
        const first = Math.ceil(s / pageSize);
        const last = Math.floor((e + 1) / pageSize);
        if (last > first) pages += last - first;
        continue;
      }
      visit(c);
    }
  };
  visit(root);
  return pages;
}
