/** create-namespace, destroy-namespace, enable/disable-namespace. Models setup_namespace(), namespace_create/destroy/reconfig() and do_xaction_namespace() in ndctl/namespace.c. */
import type { Kernel } from "../kernel/kernel.js";
import { dimmActive } from "../kernel/drivers/nvdimm-dimm.js";
import { dimmAvailableSlots, labelSlots, writeLabelIndex } from "../kernel/drivers/nvdimm-label.js";
import { pfnStore } from "../kernel/drivers/nvdimm-pfn.js";
import { namespaceStore } from "../kernel/drivers/nvdimm-namespace.js";
import { ndDriverUnbind, ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { bttStore } from "../kernel/drivers/nvdimm-btt.js";
import { ND_DEVICE, type NdNamespace, type NdPfn, type NdRegion, newUuid, NULL_UUID, regionNstype } from "../kernel/drivers/nvdimm-core.js";
import { neg, parseCommand, strerror, type ToolResult } from "./tool-util.js";
import { type NamespaceAction, NAMESPACE_TABLES } from "./ndctl-options.js";
import { bindDev, busRegions, Ctx, EAGAIN, EBUSY, EINVAL, ENODEV, ENOSPC, ENXIO, ndBuses, nsConfigIdle, nsDelete, nsDisableSafe, nsEnable, nsIsActive, nsList, nsModeOf, result, setEnforceMode, SZ_16M, UINT_MAX, usage, zeroInfoBlock } from "./ndctl-lib.js";
import { busFilter, regionFilter } from "./ndctl-filter.js";
import { namespaceJson } from "./ndctl-json.js";
import { type Params, type Parsed, regionGetNamespaceSeed, setDefaults, toParams, validateNamespaceOptions } from "./ndctl-namespace-options.js";

export function doSetupPfn(k: Kernel, ns: NdNamespace | null, q: Parsed): boolean {
  if (q.mode !== "fsdax") return false;
  if (!ns || nsModeOf(k, ns) !== "fsdax" || q.loc === "dev") return true;
  return false;
}

function checkDaxAlign(c: Ctx, p: Params, ns: NdNamespace): number {
  if (ns.start % SZ_16M === 0 || p.force) return 0;
  c.err.error(`${ns.name} misaligned to 16M, adjust region alignment and retry\n`);
  return EINVAL;
}

/** try(prefix, op, dev, p): a failing attribute write ends setup with its errno. */
function attempt(c: Ctx, devname: string, op: string, e: string | null): number {
  if (!e) return 0;
  const rc = neg(e);
  c.nerr(`${devname}: ${op} failed: ${strerror(rc)}\n`);
  return rc;
}

function pfnEnable(c: Ctx, p: NdPfn, fn: string): number {
  if (p.driver) return 0;
  bindDev(c, p);
  if (!p.driver) {
    c.lib(fn, `${p.name}: failed to enable\n`);
    return ENXIO;
  }
  return 0;
}

/** setup_namespace(). */
function setupNamespace(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace, q: Parsed): number {
  const k = c.k;
  let rc: number;
  if (ns.nstype !== "io") {
    if ((rc = attempt(c, ns.name, "set_uuid", namespaceStore(k, ns, "uuid", q.uuid)))) return rc;
    if ((rc = attempt(c, ns.name, "set_alt_name", namespaceStore(k, ns, "alt_name", q.name)))) return rc;
    if ((rc = attempt(c, ns.name, "set_size", namespaceStore(k, ns, "size", `0x${q.size.toString(16)}\n`)))) return rc;
  }
  if (q.sectorSize && q.sectorSize < UINT_MAX) {
    const sizes = ns.nstype === "pmem" ? [512, 4096] : [];
    if (sizes.includes(q.sectorSize)) {
      if ((rc = attempt(c, ns.name, "set_sector_size", namespaceStore(k, ns, "sector_size", `${q.sectorSize}\n`)))) return rc;
    } else if (q.mode === "sector") {
      /* the btt sector size overrides */
    } else if (q.sectorSize !== 512) {
      c.err.error(`${ns.name}: sector_size: ${q.sectorSize} not supported\n`);
      return EINVAL;
    }
  }
  const uuid = newUuid(k);
  setEnforceMode(c, ns, q.mode);
  // ndctl configures a pfn seed (fsdax) and a dax seed (devdax) the same way.
  const claim = doSetupPfn(k, ns, q) ? { seed: r.pfnSeed, enable: "ndctl_pfn_enable" } : q.mode === "devdax" ? { seed: r.daxSeed, enable: "ndctl_dax_enable" } : null;
  if (claim) {
    const dev = claim.seed && claim.seed.registered ? claim.seed : null;
    if (!dev) return ENXIO;
    if ((rc = checkDaxAlign(c, p, ns))) return rc;
    if ((rc = attempt(c, dev.name, "set_uuid", pfnStore(k, dev, "uuid", uuid)))) return rc;
    if ((rc = attempt(c, dev.name, "set_location", pfnStore(k, dev, "mode", q.loc === "mem" ? "ram" : q.loc === "dev" ? "pmem" : "none")))) return rc;
    if ((rc = attempt(c, dev.name, "set_align", pfnStore(k, dev, "align", `${q.align}\n`)))) return rc;
    if ((rc = attempt(c, dev.name, "set_namespace", pfnStore(k, dev, "namespace", ns.name)))) return rc;
    rc = pfnEnable(c, dev, claim.enable);
    if (rc && q.autorecover) pfnStore(k, dev, "namespace", "\n");
  } else if (q.mode === "sector") {
    const btt = r.bttSeed && r.bttSeed.registered ? r.bttSeed : null;
    if (!btt) return ENXIO;
    if (q.sectorSize === UINT_MAX) q.sectorSize = 4096;
    if ((rc = attempt(c, btt.name, "set_uuid", bttStore(k, btt, "uuid", uuid)))) return rc;
    if ((rc = attempt(c, btt.name, "set_sector_size", bttStore(k, btt, "sector_size", `${q.sectorSize}\n`)))) return rc;
    if ((rc = attempt(c, btt.name, "set_namespace", bttStore(k, btt, "namespace", ns.name)))) return rc;
    rc = 0;
    if (!btt.driver) {
      bindDev(c, btt);
      if (!btt.driver) {
        c.lib("ndctl_btt_enable", `${btt.name}: failed to enable\n`);
        rc = ENXIO;
      }
    }
  } else {
    rc = nsEnable(c, ns);
  }
  if (rc) {
    c.err.error(`${ns.name}: failed to enable\n`);
  } else {
    c.stdoutJson = namespaceJson(k, ns, { dax: true, daxDevs: true });
  }
  return rc;
}

/** region_get_namespace(): the idle namespace 0, else the seed. */
function regionGetNamespace(k: Kernel, r: NdRegion): NdNamespace | undefined {
  for (const ns of nsList(r)) if (ns.id === 0 && nsConfigIdle(k, ns)) return ns;
  return regionGetNamespaceSeed(r);
}

function namespaceCreate(c: Ctx, p: Params, r: NdRegion): number {
  const v = validateNamespaceOptions(c, p, r, null);
  if (v.rc) return v.rc;
  if (r.ro) return EAGAIN;
  const ns = regionGetNamespace(c.k, r);
  if (!ns || !nsConfigIdle(c.k, ns)) return EAGAIN;
  const rc = setupNamespace(c, p, r, ns, v.parsed!);
  if (rc && v.parsed!.autorecover) {
    setEnforceMode(c, ns, "raw");
    nsDelete(c, ns);
  }
  return rc;
}

/** namespace_prep_reconfig(): 0 (zeroed), 1 (skip), 2 (labelled), or a negative errno. */
function prepReconfig(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace): number {
  if (r.ro) {
    c.err.error(`${ns.name}: read-only, re-configuration disabled\n`);
    return ENXIO;
  }
  if (nsIsActive(c.k, ns) && !p.force) {
    c.err.error(`${ns.name} is active, specify --force for re-configuration\n`);
    return EBUSY;
  }
  let rc = nsDisableSafe(c, ns);
  if (rc) return rc;
  setEnforceMode(c, ns, "raw");
  rc = zeroInfoBlock(c, ns);
  if (rc < 0) return rc;
  const didZero = rc === 0;
  if (ns.nstype === "pmem") return 2;
  return didZero ? 0 : 1;
}

/** enable_labels(): switch a label-less NFIT region to labels (v1.2, v1.1 fallback). */
function enableLabels(c: Ctx, r: NdRegion): number {
  const k = c.k;
  if (r.mappings.length === 0) return ENODEV;
  // Every DIMM must have the label commands (a QEMU NVDIMM without label-size has none):
  // otherwise the region stays enabled and label-less.
  if (!r.mappings.every((m) => m.dimm.labelCmds)) return ENODEV;
  if (r.driver) ndDriverUnbind(k, r);
  let busy = 0;
  for (const m of r.mappings) {
    if (dimmActive(m.dimm)) {
      c.err.warning(`${m.dimm.name} is active in ${r.name}, failing autolabel\n`);
      busy++;
    }
  }
  if (!busy) {
    let v: "1.1" | "1.2" = "1.2";
    for (let retry = true; retry; ) {
      retry = false;
      for (const m of r.mappings) {
        const d = m.dimm;
        if (writeLabelIndex(k, d, v)) continue;
        const numLabels = labelSlots(d.labelArea.size, v === "1.2" ? 256 : 128);
        if (d.driver) ndDriverUnbind(k, d);
        bindDev(c, d);
        const avail = (dimmAvailableSlots(d) ?? -1) + 1;
        if (numLabels !== avail && v === "1.2") {
          v = "1.1";
          retry = true;
          break;
        }
      }
    }
  }
  if (!r.driver) {
    bindDev(c, r);
    if (!r.driver) c.lib("ndctl_region_enable", `${r.name}: failed to enable\n`);
  }
  if (regionNstype(r) !== ND_DEVICE.NAMESPACE_PMEM) {
    c.nerr(`${r.name}: failed to initialize labels\n`);
    return EBUSY;
  }
  return 0;
}

function namespaceReconfig(c: Ctx, p: Params, r: NdRegion, nsIn: NdNamespace): number {
  let ns: NdNamespace | undefined = nsIn;
  const v = validateNamespaceOptions(c, p, r, ns);
  if (v.rc) return v.rc;
  let rc = prepReconfig(c, p, r, ns);
  if (rc < 0) return rc;
  if (regionNstype(r) === ND_DEVICE.NAMESPACE_IO && v.parsed!.autolabel) {
    rc = enableLabels(c, r);
    if (rc !== ENODEV) ns = regionGetNamespace(c.k, r);
    if (!ns || (rc !== ENODEV && !nsConfigIdle(c.k, ns))) return ENODEV;
  }
  return setupNamespace(c, p, r, ns, v.parsed!);
}

function namespaceDestroy(c: Ctx, p: Params, r: NdRegion, ns: NdNamespace): number {
  let rc = prepReconfig(c, p, r, ns);
  if (rc < 0) return rc;
  if (rc === 2) rc = nsDelete(c, ns);
  return rc;
}

type NsAction = NamespaceAction;

/** do_xaction_namespace(). */
function doXactionNamespace(c: Ctx, p: Params, namespace: string | undefined, action: NsAction): { rc: number; processed: number } {
  let rc = ENXIO;
  let saved = 0;
  let processed = 0;
  if (!namespace && action !== "create") return { rc, processed };
  if (namespace === "all") rc = 0;
  c.cmdName = { create: "create namespace", destroy: "destroy namespace", enable: "enable namespace", disable: "disable namespace" }[action];
  for (const bus of ndBuses(c.k)) {
    if (!busFilter(bus, p.bus)) continue;
    for (const r of busRegions(c.k, bus)) {
      if (!regionFilter(r, p.region)) continue;
      if (p.type && p.type !== "pmem") continue;
      if (action === "create" && !namespace) {
        rc = namespaceCreate(c, p, r);
        if (rc === EAGAIN) continue;
        if (rc === 0) {
          processed++;
          if (p.greedy) continue;
        } else if (p.greedy && p.force) {
          saved = rc;
          continue;
        }
        return { rc, processed };
      }
      for (const ns of nsList(r)) {
        if (namespace === "all") {
          if (!ns.size && (!ns.uuid || ns.uuid === NULL_UUID)) continue;
        } else if (ns.name !== namespace) {
          continue;
        }
        switch (action) {
          case "disable":
            rc = nsDisableSafe(c, ns);
            if (rc === 0) processed++;
            break;
          case "enable":
            rc = nsEnable(c, ns);
            if (rc >= 0) {
              processed++;
              rc = 0;
            }
            break;
          case "destroy":
            rc = namespaceDestroy(c, p, r, ns);
            if (rc === 0) processed++;
            if (rc > 0) rc = 0;
            break;
          case "create":
            rc = namespaceReconfig(c, p, r, ns);
            if (rc === 0) processed = 1;
            return { rc, processed };
        }
      }
    }
  }
  if (action === "create" && rc === EAGAIN) rc = p.greedy && processed > 0 ? 0 : ENOSPC;
  if (saved) rc = saved;
  return { rc, processed };
}

export function cmdNamespace(k: Kernel, argv: string[], action: NsAction): ToolResult {
  const c = new Ctx(k);
  const table = NAMESPACE_TABLES[action];
  const po = parseCommand(argv, table);
  if ("error" in po) return usage(argv, c, table, po);
  const p = toParams(po.opts, argv.length === 1);
  let rc = action === "create" ? setDefaults(c, p) : 0;
  if (po.args.length === 0 && action !== "create") {
    c.err.error(`specify a namespace to ${action}, or "all"\n`);
    rc = EINVAL;
  }
  for (let i = action === "create" ? 0 : 1; i < po.args.length; i++) {
    c.err.error(`unknown extra parameter "${po.args[i]}"\n`);
    rc = EINVAL;
  }
  if (rc) return usage(argv, c, table);
  const namespace = action === "create" ? p.reconfig : po.args[0];
  let { rc: r, processed } = doXactionNamespace(c, p, namespace, action);
  if (action === "create") {
    if (r < 0 && processed < 1 && p.doScan) {
      const p2 = toParams({}, false);
      p2.type = "blk";
      setDefaults(c, p2);
      ({ rc: r, processed } = doXactionNamespace(c, p2, undefined, "create"));
    }
    if (p.greedy) c.err.write(`created ${processed} namespace${processed === 1 ? "" : "s"}\n`);
    if ((r < 0 || (!namespace && processed < 1)) && !c.errCount) {
      c.err.write(`failed to ${namespace ? "reconfigure" : "create"} namespace: ${strerror(r)}\n`);
      if (!namespace) r = ENODEV;
    }
  } else {
    const verb = { destroy: "destroying", enable: "enabling", disable: "disabling" }[action];
    if (r < 0 && !c.errCount) c.err.write(`error ${verb} namespaces: ${strerror(r)}\n`);
    const past = { destroy: "destroyed", enable: "enabled", disable: "disabled" }[action];
    c.err.write(`${past} ${processed} namespace${processed === 1 ? "" : "s"}\n`);
  }
  ndFlush(k);
  return result(argv, r, c);
}
