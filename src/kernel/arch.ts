/**
 * Geometry per architecture and the memory block size rule.
 * Models arch/x86/include/asm/sparsemem.h, include/linux/mmzone.h constants,
 * and arch/x86/mm/init_64.c probe_memory_block_size().
 */
import { GiB, KiB, MiB, PAGE_SIZE, TiB, isAligned, isPowerOfTwo } from "./units.js";

export type ArchName = "x86_64" | "arm64-4k" | "arm64-16k" | "arm64-64k" | "ppc64" | "ppc64-4k" | "s390x";

export interface Geometry {
  readonly arch: ArchName;
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
  /**
   * Transparent huge page sizes, smallest first: the PMD size, then the PUD size where
   * has_transparent_pud_hugepage() (nd_pfn_supported_alignments() offers exactly these
   * after PAGE_SIZE; the first is nd_pfn_default_alignment()).
   */
  readonly thpSizes: readonly number[];
  /**
   * arch_add_memory() maps hot-added memory in the linear map with pages, so
   * it allocates page-table pages (small, unmovable) before the vmemmap:
   * arm64, whose can_set_direct_map() is true with rodata_full (Debian:
   * RODATA_FULL_DEFAULT_ENABLED=y) and gives NO_BLOCK_MAPPINGS. x86 maps it
   * with 2 MiB/1 GiB pages (ppc64, s390x: not measured, false). Evidence: kmem tracepoints in
   * test/oracle/arm64/evidence-pin/ (page-alloc-pins.ts).
   */
  readonly hotplugLinearMapPages: boolean;
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
  // PMD 2 MiB and PUD 1 GiB (x86 has HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD; the CPU has GBPAGES).
  thpSizes: [2 * MiB, 1024 * MiB],
  hotplugLinearMapPages: false,
};

/**
 * arm64 with 4 KiB pages: 128 MiB sections, blocks of one section (no override of memory_block_size_bytes).
 * THP: PMD only (arm64 selects no HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD; a64-sweep-nv-devdax-1g.trixie: align 1G unsupported).
 */
export const ARM64_4K: Geometry = { ...X86_64, arch: "arm64-4k", maxPhysmemBits: 48, thpSizes: [2 * MiB], hotplugLinearMapPages: true };
/** arm64 with 16 KiB pages: MAX_ORDER 12 (32 MiB chunks), pageblock order 11 (32 MiB). */
export const ARM64_16K: Geometry = {
  arch: "arm64-16k",
  pageSize: 16 * KiB,
  sectionSize: 128 * MiB,
  subsectionSize: 2 * MiB,
  pageblockSize: 32 * MiB,
  maxOrderPages: 2048,
  structPageSize: 64,
  maxPhysmemBits: 48,
  thpSizes: [32 * MiB],
  hotplugLinearMapPages: true,
};
/** arm64 with 64 KiB pages: 512 MiB sections (256 sub-sections), pageblock 512 MiB. */
export const ARM64_64K: Geometry = {
  arch: "arm64-64k",
  pageSize: 64 * KiB,
  sectionSize: 512 * MiB,
  subsectionSize: 2 * MiB,
  pageblockSize: 512 * MiB,
  maxOrderPages: 8192,
  structPageSize: 64,
  maxPhysmemBits: 48,
  thpSizes: [512 * MiB],
  hotplugLinearMapPages: true,
};
/** ppc64 (book3s, 64 KiB pages): 16 MiB sections (8 sub-sections); the block size comes from firmware (LMB size). */
export const PPC64: Geometry = {
  arch: "ppc64",
  pageSize: 64 * KiB,
  sectionSize: 16 * MiB,
  subsectionSize: 2 * MiB,
  pageblockSize: 2 * MiB,
  maxOrderPages: 256,
  structPageSize: 64,
  maxPhysmemBits: 51,
  // Radix MMU: PMD 2 MiB, PUD 1 GiB (unverified against a ppc64 trace).
  thpSizes: [2 * MiB, 1024 * MiB],
  hotplugLinearMapPages: false,
};
/** ppc64 with 4 KiB pages. */
export const PPC64_4K: Geometry = { ...PPC64, arch: "ppc64-4k", pageSize: 4 * KiB, maxOrderPages: 4096 };
/** s390x: 256 MiB sections (128 sub-sections), 1 MiB pageblocks, block = max(256 MiB, SCLP increment). */
export const S390X: Geometry = {
  arch: "s390x",
  pageSize: 4 * KiB,
  sectionSize: 256 * MiB,
  subsectionSize: 2 * MiB,
  pageblockSize: 1 * MiB,
  maxOrderPages: 1024,
  structPageSize: 64,
  maxPhysmemBits: 46,
  // Segment (PMD) 1 MiB; no PUD THP (unverified against an s390x trace).
  thpSizes: [1 * MiB],
  hotplugLinearMapPages: false,
};

export const GEOMETRIES: Record<ArchName, Geometry> = {
  x86_64: X86_64,
  "arm64-4k": ARM64_4K,
  "arm64-16k": ARM64_16K,
  "arm64-64k": ARM64_64K,
  ppc64: PPC64,
  "ppc64-4k": PPC64_4K,
  s390x: S390X,
};

/**
 * The default memory block size of an architecture (01-geometry.md §3–4):
 * x86_64 probes the end of boot memory; arm64 uses one section; ppc64 takes
 * the firmware's LMB size (256 MiB on pseries by default); s390x takes
 * max(256 MiB, the SCLP storage increment).
 */
export function defaultBlockSize(g: Geometry, bootMemEnd: number, hypervisor: boolean, firmwareHint?: number): number {
  switch (g.arch) {
    case "x86_64":
      return probeMemoryBlockSize(bootMemEnd, hypervisor);
    case "arm64-4k":
    case "arm64-16k":
    case "arm64-64k":
      return g.sectionSize;
    case "ppc64":
    case "ppc64-4k":
      return firmwareHint ?? 256 * MiB;
    case "s390x":
      return Math.max(256 * MiB, firmwareHint ?? 0);
  }
}

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

/**
 * Upper ends of ZONE_DMA, ZONE_DMA32 and ZONE_NORMAL (bytes). x86_64: 16 MiB,
 * 4 GiB. arm64 (6.1 and 6.12, zone_sizes_init() with max_zone_phys()):
 * ZONE_DMA reaches arm64_dma_phys_limit, 4 GiB on QEMU virt (its IORT/device
 * tree allow 32-bit DMA and more), so ZONE_DMA32 stays empty and boot RAM
 * below 4 GiB is DMA; when RAM starts above 4 GiB (`dramStart`, e.g. Apple
 * machines at 1 TiB) both limits are unbounded and all memory is DMA.
 */
export function zoneLimits(g: Geometry, dramStart = 0): readonly [number, number, number] {
  if (g.arch.startsWith("arm64")) {
    const dma = dramStart >= 4 * GiB ? Number.MAX_SAFE_INTEGER : 4 * GiB;
    return [dma, dma, Number.MAX_SAFE_INTEGER];
  }
  return [16 * MiB, 4 * GiB, Number.MAX_SAFE_INTEGER];
}

export function isArm64(g: Geometry): boolean {
  return g.arch.startsWith("arm64");
}

/** The architecture family (profiles' arch axis) of a geometry name; absent: x86_64. */
export function archFamily(name: ArchName | undefined): "x86_64" | "arm64" | "ppc64" | "s390x" {
  if (!name || name === "x86_64") return "x86_64";
  if (name.startsWith("arm64")) return "arm64";
  if (name.startsWith("ppc64")) return "ppc64";
  return "s390x";
}
