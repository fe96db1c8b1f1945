/**
 * `memhp explain`: why a memory block can or cannot go offline, online (to
 * which zone) or be removed, and why an address range can or cannot be
 * hot-added or mapped as device memory. Each answer PREDICTS from the state
 * alone what the kernel would do — the same checks, in the kernel's order,
 * without changing anything — and names the rule (kernel function and spec
 * section) and the evidence (zone spans, iomem System RAM, unmovable ranges,
 * memory group, node, alignment). explain.test.ts holds the predictions
 * against what the model does when you try. Pure (browser-safe).
 */
import { bootMemoryIn, vmemmapLeafSplit } from "../kernel/arm64-mmu.js";
import { versionedRule } from "./rule-version.js";
import type { Kernel, OnlineType } from "../kernel/kernel.js";
import type { MemoryBlock } from "../kernel/memory-block.js";
import { countSystemRamPages, type Resource } from "../kernel/resource.js";
import { virtioMemDevices } from "../kernel/drivers/virtio-mem.js";
import { blockGroup, defaultKernelZoneForPfn, zoneForPfnRange } from "../kernel/zone-policy.js";
import { ZONE_MOVABLE, ZONE_NAMES, ZONE_NORMAL, zoneEnd, zoneIntersects, type Zone } from "../kernel/zone.js";
import { ev, hexRange, resourcesIn, systemRamIn, verdict, type Evidence, type RuleRef, type Verdict } from "./evidence.js";
import type { RangeExplanation } from "./explain-range.js";
import { predictOnline } from "./explain-online.js";
import { ramOwner, zoneDesc, zoneEv } from "./evidence.js";

export * from "./evidence.js";
export * from "./explain-range.js";
export { predictOnline } from "./explain-online.js";

export interface BlockExplanation {
  kind: "block";
  block: number;
  name: string;
  range: string;
  start: number;
  end: number;
  state: string;
  online: boolean;
  node: number;
  nodes: number[];
  zone: string | null;
  boot: boolean;
  group: { id: number; kind: "static" | "dynamic"; pages: number; present_kernel_pages: number; present_movable_pages: number; blocks: number[] } | null;
  firmware_node: string | null;
  vmemmap_pages: number;
  resources: Evidence[];
  verdicts: Verdict[];
}

export type Explanation = BlockExplanation | RangeExplanation;

// ------------------------------------------------------------- offline --

/** Predicts `echo offline > memoryN/state`: state_store → device_offline → memory_block_offline → offline_pages. */
export function predictOffline(k: Kernel, b: MemoryBlock): Verdict {
  const ps = k.geometry.pageSize;
  const how = `echo offline > /sys/devices/system/memory/memory${b.id}/state`;
  const bs = b.startPfn * ps;
  const be = (b.startPfn + b.nrPages) * ps - 1;
  if (b.devOffline) {
    return verdict({
      action: "offline", how, ok: false, errno: "EINVAL",
      reason: "the block is already offline: device_offline() returns 1, which state_store() turns into -EINVAL (writing 0 to `online` would succeed and change nothing)",
      rule: { kernel: "drivers/base/memory.c state_store(), drivers/base/core.c device_offline()", spec: "04 §2 (step 5), 04 §12" },
      evidence: [ev(`memory${b.id}/state reads ${b.state}`)],
    });
  }
  if (!b.zone) {
    const evidence = [ev(`memory${b.id} has no zone (valid_zones reads "none")`, bs, be)];
    const n = k.nodes.get(b.nid);
    if (n) for (const z of n.zones) if (z.present > 0 && zoneIntersects(z, b.startPfn, b.nrPages)) evidence.push(zoneEv(k, z));
    if (b.nodeLinks.length > 1) evidence.push(ev(`linked to nodes ${b.nodeLinks.join(", ")}`));
    // A dump's "none" for a block this kernel would place in one zone: what an older kernel meant by it
    const zonesHere = n ? n.zones.filter((z) => z.present > 0 && zoneIntersects(z, b.startPfn, b.nrPages)).length : 0;
    // (6.1 gives every boot block within one zone and node that zone: a zoneless one came from a dump.)
    if (zonesHere === 1 && b.nodeLinks.length <= 1) {
      return verdict({
        action: "offline", how, ok: false, errno: "EINVAL",
        reason: "the dump shows valid_zones \"none\" for this online block although its pages lie in one zone: the dump's kernel found no single zone for it — kernels before 5.18 (commit 395f6081bad4 stored one zone per block) print \"none\" when test_pages_in_a_zone() fails, for a block across zones or with memory holes — and such a block does not go offline there; the model keeps it without a zone",
        rule: { kernel: "drivers/base/memory.c valid_zones_show() (older kernels: test_pages_in_a_zone()); memory_block_offline()", spec: "04 §7 (step 1)" },
        evidence: [...evidence, ev(`memory${b.id}/valid_zones reads "none" in the dump`)],
      });
    }
    return verdict({
      action: "offline", how, ok: false, errno: "EINVAL",
      reason: b.nodeLinks.length > 1
        ? "the block spans several nodes, so it has no single zone; memory_block_offline() refuses a block without a zone"
        : "the block spans several zones (a boot block across a zone boundary), so it has no zone; memory_block_offline() refuses it",
      rule: { kernel: "drivers/base/memory.c memory_block_offline(); node_dev_init()/early_node_zone_for_memory_block()", spec: "04 §7 (step 1), 03 §1" },
      evidence,
    });
  }
  const zone = k.node(b.zone.nid).zones[b.zone.idx];
  const vm = b.nrVmemmapPages;
  const start = b.startPfn + vm;
  const nr = b.nrPages - vm;
  const end = start + nr;
  const pageblock = k.geometry.pageblockSize / ps;
  if (!nr || start % pageblock !== 0 || end % k.sparse.pps !== 0) {
    return verdict({
      action: "offline", how, ok: false, errno: "EINVAL",
      reason: "the range to offline is empty or not pageblock/section aligned (offline_pages() sanity check, WARN)",
      rule: { kernel: "mm/memory_hotplug.c offline_pages()", spec: "04 §7 (step 3.1)" },
      evidence: [ev(`pages ${start.toString(16)}-${(end - 1).toString(16)} (${vm} self-hosted memmap pages first)`)],
    });
  }
  const counted = countSystemRamPages(k.iomem, start * ps, end * ps, ps);
  if (counted !== nr) {
    const ram = systemRamIn(k, start * ps, end * ps);
    const evidence = [ev(`System RAM (busy) covers ${counted} of the ${nr} pages of the block`, start * ps, end * ps - 1)];
    for (const r of ram) evidence.push(ev(`iomem "${r.name}"`, r.start, r.end));
    // The holes themselves.
    let cursor = start * ps;
    for (const r of [...ram].sort((a, c) => a.start - c.start)) {
      if (r.start > cursor) evidence.push(ev("hole: not System RAM", cursor, Math.min(r.start, end * ps) - 1));
      cursor = Math.max(cursor, r.end + 1);
    }
    if (cursor < end * ps) evidence.push(ev("hole: not System RAM", cursor, end * ps - 1));
    for (const r of resourcesIn(k, start * ps, end * ps)) if (!ram.some((x) => x.start === r.start && x.end === r.end)) evidence.push(r);
    return verdict({
      action: "offline", how, ok: false, errno: "EINVAL",
      reason: `the block has memory holes: only ${counted} of its ${nr} pages are busy System RAM in /proc/iomem, and offline_pages() needs all of them ("failed due to memory holes")`,
      rule: { kernel: "mm/memory_hotplug.c offline_pages() (walk_system_ram_range count)", spec: "04 §7 (step 3.2)", version_rule: versionedRule(k, "offlineRefusesHoles") },
      evidence,
    });
  }
  const unmovable = k.unmovable.filter((u) => u.start < end && start < u.end);
  if (unmovable.length) {
    const pfns = (u: { start: number; end: number }) => (u.end - u.start === 1 ? `page at pfn ${u.start.toString(16)}` : `${u.end - u.start} pages at pfn ${u.start.toString(16)}-${(u.end - 1).toString(16)}`);
    const evidence = unmovable.map((u) => ev(`unmovable: ${pfns(u)}: ${u.why}`, u.start * ps, u.end * ps - 1));
    evidence.push(ev(`zone ${ZONE_NAMES[zone.idx]}: ${zone.idx === ZONE_MOVABLE ? "Movable (only PG_reserved pages block isolation)" : "a kernel zone (in-use unmovable kernel pages block isolation)"}`));
    return verdict({
      action: "offline", how, ok: false, errno: "EBUSY",
      reason: `a pageblock of the block holds a page the isolation code cannot move (${unmovable[0].why}); start_isolate_page_range() fails, the page is dumped ("unmovable page") and offline_pages() returns -EBUSY ("failure to isolate range")`,
      rule: { kernel: "mm/memory_hotplug.c offline_pages(), mm/page_isolation.c start_isolate_page_range()/has_unmovable_pages()", spec: "04 §7 (step 3.5)" },
      evidence,
    });
  }
  if (k.rules.arm64LeafSplitVeto && vmemmapLeafSplit(k, start, nr)) {
    return verdict({
      action: "offline", how, ok: false, errno: "EPERM",
      reason: `arm64 would have to split a leaf mapping of its vmemmap: the struct pages of pfn ${start.toString(16)} or ${end.toString(16)} lie inside a ${k.geometry.pageSize === 4096 ? "2 MiB block" : "page"} of it (a self-hosted memmap moves the offline range's start off the block's first pfn), so its memory notifier vetoes going offline ("[${(start * ps).toString(16)} ${(end * ps).toString(16)}] splits a leaf entry in vmemmap") and offline_pages() fails "due to notifier failure"`,
      rule: { kernel: "arch/arm64/mm/mmu.c prevent_bootmem_remove_notifier(), can_unmap_without_split()", spec: "04 §7 (step 3.7)", version_rule: versionedRule(k, "arm64LeafSplitVeto") },
      evidence: [ev(`offline range: pages ${start.toString(16)}-${(end - 1).toString(16)}`, start * ps, end * ps - 1), zoneEv(k, zone)],
    });
  }
  const boot = bootMemoryIn(k, start, nr);
  if (boot) {
    return verdict({
      action: "offline", how, ok: false, errno: "EPERM",
      reason: `arm64 keeps boot memory in its linear map for good: its memory notifier vetoes going offline for any range with a boot (early) section ("Boot memory [${boot.start.toString(16)} ${boot.end.toString(16)}] offlining attempted"), and offline_pages() fails "due to notifier failure"`,
      rule: { kernel: "arch/arm64/mm/mmu.c prevent_bootmem_remove_notifier(), mm/memory_hotplug.c offline_pages()", spec: "04 §7 (step 3.7), 04 §9" },
      evidence: [ev(`early section: boot memory`, boot.start, boot.end - 1), zoneEv(k, zone)],
    });
  }
  const owner = ramOwner(k, b);
  const notes: string[] = [];
  let certain = true;
  if (owner.kind === "virtio-mem") {
    certain = false;
    notes.push(`virtio-mem's memory notifier (${owner.container?.name ?? "virtio"}) sees the offline: it vetoes (EPERM) a range that is not exactly one of its memory blocks`);
  }
  if (b.imported?.removable === "0") {
    // The dump's kernel ran is_mem_section_removable() over the block and found pages it could not move.
    certain = false;
    notes.push(`the dump shows memory${b.id}/removable 0: its kernel found pages in the block it judged unmovable when the dump was taken, so offlining is likely to fail with EBUSY there (which pages the dump does not say)`);
  }
  const lastOfZone = zone.present - nr <= 0;
  if (lastOfZone) notes.push(`this is the last present memory of ${ZONE_NAMES[zone.idx]} on node ${zone.nid}: the zonelists are rebuilt (log lines)`);
  notes.push("movable pages are migrated first (the model assumes migration succeeds; a real kernel may loop until a signal: EINTR)");
  return verdict({
    action: "offline", how, ok: true, certain,
    result: `offline; ${ZONE_NAMES[zone.idx]} of node ${zone.nid} loses ${nr} present pages`,
    reason: `the block is online in one zone (${ZONE_NAMES[zone.idx]}), all ${nr} pages are System RAM, and no page of it is known to be unmovable`,
    rule: { kernel: "mm/memory_hotplug.c offline_pages()", spec: "04 §7" },
    evidence: [ev(`System RAM covers all ${nr} pages`, start * ps, end * ps - 1), zoneEv(k, zone)],
    notes,
  });
}

// -------------------------------------------------------------- remove --

/** Predicts removal of the block's memory by whoever owns it (ACPI eject of the DIMM, the kmem/virtio-mem driver). */
export function predictRemove(k: Kernel, b: MemoryBlock): Verdict {
  const ps = k.geometry.pageSize;
  const owner = ramOwner(k, b);
  if (owner.kind === "boot" || owner.kind === "other") {
    return verdict({
      action: "remove", how: "(no removal path)", ok: false,
      reason: owner.kind === "boot"
        ? "boot memory (the firmware's System RAM: E820, the UEFI memory map or a device tree) has no ACPI memory device (PNP0C80) to eject and no driver that added it: nothing can call remove_memory() for it"
        : "no device owns this memory (no ACPI memory device bound, no driver-managed resource): nothing can remove it",
      rule: { kernel: "drivers/acpi/acpi_memhotplug.c (only bound PNP0C80 devices eject), mm/memory_hotplug.c remove_memory()", spec: "05 §1, 05 §5" },
      evidence: [ev(`memory${b.id}: ${b.boot ? "created at boot by memory_dev_init()" : "hot-added"}, firmware_node ${b.firmwareNode ? "present" : "absent"}`)],
    });
  }
  if (owner.kind === "acpi") {
    const dev = [...k.acpiMemDevices.values()].find((d) => d.physicalNodes.includes(b.id));
    const ids = dev ? dev.physicalNodes.filter((id) => k.blocks.has(id)) : [b.id];
    const how = dev ? `QEMU device_del ${dev.qemuId} (ACPI eject of PNP0C80:${dev.slot.toString(16).padStart(2, "0")})` : "ACPI eject of the memory device";
    const failing: { id: number; v: Verdict }[] = [];
    for (const id of ids) {
      const blk = k.blocks.get(id)!;
      if (blk.devOffline) continue;
      const v = predictOffline(k, blk);
      if (!v.ok) failing.push({ id, v });
    }
    const evidence = ids.map((id) => ev(`memory${id}: ${k.blocks.get(id)!.state}`, k.blocks.get(id)!.startPfn * ps, (k.blocks.get(id)!.startPfn + k.blocks.get(id)!.nrPages) * ps - 1));
    if (failing.length) {
      for (const f of failing) evidence.push(ev(`memory${f.id} cannot go offline (${f.v.errno}): ${f.v.reason}`));
      return verdict({
        action: "remove", how, ok: false, errno: "EBUSY",
        reason: `the eject must offline every block of the device first; ${failing.map((f) => `memory${f.id}`).join(", ")} cannot go offline, so after two passes the kernel logs "memory memory${failing[0].id}: Offline failed.", onlines again what it offlined and refuses (_OST DEVICE_BUSY)`,
        rule: { kernel: "drivers/acpi/scan.c acpi_scan_try_to_offline()/acpi_scan_hot_remove()", spec: "05 §5.2 (step 3)" },
        evidence,
      });
    }
    const online = ids.filter((id) => !k.blocks.get(id)!.devOffline);
    return verdict({
      action: "remove", how, ok: true,
      result: `${online.length ? `offlines ${online.map((id) => `memory${id}`).join(", ")}, then ` : ""}removes ${ids.length} block(s)${dev ? ` (${hexRange(dev.start, dev.start + dev.size - 1)})` : ""}`,
      reason: "every block of the device is offline or can go offline, so the eject offlines them and __remove_memory() removes the range",
      rule: { kernel: "drivers/acpi/scan.c acpi_scan_hot_remove(), drivers/acpi/acpi_memhotplug.c acpi_memory_remove_memory(), mm/memory_hotplug.c try_remove_memory()", spec: "05 §5.2, 05 §2" },
      evidence,
    });
  }
  // Driver-managed memory: the driver calls remove_memory() (kmem) or offline_and_remove_memory() (virtio-mem).
  const how = owner.kind === "kmem" ? `daxctl offline-memory ${owner.container?.name ?? ""} / unbind kmem` : "virtio-mem resize (requested-size)";
  if (owner.kind === "kmem" && b.state !== "offline") {
    return verdict({
      action: "remove", how, ok: false, errno: "EBUSY",
      reason: `kmem removes with remove_memory(), which refuses while any block is online ("removing memory fails, because memory [...] is onlined")`,
      rule: { kernel: "drivers/dax/kmem.c dev_dax_kmem_remove(), mm/memory_hotplug.c try_remove_memory()", spec: "05 §2 (step 2), 06 §6" },
      evidence: [ev(`memory${b.id} is ${b.state}`, b.startPfn * ps, (b.startPfn + b.nrPages) * ps - 1)],
    });
  }
  if (owner.kind === "virtio-mem" && b.state !== "offline") {
    const poisoned = virtioMemPoisonVerdict(k, b, how);
    if (poisoned) return poisoned;
    const v = predictOffline(k, b);
    return verdict({
      action: "remove", how, ok: v.ok, errno: v.ok ? undefined : v.errno, certain: false,
      reason: `virtio-mem uses offline_and_remove_memory(): it offlines the block itself (${v.ok ? "possible" : `fails: ${v.reason}`}) and rolls back on failure`,
      rule: { kernel: "drivers/virtio/virtio_mem.c, mm/memory_hotplug.c offline_and_remove_memory()", spec: "05 §4" },
      evidence: v.evidence,
    });
  }
  return verdict({
    action: "remove", how, ok: true,
    result: "removed by its driver",
    reason: "the block is offline, so try_remove_memory() can remove it",
    rule: { kernel: "mm/memory_hotplug.c try_remove_memory()", spec: "05 §2" },
    evidence: [ev(`memory${b.id} is offline`, b.startPfn * ps, (b.startPfn + b.nrPages) * ps - 1)],
  });
}

/**
 * A virtio-mem block holding a hardware-poisoned page: the driver takes its pages with alloc_contig_range() (sub-block
 * mode, and big-block mode's safe unplug before offline_and_remove_memory()), which fails on that page, so the unit
 * holding it stays plugged (a64-probe56-uefi-2g-vm-2m-hwpoison-unplug: memory24 stays online). Without safe unplug a
 * big block goes through offline_pages(), which skips poisoned pages: null then, as for any other block.
 */
function virtioMemPoisonVerdict(k: Kernel, b: MemoryBlock, how: string): Verdict | null {
  const poison = k.hwpoisonTakenIn(b.startPfn, b.startPfn + b.nrPages);
  if (poison === null) return null;
  const ps = k.geometry.pageSize;
  const vm = virtioMemDevices(k).find((d) => d.containsRange(b.startPfn * ps, b.nrPages * ps));
  const sbm = vm?.inSbm ?? true;
  if (!sbm && !vm!.params.bbmSafeUnplug) return null;
  return verdict({
    action: "remove", how, ok: false, errno: "EBUSY",
    reason: `virtio-mem takes memory back with alloc_contig_range() (${sbm ? "sub-block mode: the whole block, then sub-block by sub-block" : "big-block mode's safe unplug, before offline_and_remove_memory()"}), which fails on the hardware-poisoned page at pfn ${poison.toString(16)}: the ${sbm ? "sub-block" : "big block"} holding it stays plugged and the block is not removed`,
    rule: { kernel: "drivers/virtio/virtio_mem.c virtio_mem_fake_offline(), mm/page_alloc.c alloc_contig_range()", spec: "05 §4" },
    evidence: [ev("poisoned page", poison * ps, (poison + 1) * ps - 1)],
  });
}

/** Everything explain knows about one memory block. */
export function explainBlock(k: Kernel, id: number): BlockExplanation | null {
  const b = k.blocks.get(id);
  if (!b) return null;
  const ps = k.geometry.pageSize;
  const start = b.startPfn * ps;
  const end = (b.startPfn + b.nrPages) * ps - 1;
  const g = blockGroup(k, b);
  return {
    kind: "block",
    block: id,
    name: `memory${id}`,
    range: hexRange(start, end),
    start,
    end,
    state: b.state,
    online: !b.devOffline,
    node: b.nid,
    nodes: [...b.nodeLinks],
    zone: b.zone ? ZONE_NAMES[b.zone.idx] : null,
    boot: b.boot,
    group: g ? { id: g.id, kind: g.kind, pages: g.pages, present_kernel_pages: g.presentKernelPages, present_movable_pages: g.presentMovablePages, blocks: [...g.blocks].sort((x, y) => x - y) } : null,
    firmware_node: b.firmwareNode,
    vmemmap_pages: b.nrVmemmapPages,
    resources: resourcesIn(k, start, end + 1),
    verdicts: [predictOffline(k, b), predictOnline(k, b, "online"), predictOnline(k, b, "online_kernel"), predictOnline(k, b, "online_movable"), predictRemove(k, b)],
  };
}
