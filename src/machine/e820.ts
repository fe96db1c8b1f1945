/**
 * E820 memory maps: the one SeaBIOS hands to the kernel, and the kernel's own
 * edits of it (arch/x86/kernel/e820.c in Linux 6.1): sanitizing, `memmap=`
 * and `mem=`, trim_bios_range(), the memblock ranges taken from it and
 * max_pfn. Pure functions on plain data; addresses are exact JS numbers.
 */
import { memparse } from "../kernel/cmdline.js";
import { alignDown, alignUp, hexPad, PAGE_SIZE } from "../kernel/units.js";
import type { E820Entry, E820Type } from "./types.js";

/** E820 type codes (arch/x86/include/asm/e820/types.h). */
export const E820_RAM = 1;
export const E820_RESERVED = 2;
export const E820_ACPI = 3;
export const E820_NVS = 4;
export const E820_UNUSABLE = 5;
export const E820_PMEM = 7;
export const E820_PRAM = 12;
export const E820_SOFT_RESERVED = 0xefffffff;
export const E820_RESERVED_KERN = 128;

/** One entry with its numeric type; `end` exclusive. */
export interface RawE820 {
  start: number;
  end: number;
  type: number;
}

/** Name as /sys/firmware/memmap and /proc/iomem print it (e820_type_to_string). */
export function e820TypeName(type: number): E820Type | "Unknown E820 type" {
  switch (type) {
    case E820_RAM:
    case E820_RESERVED_KERN:
      return "System RAM";
    case E820_ACPI:
      return "ACPI Tables";
    case E820_NVS:
      return "ACPI Non-volatile Storage";
    case E820_UNUSABLE:
      return "Unusable memory";
    case E820_PRAM:
      return "Persistent Memory (legacy)";
    case E820_PMEM:
      return "Persistent Memory";
    case E820_RESERVED:
      return "Reserved";
    case E820_SOFT_RESERVED:
      return "Soft Reserved";
    default:
      return "Unknown E820 type";
  }
}

/** Word as e820__print_table() prints it. */
export function e820PrintType(type: number): string {
  switch (type) {
    case E820_RAM:
    case E820_RESERVED_KERN:
      return "usable";
    case E820_RESERVED:
      return "reserved";
    case E820_SOFT_RESERVED:
      return "soft reserved";
    case E820_ACPI:
      return "ACPI data";
    case E820_NVS:
      return "ACPI NVS";
    case E820_UNUSABLE:
      return "unusable";
    case E820_PMEM:
    case E820_PRAM:
      return `persistent (type ${type})`;
    default:
      return `type ${type}`;
  }
}

/** `who: [mem %#018Lx-%#018Lx] type`, e.g. the `BIOS-e820:` lines of the boot log. */
export function formatE820Line(who: string, e: RawE820): string {
  return `${who}: [mem 0x${hexPad(e.start, 16)}-0x${hexPad(e.end - 1, 16)}] ${e820PrintType(e.type)}`;
}

/** The firmware-memmap view (inclusive ends, names). */
export function toE820Entries(table: RawE820[]): E820Entry[] {
  return table.map((e) => ({ start: e.start, end: e.end - 1, type: e820TypeName(e.type) as E820Type }));
}

// ---------------------------------------------------------------- SeaBIOS --

/**
 * SeaBIOS e820_add(): the new range overrides whatever it overlaps; neighbours
 * of the same type merge. The list stays sorted.
 */
export function biosE820Add(map: RawE820[], start: number, size: number, type: number | null): RawE820[] {
  if (size === 0) return map;
  const end = start + size;
  const out: RawE820[] = [];
  for (const e of map) {
    if (e.end <= start || e.start >= end) {
      out.push({ ...e });
      continue;
    }
    if (e.start < start) out.push({ start: e.start, end: start, type: e.type });
    if (e.end > end) out.push({ start: end, end: e.end, type: e.type });
  }
  if (type !== null) out.push({ start, end, type });
  out.sort((a, b) => a.start - b.start);
  const merged: RawE820[] = [];
  for (const e of out) {
    const last = merged[merged.length - 1];
    if (last && last.type === e.type && last.end === e.start) last.end = e.end;
    else merged.push(e);
  }
  return merged;
}

/** SeaBIOS e820_remove(): punch a hole. */
export function biosE820Remove(map: RawE820[], start: number, size: number): RawE820[] {
  return biosE820Add(map, start, size, null);
}

// ----------------------------------------------------------------- kernel --

function noMerge(type: number): boolean {
  return type === E820_PRAM || type === E820_SOFT_RESERVED;
}

/**
 * e820__update_table(): resolve overlaps (the higher type number wins) and
 * merge neighbours of equal type, except PRAM and soft-reserved ranges, which
 * are cut at every change point.
 */
export function e820Sanitize(table: RawE820[]): RawE820[] {
  if (table.length < 2) return table.map((e) => ({ ...e }));
  interface Point {
    addr: number;
    isEnd: boolean;
    entry: number;
  }
  const pts: Point[] = [];
  table.forEach((e, i) => {
    if (e.end > e.start) {
      pts.push({ addr: e.start, isEnd: false, entry: i });
      pts.push({ addr: e.end, isEnd: true, entry: i });
    }
  });
  pts.sort((a, b) => a.addr - b.addr || Number(a.isEnd) - Number(b.isEnd));
  const active = new Set<number>();
  const out: RawE820[] = [];
  let lastType = 0;
  let lastAddr = 0;
  for (const p of pts) {
    if (p.isEnd) active.delete(p.entry);
    else active.add(p.entry);
    let cur = 0;
    for (const i of active) if (table[i].type > cur) cur = table[i].type;
    if (cur !== lastType || noMerge(cur)) {
      if (lastType !== 0 && p.addr > lastAddr) out.push({ start: lastAddr, end: p.addr, type: lastType });
      if (cur !== 0) lastAddr = p.addr;
      lastType = cur;
    }
  }
  return out;
}

/** __e820__range_update(): retype the parts of `old`-typed entries inside [start, start+size). */
export function e820RangeUpdate(table: RawE820[], start: number, size: number, oldType: number, newType: number): RawE820[] {
  const end = start + size;
  const out: RawE820[] = [];
  for (const e of table) {
    if (e.type !== oldType || e.end <= start || e.start >= end) {
      out.push({ ...e });
      continue;
    }
    const s = Math.max(start, e.start);
    const t = Math.min(end, e.end);
    if (e.start < s) out.push({ start: e.start, end: s, type: e.type });
    out.push({ start: s, end: t, type: newType });
    if (t < e.end) out.push({ start: t, end: e.end, type: e.type });
  }
  return out;
}

/** e820__range_remove(): drop [start, start+size) from entries (of `oldType` when `checkType`). */
export function e820RangeRemove(table: RawE820[], start: number, size: number, oldType: number, checkType: boolean): RawE820[] {
  const end = start + size;
  const out: RawE820[] = [];
  for (const e of table) {
    if ((checkType && e.type !== oldType) || e.end <= start || e.start >= end) {
      out.push({ ...e });
      continue;
    }
    if (e.start < start) out.push({ start: e.start, end: start, type: e.type });
    if (e.end > end) out.push({ start: end, end: e.end, type: e.type });
  }
  return out;
}

const U64_END = 2 ** 64;

/** One `memmap=` item (parse_memmap_one). Returns the new table and whether it counts as user-defined. */
function applyMemmapItem(table: RawE820[], item: string): { table: RawE820[]; userdef: boolean } {
  if (item.startsWith("exactmap")) return { table: [], userdef: true };
  const size = memparse(item);
  if (!size) return { table, userdef: false };
  const op = size.rest[0];
  const at = op !== undefined ? memparse(size.rest.slice(1)) : null;
  const add = (type: number) => (at ? [...table, { start: at.value, end: at.value + size.value, type }] : table);
  switch (op) {
    case "@":
      return { table: add(E820_RAM), userdef: true };
    case "#":
      return { table: add(E820_ACPI), userdef: true };
    case "$":
      return { table: add(E820_RESERVED), userdef: true };
    case "!":
      return { table: add(E820_PRAM), userdef: true };
    case "%": {
      if (!at) return { table, userdef: true };
      const from = /^-(\d+)/.exec(at.rest);
      const restAfterFrom = from ? at.rest.slice(from[0].length) : at.rest;
      const to = /^\+(\d+)/.exec(restAfterFrom);
      const f = from ? Number(from[1]) : 0;
      const t = to ? Number(to[1]) : 0;
      if (f && t) return { table: e820RangeUpdate(table, at.value, size.value, f, t), userdef: true };
      if (t) return { table: [...table, { start: at.value, end: at.value + size.value, type: t }], userdef: true };
      return { table: e820RangeRemove(table, at.value, size.value, f, f !== 0), userdef: true };
    }
    default:
      return { table: e820RangeRemove(table, size.value, U64_END - size.value, E820_RAM, true), userdef: true };
  }
}

/** parse_memmap_opt()/parse_memopt() over the command line, in order. */
function applyCmdline(firmware: RawE820[], cmdline: string[]): { table: RawE820[]; userdef: boolean } {
  let table = e820Sanitize(firmware);
  let userdef = false;
  for (const w of cmdline) {
    const eq = w.indexOf("=");
    if (eq < 0) continue;
    const key = w.slice(0, eq);
    const val = w.slice(eq + 1);
    if (key === "memmap") {
      for (const item of val.split(",")) {
        const r = applyMemmapItem(table, item);
        table = r.table;
        userdef ||= r.userdef;
      }
    } else if (key === "mem" && val !== "nopentium") {
      const m = memparse(val);
      if (m && m.value > 0) {
        table = e820RangeRemove(table, m.value, U64_END - m.value, E820_RAM, true);
        userdef = true;
      }
    }
  }
  return { table: userdef ? e820Sanitize(table) : table, userdef };
}

/** The `user:` table the kernel prints after `memmap=`/`mem=` (null when there was none). */
export function userE820(firmware: RawE820[], cmdline: string[]): RawE820[] | null {
  const r = applyCmdline(firmware, cmdline);
  return r.userdef ? r.table : null;
}

/**
 * The kernel's e820_table once setup_arch() is done with it: the firmware
 * table sanitized, `mem=`/`memmap=` applied in command line order, then
 * page 0 retyped reserved and RAM in 0xa0000-0xfffff removed (trim_bios_range).
 */
export function kernelE820(firmware: RawE820[], cmdline: string[]): RawE820[] {
  let table = applyCmdline(firmware, cmdline).table;
  table = e820RangeUpdate(table, 0, PAGE_SIZE, E820_RAM, E820_RESERVED);
  table = e820RangeRemove(table, 0xa0000, 0x100000 - 0xa0000, E820_RAM, true);
  return e820Sanitize(table);
}

/** e820__memblock_setup(): RAM entries, trimmed to whole pages, adjacent ones merged (end exclusive). */
export function memblockFromE820(table: RawE820[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const e of [...table].sort((a, b) => a.start - b.start)) {
    if (e.type !== E820_RAM && e.type !== E820_RESERVED_KERN) continue;
    const s = alignUp(e.start, PAGE_SIZE);
    const t = alignDown(e.end, PAGE_SIZE);
    if (t <= s) continue;
    const last = out[out.length - 1];
    if (last && last.end === s) last.end = t;
    else out.push({ start: s, end: t });
  }
  return out;
}

/** max_pfn << PAGE_SHIFT: the end of the highest RAM entry (e820__end_of_ram_pfn). */
export function endOfRam(table: RawE820[]): number {
  let last = 0;
  for (const e of table) if (e.type === E820_RAM) last = Math.max(last, alignDown(e.end, PAGE_SIZE));
  return last;
}
