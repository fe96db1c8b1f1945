/**
 * kernel/dma/swiotlb.c, the part the command line sets: swiotlb= (how many
 * bounce-buffer slabs, areas, force or noforce). Where the buffer goes is
 * the architecture's boot (machine/arm64-early.ts). Pure.
 */
import { simpleStrtoull } from "./cmdline.js";
import { alignUp } from "./units.js";

/** IO_TLB_SEGSIZE: slabs come in segments of 128. */
export const IO_TLB_SEGSIZE = 128;

/** setup_io_tlb_npages(): the last swiotlb=[SLABS][,AREAS][,force|noforce]; SLABS rounded up to a segment (128). */
export function swiotlbCmdline(cmdline: string): { slabs: number | null; areas: number | null; force: boolean; noforce: boolean } {
  const out = { slabs: null as number | null, areas: null as number | null, force: false, noforce: false };
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("swiotlb=")) continue;
    let rest = w.slice("swiotlb=".length);
    // isdigit(), then simple_strtoul(str, &str, 0).
    const num = () => {
      const v = /^[0-9]/.test(rest) ? simpleStrtoull(rest) : null;
      if (!v) return null;
      rest = v.rest;
      return Number(v.value);
    };
    const slabs = num();
    if (slabs !== null) out.slabs = alignUp(slabs, IO_TLB_SEGSIZE);
    if (rest.startsWith(",")) rest = rest.slice(1);
    const areas = num();
    if (areas !== null) out.areas = areas;
    if (rest.startsWith(",")) rest = rest.slice(1);
    if (rest === "force") out.force = true;
    else if (rest === "noforce") out.noforce = true;
  }
  return out;
}
