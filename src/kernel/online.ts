/**
 * Onlining and offlining memory blocks. Models drivers/base/memory.c
 * (memory_block_online/offline, memory_subsys_online/offline,
 * memory_block_change_state), drivers/base/core.c (device_online/offline)
 * and mm/memory_hotplug.c (online_pages, offline_pages,
 * adjust_present_page_count).
 */
import type { Kernel } from "./kernel.js";
import { EBUSY, EINVAL, OK, fail, type Errno, type KernelResult } from "./errno.js";
import { memoryBlockDevpath, type MemoryBlock } from "./memory-block.js";
import { shrinkZoneSpan } from "./pfn.js";
import { countSystemRamPages } from "./resource.js";
import { hex0x10 } from "./units.js";
import { blockGroup, zoneForPfnRange } from "./zone-policy.js";
import { growZoneSpan, logZonelistRebuild, ZONE_MOVABLE, ZONE_NORMAL, type Zone } from "./zone.js";
import { type FirstBlockAlloc, bootEnds, bootPcpRace, firstAllocRace, hotAdd, migrateIn, movableBusyRace, movableDuringPlug, noteOnline, spill, spillAgain, spillRace, startFirstBlock, userSpaceRuns, type BootPcp, type Pin, type PinKind, type Reclaimable } from "./page-alloc-pins.js";

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

/**
 * The page allocator at work (not a kernel function): when a block makes a
 * kernel zone of a node with CPUs populated for the first time, the kernel's
 * own allocations land in it (slab pages: observed at pfn 0x100006 and
 * 0x110400 on the reference guest, 09-observed-6.1.md §D, §N and the
 * dimm-online-kernel / sysfs-bad-input traces), so that block can no longer
 * be offlined. Which pageblocks of it they take (what virtio-mem's sub-block
 * unplug shows) follows the buddy allocator's fallback, modelled in
 * page-alloc-pins.ts and driven from here, from hot-add (pageAllocHotAdd) and
 * from the return to user space (pageAllocUserSpace). Onlined pages go to the
 * tail of the free lists, so a block added to an already populated zone is
 * not used at once.
 */
export function maybePinKernelAllocation(k: Kernel, zone: Zone, pfn: number, nr: number, zoneWasEmpty: boolean): void {
  if (!zoneWasEmpty) {
    const s = k.firstBlockAllocs.find((a) => a.nid === zone.nid && a.zoneIdx === zone.idx && !a.settled);
    if (s) noteOnline(s, pfn, nr, onlinePagesIn(k));
    return;
  }
  if (!k.allocation.pinFirstKernelBlock) return;
  if (zone.idx === ZONE_MOVABLE || zone.idx > ZONE_NORMAL) return;
  if ((k.cpusByNode[zone.nid] ?? []).length === 0) return;
  // Only the highest kernel zone of the node receives GFP_KERNEL allocations first.
  const higherPopulated = k.node(zone.nid).zones.some((z) => z.idx > zone.idx && z.idx <= ZONE_NORMAL && z.present > 0);
  if (higherPopulated) return;
  const g = k.geometry;
  const s = startFirstBlock({ pageblockPages: g.pageblockSize / g.pageSize, chunkPages: g.maxOrderPages }, zone.nid, zone.idx, pfn, nr, onlinePagesIn(k));
  k.firstBlockAllocs = k.firstBlockAllocs.filter((a) => a.nid !== zone.nid || a.zoneIdx !== zone.idx);
  k.firstBlockAllocs.push(s);
}

function onlinePagesIn(k: Kernel): (pfn: number, n: number) => number {
  const cb = hooksOf(k).onlinePage;
  return (p, n) => (cb ? cb(p, n) : n);
}

const PIN_WHY: Record<PinKind, string> = {
  unmovable: "slab and page-table pages the kernel allocated after onlining (the first unmovable allocation stole this max-order chunk)",
  reclaimable: "reclaimable slab pages (dentries, inodes) allocated when user space ran (their first allocation stole this max-order chunk)",
  vmemmap: "the vmemmap (struct pages) of a block added later, freed when that block is removed",
};

function pin(k: Kernel, pins: Pin[]): void {
  for (const p of pins) k.unmovable.push({ start: p.pfn, end: p.pfn + 1, why: PIN_WHY[p.kind], ...(p.owner === undefined ? {} : { owner: p.owner }) });
}

/**
 * arch_add_memory() of [startPfn, startPfn + nr) on node `nid`: page tables
 * and the vmemmap come from the page allocator, i.e. from a newly populated
 * zone of that node. The vmemmap is one pageblock-order allocation per
 * section where a section's memmap is exactly one pageblock (4 KiB pages;
 * other geometries are not measured: no vmemmap modelled).
 */
export function pageAllocHotAdd(k: Kernel, nid: number, startPfn: number, nr: number, memmapOnMemory: boolean): void {
  const g = k.geometry;
  const pps = k.sparse.pps;
  const memmapIsPageblock = (pps * g.structPageSize) / g.pageSize === g.pageblockSize / g.pageSize;
  const vmemmapSections: number[] = [];
  if (!memmapOnMemory && memmapIsPageblock) for (let p = startPfn; p < startPfn + nr; p += pps) vmemmapSections.push(p);
  // The hot-add runs in a kworker of CPU 0 (virtio-mem's config interrupt, ACPI's hotplug work): its page
  // tables and slab come from CPU 0's node (a64-pin-trace-numa2-pgtables.trixie).
  const localCpu = (k.cpusByNode[nid] ?? []).includes(0);
  for (const s of k.firstBlockAllocs) {
    if (s.nid !== nid) continue;
    // While a plug runs, user space's first movable page may come before this hot-add's allocations
    // (first-alloc outcome 2).
    const elsewhere = movableElsewhere(k, s);
    if (!k.bootProbing && firstAllocRace(s, elsewhere)) {
      const chosen = runtimeRace(k, "first-alloc", `node${nid}`, firstAllocOutcomes(k, nid, 3));
      if (chosen === 2) movableDuringPlug(s, elsewhere);
      if (chosen === 3) s.movableAway = true;
    }
    // At boot, whether init's page cache or the vmemmap reaches the head chunk first is a race.
    const racing = k.bootProbing && g.hotplugLinearMapPages && localCpu && s.smallPb === null && !s.movableTaken;
    const pageCacheFirst = racing ? runtimeRace(k, "boot-pagecache", `node${nid}`, 2) === 0 : true;
    pin(k, hotAdd(s, { pageTablesFirst: g.hotplugLinearMapPages, vmemmapSections, userSpaceRunning: k.bootProbing, pageCacheFirst, localCpu }));
  }
}

/**
 * A race met after the boot (page-alloc-pins.ts): the outcome chosen in
 * RunOptions.bootRaces (key "race:region", default 0), recorded in
 * Kernel.runtimeRaces with `count` outcomes (a race met again with more
 * outcomes gets them added).
 */
function runtimeRace(k: Kernel, race: string, region: string, count: number): number {
  const chosen = k.raceChoices[`${race}:${region}`] ?? 0;
  const known = k.runtimeRaces.find((r) => r.race === race && r.region === region);
  const outcomes = Array.from({ length: count }, (_, i) => i);
  if (!known) k.runtimeRaces.push({ race, region, outcomes, chosen });
  else if (known.outcomes.length < count) known.outcomes.splice(0, known.outcomes.length, ...outcomes);
  return chosen;
}

/**
 * The drivers' boot-time probes are over (page-alloc-pins.ts bootEnds()): the
 * boot's last kernel allocations, and the probing CPU's per-CPU lists.
 * `cpus`: how many CPUs the machine has (an imported boot does not know them).
 */
export function pageAllocBootEnds(k: Kernel, cpus: number): void {
  k.bootProbing = false;
  const PCP: BootPcp[] = ["free", "used", "kept"];
  for (const s of k.firstBlockAllocs) {
    const pcp = bootPcpRace(s, cpus > 1) ? (PCP[runtimeRace(k, "boot-pcp", `node${s.nid}`, PCP.length)] ?? "free") : "free";
    pin(k, bootEnds(s, { otherCpus: cpus > 1, pcp }));
  }
}

/** arch_remove_memory(): the vmemmap of the removed sections goes back to the page allocator. */
export function pageAllocRemove(k: Kernel, startPfn: number, nr: number): void {
  k.unmovable = k.unmovable.filter((u) => u.owner === undefined || u.owner < startPfn || u.owner >= startPfn + nr);
}

/**
 * The kernel's work is done and user space runs (allocating movable and
 * reclaimable pages); it reads the sysfs files of the devices added since it
 * last ran (the "add" uevents since then).
 */
export function pageAllocUserSpace(k: Kernel): void {
  const newDevices = k.uevents.slice(k.userSpaceSeen).some((u) => u.action === "add");
  k.userSpaceSeen = k.uevents.length;
  for (const s of k.firstBlockAllocs) {
    // unmovable-spill 2: the small unmovable pages move on again, before this run's reclaimable page.
    if (newDevices && s.spillAgain) pin(k, spillAgain(s));
    if (s.settled) continue;
    const region = `node${s.nid}`;
    // Which comes first, the kernel's next unmovable page or user space's first movable page: a race.
    let movableFirst = false;
    if (firstAllocRace(s, movableElsewhere(k, s))) {
      const chosen = runtimeRace(k, "first-alloc", region, firstAllocOutcomes(k, s.nid, 2));
      movableFirst = chosen === 1 || chosen === 2;
      if (chosen === 3) s.movableAway = true;
    }
    const elsewhere = movableElsewhere(k, s);
    // When user space's first lasting reclaimable page comes: 0 by the rule, 1 deferred to the next run that
    // reads new devices, 2 never, 3 by the rule but freed before the unplug, 4 + i a late steal of the i-th head
    // chunk seen (page-alloc-pins.ts Reclaimable).
    const choice = k.raceChoices[`reclaimable:${region}`] ?? 0;
    const reclaimable: Reclaimable = RECLAIMABLE[choice] ?? { late: choice - RECLAIMABLE.length };
    pin(k, userSpaceRuns(s, elsewhere, newDevices, movableFirst, reclaimable));
    if (s.lateHeads.length || (newDevices && (s.settled || s.deferred))) runtimeRace(k, "reclaimable", region, RECLAIMABLE.length + s.lateHeads.length);
    if (spillRace(s)) pin(k, spill(s, runtimeRace(k, "unmovable-spill", region, 3)));
  }
}

/**
 * virtio-mem's fake-offlining of [pfn, pfn + nr) in a kernel zone, which holds
 * no pinned page: whether one of user space's movable pages there is busy for
 * a moment, so this attempt fails (page-alloc-pins.ts movableBusyRace(); the
 * race "movable-busy:nodeN", outcome 1).
 */
export function pageAllocTransientBusy(k: Kernel, pfn: number, nr: number): boolean {
  for (const s of k.firstBlockAllocs) {
    if (!movableBusyRace(s, pfn, nr)) continue;
    s.busyDecided = true;
    if (runtimeRace(k, "movable-busy", `node${s.nid}`, 2) === 1) return true;
  }
  return false;
}

/** User space's movable pages do not come to this block: a populated ZONE_MOVABLE on its node serves them, or they come from another node. */
function movableElsewhere(k: Kernel, s: FirstBlockAlloc): boolean {
  return s.movableAway || (k.node(s.nid).zones[ZONE_MOVABLE]?.present ?? 0) > 0;
}

/**
 * How many outcomes the first-alloc race has where it is met (`here`: 3 at a
 * hot-add, where user space's page may come during the plug; 2 when user
 * space runs): one more, 3, where other nodes have CPUs, whose processes take
 * their movable pages from their own node (`a64-pin-trace-2dev-numa3-steals.r3.sid`:
 * the kernel's first, and no movable page reached the block).
 */
function firstAllocOutcomes(k: Kernel, nid: number, here: number): number {
  const otherCpus = Object.entries(k.cpusByNode).some(([n, cpus]) => Number(n) !== nid && cpus.length > 0);
  return otherCpus ? 4 : here;
}

/** The outcomes of the reclaimable race before the late ones (page-alloc-pins.ts Reclaimable). */
const RECLAIMABLE = ["rule", "deferred", "never", "freed"] as const;

/** offline_pages() emptied a node's ZONE_MOVABLE: its movable pages were migrated into the node's kernel zone (page-alloc-pins.ts migrateIn). */
function pageAllocMigrated(k: Kernel, zone: Zone): void {
  if (zone.idx !== ZONE_MOVABLE || zone.present > 0) return;
  for (const s of k.firstBlockAllocs) if (s.nid === zone.nid) migrateIn(s);
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
  if (zone.present === 0) logZonelistRebuild(k, undefined, zone.nid);
  memoryNotify(k, "OFFLINE", arg);
  shrinkZoneSpan(k, zone, start, end);
  return OK;
}
