/** Sub-block mode (SBM): plugging sub-blocks into memory blocks, lowest first, and unplugging them, highest first, offline blocks before online ones. Models the virtio_mem_sbm_*() functions of drivers/virtio/virtio_mem.c. */
import { EBUSY, EINVAL, ENOSPC } from "../errno.js";
import { fakeOffline, fakeOnline } from "./virtio-mem-online.js";
import { addMemoryRange, offlineAndRemoveRange, removeMemoryRange, sendPlugRequest, sendUnplugRequest } from "./virtio-mem-requests.js";
import { type Err, type SbmState, VirtioMemDriver } from "./virtio-mem.js";

export function sbmPlugSb(vm: VirtioMemDriver, mb: number, sb: number, count: number): Err | null {
  const rc = sendPlugRequest(vm, vm.mbIdToPhys(mb) + sb * vm.sbm.sbSize, count * vm.sbm.sbSize);
  if (!rc) vm.sbm.setSb(mb, sb, count, true);
  return rc;
}

export function sbmUnplugSb(vm: VirtioMemDriver, mb: number, sb: number, count: number): Err | null {
  const rc = sendUnplugRequest(vm, vm.mbIdToPhys(mb) + sb * vm.sbm.sbSize, count * vm.sbm.sbSize);
  if (!rc) vm.sbm.setSb(mb, sb, count, false);
  return rc;
}

/** virtio_mem_sbm_unplug_any_sb_raw(): from the top, several adjacent sub-blocks per request. */
export function sbmUnplugAnySbRaw(vm: VirtioMemDriver, mb: number, nb: { n: number }): Err | null {
  let sb = vm.sbm.sbsPerMb - 1;
  while (nb.n) {
    while (sb >= 0 && vm.sbm.testSbUnplugged(mb, sb, 1)) sb--;
    if (sb < 0) break;
    let count = 1;
    while (count < nb.n && sb > 0 && vm.sbm.testSbPlugged(mb, sb - 1, 1)) {
      count++;
      sb--;
    }
    const rc = sbmUnplugSb(vm, mb, sb, count);
    if (rc) return rc;
    nb.n -= count;
    sb--;
  }
  return null;
}

export function sbmPrepareNextMb(vm: VirtioMemDriver): { mb: number } | Err {
  if (vm.sbm.nextMbId > vm.sbm.lastUsableMbId) return ENOSPC;
  const mb = vm.sbm.nextMbId++;
  vm.sbm.sbPlugged.set(mb, new Uint8Array(vm.sbm.sbsPerMb));
  return { mb };
}

/** virtio_mem_sbm_plug_and_add_mb(). */
export function sbmPlugAndAddMb(vm: VirtioMemDriver, mb: number, nb: { n: number }): Err | null {
  const count = Math.min(nb.n, vm.sbm.sbsPerMb);
  if (!count) return EINVAL;
  let rc = sbmPlugSb(vm, mb, 0, count);
  if (rc) return rc;
  rc = addMemoryRange(vm, vm.mbIdToPhys(mb), vm.mbSize);
  if (rc) {
    // Try to unplug again; PLUGGED/UNUSED follow from the sub-block state.
    sbmUnplugSb(vm, mb, 0, count);
    return rc;
  }
  nb.n -= count;
  return null;
}

/** virtio_mem_sbm_plug_any_sb(): plug into an added block, fake-onlining if it is online. */
export function sbmPlugAnySb(vm: VirtioMemDriver, mb: number, nb: { n: number }): Err | null {
  const oldState = vm.sbm.sbmState(mb);
  if (!nb.n) return EINVAL;
  while (nb.n) {
    const sb = vm.sbm.firstUnpluggedSb(mb);
    if (sb >= vm.sbm.sbsPerMb) break;
    let count = 1;
    while (count < nb.n && sb + count < vm.sbm.sbsPerMb && !vm.sbm.testSbPlugged(mb, sb + count, 1)) count++;
    const rc = sbmPlugSb(vm, mb, sb, count);
    if (rc) return rc;
    nb.n -= count;
    if (oldState === "OFFLINE_PARTIAL") continue;
    fakeOnline(vm, (vm.mbIdToPhys(mb) + sb * vm.sbm.sbSize) / vm.ps, (count * vm.sbm.sbSize) / vm.ps);
  }
  return null;
}

export function sbmPlugRequest(vm: VirtioMemDriver, diff: number): Err | null {
  const nb = { n: Math.floor(diff / vm.sbm.sbSize) };
  if (!nb.n) return null;
  for (const state of ["KERNEL_PARTIAL", "MOVABLE_PARTIAL", "OFFLINE_PARTIAL"] as const) {
    for (const mb of vm.sbm.eachMb(state)) {
      const rc = sbmPlugAnySb(vm, mb, nb);
      if (rc || !nb.n) return rc;
    }
  }
  for (const mb of vm.sbm.eachMb("UNUSED")) {
    if (!vm.couldAddMemory(vm.mbSize)) return ENOSPC;
    const rc = sbmPlugAndAddMb(vm, mb, nb);
    if (rc || !nb.n) return rc;
  }
  while (nb.n) {
    if (!vm.couldAddMemory(vm.mbSize)) return ENOSPC;
    const next = sbmPrepareNextMb(vm);
    if (typeof next === "string") return next;
    const rc = sbmPlugAndAddMb(vm, next.mb, nb);
    if (rc) return rc;
  }
  return null;
}

/** virtio_mem_sbm_unplug_any_sb_offline(). */
export function sbmUnplugAnySbOffline(vm: VirtioMemDriver, mb: number, nb: { n: number }): Err | null {
  const rc = sbmUnplugAnySbRaw(vm, mb, nb);
  if (rc) return rc;
  if (vm.sbm.testSbUnplugged(mb, 0, vm.sbm.sbsPerMb)) {
    // Should never fail (BUG_ON in the kernel).
    removeMemoryRange(vm, vm.mbIdToPhys(mb), vm.mbSize);
  }
  return null;
}

/** virtio_mem_sbm_unplug_sb_online(). */
export function sbmUnplugSbOnline(vm: VirtioMemDriver, mb: number, sb: number, count: number): Err | null {
  const pfn = (vm.mbIdToPhys(mb) + sb * vm.sbm.sbSize) / vm.ps;
  const nr = (count * vm.sbm.sbSize) / vm.ps;
  let rc = fakeOffline(vm, pfn, nr);
  if (rc) return rc;
  rc = sbmUnplugSb(vm, mb, sb, count);
  if (rc) {
    fakeOnline(vm, pfn, nr);
    return rc;
  }
  return null;
}

/** virtio_mem_sbm_unplug_any_sb_online(). */
export function sbmUnplugAnySbOnline(vm: VirtioMemDriver, mb: number, nb: { n: number }): Err | null {
  let done = false;
  if (nb.n >= vm.sbm.sbsPerMb && vm.sbm.testSbPlugged(mb, 0, vm.sbm.sbsPerMb)) {
    const rc = sbmUnplugSbOnline(vm, mb, 0, vm.sbm.sbsPerMb);
    if (!rc) {
      nb.n -= vm.sbm.sbsPerMb;
      done = true;
    } else if (rc !== EBUSY) return rc;
  }
  if (!done) {
    for (let sb = vm.sbm.sbsPerMb - 1; sb >= 0 && nb.n; sb--) {
      while (sb >= 0 && !vm.sbm.testSbPlugged(mb, sb, 1)) sb--;
      if (sb < 0) break;
      const rc = sbmUnplugSbOnline(vm, mb, sb, 1);
      if (rc === EBUSY) continue;
      if (rc) return rc;
      nb.n -= 1;
    }
  }
  if (vm.sbm.testSbUnplugged(mb, 0, vm.sbm.sbsPerMb)) {
    offlineAndRemoveRange(vm, vm.mbIdToPhys(mb), vm.mbSize);
  }
  return null;
}

export function sbmUnplugAnySb(vm: VirtioMemDriver, mb: number, nb: { n: number }): Err | null {
  switch (vm.sbm.sbmState(mb)) {
    case "KERNEL_PARTIAL":
    case "KERNEL":
    case "MOVABLE_PARTIAL":
    case "MOVABLE":
      return sbmUnplugAnySbOnline(vm, mb, nb);
    case "OFFLINE_PARTIAL":
    case "OFFLINE":
      return sbmUnplugAnySbOffline(vm, mb, nb);
    default:
      return EINVAL;
  }
}

export function sbmUnplugRequest(vm: VirtioMemDriver, diff: number): Err | null {
  const states: SbmState[] = ["OFFLINE_PARTIAL", "OFFLINE", "MOVABLE_PARTIAL", "KERNEL_PARTIAL", "MOVABLE", "KERNEL"];
  const nb = { n: Math.floor(diff / vm.sbm.sbSize) };
  if (!nb.n) return null;
  for (let i = 0; i < states.length; i++) {
    for (const mb of vm.sbm.eachMb(states[i], true)) {
      const rc = sbmUnplugAnySb(vm, mb, nb);
      if (rc || !nb.n) return rc;
    }
    if (!vm.params.unplugOnline && i === 1) return null;
  }
  return nb.n ? EBUSY : null;
}
