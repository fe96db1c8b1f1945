/** create/destroy-namespace options: parsing, defaults and validation. Models parse_namespace_options(), set_defaults() and validate_namespace_options() in ndctl/namespace.c. */
import { pfnSupportedAlignments } from "../kernel/drivers/nvdimm-pfn.js";
import { regionMaxAvailableExtent } from "../kernel/drivers/nvdimm-region.js";
import { BTT_LBASIZE_SUPPORTED } from "../kernel/drivers/nvdimm-btt.js";
import { ND_DEVICE, type NdNamespace, type NdPfn, type NdRegion, newUuid, regionNstype } from "../kernel/drivers/nvdimm-core.js";
import { isPow2, parseSize64 } from "./tool-util.js";
import { Ctx, EAGAIN, EINVAL, ENODEV, ENXIO, type Loc, type Mode, nsDax, nsModeOf, nsPfn, PAGE, SZ_16M, SZ_2M, UINT_MAX } from "./ndctl-lib.js";
import { regionEnabled } from "./ndctl-json.js";
import { doSetupPfn } from "./ndctl-namespace.js";

export interface Params {
  bus?: string;
  region?: string;
  reconfig?: string;
  uuid?: string;
  name?: string;
  size?: string;
  mode?: string;
  map?: string;
  sectorSize?: string;
  type?: string;
  align?: string;
  force: boolean;
  autolabel: boolean;
  greedy: boolean;
  autorecover: boolean;
  modeDefault: boolean;
  doScan: boolean;
  verbose: boolean;
}

export interface Parsed {
  loc: Loc;
  uuid: string;
  name: string;
  mode: Mode;
  size: number;
  sectorSize: number;
  align: number;
  autolabel: boolean;
  autorecover: boolean;
}

function utilNsmode(m: string | undefined): Mode {
  if (!m) return "unknown";
  switch (m.toLowerCase()) {
    case "memory":
    case "fsdax":
      return "fsdax";
    case "sector":
    case "safe":
      return "sector";
    case "dax":
    case "devdax":
      return "devdax";
    case "raw":
      return "raw";
  }
  return "unknown";
}

export function setDefaults(c: Ctx, p: Params): number {
  let rc = 0;
  if (p.type) {
    if (p.type !== "pmem" && p.type !== "blk") {
      c.err.error(`invalid type '${p.type}', must be either 'pmem' or 'blk'\n`);
      rc = EINVAL;
    }
  } else if (!p.reconfig) {
    p.type = "pmem";
  }
  if (p.mode) {
    if (utilNsmode(p.mode) === "unknown") {
      c.err.error(`invalid mode '${p.mode}'\n`);
      rc = EINVAL;
    }
  } else if (!p.reconfig && p.type) {
    p.mode = p.type === "pmem" ? "fsdax" : "sector";
    p.modeDefault = true;
  }
  if (p.map) {
    if (p.map !== "mem" && p.map !== "dev") {
      c.err.error(`invalid map location '${p.map}'\n`);
      rc = EINVAL;
    }
    if (!p.reconfig && p.mode && p.mode !== "fsdax" && p.mode !== "devdax") {
      c.err.error("--map only valid for an devdax mode pmem namespace\n");
      rc = EINVAL;
    }
  } else if (!p.reconfig) {
    p.map = "dev";
  }
  if (p.type === "blk" && p.mode && (p.mode === "fsdax" || p.mode === "devdax")) {
    c.err.error("only 'pmem' namespaces support dax operation\n");
    rc = ENXIO;
  }
  if (p.size !== undefined && !parseSize64(p.size)) {
    c.err.error(`failed to parse namespace size '${p.size}'\n`);
    rc = EINVAL;
  }
  if (p.align !== undefined) {
    const a = parseSize64(p.align);
    if (!a) {
      c.err.error(`failed to parse namespace alignment '${p.align}'\n`);
      rc = EINVAL;
    } else if (!isPow2(a.value) || a.value < PAGE) {
      c.err.error(`align must be a power-of-2 greater than ${PAGE}\n`);
      rc = EINVAL;
    }
  }
  if (p.size !== undefined && !parseSize64(p.size)) {
    c.err.error(`failed to parse namespace size '${p.size}'\n`);
    rc = EINVAL;
  }
  if (p.uuid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(p.uuid)) {
    c.err.error(`failed to parse uuid: '${p.uuid}'\n`);
    rc = EINVAL;
  }
  if (p.sectorSize !== undefined) {
    if (!parseSize64(p.sectorSize)) {
      c.err.error(`invalid sector size: ${p.sectorSize}\n`);
      rc = EINVAL;
    }
  } else if (p.type === "blk" || utilNsmode(p.mode) === "sector") {
    p.sectorSize = "4096";
  }
  return rc;
}

export function regionGetNamespaceSeed(r: NdRegion): NdNamespace | undefined {
  return r.nsSeed && r.nsSeed.registered ? r.nsSeed : undefined;
}

/** validate_namespace_options(). */
export function validateNamespaceOptions(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace | null): { rc: number; parsed?: Parsed } {
  const k = c.k;
  const q: Parsed = { loc: "none", uuid: "", name: "", mode: "unknown", size: 0, sectorSize: 0, align: 0, autolabel: false, autorecover: false };
  if (!regionEnabled(k, r)) return { rc: EAGAIN };
  let units = 1;
  let defaultSize = false;
  if (p.size !== undefined) {
    const s = parseSize64(p.size)!;
    q.size = s.value;
    units = s.units;
  } else if (ns) q.size = ns.size;
  else defaultSize = true;
  const io = regionNstype(r) === ND_DEVICE.NAMESPACE_IO;
  if (!ns) {
    const available = io ? r.size : regionMaxAvailableExtent(r);
    if (!available || q.size > available) return { rc: EAGAIN };
    if (q.size === 0) q.size = available;
  }
  if (io && q.size !== r.size) {
    c.err.error("Legacy / label-less namespaces do not support sub-dividing a region\n");
    c.err.error("Retry without -s/--size=\n");
    return { rc: EINVAL };
  }
  q.uuid = p.uuid ?? newUuid(k);
  q.name = p.name ?? (ns ? ns.altName : "");
  let pfn: NdPfn | null = null;
  let dax: NdPfn | null = null;
  if (p.mode) q.mode = utilNsmode(p.mode);
  else if (ns) q.mode = nsModeOf(k, ns);
  if (q.mode === "fsdax") {
    pfn = r.pfnSeed && r.pfnSeed.registered ? r.pfnSeed : null;
    if (!pfn && p.modeDefault) {
      c.nerr(`${r.name} fsdax mode not available\n`);
      q.mode = "raw";
    }
  } else if (q.mode === "devdax") {
    dax = r.daxSeed && r.daxSeed.registered ? r.daxSeed : null;
    if (!dax) {
      c.err.error("Kernel does not support devdax mode\n");
      return { rc: ENODEV };
    }
  }
  const alignments = pfnSupportedAlignments(k);
  if (p.align !== undefined) {
    if (q.mode === "fsdax") {
      if (!pfn) {
        c.err.error("Kernel does not support setting an alignment in fsdax mode\n");
        return { rc: EINVAL };
      }
    } else if (q.mode !== "devdax") {
      c.err.error(`${q.mode} mode does not support setting an alignment\n`);
      return { rc: ENXIO };
    }
    q.align = parseSize64(p.align)!.value;
    if (!alignments.includes(q.align)) {
      c.err.error(`unsupported align: ${p.align}\n`);
      return { rc: ENXIO };
    }
  } else {
    if (ns && q.mode === nsModeOf(k, ns)) {
      const np = nsPfn(ns);
      const nd = nsDax(ns);
      q.align = np ? np.align : nd ? nd.align : PAGE;
    } else if (q.mode === "fsdax") {
      q.align = pfn ? pfn.align : SZ_2M;
    } else if (q.mode === "devdax") {
      q.align = dax!.align;
    } else {
      q.align = PAGE;
    }
    if (r.start % q.align !== 0) q.align = PAGE;
  }
  if (q.size % r.align !== 0) {
    c.nerr(`${r.name}: align setting is ${"0x" + r.align.toString(16)} size ${"0x" + q.size.toString(16)} is misaligned\n`);
    return { rc: EINVAL };
  }
  const ways = Math.max(1, r.mappings.length);
  if (q.size % (q.align * ways) !== 0) {
    const suffix = units === 1024 ? "K" : units === 1024 ** 2 ? "M" : units === 1024 ** 3 ? "G" : units === 1024 ** 4 ? "T" : "";
    const sizeAlign = Math.max(units, q.align) * ways;
    const want = ((Math.floor(q.size / sizeAlign) + 1) * sizeAlign) / units;
    c.nerr(`'--size=' must align to interleave-width: ${ways} and alignment: ${q.align}\ndid you intend --size=${want}${suffix}?\n`);
    return { rc: EINVAL };
  }
  if (q.size < SZ_16M && q.mode !== "raw") {
    if (defaultSize) return { rc: EAGAIN };
    c.err.error(`'--size=' must be >= 16MiB for '${q.mode}' mode\n`);
    return { rc: EINVAL };
  }
  if (p.sectorSize !== undefined) {
    q.sectorSize = parseSize64(p.sectorSize)!.value;
    if (q.mode === "sector") {
      const btt = r.bttSeed && r.bttSeed.registered ? r.bttSeed : null;
      if (!btt) {
        c.nerr(`${r.name}: does not support 'sector' mode\n`);
        return { rc: EINVAL };
      }
      if (!BTT_LBASIZE_SUPPORTED.includes(q.sectorSize)) {
        c.nerr(`${r.name}: does not support btt sector_size ${q.sectorSize}\n`);
        return { rc: EINVAL };
      }
    } else {
      const seed = ns ?? regionGetNamespaceSeed(r);
      if (!seed) {
        c.nerr(`${r.name}: failed to get seed\n`);
        return { rc: ENXIO };
      }
      const sizes = seed.nstype === "pmem" ? [512, 4096] : [];
      if (!sizes.includes(q.sectorSize)) {
        c.nerr(`${r.name}: does not support namespace sector_size ${q.sectorSize}\n`);
        return { rc: EINVAL };
      }
    }
  } else if (ns) {
    q.sectorSize = ns.nstype === "pmem" ? ns.lbasize || 512 : 0;
  } else {
    const seed = regionGetNamespaceSeed(r);
    if (!seed) {
      c.nerr(`${r.name}: failed to get seed\n`);
      return { rc: ENXIO };
    }
    q.sectorSize = seed.nstype === "pmem" ? 512 : UINT_MAX;
  }
  if (p.map !== undefined) {
    q.loc = p.map === "mem" ? "mem" : "dev";
    if (ns && q.mode !== "fsdax" && q.mode !== "devdax") {
      c.nerr(`${ns.name}: --map= only valid for fsdax mode namespace\n`);
      return { rc: EINVAL };
    }
  } else if (q.mode === "fsdax" || q.mode === "devdax") {
    q.loc = "dev";
  }
  if (!pfn && doSetupPfn(c.k, ns, q)) {
    c.err.error(`operation failed, ${r.name} cannot support requested mode\n`);
    return { rc: EINVAL };
  }
  q.autolabel = p.autolabel;
  q.autorecover = p.autorecover;
  return { rc: 0, parsed: q };
}

export function toParams(o: Record<string, string | boolean | number | undefined>, doScan: boolean): Params {
  const s = (x: unknown) => (typeof x === "string" ? x : undefined);
  return {
    bus: s(o.bus),
    region: s(o.region),
    reconfig: s(o.reconfig),
    uuid: s(o.uuid),
    name: s(o.name),
    size: s(o.size),
    mode: s(o.mode),
    map: s(o.map),
    sectorSize: s(o.sectorSize),
    type: s(o.type),
    align: s(o.align),
    force: o.force === true,
    autolabel: o.autolabel !== false,
    greedy: o.greedy === true,
    autorecover: o.autorecover !== false,
    modeDefault: false,
    doScan,
    verbose: o.verbose === true,
  };
}
