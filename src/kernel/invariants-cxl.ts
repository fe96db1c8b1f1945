/**
 * Invariants of the CXL objects (drivers/cxl): regions inside their window
 * and disjoint, targets consistent with their endpoint decoders and DPA,
 * committed regions fully assembled, decoders owned by one region at most,
 * a bound pmem region's nd region covering exactly the region's range.
 */
import type { Kernel } from "./kernel.js";
import { cxlState } from "./drivers/cxl-core.js";

export function checkCxl(k: Kernel): string[] {
  const st = cxlState(k);
  if (!st) return [];
  const out: string[] = [];
  const decoders = st.ports.flatMap((p) => p.decoders);
  for (const r of st.regions) {
    const win = st.windowRes.get(r.root.window!.index)!;
    if (r.res) {
      if (r.res.start < win.start || r.res.end > win.end) out.push(`${r.name} ${r.res.start.toString(16)}-${r.res.end.toString(16)} outside its window`);
      if (r.res.end - r.res.start + 1 !== r.size) out.push(`${r.name}: size ${r.size} but resource of ${r.res.end - r.res.start + 1}`);
      for (const o of st.regions) if (o !== r && o.res && o.res.start <= r.res.end && r.res.start <= o.res.end) out.push(`${r.name} overlaps ${o.name}`);
    }
    if (r.targets.length !== r.iw) out.push(`${r.name}: ${r.targets.length} target slots for ${r.iw} ways`);
    r.targets.forEach((t, i) => {
      if (!t) return;
      if (t.region !== r) out.push(`${r.name} target${i} ${t.name} belongs to ${t.region?.name ?? "no region"}`);
      if (t.mode !== r.mode) out.push(`${r.name} target${i} ${t.name} in mode ${t.mode}`);
      if (t.dpaSize * r.iw !== r.size) out.push(`${r.name} target${i} ${t.name}: DPA ${t.dpaSize} x ${r.iw} != ${r.size}`);
    });
    if (r.state === "commit" && r.targets.some((t) => !t)) out.push(`${r.name} committed with a missing target`);
    if (r.driver && r.state !== "commit") out.push(`${r.name} bound but not committed`);
    const nd = r.pmem?.nd;
    if (nd && r.res && (nd.start !== r.res.start || nd.size !== r.size)) out.push(`${r.name}: nd ${nd.name} does not cover it`);
    if (!r.driver && r.pmem) out.push(`${r.name} unbound but ${r.pmem.name} remains`);
  }
  for (const d of decoders) {
    if (d.region && !st.regions.includes(d.region)) out.push(`${d.name} points to a deleted region`);
    if (d.kind === "endpoint" && d.region && !d.region.targets.includes(d)) out.push(`${d.name} claims ${d.region.name}, which does not list it`);
    if (d.kind === "endpoint" && d.dpaSize) {
      const dev = d.port.memdev!.dev;
      if (d.dpaStart < 0 || d.dpaStart + d.dpaSize > dev.size) out.push(`${d.name}: DPA beyond the device`);
      for (const o of d.port.decoders) if (o !== d && o.dpaSize && o.dpaStart < d.dpaStart + d.dpaSize && d.dpaStart < o.dpaStart + o.dpaSize) out.push(`${d.name} DPA overlaps ${o.name}`);
    }
  }
  return out;
}
