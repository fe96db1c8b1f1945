/** The online-page callback, the memory notifier and fake-offlining of unplugged sub-blocks of online blocks (PageOffline). Models virtio_mem_online_page_cb(), virtio_mem_memory_notifier_cb() and virtio_mem_fake_offline()/fake_online() in drivers/virtio/virtio_mem.c. */
import { EBUSY, type Errno } from "../errno.js";
import type { MemoryAction, MemoryNotify } from "../online.js";
import { pageAllocUserSpace } from "../page-alloc.js";
import { pageAllocFreedBefore, pageAllocTransientBusy } from "../page-alloc-offline.js";
import { pfnToOnlinePage } from "../pfn.js";
import { type Zone, ZONE_MOVABLE } from "../zone.js";
import { EPERM_VETO, type Err, VirtioMemDriver } from "./virtio-mem.js";

export function zoneOfPfn(vm: VirtioMemDriver, pfn: number): Zone | null {
  const pz = pfnToOnlinePage(vm.k, pfn);
  return pz ? vm.k.node(pz.nid).zones[pz.idx] : null;
}

/** adjust_managed_page_count(). */
export function adjustManaged(vm: VirtioMemDriver, pfn: number, delta: number, zone?: Zone | null): void {
  const z = zone ?? zoneOfPfn(vm, pfn);
  if (z) z.managed += delta;
}

/** virtio_mem_fake_offline(): alloc_contig_range() the pages and mark them PageOffline. */
export function fakeOffline(vm: VirtioMemDriver, pfn: number, nr: number): Err | null {
  // An unplug request comes from the device after the guest's user space ran.
  pageAllocUserSpace(vm.k);
  const z = zoneOfPfn(vm, pfn);
  const movable = z?.idx === ZONE_MOVABLE;
  // User space's small unmovable pages in the range may be gone by now (the unmovable-freed race).
  if (!movable) pageAllocFreedBefore(vm.k, pfn, nr);
  if (!movable && !vm.k.isUnmovable(pfn, pfn + nr) && pageAllocTransientBusy(vm.k, pfn, nr)) {
    // A movable page busy for a moment: this attempt fails, and nothing is queued for it. The work runs again
    // at once only if this pass offlined and removed a block (removeMemoryRange, offlineAndRemoveRange: the
    // recorded late lines); otherwise the retry timer (50 s) fires after the oracle stopped waiting, and the
    // sub-block stays plugged.
    return EBUSY;
  }
  for (let retry = 0; retry < vm.k.rules.virtioMemFakeOfflineRetries; retry++) {
    // alloc_contig_range() fails on unmovable pages and on hardware-poisoned pages taken off the buddy
    // (a64-probe56-uefi-2g-vm-2m-hwpoison-unplug: the sub-block holding the poisoned page stays plugged); free and
    // movable pages are taken.
    const busy = vm.k.isUnmovable(pfn, pfn + nr) || vm.k.hwpoisonTakenIn(pfn, pfn + nr) !== null;
    if (busy && !movable) break;
    if (busy) {
      // In ZONE_MOVABLE the isolation passes (has_unmovable_pages() trusts the zone), and the check after the
      // migration finds the page: 5.10 says so (x-probe68-vm-128m-hwpoison.bullseye).
      if (vm.k.rules.contigRangeBusyLog) vm.k.printk(6, `alloc_contig_range: [${pfn.toString(16)}, ${(pfn + nr).toString(16)}) PFNs busy`);
      continue;
    }
    adjustManaged(vm, pfn, -nr, z);
    return null;
  }
  return EBUSY;
}

/** virtio_mem_fake_online(): give PageOffline pages back to the buddy. */
export function fakeOnline(vm: VirtioMemDriver, pfn: number, nr: number): void {
  adjustManaged(vm, pfn, nr);
}

/** virtio_mem_memory_notifier_cb(). */
export function memoryNotifier(vm: VirtioMemDriver, action: MemoryAction, arg: MemoryNotify): Errno | void {
  const start = arg.startPfn * vm.ps;
  const size = arg.nrPages * vm.ps;
  if (!vm.overlapsRange(start, size)) return;
  let id: number;
  if (vm.inSbm) {
    id = vm.physToMbId(start);
    if (size !== vm.mbSize || start % vm.mbSize !== 0) return EPERM_VETO;
  } else {
    id = vm.bbm.physToBbId(start);
    if (id !== vm.bbm.physToBbId(start + size - 1)) return EPERM_VETO;
  }
  switch (action) {
    case "GOING_OFFLINE":
      if (vm.inSbm) sbmGoingOffline(vm, id, arg.zone, 1);
      else if (vm.bbm.bbState(id) === "FAKE_OFFLINE") adjustManaged(vm, arg.startPfn, arg.nrPages, arg.zone);
      return;
    case "CANCEL_OFFLINE":
      if (vm.inSbm) sbmGoingOffline(vm, id, arg.zone, -1);
      else if (vm.bbm.bbState(id) === "FAKE_OFFLINE") adjustManaged(vm, arg.startPfn, -arg.nrPages, arg.zone);
      return;
    case "GOING_ONLINE":
      if (vm.inSbm) {
        const st = vm.sbm.sbmState(id);
        if (st !== "OFFLINE" && st !== "OFFLINE_PARTIAL") {
          vm.warn("memory block onlining denied");
          return EPERM_VETO;
        }
      }
      return;
    case "ONLINE":
      // Start adding more memory once half of the threshold is online again.
      if (!vm.wqActive && vm.couldAddMemory(vm.offlineThreshold / 2, size)) vm.retry();
      return;
    case "OFFLINE":
      if (!vm.params.unplugOnline) vm.retry();
      return;
    default:
      return;
  }
}

/** Unplugged sub-blocks of a block going offline: their pages count as managed again (sign -1 undoes). */
export function sbmGoingOffline(vm: VirtioMemDriver, mb: number, zone: Zone, sign: 1 | -1): void {
  const nrPerSb = vm.sbm.sbSize / vm.ps;
  let n = 0;
  for (let sb = 0; sb < vm.sbm.sbsPerMb; sb++) if (!vm.sbm.testSbPlugged(mb, sb, 1)) n += nrPerSb;
  zone.managed += sign * n;
}

/** virtio_mem_online_page(): of [pfn, pfn + nr), the pages that go to the buddy. */
export function onlinePages(vm: VirtioMemDriver, pfn: number, nr: number): number {
  if (!vm.inSbm) {
    const bb = vm.bbm.physToBbId(pfn * vm.ps);
    return vm.bbm.bbState(bb) === "FAKE_OFFLINE" ? 0 : nr;
  }
  const nrPerSb = vm.sbm.sbSize / vm.ps;
  let online = 0;
  for (let p = pfn; p < pfn + nr; ) {
    const addr = p * vm.ps;
    const mb = vm.physToMbId(addr);
    const sbStart = vm.mbIdToPhys(mb) / vm.ps;
    const sb = Math.floor((p - sbStart) / nrPerSb);
    const sbEnd = sbStart + (sb + 1) * nrPerSb;
    const n = Math.min(sbEnd, pfn + nr) - p;
    if (vm.sbm.testSbPlugged(mb, sb, 1)) online += n;
    p += n;
  }
  return online;
}
