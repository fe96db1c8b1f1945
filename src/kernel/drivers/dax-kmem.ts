/**
 * dax kmem (drivers/dax/kmem.c): a dax device's ranges, trimmed to memory
 * blocks, added as driver-managed System RAM in a static memory group, and
 * removed again when the driver lets go.
 */
import { stringGetSize } from "../string-helpers.js";
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, type Errno } from "../errno.js";
import { addMemory, removeMemory } from "../hotplug.js";
import { registerStaticGroup, unregisterGroup } from "../memory-block.js";
import { removeResource, requestRegion, type Resource } from "../resource.js";
import { alignDown, alignUp, hex0x } from "../units.js";
import { clearNodeMemoryType, initNodeMemoryType } from "../memory-tier.js";
import type { DevDax } from "./dax.js";
import type { ProbeResult } from "./nvdimm-core.js";

/** What kmem keeps per device (struct dax_kmem_data). */
export interface KmemData {
  mgid: number;
  res: (Resource | null)[];
  /** Ranges that could not be hot-removed: pinned until reboot. */
  pinned: boolean;
}

/** dax_kmem_range(): the range trimmed inward to memory blocks, or null if nothing is left. */
export function kmemRange(k: Kernel, r: { start: number; end: number }): { start: number; end: number } | null {
  const bs = k.hotplugGranule;
  const start = alignUp(r.start, bs);
  const end = alignDown(r.end + 1, bs) - 1;
  return start >= end ? null : { start, end };
}

/**
 * What dev_dax_kmem_probe() will find before it adds anything, in its order:
 * the device's target node (none: "invalid node"), the memory left once each
 * range is trimmed to memory blocks (none: rejected where the version says
 * so), and whether memory_group_register_static() takes the node (it must be
 * possible: an NVDIMM's proximity domain on arm64 under ACPI is not). Shared
 * by the probe and by `explain` (analysis/explain-range.ts).
 */
export type KmemPlan =
  | { ok: false; errno: Errno; why: "invalid-node" | "empty"; nid: number }
  | { ok: true; nid: number; total: number; whole: number; nodePossible: boolean };

export function kmemPlan(k: Kernel, d: DevDax): KmemPlan {
  const nid = d.targetNode;
  if (nid < 0) return { ok: false, errno: EINVAL, why: "invalid-node", nid };
  const total = d.ranges.reduce((n, r) => {
    const t = kmemRange(k, r);
    return n + (t ? t.end - t.start + 1 : 0);
  }, 0);
  if (!total && k.rules.kmemRejectsEmptyRegion) return { ok: false, errno: EINVAL, why: "empty", nid };
  const whole = d.ranges.reduce((a, r) => a + (r.end - r.start + 1), 0);
  return { ok: true, nid, total, whole, nodePossible: !k.rules.memoryGroups || k.possibleNodes.includes(nid) };
}

/** dev_dax_kmem_probe(). */
export function kmemProbe(k: Kernel, d: DevDax): ProbeResult {
  const dev = `kmem ${d.name}`;
  const plan = kmemPlan(k, d);
  const nid = plan.nid;
  if (!plan.ok && plan.why === "invalid-node") {
    k.printk(4, `${dev}: rejecting DAX region with invalid node: ${nid}`);
    return { ok: false, errno: plan.errno };
  }
  d.ranges.forEach((r, i) => {
    if (!kmemRange(k, r)) k.printk(6, `${dev}: mapping${i}: ${hex0x(r.start)}-${hex0x(r.end)} too small after alignment`);
  });
  if (!plan.ok) {
    k.printk(4, `${dev}: rejecting DAX region without any memory after alignment`);
    return { ok: false, errno: plan.errno };
  }
  const { total, whole } = plan;
  if (k.rules.kmemTruncationWarning && whole > total) k.printk(4, `${dev}: DAX region truncated by ${stringGetSize(whole - total)} due to alignment`);
  initNodeMemoryType(k, nid, "dax");
  // Memory groups exist since v5.15; before, kmem adds memory on the node itself.
  const groups = k.rules.memoryGroups;
  const g = groups ? registerStaticGroup(k, nid, Math.ceil(total / k.geometry.pageSize)) : -1;
  if (typeof g !== "number") return { ok: false, errno: g };
  const data: KmemData = { mgid: g, res: d.ranges.map(() => null), pinned: false };
  const dropGroup = () => {
    if (groups) unregisterGroup(k, g);
  };
  let mapped = 0;
  for (let i = 0; i < d.ranges.length; i++) {
    const t = kmemRange(k, d.ranges[i]);
    if (!t) continue;
    const len = t.end - t.start + 1;
    const res = requestRegion(k.iomem, t.start, len, d.name, {});
    if (!res) {
      k.printk(4, `${dev}: mapping${i}: ${hex0x(t.start)}-${hex0x(t.end)} could not reserve region`);
      if (mapped) continue;
      dropGroup();
      return { ok: false, errno: EBUSY };
    }
    // IORESOURCE_SYSTEM_RAM exactly: a non-busy container for the System RAM (kmem) child.
    res.flags = { busy: false, sysram: true, driverManaged: false, mergeable: false };
    data.res[i] = res;
    // Driver-managed "System RAM (kmem)" since v5.8; before, plain System RAM (with a firmware memmap entry).
    // MHP_MEMMAP_ON_MEMORY when the device asks for it (6.8+); add_memory_resource() ignores it where unsupported.
    const flags = { nidIsMgid: groups, memmapOnMemory: k.rules.daxMemmapOnMemory && d.memmapOnMemory };
    const a = addMemory(k, groups ? g : nid, t.start, len, k.rules.driverManagedRam ? "System RAM (kmem)" : "System RAM", flags);
    if (!a.ok) {
      k.printk(4, `${dev}: mapping${i}: ${hex0x(t.start)}-${hex0x(t.end)} memory add failed`);
      removeResource(res);
      data.res[i] = null;
      if (mapped) continue;
      dropGroup();
      return { ok: false, errno: a.errno };
    }
    mapped++;
  }
  d.kmem = data;
  return { ok: true };
}

/** dev_dax_kmem_remove(): one shot at removing the memory; what fails stays until reboot. */
export function kmemRemove(k: Kernel, d: DevDax): void {
  const data = d.kmem;
  if (!data) return;
  if (!k.rules.kmemHotRemove) {
    // Before v5.3 the removal of the device from kmem succeeds but the memory stays until reboot.
    data.pinned = true;
    return;
  }
  let success = 0;
  for (let i = 0; i < d.ranges.length; i++) {
    const t = kmemRange(k, d.ranges[i]);
    if (!t) continue;
    const r = removeMemory(k, t.start, t.end - t.start + 1);
    if (r.ok) {
      const res = data.res[i];
      if (res) removeResource(res);
      data.res[i] = null;
      success++;
      continue;
    }
    data.pinned = true;
    k.printk(3, `kmem ${d.name}: mapping${i}: ${hex0x(t.start)}-${hex0x(t.end)} cannot be hotremoved until the next reboot`);
  }
  if (success >= d.ranges.length) {
    if (k.rules.memoryGroups) unregisterGroup(k, data.mgid);
    d.kmem = null;
    clearNodeMemoryType(k, d.targetNode, "dax");
  }
}
