/**
 * cxl-cli 76's region commands (cxl/region.c): create-region, enable-region,
 * disable-region, destroy-region, going through the kernel's sysfs ABI as
 * libcxl does, with their stderr lines and exit codes.
 *
 * How the exit code comes about matters: an option the command cannot take
 * (parse_create_options(): no root decoder, no memdev under it, interleave
 * ways against the memdevs given) ends it with 1; a failure after that,
 * in create_region(), is logged and the region it made deleted again, but
 * the command then walks the root decoders for regions named like its
 * arguments, and that walk's success is what it returns (exit 0,
 * "created 0 regions").
 */
import type { Kernel } from "../kernel/kernel.js";
import { STRERROR, type Errno } from "../kernel/errno.js";
import { sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import type { CxlDecoder, CxlMemdev, CxlState } from "../kernel/drivers/cxl-core.js";
import type { CxlRegion } from "../kernel/drivers/cxl-region.js";
import { newUuid } from "../kernel/drivers/nvdimm-core.js";
import { alignDown, MiB } from "../kernel/units.js";
import { busMatches, decoderMatches, filterWords, memdevMatches, regionMatches } from "./cxl-filter.js";
import { maxAvailableExtent, regionJson } from "./cxl-json.js";
import { cxlFilterWalk } from "./cxl-list.js";
import { type OptSpec, parseFailureText, parseOptions, parseSize64, Stderr, type ToolResult } from "./tool-util.js";

const BUS = "/sys/bus/cxl/devices";
const SZ_256M = 256 * MiB;

export type RegionAction = "create" | "enable" | "disable" | "destroy";

const BASE: OptSpec[] = [
  { short: "b", long: "bus", type: "string", key: "bus", argh: "bus name", help: "Limit operation to the specified bus" },
  { short: "d", long: "decoder", type: "string", key: "decoder", argh: "root decoder name", help: "Limit to / use the specified root decoder" },
  { long: "debug", type: "bool", key: "debug", help: "turn on debug" },
];

const OPTIONS: Record<RegionAction, OptSpec[]> = {
  create: [
    ...BASE,
    { short: "s", long: "size", type: "string", key: "size", argh: "size in bytes or with a K/M/G etc. suffix", help: "total size desired for the resulting region." },
    { short: "w", long: "ways", type: "int", key: "ways", help: "number of memdevs participating in the regions interleave set" },
    { short: "g", long: "granularity", type: "int", key: "granularity", help: "granularity of the interleave set" },
    { short: "t", long: "type", type: "string", key: "type", argh: "region type", help: "region type - 'pmem' or 'ram'" },
    { short: "m", long: "memdevs", type: "bool", key: "memdevs", help: "non-option arguments are memdevs" },
    { short: "u", long: "human", type: "bool", key: "human", help: "use human friendly number formats" },
  ],
  enable: BASE,
  disable: BASE,
  destroy: [...BASE, { short: "f", long: "force", type: "bool", key: "force", help: "destroy region even if currently active" }],
};

const USAGE: Record<RegionAction, string> = {
  create: "cxl create-region <target0> ... [<options>]",
  enable: "cxl enable-region <region0> ... [<options>]",
  disable: "cxl disable-region <region0> ... [<options>]",
  destroy: "cxl destroy-region <region0> ... [<options>]",
};

interface Opts {
  bus?: string;
  decoder?: string;
  size?: string;
  ways?: number;
  granularity?: number;
  type?: string;
  memdevs: boolean;
  force: boolean;
}

/** What parse_create_options() settles. */
interface Parsed {
  memdevs: CxlMemdev[];
  mode: "pmem" | "ram";
  size: number;
  ways: number;
  granularity: number;
}

class Run {
  readonly err = new Stderr();
  json: unknown;
  constructor(
    readonly k: Kernel,
    readonly st: CxlState,
    readonly o: Opts,
  ) {}
  /** log_err(&rl, ...): "cxl region: <function>: <message>". */
  log(fn: string, msg: string): void {
    this.err.write(`cxl region: ${fn}: ${msg}\n`);
  }
  /** libcxl's err(): "libcxl: <function>: <message>". */
  lib(fn: string, msg: string): void {
    this.err.write(`libcxl: ${fn}: ${msg}\n`);
  }
  write(path: string, v: string): Errno | null {
    const r = sysfsWrite(this.k, path, v);
    return r.ok ? null : r.errno;
  }
}

const why = (e: Errno) => STRERROR[e] ?? e;

/** collect_memdevs(): the enabled memdevs under the root decoder the filter names, in the order the arguments give them. */
function collectMemdevs(run: Run, words: string[]): CxlMemdev[] | null {
  const csv = words.length ? words.join(",") : undefined;
  const { list } = cxlFilterWalk(run.st, {
    decoder: run.o.decoder, memdev: csv,
    memdevs: true, buses: false, ports: false, endpoints: false, decoders: false, regions: false, targets: false, idle: false, human: false, single: false,
  });
  const mems = (list as { memdev?: string }[]).map((j) => run.st.memdevs.find((m) => m.name === j.memdev)).filter((m): m is CxlMemdev => m !== undefined);
  if (!mems.length) {
    run.log("collect_memdevs", `no active memdevs found: decoder: ${run.o.decoder} filter: ${csv ?? "none"}`);
    return null;
  }
  // memdev_sort(): by the first word naming each one.
  const pos = (m: CxlMemdev) => {
    const i = words.findIndex((w) => memdevMatches(m, w, undefined));
    return i < 0 ? words.length : i;
  };
  return csv ? [...mems].sort((a, b) => pos(a) - pos(b)) : mems;
}

function parseCreate(run: Run, args: string[]): Parsed | Errno {
  const { o } = run;
  const fail = (msg: string, e: Errno = "EINVAL") => (run.log("parse_create_options", msg), e);
  if (o.decoder === undefined) return fail("no root decoder specified");
  if (!args.length) o.memdevs = true;
  if (!o.memdevs) return fail("must specify option for target object types (-m)");
  // to_csv(): each argument may itself be a list.
  const words = args.flatMap((a) => filterWords(a));
  const count = words.length;
  const memdevs = collectMemdevs(run, words);
  if (!memdevs) return "ENXIO";
  const n = memdevs.length;
  let mode: "pmem" | "ram" = "pmem";
  if (o.type !== undefined) {
    if (o.type === "ram" || o.type === "volatile") mode = "ram";
    else if (o.type !== "pmem") return fail(`unsupported type: ${o.type}`);
  }
  let size = 0;
  if (o.size !== undefined) {
    const s = parseSize64(o.size);
    if (!s) return fail(`Invalid size: ${o.size}`);
    size = s.value;
  }
  // validate_ways(): ways given (or the number of memdevs named) must be the memdevs found.
  const validate = (ways: number): boolean => {
    if (ways > n || (count && ways !== n)) {
      run.log("validate_ways", `Interleave ways ${ways} is ${ways > n ? "greater" : "less"} than number of memdevs ${count ? "specified" : "found"}: ${n}`);
      return false;
    }
    return true;
  };
  let ways: number;
  if (o.ways !== undefined && o.ways <= 0) return fail(`Invalid interleave ways: ${o.ways}`);
  if (o.ways !== undefined) ways = o.ways;
  else ways = count || n;
  if ((o.ways !== undefined || count) && !validate(ways)) return "EINVAL";
  let granularity = 0;
  if (o.granularity !== undefined) {
    if (o.granularity <= 0) return fail(`Invalid interleave granularity: ${o.granularity}`);
    granularity = o.granularity;
  }
  if (size && size % ways) return fail(`size (${size}) is not an integral multiple of interleave-ways (${ways})`);
  return { memdevs, mode, size, ways, granularity };
}

/** create_region(): make the region and program it; a failure after it exists deletes it again. */
function createRegion(run: Run, p: Parsed): Errno | null {
  const { st, o } = run;
  const root = busMatches(st, o.bus) ? st.root!.decoders.find((d) => decoderMatches(d, o.decoder)) : undefined;
  if (!root) return run.log("create_region_validate_config", `${o.decoder} not found in CXL topology`), "ENXIO";
  // collect_minsize(): the smallest persistent capacity among the memdevs taking part (0 counts as unset).
  const minSize = p.memdevs.slice(0, p.ways).reduce((min, m) => {
    const sz = m.dev.volatile ? 0 : m.dev.size;
    return min ? Math.min(min, sz) : sz;
  }, 0);
  let size = p.size || minSize * p.ways;
  if (!size) return run.log("create_region", "create_region: unable to determine region size"), "ENXIO";
  const max = maxAvailableExtent(st, root);
  if (p.size && size > max) return run.log("create_region", `${root.name}: region size 0x${size.toString(16)} exceeds max available space`), "ENOSPC";
  if (size > max) size = alignDown(max, SZ_256M * p.ways);
  if (p.mode !== "pmem") return run.log("create_region", `region type '${o.type}' not supported yet`), "EOPNOTSUPP";
  const made = createPmemRegion(run, root);
  if (!made) return run.log("create_region", `failed to create region under ${o.decoder}`), "ENXIO";
  const e = programRegion(run, p, root, made, size);
  if (e) deleteRegion(run, made);
  return e;
}

/** cxl_decoder_create_pmem_region(): read the next name and write it back. */
function createPmemRegion(run: Run, root: CxlDecoder): CxlRegion | null {
  const attr = `${BUS}/${root.name}/create_pmem_region`;
  const name = sysfsRead(run.k, attr);
  if (!name.ok) return run.lib("cxl_decoder_create_pmem_region", `failed to read new region name: ${why(name.errno)}`), null;
  const e = run.write(attr, name.value.trim());
  if (e) return run.lib("cxl_decoder_create_pmem_region", `failed to write new region name: ${why(e)}`), null;
  return run.st.regions.find((r) => r.name === name.value.trim()) ?? null;
}

function programRegion(run: Run, p: Parsed, root: CxlDecoder, r: CxlRegion, size: number): Errno | null {
  const R = `${BUS}/${r.name}`;
  // try(): "<device>: <op> failed: <strerror>".
  const tried = (dev: string, op: string, path: string, v: string): Errno | null => {
    const e = run.write(path, v);
    if (e) run.log("create_region", `${dev}: ${op} failed: ${why(e)}`);
    return e;
  };
  // cxl_region_determine_granularity(): the root's unless given; under an interleaving root only the root's.
  let ig = root.ig;
  if (p.granularity && root.iw === 1) ig = p.granularity;
  else if (p.granularity && p.granularity !== root.ig) {
    run.log("cxl_region_determine_granularity", `${r.name}: For an x${root.iw} root, only root decoder granularity (${root.ig}) permitted`);
    return "EINVAL";
  }
  let e =
    tried(r.name, "set_interleave_granularity", `${R}/interleave_granularity`, String(ig)) ??
    tried(r.name, "set_interleave_ways", `${R}/interleave_ways`, String(p.ways)) ??
    tried(r.name, "set_uuid", `${R}/uuid`, newUuid(run.k)) ??
    tried(r.name, "set_size", `${R}/size`, `0x${size.toString(16)}`);
  if (e) return e;
  for (let i = 0; i < p.ways; i++) {
    const m = p.memdevs[i];
    // cxl_memdev_find_decoder(): the endpoint's first decoder without an HPA range.
    if (!m.endpoint) return run.log("cxl_memdev_find_decoder", `could not get an endpoint for ${m.name}`), "ENXIO";
    const d = m.endpoint.decoders.find((x) => x.size === 0);
    if (!d) return run.log("cxl_memdev_find_decoder", `could not get a free decoder for ${m.name}`), "ENXIO";
    const D = `${BUS}/${d.name}`;
    if (d.mode !== p.mode && ((e = tried(d.name, "set_dpa_size", `${D}/dpa_size`, "0")) || (e = tried(d.name, "set_mode", `${D}/mode`, p.mode)))) return e;
    // test/oracle/cxl/cxl-pmem-region-size.sid: "cxl region: create_region: decoder2.1: set_dpa_size failed: No space left on device".
    if ((e = tried(d.name, "set_dpa_size", `${D}/dpa_size`, `0x${(size / p.ways).toString(16)}`))) return e;
    if ((e = run.write(`${R}/target${i}`, d.name))) return run.log("create_region", `${r.name}: failed to set target${i} to ${m.name}`), e;
  }
  if ((e = run.write(`${R}/commit`, "1"))) return run.log("create_region", `${r.name}: failed to commit decode: ${why(e)}`), e;
  run.write("/sys/bus/cxl/drivers/cxl_region/bind", r.name);
  if (!r.driver) {
    run.lib("cxl_region_enable", `${r.name}: failed to enable`);
    run.log("create_region", `${r.name}: failed to enable: ${why("ENXIO")}`);
    return "ENXIO";
  }
  run.json = regionJson(r, { human: false, targets: true });
  return null;
}

/** cxl_region_delete(): an enabled region stays. */
function deleteRegion(run: Run, r: CxlRegion): Errno | null {
  if (r.driver) return "EBUSY";
  const e = run.write(`${BUS}/${r.root.name}/delete_region`, r.name);
  if (e) run.lib("cxl_region_delete_name", `error deleting region: ${why(e)}`);
  return e;
}

/**
 * destroy_region(): disable (with -f), reset the decode, then for each
 * position clear the target and free its decoder's DPA, and delete the
 * region. The first failure stops it there, with its log line.
 */
function destroyRegion(run: Run, r: CxlRegion): Errno | null {
  const log = (msg: string) => run.log("destroy_region", msg);
  if (r.driver) {
    if (!run.o.force) return log(`${r.name} active. Disable it or use --force`), "EBUSY";
    const e = run.write("/sys/bus/cxl/drivers/cxl_region/unbind", r.name);
    if (e) return log(`${r.name}: error disabling region: ${why(e)}`), e;
  }
  let e = run.write(`${BUS}/${r.name}/commit`, "0");
  if (e) return log(`${r.name}: failed to reset decode: ${why(e)}`), e;
  if (r.iw === 0) return log(`${r.name}: error getting interleave ways`), "ENXIO";
  for (let i = 0; i < r.iw; i++) {
    // cxl_region_get_target_decoder(): a cleared position names no decoder
    // (test/oracle/cxl/cxl-probe86-create-region-errors: a region whose earlier destroy stopped after clearing target0).
    const d = r.targets[i];
    if (!d) return run.lib("cxl_region_get_target_decoder", `${r.name}: error locating decoder for target${i}`), "ENXIO";
    // libcxl writes strlen + 1 bytes: clearing a target is one NUL.
    if ((e = run.write(`${BUS}/${r.name}/target${i}`, "\0"))) return log(`${r.name}: clearing target${i} failed: ${why(e)}`), e;
    // test/oracle/cxl/cxl-probe85-list-two-devices.sid: "destroy_region: decoder2.0: set_dpa_size failed: Device or resource busy".
    if ((e = run.write(`${BUS}/${d.name}/dpa_size`, "0"))) return log(`${d.name}: set_dpa_size failed: ${why(e)}`), e;
  }
  return deleteRegion(run, r);
}

function regionXable(run: Run, r: CxlRegion, action: RegionAction): Errno | null {
  switch (action) {
    case "enable":
      if (r.driver) return null;
      run.write("/sys/bus/cxl/drivers/cxl_region/bind", r.name);
      return r.driver ? null : (run.lib("cxl_region_enable", `${r.name}: failed to enable`), "ENXIO");
    case "disable":
      return r.driver ? run.write("/sys/bus/cxl/drivers/cxl_region/unbind", r.name) : null;
    case "destroy":
      return destroyRegion(run, r);
    default:
      return "EINVAL";
  }
}

/** `cxl <action>-region …` (region_action() and cmd_*_region()). */
export function regionCommand(k: Kernel, st: CxlState, argv: string[], action: RegionAction): ToolResult {
  const po = parseOptions(argv.slice(1), OPTIONS[action], { builtins: true });
  const out = (rc: number, err: Stderr, json?: unknown): ToolResult => ({ argv: ["cxl", ...argv], rc, stderr: err.lines(), ...(json !== undefined ? { stdout_json: json } : {}) });
  if ("error" in po) {
    if (po.kind === "list") return { argv: ["cxl", ...argv], rc: 130, stderr: [], unsupported: `cxl ${argv[0]} ${po.what} (option names on stdout for shell completion) is not modelled` };
    const err = new Stderr();
    err.write(parseFailureText(po, { usage: USAGE[action], options: OPTIONS[action] }));
    return out(129, err);
  }
  const v = po.opts;
  if (v.debug === true) return { argv: ["cxl", ...argv], rc: 1, stderr: [], unsupported: `cxl ${argv[0]} --debug (libcxl's debug log) is not modelled` };
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  const num = (x: unknown) => (typeof x === "number" ? x : undefined);
  const run = new Run(k, st, { bus: str(v.bus), decoder: str(v.decoder), size: str(v.size), ways: num(v.ways), granularity: num(v.granularity), type: str(v.type), memdevs: v.memdevs === true, force: v.force === true });
  let count = 0;
  let rc: Errno | null = null;
  let errRc: Errno | null = null;
  let failed = false;
  if (action === "create") {
    const p = parseCreate(run, po.args);
    if (typeof p === "string") failed = true;
    else {
      rc = createRegion(run, p);
      if (!rc) count = 1;
    }
  }
  if (!failed) {
    // The walk over the root decoders: regions named by the arguments get the action (create has none to give).
    if (busMatches(st, run.o.bus)) {
      for (const d of st.root?.decoders ?? []) {
        if (!decoderMatches(d, run.o.decoder)) continue;
        let last: Errno | null = null;
        let lastErr: Errno | null = null;
        for (const r of st.regions.filter((x) => x.root === d)) {
          if (!po.args.some((a) => regionMatches(r, a))) continue;
          last = regionXable(run, r, action);
          if (last) {
            run.log("decoder_region_action", `${r.name}: failed: ${why(last)}`);
            lastErr = last;
          } else count++;
        }
        rc = lastErr ?? last;
        if (rc) errRc = rc;
      }
    }
    if (errRc) run.log("region_action", `one or more failures, last failure: ${why(errRc)}`);
  }
  const past = { create: "created", enable: "enabled", disable: "disabled", destroy: "destroyed" }[action];
  run.log(`cmd_${action}_region`, `${past} ${count} region${count === 1 ? "" : "s"}`);
  return out(failed || errRc || rc ? 1 : 0, run.err, run.json);
}
