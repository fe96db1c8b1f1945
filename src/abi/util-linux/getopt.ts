/**
 * glibc getopt_long() (posix/getopt.c, permuting mode) and util-linux's
 * err_exclusive_options() (include/optutils.h). Pure: no node:* imports.
 */
import type { Proc } from "./program.js";

export const NO_ARG = 0;
export const REQUIRED_ARG = 1;
export const OPTIONAL_ARG = 2;

export interface LongOption {
  name: string;
  hasArg: 0 | 1 | 2;
  /** the value getopt_long returns: a short option character, or a code above CHAR_MAX. */
  val: number;
}

export type GetoptItem = { ok: true; c: number; arg?: string } | { ok: false; message: string };

/**
 * glibc getopt_long() in its default (permuting) mode, as a list: every option
 * in command-line order, each either an option character with its argument or
 * an error (whose message glibc prints to stderr; getopt_long returns '?'),
 * plus the operands (non-options, in order, then everything after "--").
 * Parsing does not depend on what the program does with the options, so
 * computing the list up front and acting on it in order is equivalent.
 */
export function getoptLong(
  prog: string,
  args: readonly string[],
  optstring: string,
  longopts: readonly LongOption[],
): { items: GetoptItem[]; operands: string[] } {
  const items: GetoptItem[] = [];
  const operands: string[] = [];
  const shortSpec = (ch: string): 0 | 1 | 2 | null => {
    if (ch === ":" || ch === ";") return null;
    const i = optstring.indexOf(ch);
    if (i < 0) return null;
    if (optstring[i + 1] === ":") return optstring[i + 2] === ":" ? OPTIONAL_ARG : REQUIRED_ARG;
    return NO_ARG;
  };
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== "-") {
      operands.push(a);
      i++;
      continue;
    }
    if (a.startsWith("--")) {
      i++;
      const nextchar = a.slice(2);
      const eq = nextchar.indexOf("=");
      const name = eq < 0 ? nextchar : nextchar.slice(0, eq);
      let found: LongOption | undefined = longopts.find((o) => o.name === name);
      if (!found) {
        const ambig: LongOption[] = [];
        for (const o of longopts) {
          if (!o.name.startsWith(name)) continue;
          if (!found) found = o;
          else if (found.hasArg !== o.hasArg || found.val !== o.val) {
            if (ambig.length === 0) ambig.push(found);
            ambig.push(o);
          }
        }
        if (ambig.length > 0) {
          const poss = longopts.filter((o) => ambig.includes(o)).map((o) => ` '--${o.name}'`).join("");
          items.push({ ok: false, message: `${prog}: option '--${nextchar}' is ambiguous; possibilities:${poss}\n` });
          continue;
        }
      }
      if (!found) {
        items.push({ ok: false, message: `${prog}: unrecognized option '--${nextchar}'\n` });
        continue;
      }
      if (eq >= 0) {
        if (found.hasArg === NO_ARG) {
          items.push({ ok: false, message: `${prog}: option '--${found.name}' doesn't allow an argument\n` });
          continue;
        }
        items.push({ ok: true, c: found.val, arg: nextchar.slice(eq + 1) });
      } else if (found.hasArg === REQUIRED_ARG) {
        if (i < args.length) items.push({ ok: true, c: found.val, arg: args[i++] });
        else items.push({ ok: false, message: `${prog}: option '--${found.name}' requires an argument\n` });
      } else {
        items.push({ ok: true, c: found.val });
      }
      continue;
    }
    // a cluster of short options
    i++;
    for (let j = 1; j < a.length; j++) {
      const ch = a[j];
      const spec = shortSpec(ch);
      if (spec === null) {
        items.push({ ok: false, message: `${prog}: invalid option -- '${ch}'\n` });
        continue;
      }
      if (spec === NO_ARG) {
        items.push({ ok: true, c: ch.charCodeAt(0) });
        continue;
      }
      const rest = a.slice(j + 1);
      if (rest.length > 0) items.push({ ok: true, c: ch.charCodeAt(0), arg: rest });
      else if (spec === OPTIONAL_ARG) items.push({ ok: true, c: ch.charCodeAt(0) });
      else if (i < args.length) items.push({ ok: true, c: ch.charCodeAt(0), arg: args[i++] });
      else items.push({ ok: false, message: `${prog}: option requires an argument -- '${ch}'\n` });
      break;
    }
  }
  return { items, operands };
}

/**
 * util-linux err_exclusive_options() (include/optutils.h), including its
 * reliance on groups being listed in ASCII order (chmem's are not, which
 * makes its -c exclusive with nothing).
 */
export function errExclusiveOptions(
  p: Proc,
  c: number,
  longopts: readonly LongOption[],
  excl: readonly string[],
  status: number[],
): void {
  for (let e = 0; e < excl.length && excl[e].charCodeAt(0) <= c; e++) {
    const group = excl[e];
    for (let k = 0; k < group.length && group.charCodeAt(k) <= c; k++) {
      if (group.charCodeAt(k) !== c) continue;
      if (status[e] === 0) status[e] = c;
      else if (status[e] !== c) {
        const name = (v: number) => {
          const o = longopts.find((l) => l.val === v);
          return o ? `--${o.name}` : `-${String.fromCharCode(v)}`;
        };
        p.errx(1, `options ${name(status[e])} and ${name(c)} cannot be combined`);
      }
      break;
    }
  }
}

