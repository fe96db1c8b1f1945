/**
 * Hot-add and hot-remove of System RAM. Models mm/memory_hotplug.c:
 * register_memory_resource(), mhp_range_allowed(), check_hotplug_memory_range(),
 * add_memory_resource(), __add_memory(), add_memory_driver_managed(),
 * try_remove_memory(), remove_memory(), offline_and_remove_memory(),
 * __try_online_node(), try_offline_node().
 */
import { clearHwpoisonedPages } from "./memory-failure.js";
import type { Kernel } from "./kernel.js";
import { E2BIG, EBUSY, EEXIST, EINVAL, ERRNO_NUMBER, OK, fail, type KernelResult } from "./errno.js";
import { firmwareMapAddHotplug, firmwareMapRemove } from "./firmware-memmap.js";
import { createMemoryBlockDevices, linkBlockToNode, removeMemoryBlock, type MemoryGroup } from "./memory-block.js";
import { deviceOffline, deviceOnline } from "./online.js";
import { pageAllocHotAdd, pageAllocRemove } from "./page-alloc.js";
import { mergeSystemRamResource, releaseMemRegionAdjustable, removeResource, requestRegion, type Resource } from "./resource.js";
import { alignUp, hex0x, hexPa } from "./units.js";
import { logZonelistRebuild, nodeSpannedPages, ZONE_MOVABLE } from "./zone.js";
import { pfnToOnlinePage } from "./pfn.js";

export interface MhpFlags {
  mergeResource?: boolean;
  memmapOnMemory?: boolean;
  /** The nid argument is a memory group id. */
  nidIsMgid?: boolean;
}

/** mhp_range_allowed(): within [0, PHYSMEM_END], non-empty, no wrap. */
export function mhpRangeAllowed(k: Kernel, start: number, size: number): boolean {
  // Before v5.12 there was no such check (the architecture code failed later).
  if (!k.rules.rangeAllowedCheck) return true;
  const end = k.physmemEnd;
  if (size > 0 && start + size - 1 <= end && start >= 0) return true;
  k.printk(4, `Hotplug memory [${hex0x(start)}-${hex0x(start + size)}] exceeds maximum addressable range [${hex0x(0)}-${hex0x(end)}]`);
  return false;
}

/** register_memory_resource(). */
export function registerMemoryResource(k: Kernel, start: number, size: number, name: string): Resource | KernelResult {
  const driverManaged = name !== "System RAM";
  if (!mhpRangeAllowed(k, start, size)) return fail(E2BIG);
  if (start + size > k.maxMemSize && !k.running) return fail(E2BIG);
  const res = requestRegion(k.iomem, start, size, name, { sysram: true, driverManaged }, `${name}@${nameOwner(name, start)}`);
  if (!res) {
    k.printk(7, `Unable to reserve System RAM region: ${hexPad16(start)}->${hexPad16(start + size)}`);
    return fail(EEXIST);
  }
  return res;
}

function hexPad16(x: number): string {
  return x.toString(16).padStart(16, "0");
}

/** Merging needs the same name *object*; plain System RAM adds share one. */
function nameOwner(name: string, _start: number): string {
  return name === "System RAM" ? "global" : name;
}

/** check_hotplug_memory_range(): block-aligned start and size. */
export function checkHotplugMemoryRange(k: Kernel, start: number, size: number): KernelResult {
  const granule = k.hotplugGranule;
  if (!size || start % granule !== 0 || size % granule !== 0) {
    k.printk(3, `Block size [${hex0x(granule)}] unaligned hotplug range: start ${hex0x(start)}, size ${hex0x(size)}`);
    return fail(EINVAL);
  }
  return OK;
}

/**
 * The range each memmap_on_memory altmap covers: the whole addition (one
 * block only, before the per-block rule), or each memory block of it.
 */
function memmapUnit(k: Kernel, size: number): number {
  return k.rules.memmapOnMemoryPerBlock && k.blockDesign === "fixed" ? k.blockSize : size;
}

/** mhp_supports_memmap_on_memory(): the parameter is on, the addition is one block (or, newer kernels, whole blocks), memmap PMD- and pageblock-friendly. */
export function mhpSupportsMemmapOnMemory(k: Kernel, size: number): boolean {
  if (!k.rules.memmapOnMemory || !k.params.memmapOnMemory) return false;
  if (k.blockDesign === "fixed" && (k.rules.memmapOnMemoryPerBlock ? size % k.blockSize !== 0 : size !== k.blockSize)) return false;
  const g = k.geometry;
  const unit = memmapUnit(k, size);
  const memmap = (unit / g.pageSize) * g.structPageSize;
  // Forced, the memmap is padded to whole pageblocks (memory_block_memmap_on_memory_pages()).
  return memmap % (2 * 1024 * 1024) === 0 && (k.params.memmapOnMemoryForce || (unit - memmap) % g.pageblockSize === 0);
}

/** __try_online_node(nid, set_online=false): a new node's pgdat and its zonelist log. */
function tryInitNode(k: Kernel, nid: number): boolean {
  if (k.nodeOnline.has(nid)) return false;
  const n = k.node(nid);
  n.pgdatInit = true;
  logZonelistRebuild(k, nid);
  return true;
}

/** add_memory_resource(). */
export function addMemoryResource(k: Kernel, nidOrGroup: number, res: Resource, flags: MhpFlags): KernelResult {
  const start = res.start;
  const size = res.end - res.start + 1;
  const chk = checkHotplugMemoryRange(k, start, size);
  if (!chk.ok) return chk;
  let nid = nidOrGroup;
  let group: MemoryGroup | null = null;
  if (flags.nidIsMgid) {
    group = k.groups.get(nidOrGroup) ?? null;
    if (!group) return fail(EINVAL);
    nid = group.nid;
  }
  if (!k.possibleNodes.includes(nid)) {
    k.printk(4, `node ${nid} was absent from the node_possible_map`);
    return fail(EINVAL);
  }
  const newNode = tryInitNode(k, nid);
  const registerNode = () => {
    k.nodeOnline.add(nid);
    k.uevent("add", `/devices/system/node/node${nid}`, "node");
  };
  if (newNode && k.rules.nodeRegisteredBeforeBlocks) registerNode();
  let vmemmap = 0;
  // MHP_MEMMAP_ON_MEMORY: a self-hosted memmap where mhp_supports_memmap_on_memory() allows it, else the usual way (ACPI
  // asks only where it is supported; dax kmem asks for a device's setting).
  if (flags.memmapOnMemory && mhpSupportsMemmapOnMemory(k, size)) {
    vmemmap = Math.ceil(((memmapUnit(k, size) / k.geometry.pageSize) * k.geometry.structPageSize) / k.geometry.pageSize);
    if (k.params.memmapOnMemoryForce) vmemmap = alignUp(vmemmap, k.geometry.pageblockSize / k.geometry.pageSize);
  }
  const ps = k.geometry.pageSize;
  const startPfn = start / ps;
  const nrPages = size / ps;
  // arch_add_memory() -> __add_pages()
  const added = k.sparse.addPages(nid, startPfn, nrPages);
  if (!added.ok) {
    k.sparse.removePages(startPfn, added.added);
    return fail(added.errno);
  }
  k.maxPfn = Math.max(k.maxPfn, startPfn + nrPages);
  pageAllocHotAdd(k, nid, startPfn, nrPages, vmemmap > 0);
  const blocks = createMemoryBlockDevices(k, startPfn, nrPages, vmemmap, group);
  if (!blocks.ok) {
    k.sparse.removePages(startPfn, nrPages);
    return blocks;
  }
  if (newNode && !k.rules.nodeRegisteredBeforeBlocks) registerNode();
  for (const b of k.blocksIn(startPfn, nrPages)) linkBlockToNode(k, b, nid, false);
  if (res.name === "System RAM") firmwareMapAddHotplug(k, start, start + size, "System RAM");
  if (flags.mergeResource) mergeSystemRamResource(res);
  if (k.params.autoOnlineBlocks !== "offline") {
    for (const b of k.blocksIn(startPfn, nrPages)) {
      b.onlineType = k.params.autoOnlineBlocks;
      const r = deviceOnline(k, b);
      if (typeof r !== "number" && !r.ok) break;
    }
  }
  return OK;
}

/** __add_memory() / add_memory_driver_managed(): register the resource, add, release it on failure. */
export function addMemory(k: Kernel, nidOrGroup: number, start: number, size: number, name: string, flags: MhpFlags): KernelResult {
  if (name !== "System RAM" && !(name.startsWith("System RAM (") && name.endsWith(")"))) return fail(EINVAL);
  const res = registerMemoryResource(k, start, size, name);
  if (!("start" in res)) return res;
  const r = addMemoryResource(k, nidOrGroup, res, flags);
  if (!r.ok) removeResource(res);
  return r;
}

/** try_remove_memory(). */
export function tryRemoveMemory(k: Kernel, start: number, size: number): KernelResult {
  const ps = k.geometry.pageSize;
  const startPfn = start / ps;
  const nrPages = size / ps;
  let nid = -1;
  let vmemmapBlocks = 0;
  const blocks = k.blocksIn(startPfn, nrPages);
  for (const b of blocks) {
    nid = b.nid;
    if (b.state !== "offline") {
      const bs = b.startPfn * ps;
      k.printk(4, `removing memory fails, because memory [${hexPa(bs)}-${hexPa(bs + b.nrPages * ps - 1)}] is onlined`);
      return fail(EBUSY);
    }
    if (b.nrVmemmapPages) vmemmapBlocks++;
  }
  if (k.params.memmapOnMemory && vmemmapBlocks > 0 && blocks.length !== 1 && !k.rules.memmapOnMemoryPerBlock) {
    k.printk(4, `Refuse to remove ${hex0x(start)} - ${hex0x(start + size)},wrong granularity`);
    return fail(EINVAL);
  }
  firmwareMapRemove(k, start, start + size, "System RAM");
  for (const b of blocks) removeMemoryBlock(k, b.id);
  k.sparse.removePages(startPfn, nrPages);
  clearHwpoisonedPages(k, startPfn, nrPages);
  pageAllocRemove(k, startPfn, nrPages, nid);
  releaseMemRegionAdjustable(k.iomem, start, size);
  if (nid >= 0) tryOfflineNode(k, nid);
  return OK;
}

/** remove_memory(): -EBUSY when a block is online (after the core's warning). */
export function removeMemory(k: Kernel, start: number, size: number): KernelResult {
  return tryRemoveMemory(k, start, size);
}

/** try_offline_node(). */
export function tryOfflineNode(k: Kernel, nid: number): void {
  const n = k.node(nid);
  if (nodeSpannedPages(n) !== 0) return;
  for (const b of k.blocks.values()) if (b.nid === nid) return;
  if ((k.cpusByNode[nid] ?? []).length > 0) return;
  if (!k.nodeOnline.has(nid)) return;
  k.nodeOnline.delete(nid);
  k.uevent("remove", `/devices/system/node/node${nid}`, "node");
}

/** offline_and_remove_memory(): offline everything, remove, or roll back. */
export function offlineAndRemoveMemory(k: Kernel, start: number, size: number): KernelResult {
  if (!size || start % k.hotplugGranule !== 0 || size % k.hotplugGranule !== 0) return fail(EINVAL);
  const blocks = k.blocksIn(start / k.geometry.pageSize, size / k.geometry.pageSize);
  const count = blocks.length;
  const previous: (string | null)[] = new Array(count).fill(null);
  let err: KernelResult = OK;
  for (let i = 0; i < count; i++) {
    const b = blocks[i];
    const pz = pfnToOnlinePage(k, b.startPfn);
    const sensed = pz && pz.idx === ZONE_MOVABLE ? "online_movable" : "online_kernel";
    const r = deviceOffline(k, b);
    if (typeof r === "number") continue;
    if (!r.ok) {
      err = r;
      break;
    }
    previous[i] = sensed;
  }
  if (err.ok) {
    const r = tryRemoveMemory(k, start, size);
    if (!r.ok) {
      k.printk(3, `offline_and_remove_memory: Failed to remove memory: -${ERRNO_NUMBER[r.errno]}`);
      err = r;
    }
  }
  if (!err.ok) {
    for (let i = 0; i < count; i++) {
      const t = previous[i];
      const b = blocks[i];
      if (!t || !k.blocks.has(b.id)) continue;
      b.onlineType = t as "online_movable" | "online_kernel";
      const r = deviceOnline(k, b);
      if (typeof r !== "number" && !r.ok) k.printk(3, `try_reonline_memory_block: Failed to re-online memory: -${ERRNO_NUMBER[r.errno]}`);
    }
  }
  return err;
}
