/** The label area: index blocks, slots, namespace labels, checksums. Models drivers/nvdimm/label.c (and ndctl's init-labels/zero-labels commands as the kernel sees them). */
import type { Kernel } from "../kernel.js";
import { EBUSY, type Errno } from "../errno.js";
import { alignUp } from "../units.js";
import type { NdDimm, NdNamespace, NdRegion } from "./nvdimm-core.js";

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

export function labelId(ns: NdNamespace): string {
  return `pmem-${ns.uuid}`;
}

/** nd_label_update / delete for a one-DIMM region. */
export function labelUpdate(r: NdRegion, ns: NdNamespace): void {
  for (const m of r.mappings) {
    const area = m.dimm.labelArea;
    // init_labels(): a labelling DIMM without a valid index gets fresh index blocks with its first label.
    if (!area.index && m.dimm.labeling && m.dimm.cxl) area.index = { version: "1.2" };
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
