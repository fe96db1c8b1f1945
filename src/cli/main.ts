/**
 * memhp command line. Thin: parse arguments, call the library, print.
 * Exit codes: 0 ok, 1 findings or mismatches, 2 bad input (a located message,
 * no stack trace, no partial output files).
 */
import { Command, CommanderError } from "commander";
import { InputError } from "../errors.js";
import { registerConformance } from "./cmd-conformance.js";
import { registerRun } from "./cmd-run.js";
import { registerExamples } from "./cmd-examples.js";
import { registerExtraCommands } from "./commands.js";
import { registerCompare } from "./cmd-compare.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("memhp")
    .description("Linux memory hotplug, executable: a faithful model of the Linux 6.1 memory hotplug subsystem.")
    .version("0.1.0", "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();
  program.addHelpText(
    "after",
    `
Examples:
  memhp run example:dimm                      a DIMM plugged, onlined, offlined, unplugged
  memhp run scenario.yaml --trace out.json    run a scenario, write a trace in the oracle's format
  memhp conformance ../shared/conformance/traces/*.json
  memhp examples                              list the built-in examples
`,
  );
  registerRun(program);
  registerConformance(program);
  registerExamples(program);
  registerExtraCommands(program);
  registerCompare(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Commands report "findings" through process.exitCode; start each run clean (main may be called repeatedly in-process).
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return 2;
    }
    if (e instanceof InputError) {
      process.stderr.write(`memhp: ${e.format()}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`memhp: internal error: ${err.message}\n(this is a bug in memhp; set MEMHP_DEBUG=1 for the stack)\n`);
    if (process.env.MEMHP_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 3;
  }
}
