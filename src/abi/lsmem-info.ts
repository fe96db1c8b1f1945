/**
 * lsmem's reading of memory blocks (read_info(), is_mergeable()), its
 * columns and cells, and print_summary(). Pure: no node:* imports.
 */
import { asciiLower, cScanInt, hex64, stripNewline } from "./util-linux/cnum.js";
import type { Proc } from "./util-linux/program.js";
import { sizeToHumanString } from "./util-linux/size.js";
import type { FirmwareMemoryBlockView, MemorySysfsView } from "./lsmem.js";
import type { LsmemRules } from "./lsmem-release.js";

const enum State {
  Online = 0,
  Offline = 1,
  GoingOffline = 2,
  Unknown = 3,
}

const ZONE_NAMES = ["DMA", "DMA32", "Normal", "Highmem", "Movable", "Device", "None", "Unknown"];
const ZONE_UNKNOWN = 7;
const MAX_NR_ZONES = 8;

export const COL_RANGE = 0,
  COL_SIZE = 1,
  COL_STATE = 2,
  COL_REMOVABLE = 3,
  COL_BLOCK = 4,
  COL_NODE = 5,
  COL_ZONES = 6,
  COL_CONFIG = 7,
  COL_MEMMAP = 8;

export interface ColDesc {
  name: string;
  whint: number;
  right: boolean;
  help: string;
}

export const COLDESCS: ColDesc[] = [
  { name: "RANGE", whint: 0, right: false, help: "start and end address of the memory range" },
  { name: "SIZE", whint: 5, right: true, help: "size of the memory range" },
  { name: "STATE", whint: 0, right: true, help: "online status of the memory range" },
  { name: "REMOVABLE", whint: 0, right: true, help: "memory is removable" },
  { name: "BLOCK", whint: 0, right: true, help: "memory block number or blocks range" },
  { name: "NODE", whint: 0, right: true, help: "numa node of memory" },
  { name: "ZONES", whint: 0, right: true, help: "valid zones for the memory range" },
  { name: "CONFIGURED", whint: 0, right: true, help: "configuration status of the memory range" },
  { name: "MEMMAP-ON-MEMORY", whint: 0, right: true, help: "memmap-on-memory status of the memory range" },
];

/** Column names lsmem knows, in its order. */
export const LSMEM_COLUMNS = COLDESCS.map((c) => c.name);

const PATH_SYS_MEMORY = "/sys/devices/system/memory";

export interface Block {
  index: bigint;
  count: bigint;
  state: State;
  node: number;
  zones: number[];
  removable: boolean;
  config: boolean;
  memmap: boolean;
}

export interface SplitPolicy {
  state: boolean;
  node: boolean;
  removable: boolean;
  zones: boolean;
  memmap: boolean;
  config: boolean;
}

export function noSplit(): SplitPolicy {
  return { state: false, node: false, removable: false, zones: false, memmap: false, config: false };
}

export function splitPolicy(ids: number[]): SplitPolicy {
  return {
    state: ids.includes(COL_STATE),
    node: ids.includes(COL_NODE),
    removable: ids.includes(COL_REMOVABLE),
    zones: ids.includes(COL_ZONES),
    memmap: ids.includes(COL_MEMMAP),
    config: ids.includes(COL_CONFIG),
  };
}

export interface Info {
  blockSize: bigint;
  blocks: Block[];
  haveNodes: boolean;
  haveZones: boolean;
  online: bigint;
  offline: bigint;
}

/** lsmem's memory configuration mode (s390): /sys/firmware/memory/memory0 exists. */
export function hasMemconfig(view: MemorySysfsView): boolean {
  return (view.firmwareBlocks ?? []).some((b) => b.index === 0);
}

/** read_basic_info() + read_info() */
export function readInfo(
  p: Proc,
  view: MemorySysfsView,
  rules: LsmemRules,
  prefix: string,
  pol: { listAll: boolean; split: SplitPolicy },
): Info {
  const haveMemconfig = rules.memconfig && hasMemconfig(view);
  const sysBlocks = sortedByIndex(view.blocks);
  if (sysBlocks.length === 0) {
    // scandir() found nothing; errno is left from the failed access to /sys/firmware/memory/memory0
    p.err(1, `Failed to read ${prefix}${PATH_SYS_MEMORY}`, haveMemconfig ? "SUCCESS" : "ENOENT");
  }
  const haveNodes = rules.nodesFromFirstBlock ? sysBlocks[0].nodes.length > 0 : sysBlocks.some((b) => b.nodes.length > 0);
  const haveZones = rules.zonesFromMemory0 ? sysBlocks[0].index === 0 && sysBlocks[0].validZones !== undefined : sysBlocks.some((b) => b.validZones !== undefined);
  const blockSize = BigInt.asUintN(64, BigInt(view.blockSizeBytes));

  // In memory configuration mode the firmware blocks lead and the sysfs blocks are looked up.
  const fwBlocks = haveMemconfig ? sortedByIndex(view.firmwareBlocks ?? []) : null;
  const byIndex = fwBlocks ? new Map(sysBlocks.map((b) => [b.index, b])) : null;
  const count = fwBlocks ? fwBlocks.length : sysBlocks.length;
  let onlineBlocks = 0n;
  let offlineBlocks = 0n;

  const info: Info = { blockSize, blocks: [], haveNodes, haveZones, online: 0n, offline: 0n };
  for (let i = 0; i < count; i++) {
    const src: { index: number; fw?: FirmwareMemoryBlockView } = fwBlocks ? { index: fwBlocks[i].index, fw: fwBlocks[i] } : sysBlocks[i];
    const blk: Block = {
      index: BigInt(src.index),
      count: 1n,
      state: State.Unknown,
      node: 0,
      zones: [],
      removable: false,
      config: false,
      memmap: false,
    };
    const sb = byIndex ? byIndex.get(src.index) : sysBlocks[i];
    let skipSys = false;
    if (src.fw) {
      const c = src.fw.config !== undefined ? cScanInt(src.fw.config) : null;
      if (c !== null) blk.config = c === 1;
      const m = src.fw.memmapOnMemory !== undefined ? cScanInt(src.fw.memmapOnMemory) : null;
      if (m !== null) blk.memmap = m === 1;
      blk.state = State.Offline;
      if (!blk.config) skipSys = true;
    }
    if (!skipSys) {
      const r = sb?.removable !== undefined ? cScanInt(sb.removable) : null;
      if (r !== null) blk.removable = r === 1;
      const st = sb ? stripNewline(sb.state) : "";
      if (st === "offline") blk.state = State.Offline;
      else if (st === "online") blk.state = State.Online;
      else if (st === "going-offline") blk.state = State.GoingOffline;
      if (haveNodes) {
        if (!sb) p.err(1, `Failed to open memory${src.index}`, "ENOENT");
        blk.node = sb.nodes.length ? sb.nodes[0] : -1;
      }
      if (haveZones && sb?.validZones !== undefined) {
        const s = stripNewline(sb.validZones);
        for (const tok of s.split(" ")) {
          if (!tok) continue;
          if (blk.zones.length >= MAX_NR_ZONES) break;
          const id = ZONE_NAMES.findIndex((z) => asciiLower(z) === asciiLower(tok));
          blk.zones.push(id < 0 ? ZONE_UNKNOWN : id);
        }
      }
    }
    if (blk.state === State.Online) onlineBlocks++;
    else offlineBlocks++;
    if (mergeable(info, blk, pol)) {
      info.blocks[info.blocks.length - 1].count++;
      continue;
    }
    info.blocks.push(blk);
  }
  info.online = BigInt.asUintN(64, onlineBlocks * blockSize);
  info.offline = BigInt.asUintN(64, offlineBlocks * blockSize);
  return info;
}

/** The list itself when already in index order (as readers give it), else a sorted copy. */
function sortedByIndex<T extends { index: number }>(list: readonly T[]): readonly T[] {
  for (let i = 1; i < list.length; i++) if (list[i - 1].index > list[i].index) return [...list].sort((a, b) => a.index - b.index);
  return list;
}

/** is_mergeable() */
function mergeable(info: Info, blk: Block, pol: { listAll: boolean; split: SplitPolicy }): boolean {
  if (!info.blocks.length) return false;
  const curr = info.blocks[info.blocks.length - 1];
  if (pol.listAll) return false;
  if (curr.index + curr.count !== blk.index) return false;
  const s = pol.split;
  if (s.state && curr.state !== blk.state) return false;
  if (s.removable && curr.removable !== blk.removable) return false;
  if (s.node && info.haveNodes && curr.node !== blk.node) return false;
  if (s.zones && info.haveZones) {
    if (curr.zones.length !== blk.zones.length) return false;
    for (let i = 0; i < curr.zones.length; i++) {
      if (curr.zones[i] === ZONE_UNKNOWN || curr.zones[i] !== blk.zones[i]) return false;
    }
  }
  if (s.config && curr.config !== blk.config) return false;
  if (s.memmap && curr.memmap !== blk.memmap) return false;
  return true;
}

export function cellText(id: number, blk: Block, info: Info, bytes: boolean, haveMemconfig: boolean): string | null {
  const bs = info.blockSize;
  switch (id) {
    case COL_RANGE: {
      const start = BigInt.asUintN(64, blk.index * bs);
      const size = BigInt.asUintN(64, blk.count * bs);
      return `0x${hex64(start, 16)}-0x${hex64(start + size - 1n, 16)}`;
    }
    case COL_SIZE: {
      const size = BigInt.asUintN(64, blk.count * bs);
      return bytes ? size.toString() : sizeToHumanString(size);
    }
    case COL_STATE:
      return ["online", "offline", "on->off", "?"][blk.state];
    case COL_REMOVABLE:
      return blk.state === State.Online ? (blk.removable ? "yes" : "no") : null;
    case COL_BLOCK:
      return blk.count === 1n ? `${blk.index}` : `${blk.index}-${blk.index + blk.count - 1n}`;
    case COL_NODE:
      return info.haveNodes ? `${blk.node}` : null;
    case COL_ZONES:
      // BUFSIZ-limited in C; never reached with at most 8 zone names
      return info.haveZones ? blk.zones.map((z) => ZONE_NAMES[z]).join("/") : null;
    case COL_CONFIG:
      return haveMemconfig ? (blk.config ? "yes" : "no") : null;
    case COL_MEMMAP:
      return haveMemconfig ? (blk.memmap ? "yes" : "no") : null;
  }
  return null;
}

/** print_summary() */
export function summary(view: MemorySysfsView, info: Info, bytes: boolean, rules: LsmemRules): string {
  let o = "";
  const line = (label: string, value: string) => {
    o += `${label.padEnd(rules.summaryLabelWidth)} ${value.padStart(bytes ? 15 : 5)}\n`;
  };
  // PRId64 before 2.43-devel: sizes of 2^63 and more print negative
  const v = (x: bigint) => (bytes ? (rules.unsignedBytes ? x : BigInt.asIntN(64, x)).toString() : sizeToHumanString(x));
  line("Memory block size:", v(info.blockSize));
  line("Total online memory:", v(info.online));
  line("Total offline memory:", v(info.offline));
  if (rules.memmapParamLine && view.memmapOnMemoryParam !== undefined) {
    // ul_path_read_buffer() into char[8]: at most 7 bytes, one trailing newline dropped
    const buf = stripNewline(view.memmapOnMemoryParam.slice(0, 7)).split("\0")[0];
    let res: string | null = null;
    if (buf.startsWith("Y")) res = "yes";
    else if (buf.startsWith("N")) res = "no";
    else if (buf.startsWith("force")) res = "force";
    if (view.memmapOnMemoryParam.length > 0 && res !== null) line("Memmap on memory parameter:", res);
  }
  return o;
}