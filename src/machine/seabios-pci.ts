/**
 * SeaBIOS 1.16 PCI memory allocation (src/fw/pciinit.c): every BAR and every
 * bridge window becomes an entry of its bus's MEM or PREFMEM region; the
 * buses of extra root bridges (QEMU's pxb, pxb-cxl) have no bridge device,
 * so their entries go into bus 0's regions. A bridge window is at least
 * 2 MiB (PCI_BRIDGE_MEM_MIN), 2 MiB aligned, and a hotplug-capable bridge
 * (a PCIe root port) without anything behind it still gets the minimum.
 * Bus 0's two regions are packed down from the IOAPIC (the one with the
 * larger alignment on top); inside a region entries are sorted by alignment,
 * then size, larger first, keeping creation order among equals (device BARs
 * in BDF order first, then bridge windows from the highest bus down).
 *
 * 64-bit placement: when bus 0's regions do not fit below the IOAPIC, or
 * (1.16.3) when the CPU has long mode, at least 36 phys-bits and there is
 * RAM above 4 GiB ("padding"), the entries that can go above 4 GiB (64-bit
 * BARs, 64-bit prefetchable bridge windows whose contents are all 64-bit)
 * move, in their sorted order, to a 64-bit MEM and PREFMEM region placed
 * one after the other, each 1 GiB aligned. 1.16.2 starts them at the end of
 * RAM or QEMU's reserved-memory-end; 1.16.3 pushes them up to the top of the
 * phys-bits space (less the padded size) and one size further down when
 * that range touches an E820 entry (QEMU's AMD HyperTransport hole).
 */
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";

const IO_APIC = 0xfec00000;
export const PCI_BRIDGE_MEM_MIN = 2 * MiB;

export interface PciEntry {
  /** A BAR: its device ("0000:0c:00.0"); a window: the bus behind the bridge ("0000:0d"). */
  name: string;
  size: number;
  align: number;
  pref: boolean;
  /** A bridge window: the entries of the bus behind it in this region. */
  children?: PciEntry[];
  /** Who claims the BAR's range once the driver binds (virtio_pci: "virtio-pci-modern"). */
  driverRegion?: string;
  /** BAR number, for BARs. */
  bar?: number;
  /** A 64-bit BAR, or a 64-bit prefetchable window holding only 64-bit entries: may go above 4 GiB. */
  is64?: boolean;
}

export interface PlacedEntry {
  entry: PciEntry;
  start: number;
  /** Inclusive. */
  end: number;
  children: PlacedEntry[];
}

/** pci_region_create_entry()'s sorted insertion. */
export function sortEntries(list: PciEntry[]): PciEntry[] {
  const out: PciEntry[] = [];
  for (const e of list) {
    const at = out.findIndex((p) => p.align < e.align || (p.align === e.align && p.size < e.size));
    out.splice(at < 0 ? out.length : at, 0, e);
  }
  return out;
}

/** How a bridge's windows are sized. */
export interface BridgeOptions {
  /** Its prefetchable window decodes 64-bit addresses (PCIe root ports). */
  pref64?: boolean;
  /** 1.16.3 padding: the alignment (and least size) of a hotplug bridge's 64-bit prefetchable window (2^phys-bits / 2048). */
  padAlign?: number;
}

/** A bridge window entry for the given children (pci_bios_check_devices for a bridge). */
export function bridgeWindow(bus: string, pref: boolean, children: PciEntry[], hotplug: boolean, opts: BridgeOptions = {}): PciEntry | null {
  const sum = children.reduce((a, c) => a + c.size, 0);
  if (sum === 0 && !hotplug) return null;
  const is64 = pref && opts.pref64 === true && children.every((c) => c.is64);
  let align = Math.max(PCI_BRIDGE_MEM_MIN, ...children.map((c) => c.align));
  if (hotplug && is64 && opts.padAlign) align = opts.padAlign;
  const size = alignUp(Math.max(sum, PCI_BRIDGE_MEM_MIN), align);
  return { name: bus, size, align, pref, is64, children: sortEntries(children) };
}

function mapEntries(list: PciEntry[], base: number): PlacedEntry[] {
  let a = base;
  return list.map((e) => {
    const p: PlacedEntry = { entry: e, start: a, end: a + e.size - 1, children: e.children ? mapEntries(e.children, a) : [] };
    a += e.size;
    return p;
  });
}

interface Region {
  list: PciEntry[];
  sum: number;
  align: number;
}
const regionOf = (list: PciEntry[]): Region => ({ list, sum: list.reduce((a, r) => a + r.size, 0), align: list.length ? list[0].align : 1 });

/** pci_bios_init_root_regions_mem(): both regions packed down from the IOAPIC, or null when they reach below `lowest`. */
function place32(mem: Region, pref: Region, lowest: number): PlacedEntry[] | null {
  const [top, bottom] = mem.align < pref.align ? [mem, pref] : [pref, mem];
  const topBase = alignDown(IO_APIC - top.sum, top.align);
  const bottomBase = alignDown(topBase - bottom.sum, bottom.align);
  if (bottomBase < lowest) return null;
  return [...mapEntries(bottom.list, bottomBase), ...mapEntries(top.list, topBase)];
}

/** What decides SeaBIOS's 64-bit placement. */
export interface Mem64Options {
  /** 1.16.3: the top of the 64-bit PCI space, 2^min(phys-bits, 46); absent (1.16.2): none. */
  top?: number;
  /** 1.16.3 with RAM above 4 GiB: everything 64-bit goes high, the window padded. */
  pad?: boolean;
  /** The lowest base: the end of RAM above 4 GiB or QEMU's etc/reserved-memory-end, whichever is higher. */
  lowest: number;
  /** e820_is_used(): whether [start, start + size) meets an entry of SeaBIOS's E820 table. */
  used: (start: number, size: number) => boolean;
}

/** pci_bios_map_devices() for bus 0: the placed entries, low to high, or null when they do not fit. */
export function placeRootRegions(entries: PciEntry[], lowest: number, mem64?: Mem64Options): PlacedEntry[] | null {
  const mem = sortEntries(entries.filter((e) => !e.pref));
  const pref = sortEntries(entries.filter((e) => e.pref));
  const low = (m: PciEntry[], p: PciEntry[]) => place32(regionOf(m), regionOf(p), lowest);
  if (!mem64?.pad) {
    const fits = low(mem, pref);
    if (fits || !mem64) return fits && fits.sort((x, y) => x.start - y.start);
  }
  // pci_region_migrate_64bit_entries(): the 64-bit entries leave, in their order.
  const high = (l: PciEntry[]) => regionOf(l.filter((e) => e.is64));
  const hiMem = high(mem);
  const hiPref = high(pref);
  const placed = low(mem.filter((e) => !e.is64), pref.filter((e) => !e.is64));
  if (!placed) return null;
  let base = mem64.lowest;
  if (mem64.top !== undefined) {
    let size = alignUp(hiMem.sum, GiB) + alignUp(hiPref.sum, GiB);
    if (mem64.pad) size = alignUp(size, mem64.top / 8);
    if (base < mem64.top - size) base = mem64.top - size;
    if (mem64.used(base, size)) base -= size;
  }
  base = alignUp(alignUp(base, hiMem.align), GiB);
  const prefBase = alignUp(alignUp(base + hiMem.sum, hiPref.align), GiB);
  return [...placed, ...mapEntries(hiMem.list, base), ...mapEntries(hiPref.list, prefBase)].sort((x, y) => x.start - y.start);
}

/** Every placed entry, depth first. */
export function flattenPlaced(ps: PlacedEntry[]): PlacedEntry[] {
  return ps.flatMap((p) => [p, ...flattenPlaced(p.children)]);
}

/**
 * QEMU's ACPI _CRS memory ranges of a root bus: the ranges its devices' BARs
 * and bridge windows occupy, adjacent ones merged (crs_range_merge).
 */
export function mergeRanges(rs: { start: number; end: number }[]): { start: number; end: number }[] {
  const s = [...rs].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** crs_replace_with_free_ranges(): what of [start, end] the used ranges leave. */
export function freeRanges(used: { start: number; end: number }[], start: number, end: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let free = start;
  for (const u of mergeRanges(used)) {
    if (u.end < start || u.start > end) continue;
    if (free < u.start) out.push({ start: free, end: u.start - 1 });
    free = u.end + 1;
  }
  if (free < end) out.push({ start: free, end });
  return out;
}
