/**
 * Device DAX: the dax bus (dax regions and daxR.N devices), the dax_pmem
 * nd driver that turns an nd_dax claim into a dax region, and the two dax
 * drivers: device_dax (ZONE_DEVICE pages, /dev/daxR.N) and kmem (the same
 * memory as driver-managed System RAM). Models drivers/dax/{bus,pmem,
 * device,kmem}.c.
 */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, type Errno } from "../errno.js";
import { addMemory, removeMemory } from "../hotplug.js";
import { registerStaticGroup, unregisterGroup } from "../memory-block.js";
import { memremapPages, memunmapPages, type DevPagemap } from "../memremap.js";
import { removeResource, requestRegion, type Resource } from "../resource.js";
import { alignDown, alignUp, hex0x } from "../units.js";
import { clearNodeMemoryType, initNodeMemoryType } from "../memory-tier.js";
import { devPath, Ida, reallyProbe, releaseDriver, type Action, type DevBase, type NdPfn, type ProbeResult } from "./nvdimm-core.js";
import { namespaceCommonProbe } from "./nvdimm-claim.js";
import { nvdimmSetupPfn } from "./nvdimm-pfn.js";


export interface DaxRegion {
  id: number;
  /** The nd_dax device the region hangs under (its `dax_region` directory). */
  parent: NdPfn;
  start: number;
  /** Inclusive. */
  end: number;
  align: number;
  targetNode: number;
  devices: DevDax[];
}

/** What kmem keeps per device (struct dax_kmem_data). */
export interface KmemData {
  mgid: number;
  res: (Resource | null)[];
  /** Ranges that could not be hot-removed: pinned until reboot. */
  pinned: boolean;
}

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
}

export interface DaxDriver {
  name: "device_dax" | "kmem";
  matchAlways: boolean;
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
  return `${devPath(d.region.parent)}/${d.name}`;
}

/** dev_uevent() of a dax device: MAJOR/MINOR/DEVNAME, DRIVER while bound, MODALIAS dax:t0 (none with unbind). */
function daxUevent(k: Kernel, action: Action, d: DevDax): void {
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
  const region: DaxRegion = { id: regionId, parent: nd, start: range.start, end: range.end, align: nd.sb!.align, targetNode: nd.region.targetNode, devices: [] };
  st.regions.push(region);
  nd.dax = { regionId };
  nd.devres.push(() => {
    st.regions = st.regions.filter((r) => r !== region);
    nd.dax = null;
  });
  const dev: DevDax = {
    kind: "daxdev",
    name: `dax${regionId}.${id}`,
    region,
    id,
    ranges: [{ ...range }],
    align: region.align,
    targetNode: region.targetNode,
    pgmapTemplate: { ...s.pgmap, ranges: s.pgmap.ranges.map((r) => ({ ...r })), owner: `dax${regionId}.${id}` },
    pgmap: null,
    minor: st.minors.get(),
    kmem: null,
    registered: true,
    killed: false,
    driver: null,
    devres: [],
  };
  region.devices.push(dev);
  st.devices.push(dev);
  daxUevent(k, "add", dev);
  nd.devres.push(() => unregisterDevDax(k, dev));
  daxBusProbeDevice(k, dev);
  return { ok: true };
}

export function daxPmemRemove(_k: Kernel, _nd: NdPfn): void {}

/** unregister_dev_dax(): kill, device_del (driver release, `remove`), free the ranges. */
function unregisterDevDax(k: Kernel, d: DevDax): void {
  if (d.driver) daxRelease(k, d);
  daxUevent(k, "remove", d);
  d.registered = false;
  const st = daxState(k);
  st.devices = st.devices.filter((x) => x !== d);
  d.region.devices = d.region.devices.filter((x) => x !== d);
  st.minors.put(d.minor);
}

/* ----------------------------------------------------------- dax bus -- */

/** Register a dax driver (module load): device_dax has match_always, kmem matches by id. */
export function daxDriverRegister(k: Kernel, name: "device_dax" | "kmem"): void {
  const st = daxState(k);
  if (st.drivers.some((d) => d.name === name)) return;
  const drv: DaxDriver = { name, matchAlways: name === "device_dax", ids: [] };
  st.drivers.push(drv);
  driverAttach(k, drv);
}

function matches(drv: DaxDriver, d: DevDax): boolean {
  return drv.matchAlways || drv.ids.includes(d.name);
}

function daxProbe(k: Kernel, d: DevDax, drv: DaxDriver): ProbeResult {
  return reallyProbe(k, d, drv.name, () => (drv.name === "kmem" ? kmemProbe(k, d) : deviceDaxProbe(k, d)), (a) => daxUevent(k, a, d));
}

/** bus_probe_device(): drivers in registration order; the first that binds wins. */
function daxBusProbeDevice(k: Kernel, d: DevDax): void {
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
  const m = memremapPages(k, pgmap, d.region.parent.region.numaNode);
  if (!m.ok) return m;
  d.pgmap = pgmap;
  d.devres.push(() => {
    memunmapPages(k, pgmap);
    d.pgmap = null;
  });
  return { ok: true };
}

/* ---------------------------------------------------------------- kmem -- */

/** dax_kmem_range(): the range trimmed inward to memory blocks, or null if nothing is left. */
export function kmemRange(k: Kernel, r: { start: number; end: number }): { start: number; end: number } | null {
  const bs = k.hotplugGranule;
  const start = alignUp(r.start, bs);
  const end = alignDown(r.end + 1, bs) - 1;
  return start >= end ? null : { start, end };
}

/** dev_dax_kmem_probe(). */
function kmemProbe(k: Kernel, d: DevDax): ProbeResult {
  const dev = `kmem ${d.name}`;
  const nid = d.targetNode;
  if (nid < 0) {
    k.printk(4, `${dev}: rejecting DAX region with invalid node: ${nid}`);
    return { ok: false, errno: EINVAL };
  }
  let total = 0;
  d.ranges.forEach((r, i) => {
    const t = kmemRange(k, r);
    if (!t) {
      k.printk(6, `${dev}: mapping${i}: ${hex0x(r.start)}-${hex0x(r.end)} too small after alignment`);
      return;
    }
    total += t.end - t.start + 1;
  });
  if (!total && k.rules.kmemRejectsEmptyRegion) {
    k.printk(4, `${dev}: rejecting DAX region without any memory after alignment`);
    return { ok: false, errno: EINVAL };
  }
  const whole = d.ranges.reduce((a, r) => a + (r.end - r.start + 1), 0);
  if (k.rules.kmemTruncationWarning && whole > total) k.printk(4, `${dev}: DAX region truncated by ${Math.floor((whole - total) / 2 ** 20)} MiB due to alignment`);
  initNodeMemoryType(k, nid, "dax");
  // Memory groups exist since v5.15; before, kmem adds memory on the node itself.
  const groups = k.rules.memoryGroups;
  const g = groups ? registerStaticGroup(k, nid, Math.ceil(total / k.geometry.pageSize)) : -1;
  if (typeof g !== "number") return { ok: false, errno: g };
  const data: KmemData = { mgid: g, res: d.ranges.map(() => null), pinned: false };
  const dropGroup = () => {
    if (groups) unregisterGroup(k, g);
  };
  let mapped = 0;
  for (let i = 0; i < d.ranges.length; i++) {
    const t = kmemRange(k, d.ranges[i]);
    if (!t) continue;
    const len = t.end - t.start + 1;
    const res = requestRegion(k.iomem, t.start, len, d.name, {});
    if (!res) {
      k.printk(4, `${dev}: mapping${i}: ${hex0x(t.start)}-${hex0x(t.end)} could not reserve region`);
      if (mapped) continue;
      dropGroup();
      return { ok: false, errno: EBUSY };
    }
    // IORESOURCE_SYSTEM_RAM exactly: a non-busy container for the System RAM (kmem) child.
    res.flags = { busy: false, sysram: true, driverManaged: false, mergeable: false };
    data.res[i] = res;
    // Driver-managed "System RAM (kmem)" since v5.8; before, plain System RAM (with a firmware memmap entry).
    const a = k.rules.driverManagedRam
      ? addMemory(k, groups ? g : nid, t.start, len, "System RAM (kmem)", { nidIsMgid: groups })
      : addMemory(k, groups ? g : nid, t.start, len, "System RAM", { nidIsMgid: groups });
    if (!a.ok) {
      k.printk(4, `${dev}: mapping${i}: ${hex0x(t.start)}-${hex0x(t.end)} memory add failed`);
      removeResource(res);
      data.res[i] = null;
      if (mapped) continue;
      dropGroup();
      return { ok: false, errno: a.errno };
    }
    mapped++;
  }
  d.kmem = data;
  return { ok: true };
}

/** dev_dax_kmem_remove(): one shot at removing the memory; what fails stays until reboot. */
function kmemRemove(k: Kernel, d: DevDax): void {
  const data = d.kmem;
  if (!data) return;
  if (!k.rules.kmemHotRemove) {
    // Before v5.3 the removal of the device from kmem succeeds but the memory stays until reboot.
    data.pinned = true;
    return;
  }
  let success = 0;
  for (let i = 0; i < d.ranges.length; i++) {
    const t = kmemRange(k, d.ranges[i]);
    if (!t) continue;
    const r = removeMemory(k, t.start, t.end - t.start + 1);
    if (r.ok) {
      const res = data.res[i];
      if (res) removeResource(res);
      data.res[i] = null;
      success++;
      continue;
    }
    data.pinned = true;
    k.printk(3, `kmem ${d.name}: mapping${i}: ${hex0x(t.start)}-${hex0x(t.end)} cannot be hotremoved until the next reboot`);
  }
  if (success >= d.ranges.length) {
    if (k.rules.memoryGroups) unregisterGroup(k, data.mgid);
    d.kmem = null;
    clearNodeMemoryType(k, d.targetNode, "dax");
  }
}

/* ------------------------------------------------------------- queries -- */

/** The dax region's `available_size`: what no device of the region holds (0 for static nvdimm regions). */
export function daxRegionAvailable(r: DaxRegion): number {
  const used = r.devices.reduce((a, d) => a + devDaxSize(d), 0);
  return Math.max(0, r.end - r.start + 1 - used);
}
