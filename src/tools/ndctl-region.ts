/** enable-region, disable-region. Models ndctl/region.c. */
import type { Kernel } from "../kernel/kernel.js";
import { ndDriverUnbind, ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { parseCommand, type ToolResult } from "./tool-util.js";
import { REGION_TABLES } from "./ndctl-options.js";
import { bindDev, busRegions, Ctx, EBUSY, ENXIO, ndBuses, nsDisableSafe, nsList, result, usage } from "./ndctl-lib.js";
import { busFilter, regionFilter } from "./ndctl-filter.js";
import { regionEnabled } from "./ndctl-json.js";

export function cmdRegion(k: Kernel, argv: string[], action: "enable" | "disable"): ToolResult {
  const c = new Ctx(k);
  const table = REGION_TABLES[action];
  const po = parseCommand(argv, table);
  if ("error" in po) return usage(argv, c, table, po);
  if (po.args.length === 0) c.err.error('specify a specific region id to act on, or "all"\n');
  for (let i = 1; i < po.args.length; i++) c.err.error(`unknown extra parameter "${po.args[i]}"\n`);
  if (po.args.length !== 1) return usage(argv, c, table);
  const type = typeof po.opts.type === "string" ? po.opts.type : undefined;
  if (type && type !== "pmem" && type !== "blk") {
    c.err.error(`unknown region type '${type}', should be 'pmem' or 'blk'\n`);
    return usage(argv, c, table);
  }
  let success = 0;
  for (const bus of ndBuses(k)) {
    if (!busFilter(bus, typeof po.opts.bus === "string" ? po.opts.bus : undefined)) continue;
    for (const r of busRegions(k, bus)) {
      if (type && type !== "pmem") continue;
      if (!regionFilter(r, po.args[0])) continue;
      let rc = 0;
      if (action === "enable") {
        if (!regionEnabled(k, r)) {
          bindDev(c, r);
          if (!regionEnabled(k, r)) {
            c.lib("ndctl_region_enable", `${r.name}: failed to enable\n`);
            rc = ENXIO;
          }
        }
      } else {
        for (const ns of nsList(r)) {
          rc = nsDisableSafe(c, ns);
          if (rc) break;
        }
        if (!rc && regionEnabled(k, r)) {
          ndDriverUnbind(k, r);
          if (regionEnabled(k, r)) {
            c.lib("ndctl_region_disable", `${r.name}: failed to disable\n`);
            rc = EBUSY;
          }
        }
      }
      if (rc === 0) success++;
    }
  }
  const past = action === "enable" ? "enabled" : "disabled";
  c.err.write(success === 0 ? `${past} 0 regions\n` : `${past} ${success} region${success > 1 ? "s" : ""}\n`);
  ndFlush(k);
  return result(argv, 0, c);
}
