/**
 * cxl-cli 76 (ndctl's `cxl` tool) against the model: `list`,
 * `create-region`, `enable-region`, `disable-region`, `destroy-region`,
 * going through the kernel's sysfs ABI as the tool does (cxl/region.c,
 * cxl/lib/libcxl.c), with its stderr lines and exit codes.
 */
import type { Kernel } from "../kernel/kernel.js";
import { STRERROR, type Errno } from "../kernel/errno.js";
import { sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import { cxlState, type CxlDecoder, type CxlState } from "../kernel/drivers/cxl-core.js";
import type { CxlRegion } from "../kernel/drivers/cxl-region.js";
import { newUuid } from "../kernel/drivers/nvdimm-core.js";
import { cxlList } from "./cxl-list.js";
import { maxAvailableExtent, regionJson } from "./cxl-json.js";
import { Stderr, type ToolResult } from "./tool-util.js";
import { parseSize } from "../kernel/units.js";

const BUS = "/sys/bus/cxl/devices";

function result(argv: string[], rc: number, err: Stderr, json?: unknown): ToolResult {
  const r: ToolResult = { argv: ["cxl", ...argv], rc, stderr: err.lines() };
  if (json !== undefined) r.stdout_json = json;
  return r;
}

function write(k: Kernel, path: string, v: string): Errno | null {
  const r = sysfsWrite(k, path, v);
  return r.ok ? null : r.errno;
}

interface CreateOpts {
  type: string;
  decoder?: string;
  ways?: number;
  granularity?: number;
  size?: number;
  targets: string[];
}

function parseCreate(argv: string[]): CreateOpts | string {
  const o: CreateOpts = { type: "pmem", targets: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === "-m" || a === "--memdevs") continue;
    else if (a === "-t" || a === "--type") o.type = val();
    else if (a === "-d" || a === "--decoder") o.decoder = val();
    else if (a === "-w" || a === "--ways") o.ways = Number(val());
    else if (a === "-g" || a === "--granularity") o.granularity = Number(val());
    else if (a === "-s" || a === "--size") {
      const v = val();
      try {
        o.size = parseSize(v ?? "");
      } catch {
        return `invalid size '${v}'`;
      }
    }
    else if (a.startsWith("-")) return `unknown option \`${a.replace(/^-+/, "")}'`;
    else o.targets.push(a);
  }
  return o;
}

function createRegion(k: Kernel, st: CxlState, argv: string[]): ToolResult {
  const err = new Stderr();
  const o = parseCreate(argv);
  const fail = (msg: string) => {
    err.write(`cxl region: ${msg}\n`);
    err.write("cxl region: cmd_create_region: created 0 regions\n");
    return result(argv, 1, err);
  };
  if (typeof o === "string") return fail(`parse_create_options: ${o}`);
  if (o.type !== "pmem") return fail(`parse_create_options: region type '${o.type}' not supported yet`);
  const root = st.root?.decoders.find((d) => d.name === o.decoder);
  if (!root) return fail(`create_region: ${o.decoder ?? "(none)"}: no such root decoder`);
  const ways = o.ways ?? o.targets.length;
  if (o.targets.length !== ways) return fail(`parse_create_options: must specify ${ways} memdev(s)`);
  const mems = [];
  for (const t of o.targets) {
    const m = st.memdevs.find((x) => x.name === t);
    if (!m) return fail(`validate_config_memdevs: ${t}: not a memdev`);
    mems.push(m);
  }
  const per = Math.min(...mems.map((m) => (m.dev.volatile ? 0 : m.dev.size)));
  const size = o.size ?? Math.min(per * ways, maxAvailableExtent(st, root));
  if (!size) return fail("create_region: unable to determine region size");
  const name = sysfsRead(k, `${BUS}/${root.name}/create_pmem_region`);
  if (!name.ok) return fail(`create_region: ${root.name}: failed to create region: ${STRERROR[name.errno] ?? name.errno}`);
  const region = name.value.trim();
  let e = write(k, `${BUS}/${root.name}/create_pmem_region`, region);
  if (e) return fail(`create_region: ${root.name}: failed to create region: ${STRERROR[e] ?? e}`);
  const R = `${BUS}/${region}`;
  // After the region exists, a failure deletes it again; the command still exits 0 ("created 0 regions").
  const undo = (msg: string, where = `create_region: ${region}`) => {
    err.write(`cxl region: ${where}: ${msg}\n`);
    write(k, `${BUS}/${root.name}/delete_region`, region);
    err.write("cxl region: cmd_create_region: created 0 regions\n");
    return result(argv, 0, err);
  };
  // cxl-cli's try(): "<device>: <op> failed: <strerror>", the device being the region or the endpoint decoder.
  const tried = (dev: string, op: string, errno: Errno) => undo(`${dev}: ${op} failed: ${STRERROR[errno] ?? errno}`, "create_region");
  // create_region()'s order: granularity, ways, uuid, size.
  const steps: [string, string, string][] = [
    [`${R}/interleave_granularity`, String(o.granularity ?? root.ig), "set_interleave_granularity"],
    [`${R}/interleave_ways`, String(ways), "set_interleave_ways"],
    [`${R}/uuid`, newUuid(k), "set_uuid"],
    [`${R}/size`, `0x${size.toString(16)}`, "set_size"],
  ];
  for (const [p, v, op] of steps) if ((e = write(k, p, v))) return tried(region, op, e);
  for (let i = 0; i < mems.length; i++) {
    // cxl_memdev_find_decoder(): the first endpoint decoder without a region or DPA.
    const d = mems[i].endpoint?.decoders.find((x) => !x.region && x.dpaSize === 0);
    if (!d) return undo(`could not get a free decoder for ${mems[i].name}`, "cxl_memdev_find_decoder");
    if ((e = write(k, `${BUS}/${d.name}/mode`, o.type))) return tried(d.name, "set_mode", e);
    // test/oracle/cxl/cxl-pmem-region-size.sid: "cxl region: create_region: decoder2.1: set_dpa_size failed: No space left on device".
    if ((e = write(k, `${BUS}/${d.name}/dpa_size`, `0x${(size / ways).toString(16)}`))) return tried(d.name, "set_dpa_size", e);
    if ((e = write(k, `${R}/target${i}`, d.name))) return undo(`failed to set target${i} to ${o.targets[i]}`);
  }
  if ((e = write(k, `${R}/commit`, "1"))) return undo(`failed to commit decode: ${STRERROR[e] ?? e}`);
  if ((e = write(k, "/sys/bus/cxl/drivers/cxl_region/bind", region))) return undo(`failed to enable: ${STRERROR[e] ?? e}`);
  err.write("cxl region: cmd_create_region: created 1 region\n");
  const r = st.regions.find((x) => x.name === region)!;
  return result(argv, 0, err, regionJson(r, { human: false, targets: true }));
}

/**
 * destroy_region() of cxl/region.c: disable (with -f), reset the decode,
 * then for each position clear the target and free its decoder's DPA, and
 * delete the region. The first failure stops it there, with its log line.
 */
function destroyRegion(k: Kernel, r: CxlRegion, force: boolean, err: Stderr): Errno | null {
  const log = (msg: string) => err.write(`cxl region: destroy_region: ${msg}\n`);
  const why = (e: Errno) => STRERROR[e] ?? e;
  if (r.driver) {
    if (!force) {
      log(`${r.name} active. Disable it or use --force`);
      return "EBUSY";
    }
    const e = write(k, "/sys/bus/cxl/drivers/cxl_region/unbind", r.name);
    if (e) return log(`${r.name}: error disabling region: ${why(e)}`), e;
  }
  let e = write(k, `${BUS}/${r.name}/commit`, "0");
  if (e) return log(`${r.name}: failed to reset decode: ${why(e)}`), e;
  if (r.iw === 0) return log(`${r.name}: error getting interleave ways`), "ENXIO";
  for (let i = 0; i < r.iw; i++) {
    // cxl_region_get_target_decoder(): an empty position ends the teardown (libcxl's own complaint is not shown).
    const d = r.targets[i];
    if (!d) return "ENXIO";
    // libcxl writes strlen + 1 bytes: clearing a target is one NUL.
    if ((e = write(k, `${BUS}/${r.name}/target${i}`, "\0"))) return log(`${r.name}: clearing target${i} failed: ${why(e)}`), e;
    // test/oracle/cxl/cxl-probe85-list-two-devices.sid: "destroy_region: decoder2.0: set_dpa_size failed: Device or resource busy".
    if ((e = write(k, `${BUS}/${d.name}/dpa_size`, "0"))) return log(`${d.name}: set_dpa_size failed: ${why(e)}`), e;
  }
  return write(k, `${BUS}/${r.root.name}/delete_region`, r.name);
}

/** enable-region / disable-region / destroy-region over the named regions (or "all"). */
function regionAction(k: Kernel, st: CxlState, argv: string[], action: "enable" | "disable" | "destroy"): ToolResult {
  const err = new Stderr();
  const force = argv.includes("-f") || argv.includes("--force");
  const names = argv.slice(1).filter((a) => !a.startsWith("-"));
  let n = 0;
  let rc = 0;
  let last: Errno | null = null;
  const fn = `cmd_${action}_region`;
  for (const name of names) {
    const targets = name === "all" ? [...st.regions] : st.regions.filter((r) => r.name === name);
    for (const r of targets) {
      let e: Errno | null = null;
      if (action === "enable") e = r.driver ? null : write(k, "/sys/bus/cxl/drivers/cxl_region/bind", r.name);
      else if (action === "disable") e = r.driver ? write(k, "/sys/bus/cxl/drivers/cxl_region/unbind", r.name) : null;
      else e = destroyRegion(k, r, force, err);
      if (e) {
        err.write(`cxl region: decoder_region_action: ${r.name}: failed: ${STRERROR[e] ?? e}\n`);
        last = e;
      } else n++;
    }
  }
  if (last) {
    err.write(`cxl region: region_action: one or more failures, last failure: ${STRERROR[last] ?? last}\n`);
    rc = 1;
  }
  const past = { enable: "enabled", disable: "disabled", destroy: "destroyed" }[action];
  err.write(`cxl region: ${fn}: ${past} ${n} region${n === 1 ? "" : "s"}\n`);
  return result(argv, rc, err);
}

/** Run `cxl <argv…>` against the kernel model. */
export function cxl(k: Kernel, argv: string[]): ToolResult {
  const st = cxlState(k);
  const err = new Stderr();
  if (!st) {
    err.write("cxl: no CXL bus (the machine has no machine.cxl)\n");
    return result(argv, 1, err);
  }
  switch (argv[0]) {
    case "list": {
      const r = cxlList(st, argv.slice(1));
      if ("unsupported" in r) return { argv: ["cxl", ...argv], rc: 1, stderr: [], unsupported: r.unsupported };
      return { argv: ["cxl", ...argv], rc: r.rc, stderr: r.stderr, ...(r.json !== undefined ? { stdout_json: r.json } : {}) };
    }
    case "create-region":
      return createRegion(k, st, argv);
    case "enable-region":
    case "disable-region":
    case "destroy-region":
      return regionAction(k, st, argv, argv[0].split("-")[0] as "enable" | "disable" | "destroy");
  }
  err.write(`cxl: '${argv[0] ?? ""}' is not a cxl command. See 'cxl --help'.\n`);
  return result(argv, 1, err);
}
