/**
 * explain for address ranges: can [start, start+size) be hot-added as System
 * RAM (the ACPI DIMM path, __add_memory()), mapped as device memory
 * (memremap_pages()), or taken by QEMU as a DIMM? Each a prediction from the
 * state, with the rule and the evidence. Pure (browser-safe).
 */
import type { Kernel } from "../kernel/kernel.js";
import { built, findPreset } from "../kernel/profiles/config.js";
import { REGION_DISJOINT, REGION_MIXED, regionIntersectsSystemRam, type Resource } from "../kernel/resource.js";
import { ev, hexRange, resourcesIn, size, systemRamIn, verdict, type Evidence, type Verdict } from "./evidence.js";
import { daxState, type DevDax } from "../kernel/drivers/dax.js";
import { kmemPlan, kmemRange } from "../kernel/drivers/dax-kmem.js";

export interface RangeExplanation {
  kind: "range";
  range: string;
  start: number;
  end: number;
  size: number;
  blocks: { block: number; state: string }[];
  resources: Evidence[];
  verdicts: Verdict[];
}

/** What QEMU would say about a pc-dimm at this place (from the machine layer, when there is one). */
export type DimmCheck = (addr: number, size: number) => { ok: true; slot: number; node: number } | { ok: false; error: string };

export interface ExplainContext {
  /** QEMU's device memory region (DIMM hotplug area). */
  deviceMemory?: { base: number; size: number } | null;
  /** QEMU's pre-plug checks for a pc-dimm. */
  dimmCheck?: DimmCheck;
  /** The plugged DIMMs (QEMU's side), to explain blocks a DIMM should have given. */
  dimms?: { id: string; addr: number; size: number }[];
}

/** What __request_region() would do with [start, end] (inclusive): the parent it lands under, or the conflict. */
function predictRequestRegion(k: Kernel, start: number, end: number): { ok: true; parent: Resource } | { ok: false; conflict: Resource; why: string } {
  let parent = k.iomem;
  for (;;) {
    if (start < parent.start || end > parent.end) return { ok: false, conflict: parent, why: `sticks out of "${parent.name}" (${hexRange(parent.start, parent.end)}), a container it overlaps` };
    const c = parent.children.find((r) => r.start <= end && start <= r.end);
    if (!c) return { ok: true, parent };
    if (c.flags.busy) return { ok: false, conflict: c, why: `overlaps the busy resource "${c.name}" (${hexRange(c.start, c.end)})` };
    parent = c;
  }
}

/** Sub-sections of [startPfn, endPfn) already populated (RAM or device memory), as byte ranges. */
function populatedSubsections(k: Kernel, startPfn: number, endPfn: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const sp = k.sparse;
  const first = sp.sectionNr(startPfn);
  const last = sp.sectionNr(endPfn - 1);
  const secs = last - first + 1 > sp.count ? sp.sectionNumbers().filter((n) => n >= first && n <= last) : Array.from({ length: last - first + 1 }, (_, i) => first + i);
  for (const nr of secs) {
    if (!sp.get(nr)) continue;
    const lo = Math.max(startPfn, nr * sp.pps);
    const hi = Math.min(endPfn, (nr + 1) * sp.pps);
    for (let p = lo - (lo % sp.ppss); p < hi; p += sp.ppss) {
      if (!sp.testSubsection(p)) continue;
      const last = out[out.length - 1];
      const s = p * k.geometry.pageSize;
      const e = (p + sp.ppss) * k.geometry.pageSize;
      if (last && last.end === s) last.end = e;
      else out.push({ start: s, end: e });
    }
  }
  return out;
}

/** "Linux 6.1 (preset debian-12-arm64) on arm64-4k". */
function kernelBuild(k: Kernel): string {
  const p = k.kernelProfile;
  return `Linux ${p.version} (${p.preset ? `preset ${p.preset}` : "no preset"}) on ${k.geometry.arch}`;
}

/** Where a build option's value comes from: the scenario's override, or the preset and its distribution config file. */
function buildSource(k: Kernel, opt: "ACPI_HOTPLUG_MEMORY" | "ZONE_DEVICE"): string {
  const p = k.kernelProfile;
  if (p.overrides[opt] !== undefined) return `machine.kernel.config CONFIG_${opt} (the scenario's override)`;
  const preset = p.preset ? findPreset(p.preset) : undefined;
  return preset ? `preset ${preset.name} (src/kernel/profiles/config.ts; its Debian config: test/kernel-configs/${preset.evidence.split(";")[0]})` : "src/kernel/profiles/config.ts";
}

/** Predicts __add_memory(nid, start, size) of plain System RAM (the ACPI DIMM path), step by step. */
export function predictHotAdd(k: Kernel, start: number, sz: number): Verdict {
  const how = `__add_memory(nid, ${hexRange(start, start + sz - 1)}) — what the ACPI driver does for a plugged DIMM`;
  const end = start + sz - 1;
  const gran = k.hotplugGranule;
  if (!built(k, "ACPI_HOTPLUG_MEMORY")) {
    return verdict({
      action: "hot-add", how, ok: false,
      reason: "nothing is added: this kernel is built without CONFIG_ACPI_HOTPLUG_MEMORY (Debian's arm64 kernels are), so no driver binds the DIMM's ACPI device PNP0C80 and __add_memory() is never called; QEMU and ACPI still accept the DIMM (_OST Device Check success) and its memory blocks never appear (writes to them: ENOENT)",
      rule: { kernel: "drivers/acpi/Makefile (acpi_memhotplug.o only with CONFIG_ACPI_HOTPLUG_MEMORY), drivers/acpi/acpi_memhotplug.c acpi_memory_device_add()", spec: `03 §3; build configuration ${buildSource(k, "ACPI_HOTPLUG_MEMORY")}` },
      evidence: [ev(`${kernelBuild(k)}: CONFIG_ACPI_HOTPLUG_MEMORY is not set`), ...resourcesIn(k, start, end + 1)],
      notes: [
        "hot-add memory on this kernel through virtio-mem, or an NVDIMM/devdax with dax kmem where ZONE_DEVICE is built (6.12)",
        "a kernel built with the driver: machine.kernel: {config: {CONFIG_ACPI_HOTPLUG_MEMORY: y}}",
      ],
    });
  }
  if (!(sz > 0 && end <= k.physmemEnd && start >= 0)) {
    return verdict({
      action: "hot-add", how, ok: false, errno: "E2BIG",
      reason: `the range exceeds the pluggable range [0x0-0x${k.physmemEnd.toString(16)}] (PHYSMEM_END): "Hotplug memory [...] exceeds maximum addressable range"`,
      rule: { kernel: "mm/memory_hotplug.c mhp_range_allowed(), register_memory_resource()", spec: "03 §3.1" },
      evidence: [ev("requested range", start, Math.max(start, end)), ev(`physmem end 0x${k.physmemEnd.toString(16)}`)],
    });
  }
  const rr = predictRequestRegion(k, start, end);
  if (!rr.ok) {
    return verdict({
      action: "hot-add", how, ok: false, errno: "EEXIST",
      reason: `__request_region() fails: the range ${rr.why}; register_memory_resource() returns -EEXIST`,
      rule: { kernel: "kernel/resource.c __request_region(), mm/memory_hotplug.c register_memory_resource()", spec: "03 §3.2" },
      evidence: [ev(`conflict: "${rr.conflict.name}" (${rr.conflict.flags.busy ? "busy" : "not busy"})`, rr.conflict.start, rr.conflict.end), ...resourcesIn(k, start, end + 1)],
    });
  }
  if (start % gran !== 0 || sz % gran !== 0) {
    const lo = Math.ceil(start / gran) * gran;
    const hi = Math.floor((start + sz) / gran) * gran;
    const evidence = [ev(`block size 0x${gran.toString(16)} (${size(gran)}); start is ${start % gran ? `0x${(start % gran).toString(16)} past a block boundary` : "aligned"}, size is ${sz % gran ? `0x${(sz % gran).toString(16)} more than a multiple` : "a multiple"}`)];
    if (hi > lo) evidence.push(ev(`the largest aligned range inside: ${size(hi - lo)}`, lo, hi - 1));
    return verdict({
      action: "hot-add", how, ok: false, errno: "EINVAL",
      reason: `start and size must be multiples of the memory block size: "Block size [0x${gran.toString(16)}] unaligned hotplug range: start 0x${start.toString(16)}, size 0x${sz.toString(16)}"`,
      rule: { kernel: "mm/memory_hotplug.c check_hotplug_memory_range()", spec: "03 §4 (step 1)" },
      evidence,
    });
  }
  const ps = k.geometry.pageSize;
  const pop = populatedSubsections(k, start / ps, (start + sz) / ps);
  if (pop.length) {
    return verdict({
      action: "hot-add", how, ok: false, errno: "EEXIST",
      reason: "part of the range already has populated sub-sections (device memory mapped there): sparse_add_section() fails with -EEXIST",
      rule: { kernel: "mm/sparse.c section_activate()/sparse_add_section(), arch/x86/mm/init_64.c add_pages()", spec: "03 §4 (step 8), 02 §3" },
      evidence: pop.map((p) => ev("populated sub-sections", p.start, p.end - 1)),
    });
  }
  const existing = k.blocksIn(start / ps, sz / ps);
  if (existing.length) {
    return verdict({
      action: "hot-add", how, ok: false, errno: "EEXIST",
      reason: `memory block device ${existing.map((b) => `memory${b.id}`).join(", ")} already exists in the range: create_memory_block_devices() fails with -EEXIST and everything is rolled back`,
      rule: { kernel: "drivers/base/memory.c create_memory_block_devices()", spec: "03 §4 (step 9)" },
      evidence: existing.map((b) => ev(`memory${b.id} (${b.state})`, b.startPfn * ps, (b.startPfn + b.nrPages) * ps - 1)),
    });
  }
  const blocks = sz / gran;
  const notes: string[] = [];
  if (rr.parent !== k.iomem) notes.push(`the new "System RAM" becomes a child of "${rr.parent.name}" and inherits its desc (${rr.parent.desc})`);
  const auto = k.params.autoOnlineBlocks;
  notes.push(auto === "offline" ? "auto_online_blocks is offline: the blocks stay offline until onlined" : `auto_online_blocks is ${auto}: the blocks are onlined at once`);
  if (sz === k.blockSize && k.params.memmapOnMemory) notes.push("memmap_on_memory: a single-block add keeps its memmap in its first pages");
  return verdict({
    action: "hot-add", how, ok: true,
    result: `adds ${blocks} memory block(s) memory${start / gran}${blocks > 1 ? `..memory${start / gran + blocks - 1}` : ""}, an iomem "System RAM" resource and a firmware memmap entry`,
    reason: "the range is within the pluggable range, free in /proc/iomem, block-aligned, and no block or sub-section exists there yet",
    rule: { kernel: "mm/memory_hotplug.c __add_memory()/add_memory_resource()", spec: "03 §3, 03 §4" },
    evidence: [ev(`block size 0x${gran.toString(16)}`), ...resourcesIn(k, start, end + 1)],
    notes,
  });
}

/** Predicts memremap_pages() of one range (device memory: pmem, device-dax, P2P). */
export function predictMapDevice(k: Kernel, start: number, sz: number): Verdict {
  const how = `memremap_pages() of ${hexRange(start, start + sz - 1)} (ZONE_DEVICE: pmem namespace, device-dax, PCI P2P)`;
  if (!built(k, "ZONE_DEVICE")) {
    return verdict({
      action: "map-device-memory", how, ok: false,
      reason: "this kernel is built without CONFIG_ZONE_DEVICE (Debian's 6.1 arm64): no memremap_pages(), so no fsdax or devdax namespaces (ndctl: \"Kernel does not support devdax mode\"), no dax_pmem, no kmem on NVDIMMs; only raw namespaces",
      rule: { kernel: "mm/Kconfig ZONE_DEVICE; drivers/nvdimm/Kconfig NVDIMM_PFN, NVDIMM_DAX (depend on ZONE_DEVICE)", spec: `06 §2; build configuration ${buildSource(k, "ZONE_DEVICE")}` },
      evidence: [ev(`${kernelBuild(k)}: CONFIG_ZONE_DEVICE is not set`)],
      notes: ["a kernel built with it: machine.kernel: {config: {CONFIG_ZONE_DEVICE: y}}"],
    });
  }
  const ps = k.geometry.pageSize;
  const end = start + sz - 1;
  const startPfn = Math.floor(start / ps);
  const endPfn = Math.floor(end / ps);
  const hit = k.pgmaps.filter((p) => (startPfn >= p.start && startPfn < p.end) || (endPfn >= p.start && endPfn < p.end));
  if (hit.length) {
    return verdict({
      action: "map-device-memory", how, ok: false, errno: "ENOMEM",
      reason: `the first or last pfn is already mapped by another pgmap (${hit.map((h) => h.owner).join(", ")}): "Conflicting mapping in same section"`,
      rule: { kernel: "mm/memremap.c pagemap_range()", spec: "06 §2 (step 2.2)" },
      evidence: hit.map((h) => ev(`pgmap of ${h.owner}`, h.start * ps, h.end * ps - 1)),
    });
  }
  const ram = regionIntersectsSystemRam(k.iomem, start, sz);
  if (ram !== REGION_DISJOINT) {
    return verdict({
      action: "map-device-memory", how, ok: false, errno: "ENXIO",
      reason: `region_intersects() says the range is ${ram === REGION_MIXED ? "partly" : "all"} System RAM: "attempted on ${ram === REGION_MIXED ? "mixed" : "ram"} region"`,
      rule: { kernel: "mm/memremap.c pagemap_range(), kernel/resource.c region_intersects()", spec: "06 §2 (step 2.3), 06 §2.1" },
      evidence: systemRamIn(k, start, end + 1).map((r) => ev(`"${r.name}"`, r.start, r.end)),
    });
  }
  if (!(sz > 0 && end <= k.physmemEnd)) {
    return verdict({
      action: "map-device-memory", how, ok: false, errno: "EINVAL",
      reason: "the range exceeds the pluggable range (PHYSMEM_END)",
      rule: { kernel: "mm/memory_hotplug.c mhp_range_allowed()", spec: "06 §2 (step 2.7), 03 §3.1" },
      evidence: [ev(`physmem end 0x${k.physmemEnd.toString(16)}`)],
    });
  }
  const sub = k.geometry.subsectionSize;
  if (start % sub !== 0 || sz % sub !== 0) {
    return verdict({
      action: "map-device-memory", how, ok: false, errno: "EINVAL",
      reason: `start and size must be multiples of the 2 MiB sub-section: "Misaligned __add_pages start: ..."`,
      rule: { kernel: "mm/memory_hotplug.c check_pfn_span() via __add_pages()", spec: "06 §2 (step 2.8), 02 §3" },
      evidence: [ev(`start mod 2 MiB = 0x${(start % sub).toString(16)}, size mod 2 MiB = 0x${(sz % sub).toString(16)}`)],
    });
  }
  const pop = populatedSubsections(k, startPfn, endPfn + 1);
  if (pop.length) {
    return verdict({
      action: "map-device-memory", how, ok: false, errno: "EEXIST",
      reason: "a sub-section of the range is already populated (RAM or other device memory): sparse_add_section() fails with -EEXIST",
      rule: { kernel: "mm/sparse.c section_activate()", spec: "06 §2 (step 2.8), 02 §3" },
      evidence: pop.map((p) => ev("populated sub-sections", p.start, p.end - 1)),
    });
  }
  const pps = k.sparse.pps;
  const notes: string[] = [];
  if (startPfn % pps !== 0 || (endPfn + 1) % pps !== 0) notes.push("the range does not fill whole 128 MiB sections: the partial sections are tainted ZONE_DEVICE (mixed with RAM blocks in the same memory block they would confuse pfn_to_online_page)");
  const shareBlock = k.blocksIn(Math.floor(startPfn / k.pagesPerBlock) * k.pagesPerBlock, Math.ceil((endPfn + 1) / k.pagesPerBlock) * k.pagesPerBlock - Math.floor(startPfn / k.pagesPerBlock) * k.pagesPerBlock);
  if (shareBlock.length) notes.push(`shares a memory block with System RAM block(s) ${shareBlock.map((b) => `memory${b.id}`).join(", ")}: that RAM can never be hot-removed as a whole block`);
  return verdict({
    action: "map-device-memory", how, ok: true,
    result: "mapped into the Device zone (no memory blocks, never online)",
    reason: "no pgmap conflict, no System RAM, within the pluggable range, 2 MiB aligned, no populated sub-section",
    rule: { kernel: "mm/memremap.c memremap_pages()", spec: "06 §2" },
    evidence: resourcesIn(k, start, end + 1),
    notes,
  });
}

/**
 * Predicts `daxctl reconfigure-device -m system-ram` of a dax device: what
 * dev_dax_kmem_probe() meets (kmemPlan(), the probe's own checks), then
 * whether each block-trimmed range is free in /proc/iomem.
 */
export function predictKmem(k: Kernel, d: DevDax): Verdict {
  const how = `daxctl reconfigure-device -m system-ram ${d.name} (dax kmem: dev_dax_kmem_probe())`;
  const rule = { kernel: "drivers/dax/kmem.c dev_dax_kmem_probe()", spec: "06 §6" };
  const ranges = d.ranges.map((r) => ev(`${d.name} range`, r.start, r.end));
  if (d.kmem) {
    return verdict({
      action: "dax-kmem", how, ok: true,
      result: d.driver === "kmem" ? "already System RAM (bound to kmem)" : "its memory stays System RAM: an earlier hot-remove failed (pinned until reboot)",
      reason: "kmem already added this device's memory", rule, evidence: ranges,
    });
  }
  const plan = kmemPlan(k, d);
  if (!plan.ok && plan.why === "invalid-node") {
    return verdict({
      action: "dax-kmem", how, ok: false, errno: plan.errno,
      reason: `the device has no target node (${plan.nid}): "rejecting DAX region with invalid node: ${plan.nid}" — its region's firmware description gave no proximity domain the kernel knows`,
      rule, evidence: [ev(`${d.name}: target_node ${plan.nid}`), ...ranges],
    });
  }
  if (!plan.ok) {
    return verdict({
      action: "dax-kmem", how, ok: false, errno: plan.errno,
      reason: `no whole memory block (${size(k.hotplugGranule)}) fits in the device: "rejecting DAX region without any memory after alignment"`,
      rule, evidence: [ev(`block size 0x${k.hotplugGranule.toString(16)}`), ...ranges],
    });
  }
  if (!plan.nodePossible) {
    return verdict({
      action: "dax-kmem", how, ok: false, errno: "EINVAL",
      reason: `target node ${plan.nid} is not a possible node, so memory_group_register_static() refuses it and the probe fails ("probe with driver kmem failed with error -22")${k.numaFirmware.kind === "acpi-faked" ? ": arm64 under ACPI runs one faked node (edk2's flash lies outside the SRAT), while phys_to_target_node() still finds the node the SRAT gave the NVDIMM's range" : ""}`,
      rule: { kernel: "drivers/dax/kmem.c dev_dax_kmem_probe(), mm/memory_hotplug.c memory_group_register_static()", spec: rule.spec },
      evidence: [ev(`${d.name}: target_node ${plan.nid}`), ev(`possible nodes: ${k.possibleNodes.join(", ")}`), ...ranges],
      notes: k.rules.kmemTruncationWarning && plan.whole > plan.total ? [`the probe still logs "DAX region truncated by ${size(plan.whole - plan.total)} due to alignment" first`] : [],
    });
  }
  const blocks: number[] = [];
  for (const r of d.ranges) {
    const t = kmemRange(k, r);
    if (!t) continue;
    // daxctl unbinds device_dax first, so the device's own claim is no conflict.
    const rr = predictRequestRegion(k, t.start, t.end);
    if (!rr.ok && rr.conflict.name !== d.name) {
      return verdict({
        action: "dax-kmem", how, ok: false, errno: "EBUSY",
        reason: `the block-trimmed range ${hexRange(t.start, t.end)} ${rr.why}: "could not reserve region"`,
        rule, evidence: [ev(`conflict: "${rr.conflict.name}"`, rr.conflict.start, rr.conflict.end), ...ranges],
      });
    }
    for (let a = t.start; a < t.end; a += k.hotplugGranule) blocks.push(a / k.hotplugGranule);
  }
  const lost = plan.whole - plan.total;
  return verdict({
    action: "dax-kmem", how, ok: true,
    result: `adds ${size(plan.total)} as System RAM (kmem) on node ${plan.nid}: ${blocks.length} block(s)${blocks.length ? ` memory${blocks[0]}${blocks.length > 1 ? `..memory${blocks[blocks.length - 1]}` : ""}` : ""}`,
    reason: "the device has a target node that is possible, and whole memory blocks in it",
    rule,
    evidence: [ev(`${d.name}: target_node ${plan.nid}`), ...ranges],
    notes: lost > 0 ? [`${size(lost)} of the device is trimmed to whole memory blocks and stays unused`] : [],
  });
}

/** Everything explain knows about an address range. */
export function explainRange(k: Kernel, start: number, sz: number, ctx: ExplainContext = {}): RangeExplanation {
  const ps = k.geometry.pageSize;
  const end = start + sz - 1;
  const verdicts: Verdict[] = [];
  if (ctx.dimmCheck) {
    const r = ctx.dimmCheck(start, sz);
    const dm = ctx.deviceMemory;
    verdicts.push(
      verdict({
        action: "plug-dimm",
        how: `QEMU device_add pc-dimm,addr=0x${start.toString(16)} (size ${size(sz)})`,
        ok: r.ok,
        result: r.ok ? `slot ${r.slot}, node ${r.node}` : undefined,
        reason: r.ok ? "QEMU accepts the DIMM: inside the device memory region, aligned, free, and a slot is free" : `QEMU refuses: ${r.error}`,
        rule: { kernel: "QEMU hw/mem/memory-device.c memory_device_get_free_addr(), hw/mem/pc-dimm.c pc_dimm_pre_plug()", spec: "QEMU (not in ../shared/spec; modelled in src/machine/memory-device.ts)" },
        evidence: dm ? [ev("QEMU device memory region", dm.base, dm.base + dm.size - 1)] : [ev("no device memory region (no maxmem)")],
      }),
    );
  }
  verdicts.push(predictHotAdd(k, start, sz), predictMapDevice(k, start, sz));
  // A dax device in the range: what handing it to kmem would do.
  for (const d of daxState(k).devices) if (d.ranges.some((r) => r.start <= end && start <= r.end)) verdicts.push(predictKmem(k, d));
  return {
    kind: "range",
    range: hexRange(start, end),
    start,
    end,
    size: sz,
    blocks: sz > 0 ? k.blocksIn(Math.floor(start / ps), Math.ceil(sz / ps)).map((b) => ({ block: b.id, state: b.state })) : [],
    resources: resourcesIn(k, start, end + 1),
    verdicts,
  };
}
