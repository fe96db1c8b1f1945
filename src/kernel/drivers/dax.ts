/**
 * Device DAX: the dax bus (dax regions and daxR.N devices), the dax_pmem
 * nd driver that turns an nd_dax claim into a dax region, and the two dax
 * drivers: device_dax (ZONE_DEVICE pages, /dev/daxR.N) and kmem (the same
 * memory as driver-managed System RAM). Models drivers/dax/{bus,pmem,
 * device,kmem}.c.
 */
import type { Kernel } from "../kernel.js";
import { kstrtobool } from "../cmdline.js";
import { EBUSY, EINVAL, ENODEV, EOPNOTSUPP, type Errno } from "../errno.js";
import { mhpSupportsMemmapOnMemory } from "../hotplug.js";
import { memremapPages, memunmapPages, type DevPagemap } from "../memremap.js";
import { removeResource, requestRegion, type Resource } from "../resource.js";
import { hex0x } from "../units.js";
import { devPath, Ida, reallyProbe, releaseDriver, type Action, type DevBase, type NdPfn, type ProbeResult } from "./nvdimm-core.js";
import { namespaceCommonProbe } from "./nvdimm-claim.js";
import { kmemProbe, kmemRemove } from "./dax-kmem.js";
import { nvdimmSetupPfn } from "./nvdimm-pfn.js";

/** A CXL ram region's dax_region device (dax_cxl): `regionN/dax_regionN`. */
export interface CxlDaxParent {
  kind: "cxl_dax_region";
  name: string;
  /** sysfs path under /sys/devices. */
  path: string;
  numaNode: number;
}

/** The device a dax region hangs under: an nd_dax device (dax_pmem) or a CXL dax_region (dax_cxl). */
export type DaxRegionParent = NdPfn | CxlDaxParent;

export function daxParentPath(p: DaxRegionParent): string {
  return p.kind === "cxl_dax_region" ? p.path : devPath(p);
}

/** dev_to_node() of the parent: where device_dax maps the pages. */
export function daxParentNode(p: DaxRegionParent): number {
  return p.kind === "cxl_dax_region" ? p.numaNode : p.region.numaNode;
}
export interface DaxRegion {
  id: number;
  parent: DaxRegionParent;
  /** IORESOURCE_DAX_KMEM (dax_cxl ram regions, v6.3+): kmem, not device_dax, matches its devices by type. */
  kmemType: boolean;
  start: number;
  /** Inclusive. */
  end: number;
  align: number;
  targetNode: number;
  devices: DevDax[];
}

export { kmemRange, type KmemData } from "./dax-kmem.js";
import type { KmemData } from "./dax-kmem.js";

export interface DevDax extends DevBase {
  kind: "daxdev";
  region: DaxRegion;
  id: number;
  ranges: { start: number; end: number }[];
  align: number;
  targetNode: number;
  /** The static dev_pagemap handed over by dax_pmem (covers the whole namespace). */
  pgmapTemplate: DevPagemap | null;
  pgmap: DevPagemap | null;
  minor: number;
  /** Driver data of kmem; survives an unbind whose hot-remove failed. */
  kmem: KmemData | null;
  /** dev_dax->memmap_on_memory (6.8+): kmem adds the memory with MHP_MEMMAP_ON_MEMORY. dax_cxl sets it, dax_pmem not. */
  memmapOnMemory: boolean;
}

export interface DaxDriver {
  name: "device_dax" | "kmem";
  ids: string[];
}

interface DaxState {
  regions: DaxRegion[];
  devices: DevDax[];
  drivers: DaxDriver[];
  minors: Ida;
}

const states = new WeakMap<Kernel, DaxState>();

export function daxState(k: Kernel): DaxState {
  let s = states.get(k);
  if (!s) {
    s = { regions: [], devices: [], drivers: [], minors: new Ida() };
    states.set(k, s);
  }
  return s;
}

export function daxDevPath(d: DevDax): string {
  return `${daxParentPath(d.region.parent)}/${d.name}`;
}

/** dev_uevent() of a dax device: MAJOR/MINOR/DEVNAME, DRIVER while bound, MODALIAS dax:t0 (none with unbind). */
export function daxUevent(k: Kernel, action: Action, d: DevDax): void {
  const vars: [string, string][] = [
    ["MAJOR", String(k.rules.charMajors.dax)],
    ["DEVNAME", d.name],
  ];
  if (d.driver && action !== "unbind") vars.push(["DRIVER", d.driver]);
  if (action !== "unbind") vars.push(["MODALIAS", "dax:t0"]);
  k.uevent(action, daxDevPath(d), "dax", vars, [["MINOR", String(d.minor)]]);
}

export function devDaxSize(d: DevDax): number {
  return d.ranges.reduce((a, r) => a + r.end - r.start + 1, 0);
}

/* ------------------------------------------------------------ dax_pmem -- */

/** dax_pmem probe of an nd_dax device: info block, metadata reservation, dax region and daxR.N. */
export function daxPmemProbe(k: Kernel, nd: NdPfn): ProbeResult {
  const c = namespaceCommonProbe(k, nd);
  if (!c.ok) return c;
  const ns = c.ns;
  const s = nvdimmSetupPfn(k, nd);
  if (!s.ok) return s;
  const offset = nd.sb!.dataoff;
  const meta = requestRegion(k.iomem, ns.start, offset, ns.name, {});
  if (!meta) {
    k.printk(4, `dax_pmem ${nd.name}: could not reserve metadata`);
    return { ok: false, errno: EBUSY };
  }
  nd.devres.push(() => removeResource(meta));
  const m = /^namespace(\d+)\.(\d+)$/.exec(ns.name);
  if (!m) return { ok: false, errno: EINVAL };
  const regionId = Number(m[1]);
  const id = Number(m[2]);
  const range = { start: s.pgmap.ranges[0].start + offset, end: s.pgmap.ranges[0].end };
  const st = daxState(k);
  const region: DaxRegion = { id: regionId, parent: nd, start: range.start, end: range.end, align: nd.sb!.align, targetNode: nd.region.targetNode, devices: [], kmemType: false };
  st.regions.push(region);
  nd.dax = { regionId };
  nd.devres.push(() => {
    st.regions = st.regions.filter((r) => r !== region);
    nd.dax = null;
  });
  const dev = devmCreateDevDax(k, region, id, range, { ...s.pgmap, ranges: s.pgmap.ranges.map((r) => ({ ...r })), owner: `dax${regionId}.${id}` });
  nd.devres.push(() => unregisterDevDax(k, dev));
  daxBusProbeDevice(k, dev);
  return { ok: true };
}

export function daxPmemRemove(_k: Kernel, _nd: NdPfn): void {}

/** devm_create_dev_dax(): device `daxR.N` of a dax region over one range, registered (its `add` uevent); the caller probes it. */
export function devmCreateDevDax(k: Kernel, region: DaxRegion, id: number, range: { start: number; end: number }, pgmapTemplate: DevPagemap, memmapOnMemory = false): DevDax {
  const st = daxState(k);
  const dev: DevDax = {
    kind: "daxdev",
    name: `dax${region.id}.${id}`,
    region,
    id,
    ranges: [{ ...range }],
    align: region.align,
    targetNode: region.targetNode,
    pgmapTemplate,
    pgmap: null,
    minor: st.minors.get(),
    kmem: null,
    memmapOnMemory,
    registered: true,
    killed: false,
    driver: null,
    devres: [],
  };
  region.devices.push(dev);
  st.devices.push(dev);
  daxUevent(k, "add", dev);
  return dev;
}

/** unregister_dev_dax(): kill, device_del (driver release, `remove`), free the ranges. */
export function unregisterDevDax(k: Kernel, d: DevDax): void {
  if (d.driver) daxRelease(k, d);
  daxUevent(k, "remove", d);
  d.registered = false;
  const st = daxState(k);
  st.devices = st.devices.filter((x) => x !== d);
  d.region.devices = d.region.devices.filter((x) => x !== d);
  st.minors.put(d.minor);
}

/* ----------------------------------------------------------- dax bus -- */

/** Register a dax driver (module load): each matches by id (new_id) or by its region's type (device or kmem). */
export function daxDriverRegister(k: Kernel, name: "device_dax" | "kmem"): void {
  const st = daxState(k);
  if (st.drivers.some((d) => d.name === name)) return;
  const drv: DaxDriver = { name, ids: [] };
  st.drivers.push(drv);
  driverAttach(k, drv);
}

/** dax_bus_match(): dax_match_id() or dax_match_type(). */
function matches(drv: DaxDriver, d: DevDax): boolean {
  return drv.ids.includes(d.name) || (drv.name === "kmem") === d.region.kmemType;
}

function daxProbe(k: Kernel, d: DevDax, drv: DaxDriver): ProbeResult {
  return reallyProbe(k, d, drv.name, () => (drv.name === "kmem" ? kmemProbe(k, d) : deviceDaxProbe(k, d)), (a) => daxUevent(k, a, d));
}

/** bus_probe_device(): drivers in registration order; the first that binds wins. */
export function daxBusProbeDevice(k: Kernel, d: DevDax): void {
  for (const drv of daxState(k).drivers) {
    if (d.driver) return;
    if (!matches(drv, d)) continue;
    const r = daxProbe(k, d, drv);
    if (r.ok) return;
  }
}

/** driver_attach(): probe every unbound matching device, ignoring errors. */
function driverAttach(k: Kernel, drv: DaxDriver): void {
  for (const d of [...daxState(k).devices]) {
    if (d.registered && !d.driver && matches(drv, d)) daxProbe(k, d, drv);
  }
}

function daxRelease(k: Kernel, d: DevDax): void {
  const drv = d.driver;
  releaseDriver(d, drv === "kmem" ? () => kmemRemove(k, d) : null, (a) => daxUevent(k, a, d));
}

function driverByName(k: Kernel, name: string): DaxDriver | undefined {
  return daxState(k).drivers.find((d) => d.name === name);
}

function sysfsStr(buf: string): string {
  return buf.endsWith("\n") ? buf.slice(0, -1) : buf;
}

/** new_id / remove_id stores of a dax driver. */
export function daxDriverIdStore(k: Kernel, name: string, action: "new_id" | "remove_id", buf: string): Errno | null {
  const drv = driverByName(k, name);
  if (!drv) return "ENOENT";
  const s = sysfsStr(buf);
  const m = /^dax(\d+)\.(\d+)/.exec(s);
  if (!m || s !== `dax${Number(m[1])}.${Number(m[2])}`) return EINVAL;
  const has = drv.ids.includes(s);
  if (action === "new_id") {
    if (!has) drv.ids.unshift(s);
    driverAttach(k, drv);
  } else if (has) {
    drv.ids = drv.ids.filter((x) => x !== s);
  }
  return null;
}

/**
 * memmap_on_memory_store() (6.8+): a boolean; turning it on needs mhp_supports_memmap_on_memory() (the parameter on,
 * a block's memmap fit for it), else EOPNOTSUPP; changing it while kmem holds the device is EBUSY
 * (test/oracle/arm64/traces/a64-probe44-kmem-mom-*).
 */
export function daxMemmapOnMemoryStore(k: Kernel, d: DevDax, buf: string): Errno | null {
  const v = kstrtobool(buf);
  if (v === null) return EINVAL;
  if (v && !mhpSupportsMemmapOnMemory(k, k.blockSize)) return EOPNOTSUPP;
  if (d.memmapOnMemory !== v && d.driver === "kmem") return EBUSY;
  d.memmapOnMemory = v;
  return null;
}

export function findDevDax(k: Kernel, name: string): DevDax | undefined {
  return daxState(k).devices.find((d) => d.registered && d.name === name);
}

/** /sys/bus/dax/drivers/<drv>/bind. */
export function daxDriverBind(k: Kernel, name: string, devName: string): Errno | null {
  const drv = driverByName(k, name);
  if (!drv) return "ENOENT";
  const d = findDevDax(k, sysfsStr(devName));
  if (!d || !matches(drv, d)) return ENODEV;
  if (d.driver) return EBUSY;
  const r = daxProbe(k, d, drv);
  return r.ok ? null : r.errno;
}

/** /sys/bus/dax/drivers/<drv>/unbind. */
export function daxDriverUnbind(k: Kernel, name: string, devName: string): Errno | null {
  const d = findDevDax(k, sysfsStr(devName));
  if (!d || d.driver !== name) return ENODEV;
  daxRelease(k, d);
  return null;
}

/* ---------------------------------------------------------- device_dax -- */

/** dev_dax_probe() for a static (nvdimm) device. */
function deviceDaxProbe(k: Kernel, d: DevDax): ProbeResult {
  if (!d.pgmapTemplate) return { ok: false, errno: EINVAL };
  if (d.ranges.length > 1) {
    k.printk(4, `device_dax ${d.name}: static pgmap / multi-range device conflict`);
    return { ok: false, errno: EINVAL };
  }
  for (let i = 0; i < d.ranges.length; i++) {
    const r = d.ranges[i];
    const res = requestRegion(k.iomem, r.start, r.end - r.start + 1, d.name, {});
    if (!res) {
      k.printk(4, `device_dax ${d.name}: mapping${i}: ${hex0x(r.start)}-${hex0x(r.end)} could not reserve range`);
      return { ok: false, errno: EBUSY };
    }
    d.devres.push(() => removeResource(res));
  }
  const pgmap: DevPagemap = { ...d.pgmapTemplate, type: "GENERIC", ranges: d.pgmapTemplate.ranges.map((r) => ({ ...r })), mapped: 0 };
  // devm_memremap_pages(dev, …) maps on dev_to_node(dev): the nvdimm region's numa_node.
  const m = memremapPages(k, pgmap, daxParentNode(d.region.parent));
  if (!m.ok) return m;
  d.pgmap = pgmap;
  d.devres.push(() => {
    memunmapPages(k, pgmap);
    d.pgmap = null;
  });
  return { ok: true };
}

/* ------------------------------------------------------------- queries -- */

/** The dax region's `available_size`: what no device of the region holds (0 for static nvdimm regions). */
export function daxRegionAvailable(r: DaxRegion): number {
  const used = r.devices.reduce((a, d) => a + devDaxSize(d), 0);
  return Math.max(0, r.end - r.start + 1 - used);
}
