/**
 * ndctl 76 on the model: create-namespace, destroy-namespace,
 * enable/disable-namespace, enable/disable-region, init-labels,
 * zero-labels, enable/disable-dimm and list. Each command does what ndctl
 * does through sysfs (the same attribute writes, binds and unbinds, in the
 * same order), so the kernel model reacts exactly as the kernel would; rc,
 * stderr lines and JSON follow ndctl's code (ndctl/namespace.c, region.c,
 * dimm.c, list.c, json.c, lib/libndctl.c).
 *
 * libndctl lists devices with list_add() while reading sysfs directories,
 * so its iteration order is the reverse of readdir() (kernfs hash) order.
 */
import type { Kernel } from "../kernel/kernel.js";
import {
  dimmActive,
  dimmAvailableSlots,
  dimmUniqueId,
  infoAreaIsZero,
  labelSlots,
  namespaceMode,
  namespaceStore,
  ndBind,
  ndDriverUnbind,
  ndFlush,
  pfnResource,
  pfnSize,
  pfnStore,
  pfnSupportedAlignments,
  regionAvailableSize,
  regionMaxAvailableExtent,
  regionNamespaces,
  regionPfns,
  regionBtts,
  regionSetCookie,
  bttStore,
  BTT_LBASIZE_SUPPORTED,
  claimNamespaceStore,
  writeLabelIndex,
  zeroInfoArea,
  zeroLabelArea,
} from "../kernel/drivers/nvdimm.js";
import { ndState, newUuid, NULL_UUID, readdirOrder, regionNstype, ND_DEVICE, type NdBus, type NdDimm, type NdNamespace, type NdPfn, type NdRegion, type NdBtt } from "../kernel/drivers/nvdimm-core.js";
import { daxRegionForNd, daxRegionJson, daxDeviceHasOnlineMemory } from "./daxctl.js";
import { exitStatus, isPow2, neg, parseOptions, parseSize64, Stderr, strerror, type OptSpec, type ToolResult } from "./tool-util.js";

const ENXIO = -6;
const EINVAL = -22;
const EBUSY = -16;
const ENODEV = -19;
const EAGAIN = -11;
const ENOSPC = -28;
const SZ_16M = 16 * 1024 * 1024;
const SZ_2M = 2 * 1024 * 1024;
const PAGE = 4096;
const UINT_MAX = 0xffffffff;

type Mode = "fsdax" | "sector" | "raw" | "devdax" | "unknown";
type Loc = "none" | "mem" | "dev";

/* --------------------------------------------------------- enumeration -- */

function reversedReaddir<T extends { name: string }>(items: T[]): T[] {
  const order = readdirOrder(items.map((i) => i.name));
  return order.map((n) => items.find((i) => i.name === n)!).reverse();
}

export function ndBuses(k: Kernel): NdBus[] {
  ndFlush(k);
  const buses = ndState(k).buses.filter((b) => b.registered);
  const order = readdirOrder(buses.map((b) => `ndctl${b.id}`));
  return order.map((n) => buses.find((b) => `ndctl${b.id}` === n)!).reverse();
}

export function busDimms(k: Kernel, bus: NdBus): NdDimm[] {
  return reversedReaddir(ndState(k).dimms.filter((d) => d.bus === bus && d.registered));
}

export function busRegions(k: Kernel, bus: NdBus): NdRegion[] {
  return reversedReaddir(ndState(k).regions.filter((r) => r.bus === bus && r.registered));
}

export function nsList(r: NdRegion): NdNamespace[] {
  return reversedReaddir(regionNamespaces(r));
}

function pfnList(r: NdRegion, kind: "pfn" | "ndax"): NdPfn[] {
  return reversedReaddir(regionPfns(r, kind));
}

/* ------------------------------------------------------ namespace view -- */

export function nsPfn(ns: NdNamespace): NdPfn | undefined {
  return pfnList(ns.region, "pfn").find((p) => p.ns === ns);
}

export function nsDax(ns: NdNamespace): NdPfn | undefined {
  return pfnList(ns.region, "ndax").find((p) => p.ns === ns);
}

function nsBtt(ns: NdNamespace): NdBtt | undefined {
  return reversedReaddir(regionBtts(ns.region)).find((b) => b.ns === ns);
}

function nsEnabled(k: Kernel, ns: NdNamespace): boolean {
  ndFlush(k);
  return ns.driver !== null;
}

export function nsIsActive(k: Kernel, ns: NdNamespace): boolean {
  ndFlush(k);
  const btt = nsBtt(ns);
  const pfn = nsPfn(ns);
  const dax = nsDax(ns);
  return !!((btt && btt.driver) || (pfn && pfn.driver) || (dax && dax.driver) || (!btt && !pfn && !dax && ns.driver));
}

function nsModeOf(k: Kernel, ns: NdNamespace): Mode {
  switch (namespaceMode(k, ns)) {
    case "memory":
      return "fsdax";
    case "dax":
      return "devdax";
    case "safe":
      return "sector";
    case "raw":
      return "raw";
  }
}

function pfnLocation(p: NdPfn): Loc {
  return p.mode === "ram" ? "mem" : p.mode === "pmem" ? "dev" : "none";
}

function nsIsConfigured(ns: NdNamespace): boolean {
  if (ns.nstype === "io") return true;
  return ns.size >= PAGE && !!ns.uuid && ns.uuid !== NULL_UUID;
}

function nsConfigIdle(k: Kernel, ns: NdNamespace): boolean {
  if (nsIsActive(k, ns)) return false;
  if (nsIsConfigured(ns)) return ns.nstype === "io";
  return true;
}

function blockDevice(ns: NdNamespace): string {
  return ns.disk?.name ?? "";
}

/** util_namespace_to_json(). */
export function namespaceJson(k: Kernel, ns: NdNamespace, flags: { dax: boolean; daxDevs: boolean }): Record<string, unknown> | null {
  const j: Record<string, unknown> = { dev: ns.name };
  const btt = nsBtt(ns);
  const dax = nsDax(ns);
  const pfn = nsPfn(ns);
  const mode = nsModeOf(k, ns);
  let size: number | null = null;
  let loc: Loc = "none";
  switch (mode) {
    case "fsdax":
      if (pfn) {
        size = pfnSize(pfn);
        loc = pfnLocation(pfn);
      } else {
        size = ns.size;
        loc = "mem";
      }
      j.mode = "fsdax";
      break;
    case "devdax":
      if (!dax) return null;
      size = pfnSize(dax);
      j.mode = "devdax";
      loc = pfnLocation(dax);
      break;
    case "sector":
      if (!btt) return null;
      j.mode = "sector";
      size = btt.driver ? btt.size : null;
      break;
    case "raw":
      size = ns.size;
      j.mode = "raw";
      break;
  }
  if (mode !== "sector" && mode !== "raw") j.map = loc;
  if (size !== null) j.size = size;
  let align = 0;
  let bdev = "";
  if (btt) {
    j.uuid = btt.uuid ?? NULL_UUID;
    bdev = btt.disk?.name ?? "";
  } else if (pfn) {
    align = pfn.align;
    j.uuid = pfn.uuid ?? NULL_UUID;
    bdev = pfn.disk?.name ?? "";
  } else if (dax) {
    align = dax.align;
    j.uuid = dax.uuid ?? NULL_UUID;
    const region = daxRegionForNd(k, dax);
    if (flags.dax && region) {
      j.daxregion = daxRegionJson(k, region, { path: false, devices: flags.daxDevs, idle: false });
    } else if (region && region.devices.length) {
      j.chardev = region.devices[0].name;
    }
  } else if (ns.nstype !== "io") {
    j.uuid = ns.uuid ?? NULL_UUID;
    bdev = blockDevice(ns);
  } else {
    bdev = blockDevice(ns);
  }
  if (!dax) j.sector_size = btt ? btt.lbasize : ns.nstype === "pmem" && ns.lbasize ? ns.lbasize : 512;
  if (align) j.align = align;
  if (bdev) j.blockdev = bdev;
  if (!nsIsActive(k, ns)) j.state = "disabled";
  if (ns.altName) j.name = ns.altName;
  return j;
}

/* --------------------------------------------------------------- list -- */

export interface ListFlags {
  buses?: boolean;
  dimms?: boolean;
  regions?: boolean;
  namespaces?: boolean;
  idle?: boolean;
  dax?: boolean;
}

function regionEnabled(k: Kernel, r: NdRegion): boolean {
  ndFlush(k);
  return r.driver !== null;
}

function dimmJson(d: NdDimm): Record<string, unknown> {
  const j: Record<string, unknown> = { dev: d.name, id: dimmUniqueId(d), handle: d.handle, phys_id: d.physId };
  if (!d.driver) j.state = "disabled";
  return j;
}

function regionJson(k: Kernel, r: NdRegion, list: ListFlags): Record<string, unknown> {
  const io = regionNstype(r) !== ND_DEVICE.NAMESPACE_PMEM;
  const j: Record<string, unknown> = {
    dev: r.name,
    size: r.size,
    align: r.align,
    available_size: io ? 0 : regionAvailableSize(r),
    max_available_extent: io ? 0 : regionMaxAvailableExtent(r),
    type: "pmem",
  };
  if (!io) {
    const c = regionSetCookie(r);
    if (c !== null) j.iset_id = Number(c);
  }
  if (list.dimms && r.mappings.length) {
    const maps = [...r.mappings].reverse().filter((m) => list.idle || m.dimm.driver);
    if (maps.length) j.mappings = maps.map((m) => ({ dimm: m.dimm.name, offset: m.start, length: m.size, position: m.position }));
  }
  if (!regionEnabled(k, r)) j.state = "disabled";
  j.persistence_domain = "unknown";
  return j;
}

/** `ndctl list` with the given flags: the JSON value it prints (undefined when it prints nothing). */
export function ndctlListJson(k: Kernel, list: ListFlags): unknown {
  ndFlush(k);
  // The accumulators of list.c's struct list_filter_arg.
  let jdimms: unknown[] | null = null;
  let jregions: Record<string, unknown>[] | null = null;
  let jnamespaces: unknown[] | null = null;
  let jbus: Record<string, unknown> | null = null;
  let jregion: Record<string, unknown> | null = null;
  const jbuses: Record<string, unknown>[] = [];
  for (const bus of ndBuses(k)) {
    if (list.buses) {
      jdimms = null;
      jregion = null;
      jregions = null;
      jnamespaces = null;
      jbus = { provider: bus.provider === "e820" ? "e820" : "ACPI.NFIT", dev: bus.name, scrub_state: "idle" };
      jbuses.push(jbus);
    }
    if (list.dimms) {
      for (const d of busDimms(k, bus)) {
        if (!list.idle && !d.driver) continue;
        if (!jdimms) {
          jdimms = [];
          if (jbus) jbus.dimms = jdimms;
        }
        jdimms.push(dimmJson(d));
      }
    }
    for (const r of busRegions(k, bus)) {
      if (list.regions) {
        if (!list.idle && !regionEnabled(k, r)) continue;
        if (!jregions) {
          jregions = [];
          if (jbus) jbus.regions = jregions;
        }
        jregion = regionJson(k, r, list);
        jnamespaces = null;
        jregions.push(jregion);
      }
      if (!list.namespaces) continue;
      for (const ns of nsList(r)) {
        if (!nsIsActive(k, ns) && !list.idle) continue;
        if (!jnamespaces) {
          jnamespaces = [];
          const container = jregion ?? jbus;
          if (container) container.namespaces = jnamespaces;
        }
        const jn = namespaceJson(k, ns, { dax: !!list.dax, daxDevs: !!list.dax });
        if (jn) jnamespaces.push(jn);
      }
    }
  }
  if (list.buses) return jbuses.length ? jbuses : undefined;
  const parts = (jdimms ? 1 : 0) + (jregions ? 1 : 0) + (jnamespaces ? 1 : 0);
  if (parts > 1) {
    const p: Record<string, unknown> = {};
    if (jdimms) p.dimms = jdimms;
    if (jregions) p.regions = jregions;
    if (jnamespaces && !jregions) p.namespaces = jnamespaces;
    return p;
  }
  if (jdimms) return jdimms;
  if (jregions) return jregions;
  if (jnamespaces) return jnamespaces;
  return undefined;
}

/* ------------------------------------------------------ tool plumbing -- */

class Ctx {
  readonly err = new Stderr();
  errCount = 0;
  cmdName = "namespace";
  stdoutJson: unknown = undefined;
  constructor(readonly k: Kernel) {}
  /** namespace.c err(): counted, prefixed with the command name. */
  nerr(msg: string): void {
    this.errCount++;
    this.err.error(`${this.cmdName}: ${msg}`);
  }
  lib(fn: string, msg: string): void {
    this.err.log("libndctl", fn, msg);
  }
}

function result(argv: string[], rc: number, c: Ctx): ToolResult {
  const r: ToolResult = { argv: ["ndctl", ...argv], rc: exitStatus(rc), stderr: c.err.lines() };
  if (c.stdoutJson !== undefined) r.stdout_json = c.stdoutJson;
  return r;
}

function usage(argv: string[], c: Ctx, text: string): ToolResult {
  c.err.write(`\n usage: ${text}\n\n`);
  return result(argv, 129, c);
}

/* ------------------------------------------------------- libndctl ops -- */

/** util_bind(): the nd bus's bind files in readdir order; the first success wins. */
function bindDev(c: Ctx, d: Parameters<typeof ndBind>[1]): number {
  const e = ndBind(c.k, d);
  return e ? ENXIO : 0;
}

function nsEnable(c: Ctx, ns: NdNamespace): number {
  if (nsEnabled(c.k, ns)) return 0;
  const rc = bindDev(c, ns);
  if (!nsEnabled(c.k, ns)) {
    const btt = nsBtt(ns);
    const pfn = nsPfn(ns);
    const dax = nsDax(ns);
    if ((btt && btt.driver) || (pfn && pfn.driver) || (dax && dax.driver)) return 1;
    c.lib("ndctl_namespace_enable", `${ns.name}: failed to enable\n`);
    return rc ? rc : ENXIO;
  }
  return 0;
}

function nsDisable(c: Ctx, ns: NdNamespace): number {
  if (!nsEnabled(c.k, ns)) return 0;
  ndDriverUnbind(c.k, ns);
  if (nsEnabled(c.k, ns)) {
    c.lib("ndctl_namespace_disable", `${ns.name}: failed to disable\n`);
    return EBUSY;
  }
  return 0;
}

function pfnDelete(c: Ctx, p: NdPfn): number {
  if (p.driver) ndDriverUnbind(c.k, p);
  const e = pfnStore(c.k, p, "namespace", "\n");
  return e ? neg(e) : 0;
}

function nsDisableInvalidate(c: Ctx, ns: NdNamespace): number {
  const btt = nsBtt(ns);
  const pfn = nsPfn(ns);
  const dax = nsDax(ns);
  let rc = 0;
  if (btt) {
    if (btt.driver) ndDriverUnbind(c.k, btt);
    const e = claimNamespaceStore(c.k, btt, "\n");
    rc = e ? neg(e) : 0;
  }
  if (pfn) rc = pfnDelete(c, pfn);
  if (dax) rc = pfnDelete(c, dax);
  if (rc) return rc;
  return nsDisable(c, ns);
}

function nsDisableSafe(c: Ctx, ns: NdNamespace): number {
  const pfn = nsPfn(ns);
  const dax = nsDax(ns);
  if (!(pfn && pfn.driver) && dax && dax.driver) {
    const region = daxRegionForNd(c.k, dax);
    if (region && region.devices.some((d) => daxDeviceHasOnlineMemory(c.k, d))) return EBUSY;
  }
  nsDisableInvalidate(c, ns);
  return 0;
}

function setEnforceMode(c: Ctx, ns: NdNamespace, mode: Mode): void {
  const name = mode === "fsdax" ? "pfn" : mode === "sector" ? "btt" : mode === "devdax" ? "dax" : "";
  namespaceStore(c.k, ns, "holder_class", name);
}

/** ndctl_namespace_delete(). */
function nsDelete(c: Ctx, ns: NdNamespace): number {
  if (!ns.registered) return 0;
  if (nsEnabled(c.k, ns)) return EBUSY;
  if (ns.nstype !== "pmem") return 0;
  const e = namespaceStore(c.k, ns, "size", "0x0\n");
  if (e && e !== "ENXIO") return neg(e);
  return 0;
}

/** zero_info_block(). */
function zeroInfoBlock(c: Ctx, ns: NdNamespace): number {
  namespaceStore(c.k, ns, "force_raw", "1\n");
  let rc = nsEnable(c, ns);
  if (rc < 0) {
    c.nerr(`${ns.name} failed to enable for zeroing, continuing\n`);
    rc = 1;
  } else if (infoAreaIsZero(c.k, ns)) {
    rc = 1;
  } else {
    zeroInfoArea(c.k, ns);
    rc = 0;
  }
  namespaceStore(c.k, ns, "force_raw", "0\n");
  nsDisableInvalidate(c, ns);
  return rc;
}

/* --------------------------------------------------- create-namespace -- */

interface Params {
  bus?: string;
  region?: string;
  reconfig?: string;
  uuid?: string;
  name?: string;
  size?: string;
  mode?: string;
  map?: string;
  sectorSize?: string;
  type?: string;
  align?: string;
  force: boolean;
  autolabel: boolean;
  greedy: boolean;
  autorecover: boolean;
  modeDefault: boolean;
  doScan: boolean;
  verbose: boolean;
}

interface Parsed {
  loc: Loc;
  uuid: string;
  name: string;
  mode: Mode;
  size: number;
  sectorSize: number;
  align: number;
  autolabel: boolean;
  autorecover: boolean;
}

function utilNsmode(m: string | undefined): Mode {
  if (!m) return "unknown";
  switch (m.toLowerCase()) {
    case "memory":
    case "fsdax":
      return "fsdax";
    case "sector":
    case "safe":
      return "sector";
    case "dax":
    case "devdax":
      return "devdax";
    case "raw":
      return "raw";
  }
  return "unknown";
}

function regionFilter(r: NdRegion, ident: string | undefined): boolean {
  if (!ident) return true;
  for (const name of ident.split(" ").filter(Boolean)) {
    if (name === "all") return true;
    const id = /^(0x[0-9a-f]+|\d+)$/i.test(ident) ? Number(ident) : NaN;
    if (!Number.isNaN(id) && id === r.id) return true;
    if (Number.isNaN(id) && r.name === name) return true;
  }
  return false;
}

function busFilter(b: NdBus, ident: string | undefined): boolean {
  if (!ident) return true;
  for (const name of ident.split(" ").filter(Boolean)) {
    if (name === "all") return true;
    const id = /^(0x[0-9a-f]+|\d+)$/i.test(ident) ? Number(ident) : NaN;
    if (!Number.isNaN(id) && id === b.id) return true;
    const provider = b.provider === "e820" ? "e820" : "ACPI.NFIT";
    if (Number.isNaN(id) && (provider === name || b.name === name)) return true;
  }
  return false;
}

function dimmFilter(d: NdDimm, ident: string | undefined): boolean {
  if (!ident) return true;
  for (const name of ident.split(" ").filter(Boolean)) {
    if (name === "all") return true;
    const id = /^(0x[0-9a-f]+|\d+)$/i.test(ident) ? Number(ident) : NaN;
    if (!Number.isNaN(id) && id === d.id) return true;
    if (Number.isNaN(id) && d.name === name) return true;
  }
  return false;
}

function setDefaults(c: Ctx, p: Params): number {
  let rc = 0;
  if (p.type) {
    if (p.type !== "pmem" && p.type !== "blk") {
      c.err.error(`invalid type '${p.type}', must be either 'pmem' or 'blk'\n`);
      rc = EINVAL;
    }
  } else if (!p.reconfig) {
    p.type = "pmem";
  }
  if (p.mode) {
    if (utilNsmode(p.mode) === "unknown") {
      c.err.error(`invalid mode '${p.mode}'\n`);
      rc = EINVAL;
    }
  } else if (!p.reconfig && p.type) {
    p.mode = p.type === "pmem" ? "fsdax" : "sector";
    p.modeDefault = true;
  }
  if (p.map) {
    if (p.map !== "mem" && p.map !== "dev") {
      c.err.error(`invalid map location '${p.map}'\n`);
      rc = EINVAL;
    }
    if (!p.reconfig && p.mode && p.mode !== "fsdax" && p.mode !== "devdax") {
      c.err.error("--map only valid for an devdax mode pmem namespace\n");
      rc = EINVAL;
    }
  } else if (!p.reconfig) {
    p.map = "dev";
  }
  if (p.type === "blk" && p.mode && (p.mode === "fsdax" || p.mode === "devdax")) {
    c.err.error("only 'pmem' namespaces support dax operation\n");
    rc = ENXIO;
  }
  if (p.size !== undefined && !parseSize64(p.size)) {
    c.err.error(`failed to parse namespace size '${p.size}'\n`);
    rc = EINVAL;
  }
  if (p.align !== undefined) {
    const a = parseSize64(p.align);
    if (!a) {
      c.err.error(`failed to parse namespace alignment '${p.align}'\n`);
      rc = EINVAL;
    } else if (!isPow2(a.value) || a.value < PAGE) {
      c.err.error(`align must be a power-of-2 greater than ${PAGE}\n`);
      rc = EINVAL;
    }
  }
  if (p.size !== undefined && !parseSize64(p.size)) {
    c.err.error(`failed to parse namespace size '${p.size}'\n`);
    rc = EINVAL;
  }
  if (p.uuid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(p.uuid)) {
    c.err.error(`failed to parse uuid: '${p.uuid}'\n`);
    rc = EINVAL;
  }
  if (p.sectorSize !== undefined) {
    if (!parseSize64(p.sectorSize)) {
      c.err.error(`invalid sector size: ${p.sectorSize}\n`);
      rc = EINVAL;
    }
  } else if (p.type === "blk" || utilNsmode(p.mode) === "sector") {
    p.sectorSize = "4096";
  }
  return rc;
}

function regionGetNamespaceSeed(r: NdRegion): NdNamespace | undefined {
  return r.nsSeed && r.nsSeed.registered ? r.nsSeed : undefined;
}

/** validate_namespace_options(). */
function validateNamespaceOptions(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace | null): { rc: number; parsed?: Parsed } {
  const k = c.k;
  const q: Parsed = { loc: "none", uuid: "", name: "", mode: "unknown", size: 0, sectorSize: 0, align: 0, autolabel: false, autorecover: false };
  if (!regionEnabled(k, r)) return { rc: EAGAIN };
  let units = 1;
  let defaultSize = false;
  if (p.size !== undefined) {
    const s = parseSize64(p.size)!;
    q.size = s.value;
    units = s.units;
  } else if (ns) q.size = ns.size;
  else defaultSize = true;
  const io = regionNstype(r) === ND_DEVICE.NAMESPACE_IO;
  if (!ns) {
    const available = io ? r.size : regionMaxAvailableExtent(r);
    if (!available || q.size > available) return { rc: EAGAIN };
    if (q.size === 0) q.size = available;
  }
  if (io && q.size !== r.size) {
    c.err.error("Legacy / label-less namespaces do not support sub-dividing a region\n");
    c.err.error("Retry without -s/--size=\n");
    return { rc: EINVAL };
  }
  q.uuid = p.uuid ?? newUuid(k);
  q.name = p.name ?? (ns ? ns.altName : "");
  let pfn: NdPfn | null = null;
  let dax: NdPfn | null = null;
  if (p.mode) q.mode = utilNsmode(p.mode);
  else if (ns) q.mode = nsModeOf(k, ns);
  if (q.mode === "fsdax") {
    pfn = r.pfnSeed && r.pfnSeed.registered ? r.pfnSeed : null;
    if (!pfn && p.modeDefault) {
      c.nerr(`${r.name} fsdax mode not available\n`);
      q.mode = "raw";
    }
  } else if (q.mode === "devdax") {
    dax = r.daxSeed && r.daxSeed.registered ? r.daxSeed : null;
    if (!dax) {
      c.err.error("Kernel does not support devdax mode\n");
      return { rc: ENODEV };
    }
  }
  const alignments = pfnSupportedAlignments(k);
  if (p.align !== undefined) {
    if (q.mode === "fsdax") {
      if (!pfn) {
        c.err.error("Kernel does not support setting an alignment in fsdax mode\n");
        return { rc: EINVAL };
      }
    } else if (q.mode !== "devdax") {
      c.err.error(`${q.mode} mode does not support setting an alignment\n`);
      return { rc: ENXIO };
    }
    q.align = parseSize64(p.align)!.value;
    if (!alignments.includes(q.align)) {
      c.err.error(`unsupported align: ${p.align}\n`);
      return { rc: ENXIO };
    }
  } else {
    if (ns && q.mode === nsModeOf(k, ns)) {
      const np = nsPfn(ns);
      const nd = nsDax(ns);
      q.align = np ? np.align : nd ? nd.align : PAGE;
    } else if (q.mode === "fsdax") {
      q.align = pfn ? pfn.align : SZ_2M;
    } else if (q.mode === "devdax") {
      q.align = dax!.align;
    } else {
      q.align = PAGE;
    }
    if (r.start % q.align !== 0) q.align = PAGE;
  }
  if (q.size % r.align !== 0) {
    c.nerr(`${r.name}: align setting is ${"0x" + r.align.toString(16)} size ${"0x" + q.size.toString(16)} is misaligned\n`);
    return { rc: EINVAL };
  }
  const ways = Math.max(1, r.mappings.length);
  if (q.size % (q.align * ways) !== 0) {
    const suffix = units === 1024 ? "K" : units === 1024 ** 2 ? "M" : units === 1024 ** 3 ? "G" : units === 1024 ** 4 ? "T" : "";
    const sizeAlign = Math.max(units, q.align) * ways;
    const want = ((Math.floor(q.size / sizeAlign) + 1) * sizeAlign) / units;
    c.nerr(`'--size=' must align to interleave-width: ${ways} and alignment: ${q.align}\ndid you intend --size=${want}${suffix}?\n`);
    return { rc: EINVAL };
  }
  if (q.size < SZ_16M && q.mode !== "raw") {
    if (defaultSize) return { rc: EAGAIN };
    c.err.error(`'--size=' must be >= 16MiB for '${q.mode}' mode\n`);
    return { rc: EINVAL };
  }
  if (p.sectorSize !== undefined) {
    q.sectorSize = parseSize64(p.sectorSize)!.value;
    if (q.mode === "sector") {
      const btt = r.bttSeed && r.bttSeed.registered ? r.bttSeed : null;
      if (!btt) {
        c.nerr(`${r.name}: does not support 'sector' mode\n`);
        return { rc: EINVAL };
      }
      if (!BTT_LBASIZE_SUPPORTED.includes(q.sectorSize)) {
        c.nerr(`${r.name}: does not support btt sector_size ${q.sectorSize}\n`);
        return { rc: EINVAL };
      }
    } else {
      const seed = ns ?? regionGetNamespaceSeed(r);
      if (!seed) {
        c.nerr(`${r.name}: failed to get seed\n`);
        return { rc: ENXIO };
      }
      const sizes = seed.nstype === "pmem" ? [512, 4096] : [];
      if (!sizes.includes(q.sectorSize)) {
        c.nerr(`${r.name}: does not support namespace sector_size ${q.sectorSize}\n`);
        return { rc: EINVAL };
      }
    }
  } else if (ns) {
    q.sectorSize = ns.nstype === "pmem" ? ns.lbasize || 512 : 0;
  } else {
    const seed = regionGetNamespaceSeed(r);
    if (!seed) {
      c.nerr(`${r.name}: failed to get seed\n`);
      return { rc: ENXIO };
    }
    q.sectorSize = seed.nstype === "pmem" ? 512 : UINT_MAX;
  }
  if (p.map !== undefined) {
    q.loc = p.map === "mem" ? "mem" : "dev";
    if (ns && q.mode !== "fsdax" && q.mode !== "devdax") {
      c.nerr(`${ns.name}: --map= only valid for fsdax mode namespace\n`);
      return { rc: EINVAL };
    }
  } else if (q.mode === "fsdax" || q.mode === "devdax") {
    q.loc = "dev";
  }
  if (!pfn && doSetupPfn(c.k, ns, q)) {
    c.err.error(`operation failed, ${r.name} cannot support requested mode\n`);
    return { rc: EINVAL };
  }
  q.autolabel = p.autolabel;
  q.autorecover = p.autorecover;
  return { rc: 0, parsed: q };
}

function doSetupPfn(k: Kernel, ns: NdNamespace | null, q: Parsed): boolean {
  if (q.mode !== "fsdax") return false;
  if (!ns || nsModeOf(k, ns) !== "fsdax" || q.loc === "dev") return true;
  return false;
}

function checkDaxAlign(c: Ctx, p: Params, ns: NdNamespace): number {
  if (ns.start % SZ_16M === 0 || p.force) return 0;
  c.err.error(`${ns.name} misaligned to 16M, adjust region alignment and retry\n`);
  return EINVAL;
}

/** try(prefix, op, dev, p): a failing attribute write ends setup with its errno. */
function attempt(c: Ctx, devname: string, op: string, e: string | null): number {
  if (!e) return 0;
  const rc = neg(e);
  c.nerr(`${devname}: ${op} failed: ${strerror(rc)}\n`);
  return rc;
}

function pfnEnable(c: Ctx, p: NdPfn, fn: string): number {
  if (p.driver) return 0;
  bindDev(c, p);
  if (!p.driver) {
    c.lib(fn, `${p.name}: failed to enable\n`);
    return ENXIO;
  }
  return 0;
}

/** setup_namespace(). */
function setupNamespace(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace, q: Parsed): number {
  const k = c.k;
  let rc: number;
  if (ns.nstype !== "io") {
    if ((rc = attempt(c, ns.name, "set_uuid", namespaceStore(k, ns, "uuid", q.uuid)))) return rc;
    if ((rc = attempt(c, ns.name, "set_alt_name", namespaceStore(k, ns, "alt_name", q.name)))) return rc;
    if ((rc = attempt(c, ns.name, "set_size", namespaceStore(k, ns, "size", `0x${q.size.toString(16)}\n`)))) return rc;
  }
  if (q.sectorSize && q.sectorSize < UINT_MAX) {
    const sizes = ns.nstype === "pmem" ? [512, 4096] : [];
    if (sizes.includes(q.sectorSize)) {
      if ((rc = attempt(c, ns.name, "set_sector_size", namespaceStore(k, ns, "sector_size", `${q.sectorSize}\n`)))) return rc;
    } else if (q.mode === "sector") {
      /* the btt sector size overrides */
    } else if (q.sectorSize !== 512) {
      c.err.error(`${ns.name}: sector_size: ${q.sectorSize} not supported\n`);
      return EINVAL;
    }
  }
  const uuid = newUuid(k);
  setEnforceMode(c, ns, q.mode);
  if (doSetupPfn(k, ns, q)) {
    const pfn = r.pfnSeed && r.pfnSeed.registered ? r.pfnSeed : null;
    if (!pfn) return ENXIO;
    if ((rc = checkDaxAlign(c, p, ns))) return rc;
    if ((rc = attempt(c, pfn.name, "set_uuid", pfnStore(k, pfn, "uuid", uuid)))) return rc;
    if ((rc = attempt(c, pfn.name, "set_location", pfnStore(k, pfn, "mode", q.loc === "mem" ? "ram" : q.loc === "dev" ? "pmem" : "none")))) return rc;
    if ((rc = attempt(c, pfn.name, "set_align", pfnStore(k, pfn, "align", `${q.align}\n`)))) return rc;
    if ((rc = attempt(c, pfn.name, "set_namespace", pfnStore(k, pfn, "namespace", ns.name)))) return rc;
    rc = pfnEnable(c, pfn, "ndctl_pfn_enable");
    if (rc && q.autorecover) pfnStore(k, pfn, "namespace", "\n");
  } else if (q.mode === "devdax") {
    const dax = r.daxSeed && r.daxSeed.registered ? r.daxSeed : null;
    if (!dax) return ENXIO;
    if ((rc = checkDaxAlign(c, p, ns))) return rc;
    if ((rc = attempt(c, dax.name, "set_uuid", pfnStore(k, dax, "uuid", uuid)))) return rc;
    if ((rc = attempt(c, dax.name, "set_location", pfnStore(k, dax, "mode", q.loc === "mem" ? "ram" : q.loc === "dev" ? "pmem" : "none")))) return rc;
    if ((rc = attempt(c, dax.name, "set_align", pfnStore(k, dax, "align", `${q.align}\n`)))) return rc;
    if ((rc = attempt(c, dax.name, "set_namespace", pfnStore(k, dax, "namespace", ns.name)))) return rc;
    rc = pfnEnable(c, dax, "ndctl_dax_enable");
    if (rc && q.autorecover) pfnStore(k, dax, "namespace", "\n");
  } else if (q.mode === "sector") {
    const btt = r.bttSeed && r.bttSeed.registered ? r.bttSeed : null;
    if (!btt) return ENXIO;
    if (q.sectorSize === UINT_MAX) q.sectorSize = 4096;
    if ((rc = attempt(c, btt.name, "set_uuid", bttStore(k, btt, "uuid", uuid)))) return rc;
    if ((rc = attempt(c, btt.name, "set_sector_size", bttStore(k, btt, "sector_size", `${q.sectorSize}\n`)))) return rc;
    if ((rc = attempt(c, btt.name, "set_namespace", bttStore(k, btt, "namespace", ns.name)))) return rc;
    rc = 0;
    if (!btt.driver) {
      bindDev(c, btt);
      if (!btt.driver) {
        c.lib("ndctl_btt_enable", `${btt.name}: failed to enable\n`);
        rc = ENXIO;
      }
    }
  } else {
    rc = nsEnable(c, ns);
  }
  if (rc) {
    c.err.error(`${ns.name}: failed to enable\n`);
  } else {
    c.stdoutJson = namespaceJson(k, ns, { dax: true, daxDevs: true });
  }
  return rc;
}

/** region_get_namespace(): the idle namespace 0, else the seed. */
function regionGetNamespace(k: Kernel, r: NdRegion): NdNamespace | undefined {
  for (const ns of nsList(r)) if (ns.id === 0 && nsConfigIdle(k, ns)) return ns;
  return regionGetNamespaceSeed(r);
}

function namespaceCreate(c: Ctx, p: Params, r: NdRegion): number {
  const v = validateNamespaceOptions(c, p, r, null);
  if (v.rc) return v.rc;
  if (r.ro) return EAGAIN;
  const ns = regionGetNamespace(c.k, r);
  if (!ns || !nsConfigIdle(c.k, ns)) return EAGAIN;
  const rc = setupNamespace(c, p, r, ns, v.parsed!);
  if (rc && v.parsed!.autorecover) {
    setEnforceMode(c, ns, "raw");
    nsDelete(c, ns);
  }
  return rc;
}

/** namespace_prep_reconfig(): 0 (zeroed), 1 (skip), 2 (labelled), or a negative errno. */
function prepReconfig(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace): number {
  if (r.ro) {
    c.err.error(`${ns.name}: read-only, re-configuration disabled\n`);
    return ENXIO;
  }
  if (nsIsActive(c.k, ns) && !p.force) {
    c.err.error(`${ns.name} is active, specify --force for re-configuration\n`);
    return EBUSY;
  }
  let rc = nsDisableSafe(c, ns);
  if (rc) return rc;
  setEnforceMode(c, ns, "raw");
  rc = zeroInfoBlock(c, ns);
  if (rc < 0) return rc;
  const didZero = rc === 0;
  if (ns.nstype === "pmem") return 2;
  return didZero ? 0 : 1;
}

/** enable_labels(): switch a label-less NFIT region to labels (v1.2, v1.1 fallback). */
function enableLabels(c: Ctx, r: NdRegion): number {
  const k = c.k;
  if (r.mappings.length === 0) return ENODEV;
  // Every DIMM of QEMU's NVDIMMs supports the label commands.
  if (r.driver) ndDriverUnbind(k, r);
  let busy = 0;
  for (const m of r.mappings) {
    if (dimmActive(m.dimm)) {
      c.err.warning(`${m.dimm.name} is active in ${r.name}, failing autolabel\n`);
      busy++;
    }
  }
  if (!busy) {
    let v: "1.1" | "1.2" = "1.2";
    for (let retry = true; retry; ) {
      retry = false;
      for (const m of r.mappings) {
        const d = m.dimm;
        if (writeLabelIndex(k, d, v)) continue;
        const numLabels = labelSlots(d.labelArea.size, v === "1.2" ? 256 : 128);
        if (d.driver) ndDriverUnbind(k, d);
        bindDev(c, d);
        const avail = (dimmAvailableSlots(d) ?? -1) + 1;
        if (numLabels !== avail && v === "1.2") {
          v = "1.1";
          retry = true;
          break;
        }
      }
    }
  }
  if (!r.driver) {
    bindDev(c, r);
    if (!r.driver) c.lib("ndctl_region_enable", `${r.name}: failed to enable\n`);
  }
  if (regionNstype(r) !== ND_DEVICE.NAMESPACE_PMEM) {
    c.nerr(`${r.name}: failed to initialize labels\n`);
    return EBUSY;
  }
  return 0;
}

function namespaceReconfig(c: Ctx, p: Params, r: NdRegion, nsIn: NdNamespace): number {
  let ns: NdNamespace | undefined = nsIn;
  const v = validateNamespaceOptions(c, p, r, ns);
  if (v.rc) return v.rc;
  let rc = prepReconfig(c, p, r, ns);
  if (rc < 0) return rc;
  if (regionNstype(r) === ND_DEVICE.NAMESPACE_IO && v.parsed!.autolabel) {
    rc = enableLabels(c, r);
    if (rc !== ENODEV) ns = regionGetNamespace(c.k, r);
    if (!ns || (rc !== ENODEV && !nsConfigIdle(c.k, ns))) return ENODEV;
  }
  return setupNamespace(c, p, r, ns, v.parsed!);
}

function namespaceDestroy(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace): number {
  let rc = prepReconfig(c, p, r, ns);
  if (rc < 0) return rc;
  if (rc === 2) rc = nsDelete(c, ns);
  return rc;
}

type NsAction = "create" | "destroy" | "enable" | "disable";

/** do_xaction_namespace(). */
function doXactionNamespace(c: Ctx, p: Params, namespace: string | undefined, action: NsAction): { rc: number; processed: number } {
  let rc = ENXIO;
  let saved = 0;
  let processed = 0;
  if (!namespace && action !== "create") return { rc, processed };
  if (namespace === "all") rc = 0;
  c.cmdName = { create: "create namespace", destroy: "destroy namespace", enable: "enable namespace", disable: "disable namespace" }[action];
  for (const bus of ndBuses(c.k)) {
    if (!busFilter(bus, p.bus)) continue;
    for (const r of busRegions(c.k, bus)) {
      if (!regionFilter(r, p.region)) continue;
      if (p.type && p.type !== "pmem") continue;
      if (action === "create" && !namespace) {
        rc = namespaceCreate(c, p, r);
        if (rc === EAGAIN) continue;
        if (rc === 0) {
          processed++;
          if (p.greedy) continue;
        } else if (p.greedy && p.force) {
          saved = rc;
          continue;
        }
        return { rc, processed };
      }
      for (const ns of nsList(r)) {
        if (namespace === "all") {
          if (!ns.size && (!ns.uuid || ns.uuid === NULL_UUID)) continue;
        } else if (ns.name !== namespace) {
          continue;
        }
        switch (action) {
          case "disable":
            rc = nsDisableSafe(c, ns);
            if (rc === 0) processed++;
            break;
          case "enable":
            rc = nsEnable(c, ns);
            if (rc >= 0) {
              processed++;
              rc = 0;
            }
            break;
          case "destroy":
            rc = namespaceDestroy(c, p, r, ns);
            if (rc === 0) processed++;
            if (rc > 0) rc = 0;
            break;
          case "create":
            rc = namespaceReconfig(c, p, r, ns);
            if (rc === 0) processed = 1;
            return { rc, processed };
        }
      }
    }
  }
  if (action === "create" && rc === EAGAIN) rc = p.greedy && processed > 0 ? 0 : ENOSPC;
  if (saved) rc = saved;
  return { rc, processed };
}

const BASE_OPTS: OptSpec[] = [
  { short: "b", long: "bus", type: "string", key: "bus" },
  { short: "r", long: "region", type: "string", key: "region" },
  { short: "v", long: "verbose", type: "bool", key: "verbose" },
];

const CREATE_OPTS: OptSpec[] = [
  ...BASE_OPTS,
  { short: "e", long: "reconfig", type: "string", key: "reconfig" },
  { short: "u", long: "uuid", type: "string", key: "uuid" },
  { short: "n", long: "name", type: "string", key: "name" },
  { short: "s", long: "size", type: "string", key: "size" },
  { short: "m", long: "mode", type: "string", key: "mode" },
  { short: "M", long: "map", type: "string", key: "map" },
  { short: "l", long: "sector-size", type: "string", key: "sectorSize" },
  { short: "t", long: "type", type: "string", key: "type" },
  { short: "a", long: "align", type: "string", key: "align" },
  { short: "f", long: "force", type: "bool", key: "force" },
  { short: "L", long: "autolabel", type: "bool", key: "autolabel" },
  { short: "c", long: "continue", type: "bool", key: "greedy" },
  { short: "R", long: "autorecover", type: "bool", key: "autorecover" },
];

const DESTROY_OPTS: OptSpec[] = [...BASE_OPTS, { short: "f", long: "force", type: "bool", key: "force" }];

function toParams(o: Record<string, string | boolean | number | undefined>, doScan: boolean): Params {
  const s = (x: unknown) => (typeof x === "string" ? x : undefined);
  return {
    bus: s(o.bus),
    region: s(o.region),
    reconfig: s(o.reconfig),
    uuid: s(o.uuid),
    name: s(o.name),
    size: s(o.size),
    mode: s(o.mode),
    map: s(o.map),
    sectorSize: s(o.sectorSize),
    type: s(o.type),
    align: s(o.align),
    force: o.force === true,
    autolabel: o.autolabel !== false,
    greedy: o.greedy === true,
    autorecover: o.autorecover !== false,
    modeDefault: false,
    doScan,
    verbose: o.verbose === true,
  };
}

function cmdNamespace(k: Kernel, argv: string[], action: NsAction): ToolResult {
  const c = new Ctx(k);
  const sub = argv.slice(1);
  const specs = action === "create" ? CREATE_OPTS : action === "destroy" ? DESTROY_OPTS : BASE_OPTS;
  const usageText = action === "create" ? "ndctl create-namespace [<options>]" : `ndctl ${action}-namespace <namespace> [<options>]`;
  const po = parseOptions(sub, specs);
  if ("error" in po) {
    c.err.error(`${po.error}\n`);
    return usage(argv, c, usageText);
  }
  const p = toParams(po.opts, sub.length === 0);
  let rc = action === "create" ? setDefaults(c, p) : 0;
  if (po.args.length === 0 && action !== "create") {
    c.err.error(`specify a namespace to ${action}, or "all"\n`);
    rc = EINVAL;
  }
  for (let i = action === "create" ? 0 : 1; i < po.args.length; i++) {
    c.err.error(`unknown extra parameter "${po.args[i]}"\n`);
    rc = EINVAL;
  }
  if (rc) return usage(argv, c, usageText);
  const namespace = action === "create" ? p.reconfig : po.args[0];
  let { rc: r, processed } = doXactionNamespace(c, p, namespace, action);
  if (action === "create") {
    if (r < 0 && processed < 1 && p.doScan) {
      const p2 = toParams({}, false);
      p2.type = "blk";
      setDefaults(c, p2);
      ({ rc: r, processed } = doXactionNamespace(c, p2, undefined, "create"));
    }
    if (p.greedy) c.err.write(`created ${processed} namespace${processed === 1 ? "" : "s"}\n`);
    if ((r < 0 || (!namespace && processed < 1)) && !c.errCount) {
      c.err.write(`failed to ${namespace ? "reconfigure" : "create"} namespace: ${strerror(r)}\n`);
      if (!namespace) r = ENODEV;
    }
  } else {
    const verb = { destroy: "destroying", enable: "enabling", disable: "disabling" }[action];
    if (r < 0 && !c.errCount) c.err.write(`error ${verb} namespaces: ${strerror(r)}\n`);
    const past = { destroy: "destroyed", enable: "enabled", disable: "disabled" }[action];
    c.err.write(`${past} ${processed} namespace${processed === 1 ? "" : "s"}\n`);
  }
  ndFlush(k);
  return result(argv, r, c);
}

/* ------------------------------------------------------------ regions -- */

function cmdRegion(k: Kernel, argv: string[], action: "enable" | "disable"): ToolResult {
  const c = new Ctx(k);
  const po = parseOptions(argv.slice(1), [
    { short: "b", long: "bus", type: "string", key: "bus" },
    { short: "t", long: "type", type: "string", key: "type" },
    { short: "v", long: "verbose", type: "bool", key: "verbose" },
  ]);
  const text = `ndctl ${action}-region <region> [<options>]`;
  if ("error" in po) {
    c.err.error(`${po.error}\n`);
    return usage(argv, c, text);
  }
  if (po.args.length === 0) c.err.error('specify a specific region id to act on, or "all"\n');
  for (let i = 1; i < po.args.length; i++) c.err.error(`unknown extra parameter "${po.args[i]}"\n`);
  if (po.args.length !== 1) return usage(argv, c, text);
  const type = typeof po.opts.type === "string" ? po.opts.type : undefined;
  if (type && type !== "pmem" && type !== "blk") {
    c.err.error(`unknown region type '${type}', should be 'pmem' or 'blk'\n`);
    return usage(argv, c, text);
  }
  let success = 0;
  for (const bus of ndBuses(k)) {
    if (!busFilter(bus, typeof po.opts.bus === "string" ? po.opts.bus : undefined)) continue;
    for (const r of busRegions(k, bus)) {
      if (type && type !== "pmem") continue;
      if (!regionFilter(r, po.args[0])) continue;
      let rc = 0;
      if (action === "enable") {
        if (!regionEnabled(k, r)) {
          bindDev(c, r);
          if (!regionEnabled(k, r)) {
            c.lib("ndctl_region_enable", `${r.name}: failed to enable\n`);
            rc = ENXIO;
          }
        }
      } else {
        for (const ns of nsList(r)) {
          rc = nsDisableSafe(c, ns);
          if (rc) break;
        }
        if (!rc && regionEnabled(k, r)) {
          ndDriverUnbind(k, r);
          if (regionEnabled(k, r)) {
            c.lib("ndctl_region_disable", `${r.name}: failed to disable\n`);
            rc = EBUSY;
          }
        }
      }
      if (rc === 0) success++;
    }
  }
  const past = action === "enable" ? "enabled" : "disabled";
  c.err.write(success === 0 ? `${past} 0 regions\n` : `${past} ${success} region${success > 1 ? "s" : ""}\n`);
  ndFlush(k);
  return result(argv, 0, c);
}

/* --------------------------------------------------------------- dimms -- */

function cmdDimm(k: Kernel, argv: string[], action: "init-labels" | "zero-labels" | "enable-dimm" | "disable-dimm"): ToolResult {
  const c = new Ctx(k);
  const po = parseOptions(argv.slice(1), [
    { short: "b", long: "bus", type: "string", key: "bus" },
    { short: "v", long: "verbose", type: "bool", key: "verbose" },
    { short: "f", long: "force", type: "bool", key: "force" },
    { short: "V", long: "label-version", type: "string", key: "labelversion" },
  ]);
  const text = `ndctl ${action} <nmem0> [<nmem1>..<nmemN>] [<options>]`;
  if ("error" in po || po.args.length === 0) {
    if ("error" in po) c.err.error(`${po.error}\n`);
    return usage(argv, c, text);
  }
  let args = po.args;
  let bad = 0;
  for (const a of args) {
    if (a === "all") {
      args = ["all"];
      break;
    }
    if (!/^nmem\d+/.test(a)) {
      c.err.write(`'${a}' is not a valid dimm name\n`);
      bad++;
    }
  }
  if (bad === args.length) return usage(argv, c, text);
  const lv = typeof po.opts.labelversion === "string" ? po.opts.labelversion : "1.1";
  const version = lv === "1.1" || lv === "v1.1" ? "1.1" : lv === "1.2" || lv === "v1.2" ? "1.2" : null;
  if (!version) {
    c.err.write(`'${lv}' is not a valid label version\n`);
    return result(argv, action === "init-labels" || action === "zero-labels" ? 1 : EINVAL, c);
  }
  let count = 0;
  let firstErr = 0;
  for (const a of args) {
    if (!/^nmem\d+/.test(a) && a !== "all") continue;
    for (const bus of ndBuses(k)) {
      if (!busFilter(bus, typeof po.opts.bus === "string" ? po.opts.bus : undefined)) continue;
      for (const d of busDimms(k, bus)) {
        if (!dimmFilter(d, a === "all" ? undefined : a)) continue;
        const rc = dimmAction(c, d, action, version, po.opts.force === true);
        if (rc === 0) count++;
        else if (!firstErr) firstErr = rc;
      }
    }
  }
  const n = count > 0 ? count : firstErr;
  ndFlush(k);
  switch (action) {
    case "init-labels":
      c.err.write(`initialized ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
      return result(argv, n >= 0 ? 0 : 1, c);
    case "zero-labels":
      c.err.write(`zeroed ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
      return result(argv, n >= 0 ? 0 : 1, c);
    case "enable-dimm":
    case "disable-dimm":
      c.err.write(`${action === "enable-dimm" ? "enabled" : "disabled"} ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
      return result(argv, n >= 0 ? 0 : n, c);
  }
}

function dimmAction(c: Ctx, d: NdDimm, action: string, version: "1.1" | "1.2", force: boolean): number {
  const k = c.k;
  const disable = (): number => {
    if (!d.driver) return 0;
    ndDriverUnbind(k, d);
    if (d.driver) {
      c.lib("ndctl_dimm_disable", `${d.name}: failed to disable\n`);
      return EBUSY;
    }
    return 0;
  };
  const enable = (): number => {
    if (d.driver) return 0;
    bindDev(c, d);
    if (!d.driver) {
      c.lib("ndctl_dimm_enable", `${d.name}: failed to enable\n`);
      return ENXIO;
    }
    return 0;
  };
  switch (action) {
    case "disable-dimm":
      if (dimmActive(d)) {
        c.err.write(`${d.name} is active, skipping...\n`);
        return EBUSY;
      }
      return disable();
    case "enable-dimm":
      return enable();
    case "init-labels":
    case "zero-labels": {
      if (dimmActive(d)) {
        c.err.write(`${d.name}: regions active, abort label write\n`);
        return EBUSY;
      }
      if (action === "init-labels") {
        if (d.labelArea.index && !force) {
          c.err.write(`${d.name}: error: labels already initialized\n`);
          return EBUSY;
        }
        const e = writeLabelIndex(k, d, version);
        if (e) return neg(e);
      } else {
        const e = zeroLabelArea(d);
        if (e) return neg(e);
      }
      if (!d.driver) return 0;
      const rc = disable();
      if (rc) return rc;
      return enable();
    }
  }
  return EINVAL;
}

/* ---------------------------------------------------------------- list -- */

function cmdList(k: Kernel, argv: string[]): ToolResult {
  const c = new Ctx(k);
  const po = parseOptions(argv.slice(1), [
    { short: "b", long: "bus", type: "string", key: "bus" },
    { short: "r", long: "region", type: "string", key: "region" },
    { short: "d", long: "dimm", type: "string", key: "dimm" },
    { short: "n", long: "namespace", type: "string", key: "namespace" },
    { short: "m", long: "mode", type: "string", key: "mode" },
    { short: "B", long: "buses", type: "bool", key: "buses" },
    { short: "D", long: "dimms", type: "bool", key: "dimms" },
    { short: "R", long: "regions", type: "bool", key: "regions" },
    { short: "N", long: "namespaces", type: "bool", key: "namespaces" },
    { short: "X", long: "device-dax", type: "bool", key: "dax" },
    { short: "i", long: "idle", type: "bool", key: "idle" },
    { short: "u", long: "human", type: "bool", key: "human" },
    { short: "v", long: "verbose", type: "incr", key: "verbose" },
  ]);
  if ("error" in po) {
    c.err.error(`${po.error}\n`);
    return usage(argv, c, "ndctl list [<options>]");
  }
  const o = po.opts;
  const flags: ListFlags = { buses: !!o.buses, dimms: !!o.dimms, regions: !!o.regions, namespaces: !!o.namespaces, idle: !!o.idle, dax: !!o.dax };
  if (!flags.buses && !flags.dimms && !flags.regions && !flags.namespaces) flags.namespaces = true;
  const json = ndctlListJson(k, flags);
  if (json !== undefined) c.stdoutJson = json;
  return result(argv, 0, c);
}

/* ---------------------------------------------------------------- main -- */

/** Run `ndctl <argv…>` against the kernel model. */
export function ndctl(k: Kernel, argv: string[]): ToolResult {
  ndFlush(k);
  const cmd = argv[0];
  switch (cmd) {
    case "create-namespace":
      return cmdNamespace(k, argv, "create");
    case "destroy-namespace":
      return cmdNamespace(k, argv, "destroy");
    case "enable-namespace":
      return cmdNamespace(k, argv, "enable");
    case "disable-namespace":
      return cmdNamespace(k, argv, "disable");
    case "enable-region":
      return cmdRegion(k, argv, "enable");
    case "disable-region":
      return cmdRegion(k, argv, "disable");
    case "init-labels":
    case "zero-labels":
    case "enable-dimm":
    case "disable-dimm":
      return cmdDimm(k, argv, cmd);
    case "list":
      return cmdList(k, argv);
  }
  const c = new Ctx(k);
  c.err.write(`ndctl: '${cmd ?? ""}' is not an ndctl command. See 'ndctl --help'.\n`);
  return result(argv, 1, c);
}

export { pfnResource };
