/** Requests to the device (plug, unplug, unplug all) and adding/removing the driver's memory. Models virtio_mem_send_*_request() and virtio_mem_add_memory()/remove_memory()/offline_and_remove_memory() in drivers/virtio/virtio_mem.c. */
import { EINVAL, ENOMEM } from "../errno.js";
import { addMemory, offlineAndRemoveMemory, removeMemory } from "../hotplug.js";
import { type Err, ERRNUM, hx, RESP_ACK, RESP_BUSY, RESP_ERROR, RESP_NACK, VirtioMemDriver } from "./virtio-mem.js";

export function sendPlugRequest(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  const nb = (size / vm.deviceBlockSize) & 0xffff;
  if (vm.configChanged) return "EAGAIN";
  vm.dbg(`plugging memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
  let rc: Err = ENOMEM;
  switch (vm.host.plug(addr, nb)) {
    case RESP_ACK:
      vm.pluggedSize += size;
      return null;
    case RESP_NACK:
      rc = "EAGAIN";
      break;
    case RESP_BUSY:
      rc = "ETXTBSY";
      break;
    case RESP_ERROR:
      rc = EINVAL;
      break;
  }
  vm.dbg(`plugging memory failed: -${ERRNUM[rc]}`);
  return rc;
}

export function sendUnplugRequest(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  const nb = (size / vm.deviceBlockSize) & 0xffff;
  if (vm.configChanged) return "EAGAIN";
  vm.dbg(`unplugging memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
  let rc: Err = ENOMEM;
  switch (vm.host.unplug(addr, nb)) {
    case RESP_ACK:
      vm.pluggedSize -= size;
      return null;
    case RESP_BUSY:
      rc = "ETXTBSY";
      break;
    case RESP_ERROR:
      rc = EINVAL;
      break;
  }
  vm.dbg(`unplugging memory failed: -${ERRNUM[rc]}`);
  return rc;
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
  vm.dbg(`adding memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
  const r = addMemory(vm.k, vm.mgid, addr, size, "System RAM (virtio_mem)", { mergeResource: true, nidIsMgid: true });
  if (!r.ok) {
    vm.warn(`adding memory failed: -${ERRNUM[r.errno]}`);
    return r.errno;
  }
  return null;
}

export function removeMemoryRange(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  vm.dbg(`removing memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
  const r = removeMemory(vm.k, addr, size);
  if (r.ok) {
    vm.retry();
    return null;
  }
  vm.dbg(`removing memory failed: -${ERRNUM[r.errno]}`);
  return r.errno;
}

export function offlineAndRemoveRange(vm: VirtioMemDriver, addr: number, size: number): Err | null {
  vm.dbg(`offlining and removing memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
  const r = offlineAndRemoveMemory(vm.k, addr, size);
  if (r.ok) {
    vm.retry();
    return null;
  }
  vm.dbg(`offlining and removing memory failed: -${ERRNUM[r.errno]}`);
  return r.errno;
}
