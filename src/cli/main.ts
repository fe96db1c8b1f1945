/**
 * memhp command line. Thin: parse arguments, call the library, print.
 * Exit codes: 0 ok, 1 findings or mismatches, 2 bad input (a located message,
 * no stack trace, no partial output files), 3 a bug in memhp.
 *
 * Startup is kept small: this module loads only commander and the command
 * table (commands.ts); the module of the command being run is imported when
 * it runs. bin/memhp.js loads the esbuild bundle of this file.
 */
import { Command, CommanderError } from "commander";
import { InputError } from "../errors.js";
import { COMMANDS, findCommand } from "./commands.js";
import { installExitHandlers } from "./io.js";

const HELP_AFTER = `
Examples:
  memhp run example:dimm                      a DIMM plugged, onlined, offlined, unplugged
  memhp run scenario.yaml --trace out.json    run a scenario, write a trace in the oracle's format
  memhp conformance ../shared/conformance/traces/*.json
  memhp lsmem --sysroot dump.tar.bz2          util-linux lsmem on a dump of a real machine
  memhp explain memory32 trace.json@3         why block 32 can or cannot go offline after step 3
  memhp examples                              list the built-in examples

Steps are numbered from 1: "step 1" is a scenario's first step, FILE@N is the
state after step N, FILE@0 the boot state.
Exit codes: 0 ok, 1 findings or mismatches, 2 bad input, 3 a bug in memhp
(lsmem and chmem keep util-linux's own exit codes).
`;

function baseProgram(): Command {
  const program = new Command();
  program
    .name("memhp")
    .description("Linux memory hotplug, executable: a faithful model of the Linux memory hotplug subsystem (5.10, 6.1, 6.12 and 7.2, x86_64 and arm64).")
    .version("0.1.0", "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();
  program.addHelpText("after", HELP_AFTER);
  return program;
}

/**
 * The program for `argv`: with the named command's full definition when argv
 * names one (`memhp CMD …`, `memhp help CMD`), else with every command as a
 * summary line (for `memhp --help` and "unknown command" suggestions).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = baseProgram();
  const name = argv[0] === "help" ? argv[1] : argv[0];
  const entry = name === undefined ? undefined : findCommand(name);
  if (entry) {
    (await entry.load())(program);
    return program;
  }
  for (const c of COMMANDS) program.command(c.name).description(c.summary).helpOption(false).allowUnknownOption().allowExcessArguments();
  return program;
}

/** Every command fully defined (for tests that walk all of them). */
export async function buildFullProgram(): Promise<Command> {
  const program = baseProgram();
  const loaded = new Set<unknown>();
  for (const c of COMMANDS) {
    const register = await c.load();
    if (loaded.has(register)) continue; // one module may register several commands (lsmem, chmem)
    loaded.add(register);
    register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // Commands report "findings" through process.exitCode; start each run clean (main may be called repeatedly in-process).
  process.exitCode = undefined;
  try {
    const program = await buildProgram(argv);
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
    process.stderr.write(`memhp: internal error: ${err?.message ?? String(e)}\n(this is a bug in memhp; set MEMHP_DEBUG=1 for the stack)\n`);
    if (process.env.MEMHP_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 3;
  }
}

/** The executable: quiet on a closed pipe, temporary files removed on signals, output flushed before exit. */
export async function runAsProgram(argv: string[]): Promise<void> {
  installExitHandlers();
  const code = await main(argv);
  process.exitCode = code;
}
