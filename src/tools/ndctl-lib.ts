/**
 * What ndctl's commands share: device enumeration, the namespace view
 * (mode, enabled, idle), the command context and the libndctl operations
 * they are built from. Models ndctl/lib/libndctl.c (the device filters are
 * ndctl-filter.ts).
 *
 * libndctl lists devices with list_add() while reading sysfs directories,
 * so its iteration order is the reverse of readdir() (kernfs hash) order.
 */
import type { Kernel } from "../kernel/kernel.js";
import { infoAreaIsZero, pfnStore, zeroInfoArea } from "../kernel/drivers/nvdimm-pfn.js";
import { namespaceMode, namespaceStore } from "../kernel/drivers/nvdimm-namespace.js";
import { ndBind, ndDriverUnbind, ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { regionBtts, regionNamespaces, regionPfns } from "../kernel/drivers/nvdimm-region.js";
import { claimNamespaceStore } from "../kernel/drivers/nvdimm-claim.js";
import { type NdBtt, type NdBus, type NdDimm, type NdNamespace, type NdPfn, type NdRegion, ndState, NULL_UUID } from "../kernel/drivers/nvdimm-core.js";
import { readdirOrder } from "../kernel/kernfs.js";
import { daxDeviceHasOnlineMemory, daxRegionForNd } from "./daxctl-lib.js";
import { neg, type OptionTable, type ParseFailure, Stderr, toolResult, type ToolResult, usageResult } from "./tool-util.js";

export const ENXIO = -6;
export const EINVAL = -22;
export const EBUSY = -16;
export const ENODEV = -19;
export const EAGAIN = -11;
export const ENOSPC = -28;
export const SZ_16M = 16 * 1024 * 1024;
export const SZ_2M = 2 * 1024 * 1024;
export const PAGE = 4096;
export const UINT_MAX = 0xffffffff;

export type Mode = "fsdax" | "sector" | "raw" | "devdax" | "unknown";
export type Loc = "none" | "mem" | "dev";

function reversedReaddir<T extends { name: string }>(items: T[]): T[] {
  const order = readdirOrder(items.map((i) => i.name));
  return order.map((n) => items.find((i) => i.name === n)!).reverse();
}

/** ndctl_bus_get_provider(): the bus descriptor's provider_name (acpi_nfit, e820_pmem, cxl_pmem). */
export function busProvider(b: NdBus): string {
  return b.provider === "e820" ? "e820" : b.provider === "cxl" ? "CXL" : "ACPI.NFIT";
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

export function nsPfn(ns: NdNamespace): NdPfn | undefined {
  return pfnList(ns.region, "pfn").find((p) => p.ns === ns);
}

export function nsDax(ns: NdNamespace): NdPfn | undefined {
  return pfnList(ns.region, "ndax").find((p) => p.ns === ns);
}

export function nsBtt(ns: NdNamespace): NdBtt | undefined {
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

export function nsModeOf(k: Kernel, ns: NdNamespace): Mode {
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

export function pfnLocation(p: NdPfn): Loc {
  return p.mode === "ram" ? "mem" : p.mode === "pmem" ? "dev" : "none";
}

function nsIsConfigured(ns: NdNamespace): boolean {
  if (ns.nstype === "io") return true;
  return ns.size >= PAGE && !!ns.uuid && ns.uuid !== NULL_UUID;
}

export function nsConfigIdle(k: Kernel, ns: NdNamespace): boolean {
  if (nsIsActive(k, ns)) return false;
  if (nsIsConfigured(ns)) return ns.nstype === "io";
  return true;
}

export function blockDevice(ns: NdNamespace): string {
  return ns.disk?.name ?? "";
}

export class Ctx {
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

export function result(argv: string[], rc: number, c: Ctx): ToolResult {
  return toolResult("ndctl", argv, rc, c.err, c.stdoutJson);
}

/**
 * ndctl's usage errors, all printed here: usage_with_options() of the
 * command's table (ndctl-options.ts), or when parse_options() stopped, the
 * text that goes with why. Exit 129, nothing on stdout.
 */
export function usage(argv: string[], c: Ctx, t: OptionTable, failure?: ParseFailure): ToolResult {
  c.stdoutJson = undefined;
  return usageResult("ndctl", argv, c.err, t, failure);
}

/** util_bind(): the nd bus's bind files in readdir order; the first success wins. */
export function bindDev(c: Ctx, d: Parameters<typeof ndBind>[1]): number {
  const e = ndBind(c.k, d);
  return e ? ENXIO : 0;
}

export function nsEnable(c: Ctx, ns: NdNamespace): number {
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

export function nsDisableSafe(c: Ctx, ns: NdNamespace): number {
  const pfn = nsPfn(ns);
  const dax = nsDax(ns);
  if (!(pfn && pfn.driver) && dax && dax.driver) {
    const region = daxRegionForNd(c.k, dax);
    if (region && region.devices.some((d) => daxDeviceHasOnlineMemory(c.k, d))) return EBUSY;
  }
  nsDisableInvalidate(c, ns);
  return 0;
}

export function setEnforceMode(c: Ctx, ns: NdNamespace, mode: Mode): void {
  const name = mode === "fsdax" ? "pfn" : mode === "sector" ? "btt" : mode === "devdax" ? "dax" : "";
  namespaceStore(c.k, ns, "holder_class", name);
}

/** ndctl_namespace_delete(). */
export function nsDelete(c: Ctx, ns: NdNamespace): number {
  if (!ns.registered) return 0;
  if (nsEnabled(c.k, ns)) return EBUSY;
  if (ns.nstype !== "pmem") return 0;
  const e = namespaceStore(c.k, ns, "size", "0x0\n");
  if (e && e !== "ENXIO") return neg(e);
  return 0;
}

/** zero_info_block(). */
export function zeroInfoBlock(c: Ctx, ns: NdNamespace): number {
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
