/**
 * The kernel a scenario source implies: a real-kernel trace or a machine file
 * (memhp import) names its kernel release; the scenario is then modelled with
 * the newest verified profile at or below it, unless the scenario itself names
 * a kernel (machine.kernel) or the command line does (--kernel).
 */
import { profileForRelease, traceRelease } from "../kernel/profile.js";
import type { ResolvedScenario } from "./resolve.js";

export function kernelOfSource(r: ResolvedScenario): { version: string; why: string } | undefined {
  if (r.scenario.machine.kernel) return undefined;
  const raw = r.trace?.raw;
  if (!raw || typeof raw !== "object") return undefined;
  const release = traceRelease(raw as Record<string, unknown>);
  if (!release) return undefined;
  const p = profileForRelease(release);
  return { version: p.version, why: p.why };
}
