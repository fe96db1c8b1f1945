/**
 * The libnvdimm device model: the nd bus and its devices (ndbusN, nmemN,
 * regionN, namespaceR.N, bttR.N, pfnR.N, daxR.N), the block disks pmemX,
 * the driver core glue they share with the dax bus (probe/remove, device
 * resources released in reverse order, bind/unbind/add/remove uevents with
 * the kernel's variables), id allocators and kernfs directory order.
 *
 * The devices themselves, as data, are in nvdimm-devices.ts. The state
 * hangs off the Kernel in a WeakMap: the core Kernel type does not know
 * about nvdimm.
 */
import type { Kernel } from "../kernel.js";
import { ERRNO_NUMBER, type Errno } from "../errno.js";
import { reportProbeFailure } from "./driver-core.js";
export type {
  NdKind,
  Devres,
  DevBase,
  NdBus,
  NsLabel,
  LabelArea,
  DpaRes,
  NdDimm,
  NdMapping,
  ClaimClass,
  NdRegion,
  Disk,
  NdNamespace,
  NdBtt,
  PfnMode,
  NdPfn,
  NdDevice,
  InfoBlock,
  BttInfo,
  MediaBlock,
} from "./nvdimm-devices.js";
import type { DevBase, NdBus, NdDimm, NdRegion, Disk, NdDevice, MediaBlock } from "./nvdimm-devices.js";

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

/** The races the drivers' boot-time probes run into: "btt-seed", "pfn-seed" (nvdimm-region.ts), "disk-order" (nvdimm-pmem.ts: the order a bus's boot namespace probes attach disks) and "cxl-memdev-ids", "cxl-endpoint-order" and "cxl-nmem-order" (cxl-core.ts: the order cxl_pci's async probes take ids, the order cxl_mem numbers the endpoints and the order their nmems register; "cxl-switch-ports" (cxl-port.ts): whether a CXL switch's port takes its id before every endpoint). */
export const BOOT_RACES = ["btt-seed", "pfn-seed", "disk-order", "cxl-memdev-ids", "cxl-endpoint-order", "cxl-nmem-order", "cxl-switch-ports"] as const;

/**
 * A race the kernel runs at boot whose outcome the model cannot know: which
 * btt seed id a region gets (its namespace's nd_btt_probe() may hold id 0
 * while the region probe creates the seed), and the others of BOOT_RACES.
 */
export interface BootRace {
  race: (typeof BOOT_RACES)[number];
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

const M64 = (1n << 64n) - 1n;

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
    vars.push(["MAJOR", String(k.rules.charMajors.nvdimm)], ["MINOR", String(d.id)], ["DEVNAME", d.name]);
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
    ...(k.rules.diskseqUevent ? [["DISKSEQ", String(disk.diskseq)] as [string, string]] : []),
  ], [["MINOR", String(disk.minor)]]);
}

/* ---------------------------------------------------------- driver core -- */

/** Run a device's devres actions in reverse order (devres_release_all). */
export function releaseDevres(d: DevBase): void {
  while (d.devres.length) d.devres.pop()!();
}

export type ProbeResult = { ok: true } | { ok: false; errno: Errno };

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
    reportProbeFailure(k, drv, d.name, -ERRNO_NUMBER[r.errno]);
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
