/**
 * cxl-cli 76 `cxl list` JSON (cxl/list.c, cxl/json.c): buses with their
 * dports, ports, endpoints (with their memdev), decoders and regions,
 * nested as `ports:root0`, `endpoints:port1`, `decoders:X`, `regions:X`.
 */
import type { Kernel } from "../kernel/kernel.js";
import type { CxlDecoder, CxlPort, CxlState } from "../kernel/drivers/cxl-core.js";
import type { CxlRegion } from "../kernel/drivers/cxl-region.js";

/**
 * Largest free extent of a root decoder (libcxl's max_available_extent): the
 * gaps between its configured regions (a size and a committed decode state;
 * regions still being assembled do not count), in start order.
 */
export function maxAvailableExtent(st: CxlState, d: CxlDecoder): number {
  const regions = st.regions.filter((r) => r.root === d && r.res && r.size > 0 && r.state === "commit").sort((a, b) => a.res!.start - b.res!.start);
  let best = 0;
  let at = d.start;
  for (const r of regions) {
    best = Math.max(best, r.res!.start - at);
    at = r.res!.start + r.size;
  }
  return Math.max(best, d.start + d.size - at);
}

export function regionJson(r: CxlRegion, opts: { mappings: boolean }): Record<string, unknown> {
  const j: Record<string, unknown> = { region: r.name, resource: r.res ? r.res.start : 0, size: r.res ? r.size : 0 };
  j.interleave_ways = r.iw;
  j.interleave_granularity = r.ig;
  j.decode_state = r.state === "commit" ? "commit" : "reset";
  if (!r.driver) j.state = "disabled";
  if (opts.mappings) {
    // cxl-cli lists a region's mappings last position first.
    const maps = r.targets.map((t, i) => (t ? { position: i, memdev: t.port.memdev!.name, decoder: t.name } : null)).filter((x) => x).reverse();
    if (r.iw > 0) j.mappings = maps;
  }
  return j;
}

function decoderJson(st: CxlState, d: CxlDecoder, verbose: number): Record<string, unknown> {
  const j: Record<string, unknown> = { decoder: d.name };
  if (d.size) {
    j.resource = d.start;
    j.size = d.size;
  }
  j.interleave_ways = d.iw;
  if (d.iw > 1) j.interleave_granularity = d.ig;
  if (d.kind === "root") {
    j.max_available_extent = maxAvailableExtent(st, d);
    j.pmem_capable = true;
    j.volatile_capable = true;
    j.accelmem_capable = true;
  }
  if (d.region) j.region = d.region.name;
  if (!d.size) j.state = "disabled";
  if (d.kind === "endpoint") {
    if (d.dpaSize) {
      j.dpa_resource = d.dpaStart;
      j.dpa_size = d.dpaSize;
    }
    if (d.mode !== "none") j.mode = d.mode;
  } else if (verbose > 0) {
    j.nr_targets = d.targets.length;
    // Listed last position first, like a region's mappings.
    j.targets = d.targets.map((t, i) => (t.alias ? { target: t.name, alias: t.alias, position: i, id: t.id } : { target: t.name, position: i, id: t.id })).reverse();
  }
  if (d.kind === "root") {
    const regs = st.regions.filter((r) => r.root === d);
    if (regs.length) j[`regions:${d.name}`] = regs.map((r) => regionJson(r, { mappings: true }));
  }
  return j;
}

function dportsJson(p: CxlPort): unknown[] {
  return p.dports.map((d) => (d.alias ? { dport: d.name, alias: d.alias, id: d.id } : { dport: d.name, id: d.id }));
}

function portJson(st: CxlState, p: CxlPort, verbose: number): Record<string, unknown> {
  if (p.kind === "endpoint") {
    const m = p.memdev!;
    const memdev: Record<string, unknown> = { memdev: m.name };
    if (m.dev.volatile) memdev.ram_size = m.dev.size;
    else memdev.pmem_size = m.dev.size;
    memdev.serial = m.dev.serial;
    memdev.host = m.dev.bdf;
    return { endpoint: p.name, host: p.host, depth: p.depth, memdev, [`decoders:${p.name}`]: p.decoders.map((d) => decoderJson(st, d, verbose)) };
  }
  const j: Record<string, unknown> = { port: p.name, host: p.host, depth: p.depth, nr_dports: p.dports.length, dports: dportsJson(p) };
  const eps = st.ports.filter((x) => x.parent === p && x.kind === "endpoint");
  if (eps.length) j[`endpoints:${p.name}`] = eps.map((e) => portJson(st, e, verbose));
  j[`decoders:${p.name}`] = p.decoders.map((d) => decoderJson(st, d, verbose));
  return j;
}

/** `cxl list -vvi` (the oracle's snapshot): the bus tree. */
export function cxlListJson(_k: Kernel, st: CxlState, verbose = 2): unknown {
  const root = st.root;
  if (!root) return [];
  const bus: Record<string, unknown> = { bus: root.name, provider: "ACPI.CXL", nr_dports: root.dports.length, dports: dportsJson(root) };
  const ports = st.ports.filter((p) => p.parent === root);
  if (ports.length) bus[`ports:${root.name}`] = ports.map((p) => portJson(st, p, verbose));
  bus[`decoders:${root.name}`] = root.decoders.map((d) => decoderJson(st, d, verbose));
  return [bus];
}

/** libcxl's complaints while it loads the regions (stderr): each interleave position without a target. */
export function cxlListStderr(st: CxlState): string[] {
  const out: string[] = [];
  for (const r of st.regions) r.targets.forEach((t, i) => {
    if (!t) out.push(`libcxl: cxl_mappings_init: ${r.name} target${i}:  lookup failure`);
  });
  return out;
}

/** json-c's JSON_C_TO_STRING_PRETTY output (two-space indent, no space after the colon), as lines. */
export function jsoncPretty(v: unknown, indent = 0): string {
  const pad = (n: number) => " ".repeat(n);
  if (Array.isArray(v)) {
    if (v.length === 0) return `[\n${pad(indent)}]`;
    return `[\n${v.map((x) => pad(indent + 2) + jsoncPretty(x, indent + 2)).join(",\n")}\n${pad(indent)}]`;
  }
  if (v && typeof v === "object") {
    const e = Object.entries(v);
    if (e.length === 0) return "{\n" + pad(indent) + "}";
    return `{\n${e.map(([k, x]) => `${pad(indent + 2)}${JSON.stringify(k)}:${jsoncPretty(x, indent + 2)}`).join(",\n")}\n${pad(indent)}}`;
  }
  return JSON.stringify(v);
}
