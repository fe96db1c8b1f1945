/** Run one real-kernel trace on the model and compare (the library side of `memhp conformance`). */
import { InputError } from "../errors.js";
import { DEFAULT_VERSION, kernelSpecOf, nearestProfile, parseRelease, traceRelease, versionInfo, VERSIONS, type KernelSpec } from "../kernel/profile.js";
import { compareTraces, type Mismatch, type RealTrace } from "./conformance.js";
import { toRunnable } from "./resolve-text.js";
import { runScenario, type BootRaceJson, type RunOptions } from "./runner.js";

export interface ConformanceResult {
  name: string;
  file: string;
  boot: "derive" | "import";
  mismatches: Mismatch[];
  /**
   * Boot races whose outcome the model had to choose, with the outcome that
   * reproduced the trace (or, on failure, the model's own choice).
   */
  races: { key: string; outcome: number }[];
}

/** At most this many boot races are tried in every combination (2^n runs). */
const MAX_RACES = 6;

/**
 * Run a trace's scenario on the model and compare. Where the boot ran into
 * a race the kernel decides at random (ndctl seed numbering, see
 * nvdimm-region.ts), the real trace shows one outcome of it: when the
 * model's own choice does not reproduce the trace, the other outcomes are
 * run too, and the trace passes if one of them reproduces it exactly.
 */
export function checkTrace(text: string, file: string, boot: "derive" | "import"): ConformanceResult {
  const { scenario, trace, bootMode } = toRunnable(text, file);
  if (!trace || bootMode) throw new InputError("not a trace (no format linux-memhp-oracle-trace/1 with a boot snapshot)", { file });
  const real = trace.raw as RealTrace;
  const base: RunOptions = { boot, bootSnapshot: trace.bootSnapshot, bootDevices: trace.bootDevices, profile: traceProfile(trace.raw as Record<string, unknown>, file) };
  const model = runScenario(scenario, base);
  const mismatches = compareTraces(real, model);
  const races: BootRaceJson[] = model.boot.noisy?.races ?? [];
  const chosen = races.map((r) => ({ key: `${r.race}:${r.region}`, outcome: r.chosen }));
  if (mismatches.length === 0 || races.length === 0 || races.length > MAX_RACES) return { name: scenario.name, file, boot, mismatches, races: chosen };
  for (const combo of combinations(races)) {
    if (combo.every((c, i) => c.outcome === chosen[i].outcome)) continue;
    const alt = runScenario(scenario, { ...base, bootRaces: Object.fromEntries(combo.map((c) => [c.key, c.outcome])) });
    if (compareTraces(real, alt).length === 0) return { name: scenario.name, file, boot, mismatches: [], races: combo };
  }
  return { name: scenario.name, file, boot, mismatches, races: chosen };
}

/**
 * The profile a trace is checked with: the version its own `kernel` field
 * names (with the version's default configuration, the distribution build the
 * oracle boots); a trace memhp made (`model`) with the kernel that made it,
 * build configuration included. A version without a profile is an error
 * naming the nearest.
 */
export function traceProfile(real: { kernel?: unknown; kernel_version?: unknown; kernel_package?: unknown; model?: unknown }, file: string): string | KernelSpec {
  const model = real.model as { profile?: unknown; kernel_config?: Record<string, unknown> } | undefined;
  if (model && typeof model.profile === "string" && versionInfo(model.profile)) {
    const { preset, ...config } = model.kernel_config ?? {};
    return kernelSpecOf(model.profile, typeof preset === "string" ? preset : null, config);
  }
  const release = traceRelease(real);
  if (release === null) return DEFAULT_VERSION;
  const v = parseRelease(release)!.text;
  const info = versionInfo(v);
  if (info && !info.whatIf) return info.version;
  const near = nearestProfile(v);
  throw new InputError(
    `the trace's kernel is Linux ${release}, which has no profile (profiles of real kernels: ${VERSIONS.filter((x) => !x.whatIf).map((x) => x.version).join(", ")}${near ? `; the nearest at or below is ${near.version}` : ""})`,
    { file, field: "kernel" },
  );
}

function combinations(races: BootRaceJson[]): { key: string; outcome: number }[][] {
  let out: { key: string; outcome: number }[][] = [[]];
  for (const r of races) {
    const key = `${r.race}:${r.region}`;
    out = out.flatMap((c) => r.outcomes.map((o) => [...c, { key, outcome: o }]));
  }
  return out;
}
