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
import { alignUp, GiB, MiB } from "../kernel/units.js";
import { linearMapTablePages, nrKernelPages, replayAllocations, systemHashBytes, type EarlyAlloc, type FreeMap, type Reserved } from "./arm64-memblock.js";
import { makeResource, requestResource, reserveRegionWithSplit, type Resource } from "../kernel/resource.js";
import type { MachineSpec, MemblockRange } from "./types.js";
import { VIRT_FLASH1, type VirtMap } from "./virt.js";

const KiB4 = 0x1000;
/** arm64_dma_phys_limit on virt: ZONE_DMA covers the first 4 GiB. */
const DMA_LIMIT = 4 * GiB;

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
  /** edk2 allocations under System RAM: the EFI stub's page, the initrd (size initrdSize), ACPI tables, and others, relative to T. */
  efi: { stubPage: number; initrd: number; acpi: FromTop[]; memattr: number };
  /** With nvdimm=on, edk2 places an ACPI NVS page (64 KiB, nomap) at T - nvdimmNvs and shifts the stub page and the initrd down. */
  nvdimmNvs: number;
  nvdimmShift: number;
  /** The kernel's early allocations (arm64-memblock.ts), per boot mode. */
  allocs: (ctx: AllocContext) => EarlyAlloc[];
}

export interface AllocContext {
  uefi: boolean;
  /** Memory the linear map covers (memblock memory minus nomap). */
  mapped: { start: number; end: number }[];
  ramTop: number;
  sections: number;
  ncpu: number;
  pageSize: number;
  /** The zones' spanned/present pages (for nr_kernel_pages). */
  zones: { spanned: number; present: number }[];
  /** Free pages at the time of the hash tables (6.12 sizes them on memblock's free memory). */
  freePages: (placedSoFar: EarlyAlloc[]) => number;
}

const SECTION_MEMMAP = 2 * MiB;
const CMA = { size: 64 * MiB, align: 4 * MiB };

function swiotlbBytes(ramTop: number, always2M: boolean): number {
  if (ramTop > DMA_LIMIT) return 64 * MiB;
  return always2M ? 2 * MiB : 0;
}

/** Debian 12's linux-image-6.1.0-*-arm64 (6.1.192). */
const DEBIAN_6_1: Arm64Build = {
  name: "6.1",
  uefiImage: { code: { off: 0x9bf0000, size: 0x1650000 }, data: { off: 0x7f50000, size: 0x360000 } },
  dtImage: { code: { start: 0x40210000, size: 0x1650000 }, data: { start: 0x41eb0000, size: 0x360000 } },
  initrdSize: 0x48c000,
  efi: { stubPage: 0x4270000, initrd: 0x4070000, acpi: [{ off: 0x3bd1000, size: KiB4 }, { off: 0x3bd0000, size: 0x10000 }], memattr: 0x3760000 },
  nvdimmNvs: 0x3bf0000,
  nvdimmShift: 0x10000,
  allocs: (c) => {
    const list: EarlyAlloc[] = [
      // paging_init(): the linear map at page granularity (rodata=full).
      { what: "linear map page tables", size: linearMapTablePages(c.mapped, c.pageSize), align: c.pageSize, tag: "pt", pageByPage: true },
      { what: "early NUMA and sparse data (NODE_DATA, usemaps, vmemmap tables)", size: c.uefi ? 0x25000 : 0x2d000, align: c.pageSize, tag: "b" },
      { what: "early boot data", size: c.uefi ? 0x2000 : 0x3000, align: c.pageSize, tag: "c" },
      { what: "memmap (sparse_init)", size: c.sections * SECTION_MEMMAP, align: SECTION_MEMMAP, tag: "n" },
      { what: "CMA (dma_contiguous_reserve)", size: CMA.size, align: CMA.align, limit: DMA_LIMIT, tag: "n" },
      { what: "percpu setup (freed)", size: 2 * c.pageSize, align: c.pageSize, tag: "t", freedLater: true },
      { what: "percpu first chunk", size: c.ncpu * 0x1f000, align: c.pageSize, tag: "p" },
    ];
    const nk = nrKernelPages(c.zones, c.pageSize, 64);
    list.push({ what: "dentry hash", size: systemHashBytes(nk, c.pageSize, 13), align: 64, tag: "n" });
    list.push({ what: "inode hash", size: systemHashBytes(nk, c.pageSize, 14), align: 64, tag: "n" });
    list.push({ what: "early boot page", size: c.pageSize, align: c.pageSize, tag: "n" });
    const tlb = swiotlbBytes(c.ramTop, false);
    if (tlb) {
      list.push({ what: "swiotlb", size: tlb, align: c.pageSize, limit: DMA_LIMIT, tag: "n" });
      list.push({ what: "swiotlb slots", size: (tlb / 2048) * 24, align: 64, tag: "s" });
    }
    return list;
  },
};

/** Debian 13's linux-image-6.12.*-arm64 (6.12.118). Device-tree numbers: 6.1's shape with this image (unverified). */
const DEBIAN_6_12: Arm64Build = {
  name: "6.12",
  uefiImage: { code: { off: 0xb000000, size: 0x1d40000 }, data: { off: 0x8fb0000, size: 0x4c0000 } },
  dtImage: { code: { start: 0x40200000, size: 0x1d40000 }, data: { start: 0x40200000 + 0x2050000, size: 0x4c0000 } },
  initrdSize: 0x481000,
  efi: { stubPage: 0x46f0000, initrd: 0x44f0000, acpi: [{ off: 0x4060000, size: 0x10000 }, { off: 0x4042000, size: KiB4 }], memattr: 0x3772000 },
  nvdimmNvs: 0x4080000,
  nvdimmShift: 0x20000,
  allocs: (c) => {
    const list: EarlyAlloc[] = [
      { what: "linear map page tables", size: linearMapTablePages(c.mapped, c.pageSize), align: c.pageSize, tag: "pt", pageByPage: true },
      { what: "early NUMA and sparse data", size: 0x15000, align: c.pageSize, tag: "pt" },
      { what: "early boot data", size: 0x3000, align: c.pageSize, tag: "c" },
      { what: "percpu setup (freed)", size: 2 * c.pageSize, align: c.pageSize, tag: "t", freedLater: true },
      { what: "early boot page", size: c.pageSize, align: c.pageSize, tag: "e" },
      { what: "memmap (sparse_init)", size: c.sections * SECTION_MEMMAP, align: SECTION_MEMMAP, tag: "n" },
      { what: "CMA (dma_contiguous_reserve)", size: CMA.size, align: CMA.align, limit: DMA_LIMIT, tag: "cma" },
      { what: "percpu first chunk", size: c.ncpu * 0x22000, align: c.pageSize, tag: "n" },
    ];
    const free = c.freePages(list);
    list.push({ what: "dentry hash", size: systemHashBytes(free, c.pageSize, 13), align: 64, tag: "n" });
    list.push({ what: "inode hash", size: systemHashBytes(free, c.pageSize, 14), align: 64, tag: "n" });
    const tlb = swiotlbBytes(c.ramTop, true);
    list.push({ what: "swiotlb", size: tlb, align: c.pageSize, limit: DMA_LIMIT, tag: "n" });
    list.push({ what: "swiotlb slots", size: (tlb / 2048) * 24, align: 64, tag: "n" });
    return list;
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
export function arm64BootRam(spec: MachineSpec, map: VirtMap, nvdimm: boolean, buildName = "6.1"): { iomem: Resource[]; memblock: MemblockRange[]; reserved: Reserved[] } {
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
  if (map.uefi) {
    nomap.push({ ...VIRT_FLASH1 }, { start: T0 - 0x3bc0000, end: T0 - 0x38d0000 }, { start: T0 - 0x400000, end: T0 - 0x20000 });
    const shift = nvdimm ? build.nvdimmShift : 0;
    if (nvdimm) nomap.push({ start: T0 - build.nvdimmNvs, end: T0 - build.nvdimmNvs + 0x10000 });
    code = at(build.uefiImage.code);
    data = at(build.uefiImage.data);
    fixed.push({ ...at({ off: build.efi.stubPage + shift, size: KiB4 }), tag: "fw-stub" });
    fixed.push({ ...at({ off: build.efi.initrd + shift, size: build.initrdSize }), tag: "fw-initrd" });
    build.efi.acpi.forEach((a, i) => fixed.push({ ...at(a), tag: `fw-acpi${i}` }));
    fixed.push({ ...at({ off: build.efi.memattr + memattrDelta(spec, map, nvdimm), size: KiB4 }), tag: "fw-memattr" });
  } else {
    code = { start: build.dtImage.code.start, end: build.dtImage.code.start + build.dtImage.code.size };
    data = { start: build.dtImage.data.start, end: build.dtImage.data.start + build.dtImage.data.size };
    // QEMU's loader: the initrd at RAM + 128 MiB, the device tree (1 MiB) at the next 2 MiB boundary.
    const initrd = map.ramBase + 128 * MiB;
    fixed.push({ start: initrd, end: initrd + build.initrdSize, tag: "initrd" });
    const dtb = alignUp(initrd + build.initrdSize, 2 * MiB);
    fixed.push({ start: dtb, end: dtb + MiB, tag: "dtb" });
  }
  fixed.push({ start: code.start, end: data.end, tag: "kernel" });

  const memory: Range[] = [...(map.uefi ? [VIRT_FLASH1] : []), { start: map.ramBase, end: T }];
  const fm: FreeMap = { memory, nomap, reserved: [] };
  for (const f of fixed) fm.reserved.push(f);
  fm.reserved.sort((a, b) => a.start - b.start);

  const pageSize = 4096;
  const sectionSize = 128 * MiB;
  const sections = new Set<number>();
  for (const m of memory) for (let s = Math.floor(m.start / sectionSize); s * sectionSize < m.end; s++) sections.add(s);
  const zones = zoneSpans(memory, pageSize);
  const mapped: Range[] = [];
  for (const m of memory) {
    let cur = m.start;
    for (const n of [...nomap].sort((a, b) => a.start - b.start)) {
      if (n.end <= cur || n.start >= m.end) continue;
      if (n.start > cur) mapped.push({ start: cur, end: n.start });
      cur = Math.max(cur, n.end);
    }
    if (cur < m.end) mapped.push({ start: cur, end: m.end });
  }
  const ctx: AllocContext = {
    uefi: map.uefi,
    mapped,
    ramTop: T,
    sections: sections.size,
    ncpu: spec.smp ?? 1,
    pageSize,
    zones,
    freePages: (sofar) => {
      const total = memory.reduce((a, m) => a + (m.end - m.start), 0) - nomap.reduce((a, n) => a + (n.end - n.start), 0);
      const held = fixed.reduce((a, f) => a + (f.end - f.start), 0) + sofar.reduce((a, x) => a + (x.freedLater ? 0 : x.size), 0);
      return Math.floor((total - held) / pageSize);
    },
  };
  replayAllocations(fm, build.allocs(ctx));

  // request_standard_resources(): one resource per memblock.memory region (nomap ones "reserved").
  const cuts = [...new Set([...memory.flatMap((m) => [m.start, m.end]), ...nomap.flatMap((n) => [n.start, n.end])])].sort((a, b) => a - b);
  const top: Resource[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const s = cuts[i];
    const e = cuts[i + 1];
    if (!memory.some((m) => m.start <= s && e <= m.end)) continue;
    const isNomap = nomap.some((n) => n.start <= s && e <= n.end);
    top.push(isNomap ? makeResource(s, e - 1, "reserved") : makeResource(s, e - 1, "System RAM", { busy: true, sysram: true }));
  }
  for (const r of top) {
    if (r.name !== "System RAM") continue;
    for (const [rng, name] of [
      [code, "Kernel code"],
      [data, "Kernel data"],
    ] as const) {
      if (rng.start >= r.start && rng.end - 1 <= r.end) requestResource(r, makeResource(rng.start, rng.end - 1, name, { busy: true, sysram: true }));
    }
    // reserve_memblock_reserved_regions(): each reserved region's part in this RAM resource.
    for (const x of fm.reserved) {
      const s = Math.max(x.start, r.start);
      const e = Math.min(x.end - 1, r.end);
      if (s <= e) reserveRegionWithSplit(r, s, e, "reserved");
    }
    for (const c of r.children) if (c.name === "reserved") c.flags.sysram = true;
  }
  return { iomem: top, memblock: memory.map((m) => ({ ...m, nid: 0 })), reserved: fm.reserved };
}

/** edk2's memory attributes table page moves with what edk2 allocated before it (measured; see the module comment). */
function memattrDelta(spec: MachineSpec, map: VirtMap, nvdimm: boolean): number {
  let d = 0;
  if (!map.deviceMemory) d += KiB4;
  if (spec.memory >= 2 * GiB) d += 2 * KiB4;
  if ((spec.virtio_mem ?? []).length > 0) d += 3 * KiB4 * spec.virtio_mem!.length;
  if (nvdimm) d -= 2 * KiB4;
  return d;
}

/** Zone spans of the boot memory (DMA below 4 GiB, Normal above) for nr_kernel_pages. */
function zoneSpans(memory: Range[], pageSize: number): { spanned: number; present: number }[] {
  const out: { spanned: number; present: number }[] = [];
  for (const [lo, hi] of [
    [0, DMA_LIMIT],
    [DMA_LIMIT, Number.MAX_SAFE_INTEGER],
  ]) {
    const parts = memory.map((m) => ({ start: Math.max(m.start, lo), end: Math.min(m.end, hi) })).filter((m) => m.end > m.start);
    if (!parts.length) continue;
    const spanned = (Math.max(...parts.map((p) => p.end)) - Math.min(...parts.map((p) => p.start))) / pageSize;
    const present = parts.reduce((a, p) => a + (p.end - p.start), 0) / pageSize;
    out.push({ spanned, present });
  }
  return out;
}
