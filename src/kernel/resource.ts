/**
 * The iomem resource tree. Models kernel/resource.c: __request_region(),
 * release_mem_region_adjustable(), merge_system_ram_resource(),
 * region_intersects(), and r_show() for /proc/iomem.
 */
import { hexPad } from "./units.js";

export interface ResourceFlags {
  /** IORESOURCE_BUSY */
  busy: boolean;
  /** IORESOURCE_SYSRAM (part of IORESOURCE_SYSTEM_RAM) */
  sysram: boolean;
  /** IORESOURCE_SYSRAM_DRIVER_MANAGED */
  driverManaged: boolean;
  /** IORESOURCE_SYSRAM_MERGEABLE */
  mergeable: boolean;
}

export interface Resource {
  start: number;
  /** Inclusive, as in the kernel. */
  end: number;
  name: string;
  flags: ResourceFlags;
  /** IORES_DESC_* (e.g. "NONE", "PERSISTENT_MEMORY", "RESERVED"). */
  desc: string;
  /** Identity of the name string: resources only merge when they share it (virtio-mem keeps one per device). */
  nameId: string;
  parent: Resource | null;
  children: Resource[];
}

export function makeRoot(): Resource {
  return {
    start: 0,
    end: Number.MAX_SAFE_INTEGER,
    name: "PCI mem",
    flags: { busy: false, sysram: false, driverManaged: false, mergeable: false },
    desc: "NONE",
    nameId: "root",
    parent: null,
    children: [],
  };
}

export function makeResource(
  start: number,
  end: number,
  name: string,
  flags: Partial<ResourceFlags> = {},
  desc = "NONE",
  nameId?: string,
): Resource {
  return {
    start,
    end,
    name,
    flags: { busy: false, sysram: false, driverManaged: false, mergeable: false, ...flags },
    desc,
    nameId: nameId ?? name,
    parent: null,
    children: [],
  };
}

/** Index of the first child whose end >= start (children are sorted and disjoint). */
function firstEndingAtOrAfter(children: Resource[], start: number): number {
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (children[mid].end < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Models __request_resource(): insert `res` as a child of `parent` unless it
 * conflicts; returns the conflicting resource (the parent itself when `res`
 * does not fit in it), or null on success.
 */
export function requestResource(parent: Resource, res: Resource): Resource | null {
  if (res.end < res.start || res.start < parent.start || res.end > parent.end) return parent;
  const i = firstEndingAtOrAfter(parent.children, res.start);
  const next = parent.children[i];
  if (next && next.start <= res.end) return next;
  res.parent = parent;
  parent.children.splice(i, 0, res);
  return null;
}

/**
 * Models __request_region(): descend into non-busy conflicting resources;
 * fail on a busy conflict. The new resource inherits the desc of the parent
 * it ends up under. Returns the resource or null.
 */
export function requestRegion(
  root: Resource,
  start: number,
  size: number,
  name: string,
  flags: Partial<ResourceFlags>,
  nameId?: string,
): Resource | null {
  const res = makeResource(start, start + size - 1, name, { ...flags, busy: true }, "NONE", nameId);
  let parent = root;
  for (;;) {
    res.desc = parent === root ? "NONE" : parent.desc;
    const conflict = requestResource(parent, res);
    if (!conflict) return res;
    if (conflict === parent) return null;
    if (conflict.flags.busy) return null;
    // A non-busy conflict: the new range must fit inside it; descend.
    parent = conflict;
  }
}

/** Insert a resource at boot, nested under whatever contains it (insert_resource-like for boot layouts). */
export function insertNested(root: Resource, res: Resource): boolean {
  let parent = root;
  for (;;) {
    const conflict = requestResource(parent, res);
    if (!conflict) return true;
    if (conflict === parent) return false;
    if (conflict.start <= res.start && conflict.end >= res.end) {
      parent = conflict;
      continue;
    }
    return false;
  }
}

export function removeResource(res: Resource): void {
  const p = res.parent;
  if (!p) return;
  const i = p.children.indexOf(res);
  if (i >= 0) p.children.splice(i, 1);
  res.parent = null;
}

/**
 * Models release_mem_region_adjustable(): release [start, start+size-1] from
 * the busy System RAM resource that contains it, descending through non-busy
 * containers; splits a resource when the range is strictly inside.
 */
export function releaseMemRegionAdjustable(root: Resource, start: number, size: number): void {
  const end = start + size - 1;
  let parent = root;
  outer: for (;;) {
    for (let i = firstEndingAtOrAfter(parent.children, start); i < parent.children.length; i++) {
      const r = parent.children[i];
      if (r.start >= end) return;
      if (r.start > start || r.end < end) continue;
      if (!r.flags.busy) {
        parent = r;
        continue outer;
      }
      // A child that would fall outside the new bounds forbids the change.
      const keepsChildren = (s: number, e: number) => r.children.every((c) => c.start >= s && c.end <= e);
      if (r.start === start && r.end === end) {
        removeResource(r);
      } else if (r.start === start) {
        if (!keepsChildren(end + 1, r.end)) return;
        r.start = end + 1;
      } else if (r.end === end) {
        if (!keepsChildren(r.start, start - 1)) return;
        r.end = start - 1;
      } else {
        if (!keepsChildren(r.start, start - 1)) return;
        const tail = makeResource(end + 1, r.end, r.name, { ...r.flags }, r.desc, r.nameId);
        r.end = start - 1;
        tail.parent = parent;
        parent.children.splice(parent.children.indexOf(r) + 1, 0, tail);
      }
      return;
    }
    return;
  }
}

function mergeable(a: Resource, b: Resource): boolean {
  return (
    a.end + 1 === b.start &&
    a.flags.busy === b.flags.busy &&
    a.flags.sysram === b.flags.sysram &&
    a.flags.driverManaged === b.flags.driverManaged &&
    a.flags.mergeable &&
    b.flags.mergeable &&
    a.nameId === b.nameId &&
    a.desc === b.desc &&
    a.children.length === 0 &&
    b.children.length === 0
  );
}

/** Models merge_system_ram_resource(). */
export function mergeSystemRamResource(res: Resource): void {
  if (!res.flags.sysram || !res.flags.busy || !res.parent) return;
  res.flags.mergeable = true;
  const sibs = res.parent.children;
  let i = sibs.indexOf(res);
  const next = sibs[i + 1];
  if (next && mergeable(res, next)) {
    res.end = next.end;
    sibs.splice(i + 1, 1);
  }
  const prev = sibs[i - 1];
  if (prev && mergeable(prev, res)) {
    prev.end = res.end;
    sibs.splice(i, 1);
    i--;
  }
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

/** Find the resource with exactly this range and name, anywhere in the tree. */
export function findResource(root: Resource, start: number, end: number, name?: string): Resource | null {
  let found: Resource | null = null;
  walk(root, (r) => {
    if (found) return false;
    if (r !== root && r.start === start && r.end === end && (name === undefined || r.name === name)) {
      found = r;
      return false;
    }
    return r === root || (r.start <= start && r.end >= end);
  });
  return found;
}

/** Models r_show(): `/proc/iomem` lines (as root), two spaces per depth, depth capped at 5. */
export function renderIomem(root: Resource): string[] {
  const lines: string[] = [];
  const visit = (r: Resource, depth: number): void => {
    for (const c of r.children) {
      const d = Math.min(depth, 5);
      lines.push(`${"  ".repeat(d)}${hexPad(c.start, 8)}-${hexPad(c.end, 8)} : ${c.name || "<BAD>"}`);
      visit(c, depth + 1);
    }
  };
  visit(root, 0);
  return lines;
}

export function cloneTree(r: Resource, parent: Resource | null = null): Resource {
  const c: Resource = { ...r, flags: { ...r.flags }, parent, children: [] };
  c.children = r.children.map((ch) => cloneTree(ch, c));
  return c;
}
