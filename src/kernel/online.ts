/**
 * Onlining and offlining memory blocks. Models drivers/base/memory.c
 * (memory_block_online/offline, memory_subsys_online/offline,
 * memory_block_change_state), drivers/base/core.c (device_online/offline)
 * and mm/memory_hotplug.c (online_pages, offline_pages,
 * adjust_present_page_count).
 */
import type { Kernel } from "./kernel.js";
import { EBUSY, EHWPOISON, EINVAL, OK, fail, type Errno, type KernelResult } from "./errno.js";
import { memoryBlockDevpath, type MemoryBlock } from "./memory-block.js";
import { shrinkZoneSpan } from "./pfn.js";
import { countSystemRamPages } from "./resource.js";
import { hex0x10 } from "./units.js";
import { blockGroup, zoneForPfnRange } from "./zone-policy.js";
import { growZoneSpan, logZonelistRebuild, ZONE_MOVABLE, ZONE_NORMAL, type Zone } from "./zone.js";
import { maybePinKernelAllocation, pageAllocMigrated, pageAllocUserSpace } from "./page-alloc.js";

/** Events of the memory notifier chain (MEM_*). */
export type MemoryAction = "GOING_ONLINE" | "CANCEL_ONLINE" | "ONLINE" | "GOING_OFFLINE" | "CANCEL_OFFLINE" | "OFFLINE";
/** struct memory_notify, plus the zone the range is (being) onlined to. */
export interface MemoryNotify {
  startPfn: number;
  nrPages: number;
  zone: Zone;
}
/** A registered memory notifier; an errno vetoes a GOING_* event. */
export type MemoryNotifier = (action: MemoryAction, arg: MemoryNotify) => Errno | void;
/** online_page_callback: of [pfn, pfn + nr), how many pages reach the buddy (the others stay PageOffline). */
export type OnlinePageCallback = (pfn: number, nr: number) => number;

const hooks = new WeakMap<Kernel, { notifiers: MemoryNotifier[]; onlinePage: OnlinePageCallback | null }>();

function hooksOf(k: Kernel): { notifiers: MemoryNotifier[]; onlinePage: OnlinePageCallback | null } {
  let h = hooks.get(k);
  if (!h) {
    h = { notifiers: [], onlinePage: null };
    hooks.set(k, h);
  }
  return h;
}

/** register_memory_notifier() / unregister_memory_notifier(). */
export function registerMemoryNotifier(k: Kernel, fn: MemoryNotifier): void {
  hooksOf(k).notifiers.push(fn);
}
export function unregisterMemoryNotifier(k: Kernel, fn: MemoryNotifier): void {
  const h = hooksOf(k);
  h.notifiers = h.notifiers.filter((f) => f !== fn);
}

/** set_online_page_callback() (null: restore generic_online_page). */
export function setOnlinePageCallback(k: Kernel, cb: OnlinePageCallback | null): void {
  hooksOf(k).onlinePage = cb;
}

/** memory_notify(): the first veto stops the chain. */
function memoryNotify(k: Kernel, action: MemoryAction, arg: MemoryNotify): Errno | null {
  for (const fn of [...hooksOf(k).notifiers]) {
    const e = fn(action, arg);
    if (e) return e;
  }
  return null;
}

/** device_online(): 1 when already online, else the bus's online result; uevent `online` on success. */
export function deviceOnline(k: Kernel, b: MemoryBlock): number | KernelResult {
  if (!b.devOffline) return 1;
  const r = memorySubsysOnline(k, b);
  if (r.ok) {
    k.uevent("online", memoryBlockDevpath(b.id), "memory");
    b.devOffline = false;
  }
  return r;
}

/** device_offline(): 1 when already offline; uevent `offline` on success. */
export function deviceOffline(k: Kernel, b: MemoryBlock): number | KernelResult {
  if (b.devOffline) return 1;
  const r = memorySubsysOffline(k, b);
  if (r.ok) {
    k.uevent("offline", memoryBlockDevpath(b.id), "memory");
    b.devOffline = true;
  }
  return r;
}

/** memory_subsys_online(): a block with no requested type onlines as plain `online`; the request is cleared afterwards. */
function memorySubsysOnline(k: Kernel, b: MemoryBlock): KernelResult {
  if (b.state === "online") return OK;
  if (b.onlineType === "offline") b.onlineType = "online";
  const r = changeState(k, b, "online", "offline");
  b.onlineType = "offline";
  return r;
}

function memorySubsysOffline(k: Kernel, b: MemoryBlock): KernelResult {
  if (b.state === "offline") return OK;
  return changeState(k, b, "offline", "online");
}

/** memory_block_change_state(). */
function changeState(k: Kernel, b: MemoryBlock, to: "online" | "offline", from: "online" | "offline"): KernelResult {
  if (b.state !== from) return fail(EINVAL);
  if (to === "offline") b.state = "going-offline";
  const r = to === "online" ? memoryBlockOnline(k, b) : memoryBlockOffline(k, b);
  b.state = r.ok ? to : from;
  return r;
}

/** adjust_present_page_count(): zone, early, group counters. */
function adjustPresent(k: Kernel, z: Zone, b: MemoryBlock, startPfn: number, delta: number): void {
  const s = k.sparse.get(k.sparse.sectionNr(startPfn));
  if (s && s.early) z.presentEarly += delta;
  z.present += delta;
  const g = blockGroup(k, b);
  if (g) {
    if (z.idx === ZONE_MOVABLE) g.presentMovablePages += delta;
    else g.presentKernelPages += delta;
  }
}

/** memory_block_online(). */
function memoryBlockOnline(k: Kernel, b: MemoryBlock): KernelResult {
  const startPfn = b.startPfn;
  const nrPages = b.nrPages;
  // A block that holds a hardware-poisoned page stays offline (rule onlineRefusesHwpoison).
  if (k.rules.onlineRefusesHwpoison && k.hwpoisonIn(startPfn, startPfn + nrPages) !== null) return fail(EHWPOISON);
  const vmemmap = b.nrVmemmapPages;
  const zone = zoneForPfnRange(k, b.onlineType, b.nid, blockGroup(k, b), startPfn, nrPages);
  if (vmemmap) {
    // mhp_init_memmap_on_memory(): the self-hosted memmap pages join the zone (never the buddy).
    growZoneSpan(zone, startPfn, vmemmap);
  }
  const r = onlinePages(k, b, startPfn + vmemmap, nrPages - vmemmap, zone);
  if (!r.ok) return r;
  if (vmemmap) adjustPresent(k, zone, b, startPfn, vmemmap);
  b.zone = { nid: zone.nid, idx: zone.idx };
  return OK;
}

/** online_pages(). */
function onlinePages(k: Kernel, b: MemoryBlock, pfn: number, nr: number, zone: Zone): KernelResult {
  const pageblock = k.geometry.pageblockSize / k.geometry.pageSize;
  if (!nr || pfn % pageblock !== 0 || (pfn + nr) % k.sparse.pps !== 0) return fail(EINVAL);
  growZoneSpan(zone, pfn, nr);
  const arg: MemoryNotify = { startPfn: pfn, nrPages: nr, zone };
  const veto = memoryNotify(k, "GOING_ONLINE", arg);
  if (veto) {
    const ps = k.geometry.pageSize;
    k.printk(7, `online_pages [mem ${hex0x10(pfn * ps)}-${hex0x10((pfn + nr) * ps - 1)}] failed`);
    memoryNotify(k, "CANCEL_ONLINE", arg);
    shrinkZoneSpan(k, zone, pfn, pfn + nr);
    return fail(veto);
  }
  const needRebuild = zone.present === 0;
  // online_pages_range(): free to the buddy via the online-page callback, mark sections online.
  const cb = hooksOf(k).onlinePage;
  k.sparse.setOnline(pfn, nr, true);
  zone.managed += cb ? cb(pfn, nr) : nr;
  adjustPresent(k, zone, b, pfn, nr);
  if (needRebuild) {
    if (zone.idx !== ZONE_MOVABLE && zone.idx > k.policyZone) k.policyZone = zone.idx;
    logZonelistRebuild(k);
  }
  maybePinKernelAllocation(k, zone, pfn, nr, needRebuild);
  memoryNotify(k, "ONLINE", arg);
  return OK;
}

/** How many pages of [pfn, pfn + n) the online-page callback gives to the buddy (virtio-mem keeps unplugged sub-blocks back). */
export function onlinePagesIn(k: Kernel): (pfn: number, n: number) => number {
  const cb = hooksOf(k).onlinePage;
  return (p, n) => (cb ? cb(p, n) : n);
}

/** memory_block_offline(). */
function memoryBlockOffline(k: Kernel, b: MemoryBlock): KernelResult {
  if (!b.zone) {
    // Before memory blocks remembered their zone, offline_pages() itself found the holes or the second zone.
    if (!k.rules.memoryBlockZone) {
      const ps = k.geometry.pageSize;
      const start = b.startPfn * ps;
      const end = (b.startPfn + b.nrPages) * ps;
      const why = countSystemRamPages(k.iomem, start, end, ps) !== b.nrPages ? "memory holes" : "multizone range";
      k.printk(7, `memory offlining [mem ${hex0x10(start)}-${hex0x10(end - 1)}] failed due to ${why}`);
    }
    return fail(EINVAL);
  }
  const zone = k.node(b.zone.nid).zones[b.zone.idx];
  const startPfn = b.startPfn;
  const nrPages = b.nrPages;
  const vmemmap = b.nrVmemmapPages;
  if (vmemmap) adjustPresent(k, zone, b, startPfn, -vmemmap);
  const r = offlinePages(k, b, startPfn + vmemmap, nrPages - vmemmap, zone);
  if (!r.ok) {
    if (vmemmap) adjustPresent(k, zone, b, startPfn, vmemmap);
    return r;
  }
  if (vmemmap) shrinkZoneSpan(k, zone, startPfn, startPfn + vmemmap);
  b.zone = null;
  return OK;
}

/** offline_pages(). */
function offlinePages(k: Kernel, b: MemoryBlock, start: number, nr: number, zone: Zone): KernelResult {
  // Whoever asks to offline, user space has run since the zone was populated.
  pageAllocUserSpace(k);
  const end = start + nr;
  const ps = k.geometry.pageSize;
  const failed = (why: string, r: KernelResult): KernelResult => {
    k.printk(7, `memory offlining [mem ${hex0x10(start * ps)}-${hex0x10(end * ps - 1)}] failed due to ${why}`);
    return r;
  };
  const pageblock = k.geometry.pageblockSize / ps;
  if (!nr || start % pageblock !== 0 || end % k.sparse.pps !== 0) return fail(EINVAL);
  const holes = countSystemRamPages(k.iomem, start * ps, end * ps, ps) !== nr;
  // Since v6.0 a block with holes is refused outright; before, the holes' PG_reserved pages failed isolation.
  if (holes && k.rules.offlineRefusesHoles) return failed("memory holes", fail(EINVAL));
  // Isolation: PG_reserved and unmovable kernel pages make a pageblock fail.
  if (holes || k.isUnmovable(start, end)) {
    k.printk(4, "page dumped because: unmovable page");
    return failed("failure to isolate range", fail(EBUSY));
  }
  const arg: MemoryNotify = { startPfn: start, nrPages: nr, zone };
  const veto = memoryNotify(k, "GOING_OFFLINE", arg);
  if (veto) {
    memoryNotify(k, "CANCEL_OFFLINE", arg);
    return failed("notifier failure", fail(veto));
  }
  // Migration of movable pages always succeeds in the model; then the pages leave the buddy.
  k.sparse.setOnline(start, nr, false);
  k.printk(k.rules.offlinedPagesLevel, `Offlined Pages ${nr}`);
  zone.managed -= nr;
  adjustPresent(k, zone, b, start, -nr);
  pageAllocMigrated(k, zone);
  // 6.1 rebuilds before node_states_clear_node(): a node that lost its last memory still counts as having some.
  if (zone.present === 0) logZonelistRebuild(k, undefined, k.rules.offlineClearsNodeBeforeZonelists ? undefined : zone.nid);
  memoryNotify(k, "OFFLINE", arg);
  shrinkZoneSpan(k, zone, start, end);
  return OK;
}
