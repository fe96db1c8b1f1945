/** Boot state imported from a snapshot: rebuilding the driver's bookkeeping and adopting the blocks it added at boot (no kernel counterpart: the kernel never starts half-way). */
import { maybePinKernelAllocation, pageAllocHotAdd } from "../page-alloc.js";
import { ZONE_MOVABLE } from "../zone.js";
import { VirtioMemDriver } from "./virtio-mem.js";

/**
 * The boot state came from a snapshot: the device may have plugged memory
 * at boot (requested-size > 0 on the command line). Rebuild the driver's
 * bookkeeping from the blocks the snapshot shows, assuming the plugging
 * order of the driver (lowest sub-blocks / big blocks first).
 */
export function adoptPluggedMemory(vm: VirtioMemDriver, pluggedBytes: number, markPlugged: (addr: number, size: number) => void): void {
  if (pluggedBytes <= 0) return;
  if (vm.inSbm) {
    let nb = Math.floor(pluggedBytes / vm.sbm.sbSize);
    for (let mb = vm.sbm.firstMbId; nb > 0; mb++) {
      if (!vm.k.blockAt(vm.mbIdToPhys(mb) / vm.ps)) break;
      const count = Math.min(nb, vm.sbm.sbsPerMb);
      vm.sbm.nextMbId = mb + 1;
      vm.sbm.setSb(mb, 0, count, true);
      markPlugged(vm.mbIdToPhys(mb), count * vm.sbm.sbSize);
      nb -= count;
    }
  } else {
    let nb = Math.floor(pluggedBytes / vm.bbm.bbSize);
    for (let bb = vm.bbm.firstBbId; nb > 0; bb++) {
      if (!vm.k.blockAt(vm.bbm.bbIdToPhys(bb) / vm.ps)) break;
      vm.bbm.nextBbId = bb + 1;
      vm.bbm.bbStates.set(bb, "ADDED");
      markPlugged(vm.bbm.bbIdToPhys(bb), vm.bbm.bbSize);
      nb--;
    }
  }
  vm.pluggedSize = vm.host.config().pluggedSize;
}

/**
 * Boot state imported from a snapshot: blocks the device added at boot were
 * imported as plain boot blocks. Give them to the device's memory group,
 * make their sections present, keep the unplugged sub-blocks of online blocks
 * out of the managed pages (MemTotal anchored so it reads as imported), and
 * let the `System RAM (virtio_mem)` resources merge like freshly added ones.
 */
export function adoptImportedBlocks(vm: VirtioMemDriver): void {
  const k = vm.k;
  const ps = k.geometry.pageSize;
  const g = vm.group;
  const blocks = k.blocksIn(vm.addr / ps, vm.regionSize / ps);
  // Present pages of each zone that are not this device's: a zone with none was populated by the device.
  const others = new Map<string, number>();
  for (const b of blocks) {
    if (b.state !== "online" || !b.zone) continue;
    const key = `${b.zone.nid}/${b.zone.idx}`;
    others.set(key, (others.get(key) ?? k.node(b.zone.nid).zones[b.zone.idx].present) - b.nrPages);
  }
  const seen = new Set<string>();
  for (const b of blocks) {
    if (g && b.group === null) {
      b.group = g.id;
      g.blocks.add(b.id);
      if (b.state === "online" && b.zone) {
        if (b.zone.idx === ZONE_MOVABLE) g.presentMovablePages += b.nrPages;
        else g.presentKernelPages += b.nrPages;
        // Hot-added, not early memory (the import counted every present page as early).
        const z = k.node(b.zone.nid).zones[b.zone.idx];
        z.presentEarly = Math.max(0, z.presentEarly - b.nrPages);
        // The kernel's own allocations, as when this block was onlined (page-alloc.ts).
        // The device plugged its blocks in address order: each later one was hot-added (page tables,
        // vmemmap) and then onlined after the first (page-alloc-pins.ts); user space ran after the boot.
        const key = `${b.zone.nid}/${b.zone.idx}`;
        const first = !seen.has(key);
        seen.add(key);
        if (!first) pageAllocHotAdd(k, b.zone.nid, b.startPfn, b.nrPages, b.nrVmemmapPages > 0);
        maybePinKernelAllocation(k, z, b.startPfn + b.nrVmemmapPages, b.nrPages - b.nrVmemmapPages, first && others.get(key) === 0);
      }
    }
    const sec = k.sparse.get(k.sparse.sectionNr(b.startPfn));
    if (!sec?.present) {
      k.sparse.addPages(b.nid >= 0 ? b.nid : vm.nid, b.startPfn, b.nrPages);
      k.sparse.setOnline(b.startPfn, b.nrPages, b.state === "online");
    }
    if (b.state === "online" && b.zone) {
      const unplugged = vm.unpluggedPagesIn(b.startPfn, b.nrPages);
      const z = k.node(b.zone.nid).zones[b.zone.idx];
      z.managed -= unplugged;
      k.memTotalBase.total.managed -= unplugged;
      const pn = k.memTotalBase.perNode[b.zone.nid];
      if (pn) pn.managed -= unplugged;
    }
  }
  for (const c of vm.parentResource?.children ?? []) {
    if (c.name !== "System RAM (virtio_mem)") continue;
    c.flags.driverManaged = true;
    c.flags.mergeable = true;
    // The name object hotplug.ts gives driver-managed resources.
    c.nameId = `${c.name}@${c.name}`;
  }
}
