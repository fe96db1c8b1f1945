/**
 * The boot RAM of an arm64 Debian kernel on QEMU's virt machine, as
 * /proc/iomem and memblock show it: the memory map the firmware hands over
 * (edk2's UEFI memory map, or the device tree's /memory node), the ranges
 * the kernel maps as "reserved" (nomap: EFI runtime services, edk2's flash
 * variable store), and the memblock reservations under System RAM
 * (arch/arm64/kernel/setup.c request_standard_resources() and
 * reserve_memblock_reserved_regions()).
 *
 * What the firmware, the EFI stub and QEMU's loader place is data of the
 * kernel build (the image's size decides where edk2's allocations land),
 * measured from real boots; what the kernel allocates is replayed by
 * arm64-memblock.ts. Every number below has a recording in
 * test/oracle/arm64/traces or ../shared/conformance/arm64.
 */
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";
import { Memblock, nrKernelPagesByZones, nrKernelPagesFree, systemHashBytes } from "./arm64-memblock.js";
import { makeResource, requestResource, reserveRegionWithSplit, type Resource } from "../kernel/resource.js";
import type { MachineSpec, MemblockRange } from "./types.js";
import { VIRT_FLASH1, type VirtMap } from "./virt.js";
import { MachineRefused } from "./refusal.js";
import { memattrDelta, memattrOffset } from "./arm64-edk2.js";
import { qemuNuma } from "./qemu-map.js";

const KiB4 = 0x1000;
/** The smallest first-node RAM the UEFI layout data holds for (the EFI stub's image sits up to 176 MiB below the top). */
const UEFI_MIN_RAM = 256 * MiB;
/** The empty device tree the EFI stub generates (fdt_totalsize), reserved at the start of its page. */
const EFI_STUB_FDT = 0x241;
/** edk2's EFI memory attributes table: 16 bytes and 21 runtime descriptors (efi_memattr_init() reserves the table itself); where it lands: arm64-edk2.ts. */
const EFI_MEMATTR_SIZE = 0x400;

/** A firmware or boot-loader reservation [start, end), named for the reader. */
export interface Reserved {
  start: number;
  end: number;
  tag: string;
}

/** A range relative to the top of boot RAM (T): [T - off, T - off + size). */
interface FromTop {
  off: number;
  size: number;
}

/** What one arm64 kernel build (Debian package) meets at boot on virt. */
export interface Arm64Build {
  name: string;
  /** Kernel code and data resources; under UEFI relative to the top of RAM (the EFI stub's placement), with a device tree absolute. */
  uefiImage: { code: FromTop; data: FromTop };
  dtImage: { code: { start: number; size: number }; data: { start: number; size: number } };
  /** The oracle's initramfs for this kernel (bytes). */
  initrdSize: number;
  /** edk2 allocations under System RAM, relative to T: the EFI stub's device-tree page, the initrd (size initrdSize), the EFI configuration table entry (16 bytes) and ACPI reclaim memory, the memory attributes table's page. */
  efi: { stubPage: number; initrd: number; acpi: FromTop[]; memattr: number };
  /** With nvdimm=on, edk2 places an ACPI NVS page (64 KiB, nomap) at T - nvdimmNvs and shifts the stub page and the initrd down. */
  nvdimmNvs: number;
  nvdimmShift: number;
  /** What the kernel allocates from memblock before the buddy allocator (sizes of this build's structures, measured with memblock=debug). */
  early: EarlyProgram;
}

/** The early memblock allocations of one build, in the order setup_arch(), start_kernel() and mm_core_init() make them. */
export interface EarlyProgram {
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
  /** alloc_bootmem_cpumask_var() right after it (6.12). */
  cpumask: number;
  /** setup_per_cpu_areas() → pcpu_embed_first_chunk(): the unit per CPU, pcpu_setup_first_chunk()'s slot lists, pcpu_alloc_first_chunk()'s maps (twice). */
  pcpu: { unit: number; slots: number; chunks: number[][] };
  /** nr_kernel_pages for the hash tables: from the zones (6.1 free_area_init_core) or memblock's free pages (6.12 calc_nr_kernel_pages). */
  hashFrom: "zones" | "free";
  /** Built for 52-bit virtual addresses with LPA2 (CONFIG_ARM64_VA_BITS_52): used when the CPU has FEAT_LPA2. */
  lpa2: boolean;
  /** swiotlb: only when RAM goes beyond ZONE_DMA (6.1), or always, sized 1 MiB per GiB when not needed for DMA (6.12, kmalloc bouncing). */
  swiotlb: "over-dma-limit" | "kmalloc-bounce";
}

/** The oracle's boot arguments ahead of the scenario's (QEMU -append); the EFI stub adds " initrd=initrd". */
export const ORACLE_CMDLINE = ["console=ttyAMA0", "printk.devkmsg=on", "panic=-1", "nokaslr", "initramfs_async=0"];

/** Debian 12's linux-image-6.1.0-*-arm64 (6.1.192). */
const DEBIAN_6_1: Arm64Build = {
  name: "6.1",
  uefiImage: { code: { off: 0x9bf0000, size: 0x1650000 }, data: { off: 0x7f50000, size: 0x360000 } },
  dtImage: { code: { start: 0x40210000, size: 0x1650000 }, data: { start: 0x41eb0000, size: 0x360000 } },
  initrdSize: 0x48c000,
  efi: { stubPage: 0x4270000, initrd: 0x4070000, acpi: [{ off: 0x3bd1000 - 0xf98, size: 0x10 }, { off: 0x3bd0000, size: 0x10000 }], memattr: 0x3760000 },
  nvdimmNvs: 0x3bf0000,
  nvdimmShift: 0x10000,
  early: {
    mapKernelTables: 7,
    initPgDir: 0x5000,
    idmapTables: 4,
    dtUnflatten: { numa: { sizes: { 1: 40252, 2: 41660 }, perCpu: 1408 }, plain: { sizes: { 1: 40060, 3: 42588, 4: 43804, 7: 47452, 8: 48668 }, perCpu: 1216 }, perExtraNode: 616 },
    numaDistance: true,
    nodeData: 0x2c80,
    cpumask: 0,
    pcpu: { unit: 0x1f000, slots: 0x120, chunks: [[0x90, 0x180, 0x188, 0x60], [0x90, 0x400, 0x408, 0x100]] },
    hashFrom: "zones",
    lpa2: false,
    swiotlb: "over-dma-limit",
  },
};

/** Debian 13's linux-image-6.12.*-arm64 (6.12.118). */
const DEBIAN_6_12: Arm64Build = {
  name: "6.12",
  uefiImage: { code: { off: 0xb000000, size: 0x1d40000 }, data: { off: 0x8fb0000, size: 0x4c0000 } },
  dtImage: { code: { start: 0x40200000, size: 0x1d40000 }, data: { start: 0x40200000 + 0x2050000, size: 0x4c0000 } },
  initrdSize: 0x481000,
  efi: { stubPage: 0x46f0000, initrd: 0x44f0000, acpi: [{ off: 0x4060000, size: 0x10000 }, { off: 0x4042000 - 0xf98, size: 0x10 }], memattr: 0x3772000 },
  nvdimmNvs: 0x4080000,
  nvdimmShift: 0x20000,
  early: {
    mapKernelTables: 0,
    initPgDir: 0,
    idmapTables: 0,
    dtUnflatten: { numa: { sizes: { 1: 42484, 2: 43972, 4: 46740 }, perCpu: 1384 }, plain: { sizes: { 1: 42276, 3: 44940, 5: 47500, 6: 48780, 7: 50060, 8: 51340 }, perCpu: 1280 }, perExtraNode: 648 },
    numaDistance: false,
    nodeData: 0x3740,
    cpumask: 0x40,
    pcpu: { unit: 0x22000, slots: 0x130, chunks: [[0xc8, 0x180, 0x188, 0x60], [0xc8, 0x400, 0x408, 0x100]] },
    hashFrom: "free",
    lpa2: true,
    swiotlb: "kmalloc-bounce",
  },
};

export const ARM64_BUILDS: Record<string, Arm64Build> = { "6.1": DEBIAN_6_1, "6.12": DEBIAN_6_12 };

/** The build data for a kernel version (the newest measured one not newer than it). */
export function arm64Build(version: string | undefined): Arm64Build {
  const v = (version ?? "6.1").split(".").map(Number);
  const num = (v[0] ?? 0) * 1000 + (v[1] ?? 0);
  return num >= 6012 ? DEBIAN_6_12 : DEBIAN_6_1;
}

interface Range {
  start: number;
  end: number;
}

/** The boot RAM: iomem resources (top level, with children) and memblock memory by node. */
export function arm64BootRam(spec: MachineSpec, map: VirtMap, nvdimm: boolean, buildName = "6.1"): { iomem: Resource[]; memblock: MemblockRange[]; reserved: Reserved[]; nodes: number[] } {
  const build = arm64Build(buildName);
  const T = map.ramTop;
  // edk2 works in the first memory node's RAM: its allocations and the EFI stub's hang below that node's end.
  const first = spec.numa?.find((n) => (n.mem ?? 0) > 0);
  const T0 = map.uefi && first ? map.ramBase + first.mem! : T;
  const at = (f: FromTop): Range => ({ start: T0 - f.off, end: T0 - f.off + f.size });
  const nomap: Range[] = [];
  const fixed: Reserved[] = [];
  let code: Range;
  let data: Range;
  if (map.uefi && T0 - map.ramBase < UEFI_MIN_RAM) {
    throw new MachineRefused(`memhp models edk2 (UEFI) boots of virt from ${UEFI_MIN_RAM / MiB} MiB of RAM up (edk2 and the EFI stub place the kernel and their tables that far below the top); use acpi: false for a device-tree boot`, ["memory"]);
  }
  if (map.uefi) {
    nomap.push({ ...VIRT_FLASH1 }, { start: T0 - 0x3bc0000, end: T0 - 0x38d0000 }, { start: T0 - 0x400000, end: T0 - 0x20000 });
    const shift = nvdimm ? build.nvdimmShift : 0;
    if (nvdimm) nomap.push({ start: T0 - build.nvdimmNvs, end: T0 - build.nvdimmNvs + 0x10000 });
    code = at(build.uefiImage.code);
    data = at(build.uefiImage.data);
    fixed.push({ ...at({ off: build.efi.stubPage + shift, size: EFI_STUB_FDT }), tag: "fw-fdt" });
    fixed.push({ ...at({ off: build.efi.initrd + shift, size: build.initrdSize }), tag: "fw-initrd" });
    build.efi.acpi.forEach((a, i) => fixed.push({ ...at(a), tag: `fw-acpi${i}` }));
    fixed.push({ ...at({ off: build.efi.memattr + memattrDelta(spec, map, nvdimm) - memattrOffset(spec, nvdimm), size: EFI_MEMATTR_SIZE }), tag: "fw-memattr" });
  } else {
    code = { start: build.dtImage.code.start, end: build.dtImage.code.start + build.dtImage.code.size };
    data = { start: build.dtImage.data.start, end: build.dtImage.data.start + build.dtImage.data.size };
    // QEMU's loader (hw/arm/boot.c): the initrd halfway into RAM below 256 MiB, else at RAM + 128 MiB, never over
    // the kernel image (approximated by the image's end here); the device tree (1 MiB) at the next 2 MiB boundary.
    const initrd = alignUp(Math.max(map.ramBase + Math.min(spec.memory / 2, 128 * MiB), data.end), KiB4);
    if (alignUp(initrd + build.initrdSize, 2 * MiB) + MiB > T) throw new MachineRefused("QEMU refuses to start: qemu-system-aarch64: not enough space after kernel to load initrd", ["memory"]);
    fixed.push({ start: initrd, end: initrd + build.initrdSize, tag: "initrd" });
    const dtb = alignUp(initrd + build.initrdSize, 2 * MiB);
    fixed.push({ start: dtb, end: dtb + MiB, tag: "dtb" });
  }
  fixed.push({ start: code.start, end: data.end, tag: "kernel" });

  // The memory memblock starts with: the firmware's ranges, split where nomap ranges cut them.
  const memory: Range[] = [...(map.uefi ? [VIRT_FLASH1] : []), { start: map.ramBase, end: T }];
  // With a device tree, QEMU gives each NUMA node's RAM its own /memory node (numa-node-id) and Linux takes the nodes as
  // they are; under ACPI edk2's flash is outside the SRAT, so Linux falls back to one node.
  const nodes = map.uefi ? [{ nid: 0, start: map.ramBase, end: T }] : dtMemoryNodes(spec, map);
  const nodeOf = (a: number) => nodes.find((n) => n.start <= a && a < n.end)?.nid ?? 0;
  const mb = new Memblock();
  const cuts = [...new Set([...memory.flatMap((m) => [m.start, m.end]), ...nomap.flatMap((n) => [n.start, n.end]), ...nodes.map((n) => n.start)])].sort((x, y) => x - y);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const s = cuts[i];
    const e = cuts[i + 1];
    if (!memory.some((m) => m.start <= s && e <= m.end)) continue;
    mb.addMemory(s, e, nomap.some((n) => n.start <= s && e <= n.end), nodeOf(s));
  }
  for (const f of fixed) mb.reserve(f.start, f.end);

  const cmdline = [...ORACLE_CMDLINE, ...spec.cmdline, ...(map.uefi ? ["initrd=initrd"] : [])].join(" ");
  earlyAllocations(mb, build.early, { spec, map, code, data, cmdline, nodes: nodes.map((n) => n.nid), cpuNode: cpuNodes(spec, nodes.length > 1) });

  // request_standard_resources(): one resource per memblock.memory region, nomap ones "reserved".
  const top: Resource[] = mb.memory.map((m) => (m.nomap ? makeResource(m.base, m.end - 1, "reserved") : makeResource(m.base, m.end - 1, "System RAM", { busy: true, sysram: true })));
  for (const r of top) {
    if (r.name !== "System RAM") continue;
    for (const [rng, name] of [
      [code, "Kernel code"],
      [data, "Kernel data"],
    ] as const) {
      if (rng.start >= r.start && rng.end - 1 <= r.end) requestResource(r, makeResource(rng.start, rng.end - 1, name, { busy: true, sysram: true }));
    }
  }
  // reserve_memblock_reserved_regions() (arch_initcall): every reserved region, widened to whole pages, under each resource it meets.
  for (const r of top) {
    for (const x of mb.reserved) {
      const s = Math.max(alignDown(x.base, PAGE), r.start);
      const e = Math.min(alignUp(x.end, PAGE) - 1, r.end);
      if (s > r.end || e < r.start || s > e) continue;
      reserveRegionWithSplit(r, s, e, "reserved");
    }
    if (r.name === "System RAM") for (const c of r.children) if (c.name === "reserved") c.flags.sysram = true;
  }
  const reserved: Reserved[] = mb.reserved.map((x) => ({ start: x.base, end: x.end, tag: "reserved" }));
  const memblock: MemblockRange[] = mb.memory.map((m) => ({ start: m.base, end: m.end, nid: m.nid ?? 0 }));
  return { iomem: top, memblock: mergeMemblock(memblock), reserved, nodes: nodes.map((n) => n.nid) };
}

/** Adjacent memblock ranges of one node as one (the layout's view; nomap splits only matter to iomem). */
function mergeMemblock(list: MemblockRange[]): MemblockRange[] {
  const out: MemblockRange[] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && last.nid === r.nid && last.end === r.start) last.end = r.end;
    else out.push({ ...r });
  }
  return out;
}

/** QEMU virt's /memory nodes on a device-tree boot: each NUMA node's RAM in node order from the RAM base (one node without -numa). */
export function dtMemoryNodes(spec: MachineSpec, map: VirtMap): { nid: number; start: number; end: number }[] {
  const numa = spec.numa ?? [];
  if (numa.length < 2) return [{ nid: 0, start: map.ramBase, end: map.ramTop }];
  const mem = new Map<number, number>();
  numa.forEach((n, i) => mem.set(n.nodeid ?? i, n.mem ?? 0));
  const out: { nid: number; start: number; end: number }[] = [];
  let at = map.ramBase;
  for (const nid of [...mem.keys()].sort((a, b) => a - b)) {
    const size = mem.get(nid)!;
    if (size > 0) out.push({ nid, start: at, end: at + size });
    at += size;
  }
  return out;
}

const PAGE = 4096;
/** arm64_dma_phys_limit on virt: ZONE_DMA covers the first 4 GiB. */
const ZONE_DMA_BITS_LIMIT = 4 * GiB;
const SECTION = 128 * MiB;
/** struct page, and the memmap of one section (vmemmap, PMD-mapped). */
const STRUCT_PAGE = 64;
const SECTION_MEMMAP = (SECTION / PAGE) * STRUCT_PAGE;
/**
 * mem_section: the root array (NR_SECTION_ROOTS pointers: 2^(MAX_PHYSMEM_BITS - 27) sections, 128 per root page as
 * struct mem_section is 32 bytes here; two roots from 16 GiB on, as a 16 GiB boot shows), usemap bytes per section.
 */
const SECTIONS_PER_ROOT = 128;
const memSectionRootsBytes = (physBits: number) => (2 ** (physBits - 27) / SECTIONS_PER_ROOT) * 8;
const USEMAP_BYTES = 56;
const SMP_CACHE = 64;
/** The default CMA area (Debian: CONFIG_CMA_SIZE_MBYTES=64), aligned to a pageblock (2 MiB: a two-node 2 GiB device-tree boot on 6.1 has it at 0xbaa00000). */
const CMA = { size: 64 * MiB, align: 2 * MiB };
const IO_TLB = { slab: 2048, segsize: 128, slotBytes: 24, areaBytes: 16, defaultSlabs: 32768 };

interface EarlyContext {
  spec: MachineSpec;
  map: VirtMap;
  code: Range;
  data: Range;
  cmdline: string;
  /** Nodes with memory, ascending. */
  nodes: number[];
  /** Each CPU's node. */
  cpuNode: number[];
}

/** Each CPU's node on a NUMA device-tree boot (QEMU's -numa cpus=), else 0. */
function cpuNodes(spec: MachineSpec, numa: boolean): number[] {
  return numa ? qemuNuma(spec)!.cpuNode : new Array<number>(spec.smp ?? 1).fill(0);
}

/** The kernel's early memblock allocations, in order (a replay of setup_arch(), start_kernel() and mm_core_init() for this build). */
function earlyAllocations(mb: Memblock, p: EarlyProgram, c: EarlyContext): void {
  const ncpu = c.spec.smp ?? 1;
  const must = (what: string, at: number | null): number => {
    if (at === null) throw new MachineRefused(`the arm64 kernel cannot boot on this machine: memblock has no room for ${what} (the kernel panics)`, ["memory"]);
    return at;
  };
  const dmaLimit = Math.min(ZONE_DMA_BITS_LIMIT, c.map.ramTop);

  // paging_init(): map_kernel() (6.1), the linear map, then init_pg_dir freed and the idmap built.
  // With FEAT_LPA2 (QEMU's "max" CPU) a 6.12 kernel built for 52-bit VAs runs 52-bit: five levels of page tables.
  const lpa2 = p.lpa2 && /^max\b/.test(c.spec.cpu ?? "");
  must("page tables", mb.allocPages(p.mapKernelTables + linearMapTables(mb, c.code, lpa2), PAGE) ? 0 : null);
  if (p.initPgDir) mb.free(c.data.end - p.initPgDir, c.data.end);
  mb.allocPages(p.idmapTables, PAGE);
  // unflatten_device_tree().
  const dtNuma = c.spec.maxmem !== undefined || (c.spec.numa ?? []).length > 0;
  const dtBytes = dtUnflattenBytes(p.dtUnflatten[dtNuma ? "numa" : "plain"], ncpu) + (c.nodes.length - 1) * p.dtUnflatten.perExtraNode;
  if (!c.map.uefi) must("the device tree", mb.alloc({ size: dtBytes, align: 8 }));
  // bootmem_init() → arch_numa_init(): without an SRAT (or with one Linux rejects) ACPI's attempt fails and the dummy node follows.
  if (p.numaDistance) {
    if (c.map.uefi || !dtNuma) {
      const d = must("numa_distance", mb.alloc({ size: 0x100, align: PAGE }));
      mb.free(d, d + 0x100);
    }
    must("numa_distance", mb.alloc({ size: 0x100, align: PAGE }));
  }
  // numa_register_nodes(): NODE_DATA on each node; 6.12 then a cpumask per node id.
  const nodeData = new Map<number, number>();
  for (const nid of c.nodes) nodeData.set(nid, must("NODE_DATA", mb.alloc({ size: p.nodeData, align: SMP_CACHE, nid })));
  if (p.cpumask) for (let i = 0; i <= Math.max(...c.nodes); i++) must("a cpumask", mb.alloc({ size: p.cpumask, align: SMP_CACHE }));
  // sparse_init(): the section roots (a root page when a root's first present section is seen, on that section's node),
  // then per node the usemaps next to its NODE_DATA, its memmap, and the vmemmap page tables it needs first.
  const sections = presentSections(mb);
  must("mem_section", mb.alloc({ size: memSectionRootsBytes(lpa2 ? 52 : 48), align: SMP_CACHE }));
  const roots = new Set<number>();
  for (const sec of sections) {
    const root = Math.floor(sec.nr / SECTIONS_PER_ROOT);
    if (roots.has(root)) continue;
    roots.add(root);
    must("a mem_section root", mb.alloc({ size: PAGE, align: SMP_CACHE, nid: sec.nid }));
  }
  const memstart = alignDown(mb.memory[0].base, GiB);
  const vmemmapCovered = { gib: new Set<number>(), pud: new Set<number>() };
  for (const nid of c.nodes) {
    const mine = sections.filter((x) => x.nid === nid).map((x) => x.nr);
    if (!mine.length) continue;
    const goal = alignDown(nodeData.get(nid)!, SECTION);
    must("usemaps", mb.alloc({ size: mine.length * USEMAP_BYTES, align: SMP_CACHE, min: goal, max: goal + SECTION, nid }));
    must("the memmap", mb.alloc({ size: mine.length * SECTION_MEMMAP, align: 2 * MiB, min: memstart, nid, exact: true }));
    must("vmemmap page tables", mb.allocPages(vmemmapTables(mine, memstart, vmemmapCovered), PAGE, nid) ? 0 : null);
  }
  // free_area_init(): 6.12 counts memblock's free pages here.
  const nrKernelPages = p.hashFrom === "free" ? nrKernelPagesFree(mb, PAGE) : nrKernelPagesByZones(zoneSpans(mb), PAGE, STRUCT_PAGE);
  // dma_contiguous_reserve(arm64_dma_phys_limit).
  // dma_contiguous_reserve(): a failure is logged, not fatal.
  mb.alloc({ size: CMA.size, align: CMA.align, max: dmaLimit });
  // request_standard_resources(): a struct resource per memblock.memory region.
  must("standard resources", mb.alloc({ size: 64 * mb.memory.length, align: SMP_CACHE }));
  // setup_command_line(): saved_command_line and static_command_line.
  for (let i = 0; i < 2; i++) must("the command line", mb.alloc({ size: c.cmdline.length + 1, align: SMP_CACHE }));
  // setup_per_cpu_areas() → pcpu_embed_first_chunk().
  const ai = must("pcpu alloc info", mb.alloc({ size: PAGE, align: PAGE }));
  const areas = must("pcpu areas", mb.alloc({ size: PAGE, align: SMP_CACHE }));
  // One group per node, in the order of their first CPU; each group's units on its node.
  const groups: number[] = [];
  for (const n of c.cpuNode) if (!groups.includes(n)) groups.push(n);
  for (const g of groups) must("the first percpu chunk", mb.alloc({ size: p.pcpu.unit * c.cpuNode.filter((n) => n === g).length, align: PAGE, nid: g }));
  for (const size of [8 * groups.length, 8 * groups.length, 4 * ncpu, 8 * ncpu, p.pcpu.slots]) must("pcpu_setup_first_chunk", mb.alloc({ size, align: SMP_CACHE }));
  for (const chunk of p.pcpu.chunks) for (const size of chunk) must("pcpu_alloc_first_chunk", mb.alloc({ size, align: SMP_CACHE }));
  mb.free(ai, ai + PAGE);
  mb.free(areas, areas + PAGE);
  // vfs_caches_init_early(): the dentry and inode hash tables, from memblock unless hashdist spreads them over nodes (vmalloc).
  if (c.nodes.length === 1) for (const scale of [13, 14]) must("a hash table", mb.alloc({ size: systemHashBytes(nrKernelPages, PAGE, scale), align: SMP_CACHE }));
  // mem_init() → swiotlb_init().
  const nareas = 2 ** Math.ceil(Math.log2(ncpu));
  const over = c.map.ramTop > dmaLimit;
  let nslabs = 0;
  if (over) nslabs = IO_TLB.defaultSlabs;
  else if (p.swiotlb === "kmalloc-bounce") {
    const size = Math.min(IO_TLB.defaultSlabs * IO_TLB.slab, alignUp(Math.ceil(mb.physMemSize() / 1024), IO_TLB.slab));
    nslabs = alignUp(size / IO_TLB.slab, IO_TLB.segsize);
  }
  if (nslabs) {
    nslabs = Math.max(nslabs, IO_TLB.segsize * nareas);
    nslabs = 2 ** Math.ceil(Math.log2(nslabs));
    // swiotlb_init_remap() warns and goes on without bounce buffers when memblock has no room.
    if (mb.alloc({ size: nslabs * IO_TLB.slab, align: PAGE, max: dmaLimit }) !== null) {
      must("the swiotlb slots", mb.alloc({ size: alignUp(nslabs * IO_TLB.slotBytes, PAGE), align: PAGE }));
      must("the swiotlb areas", mb.alloc({ size: IO_TLB.areaBytes * nareas, align: SMP_CACHE }));
    }
  }
}

/** The unflattened device tree's size for ncpu CPUs: measured, or the nearest measured count plus perCpu per CPU. */
function dtUnflattenBytes(m: { sizes: Record<number, number>; perCpu: number }, ncpu: number): number {
  const known = Object.keys(m.sizes).map(Number);
  const near = known.reduce((a, b) => (Math.abs(b - ncpu) < Math.abs(a - ncpu) ? b : a));
  return m.sizes[near] + (ncpu - near) * m.perCpu;
}

/** Sections that memblock memory (nomap included) touches, ascending, each with the node of its first memory. */
function presentSections(mb: Memblock): { nr: number; nid: number }[] {
  const out = new Map<number, number>();
  for (const m of mb.memory) for (let s = Math.floor(m.base / SECTION); s * SECTION < m.end; s++) if (!out.has(s)) out.set(s, m.nid ?? 0);
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([nr, nid]) => ({ nr, nid }));
}

/** Distinct size-aligned chunks that a sorted list of ranges touches. */
function chunksTouched(ranges: Range[], size: number): number {
  let n = 0;
  let last = -1;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.end <= r.start) continue;
    const first = Math.max(Math.floor(r.start / size), last + 1);
    const end = Math.floor((r.end - 1) / size);
    if (end >= first) n += end - first + 1;
    last = Math.max(last, end);
  }
  return n;
}

/**
 * map_mem() at page granularity (rodata=full): a PTE page per 2 MiB chunk
 * the linear map touches, except chunks wholly inside the kernel's linear
 * alias [_stext, __init_begin) (mapped with blocks); a PMD page per GiB,
 * a PUD page per 512 GiB, and with five levels a P4D page per 256 TiB.
 */
function linearMapTables(mb: Memblock, alias: Range, fiveLevels: boolean): number {
  const mapped: Range[] = mb.memory.filter((m) => !m.nomap).map((m) => ({ start: m.base, end: m.end }));
  const paged: Range[] = [];
  for (const m of mapped) {
    if (alias.end <= m.start || alias.start >= m.end) paged.push(m);
    else {
      if (m.start < alias.start) paged.push({ start: m.start, end: alias.start });
      if (alias.end < m.end) paged.push({ start: alias.end, end: m.end });
    }
  }
  const blockStart = alignUp(alias.start, 2 * MiB);
  const blockEnd = alignDown(alias.end, 2 * MiB);
  if (alias.start < blockStart) paged.push({ start: alias.start, end: Math.min(blockStart, alias.end) });
  if (blockEnd > blockStart && blockEnd < alias.end) paged.push({ start: blockEnd, end: alias.end });
  if (blockEnd <= blockStart && blockStart < alias.end) paged.push({ start: blockStart, end: alias.end });
  return chunksTouched(paged, 2 * MiB) + chunksTouched(mapped, GiB) + chunksTouched(mapped, 512 * GiB) + (fiveLevels ? chunksTouched(mapped, 256 * 1024 * GiB) : 0);
}

/** vmemmap_populate(): the memmap is PMD-mapped; a PMD page per GiB of vmemmap and a PUD page per 512 GiB of it not covered yet. */
function vmemmapTables(sections: number[], memstart: number, covered: { gib: Set<number>; pud: Set<number> }): number {
  let n = 0;
  for (const s of sections) {
    const off = ((s * SECTION - memstart) / PAGE) * STRUCT_PAGE;
    for (const [set, size] of [
      [covered.gib, GiB],
      [covered.pud, 512 * GiB],
    ] as const) {
      for (let k = Math.floor(off / size); k <= Math.floor((off + SECTION_MEMMAP - 1) / size); k++) {
        if (!set.has(k)) {
          set.add(k);
          n++;
        }
      }
    }
  }
  return n;
}

/** Zone spans of memblock memory (DMA below 4 GiB, Normal above) for 6.1's nr_kernel_pages. */
function zoneSpans(mb: Memblock): { spanned: number; present: number }[] {
  const out: { spanned: number; present: number }[] = [];
  for (const [lo, hi] of [
    [0, ZONE_DMA_BITS_LIMIT],
    [ZONE_DMA_BITS_LIMIT, Number.MAX_SAFE_INTEGER],
  ]) {
    const parts = mb.memory.map((m) => ({ start: Math.max(m.base, lo), end: Math.min(m.end, hi) })).filter((m) => m.end > m.start);
    if (!parts.length) continue;
    const spanned = (Math.max(...parts.map((x) => x.end)) - Math.min(...parts.map((x) => x.start))) / PAGE;
    const present = parts.reduce((a, x) => a + (x.end - x.start), 0) / PAGE;
    out.push({ spanned, present });
  }
  return out;
}
