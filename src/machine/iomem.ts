/**
 * A small /proc/iomem resource tree with the insertion rules of Linux 6.1
 * kernel/resource.c, used to build the boot tree in the order the kernel
 * builds it (request_resource, insert_resource, insert_resource_expand_to_fit,
 * __request_region, reserve_region_with_split), and /proc/iomem rendering.
 */
import { hexPad } from "../kernel/units.js";
import type { IomemSpec } from "./types.js";

export interface Res {
  start: number;
  /** Inclusive. */
  end: number;
  name: string;
  busy: boolean;
  sysram: boolean;
  desc: string;
  parent: Res | null;
  /** Sorted by start, non-overlapping. */
  children: Res[];
}

export function makeRes(start: number, end: number, name: string, opts: { busy?: boolean; sysram?: boolean; desc?: string } = {}): Res {
  return { start, end, name, busy: !!opts.busy, sysram: !!opts.sysram, desc: opts.desc ?? "NONE", parent: null, children: [] };
}

export function makeRoot(): Res {
  return makeRes(0, 2 ** 64 - 1, "PCI mem");
}

/** __request_resource(): insert `res` directly under `root`, or return what is in the way (`root` itself when out of bounds). */
export function requestResource(root: Res, res: Res): Res | null {
  if (res.end < res.start || res.start < root.start || res.end > root.end) return root;
  let i = 0;
  for (; i < root.children.length; i++) {
    const c = root.children[i];
    if (c.start > res.end) break;
    if (c.end < res.start) continue;
    return c;
  }
  root.children.splice(i, 0, res);
  res.parent = root;
  return null;
}

/**
 * __insert_resource(): like request, but descend into a resource that
 * strictly contains `res`, and adopt existing resources that `res` fully
 * covers (an equal-range resource becomes the child of `res`).
 */
export function insertResource(parent: Res, res: Res): Res | null {
  let first: Res | null;
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

/** insert_resource_expand_to_fit(): grow `res` over partial conflicts until it fits. */
export function insertResourceExpandToFit(root: Res, res: Res): void {
  if (res.parent) return;
  for (;;) {
    const conflict = insertResource(root, res);
    if (!conflict || conflict === root) return;
    res.start = Math.min(res.start, conflict.start);
    res.end = Math.max(res.end, conflict.end);
  }
}

/** __request_region(): a busy resource, placed inside non-busy resources that contain it; false on a busy conflict. */
export function requestRegion(root: Res, start: number, end: number, name: string): Res | null {
  const res = makeRes(start, end, name, { busy: true });
  let parent = root;
  for (;;) {
    res.desc = parent === root ? "NONE" : parent.desc;
    const conflict = requestResource(parent, res);
    if (!conflict) return res;
    if (conflict !== parent && !conflict.busy) {
      parent = conflict;
      continue;
    }
    return null;
  }
}

/** reserve_region_with_split(): fill the top-level gaps of [start, end] with busy resources named `name`. */
export function reserveRegionWithSplit(root: Res, start: number, end: number, name: string): void {
  const pending: [number, number][] = [[start, end]];
  while (pending.length) {
    const [s, e] = pending.shift()!;
    const res = makeRes(s, e, name, { busy: true });
    const conflict = requestResource(root, res);
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

/** Find a resource by exact range (and name), anywhere in the tree. */
export function findRes(root: Res, start: number, end: number, name?: string): Res | null {
  for (const c of root.children) {
    if (c.start === start && c.end === end && (name === undefined || c.name === name)) return c;
    if (c.start <= start && c.end >= end) {
      const r = findRes(c, start, end, name);
      if (r) return r;
    }
  }
  return null;
}

/** The tree as BootLayout data. */
export function toSpecs(root: Res): IomemSpec[] {
  return root.children.map((c) => {
    const s: IomemSpec = { start: c.start, end: c.end, name: c.name, busy: c.busy };
    if (c.sysram) s.sysram = true;
    if (c.desc !== "NONE") s.desc = c.desc;
    if (c.children.length) s.children = toSpecs(c);
    return s;
  });
}

/** /proc/iomem lines as root reads them: `%0*llx-%0*llx : name`, two spaces per level (at most 5 levels). */
export function renderIomem(specs: IomemSpec[], depth = 0): string[] {
  const out: string[] = [];
  for (const s of specs) {
    out.push(`${"  ".repeat(Math.min(depth, 5))}${hexPad(s.start, 8)}-${hexPad(s.end, 8)} : ${s.name}`);
    if (s.children) out.push(...renderIomem(s.children, depth + 1));
  }
  return out;
}
