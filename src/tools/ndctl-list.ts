/**
 * `ndctl list`: which devices it lists (options, filters, idle ones) and how
 * it nests and prints them. Models ndctl/list.c; the JSON of each device is
 * ndctl-json.ts, the filters ndctl-filter.ts.
 */
import type { Kernel } from "../kernel/kernel.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import type { NdDimm, NdNamespace, NdRegion } from "../kernel/drivers/nvdimm-core.js";
import { displayJsonArray, type JsonFlags, parseCommand, type ToolResult } from "./tool-util.js";
import { LIST_TABLE } from "./ndctl-options.js";
import { Ctx, nsIsActive, result, usage } from "./ndctl-lib.js";
import { dimmFilter, type FilterParams, ndctlFilterWalk } from "./ndctl-filter.js";
import { busJson, dimmJson, namespaceJson, regionEnabled, regionJson } from "./ndctl-json.js";

type Json = Record<string, unknown>;

/** What `ndctl list` is asked for: its switches and filters (-v is a count). */
export interface ListOptions extends FilterParams {
  buses?: boolean;
  dimms?: boolean;
  regions?: boolean;
  namespaces?: boolean;
  idle?: boolean;
  configured?: boolean;
  dax?: boolean;
  human?: boolean;
  verbose?: number;
  mediaErrors?: boolean;
  capabilities?: boolean;
  firmware?: boolean;
  health?: boolean;
}

function numListFlags(l: ListOptions): number {
  return [l.buses, l.dimms, l.regions, l.namespaces].filter(Boolean).length;
}

/** cmd_list() after parsing: what the switches imply (filters alone select what is listed, -v adds), then the walk and the printing. */
function list(c: Ctx, opts: ListOptions): number {
  const k = c.k;
  ndFlush(k);
  const l: ListOptions = { ...opts };
  const p: FilterParams = { bus: l.bus, region: l.region, type: l.type, dimm: l.dimm, mode: l.mode, namespace: l.namespace, numaNode: l.numaNode };
  if (numListFlags(l) === 0) {
    l.buses = p.bus !== undefined;
    l.regions = p.region !== undefined;
    l.dimms = p.dimm !== undefined;
    if (l.dax && p.mode === undefined) p.mode = "dax";
  }
  const v = l.verbose ?? 0;
  if (v >= 3) l.idle = l.firmware = l.health = l.capabilities = true;
  if (v >= 2) l.dimms = l.buses = l.regions = true;
  if (v >= 1) l.mediaErrors = l.namespaces = l.dax = true;
  if (numListFlags(l) === 0) l.namespaces = true;
  const f: JsonFlags = { idle: l.idle, configured: l.configured, mediaErrors: l.mediaErrors, dax: l.dax, daxDevs: l.dax, human: l.human, verbose: v > 0, capabilities: l.capabilities, firmware: l.firmware };
  const shown = (enabled: boolean): boolean => enabled || !!l.configured || !!l.idle;

  // The accumulators of struct list_filter_arg.
  let jbuses: Json[] | null = null;
  let jbus: Json | null = null;
  let jdimms: Json[] | null = null;
  let jregions: Json[] | null = null;
  let jregion: Json | null = null;
  let jnamespaces: Json[] | null = null;
  const rc = ndctlFilterWalk(
    c,
    {
      bus: (b) => {
        // A listed bus holds its own dimms, regions and namespaces: start afresh.
        if (jbuses) jdimms = jregion = jregions = jnamespaces = null;
        if (!l.buses) return true;
        jbuses = jbuses ?? [];
        jbus = busJson(b);
        jbuses.push(jbus);
        return true;
      },
      dimm: l.dimms
        ? (d: NdDimm) => {
            if (!shown(d.driver !== null)) return;
            if (!jdimms) {
              jdimms = [];
              if (jbus) jbus.dimms = jdimms;
            }
            jdimms.push(dimmJson(d, f));
          }
        : undefined,
      region: (r: NdRegion) => {
        if (!l.regions) return true;
        if (!shown(regionEnabled(k, r))) return true;
        if (!jregions) {
          jregions = [];
          if (jbus) jbus.regions = jregions;
        }
        const mappings = l.dimms ? (d: NdDimm) => dimmFilter(d, p.dimm) && shown(d.driver !== null) : null;
        jregion = regionJson(k, r, f, mappings);
        // A new region starts a new namespace list.
        jnamespaces = null;
        jregions.push(jregion);
        return true;
      },
      namespace: l.namespaces
        ? (ns: NdNamespace) => {
            if (!nsIsActive(k, ns) && !l.idle && !(l.configured && ns.size > 0)) return;
            const container = jregion ?? jbus;
            if (!jnamespaces) {
              jnamespaces = [];
              if (container) container.namespaces = jnamespaces;
            }
            // Where ndctl fails to describe a namespace it skips it (and exits with an error, not modelled).
            const jn = namespaceJson(k, ns, f);
            if (jn) jnamespaces.push(jn);
          }
        : undefined,
    },
    p,
  );
  if (rc) return rc;
  c.stdoutJson = display(jbuses, jdimms, jregions, jnamespaces, f, c);
  return 0;
}

/** list_display(): buses; or, when more than one kind was listed, an object of them; or the one list. */
function display(jbuses: Json[] | null, jdimms: Json[] | null, jregions: Json[] | null, jnamespaces: Json[] | null, f: JsonFlags, c: Ctx): unknown {
  if (jbuses) return displayJsonArray(jbuses, f, c.err);
  if ((jdimms ? 1 : 0) + (jregions ? 1 : 0) + (jnamespaces ? 1 : 0) > 1) {
    const platform: Json = {};
    if (jdimms) platform.dimms = jdimms;
    if (jregions) platform.regions = jregions;
    if (jnamespaces && !jregions) platform.namespaces = jnamespaces;
    return platform;
  }
  if (jdimms) return displayJsonArray(jdimms, f, c.err);
  if (jregions) return displayJsonArray(jregions, f, c.err);
  if (jnamespaces) return displayJsonArray(jnamespaces, f, c.err);
  return undefined;
}

/** `ndctl list` with the given options: the JSON value it prints (undefined when it prints nothing). */
export function ndctlListJson(k: Kernel, o: ListOptions): unknown {
  const c = new Ctx(k);
  list(c, o);
  return c.stdoutJson;
}

export function cmdList(k: Kernel, argv: string[]): ToolResult {
  const c = new Ctx(k);
  const po = parseCommand(argv, LIST_TABLE);
  if ("error" in po) return usage(argv, c, LIST_TABLE, po);
  if (po.args.length) {
    for (const a of po.args) c.err.error(`unknown parameter "${a}"\n`);
    return usage(argv, c, LIST_TABLE);
  }
  const o = po.opts;
  const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);
  const bool = (x: unknown): boolean => x === true;
  const rc = list(c, {
    bus: str(o.bus),
    region: str(o.region),
    dimm: str(o.dimm),
    namespace: str(o.namespace),
    mode: str(o.mode),
    type: str(o.type),
    numaNode: str(o.numaNode),
    buses: bool(o.buses),
    dimms: bool(o.dimms),
    regions: bool(o.regions),
    namespaces: bool(o.namespaces),
    dax: bool(o.dax),
    idle: bool(o.idle),
    configured: bool(o.configured),
    mediaErrors: bool(o.mediaErrors),
    capabilities: bool(o.capabilities),
    firmware: bool(o.firmware),
    health: bool(o.health),
    human: bool(o.human),
    verbose: typeof o.verbose === "number" ? o.verbose : 0,
  });
  return result(argv, rc, c);
}
