/**
 * `machine.extra_qemu_args` as memhp reads it: the oracle appends these
 * arguments to QEMU's command line after the `cxl` section's devices, which
 * is how a scenario builds a CXL switch (QEMU's `cxl-upstream` on a root
 * port, `cxl-downstream` ports on it, `cxl-type3` devices behind those, and
 * the memory backends they use). memhp models exactly these; any other
 * argument is refused with its place, rather than ignored.
 */
import { formatSize, parseSize, SizeParseError } from "../kernel/units.js";
import { CFMWS_ALIGN, type CxlSwitchSpec, type CxlType3Spec } from "../machine/cxl-platform.js";

export interface QemuArgsCxl {
  switches: CxlSwitchSpec[];
  type3: CxlType3Spec[];
}

type Issue = (path: PropertyKey[], message: string) => void;

const DEVICE_PROPS: Record<string, readonly string[]> = {
  "cxl-upstream": ["bus", "id", "sn"],
  "cxl-downstream": ["bus", "id", "port", "chassis", "slot"],
  "cxl-type3": ["bus", "id", "volatile-memdev", "persistent-memdev", "memdev", "lsa", "sn"],
};
const OBJECT_PROPS = ["id", "size", "mem-path", "share"];

/** QEMU's `driver,key=value,...` option syntax (no escaped commas: ids and paths here have none). */
function splitOpts(text: string): { head: string; props: Map<string, string> } | string {
  const [head, ...rest] = text.split(",");
  const props = new Map<string, string>();
  for (const kv of rest) {
    const eq = kv.indexOf("=");
    if (eq <= 0) return `"${kv}" is not key=value`;
    const k = kv.slice(0, eq);
    if (props.has(k)) return `${k} given twice`;
    props.set(k, kv.slice(eq + 1));
  }
  return { head, props };
}

function uint(v: string | undefined, what: string, max: number): number | string | undefined {
  if (v === undefined) return undefined;
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return `${what} expects a number, got "${v}"`;
  const n = Number(v);
  return n > max ? `${what} ${v} is out of range (at most ${max})` : n;
}

/**
 * The CXL switches and switch-attached devices of `extra_qemu_args` (null
 * when it names none), with every problem reported at
 * `machine.extra_qemu_args[i]`. Cross-checks against machine.cxl (which root
 * port a switch sits on) are the caller's.
 */
export function parseCxlQemuArgs(args: unknown, issue: Issue): QemuArgsCxl | null {
  if (args === undefined || args === null) return null;
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    issue([], "expected a list of QEMU arguments (strings)");
    return null;
  }
  const list = args as string[];
  const backends = new Map<string, { size: number; at: number }>();
  const devices: { driver: string; props: Map<string, string>; at: number }[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const flag = list[i];
    if (flag !== "-device" && flag !== "-object") {
      issue([i], `memhp reads -device and -object arguments here (CXL switches and their devices), not "${flag}"`);
      continue;
    }
    if (i + 1 >= list.length) {
      issue([i], `${flag} needs a value`);
      break;
    }
    const parsed = splitOpts(list[i + 1]);
    if (typeof parsed === "string") {
      issue([i + 1], parsed);
      continue;
    }
    const { head, props } = parsed;
    if (flag === "-object") {
      if (head !== "memory-backend-ram" && head !== "memory-backend-file") {
        issue([i + 1], `object ${head} is not modelled here (memory-backend-ram and memory-backend-file are)`);
        continue;
      }
      const bad = [...props.keys()].find((k) => !OBJECT_PROPS.includes(k));
      if (bad) issue([i + 1], `${head} property ${bad} is not modelled (${OBJECT_PROPS.join(", ")} are)`);
      const id = props.get("id");
      const sizeText = props.get("size");
      if (!id) issue([i + 1], `${head} needs id=`);
      if (sizeText === undefined) issue([i + 1], `${head} needs size=`);
      if (!id || sizeText === undefined) continue;
      let size: number;
      try {
        size = parseSize(sizeText);
      } catch (e) {
        if (e instanceof SizeParseError) {
          issue([i + 1], e.message);
          continue;
        }
        throw e;
      }
      if (backends.has(id)) issue([i + 1], `duplicate object id "${id}"`);
      backends.set(id, { size, at: i + 1 });
      continue;
    }
    const known = DEVICE_PROPS[head];
    if (!known) {
      issue([i + 1], `device ${head} is not modelled here (${Object.keys(DEVICE_PROPS).join(", ")} are)`);
      continue;
    }
    const bad = [...props.keys()].find((k) => !known.includes(k));
    if (bad) issue([i + 1], `${head} property ${bad} is not modelled (${known.join(", ")} are)`);
    for (const need of ["bus", "id"]) if (!props.get(need)) issue([i + 1], `${head} needs ${need}=`);
    devices.push({ driver: head, props, at: i + 1 });
  }
  if (devices.length === 0) return null;
  const out: QemuArgsCxl = { switches: [], type3: [] };
  const ups = new Map<string, CxlSwitchSpec>();
  const dsps = new Set<string>();
  for (const d of devices) {
    const id = d.props.get("id") ?? "";
    const bus = d.props.get("bus") ?? "";
    if (d.driver === "cxl-upstream") {
      const sw: CxlSwitchSpec = { id, bus, downstream: [] };
      ups.set(id, sw);
      out.switches.push(sw);
    } else if (d.driver === "cxl-downstream") {
      const sw = ups.get(bus);
      if (!sw) {
        issue([d.at], `cxl-downstream bus "${bus}" is not a cxl-upstream given before it`);
        continue;
      }
      const port = uint(d.props.get("port"), "port", 255);
      const chassis = uint(d.props.get("chassis"), "chassis", 255);
      const slot = uint(d.props.get("slot"), "slot", 8191);
      const bad = [port, chassis, slot].find((x) => typeof x === "string");
      if (typeof bad === "string") {
        issue([d.at], bad);
        continue;
      }
      if (port === undefined) {
        issue([d.at], "cxl-downstream needs port=");
        continue;
      }
      if (sw.downstream.some((x) => x.port === port)) issue([d.at], `port ${port} is already a downstream port of "${bus}"`);
      sw.downstream.push({ id, port: port as number, ...(chassis !== undefined ? { chassis: chassis as number } : {}), ...(slot !== undefined ? { slot: slot as number } : {}) });
      dsps.add(id);
    } else {
      const vol = d.props.get("volatile-memdev");
      const per = d.props.get("persistent-memdev") ?? d.props.get("memdev");
      if ((vol === undefined) === (per === undefined)) {
        issue([d.at], "cxl-type3 needs one backend: volatile-memdev= or persistent-memdev= (memdev= on QEMU 7.2); memhp models a device of one kind");
        continue;
      }
      const be = backends.get((vol ?? per)!);
      if (!be) {
        issue([d.at], `no memory backend "${vol ?? per}" (give it with -object before)`);
        continue;
      }
      if (be.size === 0 || be.size % CFMWS_ALIGN !== 0) issue([d.at], `the device's size must be a non-zero multiple of 256M (CXL decoders map 256 MiB units), got ${formatSize(be.size)}`);
      const lsaId = d.props.get("lsa");
      const lsa = lsaId === undefined ? undefined : backends.get(lsaId);
      if (lsaId !== undefined && !lsa) issue([d.at], `no memory backend "${lsaId}" for lsa=`);
      const sn = uint(d.props.get("sn"), "sn", Number.MAX_SAFE_INTEGER);
      if (typeof sn === "string") issue([d.at], sn);
      if (!dsps.has(bus)) issue([d.at], `cxl-type3 bus "${bus}" is not a cxl-downstream port given before it (devices on root ports go in machine.cxl.type3)`);
      if (out.type3.some((t) => t.bus === bus)) issue([d.at], `downstream port "${bus}" already has a device`);
      out.type3.push({
        id,
        bus,
        size: be.size,
        ...(lsa ? { lsa_size: lsa.size } : {}),
        ...(vol !== undefined ? { volatile: true } : {}),
        ...(typeof sn === "number" ? { sn } : {}),
      });
    }
  }
  return out;
}
