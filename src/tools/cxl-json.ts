/**
 * The JSON cxl-cli 76 prints for each CXL object (cxl/json.c): memdevs,
 * the bus, ports and endpoints with their dports, decoders with their
 * targets, regions with their mappings. Sizes and hex values follow -u
 * (tool-util.ts); dports, targets and mappings appear only with -T (or -v),
 * a memdev's partition_info with -I (or -vvv).
 */
import type { CxlDecoder, CxlMemdev, CxlPort, CxlState } from "../kernel/drivers/cxl-core.js";
import type { CxlRegion } from "../kernel/drivers/cxl-region.js";
import { readdirOrder } from "../kernel/kernfs.js";
import { dportMapsMemdev } from "./cxl-filter.js";
import { jsonHex, jsonSize } from "./tool-util.js";

export type Json = Record<string, unknown>;

/** util_json_flags as cxl list sets them. */
export interface CxlJsonFlags {
  human: boolean;
  targets: boolean;
  /** -I: the memdev's partition_info. */
  partition?: boolean;
}

/** The memdevs a filter keeps, for the dports and targets a listing shows (null: no filter). */
export type MemdevScope = CxlMemdev[] | null;

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

export function memdevJson(st: CxlState, m: CxlMemdev, f: CxlJsonFlags): Json {
  const j: Json = { memdev: m.name };
  if (m.dev.volatile) j.ram_size = jsonSize(m.dev.size, f);
  else j.pmem_size = jsonSize(m.dev.size, f);
  j.serial = jsonHex(m.dev.serial, f);
  // The memdev's numa_node is its PCI device's: the host bridge's _PXM node, if it has one
  // (test/oracle/cxl/cxl-probe88-two-hb-numa: "numa_node": 1 under the bridge on node 1).
  const node = st.platform.hostBridges[st.platform.rootPorts[m.dev.rp].hb].node;
  if (node !== undefined) j.numa_node = node;
  j.host = m.dev.bdf;
  if (!m.endpoint) j.state = "disabled";
  // -H (health) and -A (alert_config) would come before the serial; QEMU's cxl-type3 answered neither mailbox
  // command in any recording (QEMU 7.2 and 10.0: test/oracle/cxl/cxl-probe95-list-mailbox-*), and libcxl leaves
  // an object out when its command fails.
  if (f.partition) j.partition_info = partitionJson(m, f);
  return j;
}

/**
 * util_cxl_memdev_partition_to_json(): IDENTIFY's capacities. QEMU's
 * cxl-type3 reports its volatile and persistent backends as volatile-only
 * and persistent-only capacity and a partition alignment of 0, so libcxl
 * stops there (no GET_PARTITION_INFO fields).
 */
function partitionJson(m: CxlMemdev, f: CxlJsonFlags): Json {
  const ram = m.dev.volatile ? m.dev.size : 0;
  const pmem = m.dev.volatile ? 0 : m.dev.size;
  return { total_size: jsonSize(ram + pmem, f), volatile_only_size: jsonSize(ram, f), persistent_only_size: jsonSize(pmem, f), partition_alignment_size: jsonSize(0, f) };
}

/** util_cxl_bus_to_json() and util_cxl_port_to_json(): the name under `key`, host and depth. */
export function busJson(st: CxlState): Json {
  return { bus: st.root!.name, provider: "ACPI.CXL" };
}

export function portJson(p: CxlPort, key: "port" | "endpoint"): Json {
  return { [key]: p.name, host: p.host, depth: p.depth };
}

/** util_cxl_dports_append_json(): with -T, the port's downstream ports (those leading to a kept memdev). */
export function appendDports(st: CxlState, j: Json, p: CxlPort, scope: MemdevScope, f: CxlJsonFlags): void {
  if (!p.dports.length || !f.targets) return;
  j.nr_dports = p.dports.length;
  // libcxl reads the port's dportN links and adds each at the head of its list.
  j.dports = readdirOrder(p.dports.map((d) => `dport${d.id}`))
    .reverse()
    .map((n) => p.dports.find((d) => `dport${d.id}` === n)!)
    .filter((d) => !scope || scope.some((m) => dportMapsMemdev(st, p, d, m)))
    .map((d) => (d.alias ? { dport: d.name, alias: d.alias, id: jsonHex(d.id, f) } : { dport: d.name, id: jsonHex(d.id, f) }));
}

export function decoderJson(st: CxlState, d: CxlDecoder, f: CxlJsonFlags): Json {
  const j: Json = { decoder: d.name };
  if (d.size) {
    j.resource = jsonHex(d.start, f);
    j.size = jsonSize(d.size, f);
  }
  j.interleave_ways = d.iw;
  if (d.iw > 1) j.interleave_granularity = d.ig;
  if (d.kind !== "root" && d.region) j.region = d.region.name;
  if (!d.size) j.state = "disabled";
  if (d.kind === "endpoint") {
    if (d.dpaSize) {
      j.dpa_resource = jsonHex(d.dpaStart, f);
      j.dpa_size = jsonSize(d.dpaSize, f);
    }
    if (d.mode !== "none") j.mode = d.mode;
  }
  if (d.kind === "root") {
    j.max_available_extent = jsonSize(maxAvailableExtent(st, d), f);
    j.pmem_capable = true;
    j.volatile_capable = true;
    j.accelmem_capable = true;
  }
  return j;
}

/** util_cxl_targets_append_json(): a switch or root decoder's target count and, with -T, its targets (last position first). */
export function appendTargets(st: CxlState, j: Json, d: CxlDecoder, scope: MemdevScope, f: CxlJsonFlags): void {
  if (d.kind === "endpoint") return;
  j.nr_targets = d.targets.length;
  if (!f.targets || !d.targets.length) return;
  j.targets = d.targets
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => !scope || scope.some((m) => dportMapsMemdev(st, d.port, t, m)))
    .map(({ t, i }) => (t.alias ? { target: t.name, alias: t.alias, position: i, id: jsonHex(t.id, f) } : { target: t.name, position: i, id: jsonHex(t.id, f) }))
    .reverse();
}

/**
 * util_cxl_region_to_json(): with -T its mappings, last position first (libcxl
 * adds each at the head of the list). `lookupFailed` hears of each interleave
 * position whose target libcxl cannot find, when it first reads them.
 */
export function regionJson(r: CxlRegion, f: CxlJsonFlags, lookupFailed?: (r: CxlRegion, pos: number) => void): Json {
  // resource_show() gives -1 without an HPA range, and libcxl then keeps its start at 0.
  const j: Json = { region: r.name, resource: jsonHex(r.res ? r.res.start : 0, f), size: jsonSize(r.res ? r.size : 0, f) };
  j.interleave_ways = r.iw;
  j.interleave_granularity = r.ig;
  j.decode_state = r.state === "commit" ? "commit" : "reset";
  if (!r.driver) j.state = "disabled";
  if (r.iw > 0 && f.targets) {
    const maps: Json[] = [];
    r.targets.forEach((t, i) => {
      if (t) maps.push({ position: i, memdev: t.port.memdev!.name, decoder: t.name });
      else lookupFailed?.(r, i);
    });
    j.mappings = maps.reverse();
  }
  return j;
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
