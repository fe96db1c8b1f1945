/**
 * lsmem's command line as each util-linux release has it: the long options
 * (their order shows in getopt_long's "ambiguous" message) and --help.
 * Pure (browser-safe).
 */
import { NO_ARG, OPTIONAL_ARG, REQUIRED_ARG, type LongOption } from "./util-linux/getopt.js";
import { usageHelpOptions } from "./util-linux/program.js";
import type { ColDesc } from "./lsmem-info.js";
import type { LsmemRules } from "./lsmem-release.js";

export const OPT_SUMMARY = 128,
  OPT_OUTPUT_ALL = 129,
  OPT_ANNOTATE = 130;

export const ch = (s: string) => s.charCodeAt(0);

export const LSMEM_OPTSTRING = "abhJno:PrS:s:V";

/** 2.43-devel: sorted, with --annotate. */
const LONGOPTS_NEW: LongOption[] = [
  { name: "all", hasArg: NO_ARG, val: ch("a") },
  { name: "annotate", hasArg: OPTIONAL_ARG, val: OPT_ANNOTATE },
  { name: "bytes", hasArg: NO_ARG, val: ch("b") },
  { name: "help", hasArg: NO_ARG, val: ch("h") },
  { name: "json", hasArg: NO_ARG, val: ch("J") },
  { name: "noheadings", hasArg: NO_ARG, val: ch("n") },
  { name: "output", hasArg: REQUIRED_ARG, val: ch("o") },
  { name: "output-all", hasArg: NO_ARG, val: OPT_OUTPUT_ALL },
  { name: "pairs", hasArg: NO_ARG, val: ch("P") },
  { name: "raw", hasArg: NO_ARG, val: ch("r") },
  { name: "split", hasArg: REQUIRED_ARG, val: ch("S") },
  { name: "summary", hasArg: OPTIONAL_ARG, val: OPT_SUMMARY },
  { name: "sysroot", hasArg: REQUIRED_ARG, val: ch("s") },
  { name: "version", hasArg: NO_ARG, val: ch("V") },
];

/** 2.38 to 2.42: --summary last, no --annotate. */
const LONGOPTS_OLD: LongOption[] = [
  ...["all", "bytes", "help", "json", "noheadings", "output", "output-all", "pairs", "raw", "sysroot", "split", "version", "summary"].map(
    (name) => LONGOPTS_NEW.find((o) => o.name === name)!,
  ),
];

export function lsmemLongopts(rules: LsmemRules): LongOption[] {
  return rules.annotate ? LONGOPTS_NEW : LONGOPTS_OLD;
}

const HELP_NEW = [
  " -a, --all                 list each individual memory block",
  "     --annotate[=<when>]   annotate columns with a tooltip (always|never|auto)",
  " -b, --bytes               print SIZE in bytes, not in human readable format",
  " -J, --json                use JSON output format",
  " -n, --noheadings          don't print headings",
  " -o, --output <list>       output columns",
  "     --output-all          output all columns",
  ' -P, --pairs               use key="value" output format',
  " -r, --raw                 use raw output format",
  " -S, --split <list>        split ranges by specified columns",
  " -s, --sysroot <dir>       use the specified directory as system root",
  "     --summary[=<when>]    print summary information (always|never|only)",
];

const HELP_OLD = [
  " -J, --json           use JSON output format",
  ' -P, --pairs          use key="value" output format',
  " -a, --all            list each individual memory block",
  " -b, --bytes          print SIZE in bytes rather than in human readable format",
  " -n, --noheadings     don't print headings",
  " -o, --output <list>  output columns",
  "     --output-all     output all columns",
  " -r, --raw            use raw output format",
  " -S, --split <list>   split ranges by specified columns",
  " -s, --sysroot <dir>  use the specified directory as system root",
  "     --summary[=when] print summary information (never,always or only)",
];

/** usage() */
export function lsmemUsage(rules: LsmemRules, columns: readonly ColDesc[]): string {
  let o = "\nUsage:\n lsmem [options]\n\n";
  o += "List the ranges of available memory with their online status.\n";
  o += "\nOptions:\n";
  for (const l of rules.annotate ? HELP_NEW : HELP_OLD) o += `${l}\n`;
  o += "\n";
  o += usageHelpOptions(rules.annotate ? 27 : 22);
  o += "\nAvailable output columns:\n";
  for (const c of columns) o += ` ${c.name.padStart(10)}  ${c.help}\n`;
  o += "\nFor more details see lsmem(1).\n";
  return o;
}
