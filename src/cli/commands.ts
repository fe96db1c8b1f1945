/** Commands beyond run/conformance/examples: lsmem, chmem, import, export-sysfs, explain, lint. */
import type { Command } from "commander";
import { registerExplain } from "./cmd-explain.js";
import { registerExportSysfs } from "./cmd-export.js";
import { registerImport } from "./cmd-import.js";
import { registerLint } from "./cmd-lint.js";
import { registerSchema } from "./cmd-schema.js";
import { registerUtilLinux } from "./cmd-util-linux.js";
import { registerServe } from "./cmd-serve.js";

export function registerExtraCommands(program: Command): void {
  registerUtilLinux(program);
  registerImport(program);
  registerExportSysfs(program);
  registerExplain(program);
  registerLint(program);
  registerSchema(program);
  registerServe(program);
}
