/**
 * A visual address map of one snapshot: the physical address space as a bar,
 * long empty stretches folded, with the top-level /proc/iomem resources on
 * one row and the memory blocks (coloured by state and zone) on another.
 * Pure: snapshot in, SVG text out (the web page and tests use it alike).
 */
import type { Snapshot } from "../abi/snapshot.js";

export interface Segment {
  start: number;
  /** Exclusive. */
  end: number;
  label: string;
  kind: string;
}

const COLORS: Record<string, string> = {
  "System RAM": "#4caf50",
  "System RAM (kmem)": "#8bc34a",
  "System RAM (virtio_mem)": "#8bc34a",
  Reserved: "#616161",
  "Persistent Memory": "#9c27b0",
  "Persistent Memory (legacy)": "#9c27b0",
  PCI: "#b0bec5",
  device: "#ff9800",
  other: "#cfd8dc",
  online: "#2e7d32",
  Movable: "#1565c0",
  Normal: "#00897b",
  DMA32: "#43a047",
  offline: "#9e9e9e",
  none: "#6d4c41",
};

function kindOf(name: string): string {
  if (name in COLORS) return name;
  if (name.startsWith("PCI")) return "PCI";
  if (/^(virtio\d+|dax\d+\.\d+|namespace\d+\.\d+)$/.test(name)) return "device";
  return "other";
}

/** Top-level iomem resources of a snapshot. */
export function iomemSegments(s: Snapshot): Segment[] {
  const out: Segment[] = [];
  for (const line of s.iomem) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : (.*)$/.exec(line);
    if (!m) continue;
    const start = parseInt(m[1], 16);
    const end = parseInt(m[2], 16) + 1;
    out.push({ start, end, label: m[3], kind: kindOf(m[3]) });
  }
  return out;
}

/** Memory blocks of a snapshot, coloured by zone when online, else by state. */
export function blockSegments(s: Snapshot): Segment[] {
  const bs = parseInt(s.memory.block_size_bytes, 16);
  return Object.entries(s.memory.blocks).map(([name, b]) => {
    const id = Number(name.slice(6));
    const kind = b.state === "online" ? (b.valid_zones in COLORS ? b.valid_zones : "online") : "offline";
    return { start: id * bs, end: (id + 1) * bs, label: `${name} ${b.state} ${b.valid_zones}`, kind };
  });
}

interface Piece {
  start: number;
  end: number;
  x: number;
  w: number;
}

/** Fold the address space: used ranges get width by size (with a minimum), long gaps a fixed break. */
export function foldAddressSpace(segments: Segment[], width: number): Piece[] {
  const spans = [...segments].sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ start: s.start, end: s.end });
  }
  const gap = 12;
  const total = merged.reduce((a, r) => a + Math.log2(1 + (r.end - r.start) / 4096), 0);
  const usable = Math.max(1, width - gap * Math.max(0, merged.length - 1));
  let x = 0;
  return merged.map((r) => {
    const w = (usable * Math.log2(1 + (r.end - r.start) / 4096)) / total;
    const p = { start: r.start, end: r.end, x, w };
    x += w + gap;
    return p;
  });
}

function place(pieces: Piece[], start: number, end: number): { x: number; w: number } | null {
  const p = pieces.find((q) => start >= q.start && start < q.end);
  if (!p) return null;
  const f = (a: number) => p.x + (p.w * (a - p.start)) / (p.end - p.start);
  return { x: f(start), w: Math.max(0.5, f(Math.min(end, p.end)) - f(start)) };
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function addressMapSvg(s: Snapshot, width = 1000): string {
  const top = iomemSegments(s);
  const blocks = blockSegments(s);
  const pieces = foldAddressSpace([...top, ...blocks], width);
  const rows: string[] = [];
  const rect = (seg: Segment, y: number, h: number) => {
    const p = place(pieces, seg.start, seg.end);
    if (!p) return;
    const title = `${seg.label} [0x${seg.start.toString(16)}-0x${(seg.end - 1).toString(16)}]`;
    rows.push(`<rect x="${p.x.toFixed(2)}" y="${y}" width="${p.w.toFixed(2)}" height="${h}" fill="${COLORS[seg.kind] ?? COLORS.other}" stroke="#fff" stroke-width="0.5"><title>${esc(title)}</title></rect>`);
  };
  for (const seg of top) rect(seg, 20, 30);
  for (const seg of blocks) rect(seg, 62, 30);
  let lastLabelEnd = -Infinity;
  for (const p of pieces) {
    const text = `0x${p.start.toString(16)}`;
    if (p.x < lastLabelEnd) continue; // keep labels of tiny neighbours from overlapping
    rows.push(`<text x="${p.x.toFixed(2)}" y="108" font-size="9" font-family="monospace">${text}</text>`);
    lastLabelEnd = p.x + text.length * 6 + 4;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="120" viewBox="0 0 ${width} 120">` +
    `<text x="0" y="14" font-size="11" font-family="sans-serif">/proc/iomem (top level)</text>` +
    `<text x="0" y="58" font-size="11" font-family="sans-serif">memory blocks</text>` +
    rows.join("") +
    `</svg>`
  );
}
