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

/** Races whose combinations number at most this many are all tried; beyond it, region by region, fewest departures first. */
const MAX_COMBINATIONS = 512;

/**
 * Never more runs than this for one trace: enough for every combination of one
 * or two departures among one region's races (a 6.7+ zone after a large plug:
 * nine or ten races, up to some 2,500 such combinations), some seconds for a
 * trace that fails.
 */
const MAX_RUNS = 4096;

/**
 * Run a trace's scenario on the model and compare. Where the boot ran into
 * a race the kernel decides at random (ndctl seed numbering, see
 * nvdimm-region.ts), the real trace shows one outcome of it: when the
 * model's own choice does not reproduce the trace, the other outcomes are
 * run too (every combination, or region by region when they are too many),
 * and the trace passes if one of them reproduces it exactly.
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
  if (mismatches.length === 0 || races.length === 0) return { name: scenario.name, file, boot, mismatches, races: chosen };
  // At most MAX_RUNS more runs in all, whatever the search: a failing trace costs a bounded time.
  let budget = MAX_RUNS;
  const tryCombo = (combo: { key: string; outcome: number }[]) => {
    budget--;
    return compareTraces(real, runScenario(scenario, { ...base, bootRaces: Object.fromEntries(combo.map((c) => [c.key, c.outcome])) }));
  };
  if (combinationCount(races) <= MAX_COMBINATIONS) {
    for (const combo of combinations(races)) {
      if (combo.every((c, i) => c.outcome === chosen[i].outcome)) continue;
      if (tryCombo(combo).length === 0) return { name: scenario.name, file, boot, mismatches: [], races: combo };
    }
    return { name: scenario.name, file, boot, mismatches, races: chosen };
  }
  // Too many combinations (several regions, each with its races: two nodes' first blocks): the races of one
  // region decide what happens there, so search one region's combinations at a time, keeping the others at
  // the best found so far (fewest mismatches), until one reproduces the trace or no region improves.
  let best = chosen.map((c) => ({ ...c }));
  let score = mismatches.length;
  const regions = [...new Set(races.map((r) => r.region))];
  for (let round = 0; round < 3; round++) {
    let improved = false;
    for (const region of regions) {
      const mine = races.filter((r) => r.region === region);
      // A region with too many combinations of its own: the fewest departures from the model's order first.
      const parts = combinationCount(mine) > MAX_COMBINATIONS ? byDepartures(mine, best) : combinations(mine);
      for (const part of parts) {
        const combo = best.map((c) => part.find((p) => p.key === c.key) ?? c);
        if (combo.every((c, i) => c.outcome === best[i].outcome)) continue;
        if (budget <= 0) return { name: scenario.name, file, boot, mismatches, races: chosen };
        const m = tryCombo(combo);
        if (m.length === 0) return { name: scenario.name, file, boot, mismatches: [], races: combo };
        if (m.length < score) {
          score = m.length;
          best = combo;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { name: scenario.name, file, boot, mismatches, races: chosen };
}

function combinationCount(races: BootRaceJson[]): number {
  return races.reduce((n, r) => n * Math.max(1, r.outcomes.length), 1);
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

/**
 * The combinations of `races` in order of how many of them leave the outcome
 * in `from` (one departure, then two, ...), lazily: a search that stops at
 * its budget has tried the simplest explanations.
 */
function* byDepartures(races: BootRaceJson[], from: { key: string; outcome: number }[]): Generator<{ key: string; outcome: number }[]> {
  const keys = races.map((r) => `${r.race}:${r.region}`);
  const base = keys.map((key, i) => from.find((c) => c.key === key)?.outcome ?? races[i].chosen);
  function* pick(start: number, left: number, combo: number[]): Generator<number[]> {
    if (left === 0) {
      yield combo;
      return;
    }
    for (let i = start; i <= races.length - left; i++) {
      for (const o of races[i].outcomes) {
        if (o === base[i]) continue;
        const next = combo.slice();
        next[i] = o;
        yield* pick(i + 1, left - 1, next);
      }
    }
  }
  for (let k = 1; k <= races.length; k++) for (const combo of pick(0, k, base)) yield combo.map((outcome, i) => ({ key: keys[i], outcome }));
}

function combinations(races: BootRaceJson[]): { key: string; outcome: number }[][] {
  let out: { key: string; outcome: number }[][] = [[]];
  for (const r of races) {
    const key = `${r.race}:${r.region}`;
    out = out.flatMap((c) => r.outcomes.map((o) => [...c, { key, outcome: o }]));
  }
  return out;
}
