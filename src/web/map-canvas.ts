/**
 * The interactive map: a canvas drawn by map-draw.ts, zoomed and panned with
 * d3-zoom (wheel, drag, pinch) and the keyboard (+ - arrows Home), with
 * hover details and click-to-select. Redraws at most once per animation frame.
 */
import { select } from "d3-selection";
import "d3-transition";
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from "d3-zoom";
import { formatBytes, hexRange, makeAxis, type Axis } from "./axis.js";
import { drawMap, GUTTER, layoutRows, MAX_IOMEM_ROWS, type Marks, type Row, type Surface, type Viewport } from "./map-draw.js";
import { blockIndexAt, describeBlock, type MapView } from "./map-view.js";

export type Hit =
  | { kind: "block"; index: number; start: number; end: number; text: string }
  | { kind: "range"; start: number; end: number; text: string; name: string }
  | { kind: "gap"; start: number; end: number; text: string };

export function canvasSurface(ctx: CanvasRenderingContext2D): Surface {
  const font = (size = 11, bold = false) => `${bold ? "bold " : ""}${size}px system-ui, sans-serif`;
  return {
    rect(x, y, w, h, fill, stroke, dashed) {
      if (fill !== "none") {
        ctx.fillStyle = fill;
        ctx.fillRect(x, y, w, h);
      }
      if (stroke) {
        ctx.strokeStyle = stroke;
        ctx.lineWidth = dashed ? 1.5 : 2;
        ctx.setLineDash(dashed ? [4, 3] : []);
        ctx.strokeRect(x + 0.5, y + 0.5, Math.max(0, w - 1), Math.max(0, h - 1));
        ctx.setLineDash([]);
      }
    },
    text(x, y, s, fill, opts) {
      ctx.font = font(opts?.size, opts?.bold);
      ctx.fillStyle = fill;
      ctx.textAlign = opts?.align ?? "left";
      ctx.fillText(s, x, y);
    },
    measure(s, size) {
      ctx.font = font(size);
      return ctx.measureText(s).width;
    },
  };
}

export class MapCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private view: MapView | null = null;
  axis: Axis | null = null;
  private marks: Marks = { changed: [], mismatch: [], selected: null };
  private t: ZoomTransform = zoomIdentity;
  private readonly zoomer: ZoomBehavior<HTMLCanvasElement, unknown>;
  private pending = false;
  private rows: Row[] = [];
  collapse = true;
  /** Frame times (ms) of the last draws, for the benchmark. */
  readonly frameTimes: number[] = [];
  onHover: (hit: Hit | null, x: number, y: number) => void = () => undefined;
  onSelect: (hit: Hit) => void = () => undefined;
  onViewChange: () => void = () => undefined;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d")!;
    this.zoomer = zoom<HTMLCanvasElement, unknown>().on("zoom", (e: { transform: ZoomTransform }) => {
      this.t = e.transform;
      this.schedule();
      this.onViewChange();
    });
    select(canvas).call(this.zoomer).on("dblclick.zoom", null);
    canvas.addEventListener("mousemove", (e) => this.onHover(this.hitAt(e.offsetX, e.offsetY), e.clientX, e.clientY));
    canvas.addEventListener("mouseleave", () => this.onHover(null, 0, 0));
    canvas.addEventListener("click", (e) => {
      const h = this.hitAt(e.offsetX, e.offsetY);
      if (h) this.onSelect(h);
    });
    canvas.addEventListener("keydown", (e) => this.key(e));
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement ?? canvas);
  }

  private get width(): number {
    return this.canvas.clientWidth || 1000;
  }

  private base(v: number): number {
    return GUTTER + (v / (this.axis?.total ?? 1)) * (this.width - GUTTER);
  }

  viewport(): Viewport {
    const total = this.axis?.total ?? 1;
    const w = this.width;
    return {
      width: w,
      x: (v) => this.t.applyX(this.base(v)),
      v: (x) => ((this.t.invertX(x) - GUTTER) / (w - GUTTER)) * total,
    };
  }

  setView(v: MapView, keepZoom = true): void {
    const first = this.view === null;
    const old = this.axis && this.view ? this.visibleRange() : null;
    this.view = v;
    this.axis = makeAxis(v, this.collapse);
    const h = layoutRows(v).height;
    this.canvas.style.height = `${h}px`;
    this.zoomer.scaleExtent([1, Math.max(1, this.axis.total / 2 ** 20)]).translateExtent([
      [GUTTER, 0],
      [this.width, h],
    ]).extent([
      [GUTTER, 0],
      [this.width, h],
    ]);
    this.resize();
    if (!first && keepZoom && old) this.zoomTo(old.start, old.end, 0, 0);
  }

  setCollapse(on: boolean): void {
    if (!this.view) return;
    const r = this.visibleRange();
    this.collapse = on;
    this.setView(this.view, false);
    this.zoomTo(r.start, r.end, 0, 0);
  }

  getMarks(): Marks {
    return this.marks;
  }

  setMarks(m: Marks): void {
    this.marks = m;
    this.schedule();
  }

  private resize(): void {
    if (!this.view) return;
    const dpr = window.devicePixelRatio || 1;
    const h = layoutRows(this.view).height;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.schedule();
  }

  schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw(): void {
    if (!this.view || !this.axis) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.ctx.clearRect(0, 0, this.width, this.canvas.height / dpr);
    this.ctx.fillStyle = "#FFFFFF";
    this.ctx.fillRect(0, 0, this.width, this.canvas.height / dpr);
    this.rows = drawMap(canvasSurface(this.ctx), this.viewport(), this.axis, this.view, this.marks);
    // Where the rows are (CSS pixels), for tests and tools that click on the map.
    this.canvas.dataset.rows = this.rows.map((r) => `${r.kind}${r.depth ?? ""}:${r.y}:${r.h}`).join(" ");
    if (this.frameTimes.length === 0 && !performance.getEntriesByName("memhp-first-map").length) performance.mark("memhp-first-map");
    this.frameTimes.push(performance.now() - t0);
    if (this.frameTimes.length > 1000) this.frameTimes.shift();
  }

  /** The address range in view. */
  visibleRange(): { start: number; end: number } {
    const vp = this.viewport();
    const ax = this.axis!;
    return { start: Math.max(0, ax.toA(vp.v(GUTTER))), end: ax.toA(vp.v(vp.width)) };
  }

  /** Zoom so that [start, end) fills the map (with a margin), animated unless duration 0. */
  zoomTo(start: number, end: number, duration = 350, margin = 0.04): void {
    if (!this.axis) return;
    const b0 = this.base(this.axis.toV(start));
    const b1 = this.base(this.axis.toV(end));
    const avail = this.width - GUTTER;
    const k = Math.max(1, Math.min(this.zoomer.scaleExtent()[1], (avail * (1 - 2 * margin)) / Math.max(b1 - b0, 1e-9)));
    const x = GUTTER + avail * margin - k * b0 + (avail * (1 - 2 * margin) - k * (b1 - b0)) / 2;
    const target = zoomIdentity.translate(x, 0).scale(k);
    const sel = select(this.canvas);
    if (duration > 0 && !matchMedia("(prefers-reduced-motion: reduce)").matches) sel.transition().duration(duration).call(this.zoomer.transform, target);
    else sel.call(this.zoomer.transform, target);
  }

  zoomBy(f: number): void {
    select(this.canvas).call(this.zoomer.scaleBy, f);
  }

  panBy(px: number): void {
    select(this.canvas).call(this.zoomer.translateBy, px / this.t.k, 0);
  }

  reset(): void {
    select(this.canvas).call(this.zoomer.transform, zoomIdentity);
  }

  private key(e: KeyboardEvent): void {
    const w = this.width - GUTTER;
    const keys: Record<string, () => void> = {
      "+": () => this.zoomBy(1.5),
      "=": () => this.zoomBy(1.5),
      "-": () => this.zoomBy(1 / 1.5),
      ArrowLeft: () => this.panBy(w / 8),
      ArrowRight: () => this.panBy(-w / 8),
      Home: () => this.reset(),
      Enter: () => {
        // Select what is under the centre of the view, in the memory block row (else the first row holding something).
        const x = GUTTER + w / 2;
        const order = ["blocks", "iomem", "sections", "nodes"];
        const rows = [...this.rows].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
        for (const r of rows) {
          const h = order.includes(r.kind) ? this.hitAt(x, r.y + r.h / 2) : null;
          if (h) return this.onSelect(h);
        }
      },
    };
    const f = keys[e.key];
    if (f && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      f();
    }
  }

  /** What is under a point of the canvas. */
  hitAt(x: number, y: number): Hit | null {
    const v = this.view;
    const ax = this.axis;
    if (!v || !ax || x < GUTTER) return null;
    const row = this.rows.find((r) => y >= r.y && y < r.y + r.h);
    if (!row) return null;
    const a = ax.toA(this.viewport().v(x));
    const piece = ax.pieceAt(a);
    if (piece.gap) return { kind: "gap", start: piece.a0, end: piece.a1, text: `unpopulated ${hexRange(piece.a0, piece.a1)} (${formatBytes(piece.a1 - piece.a0)}, collapsed)` };
    if (row.kind === "blocks") {
      const i = blockIndexAt(v.blocks, a);
      if (i >= 0) return { kind: "block", index: i, start: v.blocks.start[i], end: v.blocks.start[i] + v.blocks.size[i], text: describeBlock(v, i) };
    }
    if (row.kind === "iomem") {
      const hits = v.iomem.filter((r) => (r.depth === row.depth || (row.depth === MAX_IOMEM_ROWS - 1 && r.depth > row.depth!)) && a >= r.start && a < r.end);
      const r = hits[hits.length - 1];
      if (r) return { kind: "range", start: r.start, end: r.end, name: r.name, text: `${r.name} ${hexRange(r.start, r.end)} (${formatBytes(r.end - r.start)})` };
    }
    if (row.kind === "sections" || row.kind === "subsections") {
      const ss = row.kind === "sections" ? v.sectionSize : v.subsectionSize;
      const s = Math.floor(a / ss) * ss;
      const nr = Math.floor(a / v.sectionSize);
      const p = v.partial.find((q) => q.nr === nr);
      const sub = Math.floor((a - nr * v.sectionSize) / v.subsectionSize);
      const dev = v.pgmaps.find((g) => a >= g.start && a < g.end);
      const what =
        row.kind === "sections"
          ? `section ${nr} ${hexRange(s, s + ss)}${p ? `: ${p.bits.filter(Boolean).length} of ${p.bits.length} sub-sections present` : ""}`
          : `sub-section ${sub} of section ${nr} ${hexRange(s, s + ss)}: ${p && !p.bits[sub] ? "not present" : dev ? `ZONE_DEVICE (${dev.owner})` : "memory"}`;
      return { kind: "range", start: s, end: s + ss, name: row.kind === "sections" ? `section ${nr}` : `sub-section ${nr}.${sub}`, text: what };
    }
    if (row.kind === "nodes") {
      const n = v.nodes.find((q) => a >= q.start && a < q.end);
      if (n) return { kind: "range", start: n.start, end: n.end, name: `node${n.nid}`, text: `node${n.nid} ${hexRange(n.start, n.end)} (${formatBytes(n.end - n.start)})` };
    }
    return null;
  }
}
