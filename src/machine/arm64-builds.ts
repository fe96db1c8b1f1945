/**
 * The Debian arm64 kernel builds memhp knows on QEMU's virt machine: where
 * the EFI stub and QEMU's loader put each build's image, and the sizes of the
 * structures its early boot allocates from memblock (measured with
 * memblock=debug, test/oracle/arm64/memblock). Data only: arm64-early.ts
 * replays the allocations, arm64-boot.ts places the firmware's ranges.
 */
import { MiB } from "../kernel/units.js";
import type { HugetlbCmaProgram } from "./cma-reserve.js";

const KiB4 = 0x1000;

/** A range relative to the top of boot RAM (T): [T - off, T - off + size). */
export interface FromTop {
  off: number;
  size: number;
}

/**
 * edk2 loading the kernel's PE image (efi=debug memory maps: test/oracle/arm64/traces/a64-efi-debug-*,
 * a64-efi-node0-*-dbg): it reads the file QEMU passes through fw_cfg into a buffer that ends `fileEnd` below the top
 * of the first node's RAM (everything above is edk2's, the same whatever the RAM), allocates the image (SizeOfImage
 * plus 64 KiB to align it: `peSize`) top-down in the highest free range, then frees the buffer.
 */
export interface Edk2ImageLoad {
  fileEnd: number;
  fileSize: number;
  peSize: number;
}

/** What one arm64 kernel build (Debian package) meets at boot on virt. */
export interface Arm64Build {
  name: string;
  /** The image [_text, _end) (its size: what the EFI stub reserves) and its code and data resources, relative to _text. */
  image: { size: number; code: { off: number; size: number }; data: { off: number; size: number } };
  /** How edk2 loads the image under UEFI: placement follows in arm64-edk2.ts (efiKernelText). */
  uefiLoad: Edk2ImageLoad;
  /** The oracle's initramfs for this kernel (bytes). */
  initrdSize: number;
  /** edk2 allocations under System RAM, relative to T: the EFI configuration table entry (16 bytes) and ACPI reclaim memory, the memory attributes table's page. */
  efi: { acpi: FromTop[]; memattr: number };
  /** With nvdimm=on, edk2 places an ACPI NVS page (64 KiB, nomap) at T - nvdimmNvs; what it loads goes lower (arm64-edk2.ts efiLoad). */
  nvdimmNvs: number;
  /** What the kernel allocates from memblock before the buddy allocator (sizes of this build's structures, measured with memblock=debug). */
  early: EarlyProgram;
}

/** The early memblock allocations of one build, in the order setup_arch(), start_kernel() and mm_core_init() make them. */
export interface EarlyProgram {
  /** The build's page size (CONFIG_ARM64_4K_PAGES / 16K_PAGES): the granule of its page tables and allocations. */
  pageSize: number;
  /** paging_init(): page-table pages of map_kernel() (6.1; 6.12 maps the image before paging_init). */
  mapKernelTables: number;
  /** paging_init() frees init_pg_dir, the last bytes of the image (6.1). */
  initPgDir: number;
  /** create_idmap() after that free (6.1). */
  idmapTables: number;
  /**
   * unflatten_device_tree(): one allocation for the whole tree (device-tree
   * boot only), measured per CPU count; QEMU's tree has NUMA properties
   * (numa-node-id, distance-map) when it enables NUMA, which it does with
   * memory hotplug (maxmem) or -numa. Between measured counts: the nearest
   * measured one plus perCpu per CPU; each further /memory node (a NUMA node with RAM) adds perExtraNode.
   */
  dtUnflatten: Record<"numa" | "plain", { sizes: Record<number, number>; perCpu: number }> & { perExtraNode: number };
  /** numa_alloc_distance() (6.1): 256 bytes, page-aligned; when the firmware's NUMA description fails (ACPI on virt always: edk2's flash is outside the SRAT; a device tree without NUMA properties) once more, freed, before the dummy node's. */
  numaDistance: boolean;
  /** alloc_node_data(): sizeof(pg_data_t). */
  nodeData: number;
  /** alloc_bootmem_cpumask_var() right after it (6.12): NR_CPUS bits (512: 64 bytes); 0 for none. */
  cpumask: number;
  /**
   * setup_per_cpu_areas(): the embedded first chunk's unit per CPU; the static per-CPU data ("percpu: … s87272");
   * PERCPU_DYNAMIC_EARLY_SIZE, the least dynamic room a page-mapped first chunk (percpu_alloc=page) gets; and
   * sizeof(struct pcpu_chunk) with its populated bitmap (arm64-start-kernel.ts firstChunkMaps()).
   */
  pcpu: { unit: number; staticSize: number; dynEarly: number; chunkStruct: number };
  /** sizeof(struct printk_info): 88 bytes, 112 in 7.2 (a64-probe53-uefi-2g-log-buf-len-4m: 3 + 11 MiB of ring for 4 MiB of text on 6.1, "4194304 + 17825792" bytes on 7.2). */
  printkInfo: number;
  /** nr_kernel_pages for the hash tables: from the zones (6.1 free_area_init_core) or memblock's free pages (6.12 calc_nr_kernel_pages). */
  hashFrom: "zones" | "free";
  /** Built for 52-bit virtual addresses with LPA2 (CONFIG_ARM64_VA_BITS_52): used when the CPU has FEAT_LPA2. */
  lpa2: boolean;
  /** map_mem() maps the kernel's linear alias with blocks where it can (6.1, 6.12); 7.2 maps it with pages like the rest. */
  aliasBlocks: boolean;
  /** 7.2's bootmem_init() reserves CMA and request_standard_resources() runs before sparse_init(). */
  cmaFirst: boolean;
  /**
   * Per-node CMA areas (kernel/dma/contiguous.c), none where the build lacks them (6.12: DMA_NUMA_CMA unset).
   * "param": 6.1's dma_pernuma_cma_reserve() — with cma_pernuma=SIZE, an area of SIZE on every online node, before
   * sparse_init() (a64-probe55-dts-numa2-cma-pernuma-32m: 0x7de00000 and 0xbda00000, then the global area).
   * "param-or-global": 7.2's dma_numa_cma_reserve() with CMA_SIZE_PERNUMA — right after the global area, an area on
   * each node of numa_cma=NODE:SIZE, else of cma_pernuma=SIZE, else (neither given, more than one node) as large as the
   * global one (a64-dts-numa3-cpuless-mid.sid's four "cma: Reserved 64 MiB" lines; a64-probe50-dts-numa2-cma32.sid's
   * three of 32 MiB; a64-probe55-dts-numa2-cma-pernuma-32m.sid; a64-probe62-dts-numa2-4g-numa-cma.sid).
   */
  pernumaCma?: "param" | "param-or-global";
  /** sparse_init_nid(): usemap bytes per section; 7.2 takes the usemaps anywhere and maps each section's memmap on its own (2 MiB each, after the vmemmap tables). */
  usemapBytes: number;
  memmapPerSection: boolean;
  /** memblock_alloc() flags its reservations MEMBLOCK_RSRV_KERN (7.2): they stay apart from the firmware's. */
  kernFlag: boolean;
  /** swiotlb: only when RAM goes beyond ZONE_DMA (6.1), or always, sized 1 MiB per GiB when not needed for DMA (6.12, kmalloc bouncing). */
  swiotlb: "over-dma-limit" | "kmalloc-bounce";
  /**
   * reserve_crashkernel(): 6.1's arm64 code (one attempt; crashkernel=,high without ,low takes no low part) or the
   * generic crash_reserve.c (6.9 on: fallbacks between low and high, a default 128 MiB low part). kernel/crash-reserve.ts.
   */
  crashkernel: "arch-6.1" | "generic";
  /** Without rodata_full (rodata=off or =on) the linear map is mapped with blocks (6.1; 6.12 and 7.2 keep base pages: a64-probe49-uefi-2g-rodata-off, a64-probe55-uefi-2g-rodata-on). */
  rodataOffBlocks: boolean;
  /** A boot gigantic page's memblock reservation is split: its first page, then the rest MEMBLOCK_RSRV_NOINIT (6.12 on). */
  hugetlbNoinitTail: boolean;
  /**
   * hugetlb_cma='s areas (cma-reserve.ts hugetlbCma()) and when they are reserved: in bootmem_init() right after the
   * NUMA nodes (6.1, 6.12), or in mm_core_init_early() after setup_arch() (7.x: after the global and per-node CMA
   * areas and the crash kernel). a64-probe55-uefi-4g-hugetlb-cma-1g: 0xf6400000 on 6.1 (2 MiB-aligned, across 4 GiB),
   * 0xc0000000 on 6.12, 0x80000000 on 7.2; a64-probe55-dts-numa2-4g-hugetlb-cma-2g.
   */
  hugetlbCma: HugetlbCmaProgram & { when: "bootmem_init" | "mm_core_init_early" };
  /** reserve_mem= is read (6.11 on: a64-probe55-uefi-2g-reserve-mem; 6.1 passes it to user space). */
  reserveMem: boolean;
  /** Gigantic boot pages come from memblock before sparse_init() (7.2's hugetlb_bootmem_alloc()), not in parse_args(). */
  giganticBeforeSparse: boolean;
}

/** The oracle's boot arguments ahead of the scenario's (QEMU -append); the EFI stub adds " initrd=initrd". */
export const ORACLE_CMDLINE = ["console=ttyAMA0", "printk.devkmsg=on", "panic=-1", "nokaslr", "initramfs_async=0"];

/** Debian 12's linux-image-6.1.0-*-arm64 (6.1.192). */
const DEBIAN_6_1: Arm64Build = {
  name: "6.1",
  image: { size: 0x2010000, code: { off: 0x10000, size: 0x1650000 }, data: { off: 0x1cb0000, size: 0x360000 } },
  uefiLoad: { fileEnd: 0x3be0000, fileSize: 0x1f5e000, peSize: 0x2020000 },
  initrdSize: 0x48c000,
  efi: { acpi: [{ off: 0x3bd1000 - 0xf98, size: 0x10 }, { off: 0x3bd0000, size: 0x10000 }], memattr: 0x3760000 },
  nvdimmNvs: 0x3bf0000,
  early: {
    pageSize: 4096,
    mapKernelTables: 7,
    initPgDir: 0x5000,
    idmapTables: 4,
    // The first extra CPU adds 96 bytes more than the others (plain: 1->3 CPUs = 1312 + 1216), so with NUMA properties
    // the step per CPU past 2 is 1408 - 96 (a64-dts-8g-smp7, a64-dts-5g-cpumax-smp4, a64-dts-numa4-3584m).
    dtUnflatten: { numa: { sizes: { 1: 40252, 2: 41660 }, perCpu: 1312 }, plain: { sizes: { 1: 40060, 3: 42588, 4: 43804, 7: 47452, 8: 48668 }, perCpu: 1216 }, perExtraNode: 616 },
    numaDistance: true,
    nodeData: 0x2c80,
    cpumask: 0,
    pernumaCma: "param",
    hugetlbCma: { align: "pageblock", sizing: "roundup", search: "one", when: "bootmem_init" },
    reserveMem: false,
    pcpu: { unit: 0x1f000, staticSize: 87272, dynEarly: 12 * 1024, chunkStruct: 0x90 },
    printkInfo: 88,
    hashFrom: "zones",
    lpa2: false,
    swiotlb: "over-dma-limit",
    crashkernel: "arch-6.1",
    rodataOffBlocks: true,
    hugetlbNoinitTail: false,
    giganticBeforeSparse: false,
    aliasBlocks: true,
    cmaFirst: false,
    usemapBytes: 56,
    memmapPerSection: false,
    kernFlag: false,
  },
};

/** Debian 13's linux-image-6.12.*-arm64 (6.12.118). */
const DEBIAN_6_12: Arm64Build = {
  name: "6.12",
  image: { size: 0x2510000, code: { off: 0, size: 0x1d40000 }, data: { off: 0x2050000, size: 0x4c0000 } },
  uefiLoad: { fileEnd: 0x4060000, fileSize: 0x240c000, peSize: 0x2520000 },
  initrdSize: 0x481000,
  efi: { acpi: [{ off: 0x4060000, size: 0x10000 }, { off: 0x4042000 - 0xf98, size: 0x10 }], memattr: 0x3772000 },
  nvdimmNvs: 0x4080000,
  early: {
    pageSize: 4096,
    mapKernelTables: 0,
    initPgDir: 0,
    idmapTables: 0,
    dtUnflatten: { numa: { sizes: { 1: 42484, 2: 43972, 4: 46740 }, perCpu: 1384 }, plain: { sizes: { 1: 42276, 3: 44940, 5: 47500, 6: 48780, 7: 50060, 8: 51340 }, perCpu: 1280 }, perExtraNode: 648 },
    numaDistance: false,
    nodeData: 0x3740,
    cpumask: 0x40,
    hugetlbCma: { align: "gigantic", sizing: "roundup", search: "one", when: "bootmem_init" },
    reserveMem: true,
    pcpu: { unit: 0x22000, staticSize: 101528, dynEarly: 20 * 1024, chunkStruct: 0xc8 },
    printkInfo: 88,
    hashFrom: "free",
    lpa2: true,
    swiotlb: "kmalloc-bounce",
    crashkernel: "generic",
    rodataOffBlocks: false,
    hugetlbNoinitTail: true,
    giganticBeforeSparse: false,
    aliasBlocks: true,
    cmaFirst: false,
    usemapBytes: 56,
    memmapPerSection: false,
    kernFlag: false,
  },
};

/**
 * Debian unstable's linux-image-7.2.*-arm64 (7.2.13). Device-tree sizes: measured at 1 and 2 CPUs
 * with NUMA properties, 1, 3 and 8 without.
 */
const DEBIAN_7_2: Arm64Build = {
  name: "7.2",
  image: { size: 0x2f00000, code: { off: 0, size: 0x2510000 }, data: { off: 0x28e0000, size: 0x620000 } },
  uefiLoad: { fileEnd: 0x69e0000, fileSize: 0x2e09000, peSize: 0x2f10000 },
  initrdSize: 0x493000,
  efi: { acpi: [{ off: 0x69e0000, size: 0x10000 }, { off: 0x69ca000 - 0xf98, size: 0x10 }], memattr: 0x17f9000 },
  nvdimmNvs: 0x6a00000,
  early: {
    pageSize: 4096,
    mapKernelTables: 0,
    initPgDir: 0,
    idmapTables: 0,
    // Measured (memblock=debug): NUMA properties with 1 and 2 CPUs, plain with 1, 3 and 8 CPUs (a64-mb-dts-smp2.sid,
    // a64-mb-dts-5g-smp8.sid); past those a CPU adds 1368 bytes plain, 1456 with NUMA properties, and a node 680
    // (a64-mb-dts-numa2.sid, a64-mb-dts-numa3.sid).
    dtUnflatten: { numa: { sizes: { 1: 44716, 2: 46284 }, perCpu: 1456 }, plain: { sizes: { 1: 44508, 3: 47172, 8: 54012 }, perCpu: 1368 }, perExtraNode: 680 },
    numaDistance: false,
    nodeData: 0x3800,
    cpumask: 0x40,
    hugetlbCma: { align: "gigantic", sizing: "multiple", search: "multi", when: "mm_core_init_early" },
    reserveMem: true,
    pcpu: { unit: 0x24000, staticSize: 109144, dynEarly: 20 * 1024, chunkStruct: 0x88 },
    printkInfo: 112,
    hashFrom: "free",
    lpa2: true,
    swiotlb: "kmalloc-bounce",
    crashkernel: "generic",
    rodataOffBlocks: false,
    hugetlbNoinitTail: true,
    giganticBeforeSparse: true,
    aliasBlocks: false,
    cmaFirst: true,
    pernumaCma: "param-or-global",
    usemapBytes: 88,
    memmapPerSection: true,
    kernFlag: true,
  },
};

/**
 * Debian 13's linux-image-6.12.*-arm64-16k (16K pages, 48-bit VAs, LPA2;
 * needs a CPU with the 16K granule: -cpu max). Its own image and initrd
 * reservation (16K-aligned); otherwise 6.12's program at 16K granularity
 * (32 MiB blocks and pageblocks, base-page vmemmap), measured with
 * memblock=debug (test/oracle/arm64/memblock/*-16k*).
 */
const DEBIAN_6_12_16K: Arm64Build = {
  ...DEBIAN_6_12,
  name: "6.12-16k",
  image: { size: 0x25b0000, code: { off: 0, size: 0x1d70000 }, data: { off: 0x20c0000, size: 0x4f0000 } },
  uefiLoad: { ...DEBIAN_6_12.uefiLoad, fileSize: 0x2482000, peSize: 0x25c0000 },
  initrdSize: 0x484000,
  efi: { ...DEBIAN_6_12.efi, memattr: 0x37e8000 },
  early: {
    ...DEBIAN_6_12.early,
    pageSize: 16384,
    nodeData: 0x3880,
    pcpu: { unit: 0x3c000, staticSize: 200024, dynEarly: 20 * 1024, chunkStruct: 0xc8 },
    usemapBytes: 32,
  },
};

/**
 * Debian unstable's linux-image-7.2.*-arm64-16k (7.2.13): its own image and
 * initrd reservation, 7.2's program at 16K granularity (memmap per section
 * with base pages), measured with memblock=debug
 * (test/oracle/arm64/memblock/a64-mb-16k-*.sid).
 */
const DEBIAN_7_2_16K: Arm64Build = {
  ...DEBIAN_7_2,
  name: "7.2-16k",
  image: { size: 0x2fa0000, code: { off: 0, size: 0x2540000 }, data: { off: 0x2950000, size: 0x650000 } },
  // Its vmlinuz is 0x74000 bytes longer than the 4K build's; edk2's ACPI tables, configuration table entry and NVS page sit 0x70000 lower.
  uefiLoad: { fileEnd: 0x6a50000, fileSize: 0x2e7d000, peSize: 0x2fb0000 },
  initrdSize: 0x494000,
  efi: { acpi: [{ off: 0x6a50000, size: 0x10000 }, { off: 0x6a3e000 - 0xf98, size: 0x10 }], memattr: DEBIAN_7_2.efi.memattr },
  nvdimmNvs: 0x6a70000,
  early: {
    ...DEBIAN_7_2.early,
    pageSize: 16384,
    nodeData: 0x3940,
    pcpu: { unit: 0x24000, staticSize: 109272, dynEarly: 20 * 1024, chunkStruct: 0x88 },
    usemapBytes: 32,
  },
};

export const ARM64_BUILDS: Record<string, Arm64Build> = { "6.1": DEBIAN_6_1, "6.12": DEBIAN_6_12, "6.12-16k": DEBIAN_6_12_16K, "7.2": DEBIAN_7_2, "7.2-16k": DEBIAN_7_2_16K };

/**
 * The build data for a kernel version (the newest measured one not newer than it) and page size (16K: 6.12's build
 * below 7.2, 7.2's from it; which versions have a 16K build at all is the kernel profile's business). Debian builds
 * no 64K kernel: a 64K machine (an imported dump's, or a config override) gets the 16K build's data at 64K granularity,
 * unverified.
 */
export function arm64Build(version: string | undefined, pageSize = 4096): Arm64Build | null {
  const v = (version ?? "6.1").split(".").map(Number);
  const num = (v[0] ?? 0) * 1000 + (v[1] ?? 0);
  if (pageSize === 16384) return num >= 7002 ? DEBIAN_7_2_16K : DEBIAN_6_12_16K;
  if (pageSize === 65536) return { ...DEBIAN_6_12_16K, name: "6.12-64k (unverified)", initrdSize: 0x490000, early: { ...DEBIAN_6_12_16K.early, pageSize: 65536 } };
  if (pageSize !== 4096) return null;
  return num >= 7002 ? DEBIAN_7_2 : num >= 6012 ? DEBIAN_6_12 : DEBIAN_6_1;
}
