/** Big-block mode (BBM): plugging and adding whole big blocks, and offlining, removing and unplugging them. Models the virtio_mem_bbm_*() functions of drivers/virtio/virtio_mem.c. */
import { EBUSY, EINVAL, ENOSPC } from "../errno.js";
import { pfnToOnlinePage } from "../pfn.js";
import { ZONE_MOVABLE } from "../zone.js";
import { fakeOffline, fakeOnline } from "./virtio-mem-online.js";
import { addMemoryRange, offlineAndRemoveRange, sendPlugRequest, sendUnplugRequest } from "./virtio-mem-requests.js";
import { type Err, VirtioMemDriver } from "./virtio-mem.js";

export function bbmPlugAndAddBb(vm: VirtioMemDriver, bb: number): Err | null {
  if (vm.bbm.bbState(bb) !== "UNUSED") return EINVAL;
  let rc = sendPlugRequest(vm, vm.bbm.bbIdToPhys(bb), vm.bbm.bbSize);
  if (rc) return rc;
  vm.bbm.bbStates.set(bb, "ADDED");
  rc = addMemoryRange(vm, vm.bbm.bbIdToPhys(bb), vm.bbm.bbSize);
  if (rc) {
    if (!sendUnplugRequest(vm, vm.bbm.bbIdToPhys(bb), vm.bbm.bbSize)) vm.bbm.bbStates.set(bb, "UNUSED");
    else vm.bbm.bbStates.set(bb, "PLUGGED");
    return rc;
  }
  return null;
}

export function bbmPlugRequest(vm: VirtioMemDriver, diff: number): Err | null {
  let nb = Math.floor(diff / vm.bbm.bbSize);
  if (!nb) return null;
  for (const bb of vm.bbm.eachBb("UNUSED")) {
    if (!vm.couldAddMemory(vm.bbm.bbSize)) return ENOSPC;
    const rc = bbmPlugAndAddBb(vm, bb);
    if (!rc) nb--;
    if (rc || !nb) return rc;
  }
  while (nb) {
    if (!vm.couldAddMemory(vm.bbm.bbSize)) return ENOSPC;
    if (vm.bbm.nextBbId > vm.bbm.lastUsableBbId) return ENOSPC;
    const bb = vm.bbm.nextBbId++;
    const rc = bbmPlugAndAddBb(vm, bb);
    if (rc) return rc;
    nb--;
  }
  return null;
}

export function sectionPfns(vm: VirtioMemDriver, bb: number): number[] {
  const start = vm.bbm.bbIdToPhys(bb) / vm.ps;
  const pps = vm.k.sparse.pps;
  const out: number[] = [];
  for (let pfn = start; pfn < start + vm.bbm.bbSize / vm.ps; pfn += pps) out.push(pfn);
  return out;
}

/** virtio_mem_bbm_offline_remove_and_unplug_bb(). */
export function bbmOfflineRemoveAndUnplugBb(vm: VirtioMemDriver, bb: number): Err | null {
  if (vm.bbm.bbState(bb) !== "ADDED") return EINVAL;
  const pps = vm.k.sparse.pps;
  const sections = sectionPfns(vm, bb);
  const rollback = (upTo: number): void => {
    for (const pfn of sections) {
      if (pfn >= upTo) break;
      if (pfnToOnlinePage(vm.k, pfn)) fakeOnline(vm, pfn, pps);
    }
    vm.bbm.bbStates.set(bb, "ADDED");
  };
  if (vm.params.bbmSafeUnplug) {
    vm.bbm.bbStates.set(bb, "FAKE_OFFLINE");
    for (const pfn of sections) {
      if (!pfnToOnlinePage(vm.k, pfn)) continue;
      const rc = fakeOffline(vm, pfn, pps);
      if (rc) {
        rollback(pfn);
        return rc;
      }
    }
  }
  let rc = offlineAndRemoveRange(vm, vm.bbm.bbIdToPhys(bb), vm.bbm.bbSize);
  if (rc) {
    if (vm.params.bbmSafeUnplug) rollback(Infinity);
    return rc;
  }
  rc = sendUnplugRequest(vm, vm.bbm.bbIdToPhys(bb), vm.bbm.bbSize);
  vm.bbm.bbStates.set(bb, rc ? "PLUGGED" : "UNUSED");
  return rc;
}

export function bbIsOffline(vm: VirtioMemDriver, bb: number): boolean {
  return sectionPfns(vm, bb).every((pfn) => !pfnToOnlinePage(vm.k, pfn));
}

export function bbIsMovable(vm: VirtioMemDriver, bb: number): boolean {
  return sectionPfns(vm, bb).every((pfn) => {
    const pz = pfnToOnlinePage(vm.k, pfn);
    return !pz || pz.idx === ZONE_MOVABLE;
  });
}

export function bbmUnplugRequest(vm: VirtioMemDriver, diff: number): Err | null {
  let nb = Math.floor(diff / vm.bbm.bbSize);
  if (!nb) return null;
  for (let i = 0; i < 3; i++) {
    for (const bb of vm.bbm.eachBb("ADDED", true)) {
      if (i === 0 && !bbIsOffline(vm, bb)) continue;
      if (i === 1 && !bbIsMovable(vm, bb)) continue;
      const rc = bbmOfflineRemoveAndUnplugBb(vm, bb);
      if (rc === EBUSY) continue;
      if (!rc) nb--;
      if (rc || !nb) return rc;
    }
    if (i === 0 && !vm.params.unplugOnline) return null;
  }
  return nb ? EBUSY : null;
}
