/**
 * libnvdimm bus core: bus registration, device registration and the
 * asynchronous probe queue, driver bind/unbind. Models drivers/nvdimm/bus.c.
 *
 * Device registration in libnvdimm is asynchronous; the model emits the
 * `add` uevent at registration and queues the probe, and flushes the queue
 * when the kernel would have settled (nvdimm_bus_wait_probe, the end of a
 * step).
 */
import type { Kernel } from "../kernel.js";
import { EBUSY, ENODEV, ENXIO, type Errno } from "../errno.js";
import { type Action, devPath, type NdBtt, type NdBus, type NdDevice, type NdDimm, type NdNamespace, type NdPfn, type NdRegion, ndState, ndUevent, type ProbeResult, reallyProbe, releaseDriver } from "./nvdimm-core.js";
import { daxPmemProbe, daxPmemRemove } from "./dax.js";
import { detachNs } from "./nvdimm-claim.js";
import { dimmProbe, dimmRemove } from "./nvdimm-dimm.js";
import { advanceSeeds } from "./nvdimm-namespace.js";
import { ndPmemProbe } from "./nvdimm-pmem.js";
import { regionProbe, regionRemove } from "./nvdimm-region.js";

export const OK: ProbeResult = { ok: true };
export const err = (errno: Errno): ProbeResult => ({ ok: false, errno });

const queues = new WeakMap<Kernel, NdDevice[]>();

function queue(k: Kernel): NdDevice[] {
  let q = queues.get(k);
  if (!q) {
    q = [];
    queues.set(k, q);
  }
  return q;
}

/** Run queued device probes (async registration work) until idle: nvdimm_bus_wait_probe(). */
export function ndFlush(k: Kernel): void {
  const q = queue(k);
  if (q.length) ndState(k).burst++;
  while (q.length) {
    const d = q.shift()!;
    asyncProbe.add(d);
    if (d.registered && !d.driver) busProbeDevice(k, d);
    asyncProbe.delete(d);
  }
}

/** Devices being probed from the async queue: their `bind` is sent from async work too. */
const asyncProbe = new Set<NdDevice>();

/** Is `d` being probed from the async domain (boot, a provider's registration) rather than by a process's bind? */
export function probedFromAsync(d: NdDevice): boolean {
  return asyncProbe.has(d);
}

/**
 * The async work queued so far runs now, in the middle of a process's probe
 * (see the rule regionBindAsyncWork): same registration burst, and every
 * uevent it sends is marked async — the kernel may send it later than here.
 */
export function ndRunAsyncWork(k: Kernel): void {
  const q = queue(k);
  const from = k.uevents.length;
  while (q.length) {
    const d = q.shift()!;
    asyncProbe.add(d);
    if (d.registered && !d.driver) busProbeDevice(k, d);
    asyncProbe.delete(d);
  }
  for (let i = from; i < k.uevents.length; i++) k.uevents[i].async = true;
}

/**
 * nd_device_register(): device_add now (uevent `add`, marked as sent from
 * async work: the kernel runs it from nd_async_domain), the driver probe
 * from the async queue.
 */
export function ndDeviceRegister(k: Kernel, d: NdDevice): void {
  d.registered = true;
  d.burst = ndState(k).burst;
  if (d.kind === "namespace" || d.kind === "btt" || d.kind === "pfn" || d.kind === "ndax") d.region.children.push(d);
  ndUevent(k, "add", d, true);
  queue(k).push(d);
}

/** device_unregister() of a region child: driver release, `remove`, then the release callback. */
export function ndDeviceUnregister(k: Kernel, d: NdNamespace | NdBtt | NdPfn): void {
  if (!d.registered) return;
  d.killed = true;
  if (d.driver) ndRelease(k, d);
  ndUevent(k, "remove", d);
  d.registered = false;
  const r = d.region;
  r.children = r.children.filter((c) => c !== d);
  switch (d.kind) {
    case "namespace":
      if (d.nstype === "pmem") r.nsIda.put(d.id);
      break;
    case "btt":
      r.bttIda.put(d.id);
      if (d.ns) detachNs(d);
      break;
    case "pfn":
      r.pfnIda.put(d.id);
      if (d.ns) detachNs(d);
      break;
    case "ndax":
      r.daxIda.put(d.id);
      if (d.ns) detachNs(d);
      break;
  }
  if (r.nsSeed === d) r.nsSeed = null;
  if (r.bttSeed === d) r.bttSeed = null;
  if (r.pfnSeed === d) r.pfnSeed = null;
  if (r.daxSeed === d) r.daxSeed = null;
}

/** The nd driver that matches a device type (nd_bus_match), if that driver is loaded. */
function matchingDriver(k: Kernel, d: NdDevice): string | null {
  const drivers = ndState(k).ndDrivers;
  const want = d.kind === "bus" ? "nd_bus" : d.kind === "dimm" ? "nvdimm" : d.kind === "region" ? "nd_region" : d.kind === "ndax" ? "dax_pmem" : "nd_pmem";
  return drivers.includes(want) ? want : null;
}

function emitter(k: Kernel, d: NdDevice): (a: Action) => void {
  return (a) => ndUevent(k, a, d, a === "bind" && asyncProbe.has(d) && d.kind === "region");
}

/** nvdimm_bus_probe(): the driver's probe, then nd_region_advance_seeds() on success or -EOPNOTSUPP. */
function ndBusProbe(k: Kernel, d: NdDevice, drv: string): ProbeResult {
  let r: ProbeResult = OK;
  return reallyProbe(k, d, drv, () => {
    r = driverProbe(k, d, drv);
    if ((r.ok || r.errno === "EOPNOTSUPP") && d.kind !== "bus" && d.kind !== "dimm" && d.kind !== "region") {
      advanceSeeds(k, d.region, d);
    }
    return r;
  }, emitter(k, d));
}

function driverProbe(k: Kernel, d: NdDevice, drv: string): ProbeResult {
  switch (drv) {
    case "nd_region":
      return regionProbe(k, d as NdRegion);
    case "nvdimm":
      return dimmProbe(k, d as NdDimm);
    case "nd_pmem":
      return ndPmemProbe(k, d as NdNamespace | NdBtt | NdPfn);
    case "dax_pmem":
      return daxPmemProbe(k, d as NdPfn);
    case "nd_bus":
      return OK;
  }
  return err(ENODEV);
}

/** bus_probe_device(): the matching driver, if any, tries the device. */
function busProbeDevice(k: Kernel, d: NdDevice): ProbeResult {
  const drv = matchingDriver(k, d);
  if (!drv) return err(ENODEV);
  return ndBusProbe(k, d, drv);
}

/** Driver removal (nvdimm_bus_remove → the driver's remove, then devres). */
function ndRelease(k: Kernel, d: NdDevice): void {
  const drv = d.driver;
  releaseDriver(d, () => {
    if (drv === "nd_region") regionRemove(k, d as NdRegion);
    else if (drv === "nvdimm") dimmRemove(k, d as NdDimm);
    else if (drv === "dax_pmem") daxPmemRemove(k, d as NdPfn);
  }, emitter(k, d));
}

/** Writing a device name to /sys/bus/nd/drivers/<drv>/bind. */
export function ndDriverBind(k: Kernel, drv: string, d: NdDevice): Errno | null {
  ndFlush(k);
  if (!d.registered) return ENODEV;
  if (matchingDriver(k, d) !== drv) return ENODEV;
  if (d.driver) return EBUSY;
  const r = ndBusProbe(k, d, drv);
  ndFlush(k);
  return r.ok ? null : r.errno;
}

/** Writing a device name to …/driver/unbind. */
export function ndDriverUnbind(k: Kernel, d: NdDevice): Errno | null {
  ndFlush(k);
  if (!d.driver) return ENODEV;
  ndRelease(k, d);
  ndFlush(k);
  return null;
}

/** util_bind() for the nd bus: try every nd driver (only the matching one can succeed). */
export function ndBind(k: Kernel, d: NdDevice): Errno | null {
  const drv = matchingDriver(k, d);
  if (!drv) return ENXIO;
  return ndDriverBind(k, drv, d);
}

/** nvdimm_bus_register() + the nd_bus driver: ndbusN, its ndctlN char device. */
export function ndBusRegister(k: Kernel, provider: "e820" | "nfit" | "cxl", parentPath: string): NdBus {
  const st = ndState(k);
  const b: NdBus = { kind: "bus", name: "", id: st.busIda.get(), provider, parentPath, registered: true, killed: false, driver: null, devres: [] };
  b.name = `ndbus${b.id}`;
  st.buses.push(b);
  ndUevent(k, "add", b);
  k.uevent("add", `${devPath(b)}/nd/ndctl${b.id}`, "nd", [
    ["MAJOR", String(k.rules.charMajors.ndBus)],
    ["MINOR", String(b.id)],
    ["DEVNAME", `ndctl${b.id}`],
  ]);
  b.driver = "nd_bus";
  ndUevent(k, "bind", b);
  return b;
}

/** Load the nd drivers (module init): they attach to existing devices. */
export function ndDriverLoad(k: Kernel, drv: string): void {
  const st = ndState(k);
  if (!st.ndDrivers.includes(drv)) st.ndDrivers.push(drv);
  for (const r of st.regions) for (const c of r.children) if (c.registered && !c.driver && matchingDriver(k, c) === drv) queue(k).push(c);
}

export function allNdDevices(k: Kernel): NdDevice[] {
  const st = ndState(k);
  const out: NdDevice[] = [...st.buses, ...st.dimms];
  for (const r of st.regions) {
    out.push(r);
    out.push(...r.children);
  }
  return out.filter((d) => d.registered);
}

export function findNdDevice(k: Kernel, name: string): NdDevice | undefined {
  return allNdDevices(k).find((d) => d.name === name);
}
