/**
 * Built-in example scenarios, usable wherever a scenario file is accepted as
 * `example:NAME`. Each is a plain scenario object (the same format as files).
 */

export interface ExampleScenario {
  name: string;
  description: string;
  machine: Record<string, unknown>;
  steps: Record<string, unknown>[];
}

const blockState = (id: number, value: string) => ({ op: "write", path: `/sys/devices/system/memory/memory${id}/state`, value });

export const EXAMPLES: ExampleScenario[] = [
  {
    name: "dimm",
    description:
      "The basic life of a DIMM on a 1 GiB QEMU pc guest (Debian 6.1 defaults: hot-added memory stays offline): plug a 1 GiB DIMM at 4 GiB, online its eight 128 MiB blocks as movable, offline them, unplug it.",
    machine: { type: "pc", memory: "1G", maxmem: "8G", slots: 4, cmdline: ["memhp_default_state=offline"] },
    steps: [
      { op: "plug-dimm", id: "d1", size: "1G", addr: "0x100000000" },
      { op: "write", paths: [32, 33, 34, 35, 36, 37, 38, 39].map((i) => `/sys/devices/system/memory/memory${i}/state`), value: "online_movable" },
      { op: "write", paths: [32, 33, 34, 35, 36, 37, 38, 39].map((i) => `/sys/devices/system/memory/memory${i}/state`), value: "offline" },
      { op: "unplug-dimm", id: "d1" },
    ],
  },
  {
    name: "dimm-kernel-busy",
    description:
      "Why an eject can fail: the first block onlined into the empty Normal zone receives the kernel's own (unmovable) allocations, so it cannot be offlined and the DIMM cannot be unplugged until reboot.",
    machine: { type: "pc", memory: "1G", maxmem: "8G", slots: 4, cmdline: [] },
    steps: [
      { op: "plug-dimm", id: "d1", size: "256M", addr: "0x100000000" },
      blockState(32, "online_kernel"),
      blockState(33, "online_movable"),
      { op: "unplug-dimm", id: "d1" },
      blockState(33, "offline"),
      blockState(32, "offline"),
    ],
  },
  {
    name: "auto-online",
    description: "memhp_default_state=online with movable_node: hot-added memory is onlined at once, to ZONE_MOVABLE, and ejects cleanly.",
    machine: { type: "pc", memory: "1G", maxmem: "8G", slots: 4, cmdline: ["movable_node", "memhp_default_state=online"] },
    steps: [
      { op: "plug-dimm", id: "d1", size: "512M", addr: "0x100000000" },
      { op: "read", path: "/sys/devices/system/memory/memory32/valid_zones" },
      { op: "unplug-dimm", id: "d1" },
    ],
  },
  {
    name: "uevents",
    description: "A hot-add/online/offline/remove sequence counted in uevents: what a kdump udev rule would reload on.",
    machine: { type: "pc", memory: "2G", maxmem: "16G", slots: 4, cmdline: [] },
    steps: [
      { op: "plug-dimm", id: "d1", size: "512M", addr: "0x100000000" },
      { op: "write", path: "/sys/devices/system/memory/auto_online_blocks", value: "online_movable" },
      { op: "plug-dimm", id: "d2", size: "512M", addr: "0x120000000" },
      blockState(32, "online_movable"),
      blockState(32, "offline"),
      { op: "unplug-dimm", id: "d2" },
      { op: "unplug-dimm", id: "d1" },
    ],
  },
  {
    name: "pmem-shared-section",
    description:
      "The seed's case: -m 2G with memmap=64M!0x3c000000, so 64 MiB of legacy PMEM shares the 128 MiB section/memory block memory7 (0x38000000-0x3fffffff) with boot System RAM. 6.1 maps it in 2 MiB sub-sections (fsdax, then devdax); 5.2 could only map whole sections and loses it. Same layout and first five steps as the real-kernel trace legacy-pmem-subsection.",
    machine: { type: "pc", memory: "2G", cmdline: ["memmap=64M!0x3c000000"] },
    steps: [
      blockState(7, "offline"),
      { op: "create-namespace", region: "region0", mode: "fsdax", align: "2M" },
      { op: "create-namespace", namespace: "namespace0.0", force: true, mode: "fsdax", align: "2M" },
      blockState(7, "offline"),
      { op: "create-namespace", namespace: "namespace0.0", force: true, mode: "devdax", align: "2M" },
    ],
  },
  {
    name: "pmem-namespaces-one-section",
    description:
      "Several small PMEM namespaces in one section: an NVDIMM (512 MiB + 128 KiB label area) with labels initialised, carved into four 32 MiB fsdax namespaces that share the first 128 MiB section. With sub-section hotplug each maps on its own; section-granular kernels could map only one per section.",
    machine: { type: "pc", memory: "1G", maxmem: "8G", slots: 4, cmdline: [], nvdimms: [{ id: "nv1", size: "524416K", addr: "0x100000000", label_size: "128K" }] },
    steps: [
      { op: "ndctl", args: ["disable-region", "region0"] },
      { op: "ndctl", args: ["init-labels", "nmem0"] },
      { op: "ndctl", args: ["enable-region", "region0"] },
      { op: "create-namespace", region: "region0", mode: "fsdax", align: "2M", size: "32M" },
      { op: "create-namespace", region: "region0", mode: "fsdax", align: "2M", size: "32M" },
      { op: "create-namespace", region: "region0", mode: "fsdax", align: "2M", size: "32M" },
      { op: "create-namespace", region: "region0", mode: "fsdax", align: "2M", size: "32M" },
    ],
  },
  {
    name: "dimms-odd",
    description:
      "DIMMs of odd sizes and offsets on a 1 GiB guest (memhp_default_state=online_movable): 384 MiB at 4 GiB + 128 MiB, 1 GiB at 6 GiB + 128 MiB, 64 MiB at 8 GiB, 256 MiB at 10 GiB - 128 MiB. 128 MiB blocks take every DIMM that is section-aligned, in 128 MiB pieces; 2 GiB blocks take none; variable blocks take each aligned DIMM as one block; nothing takes the 64 MiB DIMM.",
    machine: { type: "pc", memory: "1G", maxmem: "16G", slots: 8, cmdline: ["memhp_default_state=online_movable"] },
    steps: [
      { op: "plug-dimm", id: "d1", size: "384M", addr: "0x108000000" },
      { op: "plug-dimm", id: "d2", size: "1G", addr: "0x188000000" },
      { op: "plug-dimm", id: "d3", size: "64M", addr: "0x200000000" },
      { op: "plug-dimm", id: "d4", size: "256M", addr: "0x278000000" },
    ],
  },
  {
    name: "64t",
    description:
      "A synthetic 64 TiB machine booted with 128 MiB memory blocks (524,288 blocks; a block-size override — a bare-metal kernel would pick 2 GiB): how many block devices, sysfs files and uevents each block design costs.",
    machine: { type: "synthetic", memory: "64T", maxmem: "65T", slots: 1032, block_size: "128M", la57: true, cmdline: [] },
    steps: [],
  },
  {
    name: "cxl-2g-blocks",
    description:
      "A 65 GiB bare-metal-like q35 host (no hypervisor CPUID bit: x86 picks 2 GiB memory blocks) with a 4 GiB volatile CXL expander: the CXL window starts 768 MiB short of a 2 GiB boundary (after RAM and the host bridge registers, 256 MiB aligned), so dax kmem can online only one whole 2 GiB block of the region: half the expander is lost. `memhp lint example:cxl-2g-blocks` says how much and how to fix it.",
    machine: {
      type: "q35",
      memory: "65G",
      cpu: "qemu64,hypervisor=off",
      cxl: {
        host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
        root_ports: [
          { id: "rp0", bus: "cxl.1", port: 0, chassis: 0, slot: 2 },
          { id: "rp1", bus: "cxl.1", port: 1, chassis: 0, slot: 3 },
        ],
        type3: [{ id: "cxl-vmem0", bus: "rp0", size: "4G", volatile: true, sn: "0x1" }],
        windows: [{ targets: ["cxl.1"], size: "8G" }],
      },
    },
    steps: [{ op: "cxl", args: ["list", "-vvi"] }],
  },
  {
    name: "cxl-pmem-2g-blocks",
    description:
      "The same 65 GiB host with a 4 GiB persistent CXL expander on Linux 6.1: cxl create-region, a devdax namespace, dax kmem. kmem adds only the 2 GiB block fully inside the device (memory34); the first 768 MiB (up to the block boundary, the namespace's info block included) and the last 1.25 GiB are lost.",
    machine: {
      type: "q35",
      memory: "65G",
      cpu: "qemu64,hypervisor=off",
      cmdline: ["memhp_default_state=offline"],
      cxl: {
        host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
        root_ports: [
          { id: "rp0", bus: "cxl.1", port: 0, chassis: 0, slot: 2 },
          { id: "rp1", bus: "cxl.1", port: 1, chassis: 0, slot: 3 },
        ],
        type3: [{ id: "cxl-pmem0", bus: "rp0", size: "4G", lsa_size: "256K", sn: "0x1" }],
        windows: [{ targets: ["cxl.1"], size: "8G" }],
      },
    },
    steps: [
      { op: "cxl", args: ["create-region", "-m", "-t", "pmem", "-d", "decoder0.0", "-w", "1", "mem0"] },
      { op: "create-namespace", region: "region0", mode: "devdax" },
      { op: "reconfigure-dax", dev: "dax0.0", mode: "system-ram" },
    ],
  },
  {
    name: "cxl-switch",
    description:
      "A CXL switch (QEMU's cxl-upstream on a root port, two cxl-downstream ports, given as extra_qemu_args) with a 512 MiB volatile expander behind each, on Linux 7.2: the switch becomes port2 between the host bridge's port1 and the endpoints; a 2-way ram region interleaves the two devices through it (the switch decoder takes both downstream ports), and dax kmem onlines the 1 GiB movable.",
    machine: {
      type: "q35",
      memory: "1G",
      cpu: "qemu64,hypervisor=off",
      kernel: { version: "7.2" },
      cmdline: ["memhp_default_state=online_movable"],
      cxl: {
        host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
        root_ports: [{ id: "rp0", bus: "cxl.1", port: 0, chassis: 0, slot: 2 }],
        type3: [],
        windows: [{ targets: ["cxl.1"], size: "4G" }],
      },
      extra_qemu_args: [
        "-device", "cxl-upstream,bus=rp0,id=us0",
        "-device", "cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4",
        "-device", "cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5",
        "-object", "memory-backend-ram,id=vmem0,size=512M",
        "-device", "cxl-type3,bus=swport0,volatile-memdev=vmem0,id=cxl-vmem0,sn=1",
        "-object", "memory-backend-ram,id=vmem1,size=512M",
        "-device", "cxl-type3,bus=swport1,volatile-memdev=vmem1,id=cxl-vmem1,sn=2",
      ],
    },
    steps: [
      { op: "cxl", args: ["list", "-P", "-T"] },
      { op: "write", path: "/sys/bus/cxl/devices/decoder0.0/create_ram_region", value: "region0" },
      { op: "write", path: "/sys/bus/cxl/devices/region0/interleave_granularity", value: "256" },
      { op: "write", path: "/sys/bus/cxl/devices/region0/interleave_ways", value: "2" },
      { op: "write", path: "/sys/bus/cxl/devices/region0/size", value: "0x40000000" },
      { op: "write", path: "/sys/bus/cxl/devices/decoder3.0/mode", value: "ram" },
      { op: "write", path: "/sys/bus/cxl/devices/decoder3.0/dpa_size", value: "0x20000000" },
      { op: "write", path: "/sys/bus/cxl/devices/decoder4.0/mode", value: "ram" },
      { op: "write", path: "/sys/bus/cxl/devices/decoder4.0/dpa_size", value: "0x20000000" },
      { op: "write", path: "/sys/bus/cxl/devices/region0/target0", value: "decoder3.0" },
      { op: "write", path: "/sys/bus/cxl/devices/region0/target1", value: "decoder4.0" },
      { op: "write", path: "/sys/bus/cxl/devices/region0/commit", value: "1" },
      { op: "write", path: "/sys/bus/cxl/drivers/cxl_region/bind", value: "region0" },
      { op: "cxl", args: ["list", "-R", "-T"] },
    ],
  },
];

export function findExample(name: string): ExampleScenario | undefined {
  return EXAMPLES.find((e) => e.name === name);
}
