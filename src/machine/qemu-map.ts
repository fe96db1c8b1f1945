/**
 * What QEMU 7.2 or 10.0 (pc = i440fx, q35) and their SeaBIOS (1.16.2, 1.16.3:
 * qemu-version.ts) build for a machine:
 * RAM split around the PCI hole, the device-memory region, the PCI windows
 * of the ACPI host bridge, the firmware E820 table, NUMA nodes and SRAT,
 * cold-plugged NVDIMMs / virtio-mem devices, and PCI BAR placement.
 * Sources: hw/i386/pc.c, pc_piix.c, pc_q35.c, acpi-build.c, hw/pci-host/
 * i440fx.c and q35.c, hw/mem/nvdimm.c; SeaBIOS src/malloc.c, src/fw/pciinit.c.
 */
import { nfitOrder } from "./qom-order.js";
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";
import { biosE820Add, biosE820Remove, E820_RAM, E820_RESERVED, type RawE820 } from "./e820.js";
import { FILE_BACKEND_ALIGN, memoryDeviceFreeAddr, RAM_BACKEND_ALIGN, ramSlotsOf, type MdRegion } from "./memory-device.js";
import { MachineRefused, qemuRefuses } from "./refusal.js";
import type { MachineSpec } from "./types.js";
import { cxlPciEntries, cxlRangeEnd } from "./cxl-platform.js";
import { placeRootRegions, type Mem64Options, type PciEntry, type PlacedEntry } from "./seabios-pci.js";
import { machineTypeName, QEMU_FACTS, type QemuVersion } from "./qemu-version.js";

const FOUR_G = 4 * GiB;
const AMD_HT_START = 0xfd00000000;
const AMD_HT_END = 0x10000000000; // exclusive
const IO_APIC = 0xfec00000;
const MCFG_BASE = 0xb0000000;
const MCFG_SIZE = 256 * MiB;
const ICH9_RCBA = 0xfed1c000;
/** qemu64 under TCG: 40 physical address bits. */
const PHYS_BITS = 40;

export interface QemuMap {
  below4g: number;
  above4g: number;
  deviceMemory: { base: number; size: number } | null;
  /** The 64-bit PCI window [start, end). */
  hole64: { start: number; end: number };
  /** ACPI _CRS memory windows of PCI bus 0 (inclusive ends), low to high. */
  pciWindows: { start: number; end: number }[];
  /** cxl=on: where the CXL host-bridge registers start (the CFMWS windows follow). */
  cxlBase?: number;
  /** The QEMU release (qemu-version.ts). */
  qemu: QemuVersion;
}

/** RAM split, device memory, PCI holes (pc_init1 / pc_q35_init, pc_memory_init, pc_pci_hole64_start). */
export function qemuMap(spec: MachineSpec, qemu: QemuVersion = spec.qemu ?? "7.2"): QemuMap {
  const ram = spec.memory;
  let lowmem: number;
  if (spec.type === "q35") {
    lowmem = ram >= 0xb0000000 ? 0x80000000 : 0xb0000000;
  } else {
    lowmem = 0xe0000000;
    if (ram >= lowmem) lowmem = 0xc0000000; // gigabyte_align
  }
  const below4g = ram >= lowmem ? lowmem : ram;
  const above4g = ram - below4g;
  const aboveEnd = FOUR_G + above4g;
  const maxmem = spec.maxmem ?? 0;
  let deviceMemory: QemuMap["deviceMemory"] = null;
  if (maxmem > ram) {
    if (ramSlotsOf(spec) > 256) throw qemuRefuses(`unsupported amount of memory slots: ${ramSlotsOf(spec)}`, ["slots"], spec.type);
    if (maxmem % 4096 !== 0) throw qemuRefuses("maximum memory size must by aligned to multiple of 4096 bytes", ["maxmem"], spec.type);
    deviceMemory = { base: alignUp(aboveEnd, GiB), size: maxmem - ram + ramSlotsOf(spec) * GiB };
  }
  const hole64Size = spec.type === "q35" ? 32 * GiB : 2 * GiB;
  const ramEnd = deviceMemory ? deviceMemory.base + deviceMemory.size : aboveEnd;
  const hole64Start = alignUp(spec.cxl ? cxlRangeEnd(spec.cxl, ramEnd) : ramEnd, GiB);
  const maxUsed = hole64Start + hole64Size - 1;
  // Crossing the AMD HyperTransport hole moves RAM above 1 TiB, which 40 phys-bits cannot address.
  if (maxUsed >= AMD_HT_START || maxUsed > 2 ** PHYS_BITS - 1) {
    throw qemuRefuses(`Address space limit 0x${(2 ** PHYS_BITS - 1).toString(16)} < 0x${maxUsed.toString(16)} phys-bits too low (${PHYS_BITS})`, [spec.maxmem !== undefined && spec.maxmem > ram ? "maxmem" : "memory"], spec.type);
  }
  const hole64 = { start: hole64Start, end: alignUp(hole64Start + hole64Size, GiB) };
  const pciWindows = [{ start: 0xa0000, end: 0xbffff }];
  if (spec.type === "q35") {
    // The hole runs from the end of low RAM to the IOAPIC; MMCONFIG is cut out.
    if (below4g < MCFG_BASE) pciWindows.push({ start: below4g, end: MCFG_BASE - 1 });
    pciWindows.push({ start: MCFG_BASE + MCFG_SIZE, end: IO_APIC - 1 });
  } else {
    pciWindows.push({ start: below4g, end: IO_APIC - 1 });
  }
  pciWindows.push({ start: hole64.start, end: hole64.end - 1 });
  return spec.cxl ? { below4g, above4g, deviceMemory, hole64, pciWindows, cxlBase: ramEnd, qemu } : { below4g, above4g, deviceMemory, hole64, pciWindows, qemu };
}

/** SeaBIOS keeps an SMBIOS structure table of up to this many bytes in the F segment (BUILD_MAX_SMBIOS_FSEG), a larger one in its high zone. */
const SMBIOS_FSEG_MAX = 600;

/**
 * Length of the SMBIOS structure table the guest sees: QEMU's tables for a
 * `-nodefaults` pc-i440fx-V / pc-q35-V machine plus the type 0 that SeaBIOS
 * (Debian) prepends. Structures with their strings and the closing NULs
 * (measured in the guest under 7.2, /sys/firmware/dmi/tables/DMI):
 * type 0 (SeaBIOS) 67; type 1 27 + "QEMU", the product ("Standard PC
 * (i440FX + PIIX, 1996)" / "Standard PC (Q35 + ICH9, 2009)") and the machine
 * type name: 81 / 75 on 7.2; type 3 22 + "QEMU" and the machine type name:
 * 42 / 39; one type 4 68 / 65 (all CPUs of `-smp N` in one socket; taken
 * as is for 10.0); type 16 25; one type 17 per started
 * smbios_memory_device_size of RAM (16 GiB on 7.2, one on 10.0), 53 bytes
 * ("DIMM n" grows by a byte from n = 10); one type 19 (33) per RAM entry of
 * QEMU's own E820 table (below and above 4 GiB); type 32 13; type 127 6.
 */
export function smbiosTableLength(spec: MachineSpec, map: QemuMap): number {
  const q35 = spec.type === "q35";
  const name = machineTypeName(q35 ? "q35" : "pc", map.qemu).length + 1;
  const product = (q35 ? "Standard PC (Q35 + ICH9, 2009)" : "Standard PC (i440FX + PIIX, 1996)").length + 1;
  let len = 67 + (27 + 5 + product + name + 1) + (22 + 5 + name + 1) + (q35 ? 65 : 68) + 25 + 13 + 6;
  const dimms = Math.ceil((map.below4g + map.above4g) / QEMU_FACTS[map.qemu].smbiosMemoryDeviceSize);
  for (let i = 0; i < dimms; i++) len += 53 + String(i).length - 1;
  len += 33 * ((map.below4g > 0 ? 1 : 0) + (map.above4g > 0 ? 1 : 0));
  return len;
}

/**
 * What SeaBIOS allocates top-down in its high zone and keeps, in order:
 * the SMBIOS table when it is too large for the F segment (16-byte aligned),
 * the ACPI table blob (padded to 128 KiB, 64-byte aligned) and, with
 * nvdimm=on, the 4 KiB NVDIMM DSM page.
 */
function highZoneAllocations(spec: MachineSpec, map: QemuMap): { size: number; align: number }[] {
  const allocs: { size: number; align: number }[] = [];
  const smbios = smbiosTableLength(spec, map);
  if (smbios > SMBIOS_FSEG_MAX) allocs.push({ size: smbios, align: 16 });
  allocs.push({ size: 128 * 1024, align: 64 });
  if (spec.nvdimms && spec.nvdimms.length) allocs.push({ size: 4096, align: 4096 });
  return allocs;
}

/** The E820 table SeaBIOS hands over (QEMU's etc/e820 plus SeaBIOS's own reservations). */
export function seabiosE820(spec: MachineSpec, map: QemuMap): RawE820[] {
  let t: RawE820[] = [];
  t = biosE820Add(t, AMD_HT_START, AMD_HT_END - AMD_HT_START, E820_RESERVED); // qemu64 is an AMD CPU model with 40 phys-bits
  t = biosE820Add(t, 0, map.below4g, E820_RAM);
  if (map.above4g) t = biosE820Add(t, FOUR_G, map.above4g, E820_RAM);
  t = biosE820Add(t, 0xfffc0000, 256 * 1024, E820_RESERVED); // BIOS image
  t = biosE820Remove(t, 0xa0000, 0x100000 - 0xa0000);
  t = biosE820Add(t, 0xf0000, 0x10000, E820_RESERVED);
  // ZoneHigh: 16 MiB (or 256 KiB) at the top of the highest RAM entry below 4 GiB.
  const top = [...t].reverse().find((e) => e.type === E820_RAM && e.end <= FOUR_G && e.end >= MiB);
  if (top) {
    let zoneStart = 0;
    const e = top.end;
    const max = alignDown(e - 16 * MiB, 16);
    const min = alignDown(e - 256 * 1024, 16);
    if (e > 16 * MiB && max >= top.start + 16 * MiB) zoneStart = max;
    else if (e > 256 * 1024 && min >= top.start) zoneStart = min;
    if (zoneStart) {
      let lowest = e;
      for (const a of highZoneAllocations(spec, map)) lowest = alignDown(lowest - a.size, a.align);
      const keep = zoneStart + alignDown(lowest - zoneStart, 4096);
      t = biosE820Add(t, keep, e - keep, E820_RESERVED);
    }
  }
  if (spec.type === "q35") {
    t = biosE820Add(t, MCFG_BASE, MCFG_SIZE, E820_RESERVED);
    t = biosE820Add(t, ICH9_RCBA, 16 * 1024, E820_RESERVED);
  }
  t = biosE820Add(t, 0x9fc00, 0xa0000 - 0x9fc00, E820_RESERVED); // EBDA
  return t;
}

// ------------------------------------------------------------------ NUMA --

/**
 * "0-1,3" -> [0, 1, 3]. With `maxCpus`, an index of at least it is refused as
 * QEMU's numa_node_parse() refuses it (before anything is expanded: "0-99999999"
 * must not become a list).
 */
export function parseCpuList(s: string, maxCpus = Infinity, path: (string | number)[] = [], type?: string | null): number[] {
  const out: number[] = [];
  for (const part of s.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw qemuRefuses(`bad CPU list "${s}"`, path, type);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b >= maxCpus && b >= a) throw qemuRefuses(`CPU index (${Math.max(a, maxCpus)}) should be smaller than maxcpus (${maxCpus})`, path, type);
    if (b - a > 65535) throw qemuRefuses(`bad CPU list "${s}"`, path, type);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

export interface QemuNuma {
  /** Memory per QEMU node id. */
  nodeMem: number[];
  /** QEMU node of each vCPU (index = CPU index = APIC ID). */
  cpuNode: number[];
}

/** QEMU's NUMA configuration, or null when it builds no SRAT. */
export function qemuNuma(spec: MachineSpec): QemuNuma | null {
  const ncpu = spec.smp ?? 1;
  if (spec.numa && spec.numa.length) {
    const n = spec.numa.length;
    const nodeMem = new Array<number>(n).fill(0);
    const cpuNode = new Array<number>(ncpu).fill(-1);
    spec.numa.forEach((nd, i) => {
      const id = nd.nodeid ?? i;
      if (id < 0 || id >= n) throw qemuRefuses(`numa: Node ID missing: ${id >= n ? n - 1 : id}`, ["numa", i], spec.type);
      nodeMem[id] = nd.mem ?? 0;
      for (const c of nd.cpus !== undefined ? parseCpuList(nd.cpus, ncpu, ["numa", i, "cpus"], spec.type) : []) cpuNode[c] = id;
    });
    const total = nodeMem.reduce((a, b) => a + b, 0);
    if (total !== spec.memory) throw qemuRefuses(`total memory for NUMA nodes (0x${total.toString(16)}) should equal RAM size (0x${spec.memory.toString(16)})`, ["numa"], spec.type);
    // Unassigned CPUs go to socket_id % nodes; QEMU 7.2 puts all vCPUs of -smp N in one socket.
    return { nodeMem, cpuNode: cpuNode.map((x) => (x < 0 ? 0 : x)) };
  }
  // numa_complete_configuration(): an implicit node 0 when memory hotplug is possible.
  if (ramSlotsOf(spec) > 0 || (spec.maxmem ?? 0) > spec.memory) return { nodeMem: [spec.memory], cpuNode: new Array<number>(ncpu).fill(0) };
  return null;
}

export interface SratMem {
  start: number;
  end: number;
  pxm: number;
  hotplug: boolean;
  nonVolatile: boolean;
}

/** build_srat(): the enabled memory affinity entries, in table order. */
export function sratMemory(numa: QemuNuma, map: QemuMap, nvdimms: { start: number; size: number; node: number }[]): SratMem[] {
  const out: SratMem[] = [];
  const push = (start: number, len: number, pxm: number, hotplug = false, nonVolatile = false) =>
    out.push({ start, end: start + len, pxm, hotplug, nonVolatile });
  let next = 0;
  numa.nodeMem.forEach((mem, node) => {
    let base = next;
    let len = mem;
    next = base + len;
    if (base <= 0xa0000 && next > 0xa0000) {
      len -= next - 0xa0000;
      if (len > 0) push(base, len, node);
      if (next <= 0x100000) {
        next = 0x100000;
        return;
      }
      base = 0x100000;
      len = next - 0x100000;
    }
    if (base <= map.below4g && next > map.below4g) {
      len -= next - map.below4g;
      if (len > 0) push(base, len, node);
      base = FOUR_G;
      len = next - map.below4g;
      next = base + len;
    }
    if (len > 0) push(base, len, node);
  });
  for (const nv of nvdimms) push(nv.start, nv.size, nv.node, false, true);
  if (map.deviceMemory) push(map.deviceMemory.base, map.deviceMemory.size, numa.nodeMem.length - 1, true);
  return out;
}

// ------------------------------------------------- cold-plugged devices --

export interface PlacedNvdimm {
  id: string;
  start: number;
  size: number;
  labelSize: number;
  node: number;
  slot: number;
}
export interface PlacedVirtioMem {
  id: string;
  start: number;
  size: number;
  blockSize: number;
  requestedSize: number;
  node: number;
}

/**
 * -device nvdimm then -device virtio-mem-pci, in command line order, through
 * the memory-device allocator. The NVDIMMs come back in the order of QEMU's
 * NFIT (qom-order.ts).
 */
export function placeColdplugged(spec: MachineSpec, map: QemuMap): { nvdimms: PlacedNvdimm[]; virtioMem: PlacedVirtioMem[] } {
  const devices: MdRegion[] = [];
  const st = { region: map.deviceMemory, budget: Math.max(0, (spec.maxmem ?? 0) - spec.memory), devices };
  const usedSlots = new Set<number>();
  const nvdimms: PlacedNvdimm[] = [];
  for (const [i, nv] of (spec.nvdimms ?? []).entries()) {
    const labelSize = nv.label_size ?? 0;
    if (labelSize && labelSize < 128 * 1024) throw qemuRefuses(`Property 'nvdimm.label-size' (0x${labelSize.toString(16)}) is required at least 0x20000`, ["nvdimms", i, "label_size"], spec.type);
    // The label area is taken off the end of the backend; the rest is rounded down to the backend's alignment.
    const size = alignDown(nv.size - labelSize, FILE_BACKEND_ALIGN);
    if (nv.size <= labelSize || size === 0) throw qemuRefuses(`the size of memdev mem-${nv.id} (0x${nv.size.toString(16)}) is too small to contain nvdimm label`, ["nvdimms", i, "size"], spec.type);
    let slot = nv.slot;
    if (slot === undefined) for (slot = 0; usedSlots.has(slot); slot++);
    if (slot >= ramSlotsOf(spec)) throw qemuRefuses(slot === 0 && ramSlotsOf(spec) === 0 ? "no slots where allocated, please specify the 'slots' option" : "no free slots available", ["nvdimms", i], spec.type);
    usedSlots.add(slot);
    const r = memoryDeviceFreeAddr(st, size, FILE_BACKEND_ALIGN, nv.addr);
    if (!r.ok) throw qemuRefuses(r.desc, ["nvdimms", i, faultOf(r.desc, nv.addr)], spec.type);
    devices.push({ id: nv.id, addr: r.addr, size });
    nvdimms.push({ id: nv.id, start: r.addr, size, labelSize, node: nv.node ?? 0, slot });
  }
  const virtioMem: PlacedVirtioMem[] = [];
  for (const [i, vm] of (spec.virtio_mem ?? []).entries()) {
    const align = Math.max(vm.block_size, RAM_BACKEND_ALIGN);
    const r = memoryDeviceFreeAddr(st, vm.size, align, vm.addr);
    if (!r.ok) throw qemuRefuses(r.desc, ["virtio_mem", i, faultOf(r.desc, vm.addr)], spec.type);
    devices.push({ id: vm.id, addr: r.addr, size: vm.size });
    virtioMem.push({ id: vm.id, start: r.addr, size: vm.size, blockSize: vm.block_size, requestedSize: vm.requested_size, node: vm.node ?? 0 });
  }
  return { nvdimms: nfitOrder(spec, nvdimms), virtioMem };
}

/** The field a memory-device refusal is about: the address when one was asked for and refused, else the size. */
function faultOf(desc: string, addr: number | undefined): string {
  return addr !== undefined && /address|usable range|conflicts/.test(desc) ? "addr" : "size";
}

// ------------------------------------------------------------------- PCI --

export interface PciBar {
  /** "0000:00:02.0" */
  device: string;
  start: number;
  end: number;
  /** Who claims the BAR's range once the driver binds (virtio_pci: "virtio-pci-modern"). */
  driverRegion?: string;
}

/**
 * SeaBIOS pci_bios_map_devices() for bus 0 (seabios-pci.ts): the device
 * BARs of bus 0, and the CXL expanders' root port BARs and bridge windows.
 */
export function seabiosPlacement(spec: MachineSpec, map: QemuMap): PlacedEntry[] {
  const entries: PciEntry[] = [];
  const firstSlot = spec.type === "q35" ? 1 : 2;
  (spec.virtio_mem ?? []).forEach((vm, i) => {
    const slot = (firstSlot + i).toString(16).padStart(2, "0");
    entries.push({ name: `0000:00:${slot}.0`, size: 16 * 1024, align: 16 * 1024, pref: true, is64: true, driverRegion: "virtio-pci-modern" });
  });
  if (spec.type === "q35") entries.push({ name: "0000:00:1f.2", size: 4096, align: 4096, pref: false }); // ICH9 AHCI ABAR (32-bit)
  const mem64 = seabiosMem64(spec, map);
  if (spec.cxl) entries.push(...cxlPciEntries(spec.cxl, mem64?.pad ? mem64.top! / 2048 : undefined));
  const pcimemStart = spec.type === "q35" ? MCFG_BASE + MCFG_SIZE : map.below4g <= 0x80000000 ? 0x80000000 : map.below4g <= 0xc0000000 ? 0xc0000000 : map.below4g;
  const placed = placeRootRegions(entries, pcimemStart, mem64);
  const where: (string | number)[] = [spec.virtio_mem?.length ? "virtio_mem" : "cxl"];
  if (!placed) throw new MachineRefused("PCI BARs do not fit below 4 GiB", where);
  // QEMU's pci-hole64 would follow bus 0's own 64-bit BARs (pci_bus_get_w64_range): not modelled.
  if (placed.some((p) => p.entry.name.startsWith("0000:00:") && p.start >= FOUR_G)) throw new MachineRefused("bus 0 BARs above 4 GiB (QEMU's 64-bit PCI hole around them is not modelled)", where);
  return placed;
}

/**
 * SeaBIOS's 64-bit placement inputs: 1.16.3 reads qemu64's 40 phys-bits
 * (AuthenticAMD, accepted by its QEMU quirk check) and pads when there is
 * RAM above 4 GiB; 1.16.2 only goes high when bus 0 overflows, and its
 * placement above the RAM is not modelled (undefined: refused as before).
 */
function seabiosMem64(spec: MachineSpec, map: QemuMap): Mem64Options | undefined {
  if (!QEMU_FACTS[map.qemu].mem64FromPhysBits) return undefined;
  const table = seabiosE820(spec, map);
  return {
    top: 2 ** Math.min(PHYS_BITS, 46),
    pad: map.above4g > 0,
    lowest: map.hole64.start,
    used: (start, size) => table.some((e) => start + size > e.start && start < e.end),
  };
}

/** The BARs of bus 0's own devices, placed. */
export function seabiosBars(spec: MachineSpec, map: QemuMap): PciBar[] {
  return seabiosPlacement(spec, map)
    .filter((p) => p.entry.name.startsWith("0000:00:"))
    .map((p) => ({ device: p.entry.name, start: p.start, end: p.end, driverRegion: p.entry.driverRegion }));
}
