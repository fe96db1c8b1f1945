/**
 * A dump of a machine's memory hotplug state — the files of a sysroot
 * (sys/devices/system/memory, node links, /proc/iomem, /proc/zoneinfo,
 * /sys/firmware/memmap, module parameters) as texts — turned into a snapshot
 * in the trace format, which importSnapshot() boots from. What a dump lacks
 * is inferred, and said so: no /proc/iomem → System RAM = the present memory
 * blocks; no /proc/zoneinfo → zone spans from the blocks' valid_zones and
 * x86_64 zone limits; no node directory → masks from the blocks' node links.
 * Pure (browser-safe). src/abi/dump-read.ts reads dumps from disk;
 * dump-attrs.ts reads the attribute texts, dump-infer.ts infers what is missing.
 */
import { quoteValue } from "./quote.js";
import { InputError } from "../errors.js";
import { formatSize, isPowerOfTwo } from "../kernel/units.js";
import { bad, hexNumber, nodeListOf, nodeListOk, oneLine, parseBlock } from "./dump-attrs.js";
import { checkIomemOverlap, inferZoneinfo, pagesIn, systemRam } from "./dump-infer.js";
import { guessArch } from "./dump-arch.js";
import { GEOMETRIES, zoneLimits, type ArchName } from "../kernel/arch.js";
import { parseIomem } from "./iomem-parse.js";
import { memTotal, parseZoneinfo } from "./proc-parse.js";
import type { Snapshot } from "./snapshot.js";

/** One file of a dump: its text and where it came from (for messages). */
export interface DumpFile {
  text: string;
  file: string;
}

export interface DumpBlock {
  /** memoryN */
  name: string;
  /** The block directory (for messages). */
  dir: string;
  /** Attribute files present in the directory, by name. */
  attrs: Record<string, DumpFile>;
  /** nodeN links of the directory. */
  nodes: number[];
  /** firmware_node link target as a kernel device path (/devices/…). */
  firmwareNode?: string;
}

export interface MachineDump {
  /** The dump's root (directory, archive or "live"), for messages. */
  source: string;
  blockSizeBytes?: DumpFile;
  autoOnlineBlocks?: DumpFile;
  blocks: DumpBlock[];
  /** Other files of sys/devices/system/memory (e.g. crash_hotplug of newer kernels), kept verbatim. */
  extraMemoryFiles?: Record<string, DumpFile>;
  /** /sys/devices/system/node: mask files, and per node its memoryN links and meminfo. */
  nodeMasks?: Record<string, DumpFile>;
  nodes?: { nid: number; memory: number[]; meminfo?: DumpFile; hasCpus?: boolean }[];
  memmap?: { dir: string; start?: DumpFile; end?: DumpFile; type?: DumpFile }[];
  params?: Record<string, DumpFile>;
  iomem?: DumpFile;
  zoneinfo?: DumpFile;
  meminfo?: DumpFile;
  /** /proc/sys/kernel/osrelease: the kernel release. */
  osrelease?: DumpFile;
}

export interface DumpImport {
  snapshot: Snapshot;
  /** What was not in the dump and how it was inferred. */
  inferred: string[];
  /** The architecture the dump was read as (given, or told by the dump, or x86_64 by default). */
  arch: ArchName;
}

const DEFAULT_PARAMS: Record<string, string> = {
  auto_movable_numa_aware: "Y",
  auto_movable_ratio: "301",
  memmap_on_memory: "N",
  online_policy: "contig-zones",
};

export { parseZoneinfo };

/** Turn a dump into a trace-format snapshot, inferring what it lacks. Bad files are located InputErrors. */
export function dumpToSnapshot(d: MachineDump, opts: { arch?: ArchName } = {}): DumpImport {
  const inferred: string[] = [];
  // The architecture decides the page and section size and the zone limits of what is inferred.
  const iomemSpecs = d.iomem && d.iomem.text.trim() !== "" ? parseIomem(d.iomem.text.split("\n").filter((l) => l.trim() !== ""), d.iomem.file) : null;
  const dumpedZones = d.zoneinfo ? parseZoneinfo(d.zoneinfo) : undefined;
  const guess = opts.arch ? null : guessArch(iomemSpecs, dumpedZones);
  const arch: ArchName = opts.arch ?? guess!.arch;
  if (guess) inferred.push(`architecture: ${arch} (${guess.why})`);
  const g = GEOMETRIES[arch];
  const SECTION = g.sectionSize;
  const PS = g.pageSize;
  if (!d.blockSizeBytes) throw new InputError("missing block_size_bytes (not a sys/devices/system/memory dump?)", { file: `${d.source}/sys/devices/system/memory/block_size_bytes` });
  const blockSize = hexNumber(d.blockSizeBytes, "block_size_bytes", false);
  if (!isPowerOfTwo(blockSize) || blockSize < SECTION) {
    throw bad(d.blockSizeBytes, `block size 0x${blockSize.toString(16)} is not a power of two of at least 0x${SECTION.toString(16)} (the ${arch} section size)`);
  }
  let autoOnline = "offline";
  if (d.autoOnlineBlocks) {
    autoOnline = oneLine(d.autoOnlineBlocks, "auto_online_blocks");
    if (!["offline", "online", "online_kernel", "online_movable"].includes(autoOnline)) throw bad(d.autoOnlineBlocks, `auto_online_blocks: unknown value ${quoteValue(autoOnline)}`);
  } else inferred.push("auto_online_blocks: absent, taken as offline");
  if (d.blocks.length === 0) throw new InputError("no memoryN block directories", { file: `${d.source}/sys/devices/system/memory` });
  const blocks = d.blocks.map((b) => parseBlock(b, blockSize, SECTION)).sort((a, b) => a.id - b.id);
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i].id === blocks[i - 1].id) throw new InputError(`block ${blocks[i].id} appears twice (${blocks[i - 1].src.name} and ${blocks[i].src.name})`, { file: blocks[i].src.dir });
  }
  // iomem: as dumped, or System RAM = the present blocks.
  let iomemLines: string[];
  let ram: { start: number; end: number }[];
  if (d.iomem) {
    iomemLines = d.iomem.text.split(/\r?\n/).filter((l) => l.trim() !== "");
    if (iomemLines.length === 0) throw bad(d.iomem, "empty /proc/iomem");
    const specs = parseIomem(iomemLines, d.iomem.file);
    checkIomemOverlap(d.iomem, specs);
    ram = systemRam(specs);
    // arm64 lists memblock memory the kernel does not map (nomap: EFI runtime, edk2's flash) as top-level "reserved": present memory too.
    if (arch.startsWith("arm64")) ram = [...ram, ...specs.filter((r) => r.name === "reserved").map((r) => ({ start: r.start, end: r.end + 1 }))].sort((a, b) => a.start - b.start);
    for (const b of blocks) {
      const s = b.id * blockSize;
      if (pagesIn(ram, s, s + blockSize, PS).length === 0) {
        throw bad(d.iomem, `memory${b.id} (${s.toString(16)}-${(s + blockSize - 1).toString(16)}) holds no System RAM here: is this iomem from another machine?`);
      }
    }
  } else {
    ram = [];
    for (const b of blocks) {
      const s = b.id * blockSize;
      const last = ram[ram.length - 1];
      if (last && last.end === s) last.end = s + blockSize;
      else ram.push({ start: s, end: s + blockSize });
    }
    iomemLines = ram.map((r) => `${r.start.toString(16).padStart(8, "0")}-${(r.end - 1).toString(16).padStart(8, "0")} : System RAM`);
    inferred.push("/proc/iomem: absent, System RAM = the present memory blocks (no holes, no reserved ranges)");
  }
  let zoneinfo: Snapshot["zoneinfo"];
  if (dumpedZones) zoneinfo = dumpedZones;
  else {
    zoneinfo = inferZoneinfo(blocks, ram, blockSize, g);
    const [dma, dma32] = zoneLimits(g, ram.length ? Math.min(...ram.map((r) => r.start)) : 0).map((x) => (x === Number.MAX_SAFE_INTEGER ? "none" : formatSize(x)));
    inferred.push(`/proc/zoneinfo: absent, zone spans inferred from the blocks' valid_zones and the ${arch} zone limits (${dma}, ${dma32})`);
  }
  // Nodes: links and masks as dumped, or from the blocks' links.
  const linkNodes = new Set<number>();
  for (const b of blocks) for (const n of b.src.nodes) linkNodes.add(n);
  const nodeMemory = new Map<number, string[]>();
  const nodeMeminfo = new Map<number, string>();
  if (d.nodes && d.nodes.length) {
    for (const n of d.nodes) {
      nodeMemory.set(n.nid, [...n.memory].sort((a, b) => a - b).map((m) => `memory${m}`));
      if (n.meminfo) nodeMeminfo.set(n.nid, memTotal(n.meminfo));
    }
  } else {
    for (const nid of linkNodes) nodeMemory.set(nid, blocks.filter((b) => b.src.nodes.includes(nid)).map((b) => `memory${b.id}`));
    inferred.push("/sys/devices/system/node: absent, node links from the blocks' nodeN links");
  }
  const withMemory = new Set<number>();
  const withNormal = new Set<number>();
  for (const [key, zs] of Object.entries(zoneinfo)) {
    const nid = Number(key.slice(4));
    for (const [zone, z] of Object.entries(zs)) {
      if (z.present === 0 || zone === "Device") continue;
      withMemory.add(nid);
      if (zone !== "Movable") withNormal.add(nid);
    }
  }
  const masks: Record<string, string> = {};
  const maskNames = ["possible", "online", "has_normal_memory", "has_memory", "has_cpu", "has_generic_initiator"];
  const nodeIds = nodeMemory.size ? [...nodeMemory.keys()] : [0];
  const defaults: Record<string, string> = {
    possible: nodeListOf(nodeIds),
    online: nodeListOf(nodeIds),
    has_normal_memory: nodeListOf(withNormal),
    has_memory: nodeListOf(withMemory),
    has_cpu: nodeListOf(d.nodes?.some((n) => n.hasCpus !== undefined) ? d.nodes.filter((n) => n.hasCpus).map((n) => n.nid) : nodeIds),
    has_generic_initiator: "",
  };
  const missingMasks: string[] = [];
  for (const name of maskNames) {
    const f = d.nodeMasks?.[name];
    if (f) masks[name] = nodeListOk(f, name);
    else {
      masks[name] = defaults[name];
      missingMasks.push(name);
    }
  }
  if (missingMasks.length) inferred.push(`node masks ${missingMasks.join(", ")}: absent, inferred from links and zones`);
  // MemTotal: only differences from boot matter; anchor at the dump's value or the present pages.
  let presentKb = 0;
  for (const zs of Object.values(zoneinfo)) for (const [zone, z] of Object.entries(zs)) if (zone !== "Device") presentKb += (z.present * PS) / 1024;
  let total: string;
  if (d.meminfo) total = memTotal(d.meminfo);
  else {
    total = `${presentKb} kB`;
    inferred.push("MemTotal: absent, taken as the present pages");
  }
  const nodes: Snapshot["node"]["nodes"] = {};
  for (const nid of [...nodeMemory.keys()].sort((a, b) => a - b)) {
    let kb = nodeMeminfo.get(nid);
    if (kb === undefined) {
      let p = 0;
      for (const [zone, z] of Object.entries(zoneinfo[`node${nid}`] ?? {})) if (zone !== "Device") p += (z.present * PS) / 1024;
      kb = `${p} kB`;
    }
    nodes[`node${nid}`] = { memory: nodeMemory.get(nid)!, MemTotal: kb };
  }
  // Firmware memmap.
  const memmap: Snapshot["firmware_memmap"] = [];
  if (d.memmap) {
    for (const e of d.memmap) {
      const index = Number(/(\d+)$/.exec(e.dir)?.[1] ?? NaN);
      if (!e.start || !e.end || !e.type) throw new InputError(`missing ${!e.start ? "start" : !e.end ? "end" : "type"} (truncated dump?)`, { file: e.dir });
      const start = hexNumber(e.start, "start", true);
      const end = hexNumber(e.end, "end", true);
      if (end < start) throw bad(e.end, `end 0x${end.toString(16)} is below start 0x${start.toString(16)}`);
      memmap.push({ index, start: `0x${start.toString(16)}`, end: `0x${end.toString(16)}`, type: oneLine(e.type, "type") });
    }
    memmap.sort((a, b) => a.index - b.index);
    const byAddr = [...memmap].sort((a, b) => Number(a.start) - Number(b.start));
    for (let i = 1; i < byAddr.length; i++) {
      if (Number(byAddr[i].start) <= Number(byAddr[i - 1].end)) {
        const e = d.memmap.find((x) => x.dir.endsWith(`/${byAddr[i].index}`));
        throw new InputError(`firmware memmap entry ${byAddr[i].index} (${byAddr[i].start}-${byAddr[i].end}) overlaps entry ${byAddr[i - 1].index} (${byAddr[i - 1].start}-${byAddr[i - 1].end})`, { file: e?.dir ?? d.source });
      }
    }
  } else inferred.push("/sys/firmware/memmap: absent, left empty");
  // Module parameters.
  const params: Record<string, string> = {};
  const missingParams: string[] = [];
  for (const [name, def] of Object.entries(DEFAULT_PARAMS)) {
    const f = d.params?.[name];
    if (!f) {
      params[name] = def;
      missingParams.push(name);
      continue;
    }
    const v = oneLine(f, name);
    const ok = name === "auto_movable_ratio" ? /^\d+$/.test(v) : name === "online_policy" ? ["contig-zones", "auto-movable"].includes(v) : v === "Y" || v === "N";
    if (!ok) throw bad(f, `${name}: unexpected value ${quoteValue(v)}`);
    params[name] = v;
  }
  if (missingParams.length) inferred.push(`module parameters ${missingParams.join(", ")}: absent, kernel defaults`);
  const snapshot: Snapshot = {
    iomem: iomemLines,
    meminfo: { MemTotal: total },
    zoneinfo,
    memory: {
      block_size_bytes: blockSize.toString(16),
      auto_online_blocks: autoOnline,
      blocks: Object.fromEntries(blocks.map((b) => [`memory${b.id}`, b.snap])),
    },
    node: { masks, nodes },
    firmware_memmap: memmap,
    memory_hotplug_params: params,
    imported_from: d.source,
  };
  const extra = Object.entries(d.extraMemoryFiles ?? {});
  if (extra.length) snapshot.extra_files = Object.fromEntries(extra.map(([n, f]) => [n, f.text]));
  return { snapshot, inferred, arch };
}
