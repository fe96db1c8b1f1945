/**
 * Booting the model from a BootLayout: kernel command line, iomem, firmware
 * memmap, sparse sections, zones, memory blocks and node links.
 * Models the parts of setup_arch()/free_area_init() (zone spans),
 * memory_dev_init() and node_dev_init() that decide what hotplug sees.
 */
import { x86NumaInit } from "./numa-addr.js";
import type { BootLayout } from "../machine/types.js";
import { defaultBlockSize, GEOMETRIES, isArm64, validBlockSize, X86_64, zoneLimits } from "./arch.js";
import { firmwareMapAddEarly } from "./firmware-memmap.js";
import { preventBootmemRemoveInit } from "./arm64-mmu.js";
import { kstrtobool, memparse } from "./cmdline.js";
import { CRASH_ALIGN } from "./crash-reserve.js";
import { Kernel, type HotplugParams, type OnlineType } from "./kernel.js";
import { getProfile, type KernelProfile } from "./profile.js";
import { addBootMemoryBlock, linkBlockToNode, type MemoryBlock } from "./memory-block.js";
import { insertSpecs } from "./resource.js";
import { GiB, MiB } from "./units.js";
import { populatedZone, zoneIntersects, ZONE_DMA, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL, type ZoneIdx } from "./zone.js";
import { adjustZoneRange, parseCoreSize, zoneMovablePfns, type CoreSize } from "./zone-movable.js";

export const DEFAULT_PARAMS: HotplugParams = {
  autoOnlineBlocks: "offline",
  onlinePolicy: "contig-zones",
  autoMovableRatio: 301,
  autoMovableNumaAware: true,
  memmapOnMemory: false,
  memmapOnMemoryForce: false,
  movableNode: false,
};

const ONLINE_TYPES: OnlineType[] = ["offline", "online", "online_kernel", "online_movable"];

/** Parse the hotplug-related kernel command line words. */
export function paramsFromCmdline(cmdline: string[], profile: KernelProfile = getProfile("6.1")): { params: HotplugParams; memLimit: number | null; kaslr: boolean; kernelcore: CoreSize | null; movablecore: CoreSize | null } {
  const rules = profile.rules;
  // CONFIG_MHP_DEFAULT_ONLINE_TYPE: the boot value of auto_online_blocks; memmap_on_memory only when built.
  const p: HotplugParams = { ...DEFAULT_PARAMS, autoOnlineBlocks: profile.config.MHP_DEFAULT_ONLINE_TYPE };
  let memLimit: number | null = null;
  let kaslr = false; // the harness always boots with nokaslr
  let kernelcore: CoreSize | null = null;
  let movablecore: CoreSize | null = null;
  for (const w of cmdline) {
    const eq = w.indexOf("=");
    const key = eq < 0 ? w : w.slice(0, eq);
    const val = eq < 0 ? "" : w.slice(eq + 1);
    switch (key) {
      case "memhp_default_state": {
        // Before v5.7/5.8 only online/offline were known.
        const known = rules.autoOnlineZoneTypes ? ONLINE_TYPES : ONLINE_TYPES.slice(0, 2);
        const t = known.find((o) => o === val || o + "\n" === val);
        if (t) p.autoOnlineBlocks = t;
        break;
      }
      case "movable_node":
        p.movableNode = true;
        break;
      case "memory_hotplug.memmap_on_memory": {
        if (!rules.memmapOnMemory || !profile.config.MHP_MEMMAP_ON_MEMORY) break;
        if (rules.memmapOnMemoryForce && /^force\n?$/i.test(val)) {
          p.memmapOnMemory = true;
          p.memmapOnMemoryForce = true;
          break;
        }
        const b = kstrtobool(val);
        if (b !== null) p.memmapOnMemory = b;
        break;
      }
      case "memory_hotplug.online_policy":
        if (rules.onlinePolicies && (val === "contig-zones" || val === "auto-movable")) p.onlinePolicy = val as HotplugParams["onlinePolicy"];
        break;
      case "memory_hotplug.auto_movable_ratio":
        if (rules.onlinePolicies && /^\d+$/.test(val)) p.autoMovableRatio = Number(val);
        break;
      case "memory_hotplug.auto_movable_numa_aware": {
        if (!rules.onlinePolicies) break;
        const b = kstrtobool(val);
        if (b !== null) p.autoMovableNumaAware = b;
        break;
      }
      case "kaslr":
        kaslr = true;
        break;
      case "kernelcore":
        kernelcore = parseCoreSize(val) ?? kernelcore;
        break;
      case "movablecore":
        movablecore = parseCoreSize(val) ?? movablecore;
        break;
      case "mem":
        {
          const m = memparse(val);
          if (m && m.rest === "") memLimit = m.value;
        }
        break;
    }
  }
  return { params: p, memLimit, kaslr, kernelcore, movablecore };
}

/** x86_64 zone boundaries in pfns: DMA < 16 MiB, DMA32 < 4 GiB, Normal above. */
export function zoneOfPfnByAddress(pfn: number, pageSize: number): ZoneIdx {
  const a = pfn * pageSize;
  if (a < 16 * MiB) return ZONE_DMA;
  if (a < 4 * GiB) return ZONE_DMA32;
  return ZONE_NORMAL;
}

export interface BootOptions {
  cmdline: string[];
  blockSize?: number;
  /** Kernel version (default config) or a resolved profile (profile.ts resolveKernel). */
  profile?: string | KernelProfile;
  /** What-if memory block designs (see Kernel.blockDesign / singleOwner). */
  blockDesign?: "fixed" | "variable";
  singleOwner?: boolean;
}

/** Boot a Kernel from a machine's boot layout. */
export function bootKernel(layout: BootLayout, opts: BootOptions): Kernel {
  const g = layout.arch ? GEOMETRIES[layout.arch] : X86_64;
  const profile = typeof opts.profile === "object" ? opts.profile : getProfile(opts.profile);
  const { params, memLimit, kaslr, kernelcore, movablecore } = paramsFromCmdline(opts.cmdline, profile);
  const blockSize = opts.blockSize ?? defaultBlockSize(g, layout.bootMemEnd, layout.hypervisor);
  if (!validBlockSize(g, blockSize)) throw new RangeError(`Memory block size not suitable: 0x${blockSize.toString(16)}`);
  const archEnd = 2 ** (layout.physAddrBits ?? g.maxPhysmemBits) - 1;
  const physEnd = kaslr ? Math.min(archEnd, (Math.ceil(layout.bootMemEnd / (1024 * GiB)) + 10) * 1024 * GiB - 1) : archEnd;
  const k = new Kernel({ blockSize, params, geometry: g, profile, physmemEnd: physEnd });
  if (memLimit !== null) k.maxMemSize = memLimit;
  k.blockDesign = opts.blockDesign ?? "fixed";
  k.singleOwner = opts.singleOwner ?? false;
  k.possibleNodes = [...layout.possibleNodes].sort((a, b) => a - b);
  k.cpusByNode = { ...layout.cpusByNode };
  k.numaFirmware = layout.numaFirmware ?? x86NumaInit(layout);
  k.bootMemEnd = layout.bootMemEnd;
  k.maxPfn = layout.bootMemEnd / g.pageSize;

  insertSpecs(k.iomem, layout.iomem);
  for (const e of layout.e820) firmwareMapAddEarly(k, e.start, e.end, e.type);

  const ps = g.pageSize;
  // memblock_start_of_DRAM(): arm64's zone limits depend on it.
  const dramStart = layout.memblock.length ? Math.min(...layout.memblock.map((r) => r.start)) : 0;
  // Node spans and zones from memblock.
  const byNode = new Map<number, { start: number; end: number }[]>();
  for (const r of [...layout.memblock].sort((a, b) => a.start - b.start)) {
    const list = byNode.get(r.nid) ?? [];
    list.push({ start: r.start / ps, end: r.end / ps });
    byNode.set(r.nid, list);
    k.sparse.bootAddRange(r.start / ps, r.end / ps, r.nid);
  }
  // kernelcore= / movablecore=: where ZONE_MOVABLE starts on each node (zone-movable.ts).
  const limits = zoneLimits(g, dramStart);
  const allRanges = [...byNode.entries()].flatMap(([nid, rs]) => rs.map((r) => ({ ...r, nid })));
  const minPfn = allRanges.length ? Math.min(...allRanges.map((r) => r.start)) : 0;
  const maxPfn = allRanges.length ? Math.max(...allRanges.map((r) => r.end)) : 0;
  // arch_zone_lowest/highest_possible_pfn[]; the movable zone is the highest possible one below Movable.
  const lowest: number[] = [];
  const highest: number[] = [];
  for (let zi = 0; zi < 3; zi++) {
    lowest[zi] = zi === 0 ? minPfn : highest[zi - 1];
    highest[zi] = Math.max(Math.min(limits[zi] / ps, maxPfn), lowest[zi]);
  }
  const movableZone = [2, 1, 0].find((zi) => highest[zi] > lowest[zi]) ?? 0;
  const zmp = kernelcore || movablecore ? zoneMovablePfns(allRanges, kernelcore, movablecore, lowest[movableZone], g.maxOrderPages, ps) : new Map<number, number>();
  for (const [nid, ranges] of [...byNode.entries()].sort((a, b) => a[0] - b[0])) {
    const n = k.node(nid);
    n.pgdatInit = true;
    k.nodeOnline.add(nid);
    const nodeStart = Math.min(...ranges.map((r) => r.start));
    const nodeEnd = Math.max(...ranges.map((r) => r.end));
    let lo = 0;
    const movableStart = zmp.get(nid);
    for (let zi = 0; zi <= ZONE_MOVABLE; zi++) {
      const hi = zi < ZONE_MOVABLE ? limits[zi] / ps : lo;
      let zs = Math.max(lo, nodeStart);
      let ze = Math.min(hi, nodeEnd);
      if (movableStart !== undefined) ({ start: zs, end: ze } = adjustZoneRange(zi, zs, ze, nodeEnd, movableStart, highest[movableZone]));
      const z = n.zones[zi];
      if (ze > zs) {
        z.startPfn = zs;
        z.spanned = ze - zs;
        let present = 0;
        for (const r of ranges) present += Math.max(0, Math.min(r.end, ze) - Math.max(r.start, zs));
        z.present = present;
        z.presentEarly = present;
        z.managed = present;
        k.bootZoneSpans.push({ nid, idx: zi as ZoneIdx, start: zs, end: ze });
      }
      lo = hi;
    }
  }
  // Nodes with CPUs but no memory are brought online at boot as memory-less nodes.
  for (const nid of Object.keys(k.cpusByNode).map(Number)) {
    if ((k.cpusByNode[nid] ?? []).length > 0 && !k.nodeOnline.has(nid)) {
      k.node(nid).pgdatInit = true;
      k.nodeOnline.add(nid);
    }
  }
  for (const n of k.nodes.values()) {
    for (const z of n.zones) if (z.present > 0 && z.idx <= ZONE_NORMAL && z.idx > k.policyZone) k.policyZone = z.idx;
  }
  markBootReservations(k, layout);
  accountBootReservations(k);
  accountCma(k, layout);
  createBootBlocks(k, layout);
  setMemTotalBase(k);
  preventBootmemRemoveInit(k);
  k.running = true;
  return k;
}

/** cma_init_reserved_areas(): each CMA area's pages are its zone's cma_pages (an area lies in one zone). */
function accountCma(k: Kernel, layout: BootLayout): void {
  const ps = k.geometry.pageSize;
  for (const c of layout.cma ?? []) {
    const nid = layout.memblock.find((r) => r.start <= c.start && c.start < r.end)?.nid ?? 0;
    const z = k.node(nid).zones.find((z) => z.present > 0 && z.idx <= ZONE_NORMAL && z.startPfn <= c.start / ps && c.end / ps <= z.startPfn + z.spanned);
    if (z) z.cmaPages += (c.end - c.start) / ps;
    // An area that lies in one zone is activated: its pages go to the buddy allocator as MIGRATE_CMA (movable).
    if (z) k.cmaAreas.push({ start: c.start / ps, end: c.end / ps });
  }
}

/** Boot reservations are present but not managed (not in MemTotal). */
function accountBootReservations(k: Kernel): void {
  for (const n of k.nodes.values()) {
    for (const z of n.zones) {
      if (z.present === 0) continue;
      let reserved = 0;
      for (const u of k.unmovable) reserved += Math.max(0, Math.min(u.end, z.startPfn + z.spanned) - Math.max(u.start, z.startPfn));
      z.managed = Math.max(0, z.present - reserved);
    }
  }
}

/** Anchor MemTotal (total and per node) at the boot state. */
export function setMemTotalBase(k: Kernel, totalKb?: number, perNodeKb?: Record<number, number>): void {
  const per: Record<number, { kb: number; managed: number }> = {};
  let total = 0;
  for (const n of k.nodes.values()) {
    const m = n.zones.reduce((a, z) => a + z.managed, 0);
    total += m;
    per[n.nid] = { kb: perNodeKb?.[n.nid] ?? (m * k.geometry.pageSize) / 1024, managed: m };
  }
  k.memTotalBase = { total: { kb: totalKb ?? (total * k.geometry.pageSize) / 1024, managed: total }, perNode: per };
}

/** memory_dev_init() + node_dev_init(): boot blocks and their node links (and single zone). */
function createBootBlocks(k: Kernel, layout: BootLayout): void {
  const ps = k.geometry.pageSize;
  if (k.blockDesign === "variable") {
    // What-if: one block per boot RAM range, rounded out to sections (ranges sharing a section share the block).
    const pps = k.sparse.pps;
    const spans = layout.memblock
      .map((r) => ({ s: Math.floor(r.start / ps / pps) * pps, e: Math.ceil(r.end / ps / pps) * pps }))
      .sort((a, b) => a.s - b.s);
    const merged: { s: number; e: number }[] = [];
    for (const sp of spans) {
      const last = merged[merged.length - 1];
      if (last && sp.s < last.e) last.e = Math.max(last.e, sp.e);
      else merged.push({ ...sp });
    }
    for (const m of merged) addBootMemoryBlock(k, m.s / pps, m.e - m.s);
  } else {
    const spb = k.blockSize / k.geometry.sectionSize;
    const ids: number[] = [];
    for (const [first, last] of k.sparse.presentRuns()) {
      for (let id = Math.floor(first / spb); id <= Math.floor(last / spb); id++) {
        // Runs are sorted, so ids come out sorted: only neighbours can repeat.
        if (ids[ids.length - 1] !== id) ids.push(id);
      }
    }
    for (const id of ids) addBootMemoryBlock(k, id);
  }
  const firstOnline = k.onlineNodes()[0] ?? 0;
  const ranges = layout.memblock.map((r) => ({ start: r.start / ps, end: r.end / ps, nid: r.nid }));
  for (const nid of k.onlineNodes()) {
    const mine = ranges.filter((r) => r.nid === nid);
    if (mine.length === 0) continue;
    const spanStart = Math.min(...mine.map((r) => r.start));
    const spanEnd = Math.max(...mine.map((r) => r.end));
    // Boot blocks were created in address order: walk them directly.
    for (const b of k.blocks.values()) {
      if (b.startPfn + b.nrPages <= spanStart || b.startPfn >= spanEnd) continue;
      const bs = Math.max(b.startPfn, spanStart);
      const be = Math.min(b.startPfn + b.nrPages, spanEnd);
      if (!blockHasPfnOfNode(k, ranges, bs, be, nid, firstOnline)) continue;
      linkBlockToNode(k, b, nid, true, () => earlyZoneForBlock(k, nid, b));
    }
  }
}

/** Does [s, e) hold a pfn of a present section whose early nid is `nid` (holes count as the first online node)? */
function blockHasPfnOfNode(k: Kernel, ranges: { start: number; end: number; nid: number }[], s: number, e: number, nid: number, firstOnline: number): boolean {
  // Fast path: the block lies inside one of the node's ranges.
  for (const r of ranges) if (r.nid === nid && r.start <= s && e <= r.end) return true;
  const pps = k.sparse.pps;
  for (let sec = Math.floor(s / pps); sec * pps < e; sec++) {
    if (!k.sparse.get(sec)?.present) continue;
    const cs = Math.max(s, sec * pps);
    const ce = Math.min(e, (sec + 1) * pps);
    let covered = 0;
    for (const r of ranges) {
      const os = Math.max(cs, r.start);
      const oe = Math.min(ce, r.end);
      if (oe <= os) continue;
      if (r.nid === nid) return true;
      covered += oe - os;
    }
    if (covered < ce - cs && nid === firstOnline) return true;
  }
  return false;
}

/** early_node_zone_for_memory_block(): the one populated zone of the node intersecting the block, else none. */
function earlyZoneForBlock(k: Kernel, nid: number, b: MemoryBlock): { nid: number; idx: ZoneIdx } | null {
  let match: ZoneIdx | null = null;
  for (const z of k.node(nid).zones) {
    if (!populatedZone(z) || !zoneIntersects(z, b.startPfn, b.nrPages)) continue;
    if (match !== null) return null;
    match = z.idx;
  }
  return match === null ? null : { nid, idx: match };
}

/** About what QEMU's initrd (the oracle's initramfs) takes at the top of low RAM on x86 ("RAMDISK: [mem 0x7fafe000-0x7ffdffff]"). */
export const X86_INITRD_BYTES = 5 * MiB;

/**
 * Pages the kernel reserved at boot cannot be isolated: the kernel image,
 * and the memblock allocations made top-down at the end of each node's memory
 * (NODE_DATA, the memmap: 64 bytes per page) and of low memory (initrd, SWIOTLB).
 */
function markBootReservations(k: Kernel, layout: BootLayout): void {
  const ps = k.geometry.pageSize;
  if (isArm64(k.geometry)) {
    // arm64 lists every memblock reservation under System RAM: those pages stay PG_reserved.
    for (const ram of k.iomem.children) {
      for (const c of ram.children) {
        if (c.name === "reserved" || c.name.startsWith("Kernel ")) k.unmovable.push({ start: Math.floor(c.start / ps), end: Math.floor(c.end / ps) + 1, why: `boot reservation [mem ${"0x" + c.start.toString(16)}] (memblock, PG_reserved)` });
        // The crash kernel's reservation (crashkernel=) is memblock's too: a64-probe43-uefi-2g-at (offlining it: EBUSY, "failure to isolate range").
        if (c.name === "Crash kernel") k.unmovable.push({ start: Math.floor(c.start / ps), end: Math.floor(c.end / ps) + 1, why: "crash kernel reservation (crashkernel=, PG_reserved)" });
      }
    }
    return;
  }
  const image = k.iomem.children.flatMap((c) => c.children).filter((c) => c.name.startsWith("Kernel "));
  if (image.length) {
    k.unmovable.push({ start: Math.floor(image[0].start / ps), end: Math.floor(image[image.length - 1].end / ps) + 1, why: "kernel image (PG_reserved)" });
  }
  // The crash kernel's reservation (crashkernel=) sits under the initrd at the top of low memory; what memblock hands
  // out top-down afterwards (memmap, SWIOTLB) goes below it.
  const crashes = k.iomem.children.flatMap((c) => c.children).filter((c) => c.name === "Crash kernel");
  for (const c of crashes) k.unmovable.push({ start: Math.floor(c.start / ps), end: Math.floor(c.end / ps) + 1, why: "crash kernel reservation (crashkernel=, PG_reserved)" });
  // x86 reserves them under QEMU's initrd, or under NODE_DATA at the top of the highest RAM; what comes later goes below.
  const below = (end: number) => crashes.find((x) => x.start < end && end - x.end - 1 <= CRASH_ALIGN.x86_64 + X86_INITRD_BYTES)?.start ?? end;
  const byNode = new Map<number, number>();
  let present = 0;
  for (const r of layout.memblock) {
    byNode.set(r.nid, Math.max(byNode.get(r.nid) ?? 0, r.end));
    present += (r.end - r.start) / ps;
  }
  const lowTop = Math.max(0, ...layout.memblock.filter((r) => r.end <= 4 * GiB).map((r) => r.end));
  let swiotlbTop = lowTop;
  for (const [nid, nodeEnd] of byNode) {
    const nodePages = layout.memblock.filter((r) => r.nid === nid).reduce((a, r) => a + (r.end - r.start) / ps, 0);
    const bytes = nodePages * k.geometry.structPageSize + 4 * MiB;
    const end = below(nodeEnd);
    k.unmovable.push({ start: Math.floor((end - bytes) / ps), end: end / ps, why: `memblock allocations at the top of node ${nid} (memmap, NODE_DATA; PG_reserved)` });
    if (end !== nodeEnd && nodeEnd === lowTop) swiotlbTop = end - bytes;
  }
  // A low part under the initrd (crashkernel=,high with RAM above 4 GiB) pushes SWIOTLB below it.
  if (swiotlbTop === lowTop && below(lowTop) !== lowTop) swiotlbTop = below(lowTop);
  if (lowTop > 0) {
    const swiotlb = layout.memblock.some((r) => r.end > 4 * GiB) || layout.deviceMemory !== null ? 64 * MiB : 0;
    if (swiotlbTop === lowTop) {
      const bytes = X86_INITRD_BYTES + swiotlb;
      k.unmovable.push({ start: Math.floor((lowTop - bytes) / ps), end: lowTop / ps, why: "initrd and SWIOTLB at the top of low memory (PG_reserved)" });
    } else {
      k.unmovable.push({ start: Math.floor((lowTop - X86_INITRD_BYTES) / ps), end: lowTop / ps, why: "initrd at the top of low memory (PG_reserved)" });
      if (swiotlb) k.unmovable.push({ start: Math.floor((swiotlbTop - swiotlb) / ps), end: Math.ceil(swiotlbTop / ps), why: "SWIOTLB below the crash kernel and the memmap (PG_reserved)" });
    }
  }
  void present;
}
