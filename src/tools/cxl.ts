/**
 * cxl-cli 76 (ndctl's `cxl` tool) against the model: `list` (cxl-list.ts)
 * and the region commands `create-region`, `enable-region`,
 * `disable-region`, `destroy-region` (cxl-region-cmd.ts).
 */
import type { Kernel } from "../kernel/kernel.js";
import { cxlState } from "../kernel/drivers/cxl-core.js";
import { cxlList } from "./cxl-list.js";
import { regionCommand, type RegionAction } from "./cxl-region-cmd.js";
import { Stderr, type ToolResult } from "./tool-util.js";

function result(argv: string[], rc: number, err: Stderr): ToolResult {
  return { argv: ["cxl", ...argv], rc, stderr: err.lines() };
}

/** Run `cxl <argv…>` against the kernel model. */
export function cxl(k: Kernel, argv: string[]): ToolResult {
  const st = cxlState(k);
  const err = new Stderr();
  if (!st) {
    err.write("cxl: no CXL bus (the machine has no machine.cxl)\n");
    return result(argv, 1, err);
  }
  // main_handle_internal_command(): "cxl <cmd> --help" runs "cxl help <cmd>", the man page.
  if (argv.length > 1 && argv[1] === "--help") return { argv: ["cxl", ...argv], rc: 1, stderr: [], unsupported: `cxl ${argv[0]} --help (cxl help ${argv[0]}: the man page) is not modelled` };
  switch (argv[0]) {
    case "list": {
      const r = cxlList(st, argv.slice(1));
      if ("unsupported" in r) return { argv: ["cxl", ...argv], rc: 1, stderr: [], unsupported: r.unsupported };
      return { argv: ["cxl", ...argv], rc: r.rc, stderr: r.stderr, ...(r.json !== undefined ? { stdout_json: r.json } : {}) };
    }
    case "create-region":
    case "enable-region":
    case "disable-region":
    case "destroy-region":
      return regionCommand(k, st, argv, argv[0].split("-")[0] as RegionAction);
  }
  err.write(`cxl: '${argv[0] ?? ""}' is not a cxl command. See 'cxl --help'.\n`);
  return result(argv, 1, err);
}
