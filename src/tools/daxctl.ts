import type { Kernel } from "../kernel/kernel.js";
import { runCommand, type Command, type ToolResult } from "./tool-util.js";
import { cmdDevice } from "./daxctl-device.js";
import { cmdList } from "./daxctl-list.js";

const COMMANDS: Readonly<Record<string, Command>> = {
  "reconfigure-device": (k, argv) => cmdDevice(k, argv, "reconfigure"),
  "online-memory": (k, argv) => cmdDevice(k, argv, "online"),
  "offline-memory": (k, argv) => cmdDevice(k, argv, "offline"),
  "enable-device": (k, argv) => cmdDevice(k, argv, "enable"),
  "disable-device": (k, argv) => cmdDevice(k, argv, "disable"),
  list: cmdList,
};

/** Run `daxctl <argv…>` against the kernel model. */
export function daxctl(k: Kernel, argv: string[]): ToolResult {
  return runCommand(k, "daxctl", argv, COMMANDS);
}
