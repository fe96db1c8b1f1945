/**
 * libnvdimm: buses, DIMMs, regions, namespaces (label-less "io" and
 * labelled "pmem"), the btt/pfn/dax seeds, pfn/dax info blocks and the
 * nd_pmem driver. Models drivers/nvdimm/{bus,dimm,dimm_devs,region,
 * region_devs,namespace_devs,label,claim,pfn_devs,dax_devs,btt_devs,pmem,
 * e820}.c and drivers/acpi/nfit/core.c as far as user space and the memory
 * model can see them.
 *
 * Device registration in libnvdimm is asynchronous; the model emits the
 * `add` uevent at registration and queues the probe, and flushes the queue
 * when the kernel would have settled (nvdimm_bus_wait_probe, the end of a
 * step).
 */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, ENOMEM, ENOSPC, ENXIO, EOPNOTSUPP, type Errno } from "../errno.js";
import { memremapPages, memunmapPages, type DevPagemap } from "../memremap.js";
import { insertNested, makeResource, regionIntersectsSystemRam, REGION_MIXED, removeResource, requestRegion, walk, type Resource } from "../resource.js";
import { alignDown, alignUp, hex0x, hex0x10, hexPa, MiB } from "../units.js";
import {
  devPath,
  diskUevent,
  ERRNO_NEG,
  Ida,
  ndState,
  ndUevent,
  newUuid,
  NULL_UUID,
  reallyProbe,
  regionNstype,
  releaseDriver,
  ND_DEVICE,
  type Action,
  type ClaimClass,
  type Disk,
  type DpaRes,
  type BttInfo,
  type InfoBlock,
  type NdBtt,
  type NdBus,
  type NdDevice,
  type NdDimm,
  type NdNamespace,
  type NdPfn,
  type NdRegion,
  type NsLabel,
  type PfnMode,
  type ProbeResult,
} from "./nvdimm-core.js";
import { daxPmemProbe, daxPmemRemove } from "./dax.js";

const SZ_4K = 4096;
const SZ_8K = 8192;
const SZ_16M = 16 * MiB;
/** MEMREMAP_COMPAT_ALIGN_MAX: the largest compat alignment (16 MiB, ppc64 hash). */
const COMPAT_ALIGN_MAX = 16 * MiB;
/** MAX_STRUCT_PAGE_SIZE. */
const MAX_STRUCT_PAGE_SIZE = 64;
const OK: ProbeResult = { ok: true };
const err = (errno: Errno): ProbeResult => ({ ok: false, errno });

/** memremap_compat_align(): PAGE_SIZE × PTRS_PER_PMD on x86_64 = 2 MiB (the sub-section size). */
export function memremapCompatAlign(k: Kernel): number {
  return k.geometry.subsectionSize;
}

/** nd_pfn_supported_alignments() on x86_64 with THP: PAGE_SIZE, PMD and PUD sizes. */
export function pfnSupportedAlignments(k: Kernel): number[] {
  return [k.geometry.pageSize, 2 * MiB, 1024 * MiB];
}

/** nd_pfn_default_alignment(): the PMD size when transparent huge pages exist. */
function pfnDefaultAlignment(): number {
  return 2 * MiB;
}

/* ---------------------------------------------------------- probe queue -- */

const queues = new WeakMap<Kernel, NdDevice[]>();

function queue(k: Kernel): NdDevice[] {
  let q = queues.get(k);
  if (!q) {
    q = [];
    queues.set(k, q);
  }
  return q;
}

/** Run queued device probes (async registration work) until idle: nvdimm_bus_wait_probe(). */
export function ndFlush(k: Kernel): void {
  const q = queue(k);
  while (q.length) {
    const d = q.shift()!;
    if (d.registered && !d.driver) busProbeDevice(k, d);
  }
}

/** nd_device_register(): device_add now (uevent `add`), the driver probe from the async queue. */
function ndDeviceRegister(k: Kernel, d: NdDevice): void {
  d.registered = true;
  if (d.kind === "namespace" || d.kind === "btt" || d.kind === "pfn" || d.kind === "ndax") d.region.children.push(d);
  ndUevent(k, "add", d);
  queue(k).push(d);
}

/** device_unregister() of a region child: driver release, `remove`, then the release callback. */
export function ndDeviceUnregister(k: Kernel, d: NdNamespace | NdBtt | NdPfn): void {
  if (!d.registered) return;
  d.killed = true;
  if (d.driver) ndRelease(k, d);
  ndUevent(k, "remove", d);
  d.registered = false;
  const r = d.region;
  r.children = r.children.filter((c) => c !== d);
  switch (d.kind) {
    case "namespace":
      if (d.nstype === "pmem") r.nsIda.put(d.id);
      break;
    case "btt":
      r.bttIda.put(d.id);
      if (d.ns) detachNs(d);
      break;
    case "pfn":
      r.pfnIda.put(d.id);
      if (d.ns) detachNs(d);
      break;
    case "ndax":
      r.daxIda.put(d.id);
      if (d.ns) detachNs(d);
      break;
  }
  if (r.nsSeed === d) r.nsSeed = null;
  if (r.bttSeed === d) r.bttSeed = null;
  if (r.pfnSeed === d) r.pfnSeed = null;
  if (r.daxSeed === d) r.daxSeed = null;
}

/* --------------------------------------------------------- driver core -- */

/** The nd driver that matches a device type (nd_bus_match), if that driver is loaded. */
function matchingDriver(k: Kernel, d: NdDevice): string | null {
  const drivers = ndState(k).ndDrivers;
  const want = d.kind === "bus" ? "nd_bus" : d.kind === "dimm" ? "nvdimm" : d.kind === "region" ? "nd_region" : d.kind === "ndax" ? "dax_pmem" : "nd_pmem";
  return drivers.includes(want) ? want : null;
}

function emitter(k: Kernel, d: NdDevice): (a: Action) => void {
  return (a) => ndUevent(k, a, d);
}

/** nvdimm_bus_probe(): the driver's probe, then nd_region_advance_seeds() on success or -EOPNOTSUPP. */
function ndBusProbe(k: Kernel, d: NdDevice, drv: string): ProbeResult {
  let r: ProbeResult = OK;
  return reallyProbe(k, d, drv, () => {
    r = driverProbe(k, d, drv);
    if ((r.ok || r.errno === "EOPNOTSUPP") && d.kind !== "bus" && d.kind !== "dimm" && d.kind !== "region") {
      advanceSeeds(k, d.region, d);
    }
    return r;
  }, emitter(k, d));
}

function driverProbe(k: Kernel, d: NdDevice, drv: string): ProbeResult {
  switch (drv) {
    case "nd_region":
      return regionProbe(k, d as NdRegion);
    case "nvdimm":
      return dimmProbe(k, d as NdDimm);
    case "nd_pmem":
      return ndPmemProbe(k, d as NdNamespace | NdBtt | NdPfn);
    case "dax_pmem":
      return daxPmemProbe(k, d as NdPfn);
    case "nd_bus":
      return OK;
  }
  return err(ENODEV);
}

/** bus_probe_device(): the matching driver, if any, tries the device. */
function busProbeDevice(k: Kernel, d: NdDevice): ProbeResult {
  const drv = matchingDriver(k, d);
  if (!drv) return err(ENODEV);
  return ndBusProbe(k, d, drv);
}

/** Driver removal (nvdimm_bus_remove → the driver's remove, then devres). */
function ndRelease(k: Kernel, d: NdDevice): void {
  const drv = d.driver;
  releaseDriver(d, () => {
    if (drv === "nd_region") regionRemove(k, d as NdRegion);
    else if (drv === "nvdimm") dimmRemove(k, d as NdDimm);
    else if (drv === "dax_pmem") daxPmemRemove(k, d as NdPfn);
  }, emitter(k, d));
}

/** Writing a device name to /sys/bus/nd/drivers/<drv>/bind. */
export function ndDriverBind(k: Kernel, drv: string, d: NdDevice): Errno | null {
  ndFlush(k);
  if (!d.registered) return ENODEV;
  if (matchingDriver(k, d) !== drv) return ENODEV;
  if (d.driver) return EBUSY;
  const r = ndBusProbe(k, d, drv);
  ndFlush(k);
  return r.ok ? null : r.errno;
}

/** Writing a device name to …/driver/unbind. */
export function ndDriverUnbind(k: Kernel, d: NdDevice): Errno | null {
  ndFlush(k);
  if (!d.driver) return ENODEV;
  ndRelease(k, d);
  ndFlush(k);
  return null;
}

/** util_bind() for the nd bus: try every nd driver (only the matching one can succeed). */
export function ndBind(k: Kernel, d: NdDevice): Errno | null {
  const drv = matchingDriver(k, d);
  if (!drv) return ENXIO;
  return ndDriverBind(k, drv, d);
}

/* ------------------------------------------------------ bus and DIMMs -- */

/** nvdimm_bus_register() + the nd_bus driver: ndbusN, its ndctlN char device. */
export function ndBusRegister(k: Kernel, provider: "e820" | "nfit", parentPath: string): NdBus {
  const st = ndState(k);
  const b: NdBus = { kind: "bus", name: "", id: st.busIda.get(), provider, parentPath, registered: true, killed: false, driver: null, devres: [] };
  b.name = `ndbus${b.id}`;
  st.buses.push(b);
  ndUevent(k, "add", b);
  k.uevent("add", `${devPath(b)}/nd/ndctl${b.id}`, "nd", [
    ["MAJOR", "246"],
    ["MINOR", String(b.id)],
    ["DEVNAME", `ndctl${b.id}`],
  ]);
  b.driver = "nd_bus";
  ndUevent(k, "bind", b);
  return b;
}

export interface NfitDimmDesc {
  slot: number;
  labelSize: number;
}

/** nvdimm_create(): an nmemN device (handle, serial from QEMU's NFIT). */
export function ndDimmCreate(k: Kernel, bus: NdBus, desc: NfitDimmDesc): NdDimm {
  const st = ndState(k);
  const id = st.dimmIda.get();
  const d: NdDimm = {
    kind: "dimm",
    name: `nmem${id}`,
    id,
    bus,
    handle: desc.slot + 1,
    physId: 0,
    vendorId: 0x8086,
    serial: 0x123456 + desc.slot,
    labelArea: { size: desc.labelSize, index: null, labels: [] },
    labeling: false,
    ndd: null,
    busy: 0,
    registered: false,
    killed: false,
    driver: null,
    devres: [],
  };
  st.dimms.push(d);
  ndDeviceRegister(k, d);
  return d;
}

/** The DIMM's `id` attribute (no manufacturing info from QEMU): %04x-%08x of the big-endian readings. */
export function dimmUniqueId(d: NdDimm): string {
  const be16 = ((d.vendorId & 0xff) << 8) | ((d.vendorId >> 8) & 0xff);
  const s = d.serial >>> 0;
  const be32 = (((s & 0xff) << 24) | ((s & 0xff00) << 8) | ((s >> 8) & 0xff00) | ((s >>> 24) & 0xff)) >>> 0;
  return `${be16.toString(16).padStart(4, "0")}-${be32.toString(16).padStart(8, "0")}`;
}

/** nvdimm_probe(): read the label area; valid index blocks reserve the labels' DPA and set NDD_LABELING. */
function dimmProbe(_k: Kernel, d: NdDimm): ProbeResult {
  const ndd = { dpa: [] as DpaRes[], nsCurrent: d.labelArea.index ? 0 : -1 };
  d.ndd = ndd;
  if (d.labelArea.index) {
    for (const l of d.labelArea.labels) ndd.dpa.push({ id: `pmem-${l.uuid}`, start: l.dpa, size: l.rawsize });
    d.labeling = true;
  }
  return OK;
}

function dimmRemove(_k: Kernel, d: NdDimm): void {
  d.ndd = null;
}

/** nd_fletcher64(). */
export function fletcher64(words: number[]): bigint {
  let lo = 0n;
  let hi = 0n;
  for (const w of words) {
    lo = (lo + BigInt(w >>> 0)) & 0xffffffffn;
    hi = (hi + lo) & 0xffffffffffffffffn;
  }
  return ((hi << 32n) | lo) & 0xffffffffffffffffn;
}

/** acpi_nfit_init_interleave_set() for a one-DIMM region at DPA 0: cookie1 (v1.1 labels) and cookie2 (v1.2). */
function interleaveCookies(regionOffset: number, d: NdDimm): { cookie1: bigint; cookie2: bigint } {
  const lo = regionOffset % 2 ** 32;
  const hi = Math.floor(regionOffset / 2 ** 32);
  const cookie1 = fletcher64([lo, hi, d.serial, 0]);
  const info2 = [lo, hi, d.serial, d.vendorId & 0xffff, 0, 0, 0, 0, 0, 0, 0, 0];
  return { cookie1, cookie2: fletcher64(info2) };
}

/* ------------------------------------------------------------ regions -- */

/** default_align(). */
function defaultAlign(size: number, mappings: number): number {
  let align = size < COMPAT_ALIGN_MAX ? SZ_4K : COMPAT_ALIGN_MAX;
  const m = Math.max(1, mappings);
  if (align % m !== 0) align *= m;
  return align;
}

export interface RegionDesc {
  start: number;
  size: number;
  pagemap: boolean;
  targetNode: number;
  numaNode: number;
  dimm?: NdDimm;
}

/** nd_region_create() + registration: regionN (memregion id), probed by nd_region. */
export function ndRegionCreate(k: Kernel, bus: NdBus, desc: RegionDesc): NdRegion {
  const st = ndState(k);
  const id = st.regionIda.get();
  const mappings = desc.dimm ? [{ dimm: desc.dimm, start: 0, size: desc.size, position: 0 }] : [];
  const r: NdRegion = {
    kind: "region",
    name: `region${id}`,
    id,
    bus,
    start: desc.start,
    size: desc.size,
    align: defaultAlign(desc.size, mappings.length),
    pagemap: desc.pagemap,
    targetNode: desc.targetNode,
    numaNode: desc.numaNode,
    ro: false,
    mappings,
    cookies: desc.dimm ? interleaveCookies(0, desc.dimm) : null,
    nsSeed: null,
    bttSeed: null,
    pfnSeed: null,
    daxSeed: null,
    nsIda: new Ida(),
    bttIda: new Ida(),
    pfnIda: new Ida(),
    daxIda: new Ida(),
    children: [],
    registered: false,
    killed: false,
    driver: null,
    devres: [],
  };
  st.regions.push(r);
  ndDeviceRegister(k, r);
  return r;
}

/** Boot-time quirk (observed): an e820 region's raw namespace probe runs nd_btt_probe concurrently with the region probe, whose btt seed then gets id 1. */
const bootBttRace = new WeakSet<NdRegion>();
export function markBootBttRace(r: NdRegion): void {
  bootBttRace.add(r);
}

/** nd_region_probe(). */
function regionProbe(k: Kernel, r: NdRegion): ProbeResult {
  // init_active_labels(): DIMMs with labels must be enabled; hold them busy.
  for (const m of r.mappings) {
    const d = m.dimm;
    if (!d.ndd) {
      if (d.labeling) {
        k.printk(3, `nd_region ${r.name}: ${d.name}: is disabled, failing probe`);
        return err(ENXIO);
      }
      continue;
    }
    d.busy++;
    r.devres.push(() => {
      d.busy--;
    });
  }
  const nstype = regionNstype(r);
  const devs: NdNamespace[] = nstype === ND_DEVICE.NAMESPACE_IO ? [createNamespaceIo(r)] : scanLabels(k, r);
  for (let i = 0; i < devs.length; i++) {
    const ns = devs[i];
    ns.id = ns.nstype === "pmem" ? r.nsIda.get() : i;
    ns.name = `namespace${r.id}.${ns.id}`;
    ndDeviceRegister(k, ns);
  }
  if (devs.length) r.nsSeed = devs[0];
  const race = bootBttRace.has(r);
  const held = race ? r.bttIda.get() : -1;
  r.bttSeed = bttCreate(k, r);
  if (race) {
    r.bttIda.put(held);
    bootBttRace.delete(r);
  }
  r.pfnSeed = pfnCreate(k, r, "pfn");
  r.daxSeed = pfnCreate(k, r, "ndax");
  return OK;
}

/** nd_region_remove(): unregister the children (seeds and claim devices first, then namespaces, as observed). */
function regionRemove(k: Kernel, r: NdRegion): void {
  const kids = [...r.children];
  for (const c of kids) if (c.kind !== "namespace") ndDeviceUnregister(k, c);
  for (const c of kids) if (c.kind === "namespace") ndDeviceUnregister(k, c);
  r.nsSeed = null;
  r.bttSeed = null;
  r.pfnSeed = null;
  r.daxSeed = null;
}

function newNamespace(r: NdRegion, nstype: "io" | "pmem"): NdNamespace {
  return {
    kind: "namespace",
    nstype,
    region: r,
    id: 0,
    name: "",
    start: r.start,
    size: 0,
    uuid: null,
    altName: "",
    lbasize: 512,
    forceRaw: false,
    claimClass: "none",
    claim: null,
    disk: null,
    pgmap: null,
    registered: false,
    killed: false,
    driver: null,
    devres: [],
  };
}

/** create_namespace_io(): one namespace over the whole region. */
function createNamespaceIo(r: NdRegion): NdNamespace {
  const ns = newNamespace(r, "io");
  ns.start = r.start;
  ns.size = r.size;
  return ns;
}

/** scan_labels() for a one-DIMM region: a namespace per active label (DPA order), else a zero-sized seed. */
function scanLabels(_k: Kernel, r: NdRegion): NdNamespace[] {
  const m = r.mappings[0];
  const labels = m.dimm.labelArea.labels.filter((l) => l.dpa >= m.start && l.dpa < m.start + m.size).sort((a, b) => a.dpa - b.dpa);
  const out: NdNamespace[] = [];
  for (const l of labels) {
    const ns = newNamespace(r, "pmem");
    ns.uuid = l.uuid;
    ns.altName = l.name;
    ns.lbasize = l.lbasize || 512;
    ns.claimClass = l.claimClass;
    ns.start = r.start + (l.dpa - m.start);
    ns.size = l.rawsize;
    out.push(ns);
  }
  if (out.length === 0) out.push(newNamespace(r, "pmem"));
  return out;
}

/** nd_region_create_ns_seed(). */
function createNsSeed(k: Kernel, r: NdRegion): void {
  if (regionNstype(r) === ND_DEVICE.NAMESPACE_IO) return;
  const ns = newNamespace(r, "pmem");
  ns.id = r.nsIda.get();
  ns.name = `namespace${r.id}.${ns.id}`;
  r.nsSeed = ns;
  ndDeviceRegister(k, ns);
}

/** nd_region_advance_seeds(). */
function advanceSeeds(k: Kernel, r: NdRegion, d: NdNamespace | NdBtt | NdPfn): void {
  if (r.nsSeed === d) {
    createNsSeed(k, r);
  } else if (d.kind === "btt") {
    if (r.bttSeed === d) r.bttSeed = bttCreate(k, r);
    if (d.ns && r.nsSeed === d.ns) createNsSeed(k, r);
  } else if (d.kind === "pfn") {
    if (r.pfnSeed === d) r.pfnSeed = pfnCreate(k, r, "pfn");
    if (d.ns && r.nsSeed === d.ns) createNsSeed(k, r);
  } else if (d.kind === "ndax") {
    if (r.daxSeed === d) r.daxSeed = pfnCreate(k, r, "ndax");
    if (d.ns && r.nsSeed === d.ns) createNsSeed(k, r);
  }
}

function bttCreate(k: Kernel, r: NdRegion): NdBtt {
  const b: NdBtt = { kind: "btt", region: r, id: r.bttIda.get(), name: "", ns: null, uuid: null, lbasize: 0, disk: null, size: 0, registered: false, killed: false, driver: null, devres: [] };
  b.name = `btt${r.id}.${b.id}`;
  ndDeviceRegister(k, b);
  return b;
}

/** nd_pfn_alloc() + nd_pfn_devinit(): a pfn or dax device, optionally claiming a namespace. */
function pfnAlloc(r: NdRegion, kind: "pfn" | "ndax", ns: NdNamespace | null): NdPfn | null {
  const ida = kind === "pfn" ? r.pfnIda : r.daxIda;
  const p: NdPfn = {
    kind,
    region: r,
    id: ida.get(),
    name: "",
    ns: null,
    uuid: null,
    mode: "none",
    align: pfnDefaultAlignment(),
    sb: null,
    disk: null,
    pgmap: null,
    dax: null,
    registered: false,
    killed: false,
    driver: null,
    devres: [],
  };
  p.name = `${kind === "pfn" ? "pfn" : "dax"}${r.id}.${p.id}`;
  if (ns && !attachNs(p, ns)) {
    ida.put(p.id);
    return null;
  }
  return p;
}

/** nd_pfn_create() / nd_dax_create(): a seed. */
function pfnCreate(k: Kernel, r: NdRegion, kind: "pfn" | "ndax"): NdPfn | null {
  const p = pfnAlloc(r, kind, null);
  if (!p) return null;
  ndDeviceRegister(k, p);
  return p;
}

/** Release a never-registered temporary pfn/dax/btt device (put_device). */
function putTemp(p: NdPfn): void {
  if (p.ns) detachNs(p);
  (p.kind === "pfn" ? p.region.pfnIda : p.region.daxIda).put(p.id);
}

/* -------------------------------------------------------------- claims -- */

function attachNs(dev: NdPfn | NdBtt, ns: NdNamespace): boolean {
  if (ns.claim) return false;
  ns.claim = dev;
  dev.ns = ns;
  return true;
}

function detachNs(dev: NdPfn | NdBtt): void {
  if (dev.ns && dev.ns.claim === dev) dev.ns.claim = null;
  dev.ns = null;
}

/** is_idle() in claim.c. */
function isIdle(dev: NdPfn | NdBtt): boolean {
  const r = dev.region;
  const seed = dev.kind === "btt" ? r.bttSeed : dev.kind === "pfn" ? r.pfnSeed : r.daxSeed;
  return !(seed === dev || dev.ns || dev.driver);
}

/** nd_namespace_store(): the `namespace` attribute of a btt/pfn/dax device. */
export function claimNamespaceStore(k: Kernel, dev: NdPfn | NdBtt, buf: string): Errno | null {
  if (dev.driver) return EBUSY;
  const name = buf.trim();
  if (!(name.startsWith("namespace") || name === "")) return EINVAL;
  if (name === "") {
    // nd_detach_and_reset()
    detachNs(dev);
    if (isIdle(dev)) {
      ndDeviceUnregister(k, dev);
    } else if (dev.kind === "btt") {
      dev.lbasize = 0;
      dev.uuid = null;
    } else {
      dev.uuid = null;
      dev.mode = "none";
    }
    return null;
  }
  if (dev.ns) return EBUSY;
  const ns = dev.region.children.find((c): c is NdNamespace => c.kind === "namespace" && c.name === name);
  if (!ns) return ENODEV;
  const ok = dev.kind === "btt" ? ["btt", "btt2"] : dev.kind === "pfn" ? ["pfn"] : ["dax"];
  if (ns.claimClass !== "none" && !ok.includes(ns.claimClass)) return EBUSY;
  if (ns.size < SZ_16M) return ENXIO;
  if (!attachNs(dev, ns)) return EBUSY;
  return null;
}

/* ---------------------------------------------------------- namespaces -- */

/** nd_dev_to_uuid(): a labelled namespace's uuid, else the null uuid. */
function nsUuid(ns: NdNamespace): string {
  return ns.nstype === "pmem" && ns.uuid ? ns.uuid : NULL_UUID;
}

/** pmem_should_map_pages(dev) for a namespace. */
export function pmemShouldMapPages(k: Kernel, ns: NdNamespace): boolean {
  if (!ns.region.pagemap) return false;
  if (ns.forceRaw) return false;
  if (regionIntersectsSystemRam(k.iomem, ns.start, ns.size) === REGION_MIXED) return false;
  return true;
}

/** The namespace `mode` attribute. */
export function namespaceMode(k: Kernel, ns: NdNamespace): "safe" | "memory" | "dax" | "raw" {
  const c = ns.claim;
  if (c && c.kind === "btt") return "safe";
  if (c && c.kind === "pfn") return "memory";
  if (c && c.kind === "ndax") return "dax";
  if (!c && pmemShouldMapPages(k, ns)) return "memory";
  return "raw";
}

/** The region's `mapping` DIMMs all enabled? (to_ndd() of every mapping). */
function allNdd(r: NdRegion): boolean {
  return r.mappings.length > 0 && r.mappings.every((m) => m.dimm.ndd !== null);
}

function dpaAlign(r: NdRegion): number {
  return r.align / Math.max(1, r.mappings.length);
}

/** nd_pmem_available_dpa() for one mapping. */
function pmemAvailableDpa(r: NdRegion, mIdx: number): number {
  const m = r.mappings[mIdx];
  const ndd = m.dimm.ndd;
  if (!ndd) return 0;
  const align = dpaAlign(r);
  const mapEnd = m.start + m.size - 1;
  let busy = 0;
  for (const res of ndd.dpa) {
    const start = alignDown(res.start, align);
    const end = alignUp(res.start + res.size, align) - 1;
    if (start >= m.start && start < mapEnd) {
      if (end > mapEnd) return 0;
      busy += end - start + 1;
    } else if (end >= m.start && end <= mapEnd) {
      busy += end - start + 1;
    } else if (m.start > start && m.start < end) {
      busy += m.size;
    }
  }
  return busy < m.size ? alignDown(m.size - busy, align) : 0;
}

/** Free DPA extents of a mapping (holes between allocations). */
function freeExtents(r: NdRegion, mIdx: number): { start: number; end: number }[] {
  const m = r.mappings[mIdx];
  const used = [...(m.dimm.ndd?.dpa ?? [])].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  let cur = m.start;
  for (const u of used) {
    if (u.start > cur) out.push({ start: cur, end: u.start - 1 });
    cur = Math.max(cur, u.start + u.size);
  }
  if (cur <= m.start + m.size - 1) out.push({ start: cur, end: m.start + m.size - 1 });
  return out;
}

/** nd_pmem_max_contiguous_dpa(). */
function pmemMaxContiguousDpa(r: NdRegion, mIdx: number): number {
  if (!r.mappings[mIdx].dimm.ndd) return 0;
  const align = dpaAlign(r);
  let max = 0;
  for (const f of freeExtents(r, mIdx)) {
    const start = alignUp(f.start, align);
    const end = alignDown(f.end + 1, align) - 1;
    if (end < start) continue;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/** The region's `available_size` attribute. */
export function regionAvailableSize(r: NdRegion): number {
  let a = 0;
  for (let i = 0; i < r.mappings.length; i++) {
    if (!r.mappings[i].dimm.ndd) return 0;
    a += pmemAvailableDpa(r, i);
  }
  return a;
}

/** The region's `max_available_extent` attribute (nd_region_allocatable_dpa). */
export function regionMaxAvailableExtent(r: NdRegion): number {
  let avail = 0;
  for (let i = 0; i < r.mappings.length; i++) {
    const v = pmemMaxContiguousDpa(r, i);
    if (v && (avail === 0 || v < avail)) avail = v;
  }
  return avail * r.mappings.length;
}

/** The region's `set_cookie` attribute (cookie1 for v1.1 labels or label-less, cookie2 for v1.2). */
export function regionSetCookie(r: NdRegion): bigint | null {
  if (!r.cookies) return null;
  const d = r.mappings[0]?.dimm;
  if (d?.ndd) {
    const v = d.labelArea.index?.version;
    return v === "1.1" ? r.cookies.cookie1 : r.cookies.cookie2;
  }
  return r.cookies.cookie1;
}

function labelId(ns: NdNamespace): string {
  return `pmem-${ns.uuid}`;
}

/** nd_label_update / delete for a one-DIMM region. */
function labelUpdate(r: NdRegion, ns: NdNamespace): void {
  for (const m of r.mappings) {
    const area = m.dimm.labelArea;
    if (!area.index) continue;
    area.labels = area.labels.filter((l) => l.uuid !== ns.uuid);
    const res = m.dimm.ndd?.dpa.find((d) => d.id === labelId(ns));
    if (ns.uuid && res && res.size > 0) {
      area.labels.push({
        uuid: ns.uuid,
        name: ns.altName,
        dpa: res.start,
        rawsize: res.size,
        lbasize: area.index.version === "1.2" ? ns.lbasize : 0,
        claimClass: area.index.version === "1.2" ? ns.claimClass : "none",
        position: m.position,
      });
    }
  }
}

/** __size_store() + label update for a labelled namespace. */
function sizeStore(k: Kernel, ns: NdNamespace, val: number): Errno | null {
  const r = ns.region;
  if (ns.driver || ns.claim) return EBUSY;
  if (ns.nstype !== "pmem" || !ns.uuid) return ENXIO;
  if (r.mappings.length === 0) return ENXIO;
  if (val % r.align !== 0) return EINVAL;
  let allocated = 0;
  for (const m of r.mappings) {
    if (!m.dimm.ndd) return ENXIO;
    allocated += m.dimm.ndd.dpa.filter((d) => d.id === labelId(ns)).reduce((a, d) => a + d.size, 0);
  }
  const available = regionMaxAvailableExtent(r);
  if (val > available + allocated) return ENOSPC;
  if (val === allocated) return null;
  const per = val / r.mappings.length;
  for (let i = 0; i < r.mappings.length; i++) {
    const ndd = r.mappings[i].dimm.ndd!;
    const mine = ndd.dpa.filter((d) => d.id === labelId(ns));
    ndd.dpa = ndd.dpa.filter((d) => d.id !== labelId(ns));
    if (per === 0) continue;
    // Grow in place when possible, else take the first aligned free extent that fits.
    const cur = mine[0];
    const align = dpaAlign(r);
    let placed: DpaRes | null = null;
    if (cur) {
      const fits = freeExtents(r, i).some((f) => f.start <= cur.start && f.end >= cur.start + per - 1);
      if (fits) placed = { id: labelId(ns), start: cur.start, size: per };
    }
    if (!placed) {
      for (const f of freeExtents(r, i)) {
        const s = alignUp(f.start, align);
        if (s + per - 1 <= f.end) {
          placed = { id: labelId(ns), start: s, size: per };
          break;
        }
      }
    }
    if (!placed) {
      ndd.dpa.push(...mine);
      return ENOSPC;
    }
    ndd.dpa.push(placed);
  }
  const m0 = r.mappings[0];
  const res = m0.dimm.ndd!.dpa.find((d) => d.id === labelId(ns));
  ns.start = res ? r.start + (res.start - m0.start) : r.start;
  ns.size = val;
  labelUpdate(r, ns);
  if (val === 0 && ns.id !== 0 && r.nsSeed !== ns && !ns.claim) ndDeviceUnregister(k, ns);
  return null;
}

/** Write to a namespace attribute (uuid, size, alt_name, sector_size, holder_class, force_raw). */
export function namespaceStore(k: Kernel, ns: NdNamespace, attr: string, buf: string): Errno | null {
  ndFlush(k);
  const v = buf.replace(/\n$/, "");
  switch (attr) {
    case "force_raw": {
      if (!/^[01yYnN]/.test(v)) return EINVAL;
      ns.forceRaw = /^[1yY]/.test(v);
      return null;
    }
    case "holder_class": {
      if (ns.driver || ns.claim) return EBUSY;
      const c: ClaimClass | null = v === "btt" ? bttClaimClass(ns.region) : v === "pfn" ? "pfn" : v === "dax" ? "dax" : v === "" ? "none" : null;
      if (!c) return EINVAL;
      ns.claimClass = c;
      if (ns.nstype === "pmem" && ns.uuid) labelUpdate(ns.region, ns);
      return null;
    }
    case "uuid": {
      if (ns.nstype !== "pmem") return EACCES_();
      if (ns.driver || ns.claim) return EBUSY;
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) return EINVAL;
      const old = ns.uuid;
      ns.uuid = v.toLowerCase();
      // Move any DPA allocation to the new label id.
      for (const m of ns.region.mappings) for (const d of m.dimm.ndd?.dpa ?? []) if (old && d.id === `pmem-${old}`) d.id = labelId(ns);
      if (old) for (const m of ns.region.mappings) m.dimm.labelArea.labels = m.dimm.labelArea.labels.filter((l) => l.uuid !== old);
      labelUpdate(ns.region, ns);
      return null;
    }
    case "alt_name": {
      if (ns.nstype !== "pmem") return EACCES_();
      if (ns.driver || ns.claim) return EBUSY;
      ns.altName = v;
      if (ns.uuid) labelUpdate(ns.region, ns);
      return null;
    }
    case "sector_size": {
      if (ns.nstype !== "pmem") return EACCES_();
      if (ns.driver || ns.claim) return EBUSY;
      const n = Number(v);
      if (n !== 512 && n !== 4096) return EINVAL;
      ns.lbasize = n;
      if (ns.uuid) labelUpdate(ns.region, ns);
      return null;
    }
    case "size": {
      if (ns.nstype !== "pmem") return EACCES_();
      const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n)) return EINVAL;
      const r = sizeStore(k, ns, n);
      if (!r && n === 0) ns.uuid = null;
      return r;
    }
  }
  return EACCES_();
}

function EACCES_(): Errno {
  return "EACCES";
}

/* --------------------------------------------------------------- media -- */

function infoBlockAddr(ns: NdNamespace): number {
  return ns.start + SZ_4K;
}

/** nvdimm_read_bytes(ndns, SZ_4K, pfn_sb): the info block on the media, if any. */
export function readInfoBlock(k: Kernel, ns: NdNamespace): InfoBlock | undefined {
  const b = ndState(k).media.get(infoBlockAddr(ns));
  return b && b.sig !== "BTT" ? b : undefined;
}

/** Are the first 8 KiB of the namespace all zero? (ndctl's zero_info_block reads them.) */
export function infoAreaIsZero(k: Kernel, ns: NdNamespace): boolean {
  for (const a of ndState(k).media.keys()) if (a >= ns.start && a < ns.start + SZ_8K) return false;
  return true;
}

/** Writing zeros over the first 8 KiB of the namespace. */
export function zeroInfoArea(k: Kernel, ns: NdNamespace): void {
  const m = ndState(k).media;
  for (const a of [...m.keys()]) if (a >= ns.start && a < ns.start + SZ_8K) m.delete(a);
}

/* ------------------------------------------------------ pfn / dax info -- */

function log2floor(x: number): number {
  let n = 0;
  while (2 ** (n + 1) <= x) n++;
  return n;
}

/** nd_pfn_validate(). */
function pfnValidate(k: Kernel, p: NdPfn, sig: "PFN" | "DAX"): ProbeResult {
  const ns = p.ns;
  if (!ns) return err(ENODEV);
  const sb = readInfoBlock(k, ns);
  if (!sb || sb.sig !== sig) return err(ENODEV);
  if (sb.parentUuid !== nsUuid(ns)) return err(ENODEV);
  const b: InfoBlock = { ...sb };
  if (b.versionMinor < 1) {
    b.startPad = 0;
    b.endTrunc = 0;
  }
  if (b.versionMinor < 2) b.align = 0;
  if (b.versionMinor < 4) {
    b.pageStructSize = 64;
    b.pageSize = k.geometry.pageSize;
  }
  if (b.mode !== "ram" && b.mode !== "pmem") return err(ENXIO);
  let align = b.align;
  const offset = b.dataoff;
  if (align === 0) align = 2 ** log2floor(offset);
  const dev = `${driverOf(p)} ${p.name}`;
  if (b.pageSize > k.geometry.pageSize && b.mode === "pmem") {
    k.printk(3, `${dev}: init failed, page size mismatch ${b.pageSize}`);
    return err(EOPNOTSUPP);
  }
  if (b.pageStructSize < k.geometry.structPageSize && b.mode === "pmem") {
    k.printk(3, `${dev}: init failed, struct page size mismatch ${b.pageStructSize}`);
    return err(EOPNOTSUPP);
  }
  if (!pfnSupportedAlignments(k).includes(align) && sig === "DAX") {
    k.printk(3, `${dev}: init failed, alignment mismatch: ${p.align}:${align}`);
    return err(EOPNOTSUPP);
  }
  if (!p.uuid) {
    p.uuid = b.uuid;
    p.align = align;
    p.mode = b.mode;
  } else {
    if (p.uuid !== b.uuid) return err(ENODEV);
    if (p.align !== align || p.mode !== b.mode) {
      k.printk(3, `${dev}: init failed, settings mismatch`);
      return err(EOPNOTSUPP);
    }
  }
  if (align > ns.size) {
    k.printk(3, `${dev}: alignment: ${align.toString(16)} exceeds capacity ${ns.size.toString(16)}`);
    return err(EOPNOTSUPP);
  }
  if (offset >= ns.size) {
    k.printk(3, `${dev}: pfn array size exceeds capacity of ${ns.name}`);
    return err(EOPNOTSUPP);
  }
  if ((align && (ns.start + offset + b.startPad) % align !== 0) || offset % k.geometry.pageSize !== 0) {
    k.printk(3, `${dev}: bad offset: ${hex0x(offset)} dax disabled align: ${hex0x(align)}`);
    return err(EOPNOTSUPP);
  }
  const compat = k.rules.subsectionHotplug ? memremapCompatAlign(k) : 1;
  if ((ns.start + b.startPad) % compat !== 0) {
    k.printk(3, `${dev}: resource start misaligned`);
    return err(EOPNOTSUPP);
  }
  if ((ns.start + ns.size - b.endTrunc) % compat !== 0) {
    k.printk(3, `${dev}: resource end misaligned`);
    return err(EOPNOTSUPP);
  }
  p.sb = b;
  return OK;
}

/** dev_driver_string(): the bound (or probing) driver, else the bus name. */
function driverOf(d: NdPfn | NdNamespace | NdBtt): string {
  return d.driver ?? "nd";
}

/** nd_pfn_init(): validate an existing info block or write a new one. */
function pfnInit(k: Kernel, p: NdPfn): ProbeResult {
  const ns = p.ns!;
  const sig = p.kind === "ndax" ? "DAX" : "PFN";
  const v = pfnValidate(k, p, sig);
  if (v.ok) return OK;
  if (v.errno !== "ENODEV") return v;
  const dev = `${driverOf(p)} ${p.name}`;
  if (p.region.ro) {
    k.printk(6, `${dev}: ${p.region.name} is read-only, unable to init metadata`);
    return err(ENXIO);
  }
  if (!k.rules.subsectionHotplug) return pfnInitSections(k, p, ns, sig);
  const start = ns.start;
  const size = ns.size;
  const pageSize = k.geometry.pageSize;
  let npfns = Math.floor((size - SZ_8K) / pageSize);
  const compat = memremapCompatAlign(k);
  const align = Math.max(p.align, compat);
  if (start % compat !== 0) {
    k.printk(3, `${dev}: ${ns.name}: start ${hexPa(start)} misaligned to ${hex0x(compat)}`);
    return err(EINVAL);
  }
  const endTrunc = start + size - alignDown(start + size, align);
  let offset: number;
  if (p.mode === "pmem") {
    offset = alignUp(start + SZ_8K + MAX_STRUCT_PAGE_SIZE * npfns, align) - start;
  } else if (p.mode === "ram") {
    offset = alignUp(start + SZ_8K, align) - start;
  } else {
    return err(ENXIO);
  }
  if (offset >= size) {
    k.printk(3, `${dev}: ${ns.name} unable to satisfy requested alignment`);
    return err(ENXIO);
  }
  npfns = Math.floor((size - offset - endTrunc) / pageSize);
  const sb: InfoBlock = {
    sig,
    uuid: p.uuid!,
    parentUuid: nsUuid(ns),
    mode: p.mode,
    dataoff: offset,
    npfns,
    startPad: 0,
    endTrunc,
    align: p.align,
    versionMinor: 4,
    pageSize,
    pageStructSize: MAX_STRUCT_PAGE_SIZE,
  };
  ndState(k).media.set(infoBlockAddr(ns), sb);
  p.sb = sb;
  return OK;
}

/**
 * nd_pfn_init() before v5.3 (profile 5.2): the data area is padded to whole
 * sections — start_pad up to the next section boundary, end_trunc down to
 * the last one when the tail section also holds System RAM — and npfns is
 * rounded up to a section (info block version 1.2).
 */
function pfnInitSections(k: Kernel, p: NdPfn, ns: NdNamespace, sig: "PFN" | "DAX"): ProbeResult {
  const dev = `${driverOf(p)} ${p.name}`;
  const ss = k.geometry.sectionSize;
  const pageSize = k.geometry.pageSize;
  let start = ns.start;
  const size = ns.size;
  let endTrunc = 0;
  const spanToSection = alignUp(start + size, ss) - start;
  if (regionIntersectsSystemRam(k.iomem, start, spanToSection) === REGION_MIXED) endTrunc = start + size - alignDown(start + size, ss);
  const startPad = alignUp(start, ss) - start;
  if (startPad + endTrunc) k.printk(6, `${dev}: ${ns.name} alignment collision, truncate ${startPad + endTrunc} bytes`);
  start += startPad;
  const align = Math.max(p.align, 2 * MiB);
  const sectionPages = ss / pageSize;
  const npfns0 = alignUp(Math.floor((size - startPad - endTrunc - SZ_8K) / pageSize), sectionPages);
  let offset: number;
  if (p.mode === "pmem") offset = alignUp(start + SZ_8K + MAX_STRUCT_PAGE_SIZE * npfns0, align) - start;
  else if (p.mode === "ram") offset = alignUp(start + SZ_8K, align) - start;
  else return err(ENXIO);
  if (offset + startPad + endTrunc >= size) {
    k.printk(3, `${dev}: ${ns.name} unable to satisfy requested alignment`);
    return err(ENXIO);
  }
  const sb: InfoBlock = {
    sig,
    uuid: p.uuid!,
    parentUuid: nsUuid(ns),
    mode: p.mode,
    dataoff: offset,
    npfns: Math.floor((size - offset - startPad - endTrunc) / pageSize),
    startPad,
    endTrunc,
    align: p.align,
    versionMinor: 2,
    pageSize,
    pageStructSize: MAX_STRUCT_PAGE_SIZE,
  };
  ndState(k).media.set(infoBlockAddr(ns), sb);
  p.sb = sb;
  return OK;
}

/** nvdimm_setup_pfn(): info block, then the dev_pagemap covering the namespace (with altmap in mode pmem). */
export function nvdimmSetupPfn(k: Kernel, p: NdPfn): { ok: true; pgmap: DevPagemap } | { ok: false; errno: Errno } {
  if (!p.uuid || !p.ns) return { ok: false, errno: ENODEV };
  const r = pfnInit(k, p);
  if (!r.ok) return r;
  const sb = p.sb!;
  const ns = p.ns;
  const ps = k.geometry.pageSize;
  const base = ns.start + sb.startPad;
  const end = ns.start + ns.size - 1 - sb.endTrunc;
  const reserve = SZ_8K;
  const pgmap: DevPagemap = { type: "FS_DAX", ranges: [{ start: base, end }], owner: p.name, mapped: 0, nid: -1 };
  if (p.mode === "ram") {
    if (sb.dataoff < reserve) return { ok: false, errno: EINVAL };
  } else if (p.mode === "pmem") {
    const npfns = Math.floor((end - base + 1 - sb.dataoff) / ps);
    if (sb.npfns > npfns) k.printk(6, `${driverOf(p)} ${p.name}: number of pfns truncated from ${sb.npfns} to ${npfns}`);
    const basePfn = Math.floor(base / ps);
    const sub = k.sparse.ppss;
    const altBase = basePfn - (basePfn % sub);
    pgmap.altmap = { basePfn: altBase, reserve: reserve / ps + (basePfn - altBase), free: (sb.dataoff - reserve) / ps };
  } else {
    return { ok: false, errno: ENXIO };
  }
  return { ok: true, pgmap };
}

/** pfn/dax `resource` attribute: start + start_pad + dataoff (while bound). */
export function pfnResource(p: NdPfn): number | null {
  if (!p.driver || !p.sb || !p.ns) return null;
  return p.ns.start + p.sb.startPad + p.sb.dataoff;
}

/** pfn/dax `size` attribute (while bound). */
export function pfnSize(p: NdPfn): number | null {
  if (!p.driver || !p.sb || !p.ns) return null;
  return p.ns.size - p.sb.startPad - p.sb.endTrunc - p.sb.dataoff;
}

/** Writes to a pfn/dax device attribute (uuid, mode, align, namespace). */
export function pfnStore(k: Kernel, p: NdPfn, attr: string, buf: string): Errno | null {
  ndFlush(k);
  const v = buf.replace(/\n$/, "");
  switch (attr) {
    case "uuid":
      if (p.driver) return EBUSY;
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) return EINVAL;
      p.uuid = v.toLowerCase();
      return null;
    case "mode":
      if (p.driver) return EBUSY;
      if (v === "pmem" || v === "ram" || v === "none") {
        p.mode = v as PfnMode;
        return null;
      }
      return EINVAL;
    case "align": {
      if (p.driver) return EBUSY;
      const n = Number(v);
      if (!pfnSupportedAlignments(k).includes(n)) return EINVAL;
      p.align = n;
      return null;
    }
    case "namespace":
      return claimNamespaceStore(k, p, buf);
  }
  return "EACCES";
}

/** nd_pfn_probe() / nd_dax_probe() on a namespace being probed by nd_pmem: autodetect an info block. */
function claimProbe(k: Kernel, ns: NdNamespace, kind: "pfn" | "ndax"): ProbeResult {
  if (ns.forceRaw) return err(ENODEV);
  const want: ClaimClass = kind === "pfn" ? "pfn" : "dax";
  if (ns.claimClass !== "none" && ns.claimClass !== want) return err(ENODEV);
  const p = pfnAlloc(ns.region, kind, ns);
  if (!p) return err(ENOMEM);
  // The temporary device is not bound to a driver while validating.
  const r = pfnValidate(k, p, kind === "pfn" ? "PFN" : "DAX");
  if (!r.ok) {
    putTemp(p);
    return r;
  }
  ndDeviceRegister(k, p);
  return OK;
}

/* ------------------------------------------------------------- nd_pmem -- */

/** nvdimm_namespace_common_probe(). */
export function namespaceCommonProbe(k: Kernel, d: NdNamespace | NdBtt | NdPfn): { ok: true; ns: NdNamespace } | { ok: false; errno: Errno } {
  let ns: NdNamespace;
  if (d.kind !== "namespace") {
    if (!d.ns) return { ok: false, errno: ENODEV };
    ns = d.ns;
    if (ns.driver) return { ok: false, errno: EBUSY };
    if (ns.claim !== d) return { ok: false, errno: ENXIO };
  } else {
    ns = d;
    if (ns.claim) return { ok: false, errno: ENXIO };
  }
  if (ns.size < SZ_4K) return { ok: false, errno: ENODEV };
  if (d.kind === "namespace" && k.rules.subsectionHotplug && pmemShouldMapPages(k, ns)) {
    const compat = memremapCompatAlign(k);
    if (ns.start % compat !== 0 || (ns.start + ns.size) % compat !== 0) {
      k.printk(3, `${driverOf(ns)} ${ns.name}: [mem ${hex0x10(ns.start)}-${hex0x10(ns.start + ns.size - 1)} flags 0x200] misaligned, unable to map`);
      return { ok: false, errno: EOPNOTSUPP };
    }
  }
  if (ns.nstype === "pmem" && !ns.uuid) return { ok: false, errno: ENODEV };
  return { ok: true, ns };
}

/** nd_pmem_probe(). */
function ndPmemProbe(k: Kernel, d: NdNamespace | NdBtt | NdPfn): ProbeResult {
  const c = namespaceCommonProbe(k, d);
  if (!c.ok) return c;
  const ns = c.ns;
  if (d.kind === "btt") return attachBtt(k, d, ns);
  if (d.kind === "pfn") return pmemAttachDisk(k, d, ns);
  if (d.kind === "ndax") return err(ENODEV);
  // Raw namespace: look for btt / pfn / dax info blocks first.
  let r = bttProbe(k, ns);
  if (r.ok) return err(ENXIO);
  r = claimProbe(k, ns, "pfn");
  if (r.ok) return err(ENXIO);
  if (r.errno === "EOPNOTSUPP") return r;
  r = claimProbe(k, ns, "ndax");
  if (r.ok) return err(ENXIO);
  if (r.errno === "EOPNOTSUPP") return r;
  return pmemAttachDisk(k, ns, ns);
}

/** nvdimm_has_flush() < 0: regions without DIMM mappings (e820) cannot flush. */
function hasNoFlush(r: NdRegion): boolean {
  return r.mappings.length === 0;
}

/** nvdimm_namespace_disk_name(). */
function diskName(ns: NdNamespace, dev: NdNamespace | NdPfn | NdBtt): string {
  const suffix = dev.kind === "btt" ? "s" : "";
  const idx = ns.nstype === "pmem" ? ns.id : 0;
  return idx ? `pmem${ns.region.id}.${idx}${suffix}` : `pmem${ns.region.id}${suffix}`;
}

/** pmem_attach_disk(). */
function pmemAttachDisk(k: Kernel, dev: NdNamespace | NdPfn, ns: NdNamespace): ProbeResult {
  let pgmap: DevPagemap | null = null;
  if (dev.kind === "pfn") {
    const s = nvdimmSetupPfn(k, dev);
    if (!s.ok) return s;
    pgmap = s.pgmap;
  }
  if (hasNoFlush(ns.region)) k.printk(4, `${driverOf(dev)} ${dev.name}: unable to guarantee persistence of writes`);
  const res = requestRegion(k.iomem, ns.start, ns.size, ns.name, {});
  if (!res) {
    k.printk(4, `${driverOf(dev)} ${dev.name}: could not reserve region [mem ${hex0x10(ns.start)}-${hex0x10(ns.start + ns.size - 1)}]`);
    return err(EBUSY);
  }
  dev.devres.push(() => removeResource(res));
  if (!pgmap && dev.kind === "namespace" && pmemShouldMapPages(k, ns)) {
    pgmap = { type: "FS_DAX", ranges: [{ start: ns.start, end: ns.start + ns.size - 1 }], owner: dev.name, mapped: 0, nid: -1 };
  }
  if (pgmap) {
    const m = memremapPages(k, pgmap, ns.region.numaNode >= 0 ? ns.region.numaNode : -1);
    if (!m.ok) return m;
    const mapped = pgmap;
    dev.pgmap = mapped;
    dev.devres.push(() => {
      memunmapPages(k, mapped);
      dev.pgmap = null;
    });
  }
  const disk = addDisk(k, diskName(ns, dev), dev);
  dev.disk = disk;
  dev.devres.push(() => {
    delDisk(k, disk);
    dev.disk = null;
  });
  return OK;
}

/** device_add_disk(): a new diskseq, a minor, uevent `add`. */
function addDisk(k: Kernel, name: string, parent: NdNamespace | NdPfn | NdBtt): Disk {
  const st = ndState(k);
  st.diskseq++;
  const disk: Disk = { name, diskseq: st.diskseq, minor: st.diskMinors.get(), parent };
  diskUevent(k, "add", disk);
  return disk;
}

function delDisk(k: Kernel, disk: Disk): void {
  diskUevent(k, "remove", disk);
  ndState(k).diskMinors.put(disk.minor);
}

/* ---------------------------------------------------------- platform -- */

/** The e820_pmem driver: a bus and one region per legacy PMEM range (address order). */
export function e820PmemProbe(k: Kernel, targetNodeOf: (addr: number) => number): NdBus | null {
  const ranges: Resource[] = [];
  walk(k.iomem, (r) => {
    if (r !== k.iomem && r.desc === "PERSISTENT_MEMORY_LEGACY" && r.parent?.desc !== "PERSISTENT_MEMORY_LEGACY") ranges.push(r);
    return true;
  });
  if (ranges.length === 0) return null;
  ranges.sort((a, b) => a.start - b.start);
  const bus = ndBusRegister(k, "e820", "/devices/platform/e820_pmem");
  for (const res of ranges) {
    const nid = targetNodeOf(res.start);
    const r = ndRegionCreate(k, bus, { start: res.start, size: res.end - res.start + 1, pagemap: true, targetNode: nid, numaNode: onlineNodeOf(k, nid) });
    const ns = { start: r.start, size: r.size };
    // The namespace probe's nd_btt_probe() races the region probe's btt seed when it gets that far.
    const compat = memremapCompatAlign(k);
    if (ns.start % compat === 0 && (ns.start + ns.size) % compat === 0) markBootBttRace(r);
  }
  k.uevent("bind", "/devices/platform/e820_pmem", "platform", [
    ["DRIVER", "e820_pmem"],
    ["MODALIAS", "platform:e820_pmem"],
  ]);
  return bus;
}

/** numa_map_to_online_node(). */
function onlineNodeOf(k: Kernel, nid: number): number {
  if (nid < 0) return nid;
  if (k.nodeOnline.has(nid)) return nid;
  const online = k.onlineNodes();
  let best = online[0] ?? 0;
  for (const n of online) if (k.nodeDistance(nid, n) < k.nodeDistance(nid, best)) best = n;
  return best;
}

export interface NfitNvdimm {
  slot: number;
  start: number;
  size: number;
  labelSize: number;
  /** SPA proximity domain (QEMU `node`). */
  pxm: number;
}

/** The nfit driver: bus, DIMMs, "Persistent Memory" resources and one region per SPA range. */
export function nfitProbe(k: Kernel, nvdimms: NfitNvdimm[], pxmToNode: (pxm: number) => number, addrToNid: (addr: number) => number): NdBus | null {
  if (nvdimms.length === 0) return null;
  const sorted = [...nvdimms].sort((a, b) => a.slot - b.slot);
  const bus = ndBusRegister(k, "nfit", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00");
  const dimms = sorted.map((n) => ndDimmCreate(k, bus, { slot: n.slot, labelSize: n.labelSize }));
  ndFlush(k);
  sorted.forEach((n, i) => {
    // acpi_nfit_insert_resource(): unless the range is already Persistent Memory.
    let covered = false;
    walk(k.iomem, (r) => {
      if (r !== k.iomem && r.desc === "PERSISTENT_MEMORY" && r.start <= n.start && r.end >= n.start + n.size - 1) covered = true;
      return !covered;
    });
    if (!covered) insertNested(k.iomem, makeResource(n.start, n.start + n.size - 1, "Persistent Memory", { busy: false }, "PERSISTENT_MEMORY"));
    // target_node = pxm_to_node(proximity domain); numa_node = memory_add_physaddr_to_nid(spa).
    const nid = pxmToNode(n.pxm);
    ndRegionCreate(k, bus, { start: n.start, size: n.size, pagemap: false, targetNode: nid, numaNode: onlineNodeOf(k, addrToNid(n.start)), dimm: dimms[i] });
  });
  k.uevent("bind", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00", "acpi", [
    ["DRIVER", "nfit"],
    ["MODALIAS", "acpi:ACPI0012:"],
  ]);
  return bus;
}

/** Load the nd drivers (module init): they attach to existing devices. */
export function ndDriverLoad(k: Kernel, drv: string): void {
  const st = ndState(k);
  if (!st.ndDrivers.includes(drv)) st.ndDrivers.push(drv);
  for (const r of st.regions) for (const c of r.children) if (c.registered && !c.driver && matchingDriver(k, c) === drv) queue(k).push(c);
}

/* ------------------------------------------------------------- lookups -- */

export function allNdDevices(k: Kernel): NdDevice[] {
  const st = ndState(k);
  const out: NdDevice[] = [...st.buses, ...st.dimms];
  for (const r of st.regions) {
    out.push(r);
    out.push(...r.children);
  }
  return out.filter((d) => d.registered);
}

export function findNdDevice(k: Kernel, name: string): NdDevice | undefined {
  return allNdDevices(k).find((d) => d.name === name);
}

export function regionNamespaces(r: NdRegion): NdNamespace[] {
  return r.children.filter((c): c is NdNamespace => c.kind === "namespace");
}

export function regionPfns(r: NdRegion, kind: "pfn" | "ndax"): NdPfn[] {
  return r.children.filter((c): c is NdPfn => c.kind === kind);
}

export function regionBtts(r: NdRegion): NdBtt[] {
  return r.children.filter((c): c is NdBtt => c.kind === "btt");
}

/** DIMM `state`: "active" while an enabled region holds it. */
export function dimmActive(d: NdDimm): boolean {
  return d.busy > 0;
}

/* -------------------------------------------------------------- labels -- */

/** nvdimm_num_label_slots() for an index of the given label size. */
export function labelSlots(area: number, labelSize: number): number {
  // sizeof_namespace_index(): the index size for nslot labels rounded to 256; solve for the largest nslot.
  let nslot = Math.floor(area / labelSize);
  for (; nslot > 0; nslot--) {
    const indexSize = alignUp(72 + Math.ceil(nslot / 8), 256);
    if (2 * indexSize + nslot * labelSize <= area) break;
  }
  return nslot;
}

/** ND_CMD_SET_CONFIG_DATA of fresh index blocks (what `ndctl init-labels` writes): no namespace labels. */
export function writeLabelIndex(k: Kernel, d: NdDimm, version: "1.1" | "1.2"): Errno | null {
  if (d.busy > 0) return EBUSY;
  d.labelArea.index = { version };
  d.labelArea.labels = [];
  void k;
  return null;
}

/** Zeroing the label area (ndctl zero-labels). */
export function zeroLabelArea(d: NdDimm): Errno | null {
  if (d.busy > 0) return EBUSY;
  d.labelArea.index = null;
  d.labelArea.labels = [];
  return null;
}

/** available_slots attribute (label slots free minus the one kept for updates). */
export function dimmAvailableSlots(d: NdDimm): number | null {
  if (!d.ndd) return null;
  const size = d.labelArea.index?.version === "1.2" ? 256 : 128;
  const nslot = labelSlots(d.labelArea.size, size);
  return Math.max(0, nslot - d.labelArea.labels.length - 1);
}

export { allNdd };

/* ----------------------------------------------------------------- BTT -- */

const BTT_PG_SIZE = 4096;
const ARENA_MIN_SIZE = 16 * MiB;
const ARENA_MAX_SIZE = 2 ** 39;
const BTT_DEFAULT_NFREE = 256;
const LOG_GRP_SIZE = 64;
const MAP_ENT_SIZE = 4;
const INT_LBASIZE_ALIGNMENT = 64;
export const BTT_LBASIZE_SUPPORTED = [512, 520, 528, 4096, 4104, 4160, 4224];

/** btt_claim_class(): BTT v1.1 for label-less or v1.1 labels, v2.0 (btt2) for v1.2 labels or DIMMs without an index yet. */
function bttClaimClass(r: NdRegion): ClaimClass | null {
  let mask = 0;
  for (const m of r.mappings) {
    const ndd = m.dimm.ndd;
    if (!ndd) {
      mask = 0;
      break;
    }
    const idx = m.dimm.labelArea.index;
    if (!idx) mask |= 1;
    else mask |= idx.version === "1.1" ? 2 : 4;
  }
  if (mask === 0 || mask === 2) return "btt";
  if (mask === 1 || mask === 4) return "btt2";
  return null;
}

/** nd_btt_version(): where the info block lives and which version it must have. */
function bttLayout(ns: NdNamespace): { initialOffset: number; major: number; minor: number } {
  return ns.claimClass === "btt2" ? { initialOffset: 0, major: 2, minor: 0 } : { initialOffset: SZ_4K, major: 1, minor: 1 };
}

/** nd_btt_arena_is_valid() of the block at the namespace's BTT info offset. */
function readBttInfo(k: Kernel, ns: NdNamespace): BttInfo | undefined {
  const l = bttLayout(ns);
  const b = ndState(k).media.get(ns.start + l.initialOffset);
  if (!b || b.sig !== "BTT") return undefined;
  if (b.parentUuid !== NULL_UUID && b.parentUuid !== nsUuid(ns)) return undefined;
  if (b.versionMajor !== l.major || b.versionMinor !== l.minor) return undefined;
  return b;
}

/** create_arenas()/alloc_arena(): the external LBAs of a fresh BTT over rawsize bytes. */
export function bttExternalNlba(rawsize: number, lbasize: number): number {
  let remaining = rawsize;
  let nlba = 0;
  while (remaining) {
    const arenaSize = Math.min(ARENA_MAX_SIZE, remaining);
    remaining -= arenaSize;
    if (arenaSize < ARENA_MIN_SIZE) break;
    const internalLbasize = alignUp(lbasize, INT_LBASIZE_ALIGNMENT);
    let available = arenaSize - (arenaSize % BTT_PG_SIZE);
    available -= 2 * BTT_PG_SIZE;
    available -= alignUp(BTT_DEFAULT_NFREE * LOG_GRP_SIZE, BTT_PG_SIZE);
    const internalNlba = Math.floor((available - BTT_PG_SIZE) / (internalLbasize + MAP_ENT_SIZE));
    nlba += internalNlba - BTT_DEFAULT_NFREE;
  }
  return nlba;
}

/** nd_btt_probe() on a raw namespace: a BTT info block makes a btt device that claims it. */
function bttProbe(k: Kernel, ns: NdNamespace): ProbeResult {
  if (ns.forceRaw) return err(ENODEV);
  if (!["none", "btt", "btt2"].includes(ns.claimClass)) return err(ENODEV);
  const r = ns.region;
  const b: NdBtt = { kind: "btt", region: r, id: r.bttIda.get(), name: "", ns: null, uuid: null, lbasize: 0, disk: null, size: 0, registered: false, killed: false, driver: null, devres: [] };
  b.name = `btt${r.id}.${b.id}`;
  if (!attachNs(b, ns)) {
    r.bttIda.put(b.id);
    return err(ENOMEM);
  }
  const release = (e: Errno): ProbeResult => {
    detachNs(b);
    r.bttIda.put(b.id);
    return err(e);
  };
  if (ns.size < SZ_16M) return release(ENXIO);
  const info = readBttInfo(k, ns);
  if (!info) return release(ENODEV);
  b.lbasize = info.externalLbasize;
  b.uuid = info.uuid;
  ndDeviceRegister(k, b);
  return OK;
}

/** nvdimm_namespace_attach_btt() + btt_init(): find or create the arenas, then the pmemXs disk. */
function attachBtt(k: Kernel, b: NdBtt, ns: NdNamespace): ProbeResult {
  if (!b.uuid || !b.lbasize) return err(ENODEV);
  // devm_namespace_enable() for the whole life of the btt: the namespace range stays claimed.
  const claim = requestRegion(k.iomem, ns.start, ns.size, ns.name, {});
  if (!claim) {
    k.printk(4, `${driverOf(b)} ${b.name}: could not reserve region [mem ${hex0x10(ns.start)}-${hex0x10(ns.start + ns.size - 1)}]`);
    return err(EBUSY);
  }
  b.devres.push(() => removeResource(claim));
  const l = bttLayout(ns);
  const rawsize = ns.size - l.initialOffset;
  if (rawsize < ARENA_MIN_SIZE) return err(ENXIO);
  const sectorSize = b.lbasize >= 4096 ? 4096 : 512;
  let info = readBttInfo(k, ns);
  if (!info) {
    k.printk(6, `${driverOf(b)} ${b.name}: No existing arenas`);
    if (ns.region.ro) {
      k.printk(4, `${driverOf(b)} ${b.name}: ${ns.region.name} is read-only, unable to init btt metadata`);
      return err(ENOMEM);
    }
    info = {
      sig: "BTT",
      uuid: b.uuid,
      parentUuid: nsUuid(ns),
      externalLbasize: b.lbasize,
      nlba: bttExternalNlba(rawsize, b.lbasize),
      versionMajor: l.major,
      versionMinor: l.minor,
    };
    ndState(k).media.set(ns.start + l.initialOffset, info);
  }
  b.size = info.nlba * sectorSize;
  const disk = addDisk(k, diskName(ns, b), b);
  b.disk = disk;
  b.devres.push(() => {
    delDisk(k, disk);
    b.disk = null;
    b.size = 0;
  });
  return OK;
}

/** Writes to a btt device attribute (uuid, sector_size, namespace). */
export function bttStore(k: Kernel, b: NdBtt, attr: string, buf: string): Errno | null {
  ndFlush(k);
  const v = buf.replace(/\n$/, "");
  switch (attr) {
    case "uuid":
      if (b.driver) return EBUSY;
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) return EINVAL;
      b.uuid = v.toLowerCase();
      return null;
    case "sector_size": {
      if (b.driver) return EBUSY;
      const n = Number(v);
      if (!BTT_LBASIZE_SUPPORTED.includes(n)) return EINVAL;
      b.lbasize = n;
      return null;
    }
    case "namespace":
      return claimNamespaceStore(k, b, buf);
  }
  return "EACCES";
}
