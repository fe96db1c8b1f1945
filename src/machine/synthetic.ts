/**
 * A synthetic bare machine (memhp extension, not QEMU): RAM contiguous from
 * address 0, split evenly or as given over NUMA nodes, an optional hotplug
 * region right above it. For scale work (a 64 TiB machine) and teaching.
 */
import { alignUp, GiB } from "../kernel/units.js";
import type { BootLayout, MachineSpec, MemblockRange } from "./types.js";

export function syntheticBootLayout(spec: MachineSpec): BootLayout {
  const ram = spec.memory;
  const nodes = spec.numa && spec.numa.length ? spec.numa : [{ nodeid: 0, cpus: "0", mem: ram }];
  const memblock: MemblockRange[] = [];
  let cursor = 0;
  const cpusByNode: Record<number, number[]> = {};
  let cpu = 0;
  for (const n of nodes) {
    const size = n.mem ?? 0;
    if (size > 0) memblock.push({ start: cursor, end: cursor + size, nid: n.nodeid });
    cursor += size;
    cpusByNode[n.nodeid] = n.cpus ? [cpu++] : [];
  }
  if (cursor !== ram) {
    // Node sizes not given: everything on the first node.
    memblock.length = 0;
    memblock.push({ start: 0, end: ram, nid: nodes[0].nodeid });
  }
  const hotplug = spec.maxmem && spec.maxmem > ram ? spec.maxmem - ram : 0;
  const base = alignUp(ram, GiB);
  return {
    e820: [{ start: 0, end: ram - 1, type: "System RAM" }],
    iomem: memblock.map((r) => ({ start: r.start, end: r.end - 1, name: "System RAM", busy: true, sysram: true })),
    memblock,
    possibleNodes: nodes.map((n) => n.nodeid),
    cpusByNode,
    sratHotplug: hotplug ? [{ start: base, end: base + hotplug, nid: nodes[nodes.length - 1].nodeid }] : [],
    deviceMemory: hotplug ? { base, size: hotplug } : null,
    legacyPmem: [],
    nvdimms: [],
    virtioMem: [],
    bootMemEnd: ram,
    hypervisor: false,
    physAddrBits: spec.la57 ? 52 : undefined,
    arch: spec.arch,
  };
}
