/** init-labels, zero-labels, enable-dimm, disable-dimm. Models ndctl/dimm.c. */
import type { Kernel } from "../kernel/kernel.js";
import { dimmActive } from "../kernel/drivers/nvdimm-dimm.js";
import { writeLabelIndex, zeroLabelArea } from "../kernel/drivers/nvdimm-label.js";
import { ndDriverUnbind, ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import type { NdDimm } from "../kernel/drivers/nvdimm-core.js";
import { neg, parseCommand, type ToolResult } from "./tool-util.js";
import { type DimmAction, DIMM_TABLES } from "./ndctl-options.js";
import { bindDev, busDimms, Ctx, EBUSY, EINVAL, ENXIO, ndBuses, result, usage } from "./ndctl-lib.js";
import { busFilter, dimmFilter } from "./ndctl-filter.js";

export function cmdDimm(k: Kernel, argv: string[], action: DimmAction): ToolResult {
  const c = new Ctx(k);
  const table = DIMM_TABLES[action];
  const po = parseCommand(argv, table);
  if ("error" in po) return usage(argv, c, table, po);
  if (po.args.length === 0) return usage(argv, c, table);
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
  if (bad === args.length) return usage(argv, c, table);
  // zero-labels -s/-O: ndctl_dimm_zero_label_extent() of a part of the label area; (0, 0) is all of it.
  if (po.opts.len || po.opts.offset) return { argv: ["ndctl", ...argv], rc: 1, stderr: [], unsupported: "ndctl zero-labels -s/-O (zeroing a part of the label area) is not modelled" };
  const lv = typeof po.opts.labelversion === "string" ? po.opts.labelversion : "1.1";
  const version = lv === "1.1" || lv === "v1.1" ? "1.1" : lv === "1.2" || lv === "v1.2" ? "1.2" : null;
  if (!version) {
    c.err.write(`'${lv}' is not a valid label version\n`);
    return summary(argv, c, action, EINVAL);
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
  ndFlush(k);
  return summary(argv, c, action, count > 0 ? count : firstErr);
}

/** cmd_*(): how many nmems the action succeeded on (a negative errno when none did), exit 1 (EXIT_FAILURE) then. */
function summary(argv: string[], c: Ctx, action: DimmAction, n: number): ToolResult {
  const past = { "init-labels": "initialized", "zero-labels": "zeroed", "enable-dimm": "enabled", "disable-dimm": "disabled" }[action];
  c.err.write(`${past} ${n >= 0 ? n : 0} nmem${n > 1 ? "s" : ""}\n`);
  return result(argv, n >= 0 ? 0 : 1, c);
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
