/**
 * mm/percpu.c, the first chunk: which allocator the command line picks
 * (percpu_alloc=embed|page), the unit a page-mapped first chunk gets, and
 * the sizes pcpu_setup_first_chunk() and pcpu_alloc_first_chunk() take from
 * memblock for it (a64-probe54-uefi-2g-2cpu-percpu-page-mbdbg: the same
 * formulas give every build's embedded chunk as measured). Pure.
 */
import { alignUp } from "./units.js";

/** PERCPU_MODULE_RESERVE: the reserved region for modules' static per-CPU data. */
export const PERCPU_MODULE_RESERVE = 8 * 1024;
/** PCPU_MIN_ALLOC_SIZE: the allocation map has a bit per 4 bytes. */
const PCPU_MIN_ALLOC = 4;
/** sizeof(struct pcpu_block_md): one per page (PCPU_BITMAP_BLOCK_SIZE) of a region. */
const BLOCK_MD = 32;
/** PCPU_SLOT_BASE_SHIFT; sizeof(struct list_head). */
const SLOT_BASE_SHIFT = 5;
const LIST_HEAD = 16;

/** percpu_alloc=: the last "embed" or "page" (anything else is warned about and ignored); null: the architecture's choice (embed). */
export function percpuAllocCmdline(cmdline: string): "embed" | "page" | null {
  let fc: "embed" | "page" | null = null;
  for (const w of cmdline.split(" ")) {
    if (w === "percpu_alloc=embed") fc = "embed";
    else if (w === "percpu_alloc=page") fc = "page";
  }
  return fc;
}

/** pcpu_page_first_chunk()'s unit: the static data, the module reserve and PERCPU_DYNAMIC_EARLY_SIZE, in whole pages. */
export function pageFirstChunkUnit(staticSize: number, dynEarly: number, page: number): number {
  return alignUp(staticSize + PERCPU_MODULE_RESERVE + dynEarly, page);
}

const fls = (x: number) => (x <= 0 ? 0 : Math.floor(Math.log2(x)) + 1);

/** pcpu_setup_first_chunk()'s slot lists for a unit of `unit` bytes: pcpu_nr_slots list heads. */
export function pcpuSlotBytes(unit: number): number {
  return (Math.max(fls(unit) - SLOT_BASE_SHIFT + 2, 1) + 4) * LIST_HEAD;
}

/**
 * pcpu_alloc_first_chunk()'s four allocations for the reserved region and then the dynamic one: the chunk
 * (`chunkStruct`), the allocation bitmap, the boundary bitmap and the block metadata, each region counted from its
 * page-aligned start to the next page boundary after it.
 */
export function firstChunkMaps(staticSize: number, unit: number, chunkStruct: number, page: number): number[][] {
  const region = (offset: number, size: number) => alignUp((offset % page) + size, page);
  const maps = (bytes: number) => {
    const bits = bytes / PCPU_MIN_ALLOC;
    return [chunkStruct, Math.ceil(bits / 64) * 8, Math.ceil((bits + 1) / 64) * 8, (bytes / page) * BLOCK_MD];
  };
  const dyn = unit - staticSize - PERCPU_MODULE_RESERVE;
  return [maps(region(staticSize, PERCPU_MODULE_RESERVE)), maps(region(staticSize + PERCPU_MODULE_RESERVE, dyn))];
}
