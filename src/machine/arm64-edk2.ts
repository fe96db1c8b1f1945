/**
 * edk2 (QEMU_EFI.fd of Debian's qemu-efi-aarch64) on the virt machine: where
 * its allocations below the top of RAM land as a function of the machine.
 * Only its EFI memory attributes table moves with the machine (the EFI stub's
 * FDT page, the initrd and the ACPI tables stay put, except for nvdimm=on's
 * ACPI NVS page, Arm64Build.nvdimmNvs); arm64-boot.ts places everything.
 */
import { alignDown, alignUp, GiB } from "../kernel/units.js";
import { ORACLE_CMDLINE } from "./arm64-builds.js";
import { qemuNuma } from "./qemu-map.js";
import type { MachineSpec } from "./types.js";
import type { VirtMap } from "./virt.js";

const PAGE = 0x1000;

/**
 * Where edk2's memory attributes table lands: its page, in bytes below
 * Arm64Build.efi.memattr (measured: test/oracle/arm64/traces/a64-efi-*,
 * checked against every UEFI trace by arm64-edk2.test.ts). edk2's DXE core
 * builds the table at ReadyToBoot with AllocatePool(EfiBootServicesData),
 * after PCI enumeration (MdeModulePkg/Core/Dxe/Misc/MemoryAttributesTable.c).
 * The pool takes a block of the table's size from its free lists, or from a
 * larger free block, or else opens a fresh pool page, the highest free page
 * (pages are handed out top-down). The kernel prints the table's address at
 * boot ("efi: ... MEMATTR=0x..."): its offset in the page tells the two apart,
 * 0x18 (just past the pool header) in a fresh page; with efi=debug
 * (a64-efi-debug-*) it prints edk2's whole memory map too. What they show:
 * - a fresh page, 3 + floor(n/2) pages down for n virtio-mem devices
 *   (measured n = 1, 3, 5-10, 12, 16, 24; with an NVDIMM n = 1, 3-9): the
 *   boot-services data below the runtime ranges grows by half a page per PCI
 *   device enumerated (the oracle's virtio-serial is always there);
 * - a freed block higher up in some cases (EDK2_MEMATTR_REUSED): which block
 *   is free then is the history of every pool allocation before it, so these
 *   are measured, not derived. Besides the devices, that history depends on
 *   the kernel command line, which edk2 holds in its pool twice before
 *   (cmdlinePoolBins): a64-efi-cmd*, a64-efi-longcmd-*;
 * - edk2's page tables (mmuTablePages) move every case down, and so does a
 *   machine without NUMA in QEMU (1 page: no -numa and no maxmem/slots; an
 *   explicit node without maxmem does not shift it);
 * - NVDIMMs (how many, label-size) matter only through the reused blocks;
 *   smp, -cpu, the virtio-mem sizes, block sizes and requested sizes, maxmem
 *   and slots do not move it; the kernel (`build`: Arm64Build.name) only
 *   through the reused blocks (EDK2_MEMATTR_REUSED_BY_BUILD);
 * - where edk2 loaded the kernel's PE image (`pe`, from efiLoad), which it did
 *   before: the translation tables that allocation needed (peTablePages; 2
 *   where the table data above was measured).
 */
export function memattrDelta(spec: MachineSpec, map: VirtMap, nvdimm: boolean, build: string, pe: { start: number; size: number }): number {
  let pages = reusedBlock(spec, nvdimm, build)?.page ?? 2 + Math.floor((virtioMemCount(spec) + freshHalfPages(spec)) / 2);
  // Without NUMA in QEMU (no -numa, no maxmem or slots: no SRAT, no numa-node-id in the tree), 1 page more.
  if (!qemuNuma(spec)) pages += 1;
  pages += peTablePages(map.ramBase, pe.start, pe.size) - PE_TABLE_PAGES_USUAL;
  return (pages + mmuTablePages(spec, map)) * PAGE;
}

/** 2 MiB blocks (offsets from the RAM base) edk2's own boot code already split: PEI's Boot Code pages below RAM + 128 MiB. */
const EDK2_SPLIT_BLOCKS = [0x7600000, 0x7e00000];
/** What the kernel's PE image cost in the boots the memory attributes table data was measured on: both its ends in fresh blocks. */
const PE_TABLE_PAGES_USUAL = 2;

/**
 * Translation-table pages edk2 allocates (top-down, before the memory attributes table) when it loads the kernel's
 * PE image: the allocation is executable loader code in memory edk2 maps non-executable, so each end of it that is not
 * on a 2 MiB boundary splits its 2 MiB block into pages, unless edk2 had already split that block. With a first NUMA
 * node of 256-320 MiB the image goes below edk2's fixed blocks and ends where they start, in a block already split
 * (a64-efi-node0-288m-dbg.sid and -320m-dbg.sid, a64-uefi-node0-256m-dbg.trixie and .sid, a64-16k-efi-node0-256m-dbg:
 * the table one page higher than with 512 MiB).
 */
export function peTablePages(ramBase: number, start: number, size: number): number {
  const blocks = new Set<number>();
  for (const b of [start, start + size]) {
    if (b % MIB2 === 0) continue;
    const block = alignDown(b, MIB2);
    if (!EDK2_SPLIT_BLOCKS.includes(block - ramBase)) blocks.add(block);
  }
  return blocks.size;
}

/**
 * Pages of edk2's boot-services data that its translation tables take in DXE
 * before the table, as the boots with NUMA and with RAM sizes across 1 GiB
 * boundaries measure them (a64-efi-*m, a64-efi-numa*). PEI maps the first
 * NUMA node's RAM (all of it without NUMA) in 1 GiB blocks where whole 1 GiB
 * slots allow, and edk2's own pages sit at that RAM's top. When the top slot
 * is a whole slot other than the first (RAM ending on a 1 GiB boundary at
 * 2 GiB or more: 2, 3, 4, 16 GiB and a first node of 2 GiB; not 1, 1.5,
 * 2.25, 2.5 or 3.5 GiB), DXE splits that block: 2 pages. HighMemDxe then maps
 * the other nodes' RAM: 1 page (a level-2 table) for each 1 GiB slot that
 * memory covers only in part and the first node does not reach (3 x 512 MiB:
 * 1; 4 x 512 MiB: 1; 4 x 256 MiB, 1 + 1 GiB, 1.5 GiB + 512 MiB: 0).
 */
export function mmuTablePages(spec: MachineSpec, map: VirtMap): number {
  const nodeMem = qemuNuma(spec)?.nodeMem.filter((m) => m > 0) ?? [spec.memory];
  const [firstMem = spec.memory, ...others] = nodeMem;
  const top = map.ramBase + firstMem;
  let pages = alignDown(top, GiB) === top && top - map.ramBase > GiB ? 2 : 0;
  const firstSlotsEnd = alignUp(top, GiB);
  const partial = new Set<number>();
  let start = top;
  for (const mem of others) {
    const end = start + mem;
    for (let slot = Math.max(alignDown(start, GiB), firstSlotsEnd); slot < end; slot += GiB) {
      if (start > slot || end < slot + GiB) partial.add(slot);
    }
    start = end;
  }
  pages += partial.size;
  return pages;
}

/** The table's offset in its page: past the pool header (POOL_HEAD, 0x18 bytes) of a fresh page, or where the reused block starts. */
export function memattrOffset(spec: MachineSpec, nvdimm: boolean, build: string): number {
  return reusedBlock(spec, nvdimm, build)?.offset ?? POOL_HEAD;
}

const POOL_HEAD = 0x18;
/** POOL_HEAD and POOL_TAIL around every pool allocation. */
const POOL_OVERHEAD = 0x28;
/** edk2's pool bins (MdeModulePkg/Core/Dxe/Mem/Pool.c: each the sum of the two before). */
const POOL_BINS = [128, 256, 384, 640, 1024, 1664, 2688, 4352];

/**
 * The pool bins of the kernel command line's two buffers in edk2, "ASCII/UCS-2":
 * QEMU's -append as fw_cfg passes it (NUL-terminated), and the image's load
 * options, UCS-2 with " initrd=initrd" added.
 */
export function cmdlinePoolBins(spec: MachineSpec): string {
  const append = [...ORACLE_CMDLINE, ...spec.cmdline].join(" ").length;
  const bin = (bytes: number) => POOL_BINS.find((b) => bytes + POOL_OVERHEAD <= b) ?? "page";
  return `${bin(append + 1)}/${bin(2 * (append + " initrd=initrd".length + 1))}`;
}

/**
 * Half pages of pool that come before a fresh table page besides the virtio-mem devices' (one each): 2 with the
 * oracle's usual command lines and longer ones, 1 when the command line's two copies fit the 128- and 256-byte bins
 * (a command line of 44 bytes or less beside the oracle's own: a64-efi-nocmd-*, a64-probe8-movablecore). So a fresh
 * page is 3 + floor(n / 2) pages down, or 2 + ceil(n / 2).
 */
function freshHalfPages(spec: MachineSpec): number {
  return cmdlinePoolBins(spec) === "128/256" ? 1 : 2;
}

function virtioMemCount(spec: MachineSpec): number {
  return (spec.virtio_mem ?? []).length;
}

function reusedBlock(spec: MachineSpec, nvdimm: boolean, build: string): { page: number; offset: number } | undefined {
  const bins = cmdlinePoolBins(spec);
  const kind = nvdimm ? "nvdimm" : "plain";
  const n = virtioMemCount(spec);
  const numa = (spec.numa ?? []).length > 1 ? EDK2_MEMATTR_REUSED_NUMA[build]?.[bins]?.[kind]?.[n] : undefined;
  return numa ?? EDK2_MEMATTR_REUSED_BY_BUILD[build]?.[bins]?.[kind]?.[n] ?? EDK2_MEMATTR_REUSED[bins]?.[kind]?.[n];
}

type Reused = Partial<Record<number, { page: number; offset: number }>>;

/**
 * The cases where the table reuses a freed pool block (measured; the offsets are the kernel's MEMATTR=
 * line), by the command line's pool bins, NVDIMM or not, and virtio-mem device count: its page relative
 * to build.efi.memattr (before the page-table and NUMA shifts) and its offset in that page. Measured:
 * 256/384 (the oracle's usual command lines, 109-161 bytes with initrd=initrd) for 0-24 devices, with
 * an NVDIMM 0-9; 128/256 (nothing beside the oracle's own words: a64-efi-nocmd-*) for 0-5 devices, with an
 * NVDIMM 0-2; 256/640, 384/640 and 640/1024 (172-418 bytes) for 0-4 devices, with an NVDIMM 0-2; 256/256 (88-93 bytes
 * of -append, a64-probe43-uefi-2g-high and -6g-high on 6.1, 6.12 and 7.2) for 0 devices.
 * Anything else takes a fresh page.
 */
export const EDK2_MEMATTR_REUSED: Record<string, { plain?: Reused; nvdimm?: Reused }> = {
  "256/384": {
    plain: { 0: { page: 0, offset: 0x198 }, 2: { page: -1, offset: 0x518 }, 4: { page: 0, offset: 0x518 } },
    nvdimm: { 0: { page: -2, offset: 0x518 }, 2: { page: -1, offset: 0x518 } },
  },
  "128/256": { plain: { 4: { page: 0, offset: 0x518 } }, nvdimm: { 2: { page: -1, offset: 0x518 } } },
  "256/640": { plain: { 0: { page: 0, offset: 0x198 } } },
  "256/256": { plain: { 0: { page: 0, offset: 0x198 } } },
  "384/640": { plain: { 0: { page: 0, offset: 0x218 } } },
  "640/1024": { plain: { 1: { page: 2, offset: 0x698 }, 3: { page: 3, offset: 0x698 } }, nvdimm: { 1: { page: 2, offset: 0x698 } } },
};

/**
 * Where a build's boot leaves edk2's pool another free block (measured; over EDK2_MEMATTR_REUSED): the
 * kernel image and the oracle's initrd that edk2 loads before ReadyToBoot differ per build. 6.12 and 7.2
 * with an NVDIMM and one virtio-mem device: a block one page above the fresh page, at 0x198
 * (test/oracle/arm64/traces/a64-sweep-nv-plus-vm.trixie, .sid; 6.1 takes the fresh page); with an NVDIMM,
 * no device and the short command line (128/256), a block at 0x98 two pages above it
 * (a64-efi-nocmd-nv1-vm0.trixie, .sid; 6.1 takes the fresh page).
 */
export const EDK2_MEMATTR_REUSED_BY_BUILD: Record<string, Record<string, { plain?: Reused; nvdimm?: Reused }>> = {
  "6.12": { "256/384": { nvdimm: { 1: { page: 2, offset: 0x198 } } }, "128/256": { nvdimm: { 0: { page: 0, offset: 0x98 } } } },
  "7.2": { "256/384": { nvdimm: { 1: { page: 2, offset: 0x198 } } }, "128/256": { nvdimm: { 0: { page: 0, offset: 0x98 } } } },
};

/**
 * With QEMU NUMA nodes (-numa, two of them) 6.1's boot leaves that block too: an NVDIMM and one virtio-mem device
 * (test/oracle/arm64/traces/a64-probe40-uefi-numa2-nv-vm-node1, held out; a64-probe40-efi-smp1-numa2-nv-vm with one
 * CPU; without -numa it takes the fresh page: a64-probe40-efi-smp2-nonuma-nv-vm, a64-sweep-nv-plus-vm). Measured
 * for 6.1 only (6.12 and 7.2 reuse it either way). And 6.12 and 7.2 with the short command line (128/256), no device
 * and two NUMA nodes reuse a block one page above the fresh page, at 0x98 (test/oracle/arm64/traces/a64-probe47-uefi-numa2-kernelcore-1g.trixie
 * and .sid, held out; 6.1 takes the fresh page; without -numa every kernel does: a64-efi-nocmd-vm0*).
 */
export const EDK2_MEMATTR_REUSED_NUMA: Record<string, Record<string, { plain?: Reused; nvdimm?: Reused }>> = {
  "6.1": { "256/384": { nvdimm: { 1: { page: 2, offset: 0x198 } } } },
  "6.12": { "128/256": { plain: { 0: { page: 1, offset: 0x98 } } } },
  "7.2": { "128/256": { plain: { 0: { page: 1, offset: 0x98 } } } },
};

/** edk2's boot-services blocks at fixed places above the RAM base, whatever the RAM (Boot Data at RAM + 64 MiB, PEI's Boot Code/Data below RAM + 128 MiB; every efi=debug map shows them). */
export const EDK2_FIXED_BLOCKS = [
  { off: 0x4000000, size: 0x20000 },
  { off: 0x771a000, size: 0x8e6000 },
];

const KIB64 = 0x10000;
const MIB2 = 0x200000;
/** The EFI stub's device tree allocation (MAX_FDT_SIZE). */
const STUB_FDT_ALLOC = MIB2;

/** Where edk2 and the EFI stub put the kernel image, the initrd and the stub's device tree ([start, end) each). */
export interface EfiLoad {
  /** edk2's allocation for the PE image (peSize bytes). */
  pe: number;
  /** _text. */
  text: number;
  initrd: number;
  fdt: number;
}

/**
 * Free memory as edk2's page allocator sees it: ranges handed out top-down (AllocatePages with AllocateAnyPages or
 * AllocateMaxAddress takes the highest range that fits, in 4 KiB pages).
 */
class Edk2Pages {
  private free: { start: number; end: number }[];
  constructor(free: { start: number; end: number }[]) {
    this.free = free.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  }
  /** The highest `size` bytes of the highest free range that holds them, or null. */
  take(size: number): number | null {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const r = this.free[i];
      if (r.end - r.start < size) continue;
      const at = r.end - size;
      r.end = at;
      if (r.end === r.start) this.free.splice(i, 1);
      return at;
    }
    return null;
  }
  give(start: number, end: number): void {
    if (end <= start) return;
    this.free.push({ start, end });
    this.free.sort((a, b) => a.start - b.start);
    const merged: { start: number; end: number }[] = [];
    for (const r of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.end === r.start) last.end = r.end;
      else merged.push({ ...r });
    }
    this.free = merged;
  }
  /** efi_allocate_pages_aligned(): size plus align - 4 KiB, top-down; the aligned start is kept, the slack on both sides freed. */
  takeAligned(size: number, align: number): number | null {
    const slack = align - PAGE;
    const at = this.take(size + slack);
    if (at === null) return null;
    const start = alignUp(at, align);
    this.give(at, start);
    this.give(start + size, at + size + slack);
    return start;
  }
}

/** With nvdimm=on, edk2 holds two more 64 KiB granules below its own allocations while it loads the kernel: its ACPI NVS page and one freed again before the EFI stub runs. */
const NVDIMM_LOAD_SHIFT = 0x20000;

/**
 * Where the kernel image, the initrd and the EFI stub's device tree land on a UEFI boot (efi=debug maps:
 * test/oracle/arm64/traces/a64-efi-debug-*, a64-efi-node0-*-dbg, a64-16k-efi-*; arm64-efi-load.test.ts checks them
 * all). edk2 works in the first node's RAM [ramBase, top), below its own allocations (which end `load.fileEnd` below
 * the top; with an NVDIMM's ACPI NVS page at `nvdimmNvs` below the top, NVDIMM_LOAD_SHIFT lower) and around its fixed
 * blocks (EDK2_FIXED_BLOCKS):
 * - it reads the kernel file into a buffer (top-down), allocates the PE image (SizeOfImage + 64 KiB) below it, aligns
 *   the image to 64 KiB in that allocation and frees the buffer (LoadImage);
 * - the EFI stub (nokaslr, which the oracle's command line has: 2 MiB alignment) runs the image in place when _text
 *   is 2 MiB aligned, else copies it to a 2 MiB-aligned allocation of its size, top-down;
 * - then it loads the initrd (64 KiB-aligned allocation of its size) and allocates its device tree (2 MiB), top-down.
 * With a first node large enough this is the same offset below the top every time; with a small one (256 MiB) the
 * buffer, the PE image or the copy no longer fit above edk2's fixed blocks and go below them. Null when they do not
 * fit at all.
 */
export function efiLoad(ramBase: number, top: number, load: { fileEnd: number; fileSize: number; peSize: number }, imageSize: number, initrdSize: number, nvdimmNvs: number | null): EfiLoad | null {
  const free: { start: number; end: number }[] = [];
  let at = ramBase;
  for (const b of EDK2_FIXED_BLOCKS) {
    free.push({ start: at, end: ramBase + b.off });
    at = ramBase + b.off + b.size;
  }
  const loadTop = top - load.fileEnd - (nvdimmNvs === null ? 0 : NVDIMM_LOAD_SHIFT);
  free.push({ start: at, end: loadTop });
  const pages = new Edk2Pages(free);
  const file = pages.take(load.fileSize);
  if (file === null) return null;
  const pe = pages.take(load.peSize);
  if (pe === null) return null;
  pages.give(file, file + load.fileSize);
  // The transient granule, when it lies below the NVS page, is free again for the stub.
  if (nvdimmNvs !== null) pages.give(loadTop, top - nvdimmNvs);
  const base = alignUp(pe, KIB64);
  const text = base % MIB2 === 0 ? base : pages.takeAligned(imageSize, MIB2);
  if (text === null) return null;
  const initrd = pages.takeAligned(alignUp(initrdSize, KIB64), KIB64);
  if (initrd === null) return null;
  const fdt = pages.takeAligned(STUB_FDT_ALLOC, KIB64);
  if (fdt === null) return null;
  return { pe, text, initrd, fdt };
}
