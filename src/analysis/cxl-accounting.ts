/**
 * Where the bytes of each CXL memory device go: the share of each region it
 * is in (a pmem region through its nd region: namespaces, metadata, devdax,
 * kmem; a ram region through dax_cxl and kmem), and the capacity no region
 * maps. The categories add up to the device's size; an interleaved region
 * is split evenly between its devices.
 */
import type { System } from "../machine/system.js";
import { cxlState } from "../kernel/drivers/cxl-core.js";
import type { RegionAccount } from "./accounting.js";
import type { DeviceAccount } from "./device-accounting.js";

export function cxlAccounting(sys: System, ndAccounts: RegionAccount[]): DeviceAccount[] {
  const st = cxlState(sys.kernel);
  if (!st) return [];
  const out: DeviceAccount[] = [];
  for (const m of st.memdevs) {
    const a: DeviceAccount = { device: m.dev.id, kind: "cxl-memdev", start: 0, size: m.dev.size, notes: [], systemRam: 0, devicePages: 0, metadata: 0, padding: 0, trimmed: 0, unusable: 0, notPlugged: 0 };
    let mapped = 0;
    for (const d of m.endpoint?.decoders ?? []) {
      if (!d.region || !d.dpaSize) continue;
      const r = d.region;
      mapped += d.dpaSize;
      const nd = r.pmem?.nd ? ndAccounts.find((x) => x.region === r.pmem!.nd!.name && x.start === r.pmem!.nd!.start) : undefined;
      const ext = r.extra?.(sys.kernel);
      const src = nd ?? ext;
      if (!src) {
        a.unusable += d.dpaSize;
        a.notes.push(`${r.name}: ${r.driver ? "bound, not mapped as memory" : "not enabled"}`);
        continue;
      }
      const part = (x: number) => Math.floor(x / r.iw);
      const keys = ["systemRam", "devicePages", "metadata", "padding", "trimmed"] as const;
      let used = 0;
      for (const key of keys) {
        const v = part(src[key]);
        a[key] += v;
        used += v;
      }
      a.unusable += d.dpaSize - used;
      a.notes.push(`${r.name} (${r.mode}${r.iw > 1 ? `, 1/${r.iw} of a ${r.iw}-way interleave` : ""})`);
      if (src.trimmed) a.notes.push("kmem onlines whole memory blocks only: the rest of the region is trimmed");
    }
    if (m.dev.size > mapped) {
      // Capacity no region maps yet: there for the asking (cxl create-region), like virtio-mem's unplugged part.
      a.notPlugged += m.dev.size - mapped;
      a.notes.push(`${m.dev.size - mapped} bytes in no region (cxl create-region maps capacity)`);
    }
    out.push(a);
  }
  return out;
}

/** nd regions made for CXL pmem regions (accounted under their memdevs, not as nvdimm regions). */
export function cxlNdRegionNames(sys: System): Set<string> {
  const st = cxlState(sys.kernel);
  return new Set(st ? [...st.ndRegions.values()].map((r) => r.name) : []);
}
