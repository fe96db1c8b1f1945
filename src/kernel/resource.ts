/**
 * The iomem resource tree, the only one in memhp. Models kernel/resource.c:
 * the boot-time insertions (__request_resource, __insert_resource,
 * insert_resource_expand_to_fit, reserve_region_with_split), __request_region,
 * release_mem_region_adjustable(), merge_system_ram_resource(),
 * region_intersects(), and r_show() for /proc/iomem. The machine code builds
 * its boot tree with these functions, in the order the kernel calls them.
 */
import type { IomemSpec } from "../machine/types.js";
import { firstEndingAtOrAfter, walk } from "./resource-walk.js";
import { hexPad } from "./units.js";

export { countSystemRamPages, REGION_DISJOINT, REGION_INTERSECTS, REGION_MIXED, regionIntersectsSystemRam, walk } from "./resource-walk.js";

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

/**
 * Models __insert_resource(): like requestResource(), but descend into a
 * resource that strictly contains `res`, and adopt the resources `res` fully
 * covers (an equal-range one becomes its child). Returns the conflict, or null.
 */
export function insertResource(parent: Resource, res: Resource): Resource | null {
  let first: Resource | null;
  for (;;) {
    first = requestResource(parent, res);
    if (!first || first === parent) return first;
    if (first.start > res.start || first.end < res.end) break;
    if (first.start === res.start && first.end === res.end) break;
    parent = first;
  }
  const from = parent.children.indexOf(first);
  let to = from;
  for (;;) {
    const next = parent.children[to];
    if (next.start < res.start || next.end > res.end) return next;
    const sib = parent.children[to + 1];
    if (!sib || sib.start > res.end) break;
    to++;
  }
  const adopted = parent.children.splice(from, to - from + 1, res);
  res.parent = parent;
  res.children = adopted;
  for (const c of adopted) c.parent = res;
  return null;
}

/** Models insert_resource_expand_to_fit(): grow `res` over partial conflicts until it fits. */
export function insertResourceExpandToFit(root: Resource, res: Resource): void {
  if (res.parent) return;
  for (;;) {
    const conflict = insertResource(root, res);
    if (!conflict || conflict === root) return;
    res.start = Math.min(res.start, conflict.start);
    res.end = Math.max(res.end, conflict.end);
  }
}

/** Models reserve_region_with_split(): fill the top-level gaps of [start, end] with busy resources named `name`. */
export function reserveRegionWithSplit(root: Resource, start: number, end: number, name: string): void {
  const pending: [number, number][] = [[start, end]];
  while (pending.length) {
    const [s, e] = pending.shift()!;
    const conflict = requestResource(root, makeResource(s, e, name, { busy: true }));
    if (!conflict) continue;
    if (conflict === root) return;
    if (conflict.start <= s && conflict.end >= e) continue;
    if (conflict.start > s) {
      pending.unshift([s, conflict.start - 1]);
      if (conflict.end < e) pending.splice(1, 0, [conflict.end + 1, e]);
    } else {
      pending.unshift([conflict.end + 1, e]);
    }
  }
}

/** Insert a resource at boot, nested under whatever contains it (used to rebuild a tree from IomemSpec data). */
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

/** Models remove_resource() (__release_resource(old, false)): its children move up to its parent. */
export function removeResourceKeepChildren(res: Resource): void {
  const p = res.parent;
  if (!p) return;
  const i = p.children.indexOf(res);
  p.children.splice(i, 1, ...res.children);
  for (const c of res.children) c.parent = p;
  res.children = [];
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

/** What r_show() needs of a resource: a live Resource or IomemSpec data. */
export interface IomemNode {
  start: number;
  end: number;
  name: string;
  children?: readonly IomemNode[];
}

/**
 * Models r_show(): `/proc/iomem` lines (as root), two spaces per depth, depth
 * capped at `maxDepth` (MAX_IORES_LEVEL: 5, 8 from 7.2, rule iomemMaxDepth).
 * Takes the root of a tree, or the top-level list of IomemSpec data.
 */
export function renderIomem(root: IomemNode | readonly IomemNode[], maxDepth = 5): string[] {
  const lines: string[] = [];
  const visit = (children: readonly IomemNode[], depth: number): void => {
    for (const c of children) {
      const d = Math.min(depth, maxDepth);
      lines.push(`${"  ".repeat(d)}${hexPad(c.start, 8)}-${hexPad(c.end, 8)} : ${c.name || "<BAD>"}`);
      if (c.children) visit(c.children, depth + 1);
    }
  };
  visit(Array.isArray(root) ? root : ((root as IomemNode).children ?? []), 0);
  return lines;
}

/** Rebuild a tree from IomemSpec data (a derived or imported boot layout) under `root`. */
export function insertSpecs(root: Resource, specs: readonly IomemSpec[]): void {
  for (const spec of specs) {
    const r = makeResource(spec.start, spec.end, spec.name, { busy: spec.busy, sysram: !!spec.sysram }, spec.desc ?? "NONE");
    insertNested(root, r);
    insertSpecs(r, spec.children ?? []);
  }
}

/** The tree below `root` as plain IomemSpec data (a BootLayout's iomem); insertSpecs() is its inverse. */
export function resourceSpecs(root: Resource): IomemSpec[] {
  return root.children.map((c) => {
    const s: IomemSpec = { start: c.start, end: c.end, name: c.name, busy: c.flags.busy };
    if (c.flags.sysram) s.sysram = true;
    if (c.desc !== "NONE") s.desc = c.desc;
    if (c.children.length) s.children = resourceSpecs(c);
    return s;
  });
}

export function cloneTree(r: Resource, parent: Resource | null = null): Resource {
  const c: Resource = { ...r, flags: { ...r.flags }, parent, children: [] };
  c.children = r.children.map((ch) => cloneTree(ch, c));
  return c;
}
