/**
 * QEMU 7.2's arm64 `virt` machine (hw/arm/virt.c) as an arm64 Debian kernel
 * boots on it: the memory map (RAM at 0x40000000, the device-memory region
 * at ROUND_UP(RAM end, 1 GiB) of maxmem - memory + 1 GiB per slot), UEFI
 * (edk2, ACPI: GED memory hotplug, NFIT) or device-tree boot (`acpi: false`:
 * no firmware), the platform devices and PCI windows in /proc/iomem, and the
 * boot RAM with its reservations (arm64-boot.ts). Pure: runs in a browser.
 */
import { nrCpuIds } from "../kernel/smp.js";
import { alignUp, GiB } from "../kernel/units.js";
import { arm64BootRam, dtMemoryNodes } from "./arm64-boot.js";
import { numaOff } from "./arm64-early.js";
import { insertResource, makeResource, makeRoot, requestResource, resourceSpecs, type Resource } from "../kernel/resource.js";
import { placeColdplugged, qemuNuma } from "./qemu-map.js";
import type { BootLayout, MachineSpec, NumaFirmware } from "./types.js";

/** VIRT_MEM: where RAM starts. */
export const VIRT_RAM_BASE = 0x40000000;
/** The second flash bank (edk2's variable store), which edk2's memory map reports as memory. */
export const VIRT_FLASH1 = { start: 0x04000000, end: 0x08000000 };
/** VIRT_PCIE_MMIO (32-bit window), VIRT_HIGH_PCIE_ECAM, VIRT_HIGH_PCIE_MMIO (legacy memory map, below 256 GiB of RAM). */
export const VIRT_PCI_MMIO = { start: 0x10000000, end: 0x3efeffff };
export const VIRT_PCI_ECAM = { start: 0x4010000000, end: 0x401fffffff };
export const VIRT_PCI_MMIO_HIGH = { start: 0x8000000000, end: 0xffffffffff };
/** virtio-mmio transports (VIRT_MMIO): 32 of 0x200 bytes. */
const VIRT_MMIO = { base: 0x0a000000, size: 0x200, count: 32 };

export interface VirtMap {
  ramBase: number;
  ramTop: number;
  /** UEFI firmware (edk2) and ACPI; false: device tree, no firmware. */
  uefi: boolean;
  deviceMemory: { base: number; size: number } | null;
}

/** Does this machine boot through UEFI with ACPI (QEMU's default for the oracle), or with a device tree? */
export function virtBootsUefi(spec: MachineSpec): boolean {
  return spec.acpi !== false || (spec.firmware !== undefined && spec.firmware !== null);
}

/** QEMU creates the ACPI GED (memory hotplug, NVDIMM) only with acpi=on and firmware. */
export function virtHasGed(spec: MachineSpec): boolean {
  return spec.acpi !== false && spec.firmware !== null;
}

/** machvirt_init(): RAM and the device-memory region. */
export function virtMap(spec: MachineSpec): VirtMap {
  const ramTop = VIRT_RAM_BASE + spec.memory;
  let deviceMemory: VirtMap["deviceMemory"] = null;
  if (spec.maxmem !== undefined && spec.maxmem > spec.memory) {
    const base = alignUp(ramTop, GiB);
    deviceMemory = { base, size: spec.maxmem - spec.memory + (spec.slots ?? 0) * GiB };
  }
  return { ramBase: VIRT_RAM_BASE, ramTop, uefi: virtBootsUefi(spec), deviceMemory };
}

/**
 * The PCI functions QEMU has, in slot order: the virtio-mem devices (their
 * -device options come first; virtio-mem-pci has no MSI-X, so BAR 4 only),
 * then the oracle's agent console (virtio-serial-pci: MSI-X table in BAR 1).
 */
function pciFunctions(spec: MachineSpec): { fn: string; bar1: boolean }[] {
  const n = (spec.virtio_mem ?? []).length;
  const fn = (i: number) => `0000:00:${(i + 1).toString(16).padStart(2, "0")}.0`;
  return [...Array.from({ length: n }, (_, i) => ({ fn: fn(i), bar1: false })), { fn: fn(n), bar1: true }];
}

/** Platform devices, PCI windows and BARs: ACPI names under UEFI, device-tree node names otherwise. */
function platformIomem(root: Resource, spec: MachineSpec, map: VirtMap): void {
  const fns = pciFunctions(spec);
  let low: Resource;
  let high: Resource;
  if (map.uefi) {
    const uart = makeResource(0x09000000, 0x09000fff, "ARMH0011:00");
    requestResource(root, uart);
    requestResource(uart, makeResource(0x09000000, 0x09000fff, "ARMH0011:00 ARMH0011:00", { busy: true }));
    requestResource(root, makeResource(0x09020000, 0x09020017, "QEMU0002:00"));
    for (let i = 0; i < VIRT_MMIO.count; i++) {
      const s = VIRT_MMIO.base + i * VIRT_MMIO.size;
      requestResource(root, makeResource(s, s + VIRT_MMIO.size - 1, `LNRO0005:${i.toString(16).padStart(2, "0")}`));
    }
    low = makeResource(VIRT_PCI_MMIO.start, VIRT_PCI_MMIO.end, "PCI Bus 0000:00");
    high = makeResource(VIRT_PCI_MMIO_HIGH.start, VIRT_PCI_MMIO_HIGH.end, "PCI Bus 0000:00");
  } else {
    for (const [addr, name, child] of [
      [0x09000000, "pl011@9000000", "9000000.pl011 pl011@9000000"],
      [0x09010000, "pl031@9010000", "rtc-pl031"],
      [0x09030000, "pl061@9030000", "9030000.pl061 pl061@9030000"],
    ] as const) {
      const r = makeResource(addr, addr + 0xfff, name);
      requestResource(root, r);
      requestResource(r, makeResource(addr, addr + 0xfff, child, { busy: true }));
    }
    low = makeResource(VIRT_PCI_MMIO.start, VIRT_PCI_MMIO.end, "pcie@10000000");
    high = makeResource(VIRT_PCI_MMIO_HIGH.start, VIRT_PCI_MMIO_HIGH.end, "pcie@10000000");
  }
  requestResource(root, low);
  // BAR 1 (4 KiB, 32-bit), assigned in slot order from the window's start (by edk2, or by Linux without firmware).
  fns.filter((f) => f.bar1).forEach((f, i) => requestResource(low, makeResource(VIRT_PCI_MMIO.start + i * 0x1000, VIRT_PCI_MMIO.start + i * 0x1000 + 0xfff, f.fn)));
  requestResource(root, makeResource(VIRT_PCI_ECAM.start, VIRT_PCI_ECAM.end, "PCI ECAM", { busy: true }));
  requestResource(root, high);
  // BAR 4 (16 KiB, 64-bit prefetchable, the virtio-pci modern registers), in bus order; virtio_pci claims it.
  fns.forEach((f, i) => {
    const s = VIRT_PCI_MMIO_HIGH.start + i * 0x4000;
    const bar = makeResource(s, s + 0x3fff, f.fn);
    requestResource(high, bar);
    requestResource(bar, makeResource(s, s + 0x3fff, "virtio-pci-modern", { busy: true }));
  });
}

/**
 * What arm64's NUMA init leaves under ACPI on virt. acpi_numa_init() numbers
 * the proximity domains of QEMU's SRAT (build_srat(): a GICC entry per CPU,
 * then memory per node with RAM, the NVDIMMs, the device-memory range on the
 * last node) in order of first appearance, processors first ("ACPI: SRAT:
 * Node 1 PXM 0 ..." when node 0 has no CPU). The init then gives up (edk2's
 * flash lies outside every SRAT range: "NUMA: no nodes coverage") and fakes
 * one node over boot memory, which turns NUMA off. The SRAT's ranges outside
 * memblock keep their nodes in numa_memblks' reserved meminfo: where an
 * NVDIMM belongs (phys_to_target_node(), 6.12+; a64-probe37-16k-uefi-numa2-nv-node1:
 * "changing target node from -1 to 1"). Without NUMA in QEMU there is no SRAT.
 */
function virtAcpiNuma(spec: MachineSpec, map: VirtMap, memblock: { start: number; end: number }[], nvdimms: { start: number; size: number; node: number }[]): NumaFirmware {
  const numa = qemuNuma(spec);
  const meminfo = memblock.length ? [{ start: memblock[0].start, end: memblock[memblock.length - 1].end, nid: 0 }] : [];
  // numa=off: the SRAT is not even parsed.
  if (!numa || numaOff(spec)) return { kind: "acpi-faked", meminfo, reserved: [] };
  const last = numa.nodeMem.length - 1;
  const withRam = numa.nodeMem.flatMap((mem, pxm) => (mem > 0 ? [pxm] : []));
  const node: Record<number, number> = {};
  let next = 0;
  for (const pxm of [...numa.cpuNode, ...withRam, ...nvdimms.map((n) => n.node), ...(map.deviceMemory ? [last] : [])]) if (node[pxm] === undefined) node[pxm] = next++;
  const reserved = nvdimms.map((n) => ({ start: n.start, end: n.start + n.size, nid: node[n.node] }));
  if (map.deviceMemory) reserved.push({ start: map.deviceMemory.base, end: map.deviceMemory.base + map.deviceMemory.size, nid: node[last] });
  return { kind: "acpi-faked", meminfo, reserved };
}

/** Boot layout of a QEMU virt machine running an arm64 kernel (4 KiB pages). */
export function virtBootLayout(spec: MachineSpec, build = "6.1"): BootLayout {
  const map = virtMap(spec);
  const placed = placeColdplugged(spec, { deviceMemory: map.deviceMemory } as Parameters<typeof placeColdplugged>[1]);
  const root = makeRoot();
  const ram = arm64BootRam(spec, map, placed.nvdimms.length > 0, build);
  for (const r of ram.iomem) insertResource(root, r);
  platformIomem(root, spec, map);
  // acpi_nfit: each NVDIMM's SPA range.
  for (const nv of placed.nvdimms) insertResource(root, makeResource(nv.start, nv.start + nv.size - 1, "Persistent Memory", {}, "PERSISTENT_MEMORY"));
  // Possible CPUs: nr_cpus= may leave some of QEMU's out.
  const ncpu = nrCpuIds(spec.smp ?? 1, spec.cmdline.join(" "));
  const hotplug = map.uefi && map.deviceMemory ? [{ start: map.deviceMemory.base, end: map.deviceMemory.base + map.deviceMemory.size, nid: 0 }] : [];
  // A device-tree boot takes QEMU's NUMA nodes as they are (of_numa_init); under ACPI Linux runs one node (arm64-boot.ts).
  const numa = !map.uefi && !numaOff(spec) && (spec.numa ?? []).length > 1 ? spec.numa! : null;
  const possibleNodes = numa ? [...new Set(numa.map((n, i) => n.nodeid ?? i))].sort((a, b) => a - b) : [0];
  const cpusByNode: Record<number, number[]> = Object.fromEntries(possibleNodes.map((n) => [n, [] as number[]]));
  const cpuNode = numa ? qemuNuma(spec)!.cpuNode : [];
  for (let cpu = 0; cpu < ncpu; cpu++) cpusByNode[cpuNode[cpu] ?? 0].push(cpu);
  return {
    e820: [],
    iomem: resourceSpecs(root),
    memblock: ram.memblock,
    possibleNodes,
    cpusByNode,
    // of_numa_parse_memory_nodes() walks the /memory nodes in tree order: QEMU adds each before the ones it added earlier.
    numaFirmware: map.uefi ? virtAcpiNuma(spec, map, ram.memblock, placed.nvdimms) : { kind: "devicetree", meminfo: numa ? dtMemoryNodes(spec, map).reverse() : [{ nid: 0, start: map.ramBase, end: map.ramTop }] },
    sratHotplug: hotplug,
    deviceMemory: map.deviceMemory ? { ...map.deviceMemory } : null,
    legacyPmem: [],
    cma: ram.cma,
    nvdimms: placed.nvdimms,
    virtioMem: placed.virtioMem,
    bootMemEnd: map.ramTop,
    hypervisor: true,
    arch: spec.arch ?? "arm64-4k",
    srat: [],
  };
}
