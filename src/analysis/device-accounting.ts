/**
 * Where the bytes of every memory device go (issue: "accounting every
 * byte"): DIMMs, virtio-mem devices and nvdimm regions, each broken down into
 * System RAM, device pages, metadata, padding, trimmed by alignment,
 * unusable, and (virtio-mem) not plugged. The categories of a device always
 * add up to its size. Pmem regions come from accounting.ts.
 */
import type { System } from "../machine/system.js";
import { countSystemRamPages } from "../kernel/resource.js";
import { virtioMemOf } from "../scenario/ops-virtio-mem.js";
import { pmemAccounting, type Breakdown } from "./accounting.js";
import { cxlAccounting, cxlNdRegionNames } from "./cxl-accounting.js";

export interface DeviceAccount extends Breakdown {
  device: string;
  kind: "dimm" | "virtio-mem" | "nvdimm-region" | "cxl-memdev";
  start: number;
  size: number;
  /** virtio-mem: the part of the device region the hypervisor has not plugged (available on request). */
  notPlugged: number;
  notes: string[];
}

export function deviceSum(a: DeviceAccount): number {
  return a.systemRam + a.devicePages + a.metadata + a.padding + a.trimmed + a.unusable + a.notPlugged;
}

function empty(): Breakdown & { notPlugged: number } {
  return { systemRam: 0, devicePages: 0, metadata: 0, padding: 0, trimmed: 0, unusable: 0, notPlugged: 0 };
}

export function deviceAccounting(sys: System): DeviceAccount[] {
  const k = sys.kernel;
  const ps = k.geometry.pageSize;
  const out: DeviceAccount[] = [];
  for (const d of sys.devices.filter((x) => x.kind === "dimm")) {
    const a: DeviceAccount = { device: d.id, kind: "dimm", start: d.addr, size: d.size, notes: [], ...empty() };
    let added = 0;
    for (const b of k.blocksIn(d.addr / ps, d.size / ps)) {
      const ram = countSystemRamPages(k.iomem, b.startPfn * ps, (b.startPfn + b.nrPages) * ps, ps) * ps;
      added += ram;
      a.metadata += b.nrVmemmapPages * ps;
    }
    a.systemRam = added - a.metadata;
    a.trimmed = d.size - added;
    if (a.trimmed) a.notes.push("not added: the range is not aligned to the memory block size");
    if (a.metadata) a.notes.push("memmap_on_memory: the block's own struct pages live at its start");
    out.push(a);
  }
  for (const v of virtioMemOf(sys)) {
    const a: DeviceAccount = { device: v.dev.id, kind: "virtio-mem", start: v.dev.addr, size: v.dev.regionSize, notes: [], ...empty() };
    a.systemRam = v.dev.size;
    a.notPlugged = v.dev.regionSize - v.dev.size;
    out.push(a);
  }
  const nd = pmemAccounting(k);
  const cxlNd = cxlNdRegionNames(sys);
  for (const r of nd) {
    if (cxlNd.has(r.region)) continue;
    out.push({ device: r.region, kind: "nvdimm-region", start: r.start, size: r.size, notes: [], notPlugged: 0, systemRam: r.systemRam, devicePages: r.devicePages, metadata: r.metadata, padding: r.padding, trimmed: r.trimmed, unusable: r.unusable });
  }
  out.push(...cxlAccounting(sys, nd));
  return out;
}
