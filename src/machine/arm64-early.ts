/**
 * The arm64 kernel's early memblock allocations, replayed in the kernel's
 * order for one build (arm64-builds.ts EarlyProgram): setup_arch()'s —
 * paging_init()'s page tables, the device tree, NUMA data, CMA, the crash
 * kernel, the standard resources, sparse_init() (arch/arm64/kernel/setup.c,
 * arch/arm64/mm/init.c and mmu.c, mm/sparse.c) — then start_kernel()'s
 * (arm64-start-kernel.ts). Sizes the kernel computes are computed here;
 * each build's structure sizes are data.
 * Pure: no I/O.
 */
import { cmaPernumaCmdline, numaCmaCmdline } from "../kernel/dma-contiguous.js";
import { cmaAllocMem, globalCma, hugetlbCma } from "./cma-reserve.js";
import { bootGiganticPages } from "../kernel/hugetlb.js";
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";
import { Memblock, nrKernelPagesByZones, nrKernelPagesFree } from "./arm64-memblock.js";
import { startKernelAllocations } from "./arm64-start-kernel.js";
import type { EarlyProgram } from "./arm64-builds.js";
import type { MachineSpec } from "./types.js";
import type { VirtMap } from "./virt.js";
import { MachineRefused } from "./refusal.js";
import { ARM64_DEFAULT_CRASH_LOW, CRASH_ALIGN, parseCrashkernel, reserveCrashkernel } from "../kernel/crash-reserve.js";
import { qemuNuma } from "./qemu-map.js";
import { nrCpuIds } from "../kernel/smp.js";
import { arm64RodataFull } from "../kernel/arm64-mmu.js";

interface Range {
  start: number;
  end: number;
}

/** arm64_dma_phys_limit on virt: ZONE_DMA covers the first 4 GiB. */
const ZONE_DMA_BITS_LIMIT = 4 * GiB;
/** struct page, and the memmap of one section (vmemmap, PMD-mapped). */
const STRUCT_PAGE = 64;
/**
 * mem_section: the root array (NR_SECTION_ROOTS pointers: 2^(MAX_PHYSMEM_BITS - 27) sections, 128 per root page as
 * struct mem_section is 32 bytes here; two roots from 16 GiB on, as a 16 GiB boot shows), usemap bytes per section.
 */
const memSectionRootsBytes = (physBits: number, perRoot: number, section: number) => (2 ** physBits / section / perRoot) * 8;

/**
 * The translation granule's geometry: a table holds page/8 entries, so a
 * last-level (PTE) table covers page * page/8 (2 MiB with 4K pages, 32 MiB
 * with 16K: also the block and pageblock size), the next level that times
 * page/8, and so on. mem_section is 32 bytes: page/32 sections per root.
 */
export function granule(page: number) {
  const e = page / 8;
  const pte = page * e;
  // SECTION_SIZE_BITS (arch/arm64/include/asm/sparsemem.h): 27 with 4K and 16K pages, 29 with 64K.
  const section = page === 65536 ? 512 * MiB : 128 * MiB;
  return { page, pte, pmd: pte * e, pud: pte * e * e, p4d: pte * e * e * e, section, sectionsPerRoot: page / 32, sectionMemmap: (section / page) * STRUCT_PAGE };
}
const SMP_CACHE = 64;
export interface EarlyContext {
  spec: MachineSpec;
  map: VirtMap;
  code: Range;
  data: Range;
  cmdline: string;
  /** Nodes with memory, ascending. */
  nodes: number[];
  /** Every node the firmware describes (numa_nodes_parsed), ascending: a device tree's memoryless nodes too. */
  parsedNodes: number[];
  /** Where each /memory node of the device tree starts (their names carry the address; one per QEMU NUMA node with RAM). */
  memoryNodeStarts: number[];
  /** Each possible CPU's node (nr_cpu_ids of them: nr_cpus= may leave some of the firmware's out). */
  cpuNode: number[];
}

/** numa=off: arm64_numa_init() skips ACPI's and the device tree's NUMA descriptions for the dummy node 0 over all memory. */
export function numaOff(spec: MachineSpec): boolean {
  return spec.cmdline.includes("numa=off");
}

/** Each possible CPU's node on a NUMA device-tree boot (QEMU's -numa cpus=), else 0; nr_cpus= keeps the first ones. */
export function cpuNodes(spec: MachineSpec, numa: boolean): number[] {
  const n = nrCpuIds(spec.smp ?? 1, spec.cmdline.join(" "));
  return (numa ? qemuNuma(spec)!.cpuNode : new Array<number>(spec.smp ?? 1).fill(0)).slice(0, n);
}

/** The kernel's early memblock allocations, in order (a replay of setup_arch(), start_kernel() and mm_core_init() for this build). */
export function earlyAllocations(mb: Memblock, p: EarlyProgram, c: EarlyContext): { cma: { start: number; end: number }[]; crash: { start: number; end: number }[] } {
  // The device tree lists every CPU QEMU has, possible or not.
  const ncpu = c.spec.smp ?? 1;
  const must = (what: string, at: number | null): number => {
    if (at === null) throw new MachineRefused(`the arm64 kernel cannot boot on this machine: memblock has no room for ${what} (the kernel panics)`, ["memory"]);
    return at;
  };
  const dmaLimit = Math.min(ZONE_DMA_BITS_LIMIT, c.map.ramTop);
  const g = granule(p.pageSize);
  const PAGE = g.page;

  // paging_init(): map_kernel() (6.1), the linear map, then init_pg_dir freed and the idmap built.
  // With FEAT_LPA2 (QEMU's "max" CPU) a 6.12 kernel built for 52-bit VAs runs 52-bit: five levels of page tables.
  // arm64.nolva turns that off: 48 bits, four levels (a64-probe55-cpumax-uefi-2g-nolva).
  const lpa2 = p.lpa2 && /^max\b/.test(c.spec.cpu ?? "") && !c.cmdline.split(" ").includes("arm64.nolva");
  // Without rodata=full (rodata=off, rodata=on): 6.1 maps the linear map with blocks (6.12 and 7.2 keep pages).
  const blocks = p.rodataOffBlocks && !arm64RodataFull(c.cmdline);
  must("page tables", mb.allocPages(p.mapKernelTables + linearMapTables(mb, p.aliasBlocks ? c.code : null, g, lpa2 && g.page === 4096, blocks), PAGE) ? 0 : null);
  if (p.initPgDir) mb.free(c.data.end - p.initPgDir, c.data.end);
  mb.allocPages(p.idmapTables, PAGE);
  // unflatten_device_tree().
  const dtNuma = c.spec.maxmem !== undefined || (c.spec.numa ?? []).length > 0;
  const dtBytes = dtUnflattenBytes(p.dtUnflatten[dtNuma ? "numa" : "plain"], ncpu) + (c.memoryNodeStarts.length - 1) * p.dtUnflatten.perExtraNode + c.memoryNodeStarts.reduce((sum, a) => sum + memoryNodeNameExtra(a), 0);
  if (!c.map.uefi) must("the device tree", mb.alloc({ size: dtBytes, align: 8 }));
  // bootmem_init() → arch_numa_init(): without an SRAT (or with one Linux rejects) ACPI's attempt fails and the dummy node follows.
  if (p.numaDistance) {
    // numa=off goes straight to the dummy node.
    if (!numaOff(c.spec) && (c.map.uefi || !dtNuma)) {
      const d = must("numa_distance", mb.alloc({ size: 0x100, align: PAGE }));
      mb.free(d, d + 0x100);
    }
    must("numa_distance", mb.alloc({ size: 0x100, align: PAGE }));
  }
  // numa_register_nodes(): NODE_DATA on each parsed node, a memoryless one's on another node ("NODE_DATA(1) on node 0":
  // a64-probe80-dts-memless-node1-vm); 6.12 then a cpumask per node id.
  const nodeData = new Map<number, number>();
  for (const nid of c.parsedNodes) nodeData.set(nid, must("NODE_DATA", mb.alloc({ size: p.nodeData, align: SMP_CACHE, nid })));
  // A cpumask holds nr_cpu_ids bits: NR_CPUS this early, unless nr_cpus= set it lower (a64-probe54-uefi-2g-4cpu-nr-cpus-1-mbdbg: 8 bytes).
  const cpumask = Math.ceil(nrCpuIds(p.cpumask * 8, c.cmdline) / 64) * 8;
  if (cpumask) for (let i = 0; i <= Math.max(...c.parsedNodes); i++) must("a cpumask", mb.alloc({ size: cpumask, align: SMP_CACHE }));
  // dma_contiguous_reserve(arm64_dma_phys_limit) (a failure is logged, not fatal), then request_standard_resources():
  // a struct resource per memblock.memory region. 7.2 does both before sparse_init().
  const cma: { start: number; end: number }[] = [];
  const crash: { start: number; end: number }[] = [];
  // Per-node CMA areas, each of its node's size, exactly on it (cma_declare_contiguous_nid()); a node without room has
  // none, a memoryless one neither ("dma_numa_cma_reserve: reservation failed: err -12, node 1": a64-probe80-*.sid).
  const pernuma = cmaPernumaCmdline(c.cmdline);
  const numaCma = numaCmaCmdline(c.cmdline);
  const pernumaAreas = (sizeOf: (nid: number) => number) => {
    for (const nid of c.parsedNodes) {
      const size = alignUp(sizeOf(nid), g.pte);
      const a = size ? cmaAllocMem(mb, size, g.pte, mb.memory[mb.memory.length - 1].end, nid) : null;
      if (a !== null) cma.push({ start: a, end: a + size });
    }
  };
  // hugetlb_cma=: gigantic pages' CMA areas, one per node (PUD-sized pages with 4K pages, contiguous PMDs with 16K and 64K).
  const gigantic = g.page === 4096 ? g.pmd : g.pte * 32;
  // With hugetlb_cma areas reserved, gigantic pages come from them later: no boot-time ones ("HugeTLB: hugetlb_cma is
  // enabled, skip boot time allocation", a64-probe62-uefi-4g-hugetlb-cma-hugepages-1g).
  let hugetlbFromCma = false;
  const hugetlbAreas = () => {
    const areas = hugetlbCma(mb, c.cmdline, p.hugetlbCma, c.nodes, gigantic, g.pte);
    cma.push(...areas);
    hugetlbFromCma = areas.length > 0;
  };
  if (p.hugetlbCma.when === "bootmem_init") hugetlbAreas();
  if (p.pernumaCma === "param" && pernuma) pernumaAreas(() => pernuma);
  const cmaAndResources = () => {
    const global = globalCma(mb, c.cmdline, g.pte, dmaLimit);
    if (global) cma.push(global);
    if (p.pernumaCma === "param-or-global") {
      // numa_cma=NODE:SIZE, else cma_pernuma=, else (neither given, more than one node, memoryless ones counted) the
      // global area's size (a64-probe62-dts-numa2-4g-numa-cma.sid: numa_cma=1:16M gives node 1 its 16 MiB and node 0 nothing).
      const byDefault = pernuma === null && numaCma === null && c.parsedNodes.length > 1 && global ? global.end - global.start : 0;
      pernumaAreas((nid) => numaCma?.get(nid) || pernuma || byDefault);
    }
    // reserve_crashkernel(): 2 MiB-aligned, top-down below the DMA limit (CRASH_ADDR_LOW_MAX) unless ,high or @offset
    // say otherwise; a failure only logs. The size of a range list is chosen by memblock's memory.
    const defaultLow = p.crashkernel === "generic" ? ARM64_DEFAULT_CRASH_LOW : 0;
    const req = parseCrashkernel(c.cmdline, mb.physMemSize(), defaultLow);
    if (req) {
      const lim = { lowMax: dmaLimit, highMax: 2 ** (lpa2 ? 52 : 48), align: CRASH_ALIGN.arm64, page: PAGE, defaultLow: ARM64_DEFAULT_CRASH_LOW };
      const got = reserveCrashkernel(req, p.crashkernel, lim, { alloc: (size, align, min, max) => mb.alloc({ size, align, min, max, phys: true }), free: (b, e) => mb.free(b, e) });
      for (const r of [got.crash, got.low]) if (r) crash.push(r);
    }
    must("standard resources", mb.alloc({ size: 64 * mb.memory.length, align: SMP_CACHE }));
  };
  if (p.cmaFirst) cmaAndResources();
  // Gigantic boot pages from memblock, each of its own size and alignment (a64-probe49-uefi-4g-hugepagesz-1g: 0x80000000
  // on 4 GiB, the highest free GiB); 6.12 on mark all but the first page MEMBLOCK_RSRV_NOINIT (a region of their own).
  // 6.1 and 6.12 allocate them in parse_args() → hugepages_setup(), after the per-CPU areas; 7.2 in
  // hugetlb_bootmem_alloc() before sparse_init(), so the hash tables see the memory they took
  // (a64-probe52-uefi-4g-hugepages-1g-x2-mbdbg.sid: dentry and inode hashes of 2 and 1 MiB, not 4 and 2).
  const giganticPages = () => {
    if (hugetlbFromCma) return;
    for (const { size, count } of bootGiganticPages(c.cmdline)) {
      for (let i = 0; i < count; i++) {
        const at = mb.alloc({ size, align: size });
        if (at === null) break;
        if (p.hugetlbNoinitTail) mb.markNoinit(at + PAGE, at + size);
      }
    }
  };
  if (p.hugetlbCma.when === "mm_core_init_early") hugetlbAreas();
  if (p.giganticBeforeSparse) giganticPages();
  // sparse_init(): the section roots (a root page when a root's first present section is seen, on that section's node),
  // then per node the usemaps next to its NODE_DATA, its memmap, and the vmemmap page tables it needs first.
  const sections = presentSections(mb, g.section);
  must("mem_section", mb.alloc({ size: memSectionRootsBytes(lpa2 ? 52 : 48, g.sectionsPerRoot, g.section), align: SMP_CACHE }));
  const roots = new Set<number>();
  for (const sec of sections) {
    const root = Math.floor(sec.nr / g.sectionsPerRoot);
    if (roots.has(root)) continue;
    roots.add(root);
    must("a mem_section root", mb.alloc({ size: PAGE, align: SMP_CACHE, nid: sec.nid }));
  }
  const memstart = alignDown(mb.memory[0].base, GiB);
  const vmemmapCovered = { gib: new Set<number>(), pud: new Set<number>() };
  for (const nid of c.nodes) {
    const mine = sections.filter((x) => x.nid === nid).map((x) => x.nr);
    if (!mine.length) continue;
    if (p.memmapPerSection) {
      must("usemaps", mb.alloc({ size: mine.length * p.usemapBytes, align: SMP_CACHE, nid }));
      must("vmemmap page tables", mb.allocPages(vmemmapTables(mine, memstart, vmemmapCovered, g), PAGE, nid) ? 0 : null);
      // A block-mapped memmap is one block-aligned allocation; a base-page one (16K pages: 512 KiB a section) is a page
      // at a time, top-down (a64-mb-16k-1g-dt.sid: 256 pages for 8 sections), so its pages fill the highest free pages,
      // holes included (a64-probe45-16k-uefi-6g-high.sid: the 480 KiB above edk2's memory attributes table).
      for (const _ of mine) {
        if (g.sectionMemmap >= g.pte) must("a section's memmap", mb.alloc({ size: g.sectionMemmap, align: g.pte, nid }));
        else must("a section's memmap", mb.allocPages(g.sectionMemmap / PAGE, PAGE, nid) ? 0 : null);
      }
      continue;
    }
    const goal = alignDown(nodeData.get(nid)!, g.section);
    must("usemaps", mb.alloc({ size: mine.length * p.usemapBytes, align: SMP_CACHE, min: goal, max: goal + g.section, nid }));
    // sparse_buffer_init(): a section's memmap rounded up to a block (PMD_SIZE) each; what base-page vmemmap leaves unused goes back.
    const perSection = alignUp(g.sectionMemmap, g.pte);
    // Without room for the buffer (64K pages: a 512 MiB block per section), each section's memmap comes from memblock itself.
    const buf = mb.alloc({ size: mine.length * perSection, align: g.pte, min: memstart, nid, exact: true });
    must("vmemmap page tables", mb.allocPages(vmemmapTables(mine, memstart, vmemmapCovered, g), PAGE, nid) ? 0 : null);
    if (buf !== null) mb.free(buf + mine.length * g.sectionMemmap, buf + mine.length * perSection);
    else for (const _ of mine) must("a section's memmap", mb.alloc({ size: g.sectionMemmap, align: PAGE, nid }));
  }
  // free_area_init(): 6.12 counts memblock's free pages here.
  const nrKernelPages = p.hashFrom === "free" ? nrKernelPagesFree(mb, PAGE) : nrKernelPagesByZones(zoneSpans(mb, PAGE), PAGE, STRUCT_PAGE);
  if (!p.cmaFirst) cmaAndResources();
  startKernelAllocations(mb, p, c, { must, nrKernelPages, dmaLimit, giganticPages: p.giganticBeforeSparse ? null : giganticPages });
  return { cma, crash };
}


/**
 * populate_node() keeps each node's name ("memory@40000000" and its NUL) right after its struct device_node, 8-byte
 * aligned: the measured sizes have 8 hex digits in every /memory node's name; a node from 4 GiB up has more.
 */
function memoryNodeNameExtra(start: number): number {
  const bytes = (n: number) => alignUp(n, 8);
  return bytes(`memory@${start.toString(16)}`.length + 1) - bytes("memory@40000000".length + 1);
}

/** The unflattened device tree's size for ncpu CPUs: measured, or the nearest measured count plus perCpu per CPU. */
function dtUnflattenBytes(m: { sizes: Record<number, number>; perCpu: number }, ncpu: number): number {
  const known = Object.keys(m.sizes).map(Number);
  const near = known.reduce((a, b) => (Math.abs(b - ncpu) < Math.abs(a - ncpu) ? b : a));
  return m.sizes[near] + (ncpu - near) * m.perCpu;
}

/** Sections that memblock memory (nomap included) touches, ascending, each with the node of its first memory. */
function presentSections(mb: Memblock, section: number): { nr: number; nid: number }[] {
  const out = new Map<number, number>();
  for (const m of mb.memory) for (let s = Math.floor(m.base / section); s * section < m.end; s++) if (!out.has(s)) out.set(s, m.nid ?? 0);
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
function linearMapTables(mb: Memblock, alias: Range | null, g: ReturnType<typeof granule>, extraLevel: boolean, blocks = false): number {
  const mapped: Range[] = mb.memory.filter((m) => !m.nomap).map((m) => ({ start: m.base, end: m.end }));
  const upper = chunksTouched(mapped, g.pmd) + chunksTouched(mapped, g.pud) + (extraLevel ? chunksTouched(mapped, g.p4d) : 0);
  if (blocks) {
    // Block-mapped: a PTE page only for a block-sized chunk a mapping starts or ends inside (the alias is mapped apart).
    const pieces: Range[] = [];
    for (const m of mapped) {
      if (!alias || alias.end <= m.start || alias.start >= m.end) pieces.push(m);
      else {
        if (m.start < alias.start) pieces.push({ start: m.start, end: alias.start });
        if (alias.end < m.end) pieces.push({ start: alias.end, end: m.end });
      }
    }
    if (alias) pieces.push(alias);
    // A PTE page for each block-sized chunk a mapping starts or ends inside; a PMD page for each GiB no single mapping
    // covers whole (a whole one is a PUD block).
    const partial = new Set<number>();
    for (const r of pieces) {
      if (r.start % g.pte) partial.add(Math.floor(r.start / g.pte));
      if (r.end % g.pte) partial.add(Math.floor(r.end / g.pte));
    }
    const gibs = new Set<number>();
    for (const r of pieces) for (let i = Math.floor(r.start / g.pmd); i * g.pmd < r.end; i++) gibs.add(i);
    const whole = [...gibs].filter((i) => pieces.some((r) => r.start <= i * g.pmd && (i + 1) * g.pmd <= r.end)).length;
    return partial.size + gibs.size - whole + chunksTouched(mapped, g.pud) + (extraLevel ? chunksTouched(mapped, g.p4d) : 0);
  }
  if (!alias) return chunksTouched(mapped, g.pte) + upper;
  const paged: Range[] = [];
  for (const m of mapped) {
    if (alias.end <= m.start || alias.start >= m.end) paged.push(m);
    else {
      if (m.start < alias.start) paged.push({ start: m.start, end: alias.start });
      if (alias.end < m.end) paged.push({ start: alias.end, end: m.end });
    }
  }
  const blockStart = alignUp(alias.start, g.pte);
  const blockEnd = alignDown(alias.end, g.pte);
  if (alias.start < blockStart) paged.push({ start: alias.start, end: Math.min(blockStart, alias.end) });
  if (blockEnd > blockStart && blockEnd < alias.end) paged.push({ start: blockEnd, end: alias.end });
  if (blockEnd <= blockStart && blockStart < alias.end) paged.push({ start: blockStart, end: alias.end });
  return chunksTouched(paged, g.pte) + upper;
}

/** vmemmap_populate(): the memmap is PMD-mapped; a PMD page per GiB of vmemmap and a PUD page per 512 GiB of it not covered yet. */
function vmemmapTables(sections: number[], memstart: number, covered: { gib: Set<number>; pud: Set<number> }, g: ReturnType<typeof granule>): number {
  // A section's memmap is block-mapped when it fills a block (4K: 2 MiB), else mapped with base pages (16K: 512 KiB per section).
  const [lo, hi] = g.sectionMemmap >= g.pte ? [g.pmd, g.pud] : [g.pte, g.pmd];
  let n = 0;
  for (const s of sections) {
    const off = ((s * g.section - memstart) / g.page) * STRUCT_PAGE;
    for (const [set, size] of [
      [covered.gib, lo],
      [covered.pud, hi],
    ] as const) {
      for (let k = Math.floor(off / size); k <= Math.floor((off + g.sectionMemmap - 1) / size); k++) {
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
function zoneSpans(mb: Memblock, PAGE: number): { spanned: number; present: number }[] {
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
