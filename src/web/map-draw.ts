/**
 * Drawing the map: rows (nodes, /proc/iomem by depth, memory blocks,
 * sections, sub-sections, marks) on a Surface — a canvas in the page, SVG
 * text for export. What is narrower than a pixel is aggregated: each pixel
 * column shows the item under its centre, so a frame costs pixels, not blocks.
 * Labels are drawn only inside their own rectangle, so they never overlap.
 */
import { formatBytes, hex, scaleBarBytes, type Axis } from "./axis.js";
import { blockIndexAt, blockKind, firstBlockFrom, type MapView } from "./map-view.js";
import { color, iomemKey, textOn } from "./palette.js";

export interface Surface {
  rect(x: number, y: number, w: number, h: number, fill: string, stroke?: string, dashed?: boolean): void;
  text(x: number, y: number, s: string, fill: string, opts?: { align?: "left" | "center" | "right"; bold?: boolean; size?: number }): void;
  measure(s: string, size?: number): number;
}

export interface Range {
  start: number;
  end: number;
  /** For what a step changed: added, removed, or changed in place (state, zone, node, group). */
  kind?: "added" | "removed" | "changed";
}

export interface Marks {
  changed: Range[];
  mismatch: Range[];
  selected: Range | null;
}

export type RowKind = "axis" | "marks" | "nodes" | "iomem" | "blocks" | "sections" | "subsections" | "scale";

export interface Row {
  kind: RowKind;
  y: number;
  h: number;
  title: string;
  depth?: number;
}

export const GUTTER = 118;
export const MAX_IOMEM_ROWS = 4;

export function layoutRows(v: MapView): { rows: Row[]; height: number } {
  const rows: Row[] = [];
  let y = 0;
  const add = (kind: RowKind, h: number, title: string, depth?: number) => {
    rows.push({ kind, y, h, title, depth });
    y += h + 3;
  };
  add("axis", 18, "address");
  add("marks", 8, "changes");
  add("nodes", 16, "NUMA nodes");
  const depths = Math.min(v.maxDepth + 1, MAX_IOMEM_ROWS);
  for (let d = 0; d < depths; d++) add("iomem", 22, d === 0 ? "/proc/iomem" : `  nested ${d}`, d);
  add("blocks", 30, "memory blocks");
  add("sections", 16, "sections");
  add("subsections", 22, "sub-sections");
  add("scale", 18, "");
  return { rows, height: y };
}

/** The visible part of the axis: screen x of an axis position and back. */
export interface Viewport {
  width: number;
  /** Screen x of axis position v. */
  x(v: number): number;
  /** Axis position at screen x. */
  v(x: number): number;
}

function clip(vp: Viewport, x0: number, x1: number): [number, number] | null {
  const a = Math.max(x0, GUTTER);
  const b = Math.min(x1, vp.width);
  return b <= a ? null : [a, b];
}

/** Draw one row of intervals sorted by start; sub-pixel ones merge into whole pixel columns. */
function intervals(s: Surface, vp: Viewport, ax: Axis, row: Row, items: Iterable<{ start: number; end: number; fill: string; label: string }>): void {
  let lastCol = -1;
  for (const it of items) {
    const x0 = vp.x(ax.toV(it.start));
    const x1 = vp.x(ax.toV(it.end));
    if (x1 < GUTTER || x0 > vp.width) continue;
    if (x1 - x0 < 1) {
      const col = Math.floor(x0);
      if (col === lastCol) continue;
      lastCol = col;
      s.rect(col, row.y, 1, row.h, it.fill);
      continue;
    }
    const c = clip(vp, x0, x1);
    if (!c) continue;
    s.rect(c[0], row.y, c[1] - c[0], row.h, it.fill, x1 - x0 > 4 ? "#FFFFFF" : undefined);
    lastCol = Math.floor(x1);
    label(s, c[0], c[1], row, it.label, it.fill);
  }
}

function label(s: Surface, x0: number, x1: number, row: Row, text: string, fill: string): void {
  if (!text || x1 - x0 < 14) return;
  let t = text;
  while (t && s.measure(t) + 6 > x1 - x0) {
    const cut = t.lastIndexOf(" ");
    if (cut <= 0) return;
    t = t.slice(0, cut);
  }
  if (t) s.text(x0 + 3, row.y + row.h / 2 + 4, t, textOn(fill));
}

function drawBlocks(s: Surface, vp: Viewport, ax: Axis, v: MapView, row: Row): void {
  const b = v.blocks;
  if (!b.n) return;
  const aLeft = ax.toA(vp.v(GUTTER));
  const aRight = ax.toA(vp.v(vp.width));
  const i0 = firstBlockFrom(b, aLeft);
  const i1 = firstBlockFrom(b, aRight);
  if (i1 - i0 > vp.width - GUTTER) {
    // Denser than pixels: one sample per column, runs of equal kind drawn as one rectangle.
    let runStart = GUTTER;
    let runKind = "";
    let first = -1;
    let last = -1;
    const flush = (x: number) => {
      if (!runKind) return;
      s.rect(runStart, row.y, x - runStart, row.h, color(runKind));
      const ids = b.id[first] === b.id[last] ? `memory${b.id[first]}` : `memory${b.id[first]}–${b.id[last]}`;
      label(s, runStart, x, row, `${ids} ${runKind}`, color(runKind));
    };
    for (let x = GUTTER; x < vp.width; x++) {
      const i = blockIndexAt(b, ax.toA(vp.v(x + 0.5)));
      const kind = i < 0 ? "" : blockKind(b, i);
      if (kind !== runKind) {
        flush(x);
        runStart = x;
        runKind = kind;
        first = i;
      }
      if (i >= 0) last = i;
    }
    flush(vp.width);
    return;
  }
  const items = function* () {
    for (let i = i0; i <= Math.min(i1, b.n - 1); i++) {
      const kind = blockKind(b, i);
      const w = vp.x(ax.toV(b.start[i] + b.size[i])) - vp.x(ax.toV(b.start[i]));
      const long = w > 260 ? ` ${kind} node${b.nid[i]}${b.group[i] >= 0 ? ` group${b.group[i]}` : ""}` : w > 120 ? ` ${kind}` : "";
      yield { start: b.start[i], end: b.start[i] + b.size[i], fill: color(kind), label: w >= 70 ? `memory${b.id[i]}${long}` : String(b.id[i]) };
    }
  };
  intervals(s, vp, ax, row, items());
}

function drawSections(s: Surface, vp: Viewport, ax: Axis, v: MapView, row: Row, sub: Row): void {
  const ss = v.sectionSize;
  const pxPerSection = vp.x(ax.toV(ss * 2)) - vp.x(ax.toV(ss));
  // Runs of like sections are one box; when a section is wide enough, each visible one is its own box.
  const lo = Math.floor(ax.toA(vp.v(GUTTER)) / ss);
  const hi = Math.ceil(ax.toA(vp.v(vp.width)) / ss);
  const items: { start: number; end: number; fill: string; label: string }[] = [];
  for (const r of v.sections) {
    const key = !r.online ? "sec-offline" : r.early ? "sec-early" : "sec-hot";
    const what = `${r.early ? "early" : "hot-added"}${r.online ? "" : ", offline"}`;
    const a = Math.max(r.first, lo);
    const b = Math.min(r.last, hi);
    if (pxPerSection >= 24 && b >= a) {
      for (let nr = a; nr <= b; nr++) items.push({ start: nr * ss, end: (nr + 1) * ss, fill: color(key), label: pxPerSection >= 140 ? `section ${nr} ${what}` : `${nr} ${what}` });
      continue;
    }
    const n = r.last - r.first + 1;
    items.push({ start: r.first * ss, end: (r.last + 1) * ss, fill: color(key), label: n === 1 ? `section ${r.first} ${what}` : `sections ${r.first}–${r.last} ${what}` });
  }
  intervals(s, vp, ax, row, items);
  const subPx = (pxPerSection * v.subsectionSize) / ss;
  if (subPx < 2) {
    s.text(GUTTER + 4, sub.y + sub.h / 2 + 4, `zoom in to see 2 MiB sub-sections (${v.partial.length} section(s) with a partial map or ZONE_DEVICE memory)`, "#555555");
    return;
  }
  for (const p of v.partial) {
    const base = p.nr * ss;
    const items2 = p.bits.map((on, i) => {
      const a = base + i * v.subsectionSize;
      const dev = on && v.pgmaps.some((g) => a >= g.start && a < g.end);
      const key = !on ? "sub-empty" : dev ? "sub-device" : "sub-ram";
      return { start: a, end: a + v.subsectionSize, fill: color(key), label: subPx > 40 ? String(i) : "" };
    });
    intervals(s, vp, ax, sub, items2);
  }
}

function drawMarks(s: Surface, vp: Viewport, ax: Axis, marks: Marks, rows: Row[]): void {
  const top = rows.find((r) => r.kind === "marks")!;
  const first = rows.find((r) => r.kind === "nodes")!;
  const last = rows.find((r) => r.kind === "subsections")!;
  const span = (r: Range, c: string, dashed: boolean, inset: number, band: boolean) => {
    const x0 = vp.x(ax.toV(r.start));
    const x1 = Math.max(vp.x(ax.toV(r.end)), x0 + 3);
    const cl = clip(vp, x0, x1);
    if (!cl) return;
    if (band) s.rect(cl[0], top.y, cl[1] - cl[0], top.h, c);
    s.rect(cl[0] + inset, first.y - 1 + inset, Math.max(3, cl[1] - cl[0] - 2 * inset), last.y + last.h - first.y + 2 - 2 * inset, "none", c, dashed);
  };
  // The selection inside, then what changed, then disagreements on top: all stay visible when they coincide.
  if (marks.selected) span(marks.selected, "#E69F00", false, 3, false);
  for (const r of marks.changed) span(r, r.kind === "removed" ? color("removed") : color("changed"), r.kind !== "added", 0, true);
  for (const r of marks.mismatch) span(r, color("mismatch"), false, 0, true);
}

function drawAxis(s: Surface, vp: Viewport, ax: Axis, row: Row, scale: Row): void {
  let lastEnd = -Infinity;
  const vl = vp.v(GUTTER);
  const vr = vp.v(vp.width);
  const visible = ax.pieces.filter((p) => p.v1 >= vl && p.v0 <= vr);
  for (const p of visible) {
    const x0 = vp.x(p.v0);
    const x1 = vp.x(p.v1);
    if (p.gap) {
      const c = clip(vp, x0, x1);
      if (c) {
        for (const r of [row, scale]) s.rect(c[0], r.y, c[1] - c[0], r.h, "#F4F4F4");
        const t = `⋯ ${formatBytes(p.a1 - p.a0)} gap`;
        if (s.measure(t) + 4 < c[1] - c[0]) s.text((c[0] + c[1]) / 2, row.y + 13, t, "#555555", { align: "center" });
      }
    }
  }
  for (const p of visible) {
    if (p.gap) continue;
    const x1 = Math.min(vp.x(p.v1), vp.width);
    // Ticks: a power of two bytes, about 110 px apart.
    const bytesPerPx = (vr - vl) / (vp.width - GUTTER);
    const step = scaleBarBytes(bytesPerPx * 110) * 2;
    const a0 = Math.max(p.a0, ax.toA(vl));
    const a1 = Math.min(p.a1, ax.toA(vr));
    for (let a = Math.ceil(a0 / step) * step; a <= a1; a += step) {
      const x = vp.x(ax.toV(a));
      s.rect(x, row.y + 12, 1, 6, "#333333");
      const t = hex(a);
      if (x - 2 > lastEnd && x + s.measure(t) + 2 < x1) {
        s.text(x + 2, row.y + 10, t, "#333333");
        lastEnd = x + s.measure(t) + 8;
      }
    }
  }
  // Scale bar (in populated space, one axis unit is one byte).
  const bytesPerPx = (vr - vl) / (vp.width - GUTTER);
  const bar = scaleBarBytes(bytesPerPx * 160);
  const w = bar / bytesPerPx;
  s.rect(vp.width - w - 12, scale.y + 10, w, 4, "#333333");
  s.text(vp.width - 12, scale.y + 8, formatBytes(bar), "#333333", { align: "right" });
  s.text(GUTTER, scale.y + 12, `${hex(ax.toA(vl))} – ${hex(ax.toA(vr))}`, "#333333");
}

/** Draw the whole map for one state. */
export function drawMap(s: Surface, vp: Viewport, ax: Axis, v: MapView, marks: Marks): Row[] {
  const { rows } = layoutRows(v);
  for (const r of rows) if (r.title) s.text(4, r.y + r.h / 2 + 4, r.title, "#333333", { bold: r.kind !== "iomem" || r.depth === 0 });
  const get = (k: RowKind) => rows.find((r) => r.kind === k)!;
  drawAxis(s, vp, ax, get("axis"), get("scale"));
  intervals(s, vp, ax, get("nodes"), v.nodes.map((n) => ({ start: n.start, end: n.end, fill: "#DDDDDD", label: `node${n.nid}` })));
  for (const r of rows.filter((x) => x.kind === "iomem")) {
    const items = v.iomem
      .filter((i) => i.depth === r.depth || (r.depth === MAX_IOMEM_ROWS - 1 && i.depth > r.depth))
      .map((i) => ({ start: i.start, end: i.end, fill: color(iomemKey(i.name)), label: i.name }));
    intervals(s, vp, ax, r, items);
  }
  drawBlocks(s, vp, ax, v, get("blocks"));
  drawSections(s, vp, ax, v, get("sections"), get("subsections"));
  drawMarks(s, vp, ax, marks, rows);
  return rows;
}
