import type { Kernel } from "../kernel/kernel.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { runCommand, type Command, type ToolResult } from "./tool-util.js";
import { cmdDimm } from "./ndctl-dimm.js";
import { cmdList } from "./ndctl-list.js";
import { cmdNamespace } from "./ndctl-namespace.js";
import { cmdRegion } from "./ndctl-region.js";

const COMMANDS: Readonly<Record<string, Command>> = {
  "create-namespace": (k, argv) => cmdNamespace(k, argv, "create"),
  "destroy-namespace": (k, argv) => cmdNamespace(k, argv, "destroy"),
  "enable-namespace": (k, argv) => cmdNamespace(k, argv, "enable"),
  "disable-namespace": (k, argv) => cmdNamespace(k, argv, "disable"),
  "enable-region": (k, argv) => cmdRegion(k, argv, "enable"),
  "disable-region": (k, argv) => cmdRegion(k, argv, "disable"),
  "init-labels": (k, argv) => cmdDimm(k, argv, "init-labels"),
  "zero-labels": (k, argv) => cmdDimm(k, argv, "zero-labels"),
  "enable-dimm": (k, argv) => cmdDimm(k, argv, "enable-dimm"),
  "disable-dimm": (k, argv) => cmdDimm(k, argv, "disable-dimm"),
  list: cmdList,
};

/** Run `ndctl <argv…>` against the kernel model. */
export function ndctl(k: Kernel, argv: string[]): ToolResult {
  ndFlush(k);
  return runCommand(k, "ndctl", argv, COMMANDS);
}
