/**
 * mm/hugetlb.c, the part the command line sets at boot: hugepagesz= and
 * hugepages=. Gigantic pages come from memblock during the boot (placed by
 * machine/arm64-early.ts); smaller ones from the buddy allocator afterwards,
 * which memhp does not model. Pure.
 */
import { memparse, nodeSizes } from "./cmdline.js";
import { GiB } from "./units.js";

/**
 * Gigantic huge pages the command line asks for at boot (hugepagesz=SIZE then hugepages=N, SIZE of 1 GiB or more):
 * how many of which size. Each is one memblock allocation of its own size and alignment, top-down
 * (alloc_bootmem_huge_page()), until memblock has no room ("HugeTLB: allocating N of page size … failed").
 */
export function bootGiganticPages(cmdline: string): { size: number; count: number }[] {
  const out: { size: number; count: number }[] = [];
  let size = 0;
  for (const w of cmdline.split(" ")) {
    if (w.startsWith("hugepagesz=")) size = memparse(w.slice("hugepagesz=".length))?.value ?? 0;
    else if (w.startsWith("hugepages=") && size >= GiB) {
      const n = memparse(w.slice("hugepages=".length));
      if (n && n.rest === "" && n.value > 0) out.push({ size, count: n.value });
    }
  }
  return out;
}

/** hugetlb_cma=: a total size, or sizes per node ("N:SIZE,N:SIZE"); null without one. The last one wins. */
export function hugetlbCmaCmdline(cmdline: string): { total: number } | { perNode: Map<number, number> } | null {
  let out: { total: number } | { perNode: Map<number, number> } | null = null;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("hugetlb_cma=")) continue;
    const v = w.slice("hugetlb_cma=".length);
    if (/^\d+:/.test(v)) {
      // cmdline_parse_hugetlb_cma(): node:size pairs separated by commas, up to the first one it cannot read.
      out = { perNode: nodeSizes(v) };
    } else {
      out = { total: memparse(v)?.value ?? 0 };
    }
  }
  return out;
}

/**
 * How a build sizes hugetlb_cma's areas (hugetlb_cma_reserve()): "roundup" (6.1, 6.12: a size below one gigantic
 * page is refused, "cma area should be at least …"; each node's share is rounded up to whole pages) or "multiple"
 * (7.x: a size that is not a whole number of gigantic pages is refused, "… must be a multiple of …").
 */
export type HugetlbCmaSizing = "roundup" | "multiple";

/**
 * The area each node asks for, in node order: a given size per node, else the total spread over `nodes` (up to
 * its share each, until the total is reached; `reserve` reports whether a node got its area, which counts then).
 */
export function hugetlbCmaAreas(req: { total: number } | { perNode: Map<number, number> }, nodes: number[], gigantic: number, sizing: HugetlbCmaSizing, reserve: (nid: number, size: number) => boolean): void {
  const fits = (size: number) => (sizing === "roundup" ? size >= gigantic : size > 0 && size % gigantic === 0);
  const round = (size: number) => (sizing === "roundup" ? Math.ceil(size / gigantic) * gigantic : size);
  if ("perNode" in req) {
    for (const nid of nodes) {
      const size = req.perNode.get(nid) ?? 0;
      if (fits(size)) reserve(nid, round(size));
    }
    return;
  }
  if (!fits(req.total) || !nodes.length) return;
  let perNode = Math.ceil(req.total / nodes.length);
  if (sizing === "multiple") perNode = Math.ceil(perNode / gigantic) * gigantic;
  let reserved = 0;
  for (const nid of nodes) {
    const size = round(Math.min(perNode, req.total - reserved));
    if (reserve(nid, size)) reserved += size;
    if (reserved >= req.total) break;
  }
}
