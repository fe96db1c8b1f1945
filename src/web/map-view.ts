/**
 * What the address map draws, read from the kernel's state (never a copy
 * kept beside it): NUMA node spans, the /proc/iomem resource tree, memory
 * blocks (state, zone, node, group), SPARSEMEM sections (early, hot-added,
 * online) and their 2 MiB sub-section maps, and ZONE_DEVICE pgmaps.
 * Work is proportional to blocks, sections and resources, never to pages;
 * blocks are kept in typed arrays (524,288 of them at 64 TiB).
 * Pure and browser-safe.
 */
import type { Kernel } from "../kernel/kernel.js";
import type { Resource } from "../kernel/resource.js";
import { ZONE_NAMES } from "../kernel/zone.js";

export const BLOCK_STATES = ["online", "offline", "going-offline"] as const;
/** Zone codes of a block: ZONE_NAMES index, or NO_ZONE. */
export const NO_ZONE = 255;

export interface IomemItem {
  start: number;
  /** Exclusive. */
  end: number;
  name: string;
  depth: number;
  busy: boolean;
}

export interface SectionRun {
  /** First and last section number (inclusive). */
  first: number;
  last: number;
  early: boolean;
  online: boolean;
  nid: number;
}

export interface PartialSection {
  nr: number;
  /** One flag per sub-section: its bit in the section's sub-section map. */
  bits: boolean[];
}

export interface Blocks {
  n: number;
  id: Float64Array;
  start: Float64Array;
  size: Float64Array;
  /** Index into BLOCK_STATES. */
  state: Uint8Array;
  /** ZONE_NAMES index, or NO_ZONE (offline, or a block spanning zones). */
  zone: Uint8Array;
  nid: Int32Array;
  /** Memory group id, -1 for none. */
  group: Int32Array;
  boot: Uint8Array;
}

export interface MapView {
  /** End of the address space the map shows (exclusive). */
  end: number;
  blockSize: number;
  sectionSize: number;
  subsectionSize: number;
  nodes: { nid: number; start: number; end: number }[];
  iomem: IomemItem[];
  maxDepth: number;
  blocks: Blocks;
  sections: SectionRun[];
  /** Sections whose sub-section map is not full, or that hold ZONE_DEVICE memory. */
  partial: PartialSection[];
  pgmaps: { start: number; end: number; owner: string }[];
  groups: Map<number, { kind: string; nid: number; blocks: number }>;
}

function flattenIomem(root: Resource, out: IomemItem[]): number {
  let maxDepth = 0;
  const visit = (r: Resource, depth: number) => {
    for (const c of r.children) {
      out.push({ start: c.start, end: c.end + 1, name: c.name, depth, busy: c.flags.busy });
      if (depth > maxDepth) maxDepth = depth;
      visit(c, depth + 1);
    }
  };
  visit(root, 0);
  return maxDepth;
}

function blocksOf(k: Kernel): Blocks {
  // Blocks are usually kept in ascending order already (boot creates them so): sort only when not.
  let ms = [...k.blocks.values()];
  for (let i = 1; i < ms.length; i++) {
    if (ms[i].id < ms[i - 1].id) {
      ms = ms.sort((x, y) => x.id - y.id);
      break;
    }
  }
  const n = ms.length;
  const b: Blocks = {
    n,
    id: new Float64Array(n),
    start: new Float64Array(n),
    size: new Float64Array(n),
    state: new Uint8Array(n),
    zone: new Uint8Array(n),
    nid: new Int32Array(n),
    group: new Int32Array(n),
    boot: new Uint8Array(n),
  };
  const ps = k.geometry.pageSize;
  for (let i = 0; i < n; i++) {
    const m = ms[i];
    b.id[i] = m.id;
    b.start[i] = m.startPfn * ps;
    b.size[i] = m.nrPages * ps;
    b.state[i] = BLOCK_STATES.indexOf(m.state);
    b.zone[i] = m.state === "online" && m.zone ? m.zone.idx : NO_ZONE;
    b.nid[i] = m.nid;
    b.group[i] = m.group ?? -1;
    b.boot[i] = m.boot ? 1 : 0;
  }
  return b;
}

function sectionsOf(k: Kernel, pgmaps: MapView["pgmaps"]): { runs: SectionRun[]; partial: PartialSection[] } {
  const sp = k.sparse;
  const runs: SectionRun[] = [];
  const partial: PartialSection[] = [];
  const perSection = k.geometry.sectionSize / k.geometry.subsectionSize;
  const ps = k.geometry.pageSize;
  const withDevice = new Set<number>();
  for (const p of pgmaps) {
    for (let nr = Math.floor(p.start / k.geometry.sectionSize); nr * k.geometry.sectionSize < p.end; nr++) withDevice.add(nr);
  }
  for (const [first, last] of sp.presentRuns()) {
    for (let nr = first; nr <= last; nr++) {
      const s = sp.peek(nr);
      if (!s) continue;
      const prev = runs[runs.length - 1];
      if (prev && prev.last === nr - 1 && prev.early === s.early && prev.online === s.online && prev.nid === s.nid) prev.last = nr;
      else runs.push({ first: nr, last: nr, early: s.early, online: s.online, nid: s.nid });
      if (s.map !== null || withDevice.has(nr)) {
        const bits: boolean[] = [];
        const base = nr * sp.pps;
        for (let i = 0; i < perSection; i++) bits.push(sp.testSubsection(base + (i * k.geometry.subsectionSize) / ps));
        partial.push({ nr, bits });
      }
    }
  }
  return { runs, partial };
}

/** The map's view of a kernel state. */
export function mapView(k: Kernel): MapView {
  const iomem: IomemItem[] = [];
  const maxDepth = flattenIomem(k.iomem, iomem);
  const blocks = blocksOf(k);
  const ps = k.geometry.pageSize;
  const pgmaps = k.pgmaps.map((p) => ({ start: p.start * ps, end: p.end * ps, owner: p.owner }));
  const { runs, partial } = sectionsOf(k, pgmaps);
  const nodes: MapView["nodes"] = [];
  for (let i = 0; i < blocks.n; i++) {
    const last = nodes[nodes.length - 1];
    const s = blocks.start[i];
    const e = s + blocks.size[i];
    if (last && last.nid === blocks.nid[i] && last.end === s) last.end = e;
    else nodes.push({ nid: blocks.nid[i], start: s, end: e });
  }
  let end = 0;
  for (const r of iomem) if (r.depth === 0 && !r.name.startsWith("PCI Bus")) end = Math.max(end, r.end);
  if (blocks.n) end = Math.max(end, blocks.start[blocks.n - 1] + blocks.size[blocks.n - 1]);
  for (const p of pgmaps) end = Math.max(end, p.end);
  const groups: MapView["groups"] = new Map();
  for (const [id, g] of k.groups) groups.set(id, { kind: g.kind, nid: g.nid, blocks: g.blocks.size });
  return {
    end,
    blockSize: k.blockSize,
    sectionSize: k.geometry.sectionSize,
    subsectionSize: k.geometry.subsectionSize,
    nodes,
    iomem,
    maxDepth,
    blocks,
    sections: runs,
    partial,
    pgmaps,
    groups,
  };
}

/** Index of the block holding an address, or -1 (binary search). */
export function blockIndexAt(b: Blocks, addr: number): number {
  let lo = 0;
  let hi = b.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (addr < b.start[mid]) hi = mid - 1;
    else if (addr >= b.start[mid] + b.size[mid]) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** First block index whose end is above addr (for walking blocks from an address). */
export function firstBlockFrom(b: Blocks, addr: number): number {
  let lo = 0;
  let hi = b.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.start[mid] + b.size[mid] <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function zoneName(code: number): string {
  return code === NO_ZONE ? "none" : ZONE_NAMES[code];
}

/** `online Movable`, `offline`: what colours a block. */
export function blockKind(b: Blocks, i: number): string {
  const st = BLOCK_STATES[b.state[i]];
  return st === "online" ? `online ${zoneName(b.zone[i])}` : st;
}

/** The block's one-line description. */
export function describeBlock(v: MapView, i: number): string {
  const b = v.blocks;
  const g = b.group[i] >= 0 ? v.groups.get(b.group[i]) : undefined;
  return [
    `memory${b.id[i]}`,
    BLOCK_STATES[b.state[i]],
    b.state[i] === 0 ? `zone ${zoneName(b.zone[i])}` : "",
    `node ${b.nid[i]}`,
    b.boot[i] ? "boot" : "hot-added",
    g ? `${g.kind} group ${b.group[i]}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}
