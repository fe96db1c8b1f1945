/**
 * The arm64 kernel's memblock allocations after setup_arch(), in
 * start_kernel()'s order (init/main.c): the command line, the first per-CPU
 * chunk (mm/percpu.c), gigantic boot pages where parse_args() takes them,
 * the log buffer (kernel/printk/printk.c), the dentry and inode hash tables
 * (fs/dcache.c, fs/inode.c) and swiotlb (kernel/dma/swiotlb.c, from
 * mem_init()). Continues arm64-early.ts's replay on the same memblock.
 * Pure: no I/O.
 */
import { alignUp } from "../kernel/units.js";
import { IO_TLB_SEGSIZE, swiotlbCmdline } from "../kernel/swiotlb.js";
import { logBufAllocations, logBufLen } from "../kernel/printk.js";
import { firstChunkMaps, pageFirstChunkUnit, pcpuSlotBytes, percpuAllocCmdline } from "../kernel/percpu.js";
import { reserveMemCmdline } from "../kernel/reserve-mem.js";
import { hashEntriesCmdline, largeSystemHashBytes, largeSystemHashRetries } from "../kernel/large-system-hash.js";
import type { EarlyContext } from "./arm64-early.js";
import type { Memblock } from "./arm64-memblock.js";
import type { EarlyProgram } from "./arm64-builds.js";

const IO_TLB = { slab: 2048, segsize: IO_TLB_SEGSIZE, slotBytes: 24, areaBytes: 16, defaultSlabs: 32768 };
/** SMP_CACHE_BYTES: memblock_alloc()'s usual alignment. */
const SMP_CACHE = 64;
/** LOG_ALIGN: the alignment of struct printk_info. */
const LOG_ALIGN = 8;

export interface StartKernelInputs {
  /** Fails the boot (the kernel panics) when memblock has no room. */
  must: (what: string, at: number | null) => number;
  /** nr_kernel_pages as this build counts it (the hash tables' measure). */
  nrKernelPages: number;
  /** arm64_dma_phys_limit. */
  dmaLimit: number;
  /** hugepages_setup() in parse_args() allocates gigantic pages here (6.1, 6.12); null when setup_arch() did (7.2). */
  giganticPages: (() => void) | null;
}

export function startKernelAllocations(mb: Memblock, p: EarlyProgram, c: EarlyContext, s: StartKernelInputs): void {
  const { must } = s;
  const PAGE = p.pageSize;
  // nr_cpu_ids: the possible CPUs.
  const ncpu = c.cpuNode.length;
  // setup_command_line(): saved_command_line and static_command_line.
  for (let i = 0; i < 2; i++) must("the command line", mb.alloc({ size: c.cmdline.length + 1, align: SMP_CACHE }));
  // setup_per_cpu_areas(): pcpu_embed_first_chunk() — a group per node, in the order of their first CPU, each group's
  // units in one piece on its node — or with percpu_alloc=page pcpu_page_first_chunk(): one group, each CPU's unit a
  // page at a time on its node, the page array freed afterwards (a64-probe54-uefi-2g-2cpu-percpu-page-mbdbg: no page
  // tables were needed for the mapping).
  const page = percpuAllocCmdline(c.cmdline) === "page";
  const unit = page ? pageFirstChunkUnit(p.pcpu.staticSize, p.pcpu.dynEarly, PAGE) : p.pcpu.unit;
  const ai = must("pcpu alloc info", mb.alloc({ size: PAGE, align: PAGE }));
  const groups: number[] = [];
  if (page) groups.push(c.cpuNode[0] ?? 0);
  else for (const n of c.cpuNode) if (!groups.includes(n)) groups.push(n);
  const scratch = page ? alignUp((unit / PAGE) * ncpu * 8, PAGE) : PAGE;
  const areas = must(page ? "the percpu page array" : "pcpu areas", mb.alloc({ size: scratch, align: SMP_CACHE }));
  if (page) {
    for (const nid of c.cpuNode) must("the first percpu chunk", mb.allocPages(unit / PAGE, PAGE, nid) ? 0 : null);
  } else {
    for (const g of groups) must("the first percpu chunk", mb.alloc({ size: unit * c.cpuNode.filter((n) => n === g).length, align: PAGE, nid: g }));
  }
  for (const size of [8 * groups.length, 8 * groups.length, 4 * ncpu, 8 * ncpu, pcpuSlotBytes(unit)]) must("pcpu_setup_first_chunk", mb.alloc({ size, align: SMP_CACHE }));
  for (const chunk of firstChunkMaps(p.pcpu.staticSize, unit, p.pcpu.chunkStruct, PAGE)) for (const size of chunk) must("pcpu_alloc_first_chunk", mb.alloc({ size, align: SMP_CACHE }));
  mb.free(areas, areas + scratch);
  mb.free(ai, ai + PAGE);
  // parse_args(): hugepages= (6.1, 6.12: gigantic pages) and reserve_mem= (6.11 on) allocate as they are read.
  s.giganticPages?.();
  if (p.reserveMem) for (const r of reserveMemCmdline(c.cmdline)) mb.alloc({ size: r.size, align: r.align, phys: true });
  // setup_log_buf(0): a larger log buffer (log_buf_len=, or many CPUs); on a failure what was taken goes back, the
  // static buffer stays and the boot goes on.
  const taken: number[] = [];
  for (const size of logBufAllocations(logBufLen(c.cmdline, ncpu), p.printkInfo)) {
    const at = mb.alloc({ size, align: LOG_ALIGN });
    if (at === null) {
      for (let i = 0; i < taken.length; i += 2) mb.free(taken[i], taken[i] + taken[i + 1]);
      break;
    }
    taken.push(at, size);
  }
  // vfs_caches_init_early(): the dentry and inode hash tables, from memblock unless hashdist spreads them over nodes
  // (vmalloc); dhash_entries= and ihash_entries= set their sizes (a64-probe53-uefi-2g-dhash-ihash).
  if (c.nodes.length === 1) {
    for (const [scale, name] of [[13, "dhash_entries"], [14, "ihash_entries"]] as const) {
      const first = largeSystemHashBytes(s.nrKernelPages, PAGE, scale, hashEntriesCmdline(c.cmdline, name));
      let at: number | null = null;
      for (const size of largeSystemHashRetries(first, PAGE)) if ((at = mb.alloc({ size, align: SMP_CACHE })) !== null) break;
      must("a hash table", at);
    }
  }
  // mem_init() → swiotlb_init(); swiotlb= sets the slabs (then kmalloc bouncing keeps them), the areas, force or noforce.
  const st = swiotlbCmdline(c.cmdline);
  const nareas = 2 ** Math.ceil(Math.log2(st.areas ?? ncpu));
  const over = c.map.ramTop > s.dmaLimit;
  let nslabs = 0;
  // force only matters where nothing else asks for bounce buffers (6.1 within the DMA limit): kmalloc bouncing sizes them
  // as ever (a64-probe50-uefi-2g-swiotlb-force).
  if (st.noforce) nslabs = 0;
  else if (over) nslabs = st.slabs ?? IO_TLB.defaultSlabs;
  else if (p.swiotlb === "kmalloc-bounce") {
    const size = Math.min(IO_TLB.defaultSlabs * IO_TLB.slab, alignUp(Math.ceil(mb.physMemSize() / 1024), IO_TLB.slab));
    nslabs = st.slabs ?? alignUp(size / IO_TLB.slab, IO_TLB.segsize);
  } else if (st.force) nslabs = st.slabs ?? IO_TLB.defaultSlabs;
  if (nslabs) {
    nslabs = Math.max(nslabs, IO_TLB.segsize * nareas);
    nslabs = 2 ** Math.ceil(Math.log2(nslabs));
    // swiotlb_init_remap() warns and goes on without bounce buffers when memblock has no room.
    // memblock_alloc_low(): below ARCH_LOW_ADDRESS_LIMIT, the DMA limit less one, taken as an exclusive end (without a CMA
    // area at the top of the DMA zone the buffer ends a page below 4 GiB: a64-probe66-dts-numa2-4g-cma0).
    if (mb.alloc({ size: nslabs * IO_TLB.slab, align: PAGE, max: s.dmaLimit - 1 }) !== null) {
      must("the swiotlb slots", mb.alloc({ size: alignUp(nslabs * IO_TLB.slotBytes, PAGE), align: PAGE }));
      must("the swiotlb areas", mb.alloc({ size: IO_TLB.areaBytes * nareas, align: SMP_CACHE }));
    }
  }
}
