/**
 * The libnvdimm device model as data (drivers/nvdimm/nd.h, nd-core.h): the
 * nd bus, DIMMs with their label areas and DPA allocations, regions with
 * their mappings and seeds, namespaces, the btt/pfn/dax claims on them, the
 * pmem disks, and the info blocks left on the media. The bus core that
 * registers, probes and names these devices is nvdimm-core.ts.
 */
import type { DevPagemap } from "../memremap.js";
import type { Ida } from "./nvdimm-core.js";

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
  /** The bus provider put the label commands (ND_CMD_{GET_CONFIG_SIZE,GET_CONFIG_DATA,SET_CONFIG_DATA}) in the nmem's cmd_mask. */
  labelCmds: boolean;
  /** nvdimm_drvdata while the nvdimm driver is bound: its DPA allocations. */
  ndd: { dpa: DpaRes[]; nsCurrent: number } | null;
  /** nvdimm->busy: regions holding this DIMM's labels. */
  busy: number;
  /** A CXL memdev's nvdimm (cxl_nvdimm): no NFIT handle, id or serial attributes. */
  cxl?: boolean;
  /** A CXL nmem with `id` and `security` attributes (rule cxlNvdimmIdSecurity). */
  cxlIdSecurity?: boolean;
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
