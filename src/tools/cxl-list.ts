/**
 * `cxl list` of cxl-cli 76 (cxl/list.c, cxl_filter_walk() of cxl/filter.c):
 * its options, and the walk from the bus down through ports, endpoints and
 * decoders that puts each listed object either inside its listed parent
 * ("ports:root0", "decoders:endpoint2", "regions:decoder0.0") or, when the
 * parent is not listed, in a top-level array of its kind. One non-empty kind
 * prints flat (`cxl list -M` is `[{"memdev":...}]`); several print as
 * containers ({"memdevs":[...]}, {"root decoders":[...]}, ...).
 */
import type { CxlDecoder, CxlPort, CxlState } from "../kernel/drivers/cxl-core.js";
import type { CxlRegion } from "../kernel/drivers/cxl-region.js";
import * as F from "./cxl-filter.js";
import type { CxlListParams } from "./cxl-filter.js";
import { appendDports, appendTargets, busJson, type CxlJsonFlags, decoderJson, type Json, memdevJson, type MemdevScope, portJson, regionJson } from "./cxl-json.js";
import { readdirOrder } from "../kernel/kernfs.js";
import { displayJsonArray, type OptionTable, type OptSpec, parseFailureText, parseOptions, Stderr, usageWithOptions } from "./tool-util.js";

type List = Json[];

/** One run of the walk: the state, what was asked, and what libcxl said on stderr while reading. */
class Walk {
  readonly flags: CxlJsonFlags;
  readonly scope: MemdevScope;
  readonly stderr: string[] = [];
  private readonly mapped = new Set<CxlRegion>();
  constructor(
    readonly st: CxlState,
    readonly p: CxlListParams,
  ) {
    this.flags = { human: p.human, targets: p.targets, partition: p.partition === true };
    this.scope = p.memdev === undefined && p.serial === undefined ? null : F.filteredMemdevs(st, p);
  }
  /** A region's mappings are read once; each position without a target is a libcxl error then. */
  region(r: CxlRegion): Json {
    const first = !this.mapped.has(r);
    this.mapped.add(r);
    return regionJson(r, this.flags, (x, i) => {
      if (first) this.stderr.push(`libcxl: cxl_mappings_init: ${x.name} target${i}:  lookup failure`);
    });
  }
  get single(): boolean {
    return this.p.single;
  }
}

/**
 * libcxl's lists: objects it finds by readdir() (kernfs order) and adds at the
 * head of a list (child ports, endpoints, memdevs, dports) come out in the
 * reverse of that order; regions sorted by start address (0 without one).
 */
export function libcxlOrder<T>(items: T[], name: (x: T) => string): T[] {
  const byName = new Map(items.map((x) => [name(x), x]));
  return readdirOrder([...byName.keys()]).reverse().map((n) => byName.get(n)!);
}

const childPorts = (st: CxlState, p: CxlPort) => libcxlOrder(st.ports.filter((x) => x.parent === p && x.kind !== "endpoint"), (x) => x.name);
const endpointsOf = (st: CxlState, p: CxlPort) => libcxlOrder(st.ports.filter((x) => x.parent === p && x.kind === "endpoint"), (x) => x.name);

/** add_cxl_region(): in readdir order, each inserted before the first region starting at or after it. */
function regionsOf(st: CxlState, d: CxlDecoder): CxlRegion[] {
  const start = (r: CxlRegion) => (r.res ? r.res.start : 0);
  const out: CxlRegion[] = [];
  for (const r of readdirOrder(st.regions.filter((x) => x.root === d).map((x) => x.name)).map((n) => st.regions.find((x) => x.name === n)!)) {
    const at = out.findIndex((x) => start(r) <= start(x));
    out.splice(at < 0 ? out.length : at, 0, r);
  }
  return out;
}

/** cond_add_put_array_suffix(): a non-empty child array under "<key>:<parent>". */
function addChildren(parent: Json | null, key: string, name: string, list: List | null): void {
  if (parent && list && list.length) parent[`${key}:${name}`] = list;
}

function walkRegions(w: Walk, d: CxlDecoder, out: List): void {
  const { st, p } = w;
  for (const r of regionsOf(st, d)) {
    if (!F.regionMatches(r, p.region) || !F.portByBus(st, p.bus) || !F.portMatches(d.port, p.port, false) || !F.decoderMatches(d, p.decoder)) continue;
    if (!p.idle && !r.driver) continue;
    out.push(w.region(r));
  }
}

function walkDecoders(w: Walk, port: CxlPort, out: List, regionsOut: List | null): void {
  const { st, p } = w;
  for (const d of port.decoders) {
    let jd: Json | null = null;
    let childRegions: List | null = null;
    if (p.decoders && F.decoderMatches(d, p.decoder) && F.portByBus(st, p.bus) && F.portMatches(port, p.port, w.single) && F.decoderByMemdev(st, d, p) && F.decoderByRegion(d, p.region)) {
      // A disabled decoder is skipped without -i, and so are its regions.
      if (!p.idle && d.size === 0) continue;
      jd = decoderJson(st, d, w.flags);
      appendTargets(st, jd, d, w.scope, w.flags);
      if (p.regions) childRegions = [];
      out.push(jd);
    }
    if (!p.regions || port.kind !== "root") continue;
    const into = childRegions ?? regionsOut;
    if (into) walkRegions(w, d, into);
    addChildren(jd, "regions", d.name, childRegions);
  }
}

function walkEndpoints(w: Walk, port: CxlPort, eps: List, devs: List, decoders: List): void {
  const { st, p } = w;
  for (const ep of endpointsOf(st, port)) {
    if (!F.endpointMatches(ep, p.endpoint) || !F.portByBus(st, p.bus) || !F.endpointByPort(ep, p.port, w.single) || !F.endpointByMemdev(st, ep, p)) continue;
    let jep: Json | null = null;
    if (p.endpoints) {
      jep = portJson(ep, "endpoint");
      eps.push(jep);
    }
    if (p.memdevs) {
      const m = ep.memdev;
      if (!m || !F.memdevMatches(m, p.memdev, p.serial) || !F.memdevByDecoder(st, m, p.decoder) || !F.memdevByPort(st, m, p.bus, p.port)) continue;
      const jm = memdevJson(st, m, w.flags);
      if (jep) jep.memdev = jm;
      else devs.push(jm);
    }
    if (!p.decoders) continue;
    const childDecoders = p.endpoints ? [] : null;
    walkDecoders(w, ep, childDecoders ?? decoders, null);
    addChildren(jep, "decoders", ep.name, childDecoders);
  }
}

interface Lists {
  ports: List;
  portDecoders: List;
  eps: List;
  epDecoders: List;
  devs: List;
}

function walkChildPorts(w: Walk, parent: CxlPort, to: Lists): void {
  const { st, p } = w;
  for (const port of childPorts(st, parent)) {
    if (!F.portByMemdev(st, port, p)) continue;
    let jport: Json | null = null;
    let kids: Partial<Lists> = {};
    if (F.portMatches(port, p.port, w.single) && F.portByBus(st, p.bus) && p.ports) {
      jport = portJson(port, "port");
      appendDports(st, jport, port, w.scope, w.flags);
      to.ports.push(jport);
      kids = { ports: [], devs: p.memdevs ? [] : undefined, eps: p.endpoints ? [] : undefined, portDecoders: p.decoders ? [] : undefined };
    }
    const decs = kids.portDecoders;
    const mine: Lists = { ports: kids.ports ?? to.ports, portDecoders: decs ?? to.portDecoders, eps: kids.eps ?? to.eps, epDecoders: decs ?? to.epDecoders, devs: kids.devs ?? to.devs };
    if (p.endpoints || p.memdevs || p.decoders) walkEndpoints(w, port, mine.eps, mine.devs, mine.epDecoders);
    walkDecoders(w, port, mine.portDecoders, null);
    walkChildPorts(w, port, mine);
    addChildren(jport, "ports", port.name, kids.ports ?? null);
    addChildren(jport, "endpoints", port.name, kids.eps ?? null);
    addChildren(jport, "decoders", port.name, decs ?? null);
    addChildren(jport, "memdevs", port.name, kids.devs ?? null);
  }
}

/** cxl_filter_walk(): the listing, and libcxl's stderr lines while it read the regions. */
export function cxlFilterWalk(st: CxlState, p: CxlListParams): { list: unknown[]; stderr: string[] } {
  const w = new Walk(st, p);
  const anon: List = [];
  const buses: List = [];
  const busDecoders: List = [];
  const regions: List = [];
  const top: Lists = { ports: [], portDecoders: [], eps: [], epDecoders: [], devs: [] };
  for (const m of libcxlOrder(st.memdevs, (x) => x.name)) if (F.memdevMatches(m, p.memdev, p.serial) && !m.endpoint && p.idle && p.memdevs) anon.push(memdevJson(st, m, w.flags));
  const root = st.root;
  if (root && F.busByMemdev(st, p)) {
    let jbus: Json | null = null;
    let kids: Partial<Lists> & { regions?: List } = {};
    if (F.busMatches(st, p.bus) && F.portMatches(root, p.port, w.single) && p.buses) {
      jbus = busJson(st);
      appendDports(st, jbus, root, w.scope, w.flags);
      buses.push(jbus);
      kids = { ports: p.ports ? [] : undefined, eps: p.endpoints ? [] : undefined, devs: p.memdevs ? [] : undefined, portDecoders: p.decoders ? [] : undefined, regions: p.regions ? [] : undefined };
    }
    const decs = kids.portDecoders;
    walkDecoders(w, root, decs ?? busDecoders, kids.regions ?? regions);
    if (p.endpoints || p.memdevs || p.decoders) walkEndpoints(w, root, kids.eps ?? top.eps, kids.devs ?? top.devs, decs ?? top.epDecoders);
    walkChildPorts(w, root, { ports: kids.ports ?? top.ports, portDecoders: decs ?? top.portDecoders, eps: kids.eps ?? top.eps, epDecoders: decs ?? top.epDecoders, devs: kids.devs ?? top.devs });
    addChildren(jbus, "ports", root.name, kids.ports ?? null);
    addChildren(jbus, "endpoints", root.name, kids.eps ?? null);
    addChildren(jbus, "decoders", root.name, decs ?? null);
    addChildren(jbus, "regions", root.name, kids.regions ?? null);
    addChildren(jbus, "memdevs", root.name, kids.devs ?? null);
  }
  const kinds: [string, List][] = [
    ["anon memdevs", anon],
    ["buses", buses],
    ["ports", top.ports],
    ["endpoints", top.eps],
    ["memdevs", top.devs],
    ["root decoders", busDecoders],
    ["port decoders", top.portDecoders],
    ["endpoint decoders", top.epDecoders],
    ["regions", regions],
  ];
  const present = kinds.filter(([, l]) => l.length);
  const list = present.length > 1 ? present.map(([name, l]) => ({ [name]: l })) : present.flatMap(([, l]) => l);
  return { list, stderr: w.stderr };
}

const OPTIONS: OptSpec[] = [
  { short: "m", long: "memdev", type: "string", key: "memdev", argh: "memory device name(s)", help: "filter by CXL memory device name(s)" },
  { short: "s", long: "serial", type: "string", key: "serial", argh: "memory device serial(s)", help: "filter by CXL memory device serial number(s)" },
  { short: "M", long: "memdevs", type: "bool", key: "memdevs", help: "include CXL memory device info" },
  { short: "b", long: "bus", type: "string", key: "bus", argh: "bus device name", help: "filter by CXL bus device name(s)" },
  { short: "B", long: "buses", type: "bool", key: "buses", help: "include CXL bus info" },
  { short: "p", long: "port", type: "string", key: "port", argh: "port device name", help: "filter by CXL port device name(s)" },
  { short: "P", long: "ports", type: "bool", key: "ports", help: "include CXL port info" },
  { short: "S", long: "single", type: "bool", key: "single", help: "skip listing descendant objects" },
  { short: "e", long: "endpoint", type: "string", key: "endpoint", argh: "endpoint device name", help: "filter by CXL endpoint device name(s)" },
  { short: "E", long: "endpoints", type: "bool", key: "endpoints", help: "include CXL endpoint info" },
  { short: "d", long: "decoder", type: "string", key: "decoder", argh: "decoder device name", help: "filter by CXL decoder device name(s) / class" },
  { short: "D", long: "decoders", type: "bool", key: "decoders", help: "include CXL decoder info" },
  { short: "T", long: "targets", type: "bool", key: "targets", help: "include CXL target data with decoders, ports, or regions" },
  { short: "r", long: "region", type: "string", key: "region", argh: "region name", help: "filter by CXL region name(s)" },
  { short: "R", long: "regions", type: "bool", key: "regions", help: "include CXL regions" },
  { short: "i", long: "idle", type: "bool", key: "idle", help: "include disabled devices" },
  { short: "u", long: "human", type: "bool", key: "human", help: "use human friendly number formats" },
  { short: "H", long: "health", type: "bool", key: "health", help: "include memory device health information" },
  { short: "I", long: "partition", type: "bool", key: "partition", help: "include memory device partition information" },
  { short: "A", long: "alert-config", type: "bool", key: "alertConfig", help: "include alert configuration information" },
  { short: "v", long: "verbose", type: "incr", key: "verbose", help: "increase output detail" },
  // Debian builds cxl-cli with ENABLE_DEBUG.
  { long: "debug", type: "bool", key: "debug", help: "debug list walk" },
];

const TABLE: OptionTable = { usage: "cxl list [<options>]", options: OPTIONS };
const USAGE = usageWithOptions(TABLE.usage, OPTIONS);

/** What `cxl list` printed: exit status, JSON (absent when nothing printed) and stderr; or what memhp cannot model. */
export type CxlListOutcome = { rc: number; json?: unknown; stderr: string[] } | { unsupported: string };

/**
 * cmd_list(): options to listing parameters (a filter alone lists its own
 * kind, nothing at all lists memdevs and regions, -v adds the tree, -vv
 * idle objects), the walk, and util_display_json_array().
 */
export function cxlList(st: CxlState, argv: string[]): CxlListOutcome {
  const err = new Stderr();
  const po = parseOptions(argv, OPTIONS, { builtins: true });
  if ("error" in po) {
    if (po.kind === "list") return { unsupported: `cxl list ${po.what} (option names on stdout for shell completion) is not modelled` };
    err.write(parseFailureText(po, TABLE));
    return { rc: 129, stderr: err.lines() };
  }
  if (po.args.length) {
    for (const a of po.args) err.error(`unknown parameter "${a}"\n`);
    err.write(USAGE);
    return { rc: 129, stderr: err.lines() };
  }
  const o = po.opts;
  const s = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  const b = (k: string) => o[k] === true;
  const p: CxlListParams = {
    memdev: s("memdev"), serial: s("serial"), bus: s("bus"), port: s("port"), endpoint: s("endpoint"), decoder: s("decoder"), region: s("region"),
    memdevs: b("memdevs"), buses: b("buses"), ports: b("ports"), endpoints: b("endpoints"), decoders: b("decoders"), regions: b("regions"),
    targets: b("targets"), idle: b("idle"), human: b("human"), single: b("single"),
  };
  if (p.single && p.port === undefined) {
    err.error("-S/--single expects a port filter: -p/--port=\n");
    err.write(USAGE);
    return { rc: 129, stderr: err.lines() };
  }
  const kinds = () => [p.memdevs, p.buses, p.ports, p.endpoints, p.decoders, p.regions].filter(Boolean).length;
  if (kinds() === 0) {
    // A filter alone lists the objects it filters, each by itself (-S).
    if (p.memdev !== undefined || p.serial !== undefined) p.memdevs = true;
    if (p.bus !== undefined) p.buses = true;
    if (p.port !== undefined) p.ports = true;
    if (p.endpoint !== undefined) p.endpoints = true;
    if (p.decoder !== undefined) p.decoders = true;
    p.single = true;
    if (p.region !== undefined) p.regions = true;
  }
  if (kinds() === 0) p.regions = p.memdevs = true;
  const verbose = typeof o.verbose === "number" ? o.verbose : 0;
  // -H and -A ask the device's mailbox for health and alert configuration; no recorded device answered, so they
  // add nothing (memdevJson()). -I lists the partition info IDENTIFY gives; -vvv asks for all three.
  if (verbose >= 3 || b("partition")) p.partition = true;
  if (b("debug")) return { unsupported: "cxl list --debug (libcxl's debug log of the walk) is not modelled" };
  if (verbose >= 2) p.idle = true;
  if (verbose >= 1) p.buses = p.ports = p.endpoints = p.decoders = p.targets = true;
  if (F.filterHas(p.port, "root") && p.ports) p.buses = true;
  if (F.filterHas(p.port, "endpoint") && p.ports) p.endpoints = true;
  const { list, stderr } = cxlFilterWalk(st, p);
  for (const l of stderr) err.write(l + "\n");
  const json = displayJsonArray(list, { human: p.human }, err);
  return json === undefined ? { rc: 0, stderr: err.lines() } : { rc: 0, json, stderr: err.lines() };
}

/** `cxl list -vvi` (the oracle's snapshot): the bus tree and libcxl's complaints. */
export function cxlListAll(st: CxlState): { json: unknown; stderr: string[] } {
  if (!st.root) return { json: [], stderr: [] };
  const p: CxlListParams = { memdevs: true, buses: true, ports: true, endpoints: true, decoders: true, regions: true, targets: true, idle: true, human: false, single: false };
  const { list, stderr } = cxlFilterWalk(st, p);
  return { json: list, stderr };
}
