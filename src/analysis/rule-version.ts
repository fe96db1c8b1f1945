/** Naming the kernel version a rule belongs to, for explain (profile.ts rules). */
import type { Kernel } from "../kernel/kernel.js";
import { RULES, ruleSource, type RuleName } from "../kernel/profile.js";
import type { VersionedRule } from "./evidence.js";

/** "from 6.8 on, <doc>" when the rule's value came with a change; "before 5.13, …" when the kernel predates every change. */
export function versionedRule(k: Kernel, name: RuleName): VersionedRule {
  const arch = k.geometry.arch.startsWith("arm64") ? "arm64" : "x86_64";
  const src = ruleSource(name, k.profile, arch);
  const def = RULES[name];
  const first = def.changes.map((c) => c.since)[0];
  const text = src ? `from ${src.since} on (${src.evidence}): ${def.doc}` : first ? `before ${first}: not so — ${def.doc}` : def.doc;
  return { name, kernel: k.profile, since: src?.since ?? null, text: `Linux ${k.profile}: ${text}` };
}
