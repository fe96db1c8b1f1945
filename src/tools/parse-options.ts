/**
 * util/parse-options.c of ndctl v76.1, shared by ndctl, daxctl and cxl: the
 * option tables (OptSpec), parse_options() (short and long options, bundled
 * short flags, `--opt=value`, unique abbreviations of long options, `--no-`
 * negation, the check for a long option written with one dash), and the
 * two usage texts: usage_with_options() (the usage lines and the whole
 * table) and parse_options_usage() (the usage lines and the one option a
 * bad value was given to).
 */
import { cStrtoimax, cStrtoumax } from "./c-strto.js";

/**
 * One entry of an option table. The type is the OPT_* macro: "string"
 * OPT_STRING, "filename" OPT_FILENAME, "bool" OPT_BOOLEAN, "incr" OPT_INCR,
 * "int" OPT_INTEGER, "uint" OPT_UINTEGER, "long" OPT_LONG, "u64" OPT_U64.
 */
export interface OptSpec {
  short?: string;
  long: string;
  type: "string" | "filename" | "bool" | "incr" | "int" | "uint" | "long" | "u64";
  key: string;
  /** The help line usage_with_options() prints. */
  help?: string;
  /** A string option's argument name, printed as "<argh>" (" ..." when there is none). */
  argh?: string;
  /** PARSE_OPT_OPTARG: the value may be left out (it is then `defval`); printed "[=<argh>]". */
  optarg?: boolean;
  defval?: string;
  /** PARSE_OPT_HIDDEN: only --help-all lists it. */
  hidden?: boolean;
}

/** OPT_GROUP(): a blank line, then the header when it is not empty. */
export interface OptGroup {
  group: string;
}

export type OptEntry = OptSpec | OptGroup;

/** A command's `const char * const u[]` and its option table. */
export interface OptionTable {
  /** The usage lines: the first after "usage:", the following non-empty ones after "or:", then after an empty one, free lines. */
  usage: string | readonly string[];
  options: readonly OptEntry[];
}

function isSpec(e: OptEntry): e is OptSpec {
  return !("group" in e);
}

function takesValue(o: OptSpec): boolean {
  return o.type !== "bool" && o.type !== "incr";
}

export type OptValue = string | boolean | number | undefined;

/**
 * Why parse_options() stopped. "unknown": an option not in the table
 * (error, then usage_with_options()). "option": a bad value or an ambiguous
 * abbreviation (error, then parse_options_usage() for the word `optstr`).
 * "typo": a long option written with one dash (the error alone). "help":
 * -h, --help or --help-all (usage_with_options(), no error). "list": the
 * completion helpers --list-opts and --list-cmds (names on stdout, exit 130).
 * All end the command with exit status 129 except "list".
 */
export type ParseFailure =
  | { error: string; kind: "unknown" | "typo" }
  | { error: string; kind: "option"; optstr: string; short: boolean }
  | { error: ""; kind: "help"; full: boolean }
  | { error: ""; kind: "list"; what: string };

export type ParsedOpts = { opts: Record<string, OptValue>; args: string[] } | ParseFailure;

export interface ParseFlags {
  /**
   * parse_options_step()'s own words: -h, --help, --help-all, --list-opts
   * and --list-cmds (every ndctl, daxctl and cxl command has them). Without
   * it they are unknown options.
   */
  builtins?: boolean;
}

/** What parse_long_opt() found for a word: the option, whether negated ("--no-…"), and the value after "=". */
type LongMatch = { spec: OptSpec; unset: boolean; inline: string | null };

function skipPrefix(s: string, prefix: string): string | null {
  return s.startsWith(prefix) ? s.slice(prefix.length) : null;
}

/**
 * parse_long_opt(): an exact name (or a "no-" name without its "no-"), else
 * the one option the word abbreviates; two candidates are ambiguous.
 */
function matchLong(arg: string, specs: readonly OptSpec[]): LongMatch | ParseFailure | null {
  const eq = arg.indexOf("=");
  const nameLen = eq < 0 ? arg.length : eq;
  let abbrev: { spec: OptSpec; unset: boolean } | null = null;
  let ambiguous: { spec: OptSpec; unset: boolean } | null = null;
  let abbrevInline: string | null = null;
  for (const o of specs) {
    let unset = false;
    let rest = skipPrefix(arg, o.long);
    let abbreviated = false;
    if (rest === null) {
      if (o.long.startsWith("no-")) {
        // "--foo" is the negation of an option named "no-foo".
        rest = skipPrefix(arg, o.long.slice(3));
        if (rest !== null) unset = true;
        else if (o.long.slice(3).startsWith(arg)) unset = abbreviated = true;
      }
      if (rest === null && !abbreviated) {
        if (o.long.length >= nameLen && o.long.slice(0, nameLen) === arg.slice(0, nameLen)) abbreviated = true;
        else if ("no-".startsWith(arg)) unset = abbreviated = true;
        else if (!arg.startsWith("no-")) continue;
        else {
          unset = true;
          rest = skipPrefix(arg.slice(3), o.long);
          if (rest === null) {
            if (!o.long.startsWith(arg.slice(3))) continue;
            abbreviated = true;
          }
        }
      }
    }
    if (abbreviated) {
      if (abbrev) ambiguous = abbrev;
      if (!unset && eq >= 0) abbrevInline = arg.slice(eq + 1);
      abbrev = { spec: o, unset };
      continue;
    }
    if (rest === null) continue;
    if (rest !== "" && rest[0] !== "=") continue;
    return { spec: o, unset, inline: rest === "" ? null : rest.slice(1) };
  }
  if (ambiguous && abbrev) {
    const no = (u: boolean): string => (u ? "no-" : "");
    return { error: `Ambiguous option: ${arg} (could be --${no(ambiguous.unset)}${ambiguous.spec.long} or --${no(abbrev.unset)}${abbrev.spec.long})`, kind: "option", optstr: arg, short: false };
  }
  if (abbrev) return { spec: abbrev.spec, unset: abbrev.unset, inline: abbrevInline };
  return null;
}

/** check_typos(): a bundle of short flags that spells (the start of) a long option, or starts with "no-". */
function typo(word: string, specs: readonly OptSpec[]): ParseFailure | null {
  if (word.length < 3) return null;
  if (word.startsWith("no-") || specs.some((o) => o.long.startsWith(word))) return { error: `did you mean \`--${word}\` (with two dashes ?)`, kind: "typo" };
  return null;
}

/** A number option's word: strtol()/strtoull() in base 10 that must read all of it, kept as the C type keeps it. */
function numberValue(o: OptSpec, v: string): number | null {
  if (o.type === "u64") {
    const r = cStrtoumax(v, 10);
    return r.end === v.length ? Number(r.value) : null;
  }
  const r = cStrtoimax(v, 10);
  if (r.end !== v.length) return null;
  if (o.type === "int") return Number(BigInt.asIntN(32, r.value));
  if (o.type === "uint") return Number(BigInt.asUintN(32, r.value));
  return Number(r.value);
}

/** parse_options(): options may come anywhere before `--`; the rest are arguments. */
export function parseOptions(argv: readonly string[], entries: readonly OptEntry[], flags: ParseFlags = {}): ParsedOpts {
  const specs = entries.filter(isSpec);
  const opts: Record<string, OptValue> = {};
  const args: string[] = [];
  let i = 0;
  // get_value(): store one option (negated with `unset`); `inline` is the value written with it, if any;
  // `optstr` is the word (after "--", or from the failing letter on) a failure's usage text looks up.
  const getValue = (o: OptSpec, unset: boolean, inline: string | null, short: boolean, optstr: string): ParseFailure | null => {
    const name = short ? `switch \`${o.short}'` : unset ? `option \`no-${o.long}'` : `option \`${o.long}'`;
    const fail = (reason: string): ParseFailure => ({ error: `${name} ${reason}`, kind: "option", optstr, short });
    if (inline !== null && (unset || (!short && !takesValue(o)))) return fail("takes no value");
    if (!takesValue(o)) {
      if (o.type === "incr") opts[o.key] = unset ? 0 : ((opts[o.key] as number | undefined) ?? 0) + 1;
      else opts[o.key] = !unset;
      return null;
    }
    const numeric = o.type !== "string" && o.type !== "filename";
    if (unset) {
      opts[o.key] = numeric ? 0 : undefined;
      return null;
    }
    let v: string;
    if (o.optarg && inline === null) v = o.defval ?? "";
    else if (inline !== null) v = inline;
    else if (i + 1 < argv.length) v = argv[++i];
    else return fail("requires a value");
    if (!numeric) {
      opts[o.key] = v;
      return null;
    }
    const n = numberValue(o, v);
    if (n === null) return fail("expects a numerical value");
    opts[o.key] = n;
    return null;
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a[0] !== "-" || a.length === 1) {
      args.push(a);
      continue;
    }
    if (a[1] !== "-") {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (flags.builtins && c === "h") return { error: "", kind: "help", full: false };
        const o = specs.find((s) => s.short === c);
        if (!o) return { error: `unknown switch \`${c}'`, kind: "unknown" };
        const rest = a.slice(j + 1);
        const bad = getValue(o, false, takesValue(o) && rest ? rest : null, true, a.slice(j));
        if (bad) return bad;
        if (takesValue(o)) break;
        if (j === 1 && rest) {
          const t = typo(a.slice(1), specs);
          if (t) return t;
        }
      }
      continue;
    }
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    const arg = a.slice(2);
    if (flags.builtins && (arg === "help" || arg === "help-all")) return { error: "", kind: "help", full: arg === "help-all" };
    if (flags.builtins && (arg === "list-opts" || arg === "list-cmds")) return { error: "", kind: "list", what: a };
    const m = matchLong(arg, specs);
    if (m === null) return { error: `unknown option \`${arg}'`, kind: "unknown" };
    if ("error" in m) return m;
    const bad = getValue(m.spec, m.unset, m.inline, false, arg);
    if (bad) return bad;
  }
  return { opts, args };
}

/** A command's parse_options(): argv[0] is its name; -h, --help, --help-all, --list-opts and --list-cmds are the parser's own. */
export function parseCommand(argv: readonly string[], t: OptionTable): ParsedOpts {
  return parseOptions(argv.slice(1), t.options, { builtins: true });
}

const USAGE_OPTS_WIDTH = 24;
const USAGE_GAP = 2;

/** print_option_help(): "    -x, --long <argh>", then the help at column 26 (on a line of its own when the option is wider than 24). */
function optionHelp(e: OptEntry, full: boolean): string {
  if (!isSpec(e)) return "\n" + (e.group ? `${e.group}\n` : "");
  if (e.hidden && !full) return "";
  let line = "    " + (e.short ? `-${e.short}, ` : "    ") + `--${e.long}`;
  if (e.type === "int" || e.type === "uint" || e.type === "long" || e.type === "u64") line += e.optarg ? "[=<n>]" : " <n>";
  else if (e.type === "string" || e.type === "filename") {
    const arg = e.argh ? `<${e.argh}>` : "...";
    line += e.optarg ? `[=${arg}]` : ` ${arg}`;
  }
  const pad = line.length <= USAGE_OPTS_WIDTH ? USAGE_OPTS_WIDTH - line.length : USAGE_OPTS_WIDTH;
  if (line.length > USAGE_OPTS_WIDTH) line += "\n";
  return `${line}${" ".repeat(pad + USAGE_GAP)}${e.help ?? ""}\n`;
}

/** The usage lines: " usage: " before the first, "    or: " before the next non-empty ones, the rest as they are (indented). */
function usageLines(usage: string | readonly string[]): string {
  const u = typeof usage === "string" ? [usage] : usage;
  let out = `\n usage: ${u[0]}\n`;
  let k = 1;
  for (; k < u.length && u[k] !== ""; k++) out += `    or: ${u[k]}\n`;
  for (; k < u.length; k++) out += `${u[k] ? "    " : ""}${u[k]}\n`;
  return out;
}

/** usage_with_options() (usage_with_options_internal()): the usage lines, every option of the table, an empty line; `full` (--help-all) shows hidden ones. */
export function usageWithOptions(usage: string | readonly string[], entries: readonly OptEntry[], full = false): string {
  let out = usageLines(usage);
  if (entries.length === 0 || isSpec(entries[0])) out += "\n";
  for (const e of entries) out += optionHelp(e, full);
  return out + "\n";
}

/**
 * parse_options_usage(): the usage lines, an empty line, and the help of
 * the first option the failing word names (a short option by its letter, a
 * long one whose name, or "no-" and its name, starts the word), if any.
 */
export function parseOptionsUsage(usage: string | readonly string[], entries: readonly OptEntry[], optstr: string, short: boolean): string {
  const specs = entries.filter(isSpec);
  const o = short ? specs.find((s) => s.short === optstr[0]) : specs.find((s) => optstr.startsWith(s.long) || (optstr.startsWith("no-") && optstr.slice(3).startsWith(s.long)));
  return usageLines(usage) + "\n" + (o ? optionHelp(o, false) : "");
}

/**
 * What a command prints on stderr when parse_options() stops (exit 129):
 * the error, then the usage text that goes with it (none after a typo).
 */
export function parseFailureText(f: ParseFailure, t: OptionTable): string {
  switch (f.kind) {
    case "help":
      return usageWithOptions(t.usage, t.options, f.full);
    case "typo":
      return `  Error: ${f.error}\n`;
    case "option":
      return `  Error: ${f.error}\n` + parseOptionsUsage(t.usage, t.options, f.optstr, f.short);
    case "unknown":
      return `  Error: ${f.error}\n` + usageWithOptions(t.usage, t.options);
    case "list":
      return "";
  }
}
