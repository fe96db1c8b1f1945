/**
 * The CXL bus (drivers/cxl/core/{port,memdev,pmem,hdm}.c, acpi.c, pci.c,
 * mem.c, pmem.c): the root port (root0 under ACPI0017:00) with one root
 * decoder per CFMWS window, a switch port per host bridge (portN) with its
 * HDM decoders and its root ports as dports, an endpoint port per memory
 * device (endpointN) with the device's HDM decoders, memdevs (memN), and
 * the nvdimm bridge whose nd bus carries the persistent devices (pmemN ->
 * nmemN). State, device paths and uevents; regions are in cxl-region.ts.
 */
import type { Kernel } from "../kernel.js";
import { findResource, insertNested, makeResource, removeResource, requestRegion, type Resource } from "../resource.js";
import { walk } from "../resource-walk.js";
import type { CxlPlatform, PlacedType3, PlacedWindow } from "../../machine/cxl-platform.js";
import { Ida, ndState, type NdBus, type NdDimm, type NdRegion } from "./nvdimm-core.js";
import { ndBusRegister, ndFlush } from "./nvdimm-bus.js";
import { nvdimmCreate } from "./nvdimm-dimm.js";
import { cxlRules, type CxlRules } from "./cxl-rules.js";
import { dspChain, makeEndpoint, makeSwitchPorts } from "./cxl-port.js";

export type DecoderKind = "root" | "switch" | "endpoint";
export type CxlMode = "none" | "ram" | "pmem";

export interface CxlDport {
  /** Device name as the port lists it ("ACPI0016:00" / "pci0000:0c" for a host bridge, the root port's BDF). */
  name: string;
  alias?: string;
  id: number;
}

export interface CxlDecoder {
  name: string;
  port: CxlPort;
  id: number;
  kind: DecoderKind;
  start: number;
  size: number;
  iw: number;
  ig: number;
  targets: CxlDport[];
  /** Endpoint decoders: partition mode and DPA allocation (-1: none). */
  mode: CxlMode;
  dpaStart: number;
  dpaSize: number;
  region: import("./cxl-region.js").CxlRegion | null;
  committed: boolean;
  /** Root decoders: the window, and the memregion id the next region gets. */
  window?: PlacedWindow;
  nextRegionId?: number;
}

export interface CxlPort {
  name: string;
  id: number;
  kind: "root" | "switch" | "endpoint";
  parent: CxlPort | null;
  depth: number;
  /** The uport: "ACPI0017:00", the host bridge, or the memdev. */
  host: string;
  dports: CxlDport[];
  decoders: CxlDecoder[];
  /** Host bridge index (host bridge ports) or memdev (endpoints). */
  hb?: number;
  /** A CXL switch's port: its index in CxlPlatform.switches. */
  sw?: number;
  memdev?: CxlMemdev;
  /** Component registers (CHBCR or BAR0). */
  regs: number;
}

export interface CxlMemdev {
  name: string;
  id: number;
  dev: PlacedType3;
  endpoint: CxlPort | null;
  /** The cxl_nvdimm device (pmemN) and its nmem on the bridge's bus. */
  nvdimm: { name: string; nmem: NdDimm | null } | null;
  /**
   * The device's HDM decoder registers as a commit and a reset left them:
   * interleave ways and granularity stay in the device (a reset clears Commit,
   * base and size), and a new endpoint reads them back (test/oracle/cxl/
   * cxl-probe90-unbind-in-region: decoder2.0 shows interleave_ways 2 after
   * cxl_mem is bound again); `committed` is the device's Committed bit.
   */
  hdmRegs?: { iw: number; ig: number; size: number; committed: boolean }[];
  /** DPA ranges taken by endpoint decoders. */
}

export interface CxlState {
  platform: CxlPlatform;
  rules: CxlRules;
  root: CxlPort | null;
  ports: CxlPort[];
  portIda: Ida;
  memdevs: CxlMemdev[];
  regions: import("./cxl-region.js").CxlRegion[];
  bridge: { name: string; bus: NdBus | null } | null;
  /** cxl_pmem_region-made nd regions, by cxl region name. */
  ndRegions: Map<string, NdRegion>;
  windowRes: Map<number, Resource>;
  /** phys_to_target_node() / memory_add_physaddr_to_nid() of an address (the platform's NUMA view). */
  targetNode: (addr: number) => number;
  numaNode: (addr: number) => number;
  /** The CPU has the hypervisor bit (region commit refuses it from 6.2 on). */
  hypervisor: boolean;
}

const states = new WeakMap<Kernel, CxlState>();

export function cxlState(k: Kernel): CxlState | undefined {
  return states.get(k);
}

export const ACPI0017 = "/devices/platform/ACPI0017:00";

export function portPath(p: CxlPort): string {
  return p.parent ? `${portPath(p.parent)}/${p.name}` : `${ACPI0017}/${p.name}`;
}
export function decoderPath(d: CxlDecoder): string {
  return `${portPath(d.port)}/${d.name}`;
}
export function memdevPath(st: CxlState, m: CxlMemdev): string {
  const rp = st.platform.rootPorts[m.dev.rp];
  const hb = st.platform.hostBridges[rp.hb];
  const sw = dspChain(st, m)
    .map((i) => st.platform.downstreamPorts[i])
    .map((d) => `/${st.platform.switches[d.sw].bdf}/${d.bdf}`)
    .join("");
  return `/devices/pci0000:${hex2(hb.busNr)}/${rp.bdf}${sw}/${m.dev.bdf}/${m.name}`;
}
export const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** CXL_DEVICE_* (MODALIAS cxl:tN) and DEVTYPEs. */
export const CXL_DEVICE = { decoder: 0, nvdimm_bridge: 1, nvdimm: 2, port: 3, root: 4, memdev: 5, region: 6, pmem_region: 7, dax_region: 8 } as const;

export function cxlUevent(k: Kernel, action: string, path: string, devtype: string, type: number, driver?: string, extra: [string, string][] = []): void {
  const vars: [string, string][] = [...extra, ["DEVTYPE", devtype]];
  if (driver && action !== "unbind") vars.push(["DRIVER", driver]);
  if (action !== "unbind") vars.push(["MODALIAS", `cxl:t${type}`]);
  k.uevent(action, path, "cxl", vars);
}

export function portEvent(k: Kernel, action: string, p: CxlPort): void {
  cxlUevent(k, action, portPath(p), "cxl_port", p.kind === "root" ? CXL_DEVICE.root : CXL_DEVICE.port, action === "bind" ? "cxl_port" : undefined);
}

export function decoderEvent(k: Kernel, action: string, d: CxlDecoder): void {
  cxlUevent(k, action, decoderPath(d), `cxl_decoder_${d.kind}`, CXL_DEVICE.decoder);
}

export function newDecoder(port: CxlPort, kind: DecoderKind, targets: CxlDport[]): CxlDecoder {
  const id = port.decoders.length;
  const d: CxlDecoder = { name: `decoder${port.id}.${id}`, port, id, kind, start: 0, size: 0, iw: 1, ig: 256, targets, mode: "none", dpaStart: -1, dpaSize: 0, region: null, committed: false };
  port.decoders.push(d);
  return d;
}

/** Claim a component register block (or its HDM capability, by rule) for a port or device. */
export function claimRegs(k: Kernel, base: number, size: number, name: string): void {
  if (findResource(k.iomem, base, base + size - 1, name)) return; // imported boot: already claimed
  requestRegion(k.iomem, base, size, name, {});
}

/** Release the register claims made under these names (a port or memdev going away). */
export function releaseClaims(k: Kernel, names: readonly string[]): void {
  const mine: Resource[] = [];
  walk(k.iomem, (r) => {
    if (names.includes(r.name)) mine.push(r);
    return true;
  });
  for (const r of mine) removeResource(r);
}

/**
 * Module loads (cxl_acpi cxl_port cxl_pci cxl_mem cxl_pmem [dax_cxl]): the
 * root port and its decoders, the host bridge ports, the memdevs with their
 * endpoints, the nvdimm bridge and its nd bus with a DIMM per persistent
 * device. The iomem claims (windows, register blocks) are made here; an
 * imported boot already has them and they are kept.
 */
export function cxlInit(k: Kernel, platform: CxlPlatform, env: { targetNode: (addr: number) => number; numaNode: (addr: number) => number; hypervisor: boolean; memdevIds?: Map<string, number>; raceChoice?: number; endpointChoice?: number; nmemChoice?: number; switchPortsChoice?: number }): CxlState | null {
  const rules = cxlRules(k);
  if (!rules) return null; // modprobe cxl_acpi fails: no such module
  const st: CxlState = { platform, rules, root: null, ports: [], portIda: new Ida(), memdevs: [], regions: [], bridge: null, ndRegions: new Map(), windowRes: new Map(), targetNode: env.targetNode, numaNode: env.numaNode, hypervisor: env.hypervisor };
  states.set(k, st);
  const nd = ndState(k);
  // cxl_acpi: CXL Window N resources, root0 with its dports and root decoders.
  for (const w of platform.windows) {
    const name = `CXL Window ${w.index}`;
    let r = findResource(k.iomem, w.base, w.base + w.size - 1, name);
    if (!r) {
      r = makeResource(w.base, w.base + w.size - 1, name);
      insertNested(k.iomem, r);
    }
    st.windowRes.set(w.index, r);
  }
  const hbDport = (i: number): CxlDport => {
    const hb = platform.hostBridges[i];
    const acpi = `ACPI0016:${hex2(hb.acpiIndex)}`;
    const pci = `pci0000:${hex2(hb.busNr)}`;
    return rules.rootDportIsPciHost ? { name: pci, alias: acpi, id: hb.uid } : { name: acpi, alias: pci, id: hb.uid };
  };
  // cxl_acpi finds the host bridges in ACPI namespace order.
  const acpiOrder = platform.hostBridges.map((_, i) => i).sort((a, b) => platform.hostBridges[a].acpiIndex - platform.hostBridges[b].acpiIndex);
  const hbDports = platform.hostBridges.map((_, i) => hbDport(i));
  const root: CxlPort = { name: "root0", id: st.portIda.get(), kind: "root", parent: null, depth: 0, host: "ACPI0017:00", dports: acpiOrder.map((i) => hbDports[i]), decoders: [], regs: 0 };
  st.root = root;
  st.ports.push(root);
  portEvent(k, "add", root);
  for (const w of platform.windows) {
    const d = newDecoder(root, "root", w.targets.map((t) => hbDports[t]));
    d.start = w.base;
    d.size = w.size;
    d.iw = w.targets.length;
    d.ig = w.granularity;
    d.window = w;
    d.nextRegionId = nd.regionIda.get();
    decoderEvent(k, "add", d);
  }
  for (const i of acpiOrder) {
    const hb = platform.hostBridges[i];
    const rps = platform.rootPorts.filter((r) => r.hb === i);
    const enumerated = rules.dportsOnlyWithDevices ? rps.filter((r) => platform.devices.some((d) => platform.rootPorts[d.rp] === r)) : rps;
    const dports = enumerated.map((r) => ({ name: r.bdf, id: r.port }));
    const port: CxlPort = { name: "", id: st.portIda.get(), kind: "switch", parent: root, depth: 1, host: hbDport(i).name, dports, decoders: [], hb: i, regs: hb.chbcr };
    port.name = `port${port.id}`;
    st.ports.push(port);
    portEvent(k, "add", port);
    // A passthrough port has one decoder to its one dport and leaves its registers alone. HDM decoders start out
    // targeting dport 0, which a port listing only root ports with a device may not have (test/oracle/cxl/
    // cxl-probe100-empty-switch.sid: nr_targets 0).
    const passthrough = dports.length === 1 && (rules.passthroughPorts === "one-dport" || !hb.hdm);
    const def = passthrough ? dports[0] : dports.find((d) => d.id === 0);
    if (k.rules.cxlPortDecodersAfterBind) portEvent(k, "bind", port);
    for (let n = 0; n < (passthrough ? 1 : rules.hdmDecoders); n++) decoderEvent(k, "add", newDecoder(port, "switch", def ? [def] : []));
    if (!k.rules.cxlPortDecodersAfterBind) portEvent(k, "bind", port);
    if (!passthrough) for (const c of rules.componentClaims(hb.chbcr)) claimRegs(k, c.start, c.size, c.name === "port" ? port.name : c.name);
  }
  st.bridge = { name: "nvdimm-bridge0", bus: null };
  cxlUevent(k, "add", `${portPath(root)}/nvdimm-bridge0`, "cxl_nvdimm_bridge", CXL_DEVICE.nvdimm_bridge);
  k.uevent("bind", ACPI0017, "platform", [
    ["DRIVER", "cxl_acpi"],
    ["MODALIAS", "acpi:ACPI0017:"],
  ]);
  // cxl_pci + cxl_mem: memdevs, endpoints.
  // cxl_pci probes asynchronously: which device takes which memdev id is a race (recorded both ways with
  // two devices: test/oracle/cxl/cxl-pmem-two-devices mem0 = 0000:0e:00.0, cxl-pmem-interleave mem0 =
  // 0000:0d:00.0). Outcome i is the i-th permutation of PCI order; an imported boot names the ids.
  const n = platform.devices.length;
  const perms = n >= 2 && n <= MAX_RACED ? permutations([...Array(n).keys()]) : [[...Array(n).keys()]];
  let chosen = env.raceChoice ?? 0;
  if (env.memdevIds) {
    const fromBoot = platform.devices.map((d, i) => env.memdevIds!.get(d.bdf) ?? i);
    const at = perms.findIndex((p) => p.every((x, i) => x === fromBoot[i]));
    if (at >= 0) chosen = at;
  }
  if (!perms[chosen]) chosen = 0;
  if (perms.length > 1) nd.bootRaces.push({ race: "cxl-memdev-ids", region: "cxl_pci", outcomes: perms.map((_, i) => i), chosen });
  const ids = new Map<string, number>();
  platform.devices.forEach((dev, i) => ids.set(dev.bdf, perms[chosen][i]));
  platform.devices.forEach((dev) => {
    const i = ids.get(dev.bdf)!;
    const m: CxlMemdev = { name: `mem${i}`, id: i, dev, endpoint: null, nvdimm: null };
    st.memdevs.push(m);
    const mb = dev.bars.find((b) => b.bar === 2)!;
    for (const [off, len] of [
      [0x80, 8],
      [0x88, 0x20 + 0x800],
      [0x8a8, 8],
    ])
      claimRegs(k, mb.start + off, len, dev.bdf);
    cxlUevent(k, "add", memdevPath(st, m), "cxl_memdev", CXL_DEVICE.memdev, undefined, [
      ["MAJOR", String(k.rules.cxlMemdevMajor)],
      ["MINOR", String(i)],
      ["DEVNAME", `cxl/${m.name}`],
    ]);
    if (!dev.volatile) {
      m.nvdimm = { name: `pmem${i}`, nmem: null };
      cxlUevent(k, "add", `${memdevPath(st, m)}/${m.nvdimm.name}`, "cxl_nvdimm", CXL_DEVICE.nvdimm);
    }
  });
  st.memdevs.sort((a, b) => a.id - b.id);
  // cxl_mem makes the endpoint ports in an order of its own: outcome i is the i-th permutation of the memdevs by
  // id. 6.1 usually goes by memdev id (outcome 0) but not always (test/oracle/cxl/cxl-probe86-two-hb-window-one:
  // endpoint3 is mem1's).
  let endpointOrder = st.memdevs;
  if (n >= 2 && n <= MAX_RACED) {
    const orders = permutations([...Array(n).keys()]);
    const pick = orders[env.endpointChoice ?? 0] ? env.endpointChoice ?? 0 : 0;
    nd.bootRaces.push({ race: "cxl-endpoint-order", region: "cxl_mem", outcomes: orders.map((_, i) => i), chosen: pick });
    endpointOrder = orders[pick].map((i) => st.memdevs[i]);
  }
  // CXL switch ports: made as their first device probes (outcome 0), or all before the first endpoint, in an order
  // of their own: outcome 1 + i, the i-th permutation of the switches in endpoint order (race cxl-switch-ports:
  // test/oracle/cxl/cxl-probe98-switch-and-direct.trixie has the first, .sid the second; cxl-probe100-two-hb-
  // switches-x4.sid made the second switch's port first).
  const switched = [...new Set(endpointOrder.filter((m) => m.dev.dsp !== undefined).map((m) => st.platform.downstreamPorts[m.dev.dsp!].sw))];
  if (switched.length && n >= 2) {
    const orders = switched.length <= MAX_RACED ? permutations([...Array(switched.length).keys()]) : [[...Array(switched.length).keys()]];
    const pick = env.switchPortsChoice !== undefined && env.switchPortsChoice >= 0 && env.switchPortsChoice <= orders.length ? env.switchPortsChoice : 0;
    nd.bootRaces.push({ race: "cxl-switch-ports", region: "cxl_mem", outcomes: [...Array(orders.length + 1).keys()], chosen: pick });
    if (pick > 0) {
      const first = (sw: number) => endpointOrder.find((m) => m.dev.dsp !== undefined && st.platform.downstreamPorts[m.dev.dsp].sw === sw)!;
      makeSwitchPorts(k, st, orders[pick - 1].map((i) => first(switched[i])), st.memdevs);
    }
  }
  for (const m of endpointOrder) {
    makeEndpoint(k, st, m, st.memdevs);
    cxlUevent(k, "bind", memdevPath(st, m), "cxl_memdev", CXL_DEVICE.memdev, "cxl_mem", [
      ["MAJOR", String(k.rules.cxlMemdevMajor)],
      ["MINOR", String(m.id)],
      ["DEVNAME", `cxl/${m.name}`],
    ]);
  }
  // cxl_pmem: the bridge's nd bus, a DIMM per persistent memdev.
  if (st.memdevs.some((m) => m.nvdimm) || rules.bridgeWithoutPmem) {
    const bus = ndBusRegister(k, "cxl", `${portPath(root)}/nvdimm-bridge0`);
    st.bridge.bus = bus;
    // The nmems register in an order of their own too. On 6.1 cxl_nvdimm binds from two walks of the bus at once
    // (the driver's registration and the bridge's rescan once its nd bus is up), most often the pmemN devices in
    // reverse memdev order (test/oracle/cxl/cxl-pmem-two-devices and cxl-pmem-interleave: nmem0 is mem1's), but not
    // always (cxl-probe88-two-hb-g1024: nmem0 is mem0's; cxl-probe89-three-devices: in memdev order). From 6.12
    // usually in endpoint order, though the endpoint with the higher id can register its nmem first
    // (cxl-probe88-hb-order-swapped.sid: nmem0 is endpoint4's memdev). Outcome i is the i-th permutation of the
    // version's usual order (rule cxlNmemOrder).
    const pm = (k.rules.cxlNmemOrder === "endpoint-order" ? endpointOrder : [...st.memdevs].reverse()).filter((m) => m.nvdimm);
    let nmemOrder = pm;
    if (pm.length >= 2 && pm.length <= MAX_RACED) {
      const orders = permutations([...Array(pm.length).keys()]);
      const pick = orders[env.nmemChoice ?? 0] ? env.nmemChoice ?? 0 : 0;
      nd.bootRaces.push({ race: "cxl-nmem-order", region: "cxl_pmem", outcomes: orders.map((_, i) => i), chosen: pick });
      nmemOrder = orders[pick].map((i) => pm[i]);
    }
    for (const m of nmemOrder) {
      if (!m.nvdimm) continue;
      const nmem = cxlNmemCreate(k, bus, m);
      m.nvdimm.nmem = nmem;
    }
    ndFlush(k);
  }
  return st;
}

/** cxl_nvdimm_probe() -> nvdimm_create(): an nmem with the label area, labelling on (NDD_LABELING). */
export function cxlNmemCreate(k: Kernel, bus: NdBus, m: CxlMemdev): NdDimm {
  // cxl_nvdimm_arm_dirty_shutdown_tracking(): QEMU's device cannot set the dirty shutdown state.
  if (k.rules.cxlNvdimmDirtyShutdownWarn) k.printk(4, `cxl_nvdimm ${m.nvdimm!.name}: GPF: could not set dirty shutdown state`);
  return nvdimmCreate(k, bus, { handle: 0, vendorId: 0, serial: m.dev.serial, labelSize: m.dev.lsaSize, labeling: true, labelCmds: true, cxl: true, cxlIdSecurity: k.rules.cxlNvdimmIdSecurity });
}

/** Devices whose probe orders are raced (4! = 24 outcomes each); more probe in PCI order. */
const MAX_RACED = 4;

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}
