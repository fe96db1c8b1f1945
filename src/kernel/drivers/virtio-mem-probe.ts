/** Probe: the config, SBM vs BBM, the parent resource, the memory group and the callbacks. Models virtio_mem_probe() and virtio_mem_init_hotplug() in drivers/virtio/virtio_mem.c. */
import { EBUSY, EINVAL } from "../errno.js";
import { registerDynamicGroup } from "../memory-block.js";
import { registerMemoryNotifier } from "../online.js";
import { requestRegion, type Resource } from "../resource.js";
import { memoryNotifier } from "./virtio-mem-online.js";
import { memoryAddPhysaddrToNid } from "../numa-addr.js";
import { DEFAULT_OFFLINE_THRESHOLD, type Err, hx, isPowerOf2, NUMA_NO_NODE, registerVirtioMemDevice, VirtioMemDriver } from "./virtio-mem.js";

/**
 * virtio_mem_probe(): read the config, choose SBM/BBM, claim the region,
 * register the group and the callbacks, and queue the first config update.
 * `adopt`: the parent resource already exists (boot state imported from a
 * snapshot); use it instead of requesting a new one.
 */
export function probe(vm: VirtioMemDriver, adopt?: Resource | null): Err | null {
  const c = vm.host.config();
  vm.pluggedSize = c.pluggedSize;
  vm.deviceBlockSize = c.blockSize;
  vm.addr = c.addr;
  vm.regionSize = c.regionSize;
  vm.nid = translateNodeId(vm, c.nodeId);
  if (vm.nid === NUMA_NO_NODE) vm.nid = memoryAddPhysaddrToNid(vm.k, vm.addr);
  vm.info(`start address: ${hx(vm.addr)}`);
  vm.info(`region size: ${hx(vm.regionSize)}`);
  vm.info(`device block size: ${hx(vm.deviceBlockSize)}`);
  if (vm.nid !== NUMA_NO_NODE) vm.info(`nid: ${vm.nid}`);
  const rc = initHotplug(vm, adopt ?? null);
  if (rc) return rc;
  // virtio_device_ready(), then the first config update.
  vm.configChanged = true;
  vm.retry();
  return null;
}

/**
 * virtio_mem_translate_node_id(): pxm_to_node() of the device's ACPI PXM (QEMU offers VIRTIO_MEM_F_ACPI_PXM). A device
 * tree has no PXMs, and arm64 under ACPI has NUMA turned off by its faked node: none.
 */
export function translateNodeId(vm: VirtioMemDriver, nodeId: number): number {
  if (vm.k.numaFirmware.kind !== "acpi") return NUMA_NO_NODE;
  return vm.k.possibleNodes.includes(nodeId) ? nodeId : NUMA_NO_NODE;
}

export function initHotplug(vm: VirtioMemDriver, adopt: Resource | null): Err | null {
  const mb = vm.mbSize;
  const end = vm.pluggableEnd();
  if (vm.addr % mb !== 0) vm.warn("The alignment of the physical start address can make some memory unusable.");
  if ((vm.addr + vm.regionSize) % mb !== 0) vm.warn("The alignment of the physical end address can make some memory unusable.");
  if (vm.addr + vm.regionSize - 1 > end) vm.warn("Some device memory is not addressable/pluggable. This can make some memory unusable.");
  vm.offlineThreshold = Math.max(2 * mb, DEFAULT_OFFLINE_THRESHOLD);
  // alloc_contig_range() works reliably with pageblock granularity (older kernels: MAX_ORDER pages).
  const geo = vm.k.geometry;
  const minSb = vm.k.rules.virtioMemPageblockSubblocks ? geo.pageblockSize : Math.max(geo.pageblockSize, geo.maxOrderPages * geo.pageSize);
  const sbSize = Math.max(vm.deviceBlockSize, minSb);
  if (!vm.k.rules.virtioMemBigBlocks && vm.deviceBlockSize > mb) {
    vm.log(3, "The block size is not supported (too big).");
    return EINVAL;
  }
  if (!vm.k.rules.virtioMemBigBlocks || (sbSize < mb && !vm.params.forceBbm)) {
    vm.inSbm = true;
    vm.sbm.sbSize = sbSize;
    vm.sbm.sbsPerMb = mb / sbSize;
    vm.sbm.firstMbId = vm.physToMbId(vm.addr + mb - 1);
    vm.sbm.nextMbId = vm.sbm.firstMbId;
  } else {
    vm.bbm.bbSize = Math.max(vm.deviceBlockSize, mb);
    const p = vm.params.bbmBlockSize;
    if (p) {
      if (!isPowerOf2(p)) vm.warn("bbm_block_size is not a power of 2");
      else if (p < vm.bbm.bbSize) vm.warn("bbm_block_size is too small");
      else vm.bbm.bbSize = p;
    }
    vm.bbm.firstBbId = vm.bbm.physToBbId(vm.addr + vm.bbm.bbSize - 1);
    vm.bbm.nextBbId = vm.bbm.firstBbId;
    vm.offlineThreshold = Math.max(2 * vm.bbm.bbSize, vm.offlineThreshold);
  }
  vm.info(`memory block size: ${hx(mb)}`);
  if (vm.inSbm) vm.info(`subblock size: ${hx(vm.sbm.sbSize)}`);
  else vm.info(`big block size: ${hx(vm.bbm.bbSize)}`);
  // virtio_mem_create_resource(): IORESOURCE_SYSTEM_RAM | EXCLUSIVE, then not busy.
  if (adopt) {
    vm.parentResource = adopt;
  } else {
    const res = requestRegion(vm.k.iomem, vm.addr, vm.regionSize, vm.devName, { sysram: true }, vm.devName);
    if (!res) {
      vm.warn("could not reserve device region");
      vm.info("reloading the driver is not supported");
      return EBUSY;
    }
    res.flags.busy = false;
    vm.parentResource = res;
  }
  const unitPages = (vm.inSbm ? mb : vm.bbm.bbSize) / vm.ps;
  const g = registerDynamicGroup(vm.k, vm.nid, unitPages);
  if (typeof g !== "number") {
    if (!adopt && vm.parentResource) {
      const p = vm.parentResource.parent;
      if (p) p.children.splice(p.children.indexOf(vm.parentResource), 1);
    }
    vm.parentResource = null;
    return g;
  }
  vm.mgid = g;
  if (vm.pluggedSize) {
    vm.unplugAllRequired = true;
    vm.info("unplugging all memory is required");
  }
  registerMemoryNotifier(vm.k, (a, arg) => memoryNotifier(vm, a, arg));
  registerVirtioMemDevice(vm);
  return null;
}
