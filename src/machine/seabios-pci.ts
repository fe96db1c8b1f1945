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
 */
import { alignDown, alignUp, MiB } from "../kernel/units.js";

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

/** A bridge window entry for the given children (pci_bios_check_devices for a bridge). */
export function bridgeWindow(bus: string, pref: boolean, children: PciEntry[], hotplug: boolean): PciEntry | null {
  const sum = children.reduce((a, c) => a + c.size, 0);
  if (sum === 0 && !hotplug) return null;
  const align = Math.max(PCI_BRIDGE_MEM_MIN, ...children.map((c) => c.align));
  const size = alignUp(Math.max(sum, PCI_BRIDGE_MEM_MIN), align);
  return { name: bus, size, align, pref, children: sortEntries(children) };
}

function mapEntries(list: PciEntry[], base: number): PlacedEntry[] {
  let a = base;
  return list.map((e) => {
    const p: PlacedEntry = { entry: e, start: a, end: a + e.size - 1, children: e.children ? mapEntries(e.children, a) : [] };
    a += e.size;
    return p;
  });
}

/** pci_bios_init_root_regions_mem() + pci_region_map_entries() for bus 0: the placed entries, low to high. */
export function placeRootRegions(entries: PciEntry[], lowest: number): PlacedEntry[] | null {
  const region = (pref: boolean) => {
    const list = sortEntries(entries.filter((e) => e.pref === pref));
    return { list, sum: list.reduce((a, r) => a + r.size, 0), align: list.length ? list[0].align : 1 };
  };
  const mem = region(false);
  const pref = region(true);
  const [top, bottom] = mem.align < pref.align ? [mem, pref] : [pref, mem];
  const topBase = alignDown(IO_APIC - top.sum, top.align);
  const bottomBase = alignDown(topBase - bottom.sum, bottom.align);
  if (bottomBase < lowest) return null;
  return [...mapEntries(bottom.list, bottomBase), ...mapEntries(top.list, topBase)].sort((x, y) => x.start - y.start);
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
