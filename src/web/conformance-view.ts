/**
 * The real kernel beside the model: a real-kernel trace checked exactly as
 * `memhp conformance` checks it (scenario/check.ts), its mismatches grouped
 * by step and placed on the map where they name a place (a memory block, an
 * iomem line, a zone span). Pure.
 */
import { checkTrace } from "../scenario/check.js";
import type { Mismatch } from "../scenario/conformance.js";
import type { Range } from "./map-draw.js";
import type { MapView } from "./map-view.js";

export interface StepVerdict {
  pass: boolean;
  mismatches: Mismatch[];
}

export interface ConformanceView {
  name: string;
  /** Index 0: boot; i: step i-1. */
  steps: StepVerdict[];
  /** Boot races and the outcome that reproduced the trace (run the page's model with them). */
  races: Record<string, number>;
  total: number;
}

export function checkInPage(text: string, file: string, boot: "derive" | "import" = "derive"): ConformanceView {
  const r = checkTrace(text, file, boot);
  const raw = JSON.parse(text) as { steps?: unknown[] };
  const n = Array.isArray(raw.steps) ? raw.steps.length : 0;
  const steps: StepVerdict[] = Array.from({ length: n + 1 }, () => ({ pass: true, mismatches: [] }));
  for (const m of r.mismatches) {
    const i = m.step === "boot" ? 0 : m.step; // steps count from 1; index 0 is the boot
    const s = steps[Math.min(i, n)];
    s.pass = false;
    s.mismatches.push(m);
  }
  return { name: r.name, steps, races: Object.fromEntries(r.races.map((x) => [x.key, x.outcome])), total: r.mismatches.length };
}

function iomemRange(line: unknown): Range | null {
  const m = /^\s*([0-9a-f]+)-([0-9a-f]+) : /.exec(typeof line === "string" ? line : "");
  return m ? { start: parseInt(m[1], 16), end: parseInt(m[2], 16) + 1 } : null;
}

/** Where on the map a mismatch is (null: nowhere in particular, e.g. MemTotal or a log line). */
export function mismatchRange(m: Mismatch, v: MapView, pageSize = 4096): Range | null {
  const blk = /^memory\.blocks\.memory(\d+)/.exec(m.field);
  if (blk) {
    const id = Number(blk[1]);
    const b = v.blocks;
    for (let i = 0; i < b.n; i++) if (b.id[i] === id) return { start: b.start[i], end: b.start[i] + b.size[i] };
    return { start: id * v.blockSize, end: (id + 1) * v.blockSize };
  }
  if (m.field.startsWith("iomem")) return iomemRange(m.expected) ?? iomemRange(m.got);
  const z = /^zoneinfo\.[^.]+\.[^.]+/.exec(m.field);
  if (z && typeof m.expected === "object" && m.expected && "start_pfn" in m.expected) {
    const e = m.expected as { start_pfn: number | null; spanned: number };
    if (e.start_pfn !== null) return { start: e.start_pfn * pageSize, end: (e.start_pfn + e.spanned) * pageSize };
  }
  return null;
}

export function mismatchText(m: Mismatch): string {
  return `${m.field}: real kernel ${JSON.stringify(m.expected)}, model ${JSON.stringify(m.got)}`;
}
