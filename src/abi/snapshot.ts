/**
 * The state of the model as the oracle's snapshot shows a real kernel:
 * /proc/iomem, the memory block sysfs, zoneinfo spans, node masks and links,
 * MemTotal, firmware memmap and module parameters. A pure view of Kernel.
 */
import type { Kernel } from "../kernel/kernel.js";
import { renderIomem } from "../kernel/resource.js";
import { sysfsRead } from "../kernel/sysfs.js";
import { ZONE_DEVICE, ZONE_NAMES } from "../kernel/zone.js";
import { built } from "../kernel/profiles/config.js";

export interface BlockSnapshot {
  phys_index: string;
  state: string;
  online: string;
  phys_device: string;
  removable: string;
  valid_zones: string;
  nodes: string[];
  /**
   * memhp machine files only (never in traces): the `firmware_node` link
   * target as a sysfs path (`/devices/LNXSYSTM:00/…/PNP0C80:00`).
   */
  firmware_node?: string;
}

export interface Snapshot {
  iomem: string[];
  meminfo: { MemTotal: string };
  zoneinfo: Record<string, Record<string, { start_pfn: number | null; spanned: number; present: number }>>;
  memory: { block_size_bytes: string; auto_online_blocks: string; blocks: Record<string, BlockSnapshot> };
  node: {
    masks: Record<string, string>;
    nodes: Record<string, { memory: string[]; MemTotal: string }>;
  };
  firmware_memmap: { index: number; start: string; end: string; type: string }[];
  memory_hotplug_params: Record<string, string>;
  ndctl?: unknown;
  daxctl?: unknown;
  /**
   * memhp machine files only (never in traces): the dump this snapshot was
   * imported from. Import then keeps the attribute texts the dump's kernel
   * computed differently (removable, phys_device, valid_zones) and root files
   * of the memory directory that this kernel does not have (`extra_files`).
   */
  imported_from?: string;
  extra_files?: Record<string, string>;
}

function read(k: Kernel, path: string): string {
  const r = sysfsRead(k, path);
  return r.ok ? r.value.replace(/\n$/, "") : `<${r.errno}>`;
}

/** MemTotal of the whole system or one node, in kB, anchored at the boot value. */
export function memTotalKb(k: Kernel, nid?: number): number {
  let managed = 0;
  for (const n of k.nodes.values()) {
    if (nid !== undefined && n.nid !== nid) continue;
    for (const z of n.zones) managed += z.managed;
  }
  const base = nid === undefined ? k.memTotalBase.total : k.memTotalBase.perNode[nid] ?? { kb: 0, managed: 0 };
  return base.kb + ((managed - base.managed) * k.geometry.pageSize) / 1024;
}

export function takeSnapshot(k: Kernel): Snapshot {
  const blocks: Record<string, BlockSnapshot> = {};
  for (const id of k.sortedBlockIds()) {
    const p = `/sys/devices/system/memory/memory${id}`;
    const b = k.blocks.get(id)!;
    blocks[`memory${id}`] = {
      phys_index: read(k, `${p}/phys_index`),
      state: read(k, `${p}/state`),
      online: read(k, `${p}/online`),
      phys_device: read(k, `${p}/phys_device`),
      removable: read(k, `${p}/removable`),
      valid_zones: read(k, `${p}/valid_zones`),
      nodes: [...b.nodeLinks].sort((a, c) => a - c).map((n) => `node${n}`),
    };
  }
  const zoneinfo: Snapshot["zoneinfo"] = {};
  const nodes: Snapshot["node"]["nodes"] = {};
  for (const nid of k.onlineNodes()) {
    const n = k.node(nid);
    const zs: Snapshot["zoneinfo"][string] = {};
    for (const z of n.zones) {
      if (z.idx === ZONE_DEVICE && !built(k, "ZONE_DEVICE")) continue;
      zs[ZONE_NAMES[z.idx]] = { start_pfn: z.present > 0 ? z.startPfn : null, spanned: z.spanned, present: z.present };
    }
    zoneinfo[`node${nid}`] = zs;
    const mem = k
      .sortedBlockIds()
      .filter((id) => k.blocks.get(id)!.nodeLinks.includes(nid))
      .map((id) => `memory${id}`);
    if (k.rules.nodeMemoryFailureEntry) mem.push("memory_failure");
    nodes[`node${nid}`] = { memory: mem, MemTotal: `${memTotalKb(k, nid)} kB` };
  }
  const N = "/sys/devices/system/node";
  const P = "/sys/module/memory_hotplug/parameters";
  return {
    iomem: renderIomem(k.iomem, k.rules.iomemMaxDepth),
    meminfo: { MemTotal: `${memTotalKb(k)} kB` },
    zoneinfo,
    memory: {
      block_size_bytes: read(k, "/sys/devices/system/memory/block_size_bytes"),
      auto_online_blocks: read(k, "/sys/devices/system/memory/auto_online_blocks"),
      blocks,
    },
    node: {
      masks: {
        possible: read(k, `${N}/possible`),
        online: read(k, `${N}/online`),
        has_normal_memory: read(k, `${N}/has_normal_memory`),
        has_memory: read(k, `${N}/has_memory`),
        has_cpu: read(k, `${N}/has_cpu`),
        has_generic_initiator: read(k, `${N}/has_generic_initiator`),
      },
      nodes,
    },
    firmware_memmap: k.firmwareMemmap.map((e) => ({
      index: e.index,
      start: `0x${e.start.toString(16)}`,
      end: `0x${e.end.toString(16)}`,
      type: e.type,
    })),
    memory_hotplug_params: Object.fromEntries(
      ["auto_movable_numa_aware", "auto_movable_ratio", "memmap_on_memory", "online_policy"]
        .map((name) => [name, sysfsRead(k, `${P}/${name}`)] as const)
        .filter(([, r]) => r.ok)
        .map(([name, r]) => [name, (r as { value: string }).value.replace(/\n$/, "")]),
    ),
  };
}
