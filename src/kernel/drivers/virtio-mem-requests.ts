/** Requests to the device (plug, unplug, unplug all) and adding/removing the driver's memory. Models virtio_mem_send_*_request() and virtio_mem_add_memory()/remove_memory()/offline_and_remove_memory() in drivers/virtio/virtio_mem.c. */
import { EINVAL, ENOMEM } from "../errno.js";
import { addMemory, offlineAndRemoveMemory, removeMemory } from "../hotplug.js";
import { type Err, ERRNUM, hx, RESP_ACK, RESP_BUSY, RESP_ERROR, RESP_NACK, VirtioMemDriver } from "./virtio-mem.js";

/**
 * The errno a plug/unplug request's response means (virtio_mem_send_request()
 * callers): NACK is -EAGAIN for a plug only; BUSY -ETXTBSY, ERROR -EINVAL,
 * anything else -ENOMEM.
 */
function requestErrno(resp: number, plug: boolean): Err {
  if (resp === RESP_NACK && plug) return "EAGAIN";
  if (resp === RESP_BUSY) return "ETXTBSY";
  if (resp === RESP_ERROR) return EINVAL;
  return ENOMEM;
}

/**
 * What a debug line names: the physical range, or (older kernels, sub-block
 * mode only) the memory block id and, for requests, its sub-blocks.
 */
function what(vm: VirtioMemDriver, addr: number, size: number, subblocks: boolean): string {
  if (vm.k.rules.virtioMemLogsRanges) return `memory: ${hx(addr)} - ${hx(addr + size - 1)}`;
  const mb = vm.physToMbId(addr);
  if (!subblocks) return `memory block: ${mb}`;
  const sb = (addr - vm.mbIdToPhys(mb)) / vm.sbm.sbSize;
  return `memory block: ${mb} : ${sb} - ${sb + size / vm.sbm.sbSize - 1}`;
}

/** virtio_mem_send_plug_request() / virtio_mem_send_unplug_request(). */
function sendRangeRequest(vm: VirtioMemDriver, plug: boolean, addr: number, size: number): Err | null {
  const nb = (size / vm.deviceBlockSize) & 0xffff;
  const verb = plug ? "plugging" : "unplugging";
  if (vm.configChanged) return "EAGAIN";
  vm.dbg(`${verb} ${what(vm, addr, size, true)}`);
  const resp = plug ? vm.host.plug(addr, nb) : vm.host.unplug(addr, nb);
  if (resp === RESP_ACK) {
    vm.pluggedSize += plug ? size : -size;
    return null;
  }
  const rc = requestErrno(resp, plug);
  vm.dbg(`${verb} ${vm.k.rules.virtioMemLogsRanges ? "memory" : "memory block"} failed: -${ERRNUM[rc]}`);
  return rc;
}

export function sendPlugRequest(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  return sendRangeRequest(vm, true, addr, size);
}

export function sendUnplugRequest(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  return sendRangeRequest(vm, false, addr, size);
}

export function sendUnplugAllRequest(vm: VirtioMemDriver): Err | null {
  vm.dbg("unplugging all memory");
  let rc: Err = ENOMEM;
  switch (vm.host.unplugAll()) {
    case RESP_ACK:
      vm.unplugAllRequired = false;
      vm.pluggedSize = 0;
      vm.configChanged = true;
      return null;
    case RESP_BUSY:
      rc = "ETXTBSY";
      break;
  }
  vm.dbg(`unplugging all memory failed: -${ERRNUM[rc]}`);
  return rc;
}

export function addMemoryRange(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  vm.dbg(`adding ${what(vm, addr, size, false)}`);
  const r = addMemory(vm.k, vm.mgid, addr, size, "System RAM (virtio_mem)", { mergeResource: true, nidIsMgid: true });
  if (!r.ok) {
    vm.warn(`adding memory failed: -${ERRNUM[r.errno]}`);
    return r.errno;
  }
  return null;
}

export function removeMemoryRange(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  vm.dbg(`removing ${what(vm, addr, size, false)}`);
  const r = removeMemory(vm.k, addr, size);
  if (r.ok) {
    vm.retry();
    return null;
  }
  vm.dbg(`removing memory failed: -${ERRNUM[r.errno]}`);
  return r.errno;
}

export function offlineAndRemoveRange(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  vm.dbg(`offlining and removing ${what(vm, addr, size, false)}`);
  const r = offlineAndRemoveMemory(vm.k, addr, size);
  if (r.ok) {
    vm.retry();
    return null;
  }
  vm.dbg(`offlining and removing memory failed: -${ERRNUM[r.errno]}`);
  return r.errno;
}
