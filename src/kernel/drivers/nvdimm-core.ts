/**
 * The libnvdimm device model: the nd bus and its devices (ndbusN, nmemN,
 * regionN, namespaceR.N, bttR.N, pfnR.N, daxR.N), the block disks pmemX,
 * the driver core glue they share with the dax bus (probe/remove, device
 * resources released in reverse order, bind/unbind/add/remove uevents with
 * the kernel's variables), id allocators and kernfs directory order.
 *
 * The state hangs off the Kernel in a WeakMap: the core Kernel type does not
 * know about nvdimm.
 */
import type { Kernel } from "../kernel.js";
import type { Errno } from "../errno.js";
import type { DevPagemap } from "../memremap.js";

/* ------------------------------------------------------------------ ids -- */

/** An IDA: the lowest free id. */
export class Ida {
  private used = new Set<number>();
  get(): number {
    let i = 0;
    while (this.used.has(i)) i++;
    this.used.add(i);
    return i;
  }
  put(id: number): void {
    this.used.delete(id);
  }
  has(id: number): boolean {
    return this.used.has(id);
  }
}

/* --------------------------------------------------------- kernfs order -- */

const M64 = (1n << 64n) - 1n;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;

/** kernfs_name_hash(name, NULL): the key kernfs sorts directory entries by. */
export function kernfsNameHash(name: string): number {
  let h = 0n;
  for (const c of new TextEncoder().encode(name)) {
    const cb = BigInt(c);
    h = ((h + (cb << 4n) + (cb >> 4n)) * 11n) & M64;
  }
  // end_name_hash() = hash_long(hash, 32) on 64-bit.
  let x = Number(((h * GOLDEN_RATIO_64) & M64) >> 32n);
  x = x & 0x7fffffff;
  if (x < 2) x += 2;
  if (x >= 0x7fffffff) x = 0x7ffffffe;
  return x;
}

/** readdir(3) order of a sysfs directory: by kernfs hash, then name. */
export function readdirOrder(names: string[]): string[] {
  return [...names].sort((a, b) => kernfsNameHash(a) - kernfsNameHash(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/* ------------------------------------------------------------- devices -- */

export type NdKind = "bus" | "dimm" | "region" | "namespace" | "btt" | "pfn" | "ndax";

/** Something a driver acquired in probe, released on unbind or probe failure (devres). */
export type Devres = () => void;

export interface DevBase {
  name: string;
  registered: boolean;
  /** kill_device() was called (an unregistration is pending or done). */
  killed: boolean;
  driver: string | null;
  devres: Devres[];
  /**
   * Which burst of async registrations added the device (see ndFlush): the
   * devices of one burst finish device_add() in an order the kernel leaves
   * to chance, and that order is the one nd_region_remove() unregisters in.
   */
  burst?: number;
}

export interface NdBus extends DevBase {
  kind: "bus";
  id: number;
  provider: "e820" | "nfit" | "cxl";
  /** sysfs path of the bus's parent device. */
  parentPath: string;
}

/** A namespace label as stored in a DIMM's label area. */
export interface NsLabel {
  uuid: string;
  name: string;
  dpa: number;
  rawsize: number;
  lbasize: number;
  /** v1.2 labels record the claim class (abstraction guid); v1.1 do not. */
  claimClass: ClaimClass;
  position: number;
}

export interface LabelArea {
  /** Size of the label area (QEMU label-size). */
  size: number;
  /** Valid index blocks and their version, or null (all zero: label-less). */
  index: { version: "1.1" | "1.2" } | null;
  labels: NsLabel[];
}

/** A DPA allocation on a DIMM (ndd->dpa children). */
export interface DpaRes {
  /** "pmem-<uuid>" style label id. */
  id: string;
  start: number;
  size: number;
}

export interface NdDimm extends DevBase {
  kind: "dimm";
  id: number;
  bus: NdBus;
  handle: number;
  physId: number;
  vendorId: number;
  serial: number;
  labelArea: LabelArea;
  /** NDD_LABELING (never cleared once set). */
  labeling: boolean;
  /** nvdimm_drvdata while the nvdimm driver is bound: its DPA allocations. */
  ndd: { dpa: DpaRes[]; nsCurrent: number } | null;
  /** nvdimm->busy: regions holding this DIMM's labels. */
  busy: number;
  /** A CXL memdev's nvdimm (cxl_nvdimm): no NFIT handle, id or serial attributes. */
  cxl?: boolean;
}

export interface NdMapping {
  dimm: NdDimm;
  /** DPA start and size of the region's part of the DIMM. */
  start: number;
  size: number;
  position: number;
}

/** NVDIMM_CCLASS_*: btt is BTT v1.1, btt2 BTT v2.0 (v1.2 labels). */
export type ClaimClass = "none" | "btt" | "btt2" | "pfn" | "dax";

export interface NdRegion extends DevBase {
  kind: "region";
  /** persistence_domain as ndctl reports it (CXL: "memory_controller"); absent: "unknown". */
  persistenceDomain?: string;
  /** A CXL region's nd region: its id is the CXL region's memregion id (not freed with it). */
  cxl?: boolean;
  id: number;
  bus: NdBus;
  start: number;
  size: number;
  align: number;
  /** ND_REGION_PAGEMAP: map raw namespaces with struct pages (e820). */
  pagemap: boolean;
  targetNode: number;
  numaNode: number;
  ro: boolean;
  mappings: NdMapping[];
  cookies: { cookie1: bigint; cookie2: bigint } | null;
  nsSeed: NdNamespace | null;
  bttSeed: NdBtt | null;
  pfnSeed: NdPfn | null;
  daxSeed: NdPfn | null;
  nsIda: Ida;
  bttIda: Ida;
  pfnIda: Ida;
  daxIda: Ida;
  /** Registered children, in device_add order. */
  children: (NdNamespace | NdBtt | NdPfn)[];
}

export interface Disk {
  name: string;
  diskseq: number;
  minor: number;
  /** The nd device the disk hangs under (namespace or pfn). */
  parent: NdNamespace | NdPfn | NdBtt;
}

export interface NdNamespace extends DevBase {
  kind: "namespace";
  nstype: "io" | "pmem";
  region: NdRegion;
  id: number;
  /** nsio->res: start and size (0 for an unconfigured label namespace). */
  start: number;
  size: number;
  uuid: string | null;
  altName: string;
  lbasize: number;
  forceRaw: boolean;
  claimClass: ClaimClass;
  claim: NdBtt | NdPfn | null;
  disk: Disk | null;
  pgmap: DevPagemap | null;
}

export interface NdBtt extends DevBase {
  kind: "btt";
  region: NdRegion;
  id: number;
  ns: NdNamespace | null;
  uuid: string | null;
  lbasize: number;
  disk: Disk | null;
  /** nd_btt->size while bound: external LBAs × sector size. */
  size: number;
}

export type PfnMode = "none" | "ram" | "pmem";

/** An nd_pfn (kind "pfn") or the nd_pfn inside an nd_dax (kind "ndax"). */
export interface NdPfn extends DevBase {
  kind: "pfn" | "ndax";
  region: NdRegion;
  id: number;
  ns: NdNamespace | null;
  uuid: string | null;
  mode: PfnMode;
  align: number;
  /** The info block validated or written by the last setup. */
  sb: InfoBlock | null;
  disk: Disk | null;
  pgmap: DevPagemap | null;
  /** nd_dax: the dax region and device created by dax_pmem. */
  dax: { regionId: number } | null;
}

export type NdDevice = NdBus | NdDimm | NdRegion | NdNamespace | NdBtt | NdPfn;

/** The pfn/dax info block (struct nd_pfn_sb) as the model stores it on the media. */
export interface InfoBlock {
  sig: "PFN" | "DAX";
  uuid: string;
  parentUuid: string;
  mode: PfnMode;
  dataoff: number;
  npfns: number;
  startPad: number;
  endTrunc: number;
  align: number;
  versionMinor: number;
  pageSize: number;
  pageStructSize: number;
}

/** A BTT arena info block (struct btt_sb), reduced to what the model needs. */
export interface BttInfo {
  sig: "BTT";
  uuid: string;
  parentUuid: string;
  externalLbasize: number;
  /** External LBAs of all arenas. */
  nlba: number;
  versionMajor: number;
  versionMinor: number;
}

export type MediaBlock = InfoBlock | BttInfo;

/* --------------------------------------------------------------- state -- */

export interface NdState {
  buses: NdBus[];
  dimms: NdDimm[];
  regions: NdRegion[];
  busIda: Ida;
  dimmIda: Ida;
  /** memregion ids (global). */
  regionIda: Ida;
  /** Block device minors of pmem disks. */
  diskMinors: Ida;
  /** diskseq: global count of disks ever created. */
  diskseq: number;
  /** Info blocks on the media, by absolute address of the block (namespace start + 4 KiB, or + 0 for BTT v2.0). */
  media: Map<number, MediaBlock>;
  /** Deterministic uuid source. */
  uuidCounter: number;
  /** Drivers registered on the nd bus, in registration order (module load order). */
  ndDrivers: string[];
  /** Modules loaded (nd_e820, nfit, …). */
  loaded: boolean;
  /** Boot-time races this boot ran into, with the outcome the model took (see nvdimm-region.ts). */
  bootRaces: BootRace[];
  /** Count of async registration bursts flushed so far (DevBase.burst). */
  burst: number;
}

/**
 * A race the kernel runs at boot whose outcome the model cannot know: which
 * btt seed id a region gets (its namespace's nd_btt_probe() may hold id 0
 * while the region probe creates the seed).
 */
export interface BootRace {
  race: "btt-seed";
  region: string;
  outcomes: number[];
  chosen: number;
}

const states = new WeakMap<Kernel, NdState>();

export function ndState(k: Kernel): NdState {
  let s = states.get(k);
  if (!s) {
    s = {
      buses: [],
      dimms: [],
      regions: [],
      busIda: new Ida(),
      dimmIda: new Ida(),
      regionIda: new Ida(),
      diskMinors: new Ida(),
      diskseq: 0,
      media: new Map(),
      uuidCounter: 0,
      ndDrivers: [],
      loaded: false,
      bootRaces: [],
      burst: 0,
    };
    states.set(k, s);
  }
  return s;
}

export function hasNdState(k: Kernel): boolean {
  return states.has(k);
}

/** A random-looking but reproducible uuid (the kernel/ndctl use random ones; traces hide them). */
export function newUuid(k: Kernel): string {
  const s = ndState(k);
  s.uuidCounter++;
  let x = BigInt(s.uuidCounter) * 0x9e3779b97f4a7c15n;
  let hex = "";
  for (let i = 0; i < 4; i++) {
    x = (x ^ (x >> 29n)) * 0xbf58476d1ce4e5b9n;
    x &= M64;
    hex += (x & 0xffffffffn).toString(16).padStart(8, "0");
  }
  // RFC 4122 version 4 / variant bits, as uuid_generate() makes them.
  const h = hex.split("");
  h[12] = "4";
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const u = h.join("");
  return `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20, 32)}`;
}

export const NULL_UUID = "00000000-0000-0000-0000-000000000000";

/* ------------------------------------------------------------ devpaths -- */

export function busPath(b: NdBus): string {
  return `${b.parentPath}/ndbus${b.id}`;
}

export function devPath(d: NdDevice): string {
  switch (d.kind) {
    case "bus":
      return busPath(d);
    case "dimm":
      return `${busPath(d.bus)}/${d.name}`;
    case "region":
      return `${busPath(d.bus)}/${d.name}`;
    default:
      return `${devPath(d.region)}/${d.name}`;
  }
}

export function diskPath(disk: Disk): string {
  return `${devPath(disk.parent)}/block/${disk.name}`;
}

/* ------------------------------------------------------------- uevents -- */

export const ND_BUS_MAJOR = 246;
export const NVDIMM_MAJOR = 245;
export const BLOCK_EXT_MAJOR = 259;

/** ND_DEVICE_* numbers (MODALIAS nd:tN). */
export const ND_DEVICE = { DIMM: 1, REGION_PMEM: 2, REGION_BLK: 3, NAMESPACE_IO: 4, NAMESPACE_PMEM: 5, DAX_PMEM: 7 } as const;

/** nd_region_to_nstype(): PMEM when any DIMM of the region does labels, else IO. */
export function regionNstype(r: NdRegion): number {
  return r.mappings.some((m) => m.dimm.labeling) ? ND_DEVICE.NAMESPACE_PMEM : ND_DEVICE.NAMESPACE_IO;
}

function ndDeviceType(d: NdDevice): number {
  switch (d.kind) {
    case "bus":
      return 0;
    case "dimm":
      return ND_DEVICE.DIMM;
    case "region":
      return ND_DEVICE.REGION_PMEM;
    case "namespace":
      return d.nstype === "io" ? ND_DEVICE.NAMESPACE_IO : ND_DEVICE.NAMESPACE_PMEM;
    case "btt":
    case "pfn":
      return regionNstype(d.region);
    case "ndax":
      return ND_DEVICE.DAX_PMEM;
  }
}

function ndDevtype(d: NdDevice): string | null {
  switch (d.kind) {
    case "bus":
      return null;
    case "dimm":
      return "nvdimm";
    case "region":
      return "nd_pmem";
    case "namespace":
      return d.nstype === "io" ? "nd_namespace_io" : "nd_namespace_pmem";
    case "btt":
      return "nd_btt";
    case "pfn":
      return "nd_pfn";
    case "ndax":
      return "nd_dax";
  }
}

export type Action = "add" | "remove" | "bind" | "unbind" | "change";

/**
 * dev_uevent() for an nd device: MAJOR/MINOR/DEVNAME of char devices,
 * DEVTYPE, DRIVER while bound, then the bus's MODALIAS. The reference kernel
 * sends no bus variables with `unbind` (observed in every trace).
 */
export function ndUevent(k: Kernel, action: Action, d: NdDevice, async?: boolean): void {
  const vars: [string, string][] = [];
  if (d.kind === "dimm") {
    vars.push(["MAJOR", String(NVDIMM_MAJOR)], ["MINOR", String(d.id)], ["DEVNAME", d.name]);
  }
  const t = ndDevtype(d);
  if (t) vars.push(["DEVTYPE", t]);
  if (d.driver && action !== "unbind") vars.push(["DRIVER", d.driver]);
  if (action !== "unbind") vars.push(["MODALIAS", `nd:t${ndDeviceType(d)}`]);
  k.uevent(action, devPath(d), "nd", vars, undefined, async);
}

export function diskUevent(k: Kernel, action: Action, disk: Disk): void {
  k.uevent(action, diskPath(disk), "block", [
    ["MAJOR", String(BLOCK_EXT_MAJOR)],
    ["DEVNAME", disk.name],
    ["DEVTYPE", "disk"],
    ["DISKSEQ", String(disk.diskseq)],
  ], [["MINOR", String(disk.minor)]]);
}

/* ---------------------------------------------------------- driver core -- */

/** Run a device's devres actions in reverse order (devres_release_all). */
export function releaseDevres(d: DevBase): void {
  while (d.devres.length) d.devres.pop()!();
}

export type ProbeResult = { ok: true } | { ok: false; errno: Errno };

export const ERRNO_NEG: Record<string, number> = {
  EPERM: -1, ENOENT: -2, EIO: -5, ENXIO: -6, E2BIG: -7, ENOMEM: -12, EACCES: -13, EBUSY: -16, EEXIST: -17,
  ENODEV: -19, EINVAL: -22, ENOSPC: -28, ERANGE: -34, EOPNOTSUPP: -95, EAGAIN: -11,
};

/**
 * really_probe(): bind `drv` to `d` with `probe`; on failure release what
 * the probe acquired and print the driver core's message (ENODEV and ENXIO
 * are only pr_debug). On success the caller's `onBound` runs before the
 * `bind` uevent (used for uevents of work the kernel finishes first).
 */
export function reallyProbe(
  k: Kernel,
  d: DevBase,
  drv: string,
  probe: () => ProbeResult,
  emit: (action: Action) => void,
): ProbeResult {
  d.driver = drv;
  const r = probe();
  if (!r.ok) {
    releaseDevres(d);
    d.driver = null;
    if (r.errno !== "ENODEV" && r.errno !== "ENXIO") {
      k.printk(4, `${drv}: probe of ${d.name} failed with error ${ERRNO_NEG[r.errno] ?? -1}`);
    }
    return r;
  }
  emit("bind");
  return r;
}

/** __device_release_driver(): the driver's remove, devres release, then `unbind`. */
export function releaseDriver(d: DevBase, remove: (() => void) | null, emit: (action: Action) => void): void {
  if (!d.driver) return;
  remove?.();
  releaseDevres(d);
  d.driver = null;
  emit("unbind");
}
