/**
 * The cxl_mem driver let go of a memdev and given it back through sysfs
 * (/sys/bus/cxl/drivers/cxl_mem/{unbind,bind}), as
 * test/oracle/quirks/cxl-memdev-unbind recorded it: unbinding removes the
 * endpoint port (its decoders last first) and its register claims, then
 * the memdev's nvdimm (the nmem, then pmemN); binding makes the nvdimm
 * first, then the endpoint, each with the lowest free id. A decoder in a
 * region takes the region down as it goes (cxl_decoder_kill_region()).
 */
import type { Kernel } from "../kernel.js";
import { ENODEV, ENXIO, type Errno } from "../errno.js";
import { ndDriverUnbind, ndFlush } from "./nvdimm-bus.js";
import { ndState, ndUevent } from "./nvdimm-core.js";
import { decoderKillRegion } from "./cxl-region.js";
import { CXL_DEVICE, cxlNmemCreate, releaseClaims, cxlUevent, decoderEvent, memdevPath, portEvent, type CxlMemdev, type CxlState } from "./cxl-core.js";
import { committedZeroSizeDecoder, dropSwitchPortIfIdle, makeEndpoint, makeSwitchPorts } from "./cxl-port.js";

function memdevEvent(k: Kernel, st: CxlState, m: CxlMemdev, action: "bind" | "unbind"): void {
  cxlUevent(k, action, memdevPath(st, m), "cxl_memdev", CXL_DEVICE.memdev, action === "bind" ? "cxl_mem" : undefined, [
    ["MAJOR", String(k.rules.cxlMemdevMajor)],
    ["MINOR", String(m.id)],
    ["DEVNAME", `cxl/${m.name}`],
  ]);
}

function nvdimmEvent(k: Kernel, st: CxlState, m: CxlMemdev, action: string): void {
  cxlUevent(k, action, `${memdevPath(st, m)}/${m.nvdimm!.name}`, "cxl_nvdimm", CXL_DEVICE.nvdimm, action === "bind" ? "cxl_nvdimm" : undefined);
}

/** unbind_store() for cxl_mem: ENODEV unless the driver holds the device. */
export function memdevUnbind(k: Kernel, st: CxlState, m: CxlMemdev): Errno | { unsupported: string } | null {
  const ep = m.endpoint;
  if (!ep) return ENODEV;
  // A ram region whose memory kmem holds online: kmem cannot remove it ("removing memory fails, because memory
  // [...] is onlined", "... cannot be hotremoved until the next reboot"), the region's decoders are reset under
  // it all the same, and whatever lived in that memory is gone: user space segfaults and init's death panics the
  // guest (test/oracle/quirks/cxl-probe91-ram-unbind.sid.console.txt; 6.12 and 7.2, every run). memhp does not
  // model a guest that dies, so it says so.
  if (ep.decoders.some((d) => d.region?.extra && d.region.extra(k).systemRam > 0)) {
    return {
      unsupported: `unbinding cxl_mem from ${m.name} while its ram region's memory is online: kmem cannot remove the memory ("cannot be hotremoved until the next reboot"), the region's decoders are reset under it, and the processes with pages there crash; the recorded guests panicked ("Attempted to kill init") every time. A guest that dies is not modelled`,
    };
  }
  for (const d of [...ep.decoders].reverse()) {
    decoderKillRegion(k, st, d);
    decoderEvent(k, "remove", d);
  }
  portEvent(k, "unbind", ep);
  portEvent(k, "remove", ep);
  // The claims made for the endpoint go with it: its own, and on 6.12 the root port's RAS registers the memdev
  // claimed (the PCI device's stay while cxl_pci holds it, and 7.2's host bridge port keeps its own).
  releaseClaims(k, [ep.name, m.name]);
  st.ports = st.ports.filter((p) => p !== ep);
  st.portIda.put(ep.id);
  m.endpoint = null;
  // 6.1: the nvdimm is not cxl_mem's; it stays (rule cxlMemOwnsNvdimm).
  const nmem = k.rules.cxlMemOwnsNvdimm ? m.nvdimm?.nmem : null;
  if (nmem) {
    ndDriverUnbind(k, nmem);
    ndUevent(k, "remove", nmem);
    nmem.registered = false;
    const nd = ndState(k);
    nd.dimms = nd.dimms.filter((d) => d !== nmem);
    nd.dimmIda.put(nmem.id);
    m.nvdimm!.nmem = null;
  }
  if (m.nvdimm && k.rules.cxlMemOwnsNvdimm) {
    nvdimmEvent(k, st, m, "unbind");
    nvdimmEvent(k, st, m, "remove");
  }
  if (ep.parent) dropSwitchPortIfIdle(k, st, ep.parent);
  memdevEvent(k, st, m, "unbind");
  return null;
}

/**
 * bind_store() for cxl_mem: the nvdimm and its nmem, then the endpoint
 * (EBUSY-free: an unbound memdev only). A device whose HDM decoder reads
 * back committed with zero size fails cxl_port's probe of the new endpoint:
 * ENXIO, nothing added (test/oracle/cxl/cxl-probe90-unbind-in-region, 6.1 on
 * QEMU 7.2).
 */
export function memdevBind(k: Kernel, st: CxlState, m: CxlMemdev): Errno | null {
  if (m.endpoint) return "EBUSY" as Errno;
  // cxl_mem_probe() enumerates the ports above first: a switch's port comes back before the nvdimm and the endpoint.
  makeSwitchPorts(k, st, [m], [m]);
  if (committedZeroSizeDecoder(st, m) >= 0) {
    makeEndpoint(k, st, m);
    return ENXIO;
  }
  if (m.nvdimm && st.bridge?.bus && k.rules.cxlMemOwnsNvdimm) {
    nvdimmEvent(k, st, m, "add");
    m.nvdimm.nmem = cxlNmemCreate(k, st.bridge.bus, m);
    ndFlush(k);
    nvdimmEvent(k, st, m, "bind");
  }
  makeEndpoint(k, st, m);
  memdevEvent(k, st, m, "bind");
  return null;
}
