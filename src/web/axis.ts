/**
 * The map's address axis: linear in the address, except that long stretches
 * with nothing in them (unpopulated space, the PCI hole) can be collapsed to
 * a narrow break so RAM is never a sliver. Positions on the axis are
 * "virtual bytes": equal to addresses in populated space, compressed inside
 * a collapsed gap. Pure.
 */
import type { MapView } from "./map-view.js";

export interface Piece {
  /** Address range [a0, a1). */
  a0: number;
  a1: number;
  /** Axis range [v0, v1). */
  v0: number;
  v1: number;
  gap: boolean;
}

export class Axis {
  readonly pieces: Piece[];
  readonly total: number;

  constructor(pieces: Piece[]) {
    this.pieces = pieces;
    this.total = pieces.length ? pieces[pieces.length - 1].v1 : 1;
  }

  private find(key: "a" | "v", x: number): Piece {
    const ps = this.pieces;
    let lo = 0;
    let hi = ps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((key === "a" ? ps[mid].a0 : ps[mid].v0) <= x) lo = mid;
      else hi = mid - 1;
    }
    return ps[lo];
  }

  /** Axis position of an address. */
  toV(a: number): number {
    const p = this.find("a", a);
    if (a >= p.a1) return p.v1;
    return p.v0 + ((a - p.a0) * (p.v1 - p.v0)) / (p.a1 - p.a0);
  }

  /** Address at an axis position. */
  toA(v: number): number {
    const p = this.find("v", v);
    if (v >= p.v1) return p.a1;
    return p.a0 + ((v - p.v0) * (p.a1 - p.a0)) / (p.v1 - p.v0);
  }

  /** The piece (gap or not) holding an address. */
  pieceAt(a: number): Piece {
    return this.find("a", a);
  }
}

/** Merged ranges that hold memory: blocks, top-level RAM and persistent memory resources, device memory (pgmaps). */
export function populated(v: MapView): [number, number][] {
  const spans: [number, number][] = [];
  const b = v.blocks;
  for (let i = 0; i < b.n; i++) {
    const s = b.start[i];
    const e = s + b.size[i];
    const last = spans[spans.length - 1];
    if (last && last[1] === s) last[1] = e;
    else spans.push([s, e]);
  }
  // Memory and device memory only: reserved ranges, PCI windows and firmware areas may fold into a gap.
  for (const r of v.iomem) if (r.depth === 0 && /^(System RAM|Persistent Memory|Soft Reserved|CXL)/.test(r.name)) spans.push([r.start, r.end]);
  for (const p of v.pgmaps) spans.push([p.start, p.end]);
  spans.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}

/** An axis over [0, view.end): gaps longer than an eighth of the populated space (and 16 MiB) collapsed when `collapse`. */
export function makeAxis(v: MapView, collapse: boolean): Axis {
  const end = Math.max(v.end, 1);
  if (!collapse) return new Axis([{ a0: 0, a1: end, v0: 0, v1: end, gap: false }]);
  const used = populated(v);
  const usedBytes = used.reduce((s, [a, b]) => s + (b - a), 0) || end;
  const minGap = Math.max(16 * 2 ** 20, usedBytes / 8);
  const gapWidth = Math.max(usedBytes / 40, 2 ** 20);
  const pieces: Piece[] = [];
  let a = 0;
  let vpos = 0;
  const push = (a0: number, a1: number, gap: boolean) => {
    if (a1 <= a0) return;
    const w = gap ? Math.min(gapWidth, a1 - a0) : a1 - a0;
    const last = pieces[pieces.length - 1];
    if (last && !gap && !last.gap) {
      last.a1 = a1;
      last.v1 += w;
    } else pieces.push({ a0, a1, v0: vpos, v1: vpos + w, gap });
    vpos += w;
  };
  for (const [s, e] of used) {
    if (s > a) push(a, s, s - a >= minGap);
    push(Math.max(s, a), e, false);
    a = Math.max(a, e);
  }
  if (a < end) push(a, end, end - a >= minGap);
  return new Axis(pieces.length ? pieces : [{ a0: 0, a1: end, v0: 0, v1: end, gap: false }]);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/** 1 GiB, 128 MiB, 1.5 GiB, 4 KiB. */
export function formatBytes(n: number): string {
  let u = 0;
  let x = n;
  while (x >= 1024 && u < UNITS.length - 1) {
    x /= 1024;
    u++;
  }
  const s = Number.isInteger(x) ? String(x) : x.toFixed(x < 10 ? 2 : 1).replace(/\.?0+$/, "");
  return `${s} ${UNITS[u]}`;
}

export function hex(n: number): string {
  return `0x${Math.floor(n).toString(16)}`;
}

/** [0x38000000-0x3fffffff] (inclusive end, as /proc/iomem). */
export function hexRange(start: number, end: number): string {
  return `${hex(start)}-${hex(end - 1)}`;
}

/** A scale-bar length: the largest power of two bytes not over `maxBytes`. */
export function scaleBarBytes(maxBytes: number): number {
  if (maxBytes < 1) return 1;
  return 2 ** Math.floor(Math.log2(maxBytes));
}
