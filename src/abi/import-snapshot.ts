/**
 * Import: build the model's boot state from a dump of a real kernel — an
 * oracle snapshot (iomem, memory blocks, zone spans, node masks) or the same
 * data read from a live machine. Zone spans, when present, are taken as they
 * are; when absent (a plain sysfs dump) they are inferred from iomem.
 */
import { mergeMemblockRanges } from "../machine/memblock-ranges.js";
import type { KernelProfile } from "../kernel/profile.js";
import { bootKernel, setMemTotalBase } from "../kernel/boot.js";
import type { Kernel, OnlineType } from "../kernel/kernel.js";
import { addBootMemoryBlock, type MemoryBlock } from "../kernel/memory-block.js";
import { sysfsWrite } from "../kernel/sysfs.js";
import { validZones } from "../kernel/zone-policy.js";
import { GiB } from "../kernel/units.js";
import { ZONE_NAMES, ZONE_NORMAL, type ZoneIdx } from "../kernel/zone.js";
import { InputError } from "../errors.js";
import type { BootLayout, E820Type, MemblockRange } from "../machine/types.js";
import { GEOMETRIES, type ArchName } from "../kernel/arch.js";
import { parseIomem } from "./iomem-parse.js";
import type { Snapshot } from "./snapshot.js";

function parseNodeList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(",").filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new InputError(`bad node list "${s}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function kb(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d+) kB$/.exec(s.trim());
  return m ? Number(m[1]) : undefined;
}

/** The BootLayout a snapshot implies (RAM from iomem, nodes from zone spans). */
export function layoutFromSnapshot(s: Snapshot, arch?: ArchName, deviceMemory: BootLayout["deviceMemory"] = null): BootLayout {
  const iomem = parseIomem(s.iomem);
  const ps = arch ? GEOMETRIES[arch].pageSize : 4096;
  const ram = iomem.filter((r) => r.name === "System RAM");
  // Where each node's memory lies: its zones' spans (not min..max of them: a node's Normal
  // zone may span hot-added memory far above another node's boot memory).
  const nodeSpans: { nid: number; start: number; end: number }[] = [];
  for (const [name, zones] of Object.entries(s.zoneinfo ?? {})) {
    const nid = Number(name.replace(/^node/, ""));
    for (const [zname, z] of Object.entries(zones)) {
      if (zname === "Device" || !z.spanned || z.start_pfn === null) continue;
      nodeSpans.push({ nid, start: z.start_pfn * ps, end: (z.start_pfn + z.spanned) * ps });
    }
  }
  const memblock: MemblockRange[] = [];
  for (const r of ram) {
    const start = Math.ceil(r.start / ps) * ps;
    const end = Math.floor((r.end + 1) / ps) * ps;
    if (end <= start) continue;
    if (nodeSpans.length === 0) {
      memblock.push({ start, end, nid: 0 });
      continue;
    }
    // Each piece of RAM to one node: the tightest zone span holding it (a zone that also spans
    // another node's memory, e.g. hot-added above it, is wider than that node's own zone).
    let pieces = [{ start, end }];
    for (const n of [...nodeSpans].sort((x, y) => x.end - x.start - (y.end - y.start) || x.start - y.start)) {
      const rest: { start: number; end: number }[] = [];
      for (const p of pieces) {
        const a = Math.max(p.start, n.start);
        const b = Math.min(p.end, n.end);
        if (b <= a) {
          rest.push(p);
          continue;
        }
        memblock.push({ start: a, end: b, nid: n.nid });
        if (p.start < a) rest.push({ start: p.start, end: a });
        if (b < p.end) rest.push({ start: b, end: p.end });
      }
      pieces = rest;
    }
  }
  // Adjacent pieces of one node are one memblock range.
  const merged = mergeMemblockRanges(memblock);
  const possible = s.node?.masks?.possible ? parseNodeList(s.node.masks.possible) : [0];
  const withCpu = s.node?.masks?.has_cpu ? parseNodeList(s.node.masks.has_cpu) : [0];
  const cpusByNode: Record<number, number[]> = {};
  for (const n of withCpu) cpusByNode[n] = [n];
  const e820 = (s.firmware_memmap ?? []).map((e) => ({ start: Number(e.start), end: Number(e.end), type: e.type as E820Type }));
  const bootMemEnd = Math.max(0, ...merged.map((r) => r.end));
  return {
    e820,
    iomem,
    memblock: merged,
    possibleNodes: possible,
    cpusByNode,
    sratHotplug: [],
    // The machine's hotplug region (QEMU's device memory): the kernel sizes its boot allocations (SWIOTLB) by it.
    deviceMemory,
    legacyPmem: [],
    nvdimms: [],
    virtioMem: [],
    bootMemEnd,
    hypervisor: true,
    arch,
  };
}

/**
 * An online block whose valid_zones reads `none` on a kernel that says so for
 * blocks sharing device pages (validZonesNoneWithDevicePages) still lies in one zone: the
 * populated zone of its node whose span holds the whole block, if one does.
 */
function zoneSpanning(k: Kernel, b: MemoryBlock): { nid: number; idx: ZoneIdx } | null {
  if (!k.rules.validZonesNoneWithDevicePages) return null;
  const n = k.node(b.nid);
  const z = n.zones.find((z) => z.present > 0 && z.startPfn <= b.startPfn && b.startPfn + b.nrPages <= z.startPfn + z.spanned);
  return z ? { nid: b.nid, idx: z.idx } : null;
}

/** Boot a kernel from a snapshot and make its state equal to what the snapshot shows. */
export function importSnapshot(s: Snapshot, opts: { cmdline?: string[]; profile?: KernelProfile; arch?: ArchName; deviceMemory?: BootLayout["deviceMemory"]; numaFirmware?: BootLayout["numaFirmware"]; cma?: BootLayout["cma"] } = {}): Kernel {
  const layout = { ...layoutFromSnapshot(s, opts.arch, opts.deviceMemory ?? null), ...(opts.numaFirmware ? { numaFirmware: opts.numaFirmware } : {}), ...(opts.cma ? { cma: opts.cma } : {}) };
  const blockSize = parseInt(s.memory.block_size_bytes, 16);
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) throw new InputError(`bad block_size_bytes "${s.memory.block_size_bytes}"`);
  const p = s.memory_hotplug_params ?? {};
  const cmdline = [...(opts.cmdline ?? [])];
  if (p.memmap_on_memory === "Y") cmdline.push("memory_hotplug.memmap_on_memory=1");
  if (p.online_policy) cmdline.push(`memory_hotplug.online_policy=${p.online_policy}`);
  if (p.auto_movable_ratio) cmdline.push(`memory_hotplug.auto_movable_ratio=${p.auto_movable_ratio}`);
  if (p.auto_movable_numa_aware) cmdline.push(`memory_hotplug.auto_movable_numa_aware=${p.auto_movable_numa_aware}`);
  const k = bootKernel(layout, { cmdline, blockSize, profile: opts.profile });
  if (s.memory.auto_online_blocks) k.params.autoOnlineBlocks = s.memory.auto_online_blocks.trim() as OnlineType;
  // Zone spans and present pages exactly as the snapshot shows them.
  for (const [name, zones] of Object.entries(s.zoneinfo ?? {})) {
    const n = k.node(Number(name.replace(/^node/, "")));
    for (const [zname, z] of Object.entries(zones)) {
      const idx = ZONE_NAMES.indexOf(zname as (typeof ZONE_NAMES)[number]) as ZoneIdx;
      if (idx < 0) continue;
      const zone = n.zones[idx];
      zone.spanned = z.spanned;
      zone.startPfn = z.spanned ? z.start_pfn ?? zone.startPfn : 0;
      const delta = z.present - zone.present;
      zone.present = z.present;
      zone.presentEarly = z.present;
      zone.managed = Math.max(0, zone.managed + delta);
      if (z.present > 0 && idx <= ZONE_NORMAL && idx > k.policyZone) k.policyZone = idx;
    }
  }
  // Blocks: the snapshot's set, states and zones.
  const want = new Set(Object.keys(s.memory.blocks).map((n) => Number(n.replace(/^memory/, ""))));
  for (const id of [...k.blocks.keys()]) if (!want.has(id)) k.blocks.delete(id);
  for (const [name, b] of Object.entries(s.memory.blocks)) {
    const id = Number(name.replace(/^memory/, ""));
    const blk = k.blocks.get(id) ?? addBootMemoryBlock(k, id);
    blk.nodeLinks = (b.nodes ?? []).map((n) => Number(n.replace(/^node/, "")));
    blk.nid = blk.nodeLinks.length ? blk.nodeLinks[blk.nodeLinks.length - 1] : -1;
    // Machine files: attributes an older or other kernel showed differently, and the ACPI binding.
    if (s.imported_from !== undefined) {
      if (b.removable !== undefined && b.removable !== "1") blk.imported = { ...blk.imported, removable: b.removable };
      if (b.phys_device !== undefined && b.phys_device !== "0") blk.imported = { ...blk.imported, phys_device: b.phys_device };
      if (b.firmware_node) blk.firmwareNode = b.firmware_node;
    }
    blk.state = b.state === "online" ? "online" : "offline";
    blk.devOffline = b.online === "0";
    if (blk.state === "online") {
      const zi = ZONE_NAMES.indexOf(b.valid_zones as (typeof ZONE_NAMES)[number]);
      blk.zone = zi >= 0 && blk.nodeLinks.length === 1 ? { nid: blk.nid, idx: zi as ZoneIdx } : b.valid_zones === "none" && blk.nodeLinks.length === 1 ? zoneSpanning(k, blk) : null;
    } else {
      blk.zone = null;
      k.sparse.setOnline(blk.startPfn, blk.nrPages, false);
    }
  }
  // valid_zones that a dump's kernel computed differently from this one: shown as dumped until something changes.
  const dumped = new Map<number, string>();
  for (const [name, b] of s.imported_from !== undefined ? Object.entries(s.memory.blocks) : []) {
    const id = Number(name.replace(/^memory/, ""));
    const blk = k.blocks.get(id);
    if (blk && b.valid_zones !== undefined && b.valid_zones !== validZones(k, blk)) dumped.set(id, b.valid_zones);
  }
  k.dumpedValidZones = dumped.size ? dumped : null;
  const perNode: Record<number, number> = {};
  for (const [name, n] of Object.entries(s.node?.nodes ?? {})) {
    const v = kb(n.MemTotal);
    if (v !== undefined) perNode[Number(name.replace(/^node/, ""))] = v;
  }
  setMemTotalBase(k, kb(s.meminfo?.MemTotal), perNode);
  void sysfsWrite;
  void GiB;
  return k;
}
