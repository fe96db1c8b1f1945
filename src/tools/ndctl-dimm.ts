/** init-labels, zero-labels, enable-dimm, disable-dimm. Models ndctl/dimm.c. */
import type { Kernel } from "../kernel/kernel.js";
import { dimmActive } from "../kernel/drivers/nvdimm-dimm.js";
import { writeLabelIndex, zeroLabelArea } from "../kernel/drivers/nvdimm-label.js";
import { ndDriverUnbind, ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import type { NdDimm } from "../kernel/drivers/nvdimm-core.js";
import { neg, parseOptions, type ToolResult } from "./tool-util.js";
import { bindDev, busDimms, Ctx, EBUSY, EINVAL, ENXIO, ndBuses, result, usage } from "./ndctl-lib.js";
import { busFilter, dimmFilter } from "./ndctl-filter.js";

export function cmdDimm(k: Kernel, argv: string[], action: "init-labels" | "zero-labels" | "enable-dimm" | "disable-dimm"): ToolResult {
  const c = new Ctx(k);
  const po = parseOptions(argv.slice(1), [
    { short: "b", long: "bus", type: "string", key: "bus" },
    { short: "v", long: "verbose", type: "bool", key: "verbose" },
    { short: "f", long: "force", type: "bool", key: "force" },
    { short: "V", long: "label-version", type: "string", key: "labelversion" },
  ]);
  const text = `ndctl ${action} <nmem0> [<nmem1>..<nmemN>] [<options>]`;
  if ("error" in po || po.args.length === 0) {
    if ("error" in po) c.err.error(`${po.error}\n`);
    return usage(argv, c, text);
  }
  let args = po.args;
  let bad = 0;
  for (const a of args) {
    if (a === "all") {
      args = ["all"];
      break;
    }
    if (!/^nmem\d+/.test(a)) {
      c.err.write(`'${a}' is not a valid dimm name\n`);
      bad++;
    }
  }
  if (bad === args.length) return usage(argv, c, text);
  const lv = typeof po.opts.labelversion === "string" ? po.opts.labelversion : "1.1";
  const version = lv === "1.1" || lv === "v1.1" ? "1.1" : lv === "1.2" || lv === "v1.2" ? "1.2" : null;
  if (!version) {
    c.err.write(`'${lv}' is not a valid label version\n`);
    return result(argv, action === "init-labels" || action === "zero-labels" ? 1 : EINVAL, c);
  }
  let count = 0;
  let firstErr = 0;
  for (const a of args) {
    if (!/^nmem\d+/.test(a) && a !== "all") continue;
    for (const bus of ndBuses(k)) {
      if (!busFilter(bus, typeof po.opts.bus === "string" ? po.opts.bus : undefined)) continue;
      for (const d of busDimms(k, bus)) {
        if (!dimmFilter(d, a === "all" ? undefined : a)) continue;
        const rc = dimmAction(c, d, action, version, po.opts.force === true);
        if (rc === 0) count++;
        else if (!firstErr) firstErr = rc;
      }
    }
  }
  const n = count > 0 ? count : firstErr;
  ndFlush(k);
  switch (action) {
    case "init-labels":
      c.err.write(`initialized ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
      return result(argv, n >= 0 ? 0 : 1, c);
    case "zero-labels":
      c.err.write(`zeroed ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
      return result(argv, n >= 0 ? 0 : 1, c);
    case "enable-dimm":
    case "disable-dimm":
      c.err.write(`${action === "enable-dimm" ? "enabled" : "disabled"} ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
      return result(argv, n >= 0 ? 0 : 1, c);
  }
}

function dimmAction(c: Ctx, d: NdDimm, action: string, version: "1.1" | "1.2", force: boolean): number {
  const k = c.k;
  const disable = (): number => {
    if (!d.driver) return 0;
    ndDriverUnbind(k, d);
    if (d.driver) {
      c.lib("ndctl_dimm_disable", `${d.name}: failed to disable\n`);
      return EBUSY;
    }
    return 0;
  };
  const enable = (): number => {
    if (d.driver) return 0;
    bindDev(c, d);
    if (!d.driver) {
      c.lib("ndctl_dimm_enable", `${d.name}: failed to enable\n`);
      return ENXIO;
    }
    return 0;
  };
  switch (action) {
    case "disable-dimm":
      if (dimmActive(d)) {
        c.err.write(`${d.name} is active, skipping...\n`);
        return EBUSY;
      }
      return disable();
    case "enable-dimm":
      return enable();
    case "init-labels":
    case "zero-labels": {
      // A DIMM without the label commands: init-labels' first label read fails (before any other
      // check); zero-labels checks the DIMM is idle first (ndctl/dimm.c, lib/dimm.c).
      if (!d.labelCmds && action === "init-labels") return ENXIO;
      if (dimmActive(d)) {
        c.err.write(`${d.name}: regions active, abort label write\n`);
        return EBUSY;
      }
      if (!d.labelCmds) return EINVAL;
      if (action === "init-labels") {
        if (d.labelArea.index && !force) {
          c.err.write(`${d.name}: error: labels already initialized\n`);
          return EBUSY;
        }
        const e = writeLabelIndex(k, d, version);
        if (e) return neg(e);
      } else {
        const e = zeroLabelArea(d);
        if (e) return neg(e);
      }
      if (!d.driver) return 0;
      const rc = disable();
      if (rc) return rc;
      return enable();
    }
  }
  return EINVAL;
}
