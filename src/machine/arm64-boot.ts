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
import { alignDown, alignUp, MiB } from "../kernel/units.js";
import { Memblock } from "./arm64-memblock.js";
import { makeResource, requestResource, reserveRegionWithSplit, type Resource } from "../kernel/resource.js";
import type { MachineSpec, MemblockRange } from "./types.js";
import { VIRT_FLASH1, type VirtMap } from "./virt.js";
import { MachineRefused } from "./refusal.js";
import { efiLoad, memattrDelta, memattrOffset } from "./arm64-edk2.js";
import { arm64Build, ORACLE_CMDLINE, type Arm64Build, type FromTop } from "./arm64-builds.js";
import { cpuNodes, earlyAllocations, numaOff } from "./arm64-early.js";
import { paramsFromCmdline } from "../kernel/boot.js";
import { mergeMemblockRanges } from "./memblock-ranges.js";

export { ARM64_BUILDS, arm64Build, ORACLE_CMDLINE, type Arm64Build, type EarlyProgram } from "./arm64-builds.js";

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

interface Range {
  start: number;
  end: number;
}

/** The boot RAM: iomem resources (top level, with children) and memblock memory by node. */
export function arm64BootRam(spec: MachineSpec, map: VirtMap, nvdimm: boolean, buildName = "6.1"): { iomem: Resource[]; memblock: MemblockRange[]; reserved: Reserved[]; nodes: number[]; cma: Range[] } {
  const pageSize = spec.arch === "arm64-16k" ? 16384 : spec.arch === "arm64-64k" ? 65536 : 4096;
  const build = arm64Build(buildName, pageSize);
  if (!build) throw new MachineRefused(`memhp has no boot layout data for a ${buildName} arm64 kernel with ${pageSize / 1024}K pages on virt (import a recorded boot instead)`, ["arch"]);
  const PAGE = pageSize;
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
  if (map.uefi && spec.cmdline.includes("acpi=off")) {
    // a64-probe50-uefi-2g-acpi-off (not kept: it never finished): "EFI stub: Generating empty DTB", then nothing.
    throw new MachineRefused("the arm64 kernel cannot boot with acpi=off under UEFI: edk2 hands QEMU virt's description over as ACPI tables only, the EFI stub generates an empty device tree, and without ACPI Linux finds no memory and stops early (use acpi: false for a device-tree boot)", ["cmdline"]);
  }
  if (map.uefi) {
    nomap.push({ ...VIRT_FLASH1 }, { start: T0 - 0x3bc0000, end: T0 - 0x38d0000 }, { start: T0 - 0x400000, end: T0 - 0x20000 });
    if (nvdimm) nomap.push({ start: T0 - build.nvdimmNvs, end: T0 - build.nvdimmNvs + 0x10000 });
    const placed = efiLoad(map.ramBase, T0, build.uefiLoad, build.image.size, build.initrdSize, nvdimm ? build.nvdimmNvs : null);
    if (!placed) throw new MachineRefused(`edk2 cannot load the kernel: the first NUMA node's ${(T0 - map.ramBase) / MiB} MiB leave no room for the image below its own allocations`, ["numa"]);
    ({ code, data } = imageAt(build, placed.text));
    fixed.push({ start: placed.fdt, end: placed.fdt + EFI_STUB_FDT, tag: "fw-fdt" });
    fixed.push({ start: placed.initrd, end: placed.initrd + build.initrdSize, tag: "fw-initrd" });
    build.efi.acpi.forEach((a, i) => fixed.push({ ...at(a), tag: `fw-acpi${i}` }));
    fixed.push({ ...at({ off: build.efi.memattr + memattrDelta(spec, map, nvdimm, build.name, { start: placed.pe, size: build.uefiLoad.peSize }) - memattrOffset(spec, nvdimm, build.name), size: EFI_MEMATTR_SIZE }), tag: "fw-memattr" });
  } else {
    // QEMU's loader puts the Image 2 MiB above the RAM base.
    ({ code, data } = imageAt(build, map.ramBase + 2 * MiB));
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
  // numa=off: the dummy node over all of it (one memblock region, one System RAM resource, whatever the tree says).
  const nodes = map.uefi || numaOff(spec) ? [{ nid: 0, start: map.ramBase, end: T }] : dtMemoryNodes(spec, map);
  const nodeOf = (a: number) => nodes.find((n) => n.start <= a && a < n.end)?.nid ?? 0;
  const mb = new Memblock({ kernFlag: build.early.kernFlag });
  const cuts = [...new Set([...memory.flatMap((m) => [m.start, m.end]), ...nomap.flatMap((n) => [n.start, n.end]), ...nodes.map((n) => n.start)])].sort((x, y) => x - y);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const s = cuts[i];
    const e = cuts[i + 1];
    if (!memory.some((m) => m.start <= s && e <= m.end)) continue;
    mb.addMemory(s, e, nomap.some((n) => n.start <= s && e <= n.end), nodeOf(s));
  }
  // efi_init() and setup_machine_fdt() reserve the firmware's ranges first; arm64_memblock_init() then applies mem=
  // (memblock_mem_limit_remove_map(): memory past the limit, counted from the bottom, goes except nomap ranges, and so do
  // reservations there), adds back the kernel image [_text, _end) and the initrd, and reserves those two.
  const isLoader = (f: Reserved) => f.tag === "kernel" || f.tag === "initrd" || f.tag === "fw-initrd";
  for (const f of fixed) if (!isLoader(f)) mb.reserve(f.start, f.end);
  const limit = paramsFromCmdline(spec.cmdline).memLimit;
  if (limit !== null && limit < mb.physMemSize()) {
    mb.capMemory(limit);
    mb.addMemory(code.start - build.image.code.off, data.end, false, nodeOf(code.start));
    for (const f of fixed) if (f.tag !== "kernel" && isLoader(f)) mb.addMemory(f.start, f.end, false, nodeOf(f.start));
  }
  for (const f of fixed) if (isLoader(f)) mb.reserve(f.start, f.end);

  const cmdline = [...ORACLE_CMDLINE, ...spec.cmdline, ...(map.uefi ? ["initrd=initrd"] : [])].join(" ");
  const { cma, crash } = earlyAllocations(mb, build.early, { spec, map, code, data, cmdline, nodes: nodes.map((n) => n.nid), parsedNodes: map.uefi || numaOff(spec) ? [0] : [...new Set([...nodes.map((n) => n.nid), ...(spec.numa ?? []).map((n) => n.nodeid)])].sort((a, b) => a - b), memoryNodeStarts: map.uefi ? [map.ramBase] : dtMemoryNodes(spec, map).map((n) => n.start), cpuNode: cpuNodes(spec, nodes.length > 1) });

  // request_standard_resources(): one resource per memblock.memory region, nomap ones "reserved".
  const top: Resource[] = mb.memory.map((m) => (m.nomap ? makeResource(m.base, m.end - 1, "reserved") : makeResource(m.base, m.end - 1, "System RAM", { busy: true, sysram: true })));
  for (const r of top) {
    if (r.name !== "System RAM") continue;
    // request_standard_resources(): the kernel's code and data, then the crash kernel's reservation.
    for (const [rng, name] of [
      [code, "Kernel code"],
      [data, "Kernel data"],
      ...crash.map((x) => [x, "Crash kernel"] as const),
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
  return { iomem: top, memblock: mergeMemblockRanges(memblock), reserved, nodes: nodes.map((n) => n.nid), cma };
}

/** The kernel code and data resources of an image whose _text is at `text`. */
function imageAt(build: Arm64Build, text: number): { code: Range; data: Range } {
  const { code, data } = build.image;
  return { code: { start: text + code.off, end: text + code.off + code.size }, data: { start: text + data.off, end: text + data.off + data.size } };
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
