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
    name: "64t",
    description:
      "A synthetic 64 TiB machine with 128 MiB memory blocks (524,288 blocks; a block-size override — a bare-metal kernel would pick 2 GiB) and room to hot-add 1 TiB.",
    machine: { type: "synthetic", memory: "64T", maxmem: "65T", slots: 1032, block_size: "128M", la57: true, cmdline: [] },
    steps: [{ op: "plug-dimm", id: "d1", size: "1G", addr: "0x400000000000" }],
  },
];

export function findExample(name: string): ExampleScenario | undefined {
  return EXAMPLES.find((e) => e.name === name);
}
