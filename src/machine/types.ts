/**
 * The machine a kernel boots on: what the hypervisor (QEMU) and its firmware
 * (SeaBIOS) present, as plain data. The kernel model consumes a BootLayout;
 * it never looks at QEMU options itself.
 */

/** A machine description, as in a scenario's `machine` (sizes already parsed to bytes). */
export interface MachineSpec {
  /** QEMU machine type, or "synthetic": a bare machine with RAM contiguous from 0 (memhp extension, for scale work). */
  type: "pc" | "q35" | "synthetic" | "virt";
  /** -m: boot RAM in bytes. */
  memory: number;
  /** -m maxmem=: 0 or absent when there is no hotplug area. */
  maxmem?: number;
  /** -m slots=. */
  slots?: number;
  smp?: number;
  cpu?: string;
  /** virt only: ACPI with UEFI firmware (default true); false boots with a device tree and no firmware. */
  acpi?: boolean;
  /** virt only: the firmware image QEMU loads (-bios); null: none. */
  firmware?: string | null;
  /** Extra kernel command line words (memhp_default_state=…, movable_node, memmap=…, memory_hotplug.*=…). */
  cmdline: string[];
  numa?: NumaNodeSpec[];
  nvdimms?: NvdimmSpec[];
  virtio_mem?: VirtioMemSpec[];
  /** memhp extension (not QEMU): force the memory block size (bytes), e.g. for a 64 TiB synthetic machine. */
  block_size?: number;
  /** The kernel: version, configuration preset and options (src/kernel/profile.ts); absent: 6.1 as Debian 12 builds it. Scenario files also accept `profile: VERSION`. */
  kernel?: import("../kernel/profile.js").KernelSpec;
  /** 5-level paging (LA57): 52-bit physical addresses instead of 46. */
  la57?: boolean;
  /** The architecture's geometry: synthetic machines any (default x86_64); virt arm64-4k (default) or arm64-16k. */
  arch?: import("../kernel/arch.js").ArchName;
  /** CXL (q35 `cxl=on`): host bridges, root ports, type-3 devices, fixed memory windows (cxl-platform.ts). */
  cxl?: import("./cxl-platform.js").CxlSpec;
  /** The QEMU release (qemu-version.ts); absent: 10.0 for CXL where the kernel needs it, else 7.2. */
  qemu?: import("./qemu-version.js").QemuVersion;
}

export interface NumaNodeSpec {
  nodeid: number;
  /** CPU list as QEMU takes it ("0", "0-1", "0,2"); absent: no CPUs. */
  cpus?: string;
  /** Memory of the node in bytes; absent: memory-less node. */
  mem?: number;
}

export interface NvdimmSpec {
  id: string;
  /** Backend size in bytes (the label area is carved off its end). */
  size: number;
  addr?: number;
  label_size?: number;
  node?: number;
  slot?: number;
}

export interface VirtioMemSpec {
  id: string;
  size: number;
  block_size: number;
  requested_size: number;
  node?: number;
  addr?: number;
}

/** E820 types as the firmware reports them (names as /sys/firmware/memmap prints them). */
export type E820Type =
  | "System RAM"
  | "Reserved"
  | "ACPI Tables"
  | "ACPI Non-volatile Storage"
  | "Unusable memory"
  | "Persistent Memory (legacy)"
  | "Persistent Memory"
  | "Soft Reserved";

export interface E820Entry {
  start: number;
  /** Inclusive. */
  end: number;
  type: E820Type;
}

/** One /proc/iomem resource as plain data (end inclusive), with children. */
export interface IomemSpec {
  start: number;
  end: number;
  name: string;
  /** IORESOURCE_BUSY. */
  busy: boolean;
  /** IORESOURCE_SYSTEM_RAM (System RAM and the kernel image parts). */
  sysram?: boolean;
  /** IORES_DESC_* name, e.g. "PERSISTENT_MEMORY_LEGACY", "RESERVED". */
  desc?: string;
  children?: IomemSpec[];
}

/** A range of memory the kernel's memblock knows at boot, with its NUMA node (end exclusive). */
export interface MemblockRange {
  start: number;
  end: number;
  nid: number;
}

/** The boot-time view a kernel gets from the machine. */
export interface BootLayout {
  /** The E820 table as the firmware provided it (before memmap= edits): the boot /sys/firmware/memmap entries, in order. */
  e820: E820Entry[];
  /** The whole boot /proc/iomem tree, before any driver module claims anything (no namespaceX.Y, no virtioN). */
  iomem: IomemSpec[];
  /** memblock memory after the kernel's edits (page 0, 0xa0000–0xfffff, memmap= carve-outs), split by node. */
  memblock: MemblockRange[];
  /** Node ids that are possible (SRAT proximity domains, or just 0). */
  possibleNodes: number[];
  /** Present CPUs per node id. */
  /**
   * How the firmware describes NUMA (default ACPI, or none): a device tree gives
   * numa-node-id properties and no proximity domains (pxm_to_node() finds
   * nothing), and its /memory nodes in tree order are numa_meminfo's blocks.
   */
  numaFirmware?: NumaFirmware;
  cpusByNode: Record<number, number[]>;
  /** SRAT hotplug memory ranges (end exclusive) and their node. */
  sratHotplug: MemblockRange[];
  /** QEMU's device-memory (DIMM hotplug) region, or null without maxmem. */
  deviceMemory: { base: number; size: number } | null;
  /** CMA areas reserved at boot (arm64: dma_contiguous_reserve(), 64 MiB), end exclusive: their pages are the zone's cma_pages. */
  cma?: { start: number; end: number }[];
  /** Legacy PMEM ranges (E820 type 12 after the kernel's splitting), end inclusive, in address order. */
  legacyPmem: { start: number; end: number }[];
  /** NVDIMMs as placed by QEMU: PMEM range (backend minus label area) and the label area size, in the order of QEMU's NFIT (qom-order.ts nfitOrder()). */
  nvdimms: { id: string; start: number; size: number; labelSize: number; node: number; slot: number }[];
  /** virtio-mem devices as placed by QEMU. */
  virtioMem: { id: string; start: number; size: number; blockSize: number; requestedSize: number; node: number }[];
  /** End of boot memory (max_pfn << PAGE_SHIFT): decides the x86 memory block size. */
  bootMemEnd: number;
  /** Whether the CPU reports the hypervisor bit (every QEMU guest does). */
  hypervisor: boolean;
  /** MAX_PHYSMEM_BITS: 46 (default) or 52 with LA57. */
  physAddrBits?: number;
  /** The architecture's geometry (default x86_64). */
  arch?: import("../kernel/arch.js").ArchName;
  /** memhp extension: ACPI proximity domain (QEMU node id) -> Linux node id, in SRAT order of first appearance. */
  pxmToNode?: Record<number, number>;
  /** memhp extension: every enabled SRAT memory affinity entry, in table order (end exclusive), as `ACPI: SRAT:` prints them. */
  srat?: SratMemoryEntry[];
  /** memhp extension: the kernel's e820_table after memmap=/mem= and trim_bios_range (end inclusive). */
  kernelE820?: E820Entry[];
  /** CXL as QEMU placed it (host bridge registers, CFMWS windows, PCI functions), or absent. */
  cxl?: import("./cxl-platform.js").CxlPlatform;
}

/** One SRAT memory affinity entry (end exclusive). */
export interface SratMemoryEntry {
  start: number;
  end: number;
  pxm: number;
  nid: number;
  hotplug: boolean;
  nonVolatile: boolean;
}

/** Result of QEMU's pre-plug checks for a pc-dimm (QMP `device_add`). */
export type DimmPlacement =
  | { ok: true; addr: number; slot: number; node: number }
  | { ok: false; error: { class: string; desc: string } };

/** A memory device QEMU currently has (DIMMs and NVDIMMs occupy slots and address space). */
export interface PluggedMemoryDevice {
  id: string;
  kind: "dimm" | "nvdimm" | "virtio-mem";
  addr: number;
  size: number;
  slot: number;
}

export type NumaFirmware =
  /**
   * x86 under ACPI (kernel/numa-addr.ts x86NumaInit()): `meminfo` is memblock by node (numa_meminfo's
   * blocks), `srat` every SRAT memory entry (numa_meminfo plus numa_reserved_meminfo), `hotplug` the SRAT's hotplug
   * entries, `windows` the CXL windows acpi_parse_cfmws() gave a node, `maxAddr` max_pfn's address (where the dummy
   * node 0 ends without an SRAT).
   */
  | { kind: "acpi"; meminfo: MemblockRange[]; srat: MemblockRange[]; hotplug: MemblockRange[]; windows: MemblockRange[]; maxAddr: number }
  | { kind: "devicetree"; meminfo: { start: number; end: number; nid: number }[] }
  /**
   * arm64 under ACPI on virt: the SRAT is parsed, then the NUMA init gives up (edk2's flash lies outside it) and fakes
   * one node over boot memory, turning NUMA off (pxm_to_node() finds nothing). `reserved`: the SRAT ranges outside
   * memblock (NVDIMMs, then the device-memory range) with the nodes the parse gave them, which numa_memblks keeps.
   */
  | { kind: "acpi-faked"; meminfo: { start: number; end: number; nid: number }[]; reserved: { start: number; end: number; nid: number }[] };
