/**
 * A CXL ram region's way to the page allocator (v6.3+): cxl_region_probe()
 * registers `dax_regionN` under the region (devm_cxl_add_dax_region()), whose
 * cxl_dax_region driver (drivers/dax/cxl.c) makes a dax region flagged for
 * kmem (IORESOURCE_DAX_KMEM) with one device `daxN.0` over the whole region;
 * kmem matches it by type, so the memory is added at once and onlined under
 * the auto-online policy. Also the region's byte accounting.
 */
import type { Kernel } from "../kernel.js";
import { CXL_DEVICE, cxlUevent, type CxlState } from "./cxl-core.js";
import { regionPath, type CxlRegion } from "./cxl-region.js";
import { daxBusProbeDevice, daxState, devDaxSize, devmCreateDevDax, kmemRange, unregisterDevDax, type CxlDaxParent, type DaxRegion } from "./dax.js";

/** The dax region's alignment (PMD_SIZE on x86-64), as dax_cxl asks alloc_dax_region() for. */
const DAX_CXL_ALIGN = 2 * 1024 * 1024;

function daxRegionDevPath(r: CxlRegion): string {
  return `${regionPath(r)}/dax_region${r.id}`;
}

/** devm_cxl_add_dax_region(): `dax_regionN`, probed at once (the "register" line after it) unless the driver probes asynchronously. */
export function cxlDaxRegionAdd(k: Kernel, st: CxlState, r: CxlRegion): void {
  if (!r.res) return;
  const name = `dax_region${r.id}`;
  const path = daxRegionDevPath(r);
  r.dax = { name, driver: null, daxRegionId: null };
  cxlUevent(k, "add", path, "cxl_dax_region", CXL_DEVICE.dax_region);
  if (!st.rules.daxCxlAsync) cxlDaxRegionProbe(k, st, r);
  if (k.rules.cxlRegisterPmemDebug) k.printk(7, `cxl_region ${r.name}: ${r.name}: register ${name}`);
}

/** cxl_dax_region_probe(): the dax region and its one device, which kmem takes at once. */
export function cxlDaxRegionProbe(k: Kernel, st: CxlState, r: CxlRegion): void {
  if (!r.res || !r.dax || r.dax.driver) return;
  const name = r.dax.name;
  const path = daxRegionDevPath(r);
  // cxl_dax_region_probe(): the target node of the window, else the node memory hotplug would pick.
  const numaNode = st.numaNode(r.res.start);
  const target = st.targetNode(r.res.start);
  const targetNode = target < 0 ? numaNode : target;
  const parent: CxlDaxParent = { kind: "cxl_dax_region", name, path, numaNode };
  const ds = daxState(k);
  const region: DaxRegion = { id: r.id, parent, start: r.res.start, end: r.res.end, align: DAX_CXL_ALIGN, targetNode, devices: [], kmemType: true };
  ds.regions.push(region);
  const range = { start: r.res.start, end: r.res.end };
  // dax_cxl asks for memmap_on_memory (used where the kernel has it and the parameter allows).
  const dev = devmCreateDevDax(k, region, 0, range, { type: "GENERIC", ranges: [{ ...range }], owner: `dax${r.id}.0`, mapped: 0, nid: -1 }, true);
  daxBusProbeDevice(k, dev);
  r.dax.driver = "cxl_dax_region";
  r.dax.daxRegionId = r.id;
  r.extra = (kk) => ramRegionAccount(kk, r);
  cxlUevent(k, "bind", path, "cxl_dax_region", CXL_DEVICE.dax_region, "cxl_dax_region");
}

/** Unbinding the region: its dax device goes (driver first), then dax_regionN. */
export function cxlDaxRegionRemove(k: Kernel, r: CxlRegion): void {
  const dx = r.dax;
  if (!dx) return;
  const ds = daxState(k);
  const region = ds.regions.find((x) => x.parent.kind === "cxl_dax_region" && x.parent.path === daxRegionDevPath(r));
  if (region) {
    for (const d of [...region.devices]) unregisterDevDax(k, d);
    ds.regions = ds.regions.filter((x) => x !== region);
  }
  const path = daxRegionDevPath(r);
  if (dx.driver) cxlUevent(k, "unbind", path, "cxl_dax_region", CXL_DEVICE.dax_region);
  cxlUevent(k, "remove", path, "cxl_dax_region", CXL_DEVICE.dax_region);
  r.dax = null;
  r.extra = undefined;
}

/** Where a ram region's bytes are: System RAM through kmem, ZONE_DEVICE pages through device_dax, the rest trimmed or unused. */
function ramRegionAccount(k: Kernel, r: CxlRegion): { systemRam: number; devicePages: number; metadata: number; padding: number; trimmed: number; unusable: number } {
  const out = { systemRam: 0, devicePages: 0, metadata: 0, padding: 0, trimmed: 0, unusable: 0 };
  const dev = daxState(k).devices.find((d) => d.registered && d.region.parent.kind === "cxl_dax_region" && d.region.parent.path === daxRegionDevPath(r));
  if (!dev) return out;
  const size = devDaxSize(dev);
  if (dev.driver === "kmem") {
    const added = dev.ranges.reduce((a, x) => {
      const t = kmemRange(k, x);
      return a + (t ? t.end - t.start + 1 : 0);
    }, 0);
    out.systemRam = added;
    out.trimmed = size - added;
  } else if (dev.driver === "device_dax") {
    out.devicePages = size;
  }
  return out;
}
