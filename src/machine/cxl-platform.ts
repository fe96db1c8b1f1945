/**
 * The CXL platform of QEMU's q35 `cxl=on` (hw/i386/pc.c, hw/pci-bridge/
 * pci_expander_bridge.c, hw/cxl/cxl-host.c, hw/acpi/cxl.c): `pxb-cxl` host
 * bridges (ACPI0016, _UID = bus_nr), `cxl-rp` root ports, `cxl-type3`
 * memory devices, and the CEDT: one CHBS per host bridge (its 64 KiB
 * component register block) and one CFMWS per fixed memory window.
 *
 * Placement: the host-bridge register area (1 MiB) starts where RAM (or
 * the device-memory region) ends; the windows follow it, 256 MiB aligned,
 * back to back in scenario order; the 64-bit PCI hole starts at the next
 * GiB after the last window. The root ports' and devices' BARs and bridge
 * windows are SeaBIOS's (seabios-pci.ts: the expander's buses share bus
 * 0's regions), and each expander's ACPI _CRS is what its devices occupy.
 */
import { alignUp, GiB, KiB, MiB } from "../kernel/units.js";
import { insertResource, makeResource, requestResource, type Resource } from "../kernel/resource.js";
import { QEMU_FACTS, type QemuVersion } from "./qemu-version.js";
import { bridgeWindow, flattenPlaced, mergeRanges, type BridgeOptions, type PciEntry, type PlacedEntry } from "./seabios-pci.js";
import { addSwitchResources, behindPort, numberSwitch, pciBdf, placeSwitches, TYPE3_BARS, type PlacedDownstreamPort, type PlacedSwitch, type SwitchBuses } from "./cxl-switch.js";

export interface CxlHostBridgeSpec {
  id: string;
  bus_nr: number;
  /** pxb-cxl's numa_node: the proximity domain its _PXM names. */
  numa_node?: number;
}
export interface CxlRootPortSpec {
  id: string;
  /** The host bridge's id. */
  bus: string;
  port: number;
  chassis?: number;
  slot?: number;
}
/** A cxl-downstream port of a switch. */
export interface CxlDownstreamSpec {
  id: string;
  /** Its PCIe port number (the kernel's dport id). */
  port: number;
  chassis?: number;
  slot?: number;
}
/** A CXL switch: QEMU's cxl-upstream on a root port, with its cxl-downstream ports in creation order. */
export interface CxlSwitchSpec {
  id: string;
  /** The root port's id. */
  bus: string;
  downstream: CxlDownstreamSpec[];
}
export interface CxlType3Spec {
  id: string;
  /** The root port's id, or a switch's downstream port's. */
  bus: string;
  size: number;
  lsa_size?: number;
  volatile?: boolean;
  sn?: number;
}
export interface CxlWindowSpec {
  /** Host bridge ids, in interleave order. */
  targets: string[];
  size: number;
  interleave_granularity?: number;
}
export interface CxlSpec {
  host_bridges: CxlHostBridgeSpec[];
  root_ports: CxlRootPortSpec[];
  type3: CxlType3Spec[];
  windows: CxlWindowSpec[];
  /** Switches (machine.extra_qemu_args: schema-qemu-args.ts). */
  switches?: CxlSwitchSpec[];
}

/** QEMU's CFMWS granularity and the CXL host register area. */
export const CFMWS_ALIGN = 256 * MiB;
export const CXL_HOST_REG_SIZE = MiB;
export const CXL_COMPONENT_BLOCK = 64 * KiB;
/** Default interleave granularity of a window (QEMU: 256 bytes). */
export const CFMWS_DEFAULT_GRANULARITY = 256;

export interface Range {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface PlacedHostBridge {
  id: string;
  index: number;
  busNr: number;
  /** ACPI _UID (QEMU: the bus number). */
  uid: number;
  /**
   * Its place among the ACPI0016 devices (ACPI0016:NN): QEMU adds each
   * expander bus at the head of pcie.0's child list and writes the DSDT from
   * that list, so the last host bridge created comes first.
   */
  acpiIndex: number;
  /** Host bridge component registers (CHBS base). */
  chbcr: number;
  /** Its _PXM (pxb-cxl numa_node), and the node Linux makes of it: the node of every PCI device below (cxlWindowNodes()). */
  pxm?: number;
  node?: number;
  /** The registers have an HDM decoder capability (else the kernel's port passes addresses through to its one root port). */
  hdm: boolean;
  /** Last bus number behind it. */
  busEnd: number;
  /** ACPI _CRS memory windows. */
  crs: Range[];
}

export interface PlacedRootPort {
  id: string;
  hb: number;
  port: number;
  slot?: number;
  bdf: string;
  secondary: number;
  bar0: Range;
  mem: Range;
  pref: Range;
}

export interface PlacedType3 {
  id: string;
  /** The root port above it (directly, or above its switch). */
  rp: number;
  /** The switch downstream port it sits on (index into CxlPlatform.downstreamPorts), if any. */
  dsp?: number;
  bdf: string;
  volatile: boolean;
  size: number;
  lsaSize: number;
  serial: number;
  bars: (Range & { bar: number })[];
  /** Writing Commit 0 to an HDM decoder clears its Committed bit (QemuFacts.type3UncommitClearsCommitted). */
  uncommitClearsCommitted: boolean;
}

export interface PlacedWindow {
  index: number;
  base: number;
  size: number;
  /** Host bridge indices, in interleave order. */
  targets: number[];
  granularity: number;
  /** The NUMA node acpi_parse_cfmws() made for a window no SRAT entry covers (only when there is an SRAT). */
  node?: number;
}

export interface CxlPlatform {
  hostRegBase: number;
  hostBridges: PlacedHostBridge[];
  rootPorts: PlacedRootPort[];
  devices: PlacedType3[];
  windows: PlacedWindow[];
  switches: PlacedSwitch[];
  downstreamPorts: PlacedDownstreamPort[];
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
const bdf = (bus: number, slot: number) => `0000:${hex2(bus)}:${hex2(slot)}.0`;

/** Host bridges in bus order; root ports with their PCI slot on the expander's bus and their secondary bus, switches numbered depth first behind theirs. */
function topology(spec: CxlSpec): { hbs: CxlHostBridgeSpec[]; rps: { rp: CxlRootPortSpec; hb: number; slot: number; secondary: number; sw?: SwitchBuses }[] } {
  const hbs = [...spec.host_bridges].sort((a, b) => a.bus_nr - b.bus_nr);
  const rps: { rp: CxlRootPortSpec; hb: number; slot: number; secondary: number; sw?: SwitchBuses }[] = [];
  hbs.forEach((h, i) => {
    let next = h.bus_nr + 1;
    spec.root_ports
      .filter((r) => r.bus === h.id)
      .forEach((rp, slot) => {
        const secondary = next++;
        const swSpec = spec.switches?.find((s) => s.bus === rp.id);
        let sw: SwitchBuses | undefined;
        if (swSpec) ({ buses: sw, next } = numberSwitch(swSpec, secondary, next, spec.switches ?? []));
        rps.push({ rp, hb: i, slot, secondary, ...(sw ? { sw } : {}) });
      });
  });
  return { hbs, rps };
}

/**
 * The entries the expanders add to bus 0's regions (root port BARs, then
 * bridge windows from the highest bus down). A cxl-rp's BAR 0 is 64-bit and
 * its prefetchable window decodes 64-bit addresses; `padAlign` is SeaBIOS
 * 1.16.3's size for that window when it pads (seabios-pci.ts).
 */
export function cxlPciEntries(spec: CxlSpec, padAlign?: number): PciEntry[] {
  const { hbs, rps } = topology(spec);
  const bars: PciEntry[] = rps.map(({ rp, slot }) => ({ name: bdf(hbs.find((h) => h.id === rp.bus)!.bus_nr, slot), size: CXL_COMPONENT_BLOCK, align: CXL_COMPONENT_BLOCK, pref: false, bar: 0, is64: true }));
  const opts: BridgeOptions = { pref64: true, padAlign };
  const windows: PciEntry[] = [];
  for (const r of [...rps].sort((a, b) => b.secondary - a.secondary)) {
    const kids = behindPort(spec, r.rp.id, r.secondary, r.sw, opts);
    const bus = `0000:${hex2(r.secondary)}`;
    windows.push(bridgeWindow(bus, false, kids.mem, true, opts)!, bridgeWindow(bus, true, kids.pref, true, opts)!);
  }
  return [...bars, ...windows];
}

/** pc_get_cxl_range_end(): where the 64-bit PCI hole may start. */
export function cxlRangeEnd(spec: CxlSpec, cxlBase: number): number {
  if (spec.windows.length === 0) return cxlBase + CXL_HOST_REG_SIZE;
  return alignUp(cxlBase + CXL_HOST_REG_SIZE, CFMWS_ALIGN) + spec.windows.reduce((a, w) => a + w.size, 0);
}

/** Everything QEMU and SeaBIOS placed, from bus 0's placed entries. */
export function placeCxl(spec: CxlSpec, cxlBase: number, placed: PlacedEntry[], qemu: QemuVersion): CxlPlatform {
  const { hbs, rps } = topology(spec);
  const flat = flattenPlaced(placed);
  const find = (name: string, pred: (p: PlacedEntry) => boolean) => {
    const p = flat.find((x) => x.entry.name === name && pred(x));
    if (!p) throw new Error(`CXL: ${name} was not placed`);
    return { start: p.start, end: p.end };
  };
  const rootPorts: PlacedRootPort[] = rps.map(({ rp, hb, slot, secondary }) => {
    const bus = `0000:${hex2(secondary)}`;
    return {
      id: rp.id,
      hb,
      port: rp.port,
      slot: rp.slot,
      bdf: bdf(hbs[hb].bus_nr, slot),
      secondary,
      bar0: find(bdf(hbs[hb].bus_nr, slot), (p) => p.entry.bar === 0),
      mem: find(bus, (p) => !p.entry.pref && p.entry.children !== undefined),
      pref: find(bus, (p) => p.entry.pref && p.entry.children !== undefined),
    };
  });
  const { switches, downstreamPorts } = placeSwitches(
    rps.flatMap((r, i) => (r.sw ? [{ buses: r.sw, rp: i }] : [])),
    find,
  );
  const devices: PlacedType3[] = [];
  spec.type3.forEach((d) => {
    const dsp = downstreamPorts.findIndex((p) => p.id === d.bus);
    const rpIdx = dsp >= 0 ? switches[downstreamPorts[dsp].sw].rp : rootPorts.findIndex((r) => r.id === d.bus);
    const name = pciBdf(dsp >= 0 ? downstreamPorts[dsp].secondary : rootPorts[rpIdx].secondary, 0);
    devices.push({
      id: d.id,
      rp: rpIdx,
      ...(dsp >= 0 ? { dsp } : {}),
      bdf: name,
      volatile: d.volatile === true,
      size: d.size,
      lsaSize: d.lsa_size ?? 0,
      serial: d.sn ?? 0,
      bars: TYPE3_BARS.map((b) => ({ bar: b.bar, ...find(name, (p) => p.entry.bar === b.bar) })),
      uncommitClearsCommitted: QEMU_FACTS[qemu].type3UncommitClearsCommitted,
    });
  });
  const hostBridges: PlacedHostBridge[] = hbs.map((h, i) => {
    const mine = rootPorts.filter((r) => r.hb === i);
    return {
      id: h.id,
      index: i,
      busNr: h.bus_nr,
      uid: h.bus_nr,
      pxm: h.numa_node,
      // test/oracle/cxl/cxl-probe86-two-hb-*: cxl.2 (bus 222, given second) is ACPI0016:00; cxl-probe88-hb-order-swapped:
      // given first, it is ACPI0016:01.
      acpiIndex: spec.host_bridges.length - 1 - spec.host_bridges.indexOf(h),
      // Its registers' block: QEMU maps them walking the same list (cxl_hook_up_pxb_registers()).
      chbcr: cxlBase + (spec.host_bridges.length - 1 - spec.host_bridges.indexOf(h)) * CXL_COMPONENT_BLOCK,
      // test/oracle/cxl/cxl-probe86-two-hb-*: QEMU 10.0's host bridges with one root port each list one decoder.
      hdm: !(QEMU_FACTS[qemu].singleRootPortPassthrough && mine.length === 1),
      busEnd: Math.max(h.bus_nr, ...mine.map((r) => r.secondary), ...switches.filter((sw) => mine.includes(rootPorts[sw.rp])).flatMap((sw) => sw.dsps.map((d) => downstreamPorts[d].secondary))),
      crs: mergeRanges(mine.flatMap((r) => [r.bar0, r.mem, r.pref])),
    };
  });
  let base = alignUp(cxlBase + CXL_HOST_REG_SIZE, CFMWS_ALIGN);
  const windows: PlacedWindow[] = spec.windows.map((w, index) => {
    const pw: PlacedWindow = {
      index,
      base,
      size: w.size,
      targets: w.targets.map((t) => hbs.findIndex((h) => h.id === t)),
      granularity: w.interleave_granularity ?? CFMWS_DEFAULT_GRANULARITY,
    };
    base += w.size;
    return pw;
  });
  return { hostRegBase: cxlBase, hostBridges, rootPorts, devices, windows, switches, downstreamPorts };
}

/** The ranges of bus 0's 32-bit windows the expanders take away (QEMU: pcie.0's _CRS is what they leave). */
export function expanderRanges(p: CxlPlatform): Range[] {
  return mergeRanges(p.hostBridges.flatMap((h) => h.crs));
}

/** A window's size in GiB text for messages. */
export function windowLabel(w: PlacedWindow): string {
  return `CXL Window ${w.index} (${w.size / GiB} GiB at 0x${w.base.toString(16)})`;
}

/**
 * Bus 0's _CRS windows with expanders, as QEMU's build_dsdt() makes them:
 * crs_replace_with_free_ranges() over the hole [end of low RAM, IOAPIC)
 * with the used ranges sorted — MMCONFIG, each expander's 32-bit ranges and
 * the CXL host bridge register area. That area lies above the hole, yet the
 * loop still emits the gap before it: a window from the last used range to
 * the register area, emitted as a 32-bit DWordMemory: valid only when the
 * area starts at 4 GiB ("fec00000-ffffffff : PCI Bus 0000:00" on a 1 GiB
 * guest); above that its truncated limit makes it invalid and the kernel
 * ignores it (recorded: test/oracle/cxl/cxl-pmem-65g-2g-blocks has none,
 * cxl-probe78-ram-4g.trixie none from 0xfea00000 either). The 64-bit window
 * is the same over the expanders' 64-bit ranges (SeaBIOS 1.16.3 puts root
 * port BARs and prefetchable windows there): QWords, so the gaps past its
 * end stay ("c000020000-c03fffffff : PCI Bus 0000:00" on cxl-probe78-ram-4g).
 */
export function bus0Windows(windows: Range[], p: CxlPlatform): Range[] {
  const hole = windows.filter((w) => w.start >= 0x100000 && w.end <= 0xfebfffff).sort((a, b) => a.start - b.start);
  if (hole.length === 0) return windows;
  // build_crs() files an expander's ranges ending at or below 4 GiB as 32-bit, the others as 64-bit.
  const low = expanderRanges(p).filter((r) => r.end <= 0xffffffff);
  const high = expanderRanges(p).filter((r) => r.end > 0xffffffff);
  const used: Range[] = [];
  for (let i = 0; i + 1 < hole.length; i++) used.push({ start: hole[i].end + 1, end: hole[i + 1].start - 1 });
  used.push(...low, { start: p.hostRegBase, end: p.hostRegBase + CXL_HOST_REG_SIZE - 1 });
  const hole64 = windows.find((w) => w.start >= 0x100000000);
  const out: Range[] = windows.filter((w) => !hole.includes(w) && w !== hole64);
  out.push(...freeWithGaps(used, hole[0].start, hole[hole.length - 1].end, true));
  // The 64-bit window less the expanders' 64-bit ranges, emitted as QWords: every gap counts, even past its end.
  if (hole64) out.push(...freeWithGaps(high, hole64.start, hole64.end, false));
  return out.sort((a, b) => a.start - b.start);
}

/**
 * crs_replace_with_free_ranges() over [start, end]: the gap before each used range, then the rest. A DWord gap
 * reaching above 4 GiB keeps only the low 32 bits of its limit: below its base the kernel ignores it (a 4 GiB q35,
 * the CXL host bridge's registers at 0x180000000: cxl-probe78-ram-4g.trixie), at or above it the gap ends there
 * (a 6 GiB one, registers at 0x200000000: `fea00000-ffffffff`, cxl-probe81-ram-1g-6g.trixie).
 */
function freeWithGaps(usedRanges: Range[], start: number, end: number, dword: boolean): Range[] {
  const used = [...usedRanges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  let free = start;
  for (const u of used) {
    if (free < u.start) {
      const limit = dword ? (u.start - 1) % 2 ** 32 : u.start - 1;
      if (limit >= free) out.push({ start: free, end: limit });
    }
    free = u.end + 1;
  }
  if (free < end) out.push({ start: free, end });
  return out;
}

/** The PCI resources of the expanders as the kernel's PCI scan enters them: root bus windows, root port BARs and bridge windows, device BARs. */
export function addCxlPciResources(root: Resource, p: CxlPlatform): void {
  for (const h of p.hostBridges) {
    const bus = `PCI Bus 0000:${hex2(h.busNr)}`;
    const wins = h.crs.map((c) => makeResource(c.start, c.end, bus)).filter((r) => !insertResource(root, r));
    const inWin = (r: Range) => wins.find((w) => w.start <= r.start && w.end >= r.end);
    for (const rp of p.rootPorts.filter((r) => r.hb === h.index)) {
      const w = inWin(rp.bar0);
      if (w) requestResource(w, makeResource(rp.bar0.start, rp.bar0.end, rp.bdf));
      const sec = `PCI Bus 0000:${hex2(rp.secondary)}`;
      const placed: (Resource | null)[] = [rp.mem, rp.pref].map((r) => {
        const pw = inWin(r);
        const res = makeResource(r.start, r.end, sec);
        return pw && !requestResource(pw, res) ? res : null;
      });
      const sw = p.switches.findIndex((x) => p.rootPorts[x.rp] === rp && x.parentDsp === undefined);
      if (sw >= 0 && placed[0]) {
        addSwitchResources(placed[0], placed[1], sw, p.switches, p.downstreamPorts, (dsp) => {
          const d = p.devices.find((x) => x.dsp === dsp);
          return d ? { bdf: d.bdf, bars: d.bars } : null;
        });
      } else if (placed[0]) {
        for (const d of p.devices.filter((x) => p.rootPorts[x.rp] === rp)) for (const b of d.bars) requestResource(placed[0], makeResource(b.start, b.end, d.bdf));
      }
    }
  }
}

/**
 * acpi_numa_init() after the SRAT: each CFMWS window no SRAT memory entry
 * covers gets a node of its own, from a fake proximity domain one past the
 * highest in use (arch/x86/mm/srat.c, drivers/acpi/numa/srat.c
 * acpi_parse_cfmws()). Without an SRAT x86 falls back to one dummy node and
 * nothing is made. Sets each window's node and each host bridge's (its _PXM's
 * node, none when the SRAT does not name it); returns the possible nodes.
 */
export function cxlWindowNodes(p: CxlPlatform, srat: { start: number; end: number; pxm: number }[], pxmToNode: Record<number, number>, possible: number[]): number[] {
  for (const h of p.hostBridges) if (h.pxm !== undefined) h.node = pxmToNode[h.pxm];
  let fakePxm = Math.max(-1, ...Object.keys(pxmToNode).map(Number)) + 1;
  const nodes = [...possible];
  for (const w of p.windows) {
    if (srat.some((e) => e.start <= w.base && e.end >= w.base + w.size)) continue;
    const nid = Math.max(-1, ...nodes) + 1;
    pxmToNode[fakePxm++] = nid;
    nodes.push(nid);
    w.node = nid;
  }
  return nodes;
}
