/**
 * Memory block devices (/sys/devices/system/memory/memoryN) and memory
 * groups. Models drivers/base/memory.c (add_memory_block,
 * create_memory_block_devices, remove_memory_block_devices,
 * memory_group_register_*) and the node links of drivers/base/node.c.
 */
import type { Kernel, OnlineType } from "./kernel.js";
import { EBUSY, EEXIST, EINVAL, type Errno } from "./errno.js";
import type { ZoneIdx } from "./zone.js";
import { isPowerOf2 } from "./units.js";

export type BlockState = "online" | "offline" | "going-offline";

export interface MemoryBlock {
  readonly id: number;
  /** First pfn and size in pages (fixed design: id * pages per block, the block size). */
  readonly startPfn: number;
  readonly nrPages: number;
  state: BlockState;
  /** dev->offline of the device core. */
  devOffline: boolean;
  /** Requested online type (mem->online_type); "offline" means none requested. */
  onlineType: OnlineType;
  /** NUMA_NO_NODE = -1. */
  nid: number;
  /** The zone of the whole block (null: none, or spanning several zones/nodes at boot). */
  zone: { nid: number; idx: ZoneIdx } | null;
  nrVmemmapPages: number;
  group: number | null;
  /** Node links (memoryN/nodeX), in the order they were made. */
  nodeLinks: number[];
  /** ACPI device path of `firmware_node`, when bound to a PNP0C80 device. */
  firmwareNode: string | null;
  /** Created by memory_dev_init at boot. */
  readonly boot: boolean;
  /**
   * Attribute texts of an imported machine that this kernel computes
   * differently (older kernels computed `removable`; s390 shows a storage
   * increment in `phys_device`): kept so that an import shows what was dumped.
   */
  imported?: { removable?: string; phys_device?: string };
}

export interface MemoryGroup {
  readonly id: number;
  readonly nid: number;
  readonly kind: "static" | "dynamic";
  /** static: max_pages; dynamic: unit_pages. */
  readonly pages: number;
  blocks: Set<number>;
  presentKernelPages: number;
  presentMovablePages: number;
}

export function memoryBlockDevpath(id: number): string {
  return `/devices/system/memory/memory${id}`;
}

function makeBlock(k: Kernel, id: number, nrPages: number, state: BlockState, boot: boolean): MemoryBlock {
  return {
    id,
    startPfn: k.blockStartPfn(id),
    nrPages,
    state,
    devOffline: state === "offline",
    onlineType: "offline",
    nid: -1,
    zone: null,
    nrVmemmapPages: 0,
    group: null,
    nodeLinks: [],
    firmwareNode: null,
    boot,
  };
}

/** memory_dev_init(): a boot block (online) for every block with a present section. */
export function addBootMemoryBlock(k: Kernel, id: number, nrPages = k.pagesPerBlock): MemoryBlock {
  const b = makeBlock(k, id, nrPages, "online", true);
  k.blocks.set(id, b);
  mapSections(k, b, true);
  return b;
}

/** variable design: record which block covers each section. */
function mapSections(k: Kernel, b: MemoryBlock, on: boolean): void {
  if (k.blockDesign !== "variable") return;
  const pps = k.sparse.pps;
  for (let s = b.startPfn / pps; s < (b.startPfn + b.nrPages) / pps; s++) {
    if (on) k.sectionBlock.set(s, b.id);
    else k.sectionBlock.delete(s);
  }
}

/**
 * Models create_memory_block_devices(): one offline block per block of the
 * range; -EEXIST if one exists (blocks made so far are removed again).
 */
export function createMemoryBlockDevices(
  k: Kernel,
  startPfn: number,
  nrPages: number,
  vmemmapPages: number,
  group: MemoryGroup | null,
): { ok: true } | { ok: false; errno: Errno } {
  if (k.blocksIn(startPfn, nrPages).length) return { ok: false, errno: EEXIST };
  // Fixed design: one block per block-size unit; variable: one block for the whole range.
  const unit = k.blockDesign === "variable" ? nrPages : k.pagesPerBlock;
  for (let pfn = startPfn; pfn < startPfn + nrPages; pfn += unit) {
    const id = pfn / k.idUnitPages;
    const b = makeBlock(k, id, unit, "offline", false);
    b.nrVmemmapPages = vmemmapPages;
    k.blocks.set(id, b);
    mapSections(k, b, true);
    k.uevent("add", memoryBlockDevpath(id), "memory");
    if (group) {
      b.group = group.id;
      group.blocks.add(id);
    }
  }
  return { ok: true };
}

/** Models remove_memory_block(): drop links, leave the group, unregister (uevent remove). */
export function removeMemoryBlock(k: Kernel, id: number): void {
  const b = k.blocks.get(id);
  if (!b) return;
  b.nodeLinks = [];
  if (b.group !== null) k.groups.get(b.group)?.blocks.delete(id);
  k.blocks.delete(id);
  mapSections(k, b, false);
  k.uevent("remove", memoryBlockDevpath(id), "memory");
}

/** Models memory_block_add_nid() + the node<->block symlinks. */
export function linkBlockToNode(k: Kernel, b: MemoryBlock, nid: number, early: boolean, earlyZone?: () => { nid: number; idx: ZoneIdx } | null): void {
  if (early && b.nid !== nid) {
    if (b.nid === -1) b.zone = earlyZone ? earlyZone() : null;
    else b.zone = null;
  }
  b.nid = nid;
  if (!b.nodeLinks.includes(nid)) b.nodeLinks.push(nid);
}

/** memory_group_register_static(). */
export function registerStaticGroup(k: Kernel, nid: number, maxPages: number): number | Errno {
  if (maxPages === 0 || !k.possibleNodes.includes(nid)) return EINVAL;
  return registerGroup(k, { nid, kind: "static", pages: maxPages });
}

/** memory_group_register_dynamic(). */
export function registerDynamicGroup(k: Kernel, nid: number, unitPages: number): number | Errno {
  if (!k.possibleNodes.includes(nid)) return EINVAL;
  if (unitPages === 0 || unitPages < k.hotplugGranule / k.geometry.pageSize || !isPowerOf2(unitPages)) return EINVAL;
  return registerGroup(k, { nid, kind: "dynamic", pages: unitPages });
}

function registerGroup(k: Kernel, g: { nid: number; kind: "static" | "dynamic"; pages: number }): number {
  let id = 0;
  while (k.groups.has(id)) id++;
  k.groups.set(id, { id, ...g, blocks: new Set(), presentKernelPages: 0, presentMovablePages: 0 });
  return id;
}

/** memory_group_unregister(). */
export function unregisterGroup(k: Kernel, id: number): Errno | null {
  const g = k.groups.get(id);
  if (!g) return EINVAL;
  if (g.blocks.size > 0) return EBUSY;
  k.groups.delete(id);
  return null;
}
