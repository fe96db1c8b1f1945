/**
 * `memhp explain`, onlining: which zone `online`, `online_kernel` or
 * `online_movable` would put a block in, and why the kernel would refuse.
 * Pure (browser-safe).
 */
import { versionedRule } from "./rule-version.js";
import type { Kernel, OnlineType } from "../kernel/kernel.js";
import type { MemoryBlock } from "../kernel/memory-block.js";
import { blockGroup, defaultKernelZoneForPfn, zoneForPfnRange } from "../kernel/zone-policy.js";
import { ZONE_MOVABLE, ZONE_NAMES, ZONE_NORMAL, zoneIntersects, type Zone } from "../kernel/zone.js";
import { ev, ramOwner, verdict, zoneEv, type Evidence, type RuleRef, type Verdict } from "./evidence.js";

// -------------------------------------------------------------- online --

/** Why zone_for_pfn_range() picks the zone it picks, as evidence. */
function zoneChoice(k: Kernel, b: MemoryBlock, type: OnlineType): { zone: Zone; why: string; evidence: Evidence[]; rule: RuleRef } {
  const group = blockGroup(k, b);
  const zone = zoneForPfnRange(k, type, b.nid, group, b.startPfn, b.nrPages);
  const n = k.node(b.nid);
  const kz = defaultKernelZoneForPfn(k, b.nid, b.startPfn, b.nrPages);
  const mz = n.zones[ZONE_MOVABLE];
  const evidence: Evidence[] = [];
  for (const z of n.zones.slice(0, ZONE_MOVABLE + 1)) if (z.spanned > 0) evidence.push(zoneEv(k, z));
  if (type === "online_movable") {
    return { zone, why: "online_movable always means ZONE_MOVABLE of the block's node (no overlap check in 6.1)", evidence, rule: { kernel: "mm/memory_hotplug.c zone_for_pfn_range()", spec: "04 §4.1" } };
  }
  const kzWhy = kz.idx < ZONE_NORMAL
    ? `${ZONE_NAMES[kz.idx]} is the first zone below Normal whose span intersects the block`
    : "no zone below Normal (DMA, DMA32) intersects the block, so the kernel zone is Normal";
  if (type === "online_kernel") {
    return { zone, why: `online_kernel: ${kzWhy}`, evidence, rule: { kernel: "mm/memory_hotplug.c default_kernel_zone_for_pfn()", spec: "04 §4.1" } };
  }
  if (k.params.onlinePolicy === "auto-movable") {
    const g = group ? `${group.kind} memory group ${group.id} (${group.presentKernelPages} kernel / ${group.presentMovablePages} movable pages present of ${group.pages})` : "no memory group";
    evidence.push(ev(`online_policy auto-movable, auto_movable_ratio ${k.params.autoMovableRatio}%, numa_aware ${k.params.autoMovableNumaAware ? "Y" : "N"}; ${g}`));
    return {
      zone,
      why: zone.idx === ZONE_MOVABLE
        ? "the auto-movable policy: Movable memory stays within auto_movable_ratio of the kernel memory"
        : `the auto-movable policy falls back to the kernel zone (${kzWhy})`,
      evidence,
      rule: { kernel: "mm/memory_hotplug.c auto_movable_zone_for_pfn(), auto_movable_can_online_movable()", spec: "04 §4.3" },
    };
  }
  const inK = zoneIntersects(kz, b.startPfn, b.nrPages);
  const inM = zoneIntersects(mz, b.startPfn, b.nrPages);
  let why: string;
  if (inK !== inM) why = `exactly one candidate intersects the block: ${inK ? ZONE_NAMES[kz.idx] : "Movable"}`;
  else if (k.params.movableNode) why = `${inK ? "both" : "neither"} ${ZONE_NAMES[kz.idx]} and Movable intersect the block, and movable_node is set: Movable`;
  else why = `${inK ? "both" : "neither"} ${ZONE_NAMES[kz.idx]} and Movable intersect the block, and movable_node is not set: the kernel zone (${ZONE_NAMES[kz.idx]})`;
  return { zone, why: `plain online (contig-zones policy): ${why}`, evidence, rule: { kernel: "mm/memory_hotplug.c default_zone_for_pfn()", spec: "04 §4.2" } };
}

/** Predicts `echo TYPE > memoryN/state` for TYPE = online / online_kernel / online_movable. */
export function predictOnline(k: Kernel, b: MemoryBlock, type: "online" | "online_kernel" | "online_movable"): Verdict {
  const how = `echo ${type} > /sys/devices/system/memory/memory${b.id}/state`;
  if (!b.devOffline) {
    return verdict({
      action: type, how, ok: false, errno: "EINVAL",
      reason: `the block is already online${b.zone ? ` (in ${ZONE_NAMES[b.zone.idx]})` : ""}: device_online() returns 1, which state_store() turns into -EINVAL; Linux cannot move an online block to another zone — offline it first`,
      rule: { kernel: "drivers/base/memory.c state_store(), drivers/base/core.c device_online()", spec: "04 §2 (step 5), 04 §12" },
      evidence: [ev(`memory${b.id}/state reads ${b.state}`)],
    });
  }
  // memory_block_online() refuses a block holding a hardware-poisoned page (6.4 on).
  const poison = k.hwpoisonIn(b.startPfn, b.startPfn + b.nrPages);
  if (poison !== null && k.rules.onlineRefusesHwpoison) {
    const refuses = versionedRule(k, "onlineRefusesHwpoison");
    return verdict({
      action: type, how, ok: false, errno: "EHWPOISON",
      reason: `the block holds a hardware-poisoned page (pfn ${poison.toString(16)}, from hard_offline_page or soft_offline_page): memory_block_online() refuses it (${refuses.text})`,
      rule: { kernel: "drivers/base/memory.c memory_block_online() (nr_hwpoison)", spec: "04 §2", version_rule: refuses },
      evidence: [ev(`poisoned page`, poison * k.geometry.pageSize, (poison + 1) * k.geometry.pageSize - 1)],
    });
  }
  const ps = k.geometry.pageSize;
  const c = zoneChoice(k, b, type);
  const vm = b.nrVmemmapPages;
  const start = b.startPfn + vm;
  const nr = b.nrPages - vm;
  const pageblock = k.geometry.pageblockSize / ps;
  if (!nr || start % pageblock !== 0 || (start + nr) % k.sparse.pps !== 0) {
    return verdict({
      action: type, how, ok: false, errno: "EINVAL",
      reason: "the range to online is empty or misaligned (online_pages() sanity check, WARN)",
      rule: { kernel: "mm/memory_hotplug.c online_pages()", spec: "04 §6 (step 4.1)" },
      evidence: c.evidence,
    });
  }
  const notes: string[] = [];
  let certain = true;
  const owner = ramOwner(k, b);
  if (owner.kind === "virtio-mem") {
    certain = false;
    notes.push("virtio-mem's memory notifier decides: it vetoes (EPERM, \"memory block onlining denied\") a block whose sub-blocks are not in an onlinable state");
  }
  const zone = c.zone;
  if (zone.present === 0) notes.push(`${ZONE_NAMES[zone.idx]} of node ${zone.nid} has no present pages yet: the zonelists are rebuilt (log lines)`);
  const pins =
    k.allocation.pinFirstKernelBlock &&
    zone.present === 0 &&
    zone.idx <= ZONE_NORMAL &&
    (k.cpusByNode[zone.nid] ?? []).length > 0 &&
    !k.node(zone.nid).zones.some((z) => z.idx > zone.idx && z.idx <= ZONE_NORMAL && z.present > 0);
  if (pins) notes.push(`it will be the first memory of the highest kernel zone of a node with CPUs: the kernel's own pages land in it (page tables, slab, the vmemmap of blocks added later; which pageblocks: page-alloc-pins.ts), after which it cannot be offlined (EBUSY)`);
  if (vm) {
    const per = versionedRule(k, "memmapOnMemoryPerBlock");
    notes.push(`the first ${vm} pages hold the block's own memmap (memmap_on_memory) and join the zone without reaching the buddy allocator; ${per.since ? `from ${per.since} on, memmap_on_memory also applies to each block of a multi-block DIMM` : "this kernel applies memmap_on_memory only to single-block additions"} (Linux ${k.profile})`);
  }
  return verdict({
    action: type, how, ok: true, certain,
    result: `online in ${ZONE_NAMES[zone.idx]} of node ${zone.nid}`,
    reason: c.why,
    rule: c.rule,
    evidence: [...c.evidence, ev(`memory${b.id}`, b.startPfn * ps, (b.startPfn + b.nrPages) * ps - 1)],
    notes,
  });
}

