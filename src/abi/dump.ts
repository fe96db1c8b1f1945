/**
 * A dump of a machine's memory hotplug state — the files of a sysroot
 * (sys/devices/system/memory, node links, /proc/iomem, /proc/zoneinfo,
 * /sys/firmware/memmap, module parameters) as texts — turned into a snapshot
 * in the trace format, which importSnapshot() boots from. What a dump lacks
 * is inferred, and said so: no /proc/iomem → System RAM = the present memory
 * blocks; no /proc/zoneinfo → zone spans from the blocks' valid_zones and
 * x86_64 zone limits; no node directory → masks from the blocks' node links.
 * Pure (browser-safe); src/abi/dump-read.ts reads dumps from disk.
 */
import { InputError } from "../errors.js";
import { GiB, MiB, isPowerOfTwo } from "../kernel/units.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import type { IomemSpec } from "../machine/types.js";
import { parseIomem } from "./iomem-parse.js";
import { memTotal, parseZoneinfo } from "./proc-parse.js";
import type { BlockSnapshot, Snapshot } from "./snapshot.js";

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
}

export interface DumpImport {
  snapshot: Snapshot;
  /** What was not in the dump and how it was inferred. */
  inferred: string[];
}

const PS = 4096;
const SECTION = 128 * MiB;
const ZONE_LIMITS = [16 * MiB, 4 * GiB, Number.MAX_SAFE_INTEGER];
const ZONES = ZONE_NAMES as readonly string[];

function bad(f: DumpFile, message: string, line?: number): InputError {
  return new InputError(message, line === undefined ? { file: f.file } : { file: f.file, line });
}

/** The single line of a sysfs attribute (one trailing newline); empty or multi-line files are errors. */
function oneLine(f: DumpFile, what: string): string {
  if (f.text === "") throw bad(f, `empty ${what} (truncated dump?)`);
  const t = f.text.endsWith("\n") ? f.text.slice(0, -1) : f.text;
  if (t.includes("\n")) throw bad(f, `${what}: expected one line, got ${t.split("\n").length}`);
  return t;
}

function hexNumber(f: DumpFile, what: string, prefix: boolean): number {
  const t = oneLine(f, what).trim();
  const m = (prefix ? /^0x([0-9a-f]+)$/i : /^(?:0x)?([0-9a-f]+)$/i).exec(t);
  if (!m) throw bad(f, `${what}: not a ${prefix ? "0x-prefixed " : ""}hexadecimal number: ${JSON.stringify(t)}`);
  const v = parseInt(m[1], 16);
  if (!Number.isSafeInteger(v)) throw bad(f, `${what}: ${t} is out of range`);
  return v;
}

function nodeListOk(f: DumpFile, what: string): string {
  const t = f.text.endsWith("\n") ? f.text.slice(0, -1) : f.text;
  if (t !== "" && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t)) throw bad(f, `${what}: not a node list (like 0-1,3): ${JSON.stringify(t)}`);
  return t;
}

function nodeListOf(ids: Iterable<number>): string {
  const s = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** The outermost busy System RAM ranges of an iomem tree (end exclusive), in order. */
function systemRam(specs: IomemSpec[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const visit = (list: IomemSpec[]) => {
    for (const r of list) {
      if (r.sysram && r.busy) out.push({ start: r.start, end: r.end + 1 });
      else visit(r.children ?? []);
    }
  };
  visit(specs);
  return out.sort((a, b) => a.start - b.start);
}

/** Siblings of an iomem tree must not overlap (the kernel's tree never does). */
function checkIomemOverlap(f: DumpFile, specs: IomemSpec[]): void {
  const lines = f.text.split("\n");
  const lineOf = (r: IomemSpec) => {
    const i = lines.findIndex((l) => l.trim() === `${r.start.toString(16).padStart(8, "0")}-${r.end.toString(16).padStart(8, "0")} : ${r.name}`);
    return i < 0 ? undefined : i + 1;
  };
  const visit = (list: IomemSpec[]) => {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1];
      const b = sorted[i];
      if (b.start <= a.end) throw bad(f, `"${b.name}" ${b.start.toString(16)}-${b.end.toString(16)} overlaps "${a.name}" ${a.start.toString(16)}-${a.end.toString(16)}`, lineOf(b));
    }
    for (const r of list) visit(r.children ?? []);
  };
  visit(specs);
}

function pagesIn(ram: { start: number; end: number }[], s: number, e: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of ram) {
    const a = Math.ceil(Math.max(s, r.start) / PS);
    const b = Math.floor(Math.min(e, r.end) / PS);
    if (b > a) out.push({ start: a, end: b });
  }
  return out;
}

interface ParsedBlock {
  id: number;
  snap: BlockSnapshot;
  src: DumpBlock;
}

function parseBlock(b: DumpBlock, blockSize: number): ParsedBlock {
  const m = /^memory(\d+)$/.exec(b.name);
  if (!m) throw new InputError(`not a memory block directory name`, { file: b.dir });
  const id = Number(m[1]);
  const attr = (name: string) => b.attrs[name];
  const stateF = attr("state");
  if (!stateF) throw new InputError("missing state (truncated dump?)", { file: `${b.dir}/state` });
  const state = oneLine(stateF, "state");
  if (!["online", "offline", "going-offline"].includes(state)) throw bad(stateF, `state: expected online, offline or going-offline, got ${JSON.stringify(state)}`);
  let online = state === "offline" ? "0" : "1";
  if (attr("online")) {
    online = oneLine(attr("online"), "online");
    if (online !== "0" && online !== "1") throw bad(attr("online"), `online: expected 0 or 1, got ${JSON.stringify(online)}`);
  }
  const sectionsPerBlock = blockSize / SECTION;
  let physIndex = id.toString(16).padStart(8, "0");
  if (attr("phys_index")) {
    const v = hexNumber(attr("phys_index"), "phys_index", false);
    if (v !== id) throw bad(attr("phys_index"), `phys_index ${v.toString(16)} does not match ${b.name} (block ${id}; ${sectionsPerBlock} sections per block)`);
    physIndex = oneLine(attr("phys_index"), "phys_index");
  }
  let physDevice = "0";
  if (attr("phys_device")) {
    physDevice = oneLine(attr("phys_device"), "phys_device");
    if (!/^\d+$/.test(physDevice)) throw bad(attr("phys_device"), `phys_device: not a decimal number: ${JSON.stringify(physDevice)}`);
  }
  let removable = "1";
  if (attr("removable")) {
    removable = oneLine(attr("removable"), "removable");
    if (removable !== "0" && removable !== "1") throw bad(attr("removable"), `removable: expected 0 or 1, got ${JSON.stringify(removable)}`);
  }
  let validZones = "";
  if (attr("valid_zones")) {
    validZones = oneLine(attr("valid_zones"), "valid_zones");
    for (const w of validZones.split(" ")) {
      if (w !== "none" && !ZONES.includes(w)) throw bad(attr("valid_zones"), `valid_zones: unknown zone ${JSON.stringify(w)}`);
    }
  }
  const snap: BlockSnapshot = {
    phys_index: physIndex,
    state,
    online,
    phys_device: physDevice,
    removable,
    valid_zones: validZones,
    nodes: [...b.nodes].sort((x, y) => x - y).map((n) => `node${n}`),
  };
  if (b.firmwareNode) snap.firmware_node = b.firmwareNode;
  return { id, snap, src: b };
}

/** The zone of each online block's pages: its valid_zones word, or by address when it has none. */
function inferZoneinfo(blocks: ParsedBlock[], ram: { start: number; end: number }[], blockSize: number): Snapshot["zoneinfo"] {
  const acc = new Map<string, { lo: number; hi: number; present: number }>();
  const add = (nid: number, zone: string, start: number, end: number) => {
    const key = `${nid}/${zone}`;
    const a = acc.get(key) ?? { lo: Infinity, hi: -Infinity, present: 0 };
    a.lo = Math.min(a.lo, start);
    a.hi = Math.max(a.hi, end);
    a.present += end - start;
    acc.set(key, a);
  };
  const nodes = new Set<number>();
  for (const b of blocks) {
    const nid = b.src.nodes.length ? Math.min(...b.src.nodes) : 0;
    nodes.add(nid);
    if (b.snap.state === "offline") continue;
    const words = b.snap.valid_zones.split(" ");
    const s = b.id * blockSize;
    for (const r of pagesIn(ram, s, s + blockSize)) {
      if (words.length === 1 && ZONES.includes(words[0])) {
        add(nid, words[0], r.start, r.end);
        continue;
      }
      // A block in several zones (memory0: DMA and DMA32): split by the x86_64 zone limits.
      let lo = 0;
      for (let zi = 0; zi < 3; zi++) {
        const hi = ZONE_LIMITS[zi] / PS;
        const a = Math.max(lo, r.start);
        const e = Math.min(hi, r.end);
        if (e > a) add(nid, ZONES[zi], a, e);
        lo = hi;
      }
    }
  }
  const out: Snapshot["zoneinfo"] = {};
  for (const nid of [...nodes].sort((a, b) => a - b)) {
    const zs: Snapshot["zoneinfo"][string] = {};
    for (const zone of ZONES) {
      const a = acc.get(`${nid}/${zone}`);
      zs[zone] = a ? { start_pfn: a.lo, spanned: a.hi - a.lo, present: a.present } : { start_pfn: null, spanned: 0, present: 0 };
    }
    out[`node${nid}`] = zs;
  }
  return out;
}

const DEFAULT_PARAMS: Record<string, string> = {
  auto_movable_numa_aware: "Y",
  auto_movable_ratio: "301",
  memmap_on_memory: "N",
  online_policy: "contig-zones",
};

export { parseZoneinfo };

/** Turn a dump into a trace-format snapshot, inferring what it lacks. Bad files are located InputErrors. */
export function dumpToSnapshot(d: MachineDump): DumpImport {
  const inferred: string[] = [];
  if (!d.blockSizeBytes) throw new InputError("missing block_size_bytes (not a sys/devices/system/memory dump?)", { file: `${d.source}/sys/devices/system/memory/block_size_bytes` });
  const blockSize = hexNumber(d.blockSizeBytes, "block_size_bytes", false);
  if (!isPowerOfTwo(blockSize) || blockSize < SECTION) {
    throw bad(d.blockSizeBytes, `block size 0x${blockSize.toString(16)} is not a power of two of at least 0x${SECTION.toString(16)} (the x86_64 section size)`);
  }
  let autoOnline = "offline";
  if (d.autoOnlineBlocks) {
    autoOnline = oneLine(d.autoOnlineBlocks, "auto_online_blocks");
    if (!["offline", "online", "online_kernel", "online_movable"].includes(autoOnline)) throw bad(d.autoOnlineBlocks, `auto_online_blocks: unknown value ${JSON.stringify(autoOnline)}`);
  } else inferred.push("auto_online_blocks: absent, taken as offline");
  if (d.blocks.length === 0) throw new InputError("no memoryN block directories", { file: `${d.source}/sys/devices/system/memory` });
  const blocks = d.blocks.map((b) => parseBlock(b, blockSize)).sort((a, b) => a.id - b.id);
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i].id === blocks[i - 1].id) throw new InputError(`block ${blocks[i].id} appears twice (${blocks[i - 1].src.name} and ${blocks[i].src.name})`, { file: blocks[i].src.dir });
  }
  // iomem: as dumped, or System RAM = the present blocks.
  let iomemLines: string[];
  let ram: { start: number; end: number }[];
  if (d.iomem) {
    iomemLines = d.iomem.text.split("\n").filter((l) => l.trim() !== "");
    if (iomemLines.length === 0) throw bad(d.iomem, "empty /proc/iomem");
    const specs = parseIomem(iomemLines, d.iomem.file);
    checkIomemOverlap(d.iomem, specs);
    ram = systemRam(specs);
    for (const b of blocks) {
      const s = b.id * blockSize;
      if (pagesIn(ram, s, s + blockSize).length === 0) {
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
  if (d.zoneinfo) zoneinfo = parseZoneinfo(d.zoneinfo);
  else {
    zoneinfo = inferZoneinfo(blocks, ram, blockSize);
    inferred.push("/proc/zoneinfo: absent, zone spans inferred from the blocks' valid_zones and the x86_64 zone limits (16 MiB, 4 GiB)");
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
    if (!ok) throw bad(f, `${name}: unexpected value ${JSON.stringify(v)}`);
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
  return { snapshot, inferred };
}
