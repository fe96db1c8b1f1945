/**
 * memblock.memory as a boot layout hands it to the kernel model: ranges by
 * node, ascending, adjacent ranges of one node as one (what
 * memblock_merge_regions() leaves; nomap splits only matter to /proc/iomem).
 * Pure.
 */
import type { MemblockRange } from "./types.js";

/** Sort by address and merge adjacent ranges of the same node. */
export function mergeMemblockRanges(list: readonly MemblockRange[]): MemblockRange[] {
  const out: MemblockRange[] = [];
  for (const r of [...list].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && last.nid === r.nid && last.end === r.start) last.end = r.end;
    else out.push({ ...r });
  }
  return out;
}
