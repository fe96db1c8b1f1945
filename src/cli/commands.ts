/** Commands beyond run/conformance/examples (lsmem, chmem, import, export-sysfs, explain, lint, compare). */
import type { Command } from "commander";

export function registerExtraCommands(_program: Command): void {}
