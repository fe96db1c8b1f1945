/** Run one real-kernel trace on the model and compare (the library side of `memhp conformance`). */
import { InputError } from "../errors.js";
import { compareTraces, type Mismatch, type RealTrace } from "./conformance.js";
import { toRunnable } from "./resolve-text.js";
import { runScenario } from "./runner.js";

export interface ConformanceResult {
  name: string;
  file: string;
  boot: "derive" | "import";
  mismatches: Mismatch[];
}

export function checkTrace(text: string, file: string, boot: "derive" | "import"): ConformanceResult {
  const { scenario, trace, bootMode } = toRunnable(text, file);
  if (!trace || bootMode) throw new InputError("not a trace (no format linux-memhp-oracle-trace/1 with a boot snapshot)", { file });
  const model = runScenario(scenario, { boot, bootSnapshot: trace.bootSnapshot });
  return { name: scenario.name, file, boot, mismatches: compareTraces(trace.raw as RealTrace, model) };
}
