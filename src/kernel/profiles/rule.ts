/**
 * How a kernel behaviour that differs between versions is described: a named
 * rule with a value before any known change and the changes, each with the
 * upstream version it came in and its evidence (a trace, a commit, a spec
 * section). A profile resolves every rule for its version (and
 * architecture): the value of the newest change at or below the version.
 */
import { compareVersions } from "./version.js";

/** Architecture families a rule change may be limited to (Geometry.arch "arm64-4k" is family "arm64"). */
export type ArchFamily = "x86_64" | "arm64" | "ppc64" | "s390x";

export interface RuleChange<T> {
  /** Upstream version the change came in ("5.3", "6.12"; for differences found by traces, the first verified version that shows it). */
  readonly since: string;
  readonly value: T;
  /** Trace, commit or spec section that shows it. */
  readonly evidence: string;
  /** Only on this architecture (default: all). */
  readonly arch?: ArchFamily;
}

export interface RuleDef<T> {
  /** What the rule decides, in the kernel's terms (function, file). */
  readonly doc: string;
  /** The value before the first change. */
  readonly initial: T;
  /** Evidence for the initial value. */
  readonly evidence: string;
  readonly changes: readonly RuleChange<T>[];
}

export function rule<T>(doc: string, initial: T, evidence: string, changes: RuleChange<T>[] = []): RuleDef<T> {
  return { doc, initial, evidence, changes };
}

/** The change in effect at `version` on `arch` (null: the initial value). */
export function changeAt<T>(def: RuleDef<T>, version: string, arch: ArchFamily): RuleChange<T> | null {
  let best: RuleChange<T> | null = null;
  for (const c of def.changes) {
    if (c.arch && c.arch !== arch) continue;
    if (compareVersions(c.since, version) > 0) continue;
    if (!best || compareVersions(c.since, best.since) >= 0) best = c;
  }
  return best;
}

export function valueAt<T>(def: RuleDef<T>, version: string, arch: ArchFamily): T {
  const c = changeAt(def, version, arch);
  return c ? c.value : def.initial;
}
