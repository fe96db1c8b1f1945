/**
 * What a dump's files say about memory beyond the attributes: the System
 * RAM of its /proc/iomem tree, and zone spans inferred from the blocks when
 * the dump has no /proc/zoneinfo. Pure (browser-safe).
 */
import { X86_64, zoneLimits, type Geometry } from "../kernel/arch.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import type { IomemSpec } from "../machine/types.js";
import { bad, type ParsedBlock } from "./dump-attrs.js";
import type { DumpFile } from "./dump.js";
import type { Snapshot } from "./snapshot.js";

export const PS = 4096;
const ZONES = ZONE_NAMES as readonly string[];

/** The outermost busy System RAM ranges of an iomem tree (end exclusive), in order. */
export function systemRam(specs: IomemSpec[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const visit = (list: IomemSpec[]) => {
    for (const r of list) {
      if (r.sysram && r.busy) out.push({ start: r.start, end: r.end + 1 });
      else visit(r.children ?? []);
    }
  };
  visit(specs);
  return out.sort((a, b) => a.start - b.start);
}

/** Siblings of an iomem tree must not overlap (the kernel's tree never does). */
export function checkIomemOverlap(f: DumpFile, specs: IomemSpec[]): void {
  const lines = f.text.split("\n");
  const lineOf = (r: IomemSpec) => {
    const i = lines.findIndex((l) => l.trim() === `${r.start.toString(16).padStart(8, "0")}-${r.end.toString(16).padStart(8, "0")} : ${r.name}`);
    return i < 0 ? undefined : i + 1;
  };
  const visit = (list: IomemSpec[]) => {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1];
      const b = sorted[i];
      if (b.start <= a.end) throw bad(f, `"${b.name}" ${b.start.toString(16)}-${b.end.toString(16)} overlaps "${a.name}" ${a.start.toString(16)}-${a.end.toString(16)}`, lineOf(b));
    }
    for (const r of list) visit(r.children ?? []);
  };
  visit(specs);
}

export function pagesIn(ram: { start: number; end: number }[], s: number, e: number, ps = PS): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of ram) {
    const a = Math.ceil(Math.max(s, r.start) / ps);
    const b = Math.floor(Math.min(e, r.end) / ps);
    if (b > a) out.push({ start: a, end: b });
  }
  return out;
}

/** The zone of each online block's pages: its valid_zones word, or by address when it has none. */
export function inferZoneinfo(blocks: ParsedBlock[], ram: { start: number; end: number }[], blockSize: number, g: Geometry = X86_64): Snapshot["zoneinfo"] {
  const limits = zoneLimits(g, ram.length ? Math.min(...ram.map((r) => r.start)) : 0);
  const acc = new Map<string, { lo: number; hi: number; present: number }>();
  const add = (nid: number, zone: string, start: number, end: number) => {
    const key = `${nid}/${zone}`;
    const a = acc.get(key) ?? { lo: Infinity, hi: -Infinity, present: 0 };
    a.lo = Math.min(a.lo, start);
    a.hi = Math.max(a.hi, end);
    a.present += end - start;
    acc.set(key, a);
  };
  const nodes = new Set<number>();
  for (const b of blocks) {
    const nid = b.src.nodes.length ? Math.min(...b.src.nodes) : 0;
    nodes.add(nid);
    if (b.snap.state === "offline") continue;
    const words = b.snap.valid_zones.split(" ");
    const s = b.id * blockSize;
    for (const r of pagesIn(ram, s, s + blockSize, g.pageSize)) {
      if (words.length === 1 && ZONES.includes(words[0])) {
        add(nid, words[0], r.start, r.end);
        continue;
      }
      // A block in several zones (memory0: DMA and DMA32): split by the architecture's zone limits.
      let lo = 0;
      for (let zi = 0; zi < 3; zi++) {
        const hi = limits[zi] / g.pageSize;
        const a = Math.max(lo, r.start);
        const e = Math.min(hi, r.end);
        if (e > a) add(nid, ZONES[zi], a, e);
        lo = hi;
      }
    }
  }
  const out: Snapshot["zoneinfo"] = {};
  for (const nid of [...nodes].sort((a, b) => a - b)) {
    const zs: Snapshot["zoneinfo"][string] = {};
    for (const zone of ZONES) {
      const a = acc.get(`${nid}/${zone}`);
      zs[zone] = a ? { start_pfn: a.lo, spanned: a.hi - a.lo, present: a.present } : { start_pfn: null, spanned: 0, present: 0 };
    }
    out[`node${nid}`] = zs;
  }
  return out;
}
