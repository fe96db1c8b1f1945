/**
 * The command table: every `memhp` command, its one-line summary, and how to
 * load it. Only the command being run is loaded (a dynamic import, one chunk
 * of the bundle per command), so `memhp --help` and `memhp lsmem` do not pay
 * for the model, the scenario schema or the YAML parser.
 *
 * To add a command: write src/cli/cmd-NAME.ts exporting a function that
 * registers it on a commander `Command` (see cmd-examples.ts), and add one
 * line here. Keep module-level work in cmd-NAME.ts cheap; import heavy
 * modules inside the action (`await import(...)`) when only some uses need them.
 */
import type { Command } from "commander";

export interface CommandEntry {
  name: string;
  /** Shown by `memhp --help`; the command's own --help may say more. */
  summary: string;
  /** Loads the module and returns its register function. */
  load: () => Promise<(program: Command) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: "run", summary: "run a scenario on the model and print what the kernel does, step by step", load: async () => (await import("./cmd-run.js")).registerRun },
  { name: "conformance", summary: "run real-kernel traces on the model and compare everything that must match", load: async () => (await import("./cmd-conformance.js")).registerConformance },
  { name: "examples", summary: "list the built-in example scenarios (use them as example:NAME)", load: async () => (await import("./cmd-examples.js")).registerExamples },
  { name: "lsmem", summary: "util-linux lsmem on a sysroot (--sysroot DIR|TARBALL) or on a model state (FILE[@N])", load: async () => (await import("./cmd-util-linux.js")).registerUtilLinux },
  { name: "chmem", summary: "util-linux chmem on a model state (FILE[@N], through the model's sysfs) or a sysroot directory", load: async () => (await import("./cmd-util-linux.js")).registerUtilLinux },
  { name: "import", summary: "read a machine (a sysfs dump, a tarball of one, or the running machine) into a machine file", load: async () => (await import("./cmd-import.js")).registerImport },
  { name: "export-sysfs", summary: "write a model state as a sysroot that real tools (lsmem --sysroot) can read", load: async () => (await import("./cmd-export.js")).registerExportSysfs },
  { name: "explain", summary: "why a block can or cannot go offline / online / movable / be removed, or a range be hot-added", load: async () => (await import("./cmd-explain.js")).registerExplain },
  { name: "lint", summary: "layout problems of a machine: shared sections, wasted space, DIMMs the block size cannot take", load: async () => (await import("./cmd-lint.js")).registerLint },
  { name: "schema", summary: "print the JSON Schema of scenario files, machine files or traces", load: async () => (await import("./cmd-schema.js")).registerSchema },
  { name: "serve", summary: "the address map in a browser: a local web page (127.0.0.1 only) that runs the model", load: async () => (await import("./cmd-serve.js")).registerServe },
  { name: "kernels", summary: "the kernel profiles (5.2 what-if, 5.10, 6.1, 6.12, 7.2): configurations, verification status, rules", load: async () => (await import("./cmd-kernels.js")).registerKernels },
  { name: "compare", summary: "run a scenario under several kernel profiles and memory-block designs, side by side", load: async () => (await import("./cmd-compare.js")).registerCompare },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
