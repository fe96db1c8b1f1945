/**
 * Geometry per architecture and the memory block size rule.
 * Models arch/x86/include/asm/sparsemem.h, include/linux/mmzone.h constants,
 * and arch/x86/mm/init_64.c probe_memory_block_size().
 */
import { GiB, MiB, PAGE_SIZE, TiB, isAligned, isPowerOfTwo } from "./units.js";

export interface Geometry {
  readonly arch: "x86_64";
  readonly pageSize: number;
  readonly sectionSize: number;
  readonly subsectionSize: number;
  readonly pageblockSize: number;
  /** 2^(MAX_ORDER-1) pages: the largest buddy chunk. */
  readonly maxOrderPages: number;
  /** sizeof(struct page). */
  readonly structPageSize: number;
  /** MAX_PHYSMEM_BITS without LA57. */
  readonly maxPhysmemBits: number;
}

export const X86_64: Geometry = {
  arch: "x86_64",
  pageSize: PAGE_SIZE,
  sectionSize: 128 * MiB,
  subsectionSize: 2 * MiB,
  pageblockSize: 2 * MiB,
  maxOrderPages: 1024,
  structPageSize: 64,
  maxPhysmemBits: 46,
};

export function pagesPerSection(g: Geometry): number {
  return g.sectionSize / g.pageSize;
}
export function pagesPerSubsection(g: Geometry): number {
  return g.subsectionSize / g.pageSize;
}
export function subsectionsPerSection(g: Geometry): number {
  return g.sectionSize / g.subsectionSize;
}

/**
 * Models probe_memory_block_size() on x86_64: 128 MiB below 64 GiB of boot
 * memory end; 2 GiB on bare metal; under a hypervisor the largest power of two
 * in [128 MiB, 2 GiB] that divides the end of boot memory.
 */
export function probeMemoryBlockSize(bootMemEnd: number, hypervisor: boolean): number {
  const MIN = 128 * MiB;
  const MAX = 2 * GiB;
  if (bootMemEnd < 64 * GiB) return MIN;
  if (!hypervisor) return MAX;
  let bz = MAX;
  while (bz > MIN && !isAligned(bootMemEnd, bz)) bz /= 2;
  return bz;
}

/** memory_dev_init(): the block size must be a power of two and at least one section. */
export function validBlockSize(g: Geometry, size: number): boolean {
  return isPowerOfTwo(size) && size >= g.sectionSize;
}

/**
 * The end of the pluggable range on x86_64 (6.1.y with the KASLR PHYSMEM_END
 * backport). The harness boots with `nokaslr`, so the range ends at
 * 2^MAX_PHYSMEM_BITS - 1; with randomisation it ends at the randomised
 * direct map's end: (ceil(bootMemEnd / 1 TiB) + 10) TiB - 1.
 */
export function physmemEnd(g: Geometry, bootMemEnd: number, kaslr: boolean): number {
  const archEnd = 2 ** g.maxPhysmemBits - 1;
  if (!kaslr) return archEnd;
  const tb = Math.ceil(bootMemEnd / TiB);
  return Math.min(archEnd, (tb + 10) * TiB - 1);
}
