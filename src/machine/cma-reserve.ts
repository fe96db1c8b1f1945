/**
 * mm/cma.c's boot-time declarations against the memblock replay
 * (arm64-memblock.ts): where cma_declare_contiguous_nid() and, from 6.15,
 * cma_declare_contiguous_multi() put an area — the global one (cma=),
 * the per-node ones and hugetlb_cma's. The architecture's boot
 * (arm64-early.ts) calls them at its points. Pure: no I/O.
 */
import { cmaCmdline } from "../kernel/dma-contiguous.js";
import { hugetlbCmaAreas, hugetlbCmaCmdline, type HugetlbCmaSizing } from "../kernel/hugetlb.js";
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";
import type { Memblock } from "./arm64-memblock.js";

interface Area {
  start: number;
  end: number;
}

/** The default CMA area (Debian: CONFIG_CMA_SIZE_MBYTES=64), aligned to a pageblock (a block: 2 MiB with 4K pages, as a two-node 2 GiB device-tree boot on 6.1 has it at 0xbaa00000; 32 MiB with 16K). */
const CMA = { size: 64 * MiB };

/**
 * dma_contiguous_reserve(limit) → cma_declare_contiguous(): the global CMA area, cma= or the build's default, aligned to
 * a pageblock (`align`). A fixed one (cma=SIZE@BASE) is reserved exactly there if it fits below the limit and nothing
 * holds it; any other is allocated in [BASE, min(LIMIT, limit)) as cma_alloc_mem() does. Null: no area (cma=0, or
 * no room: the kernel logs and goes on).
 */
export function globalCma(mb: Memblock, cmdline: string, align: number, limit: number): Area | null {
  const c = cmaCmdline(cmdline);
  const fixed = c !== null && c.base + c.size === c.limit;
  const size = alignUp(c ? c.size : CMA.size, align);
  if (!size) return null;
  const base = alignUp(c?.base ?? 0, align);
  let max = alignDown(c && c.limit ? Math.min(c.limit, limit) : limit, align);
  const end = mb.memory[mb.memory.length - 1].end;
  if (!max || max > end) max = end;
  if (base + size > max) return null;
  if (fixed) {
    if (mb.reserved.some((r) => r.base < base + size && base < r.end)) return null;
    mb.reserve(base, base + size);
    return { start: base, end: base + size };
  }
  const at = base ? mb.alloc({ size, align, min: base, max, phys: true }) : cmaAllocMem(mb, size, align, max);
  return at === null ? null : { start: at, end: at + size };
}

/**
 * cma_alloc_mem(): bottom-up from 4 GiB when the limit leaves room there (keeping DMA memory free), else top-down
 * below the limit; on exactly the node asked for.
 */
export function cmaAllocMem(mb: Memblock, size: number, align: number, limit: number, nid?: number): number | null {
  const FOUR_G = 4 * GiB;
  const at = limit >= FOUR_G + size ? mb.alloc({ size, align, min: FOUR_G, max: limit, nid, exact: true, bottomUp: true }) : null;
  return at ?? mb.alloc({ size, align, max: limit, nid, exact: nid !== undefined });
}


/** CMA_MAX_RANGES: cma_declare_contiguous_multi() takes at most this many pieces. */
const CMA_MAX_RANGES = 8;

/**
 * cma_declare_contiguous_multi(): one area as cma_alloc_mem() places it, else pieces of the node's free memory from
 * 4 GiB up (each trimmed to `align`, its size to `granule`), the largest ones until `size` is reached, reserved in
 * address order (the last one only as far as needed). Null when the pieces do not add up.
 */
export function cmaDeclareMulti(mb: Memblock, size: number, align: number, granule: number, nid: number): Area[] | null {
  const end = mb.memory[mb.memory.length - 1].end;
  const one = cmaAllocMem(mb, size, align, end, nid);
  if (one !== null) return [{ start: one, end: one + size }];
  const pieces: Area[] = [];
  let sum = 0;
  for (const r of mb.freeRanges(nid)) {
    if (r.base < 4 * GiB) continue;
    const start = alignUp(r.base, align);
    const stop = alignDown(r.end, align);
    const len = alignDown(stop - start, granule);
    if (stop <= start || len <= 0) continue;
    sum += len;
    if (pieces.length === CMA_MAX_RANGES) {
      const smallest = pieces[pieces.length - 1];
      if (len < smallest.end - smallest.start) continue;
      pieces.pop();
    }
    pieces.push({ start, end: start + len });
    pieces.sort((a, b) => b.end - b.start - (a.end - a.start));
  }
  if (sum < size) return null;
  const chosen: Area[] = [];
  let left = size;
  for (const p of pieces) {
    if (left <= 0) break;
    chosen.push(p);
    left -= p.end - p.start;
  }
  if (left > 0) return null;
  chosen.sort((a, b) => a.start - b.start);
  const out: Area[] = [];
  let need = size;
  for (const p of chosen) {
    const take = Math.min(need, p.end - p.start);
    mb.reserve(p.start, p.start + take);
    out.push({ start: p.start, end: p.start + take });
    need -= take;
  }
  return out;
}

/** How a build reserves hugetlb_cma's areas (EarlyProgram.hugetlbCma). */
export interface HugetlbCmaProgram {
  /** The alignment asked for: a pageblock (6.1) or a gigantic page (6.10 on). */
  align: "pageblock" | "gigantic";
  sizing: HugetlbCmaSizing;
  /** cma_declare_contiguous_nid() (one piece) or cma_declare_contiguous_multi() (6.15 on). */
  search: "one" | "multi";
}

/**
 * hugetlb_cma_reserve(): hugetlb_cma='s areas on `nodes`, gigantic pages of `gigantic` bytes (1 GiB with 4K and 16K
 * pages), each node's exactly on it; none where the command line has no hugetlb_cma=. An area that spans zones is
 * kept in memblock (its pages go to the buddy allocator later, not to CMA).
 */
export function hugetlbCma(mb: Memblock, cmdline: string, prog: HugetlbCmaProgram, nodes: number[], gigantic: number, pageblock: number): Area[] {
  const req = hugetlbCmaCmdline(cmdline);
  const out: Area[] = [];
  if (!req) return out;
  const align = prog.align === "pageblock" ? pageblock : gigantic;
  const end = mb.memory[mb.memory.length - 1].end;
  hugetlbCmaAreas(req, nodes, gigantic, prog.sizing, (nid, size) => {
    if (prog.search === "multi") {
      const got = cmaDeclareMulti(mb, size, align, pageblock, nid);
      if (got) out.push(...got);
      return got !== null;
    }
    const at = cmaAllocMem(mb, size, align, end, nid);
    if (at !== null) out.push({ start: at, end: at + size });
    return at !== null;
  });
  return out;
}
