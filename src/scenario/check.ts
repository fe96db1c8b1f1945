/** Run one real-kernel trace on the model and compare (the library side of `memhp conformance`). */
import { InputError } from "../errors.js";
import { DEFAULT_VERSION, kernelSpecOf, nearestProfile, parseRelease, traceRelease, versionInfo, VERSIONS, type KernelSpec } from "../kernel/profile.js";
import { compareTraces, logDifference, stepLogLines, type Mismatch, type RealTrace } from "./conformance.js";
import { toRunnable } from "./resolve-text.js";
import { traceQemuVersion } from "../machine/qemu-version.js";
import { runScenario, type BootRaceJson, type RunOptions, type Trace } from "./runner.js";

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
 * ten or eleven races, up to some 3,900 such combinations) and LEVEL_RUNS
 * each of three and four departures: some ten seconds for a trace that fails.
 */
const MAX_RUNS = 8192;

/** The most departures from the model's order a search tries (past two, only those that explain what is left). */
const MAX_DEPARTURES = 4;

/** The most runs of three or more departures per level, so the next level has runs left. */
const LEVEL_RUNS = 1024;

type Combo = { key: string; outcome: number }[];

/** One run of the model with a combination of outcomes, against the trace. */
interface Tried {
  mismatches: Mismatch[];
  /** The log lines the run and the trace hold a different number of times: how many more the run has. */
  residual: Map<string, number>;
  /**
   * How far from the trace: the log lines it got wrong, then (a fraction, to order runs that get as many wrong)
   * its other mismatches. A pageblock kept or not is one line, and the sizes and counts it changes follow it.
   */
  distance: number;
}

const comboKey = (combo: Combo): string => combo.map((c) => c.outcome).join(",");

/**
 * Run a trace's scenario on the model and compare. Where the boot ran into
 * a race the kernel decides at random (ndctl seed numbering, see
 * nvdimm-region.ts), the real trace shows one outcome of it: when the
 * model's own choice does not reproduce the trace, the other outcomes are
 * run too (every combination, or region by region when they are too many),
 * and the trace passes if one of them reproduces it exactly. `onRun` is told
 * of each of those runs before it starts (how many so far, and the most there
 * can be), for a caller that shows progress.
 */
export function checkTrace(text: string, file: string, boot: "derive" | "import", onRun?: (runs: number, most: number) => void): ConformanceResult {
  const { scenario, trace, bootMode } = toRunnable(text, file);
  if (!trace || bootMode) throw new InputError("not a trace (no format linux-memhp-oracle-trace/1 with a boot snapshot)", { file });
  const real = trace.raw as RealTrace;
  const base: RunOptions = { boot, bootSnapshot: trace.bootSnapshot, bootDevices: trace.bootDevices, profile: traceProfile(trace.raw as Record<string, unknown>, file), qemu: traceQemuVersion((trace.raw as { qemu?: unknown }).qemu) ?? undefined };
  const model = runScenario(scenario, base);
  const mismatches = compareTraces(real, model);
  const races: BootRaceJson[] = model.boot.noisy?.races ?? [];
  const chosen = races.map((r) => ({ key: `${r.race}:${r.region}`, outcome: r.chosen }));
  if (mismatches.length === 0 || races.length === 0) return { name: scenario.name, file, boot, mismatches, races: chosen };
  // At most MAX_RUNS more runs in all, whatever the search: a failing trace costs a bounded time.
  let budget = MAX_RUNS;
  // The most runs this search can make: every other combination where they are few.
  const most = Math.min(MAX_RUNS, combinationCount(races) - 1);
  const realLines = stepLogLines(real.steps);
  const tried = new Map<string, Tried>();
  const record = (combo: Combo, m: Mismatch[], steps: Trace["steps"]): Tried => {
    const residual = logDifference(realLines, stepLogLines(steps));
    const t = { mismatches: m, residual, distance: residual.size + m.filter((x) => !x.field.startsWith("dmesg")).length / (m.length + 1) };
    tried.set(comboKey(combo), t);
    return t;
  };
  record(chosen, mismatches, model.steps);
  const tryCombo = (combo: Combo) => {
    const known = tried.get(comboKey(combo));
    if (known) return known.mismatches;
    budget--;
    onRun?.(MAX_RUNS - budget, most);
    const run = runScenario(scenario, { ...base, bootRaces: Object.fromEntries(combo.map((c) => [c.key, c.outcome])) });
    return record(combo, compareTraces(real, run), run.steps).mismatches;
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
      const parts = combinationCount(mine) > MAX_COMBINATIONS ? nearby(mine, best, (c) => tried.get(comboKey(c))) : combinations(mine).map((part) => best.map((c) => part.find((p) => p.key === c.key) ?? c));
      for (const combo of parts) {
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
  // No region alone gets there (each one's right outcome shows only once another's is right too: CXL's memdev ids,
  // endpoint order and switch ports): every combination of two regions' races, where they are few enough.
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const pair = races.filter((r) => r.region === regions[i] || r.region === regions[j]);
      if (combinationCount(pair) > MAX_COMBINATIONS) continue;
      for (const part of combinations(pair)) {
        const combo = best.map((c) => part.find((p) => p.key === c.key) ?? c);
        if (combo.every((c, k) => c.outcome === best[k].outcome)) continue;
        if (budget <= 0) return { name: scenario.name, file, boot, mismatches, races: chosen };
        if (tryCombo(combo).length === 0) return { name: scenario.name, file, boot, mismatches: [], races: combo };
      }
    }
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
 * Combinations near `from` (every race's outcome) that depart from it only in
 * `races` (one region's), lazily, simplest first: every one-departure
 * combination, every two-departure one, then three- and four-departure
 * ones, but only those that can explain what a run with one departure fewer
 * left different from the trace: the new departure, run alone or after one
 * of that run's, changes one of the log lines it got wrong; the runs nearest
 * the trace are extended first, at most LEVEL_RUNS per level. `seen`
 * gives what an earlier combination's run gave (the consumer runs each one
 * before asking for the next).
 */
function* nearby(races: BootRaceJson[], from: Combo, seen: (combo: Combo) => Tried | undefined): Generator<Combo> {
  const singles: [number, number][] = [];
  for (const r of races) {
    const at = from.findIndex((c) => c.key === `${r.race}:${r.region}`);
    if (at < 0) continue;
    for (const o of r.outcomes) if (o !== from[at].outcome) singles.push([at, o]);
  }
  const depart = (moves: [number, number][]): Combo => {
    const combo = from.map((c) => ({ ...c }));
    for (const [at, o] of moves) combo[at].outcome = o;
    return combo;
  };
  for (const s of singles) yield depart([s]);
  const pairs: [number, number][] = [];
  for (let a = 0; a < singles.length; a++) {
    for (let b = a + 1; b < singles.length; b++) {
      if (singles[a][0] === singles[b][0]) continue;
      pairs.push([a, b]);
      yield depart([singles[a], singles[b]]);
    }
  }
  if (!seen(from)) return;
  // What departure i changes, alone (given -1) or with departure `given` made already: the lines where the two
  // runs differ from the trace differently. Races interact (a movable page earlier moves every later steal), so
  // the change is looked at from each of a run's departures as well.
  const effects = new Map<string, Set<string>>();
  const effect = (given: number, i: number): Set<string> => {
    const key = `${given}:${i}`;
    let changed = effects.get(key);
    if (changed) return changed;
    changed = new Set<string>();
    const before = seen(depart(given < 0 ? [] : [singles[given]]));
    const after = seen(depart(given < 0 ? [singles[i]] : [singles[given], singles[i]]));
    if (before && after) {
      for (const [line, n] of after.residual) if ((before.residual.get(line) ?? 0) !== n) changed.add(line);
      for (const line of before.residual.keys()) if (!after.residual.has(line)) changed.add(line);
    }
    effects.set(key, changed);
    return changed;
  };
  // Each further level extends the runs of the one before, nearest the trace first, by a departure that can
  // explain what they got wrong: alone, or after one of their parts, it changes one of those lines.
  let level: number[][] = pairs;
  for (let depth = 3; depth <= MAX_DEPARTURES; depth++) {
    const parents = level
      .map((parts) => ({ parts, t: seen(depart(parts.map((i) => singles[i]))) }))
      .filter((p): p is { parts: number[]; t: Tried } => p.t !== undefined)
      .sort((x, y) => x.t.distance - y.t.distance);
    const next: number[][] = [];
    const done = new Set<string>();
    extend: for (const { parts, t } of parents) {
      for (let i = 0; i < singles.length; i++) {
        if (parts.some((p) => singles[p][0] === singles[i][0])) continue;
        if (![-1, ...parts].some((given) => [...effect(given, i)].some((line) => t.residual.has(line)))) continue;
        const combo = depart([...parts, i].map((p) => singles[p]));
        const key = comboKey(combo);
        if (done.has(key)) continue;
        done.add(key);
        next.push([...parts, i]);
        yield combo;
        if (next.length >= LEVEL_RUNS) break extend;
      }
    }
    level = next;
  }
}

function combinations(races: BootRaceJson[]): { key: string; outcome: number }[][] {
  let out: { key: string; outcome: number }[][] = [[]];
  for (const r of races) {
    const key = `${r.race}:${r.region}`;
    out = out.flatMap((c) => r.outcomes.map((o) => [...c, { key, outcome: o }]));
  }
  return out;
}
