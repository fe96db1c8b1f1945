/**
 * cxl-cli 76's list filters (cxl/filter.c): which bus, ports, endpoints,
 * memdevs, decoders and regions a `cxl list` filter names, and how a filter
 * on one kind of object narrows the others (a memdev filter keeps the ports
 * above the device and the decoders that route to it, a port filter keeps a
 * port's descendants unless -S asks for the port alone).
 *
 * A filter is a list of words, split at spaces when it has one and at commas
 * otherwise; a word names an object by its device name, its number ("2" or
 * "endpoint2"), its host, or a class ("root", "switch", "endpoint", "all").
 */
import { dspChain } from "../kernel/drivers/cxl-port.js";
import type { CxlDecoder, CxlDport, CxlMemdev, CxlPort, CxlState } from "../kernel/drivers/cxl-core.js";
import type { CxlRegion } from "../kernel/drivers/cxl-region.js";
import { cStrtoumax } from "./c-strto.js";
import { scanInt, scanPair } from "./tool-util.js";

/** struct cxl_filter_params: the filters and the kinds of object to list. */
export interface CxlListParams {
  memdev?: string;
  serial?: string;
  bus?: string;
  port?: string;
  endpoint?: string;
  decoder?: string;
  region?: string;
  memdevs: boolean;
  buses: boolean;
  ports: boolean;
  endpoints: boolean;
  decoders: boolean;
  regions: boolean;
  targets: boolean;
  idle: boolean;
  human: boolean;
  /** -S: a port filter names the port alone, not its descendants. */
  single: boolean;
  /** -I (or -vvv): each memdev's partition_info. */
  partition?: boolean;
}

/** which_sep() and strtok_r(): the words of a filter. */
export function filterWords(f: string): string[] {
  const sep = f.includes(" ") ? " " : f.includes(",") ? "," : " ";
  return f.split(sep).filter((w) => w !== "");
}

/** cxl_filter_has(): some word of the filter contains `needle`. */
export function filterHas(f: string | undefined, needle: string): boolean {
  return f !== undefined && filterWords(f).some((w) => w.includes(needle));
}

/** sscanf(w, "%d") or sscanf(w, "<prefix>%d"): the number a word gives, or null. */
function wordId(w: string, prefix: string): number | null {
  const plain = scanInt(w);
  if (plain) return plain.value;
  return w.startsWith(prefix) ? (scanInt(w, prefix.length)?.value ?? null) : null;
}

/** A filter keeps an object when it is absent or one of its words names the object. */
function named(f: string | undefined, test: (w: string) => boolean): boolean {
  return f === undefined || filterWords(f).some((w) => w === "all" || test(w));
}

/** The one CXL bus the ACPI0017 device makes: root0, "ACPI.CXL". */
export function busMatches(st: CxlState, f: string | undefined): boolean {
  const root = st.root!;
  return named(f, (w) => wordId(w, "root") === root.id || w === root.name || w === "ACPI.CXL");
}

/** __util_cxl_port_filter(): the port itself. */
function portNamed(p: CxlPort, f: string | undefined): boolean {
  return named(f, (w) => w === p.kind || wordId(w, "port") === p.id || w === p.name || w === p.host);
}

/** util_cxl_port_filter(): the port, or (without -S) one of its ancestors. */
export function portMatches(p: CxlPort, f: string | undefined, single: boolean): boolean {
  for (let it: CxlPort | null = p; it; it = it.parent) {
    if (portNamed(it, f)) return true;
    if (single) return false;
  }
  return false;
}

export function endpointMatches(ep: CxlPort, f: string | undefined): boolean {
  return named(f, (w) => wordId(w, "endpoint") === ep.id || w === ep.name || w === ep.host);
}

/** util_cxl_memdev_serial_filter(): strtoull(word, 0) must read the whole word. */
function serialMatches(m: CxlMemdev, f: string | undefined): boolean {
  if (f === undefined) return true;
  return filterWords(f).some((w) => {
    const r = cStrtoumax(w, 0);
    return r.end === w.length && r.value === BigInt(m.dev.serial);
  });
}

/** util_cxl_memdev_filter(): by name, number or PCI device, then by serial. */
export function memdevMatches(m: CxlMemdev, f: string | undefined, serials: string | undefined): boolean {
  return named(f, (w) => wordId(w, "mem") === m.id || w === m.name || w === m.dev.bdf) && serialMatches(m, serials);
}

export function decoderMatches(d: CxlDecoder, f: string | undefined): boolean {
  return named(f, (w) => {
    if (w === d.port.kind) return true;
    const pair = scanPair(w) ?? (w.startsWith("decoder") ? scanPair(w.slice(7)) : null);
    return (pair !== null && pair[0] === d.port.id && pair[1] === d.id) || w === d.name;
  });
}

export function regionMatches(r: CxlRegion, f: string | undefined): boolean {
  return named(f, (w) => wordId(w, "region") === r.id || w === r.name);
}

/** cxl_dport_maps_memdev() / cxl_target_maps_memdev(): the device sits below this downstream port. */
export function dportMapsMemdev(st: CxlState, port: CxlPort, d: CxlDport, m: CxlMemdev): boolean {
  const rp = st.platform.rootPorts[m.dev.rp];
  if (port.kind === "root") return d.id === st.platform.hostBridges[rp.hb].uid;
  // A CXL switch's port: the downstream port the device sits on.
  if (port.sw !== undefined) return dspChain(st, m).some((i) => st.platform.downstreamPorts[i].sw === port.sw && st.platform.downstreamPorts[i].bdf === d.name);
  return port.kind === "switch" && port.hb === rp.hb && d.name === rp.bdf;
}

/** The memdevs a memdev filter (-m, -s) keeps; all of them without one. */
export function filteredMemdevs(st: CxlState, p: CxlListParams): CxlMemdev[] {
  return st.memdevs.filter((m) => memdevMatches(m, p.memdev, p.serial));
}

const noMemdevFilter = (p: CxlListParams) => p.memdev === undefined && p.serial === undefined;

/** cxl_port_hosts_memdev(): the port is the device's endpoint or above it. */
function portHostsMemdev(port: CxlPort, m: CxlMemdev): boolean {
  for (let it = m.endpoint; it; it = it.parent) if (it === port) return true;
  return false;
}

export function busByMemdev(st: CxlState, p: CxlListParams): boolean {
  return noMemdevFilter(p) || filteredMemdevs(st, p).some((m) => m.endpoint !== null);
}

export function portByMemdev(st: CxlState, port: CxlPort, p: CxlListParams): boolean {
  return noMemdevFilter(p) || filteredMemdevs(st, p).some((m) => portHostsMemdev(port, m));
}

export function endpointByMemdev(st: CxlState, ep: CxlPort, p: CxlListParams): boolean {
  return noMemdevFilter(p) || filteredMemdevs(st, p).some((m) => m.endpoint === ep);
}

/** util_cxl_port_filter_by_bus(): every port is on the one bus. */
export function portByBus(st: CxlState, f: string | undefined): boolean {
  return busMatches(st, f);
}

/** util_cxl_endpoint_filter_by_port(): the endpoint's own port alone, or its parent with its ancestors. */
export function endpointByPort(ep: CxlPort, f: string | undefined, single: boolean): boolean {
  if (portMatches(ep, f, true)) return true;
  return ep.parent !== null && portMatches(ep.parent, f, single);
}

/** util_cxl_decoder_filter_by_memdev(): a target routes to the device, or it is the device's endpoint decoder. */
export function decoderByMemdev(st: CxlState, d: CxlDecoder, p: CxlListParams): boolean {
  if (noMemdevFilter(p)) return true;
  return filteredMemdevs(st, p).some((m) => d.targets.some((t) => dportMapsMemdev(st, d.port, t, m)) || (d.port.kind === "endpoint" && d.port.memdev === m));
}

/** util_cxl_decoder_filter_by_region(): only decoders taking part in a region the filter names (root decoders never do). */
export function decoderByRegion(d: CxlDecoder, f: string | undefined): boolean {
  if (f === undefined) return true;
  return d.kind !== "root" && d.region !== null && regionMatches(d.region, f);
}

/** The switch ports below a port, depth first (cxl_port_foreach_all). */
function descendants(st: CxlState, top: CxlPort): CxlPort[] {
  const out: CxlPort[] = [];
  for (const c of st.ports.filter((x) => x.parent === top && x.kind !== "endpoint")) out.push(c, ...descendants(st, c));
  return out;
}

/**
 * util_cxl_memdev_filter_by_decoder(): a decoder the filter names has a
 * target leading to the device. Endpoint decoders have no targets, so they
 * never keep a memdev.
 */
export function memdevByDecoder(st: CxlState, m: CxlMemdev, f: string | undefined): boolean {
  if (f === undefined) return true;
  const ports = [st.root!, ...descendants(st, st.root!)];
  return ports.some((port) => port.decoders.some((d) => decoderMatches(d, f) && d.targets.some((t) => dportMapsMemdev(st, port, t, m))));
}

/**
 * util_cxl_memdev_filter_by_port(): a port the filter names (alone) has a
 * downstream port leading to the device. The bus's own root port is tried
 * first under the bus filter, which without a bus filter keeps every memdev
 * on the bus whatever the port filter says (cxl-cli 76 does so).
 */
export function memdevByPort(st: CxlState, m: CxlMemdev, bus: string | undefined, port: string | undefined): boolean {
  if (bus === undefined && port === undefined) return true;
  const root = st.root!;
  const below = (p: CxlPort, f: string | undefined) => portMatches(p, f, true) && p.dports.some((d) => dportMapsMemdev(st, p, d, m));
  if (busMatches(st, bus) && below(root, root.name)) return true;
  return [root, ...descendants(st, root)].some((p) => below(p, port));
}
