/**
 * ZONE_MOVABLE at boot from `kernelcore=` and `movablecore=`
 * (find_zone_movable_pfns_for_nodes(), mm/page_alloc.c; mm/mm_init.c since
 * 6.6): the kernel keeps `kernelcore` pages (or all but `movablecore`) for
 * kernel allocations, spread evenly over the nodes with memory from the
 * lowest pfn the movable zone could start at, and gives each node's rest
 * above that point, aligned up to a max-order block, to ZONE_MOVABLE; the
 * other zones stop there (adjust_zone_range_for_zone_movable()). Evidence:
 * test/oracle/traces/x-probe8-movablecore (x86, movablecore=512M on 2 GiB:
 * Movable from 0x60000000). `kernelcore=mirror` needs mirrored memory, which
 * QEMU has none of: no Movable zone.
 */

import { memparse } from "./cmdline.js";
import { ZONE_MOVABLE } from "./zone.js";

/** A size in bytes or a percentage of all memory, as cmdline_parse_core() reads it. */
export type CoreSize = { bytes: number } | { percent: number };

/** cmdline_parse_core(): memparse() with K/M/G/T/P/E, or "N%" (0-100). Null for what the kernel rejects. */
export function parseCoreSize(val: string): CoreSize | null {
  const pct = /^(\d+)%$/.exec(val);
  if (pct) {
    const n = Number(pct[1]);
    return n <= 100 ? { percent: n } : null;
  }
  const m = memparse(val);
  return m && m.rest === "" ? { bytes: m.value } : null;
}

/** A memblock range in pfns, [start, end), on a node. */
export interface PfnRange {
  start: number;
  end: number;
  nid: number;
}

/**
 * zone_movable_pfn[] by node (nodes without a Movable zone are absent).
 * `usableStartPfn`: arch_zone_lowest_possible_pfn[movable_zone], the lowest pfn of the highest possible zone below
 * Movable; `maxOrderPages`: MAX_ORDER_NR_PAGES; sizes in bytes count in pages of `pageSize`.
 */
export function zoneMovablePfns(ranges: PfnRange[], kernelcore: CoreSize | null, movablecore: CoreSize | null, usableStartPfn: number, maxOrderPages: number, pageSize: number): Map<number, number> {
  const out = new Map<number, number>();
  const sorted = [...ranges].sort((a, b) => a.nid - b.nid || a.start - b.start);
  const totalpages = sorted.reduce((a, r) => a + (r.end - r.start), 0);
  const pages = (c: CoreSize | null) => (c === null ? 0 : "percent" in c ? Math.floor((totalpages * 100 * c.percent) / 10000) : Math.floor(c.bytes / pageSize));
  let requiredKernelcore = pages(kernelcore);
  let requiredMovablecore = pages(movablecore);
  if (requiredMovablecore) {
    requiredMovablecore = Math.min(totalpages, Math.ceil(requiredMovablecore / maxOrderPages) * maxOrderPages);
    requiredKernelcore = Math.max(requiredKernelcore, totalpages - requiredMovablecore);
  }
  if (!requiredKernelcore || requiredKernelcore >= totalpages) return out;
  const nodes = [...new Set(sorted.map((r) => r.nid))];
  const zmp = new Map<number, number>(nodes.map((n) => [n, 0]));
  let usableNodes = nodes.length;
  for (;;) {
    let kernelcoreNode = Math.floor(requiredKernelcore / usableNodes);
    for (const nid of nodes) {
      if (requiredKernelcore < kernelcoreNode) kernelcoreNode = Math.floor(requiredKernelcore / usableNodes);
      let remaining = kernelcoreNode;
      for (const r of sorted.filter((x) => x.nid === nid)) {
        let start = Math.max(r.start, zmp.get(nid)!);
        const end = r.end;
        if (start >= end) continue;
        if (start < usableStartPfn) {
          const kernelPages = Math.min(end, usableStartPfn) - start;
          remaining -= Math.min(kernelPages, remaining);
          requiredKernelcore -= Math.min(kernelPages, requiredKernelcore);
          if (end <= usableStartPfn) {
            zmp.set(nid, end);
            continue;
          }
          start = usableStartPfn;
        }
        const size = Math.min(end - start, remaining);
        zmp.set(nid, start + size);
        requiredKernelcore -= Math.min(requiredKernelcore, size);
        remaining -= size;
        if (!remaining) break;
      }
    }
    usableNodes--;
    if (!(usableNodes && requiredKernelcore > usableNodes)) break;
  }
  for (const nid of nodes) {
    const pfn = Math.ceil(zmp.get(nid)! / maxOrderPages) * maxOrderPages;
    const nodeEnd = Math.max(...sorted.filter((r) => r.nid === nid).map((r) => r.end));
    if (pfn > 0 && pfn < nodeEnd) out.set(nid, pfn);
  }
  return out;
}

/**
 * adjust_zone_range_for_zone_movable(): a zone's [start, end) once ZONE_MOVABLE starts at `zmp` on its node.
 * `movableEnd`: arch_zone_highest_possible_pfn[movable_zone].
 */
export function adjustZoneRange(zoneIdx: number, start: number, end: number, nodeEnd: number, zmp: number, movableEnd: number): { start: number; end: number } {
  if (zoneIdx === ZONE_MOVABLE) return { start: zmp, end: Math.min(nodeEnd, movableEnd) };
  if (start < zmp && end > zmp) return { start, end: zmp };
  if (start >= zmp) return { start: end, end };
  return { start, end };
}
