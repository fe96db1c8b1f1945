/**
 * Where the bytes of persistent memory go. For every nvdimm region (the
 * device) and every namespace in it: how much is usable as System RAM (kmem),
 * as ZONE_DEVICE pages (fsdax data, a device-dax range, a raw namespace
 * mapped with struct pages), how much holds metadata (the 8 KiB info block
 * area and the memmap kept on the device), how much is alignment padding
 * (of the data offset, start_pad), how much is trimmed by alignment
 * (end_trunc of the info block, the inward trimming of kmem to memory
 * blocks), and what is unusable as memory (outside any namespace, disabled
 * or failed devices, raw block-only namespaces). The six numbers always sum
 * to the region's size (and per namespace to the namespace's size).
 *
 * Pure: reads the kernel model's state.
 */
import type { Kernel } from "../kernel/kernel.js";
import { daxState, devDaxSize, kmemRange, type DevDax } from "../kernel/drivers/dax.js";
import { ndState, type NdNamespace, type NdPfn, type NdRegion } from "../kernel/drivers/nvdimm-core.js";
import { regionNamespaces, regionPfns } from "../kernel/drivers/nvdimm-region.js";

export interface Breakdown {
  systemRam: number;
  devicePages: number;
  metadata: number;
  padding: number;
  trimmed: number;
  unusable: number;
}

export interface NamespaceAccount extends Breakdown {
  name: string;
  start: number;
  size: number;
  /** How the namespace is used: raw, fsdax (pfnX.Y / memory mode), devdax, system-ram, disabled. */
  use: string;
  /** Struct pages of the namespace's ZONE_DEVICE or kmem memory that live in System RAM (not part of the sum). */
  memmapInRam: number;
  notes: string[];
}

export interface RegionAccount extends Breakdown {
  region: string;
  start: number;
  size: number;
  namespaces: NamespaceAccount[];
  /** Region bytes in no namespace (counted as unusable). */
  unallocated: number;
}

const STRUCT_PAGE = 64;
const INFO_RESERVE = 8192;

function zero(): Breakdown {
  return { systemRam: 0, devicePages: 0, metadata: 0, padding: 0, trimmed: 0, unusable: 0 };
}

export function breakdownSum(b: Breakdown): number {
  return b.systemRam + b.devicePages + b.metadata + b.padding + b.trimmed + b.unusable;
}

function claimOf(r: NdRegion, ns: NdNamespace): NdPfn | undefined {
  return [...regionPfns(r, "pfn"), ...regionPfns(r, "ndax")].find((p) => p.ns === ns);
}

function devDaxOf(k: Kernel, nd: NdPfn): DevDax | undefined {
  return daxState(k).devices.find((d) => d.registered && d.region.parent === nd);
}

/** A pfn/dax namespace's info-block layout: metadata, padding and end trimming. */
function layoutOf(k: Kernel, p: NdPfn, a: NamespaceAccount): { dataStart: number; dataLen: number } | null {
  const sb = p.sb;
  if (!sb || !p.driver) return null;
  const pageSize = k.geometry.pageSize;
  const memmapOnDevice = sb.mode === "pmem" ? Math.min(sb.dataoff - INFO_RESERVE, STRUCT_PAGE * Math.floor((a.size - sb.startPad - sb.endTrunc - sb.dataoff) / pageSize)) : 0;
  a.metadata += INFO_RESERVE + Math.max(0, memmapOnDevice);
  a.padding += sb.dataoff - INFO_RESERVE - Math.max(0, memmapOnDevice) + sb.startPad;
  a.trimmed += sb.endTrunc;
  const dataLen = a.size - sb.startPad - sb.endTrunc - sb.dataoff;
  if (sb.mode === "ram") a.memmapInRam += STRUCT_PAGE * (dataLen / pageSize);
  return { dataStart: a.start + sb.startPad + sb.dataoff, dataLen };
}

function accountNamespace(k: Kernel, r: NdRegion, ns: NdNamespace): NamespaceAccount {
  const a: NamespaceAccount = { name: ns.name, start: ns.start, size: ns.size, use: "disabled", memmapInRam: 0, notes: [], ...zero() };
  const pageSize = k.geometry.pageSize;
  const claim = claimOf(r, ns);
  if (claim && claim.kind === "pfn") {
    const l = layoutOf(k, claim, a);
    if (l) {
      a.use = `fsdax (${claim.name})`;
      if (claim.pgmap) a.devicePages += l.dataLen;
      else a.unusable += l.dataLen;
    } else {
      a.unusable += a.size;
      a.notes.push(`${claim.name} is not enabled`);
    }
  } else if (claim && claim.kind === "ndax") {
    const l = layoutOf(k, claim, a);
    const dev = devDaxOf(k, claim);
    if (!l || !dev) {
      a.unusable += a.size;
      a.notes.push(`${claim.name} is not enabled`);
    } else {
      const devLen = devDaxSize(dev);
      const rest = l.dataLen - devLen;
      if (rest > 0) a.unusable += rest;
      if (dev.driver === "device_dax" && dev.pgmap) {
        a.use = `devdax (${dev.name})`;
        a.devicePages += devLen;
        a.memmapInRam += 0;
      } else if (dev.kmem) {
        a.use = dev.driver === "kmem" ? `system-ram (${dev.name})` : `system-ram, pinned (${dev.name})`;
        let added = 0;
        dev.ranges.forEach((rg, i) => {
          const t = kmemRange(k, rg);
          if (t && dev.kmem!.res[i]) added += t.end - t.start + 1;
        });
        a.systemRam += added;
        a.trimmed += devLen - added;
        a.memmapInRam += STRUCT_PAGE * (added / pageSize);
        if (dev.kmem.pinned) a.notes.push("hot-remove failed: pinned until reboot");
      } else {
        a.use = `devdax, no driver (${dev.name})`;
        a.unusable += devLen;
      }
    }
  } else if (ns.claim && ns.claim.kind === "btt") {
    a.use = ns.claim.driver ? `sector (${ns.claim.name}, block device only)` : "disabled";
    a.unusable += a.size;
  } else if (ns.driver && ns.pgmap) {
    a.use = "fsdax (memory mode, memmap in RAM)";
    a.devicePages += a.size;
    a.memmapInRam += STRUCT_PAGE * (a.size / pageSize);
  } else if (ns.driver) {
    a.use = "raw (block device only)";
    a.unusable += a.size;
  } else {
    a.unusable += a.size;
  }
  return a;
}

/** The accounting of every nvdimm region of the kernel. */
export function pmemAccounting(k: Kernel): RegionAccount[] {
  const out: RegionAccount[] = [];
  for (const r of ndState(k).regions) {
    if (!r.registered) continue;
    const ra: RegionAccount = { region: r.name, start: r.start, size: r.size, namespaces: [], unallocated: 0, ...zero() };
    let allocated = 0;
    for (const ns of regionNamespaces(r)) {
      if (ns.size === 0) continue;
      const a = accountNamespace(k, r, ns);
      ra.namespaces.push(a);
      allocated += a.size;
      for (const key of Object.keys(zero()) as (keyof Breakdown)[]) ra[key] += a[key];
    }
    ra.unallocated = r.size - allocated;
    ra.unusable += ra.unallocated;
    out.push(ra);
  }
  return out;
}
