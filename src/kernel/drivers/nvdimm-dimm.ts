/** nmem devices (DIMMs): creation, unique id, probe/remove. Models drivers/nvdimm/dimm.c and dimm_devs.c. */
import type { Kernel } from "../kernel.js";
import { type DpaRes, type NdBus, type NdDimm, ndState, type ProbeResult } from "./nvdimm-core.js";
import { ENXIO } from "../errno.js";
import { err, ndDeviceRegister, OK } from "./nvdimm-bus.js";

export interface NfitDimmDesc {
  slot: number;
  labelSize: number;
}

/** What a bus provider tells nvdimm_create() about a DIMM. */
export interface NvdimmDesc {
  handle: number;
  vendorId: number;
  serial: number;
  labelSize: number;
  /** NDD_LABELING: namespaces come from labels. */
  labeling: boolean;
  /** The label commands are in the nmem's cmd_mask. */
  labelCmds: boolean;
  /** A CXL memdev's nmem (cxl_nvdimm). */
  cxl?: boolean;
  /** Its `id`/`security` attributes as the kernels that give them to CXL nmems show them. */
  cxlIdSecurity?: boolean;
}

/** nvdimm_create(): an nmemN device on `bus`, registered. */
export function nvdimmCreate(k: Kernel, bus: NdBus, desc: NvdimmDesc): NdDimm {
  const st = ndState(k);
  const id = st.dimmIda.get();
  const d: NdDimm = {
    kind: "dimm",
    name: `nmem${id}`,
    id,
    bus,
    handle: desc.handle,
    physId: 0,
    vendorId: desc.vendorId,
    serial: desc.serial,
    labelArea: { size: desc.labelSize, index: null, labels: [] },
    labeling: desc.labeling,
    labelCmds: desc.labelCmds,
    ndd: null,
    busy: 0,
    registered: false,
    killed: false,
    driver: null,
    devres: [],
    ...(desc.cxl ? { cxl: true } : {}),
    ...(desc.cxlIdSecurity ? { cxlIdSecurity: true } : {}),
  };
  st.dimms.push(d);
  ndDeviceRegister(k, d);
  return d;
}

/**
 * An NFIT DIMM's nmem (handle, serial from QEMU's NFIT). QEMU's _DSM lists the
 * label functions (get size, get data, set data) only for an NVDIMM with a
 * label-size, and nfit puts only the functions the _DSM lists in the nmem's
 * cmd_mask: without a label area the DIMM has no label commands.
 */
export function ndDimmCreate(k: Kernel, bus: NdBus, desc: NfitDimmDesc): NdDimm {
  return nvdimmCreate(k, bus, { handle: desc.slot + 1, vendorId: 0x8086, serial: 0x123456 + desc.slot, labelSize: desc.labelSize, labeling: false, labelCmds: desc.labelSize > 0 });
}

/** The DIMM's `id` attribute (no manufacturing info from QEMU): %04x-%08x of the big-endian readings. */
export function dimmUniqueId(d: NdDimm): string {
  const be16 = ((d.vendorId & 0xff) << 8) | ((d.vendorId >> 8) & 0xff);
  const s = d.serial >>> 0;
  const be32 = (((s & 0xff) << 24) | ((s & 0xff00) << 8) | ((s >> 8) & 0xff00) | ((s >>> 24) & 0xff)) >>> 0;
  return `${be16.toString(16).padStart(4, "0")}-${be32.toString(16).padStart(8, "0")}`;
}

/**
 * nvdimm_probe(): read the label area; valid index blocks reserve the labels' DPA and set NDD_LABELING.
 * Without the label commands (nvdimm_check_config_data()) a DIMM binds with no drvdata, unless it
 * is labelling, which fails the probe.
 */
export function dimmProbe(_k: Kernel, d: NdDimm): ProbeResult {
  if (!d.labelCmds) return d.labeling ? err(ENXIO) : OK;
  const ndd = { dpa: [] as DpaRes[], nsCurrent: d.labelArea.index ? 0 : -1 };
  d.ndd = ndd;
  if (d.labelArea.index) {
    for (const l of d.labelArea.labels) ndd.dpa.push({ id: `pmem-${l.uuid}`, start: l.dpa, size: l.rawsize });
    d.labeling = true;
  }
  return OK;
}

export function dimmRemove(_k: Kernel, d: NdDimm): void {
  d.ndd = null;
}

/** DIMM `state`: "active" while an enabled region holds it. */
export function dimmActive(d: NdDimm): boolean {
  return d.busy > 0;
}
