/**
 * The cxl bus in sysfs: /sys/bus/cxl/{devices,drivers} and the device
 * directories under /sys/devices, with the attributes cxl-cli and a shell
 * read and write: decoders (start, size, interleave_*, locked, target_list,
 * cap_*, create_*_region, delete_region, mode, dpa_resource, dpa_size) and
 * regions (uuid, commit, interleave_*, size, resource, targetN, mode), and
 * cxl_region bind/unbind. Formats follow drivers/cxl/core/{port,region,hdm}.c.
 */
import type { Kernel } from "../kernel.js";
import { EINVAL, type Errno } from "../errno.js";
import { kstrtobool, kstrtoull } from "../cmdline.js";
import { registerSysfsProvider, type SysfsAttr, type WriteResult } from "../sysfs.js";
import { hex0x, hexPa } from "../units.js";
import { cxlState, decoderPath, memdevPath, portPath, type CxlDecoder, type CxlState } from "./cxl-core.js";
import { setDpaSize } from "./cxl-hdm.js";
import { createRegion, deleteRegion, regionBind, regionPath, regionUnbind, setCommit, setInterleave, setSize, type CxlRegion } from "./cxl-region.js";
import { setTarget } from "./cxl-region-target.js";
import { memdevBind, memdevUnbind } from "./cxl-mem.js";

type Found = SysfsAttr | "dir" | null;

const res = (e: Errno | null): WriteResult => (e ? { ok: false, errno: e } : { ok: true });
const ro = (f: () => string): SysfsAttr => ({ show: () => f() + "\n" });
/** %#llx of a u64 that may be all ones. */
const u64 = (x: number) => (x < 0 ? "0xffffffffffffffff" : hex0x(x));

/** kstrtou64(buf, 0) as sysfs passes it (one trailing newline allowed); null when it fails or passes 2^53. */
export function parseU64(buf: string): number | null {
  const v = kstrtoull(buf);
  return typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

function num(buf: string, set: (n: number) => Errno | null): WriteResult {
  const n = parseU64(buf);
  return res(n === null ? EINVAL : set(n));
}

function decoderAttr(k: Kernel, st: CxlState, d: CxlDecoder, attr: string): Found {
  switch (attr) {
    case "":
      return "dir";
    case "start":
      return ro(() => hex0x(d.start));
    case "size":
      return ro(() => hex0x(d.size));
    case "interleave_ways":
      return ro(() => String(d.iw));
    case "interleave_granularity":
      return ro(() => String(d.ig));
    case "locked":
      return ro(() => "0");
  }
  if (d.kind !== "endpoint" && attr === "target_list") return ro(() => d.targets.map((t) => t.id).join(","));
  if (d.kind === "root") {
    switch (attr) {
      case "cap_pmem":
      case "cap_ram":
      case "cap_type2":
      case "cap_type3":
        return ro(() => "1");
      case "create_pmem_region":
        return { show: () => `region${d.nextRegionId}\n`, store: (_k, buf) => res(createRegion(k, st, d, "pmem", buf)) };
      case "create_ram_region":
        if (!st.rules.daxCxl) return null;
        return { show: () => `region${d.nextRegionId}\n`, store: (_k, buf) => res(createRegion(k, st, d, "ram", buf)) };
      case "delete_region":
        return { store: (_k, buf) => res(deleteRegion(k, st, d, buf)) };
    }
    return null;
  }
  if (d.kind === "endpoint") {
    switch (attr) {
      case "mode":
        return {
          show: () => `${d.mode}\n`,
          store: (_k, buf) => {
            const v = buf.replace(/\n$/, "");
            if (v !== "ram" && v !== "pmem") return res(EINVAL);
            if (d.dpaSize || d.region) return res("EBUSY");
            // No capacity of that kind on the device: ENXIO ("no available ... capacity"); from 7.2 no such partition, EINVAL.
            const dev = d.port.memdev!.dev;
            if ((v === "pmem") === dev.volatile) return res(st.rules.decoderPartitions ? EINVAL : "ENXIO");
            d.mode = v;
            return res(null);
          },
        };
      case "dpa_resource":
        return ro(() => u64(d.dpaSize ? d.dpaStart : -1));
      case "dpa_size":
        return { show: () => `${hexPa(d.dpaSize)}\n`, store: (_k, buf) => num(buf, (n) => setDpaSize(st, d, n)) };
    }
  }
  return null;
}

function regionAttr(k: Kernel, st: CxlState, r: CxlRegion, attr: string): Found {
  const t = /^target(\d+)$/.exec(attr);
  if (t) {
    const pos = Number(t[1]);
    if (pos >= r.iw) return null;
    return { show: () => `${r.targets[pos]?.name ?? ""}\n`, store: (_k, buf) => res(setTarget(k, st, r, pos, buf)) };
  }
  switch (attr) {
    case "":
      return "dir";
    case "uuid":
      // uuid_show(): a ram region's uuid is read-only and empty (cxl_region_visible() makes it 0444).
      if (r.mode !== "pmem") return ro(() => "");
      return {
        show: () => `${r.uuid ?? "00000000-0000-0000-0000-000000000000"}\n`,
        store: (_k, buf) => {
          const v = buf.replace(/\n$/, "").toLowerCase();
          if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return res(EINVAL);
          if (r.state === "commit") return res("EBUSY");
          r.uuid = v;
          return res(null);
        },
      };
    case "mode":
      if (!st.rules.daxCxl) return null;
      return ro(() => r.mode);
    case "commit":
      return {
        show: () => (r.state === "commit" ? "1\n" : "0\n"),
        store: (_k, buf) => {
          const v = kstrtobool(buf.replace(/\n$/, ""));
          return res(v === null ? EINVAL : setCommit(k, st, r, v, st.hypervisor));
        },
      };
    case "interleave_ways":
      return { show: () => `${r.iw}\n`, store: (_k, buf) => num(buf, (n) => setInterleave(k, r, "ways", n)) };
    case "interleave_granularity":
      return { show: () => `${r.ig}\n`, store: (_k, buf) => num(buf, (n) => setInterleave(k, r, "granularity", n)) };
    case "size":
      return { show: () => `${hex0x(r.res ? r.size : 0)}\n`, store: (_k, buf) => num(buf, (n) => setSize(k, st, r, n)) };
    case "resource":
      return ro(() => u64(r.res ? r.res.start : -1));
  }
  return null;
}

/** Every device of the cxl bus by name, with its sysfs directory and attribute resolver. */
export function cxlDevices(st: CxlState): { name: string; path: string; attr: (k: Kernel, a: string) => Found }[] {
  const out: { name: string; path: string; attr: (k: Kernel, a: string) => Found }[] = [];
  for (const p of st.ports) {
    out.push({ name: p.name, path: portPath(p), attr: (_k, a) => (a === "" ? "dir" : null) });
    for (const d of p.decoders) out.push({ name: d.name, path: decoderPath(d), attr: (k, a) => decoderAttr(k, st, d, a) });
  }
  for (const m of st.memdevs) {
    out.push({ name: m.name, path: memdevPath(st, m), attr: (_k, a) => (a === "" ? "dir" : a === "serial" ? ro(() => hex0x(m.dev.serial)) : null) });
    if (m.nvdimm && (m.endpoint || !st.rules.memOwnsNvdimm)) out.push({ name: m.nvdimm.name, path: `${memdevPath(st, m)}/${m.nvdimm.name}`, attr: (_k, a) => (a === "" ? "dir" : null) });
  }
  if (st.bridge) out.push({ name: st.bridge.name, path: `${portPath(st.root!)}/${st.bridge.name}`, attr: (_k, a) => (a === "" ? "dir" : null) });
  for (const r of st.regions) {
    out.push({ name: r.name, path: regionPath(r), attr: (k, a) => regionAttr(k, st, r, a) });
    if (r.pmem) out.push({ name: r.pmem.name, path: `${regionPath(r)}/${r.pmem.name}`, attr: (_k, a) => (a === "" ? "dir" : null) });
    if (r.dax) out.push({ name: r.dax.name, path: `${regionPath(r)}/${r.dax.name}`, attr: (_k, a) => (a === "" ? "dir" : null) });
  }
  return out;
}

const CXL_DRIVERS = ["cxl_region", "cxl_port", "cxl_mem", "cxl_nvdimm", "cxl_nvdimm_bridge", "cxl_pmem_region"];

function provider(k: Kernel, path: string): Found {
  const st = cxlState(k);
  if (!st) return null;
  if (["/sys/bus/cxl", "/sys/bus/cxl/devices", "/sys/bus/cxl/drivers"].includes(path)) return "dir";
  if (path === "/sys/bus/cxl/flush") return { store: () => res(null) };
  let m = /^\/sys\/bus\/cxl\/drivers\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    if (!CXL_DRIVERS.includes(m[1])) return null;
    if (!m[2]) return "dir";
    if (m[2] !== "bind" && m[2] !== "unbind") return null;
    const bind = m[2] === "bind";
    if (m[1] === "cxl_mem") {
      return {
        store: (_k, buf) => {
          const md = st.memdevs.find((x) => x.name === buf.replace(/\n$/, ""));
          if (!md) return res("ENODEV");
          const r = bind ? memdevBind(k, st, md) : memdevUnbind(k, st, md);
          return r && typeof r === "object" ? { ok: false, errno: "EOPNOTSUPP", unsupported: r.unsupported } : res(r);
        },
      };
    }
    if (m[1] !== "cxl_region") return null;
    return {
      store: (_k, buf) => {
        const r = st.regions.find((x) => x.name === buf.replace(/\n$/, ""));
        if (!r) return res("ENODEV");
        return res(bind ? regionBind(k, st, r) : regionUnbind(k, st, r));
      },
    };
  }
  m = /^\/sys\/bus\/cxl\/devices\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (m) {
    const d = cxlDevices(st).find((x) => x.name === m![1]);
    return d ? d.attr(k, m[2] ?? "") : null;
  }
  const rel = path.slice("/sys".length);
  let best: { attr: (k: Kernel, a: string) => Found; p: string } | null = null;
  for (const d of cxlDevices(st)) if ((rel === d.path || rel.startsWith(`${d.path}/`)) && (!best || d.path.length > best.p.length)) best = { attr: d.attr, p: d.path };
  return best ? best.attr(k, rel.slice(best.p.length + 1)) : null;
}

export function registerCxlSysfs(): void {
  registerSysfsProvider(provider);
}
