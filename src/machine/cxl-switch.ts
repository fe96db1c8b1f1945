/**
 * CXL switches on QEMU's q35 (hw/pci-bridge/cxl_upstream.c,
 * cxl_downstream.c): a `cxl-upstream` port at slot 0 of a root port's
 * secondary bus, its `cxl-downstream` ports on the bus behind it (slots in
 * creation order), a device behind each. SeaBIOS numbers buses depth first
 * (root port, upstream port, then each downstream port) and sizes each
 * bridge's windows from what is behind it (seabios-pci.ts): a downstream
 * port is a hotplug slot, so even an empty one gets the 2 MiB minimum; the
 * upstream port's windows are the sum of its ports'. Every port has a
 * 64 KiB BAR 0 with its component registers (recorded:
 * test/oracle/cxl/cxl-probe97-switch-*).
 */
import { KiB } from "../kernel/units.js";
import { makeResource, requestResource, type Resource } from "../kernel/resource.js";
import { bridgeWindow, type BridgeOptions, type PciEntry, type PlacedEntry } from "./seabios-pci.js";
import type { CxlSpec, CxlSwitchSpec, Range } from "./cxl-platform.js";

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
export const pciBdf = (bus: number, slot: number) => `0000:${hex2(bus)}:${hex2(slot)}.0`;
const busName = (bus: number) => `0000:${hex2(bus)}`;

/** cxl-type3 BARs: 0 component registers (64 KiB), 2 device registers (4 KiB), 4 MSI-X (4 KiB). */
export const TYPE3_BARS = [
  { bar: 0, size: 64 * KiB },
  { bar: 2, size: 4 * KiB },
  { bar: 4, size: 4 * KiB },
];
const PORT_BAR0 = 64 * KiB;

/** A switch's bus numbers: its upstream port's secondary bus and each downstream port's slot and secondary bus (and the switch behind it). */
export interface SwitchBuses {
  spec: CxlSwitchSpec;
  /** The bus the upstream port is device 0 of (its root port's or downstream port's secondary bus). */
  bus: number;
  secondary: number;
  dsps: { id: string; port: number; slot: number; secondary: number; sw?: SwitchBuses }[];
}

/**
 * Number the buses of the switch on the port whose secondary bus is `bus`,
 * depth first as SeaBIOS does (a switch below a downstream port is numbered
 * before the next downstream port); returns the next free bus.
 */
export function numberSwitch(sw: CxlSwitchSpec, bus: number, next: number, all: readonly CxlSwitchSpec[]): { buses: SwitchBuses; next: number } {
  const us = next++;
  const dsps: SwitchBuses["dsps"] = [];
  sw.downstream.forEach((d, slot) => {
    const secondary = next++;
    const below = all.find((x) => x.bus === d.id);
    let nested: SwitchBuses | undefined;
    if (below) ({ buses: nested, next } = numberSwitch(below, secondary, next, all));
    dsps.push({ id: d.id, port: d.port, slot, secondary, ...(nested ? { sw: nested } : {}) });
  });
  return { buses: { spec: sw, bus, secondary: us, dsps }, next };
}

function type3Bars(bus: number): PciEntry[] {
  return TYPE3_BARS.map((b) => ({ name: pciBdf(bus, 0), size: b.size, align: b.size, pref: false, bar: b.bar }));
}

/** What a port's windows hold (a root port's or a downstream port's): a device's BARs, or a switch (its BAR 0 and windows, with its ports' inside). */
export function behindPort(spec: CxlSpec, portId: string, secondary: number, sw: SwitchBuses | undefined, opts: BridgeOptions): { mem: PciEntry[]; pref: PciEntry[] } {
  if (!sw) return { mem: spec.type3.some((d) => d.bus === portId) ? type3Bars(secondary) : [], pref: [] };
  const portBars: PciEntry[] = sw.dsps.map((d) => ({ name: pciBdf(sw.secondary, d.slot), size: PORT_BAR0, align: PORT_BAR0, pref: false, bar: 0, is64: true }));
  const memWins: PciEntry[] = [];
  const prefWins: PciEntry[] = [];
  for (const d of [...sw.dsps].sort((a, b) => b.secondary - a.secondary)) {
    const kids = behindPort(spec, d.id, d.secondary, d.sw, opts);
    memWins.push(bridgeWindow(busName(d.secondary), false, kids.mem, true, opts)!);
    prefWins.push(bridgeWindow(busName(d.secondary), true, kids.pref, true, opts)!);
  }
  const usMem = bridgeWindow(busName(sw.secondary), false, [...portBars, ...memWins], false, opts);
  const usPref = bridgeWindow(busName(sw.secondary), true, prefWins, false, opts);
  const usBar: PciEntry = { name: pciBdf(secondary, 0), size: PORT_BAR0, align: PORT_BAR0, pref: false, bar: 0, is64: true };
  return { mem: [usBar, ...(usMem ? [usMem] : [])], pref: usPref ? [usPref] : [] };
}

export interface PlacedDownstreamPort {
  id: string;
  /** Index into CxlPlatform.switches. */
  sw: number;
  /** The kernel's dport id: the PCIe port number. */
  port: number;
  bdf: string;
  secondary: number;
  bar0: Range;
  mem: Range;
  pref: Range;
}

export interface PlacedSwitch {
  id: string;
  /** Index into CxlPlatform.rootPorts: the root port above it. */
  rp: number;
  /** The downstream port it sits on (index into CxlPlatform.downstreamPorts) when it is below another switch. */
  parentDsp?: number;
  /** The upstream port's PCI device (the kernel's switch port's uport). */
  bdf: string;
  secondary: number;
  bar0: Range;
  mem: Range;
  pref: Range;
  /** Indices into CxlPlatform.downstreamPorts, in slot order. */
  dsps: number[];
}

type Find = (name: string, pred: (p: PlacedEntry) => boolean) => Range;
const window = (find: Find, bus: number, pref: boolean) => find(busName(bus), (p) => p.entry.pref === pref && p.entry.children !== undefined);

/** The placed switches and downstream ports, parents before the switches below them. */
export function placeSwitches(all: { buses: SwitchBuses; rp: number }[], find: Find): { switches: PlacedSwitch[]; downstreamPorts: PlacedDownstreamPort[] } {
  const switches: PlacedSwitch[] = [];
  const downstreamPorts: PlacedDownstreamPort[] = [];
  const place = (buses: SwitchBuses, rp: number, parentDsp: number | undefined): void => {
    const i = switches.length;
    const bdf = pciBdf(buses.bus, 0);
    const sw: PlacedSwitch = { id: buses.spec.id, rp, ...(parentDsp !== undefined ? { parentDsp } : {}), bdf, secondary: buses.secondary, bar0: find(bdf, (p) => p.entry.bar === 0), mem: window(find, buses.secondary, false), pref: window(find, buses.secondary, true), dsps: [] };
    switches.push(sw);
    for (const d of buses.dsps) {
      const dbdf = pciBdf(buses.secondary, d.slot);
      downstreamPorts.push({ id: d.id, sw: i, port: d.port, bdf: dbdf, secondary: d.secondary, bar0: find(dbdf, (p) => p.entry.bar === 0), mem: window(find, d.secondary, false), pref: window(find, d.secondary, true) });
      const at = downstreamPorts.length - 1;
      sw.dsps.push(at);
      if (d.sw) place(d.sw, rp, at);
    }
  };
  for (const { buses, rp } of all) place(buses, rp, undefined);
  return { switches, downstreamPorts };
}

/** The PCI scan's resources of a switch inside its port's windows: BARs, windows, the devices' BARs, switches below. */
export function addSwitchResources(
  portMem: Resource,
  portPref: Resource | null,
  swIdx: number,
  switches: PlacedSwitch[],
  dsps: PlacedDownstreamPort[],
  deviceBars: (dsp: number) => { bdf: string; bars: Range[] } | null,
): void {
  const sw = switches[swIdx];
  requestResource(portMem, makeResource(sw.bar0.start, sw.bar0.end, sw.bdf));
  const usMem = makeResource(sw.mem.start, sw.mem.end, `PCI Bus ${busName(sw.secondary)}`);
  if (requestResource(portMem, usMem)) return;
  const usPref = makeResource(sw.pref.start, sw.pref.end, `PCI Bus ${busName(sw.secondary)}`);
  const prefOk = portPref !== null && !requestResource(portPref, usPref);
  for (const i of sw.dsps) {
    const d = dsps[i];
    requestResource(usMem, makeResource(d.bar0.start, d.bar0.end, d.bdf));
    const m = makeResource(d.mem.start, d.mem.end, `PCI Bus ${busName(d.secondary)}`);
    const memOk = !requestResource(usMem, m);
    const pf = makeResource(d.pref.start, d.pref.end, `PCI Bus ${busName(d.secondary)}`);
    const pfOk = prefOk && !requestResource(usPref, pf);
    if (!memOk) continue;
    const below = switches.findIndex((x) => x.parentDsp === i);
    if (below >= 0) addSwitchResources(m, pfOk ? pf : null, below, switches, dsps, deviceBars);
    else {
      const dev = deviceBars(i);
      if (dev) for (const b of dev.bars) requestResource(m, makeResource(b.start, b.end, dev.bdf));
    }
  }
}
