/**
 * Export: the current view as SVG (drawn by the same code as the canvas, on
 * an SVG surface) or PNG, downloads, and the page's state as a URL hash
 * (scenario, step, view) that reopens it.
 */
import type { Axis } from "./axis.js";
import { drawMap, layoutRows, type Marks, type Surface, type Viewport } from "./map-draw.js";
import type { MapView } from "./map-view.js";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function svgSurface(parts: string[], measure: (s: string, size?: number) => number): Surface {
  const n = (x: number) => (Math.round(x * 100) / 100).toString();
  return {
    rect(x, y, w, h, fill, stroke, dashed) {
      parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"${stroke ? ` stroke="${stroke}" stroke-width="${dashed ? 1.5 : 2}"${dashed ? ' stroke-dasharray="4 3"' : ""}` : ""}/>`);
    },
    text(x, y, s, fill, opts) {
      const anchor = opts?.align === "center" ? "middle" : opts?.align === "right" ? "end" : "start";
      parts.push(`<text x="${n(x)}" y="${n(y)}" fill="${fill}" font-size="${opts?.size ?? 11}"${opts?.bold ? ' font-weight="bold"' : ""} text-anchor="${anchor}">${esc(s)}</text>`);
    },
    measure,
  };
}

/** The map as an SVG document. */
export function mapSvg(vp: Viewport, ax: Axis, v: MapView, marks: Marks, measure: (s: string, size?: number) => number): string {
  const parts: string[] = [];
  drawMap(svgSurface(parts, measure), vp, ax, v, marks);
  const h = layoutRows(v).height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${vp.width}" height="${h}" viewBox="0 0 ${vp.width} ${h}" font-family="system-ui, sans-serif"><rect width="100%" height="100%" fill="#FFFFFF"/>${parts.join("")}</svg>\n`;
}

export function download(name: string, data: Blob | string, type = "text/plain"): void {
  const blob = typeof data === "string" ? new Blob([data], { type }) : data;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export interface PageState {
  example?: string;
  text?: string;
  step?: number;
  view?: { start: number; end: number };
  profile?: string;
}

function b64encode(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64decode(s: string): string {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function encodeState(st: PageState): string {
  const p = new URLSearchParams();
  if (st.example) p.set("example", st.example);
  else if (st.text) p.set("s", b64encode(st.text));
  if (st.profile) p.set("profile", st.profile);
  if (st.step !== undefined) p.set("step", String(st.step));
  if (st.view) p.set("view", `${Math.floor(st.view.start).toString(16)}-${Math.ceil(st.view.end).toString(16)}`);
  return `#${p.toString()}`;
}

export function decodeState(hash: string): PageState {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const st: PageState = {};
  if (p.get("example")) st.example = p.get("example")!;
  try {
    if (p.get("s")) st.text = b64decode(p.get("s")!);
  } catch {
    /* a damaged link: ignore the scenario part */
  }
  if (p.get("profile")) st.profile = p.get("profile")!;
  if (/^\d+$/.test(p.get("step") ?? "")) st.step = Number(p.get("step"));
  const m = /^([0-9a-f]+)-([0-9a-f]+)$/i.exec(p.get("view") ?? "");
  if (m) st.view = { start: parseInt(m[1], 16), end: parseInt(m[2], 16) };
  return st;
}
