/** pfn and dax devices: alignments, info blocks (nd_pfn_init/validate, dataoff, start_pad/end_trunc), devm_nsio setup. Models drivers/nvdimm/pfn_devs.c and dax_devs.c. */
import { built } from "../profiles/config.js";
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, ENXIO, EOPNOTSUPP, type Errno } from "../errno.js";
import type { DevPagemap } from "../memremap.js";
import { REGION_MIXED, regionIntersectsSystemRam } from "../resource.js";
import { alignDown, alignUp, hex0x, hexPa, MiB } from "../units.js";
import { type InfoBlock, type NdBtt, type NdNamespace, type NdPfn, type NdRegion, ndState, type PfnMode, type ProbeResult } from "./nvdimm-core.js";
import { err, ndDeviceRegister, ndFlush, OK } from "./nvdimm-bus.js";
import { attachNs, claimNamespaceStore, detachNs, ndUuidStore } from "./nvdimm-claim.js";
import { nsUuid } from "./nvdimm-namespace.js";

export const SZ_4K = 4096;
const SZ_8K = 8192;
export const SZ_16M = 16 * MiB;
/** MEMREMAP_COMPAT_ALIGN_MAX: the largest compat alignment (16 MiB, ppc64 hash). */
export const COMPAT_ALIGN_MAX = 16 * MiB;
/** MAX_STRUCT_PAGE_SIZE. */
const MAX_STRUCT_PAGE_SIZE = 64;

/** memremap_compat_align(): PAGE_SIZE × PTRS_PER_PMD on x86_64 = 2 MiB (the sub-section size). */
export function memremapCompatAlign(k: Kernel): number {
  return k.geometry.subsectionSize;
}

/** nd_pfn_supported_alignments(): PAGE_SIZE, then the arch's THP sizes (PMD; PUD where it has PUD THP). */
export function pfnSupportedAlignments(k: Kernel): number[] {
  return [k.geometry.pageSize, ...k.geometry.thpSizes];
}

/** nd_pfn_default_alignment(): the PMD size when transparent huge pages exist. */
function pfnDefaultAlignment(k: Kernel): number {
  return k.geometry.thpSizes[0];
}

/** nd_pfn_alloc() + nd_pfn_devinit(): a pfn or dax device, optionally claiming a namespace. */
export function pfnAlloc(k: Kernel, r: NdRegion, kind: "pfn" | "ndax", ns: NdNamespace | null): NdPfn | null {
  const ida = kind === "pfn" ? r.pfnIda : r.daxIda;
  const p: NdPfn = {
    kind,
    region: r,
    id: ida.get(),
    name: "",
    ns: null,
    uuid: null,
    mode: "none",
    align: pfnDefaultAlignment(k),
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
export function pfnCreate(k: Kernel, r: NdRegion, kind: "pfn" | "ndax"): NdPfn | null {
  // CONFIG_NVDIMM_PFN and CONFIG_NVDIMM_DAX depend on ZONE_DEVICE: without it nd_pfn_create()/nd_dax_create() give NULL.
  if (!built(k, "ZONE_DEVICE")) return null;
  const p = pfnAlloc(k, r, kind, null);
  if (!p) return null;
  ndDeviceRegister(k, p);
  return p;
}

/** Release a never-registered temporary pfn/dax/btt device (put_device). */
export function putTemp(p: NdPfn): void {
  if (p.ns) detachNs(p);
  (p.kind === "pfn" ? p.region.pfnIda : p.region.daxIda).put(p.id);
}

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

function log2floor(x: number): number {
  let n = 0;
  while (2 ** (n + 1) <= x) n++;
  return n;
}

/** nd_pfn_validate(). */
export function pfnValidate(k: Kernel, p: NdPfn, sig: "PFN" | "DAX"): ProbeResult {
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
export function driverOf(d: NdPfn | NdNamespace | NdBtt): string {
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
  return pfnWriteInfoBlock(k, p, ns, { sig, dataoff: offset, npfns, startPad: 0, endTrunc, versionMinor: 4, pageSize });
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
  const npfns = Math.floor((size - offset - startPad - endTrunc) / pageSize);
  return pfnWriteInfoBlock(k, p, ns, { sig, dataoff: offset, npfns, startPad, endTrunc, versionMinor: 2, pageSize });
}

/** The end of nd_pfn_init(): fill in pfn_sb from the device and write it at SZ_4K into the namespace. */
function pfnWriteInfoBlock(
  k: Kernel,
  p: NdPfn,
  ns: NdNamespace,
  layout: Pick<InfoBlock, "sig" | "dataoff" | "npfns" | "startPad" | "endTrunc" | "versionMinor" | "pageSize">,
): ProbeResult {
  const { sig, dataoff, npfns, startPad, endTrunc, versionMinor, pageSize } = layout;
  const sb: InfoBlock = { sig, uuid: p.uuid!, parentUuid: nsUuid(ns), mode: p.mode, dataoff, npfns, startPad, endTrunc, align: p.align, versionMinor, pageSize, pageStructSize: MAX_STRUCT_PAGE_SIZE };
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
      return ndUuidStore(p, v);
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
