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
 * each of three to five departures: from seconds to about a minute for a trace that fails (48 s for a four-CPU
 * arm64 shrink). 8192 runs and 1024 per level were too few once the races gained outcomes (unmovable-spill 10,
 * list-decay 2): a64-probe31-uefi-3cpu-vm-2m-1600m.trixie, four departures, needs 8407; the five-departure
 * a64-pin-trace-4cpu-1700m-900m.r10.trixie needs 9068.
 */
const MAX_RUNS = 16384;

/** The most departures from the model's order a search tries (past two, only those that explain what is left). */
const MAX_DEPARTURES = 5;

/** The most runs of three or more departures per level, so the next level has runs left. */
const LEVEL_RUNS = 2048;

/**
 * How many of a level's runs at most CLOSE_LINES log lines from the trace (a pageblock kept or not is one) the next
 * level extends by every departure, not only by those that explain the lines.
 */
const CLOSE_PARENTS = 4;
const CLOSE_LINES = 2;

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
  /** The races the run met (some are met only after other departures: a pageblock of user space's that only a spill makes). */
  races: BootRaceJson[];
}

const comboKey = (combo: Combo): string => combo.map((c) => `${c.key}=${c.outcome}`).join(",");

/**
 * Run a trace's scenario on the model and compare. Where the boot ran into
 * a race the kernel decides at random (ndctl seed numbering, see
 * nvdimm-region.ts), the real trace shows one outcome of it: when the
 * model's own choice does not reproduce the trace, the other outcomes are
 * run too (every combination, or region by region when they are too many),
 * and the trace passes if one of them reproduces it exactly. `onRun` is told
 * of each of those runs before it starts (how many so far, and the most there
 * can be), for a caller that shows progress. `first`, outcomes known to have
 * reproduced this trace before (a test's record of an earlier search), is run
 * right after the model's own order and, if it still reproduces the trace,
 * ends the search there; if not, the search goes on as without it.
 */
export function checkTrace(text: string, file: string, boot: "derive" | "import", onRun?: (runs: number, most: number) => void, first?: Record<string, number>): ConformanceResult {
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
  // The most runs this search can make: every other combination where they are few; past that, the budget (the
  // search by departures may also meet races the model's own run did not).
  const most = combinationCount(races) <= MAX_COMBINATIONS ? combinationCount(races) - 1 : MAX_RUNS;
  const realLines = stepLogLines(real.steps);
  const tried = new Map<string, Tried>();
  const record = (combo: Combo, m: Mismatch[], run: Trace): Tried => {
    const residual = logDifference(realLines, stepLogLines(run.steps));
    const t = { mismatches: m, residual, distance: residual.size + m.filter((x) => !x.field.startsWith("dmesg")).length / (m.length + 1), races: run.boot.noisy?.races ?? [] };
    tried.set(comboKey(combo), t);
    return t;
  };
  record(chosen, mismatches, model);
  if (first && Object.keys(first).length > 0) {
    budget--;
    onRun?.(MAX_RUNS - budget, most);
    const run = runScenario(scenario, { ...base, bootRaces: first });
    const combo = (run.boot.noisy?.races ?? []).map((r) => ({ key: `${r.race}:${r.region}`, outcome: r.chosen }));
    if (record(combo, compareTraces(real, run), run).mismatches.length === 0) return { name: scenario.name, file, boot, mismatches: [], races: combo };
  }
  const tryCombo = (combo: Combo) => {
    const known = tried.get(comboKey(combo));
    if (known) return known.mismatches;
    budget--;
    onRun?.(MAX_RUNS - budget, most);
    const run = runScenario(scenario, { ...base, bootRaces: Object.fromEntries(combo.map((c) => [c.key, c.outcome])) });
    return record(combo, compareTraces(real, run), run).mismatches;
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
        if (sameCombo(combo, best)) continue;
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
        if (sameCombo(combo, best)) continue;
        if (budget <= 0) return { name: scenario.name, file, boot, mismatches, races: chosen };
        if (tryCombo(combo).length === 0) return { name: scenario.name, file, boot, mismatches: [], races: combo };
      }
    }
  }
  return { name: scenario.name, file, boot, mismatches, races: chosen };
}

/** Two combinations choose the same outcomes (a race one of them does not name is at its outcome 0). */
function sameCombo(a: Combo, b: Combo): boolean {
  const of = (c: Combo, key: string) => c.find((x) => x.key === key)?.outcome ?? 0;
  return a.every((c) => of(b, c.key) === c.outcome) && b.every((c) => of(a, c.key) === c.outcome);
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
 * of that run's, changes one of the log lines it got wrong; or it is an
 * outcome of a race of the region that only that run met, or met with more
 * outcomes than the model's own run (the unmovable-freed race, where a spill
 * gives user space more pageblocks of its own), which nothing run before can
 * measure; pairs include a single departure with those of its run too.
 * The runs nearest the trace are extended first, at most LEVEL_RUNS per
 * level; before them, the nearest CLOSE_PARENTS runs that get at most
 * CLOSE_LINES log lines wrong are extended by every departure, since what a
 * departure changes may show only once all of a run's are made
 * (a64-pin-trace-4cpu-1700m-900m.r10.trixie: user space's pages reaching one
 * pageblock further along the kworker's list, kernel-list 1, changes the line
 * still wrong only after a movable and a reclaimable page both came mid-plug
 * and a spill, five departures; test/oracle/arm64/traces/a64-probe35-uefi-4cpu-vm-2m-1700m-900m.run8.trixie:
 * list-decay 3 only after those two mid-plug pages, four). `seen` gives what an earlier combination's run gave (the consumer
 * runs each one before asking for the next).
 */
function* nearby(races: BootRaceJson[], from: Combo, seen: (combo: Combo) => Tried | undefined): Generator<Combo> {
  const moves: { key: string; outcome: number }[] = [];
  for (const r of races) {
    const key = `${r.race}:${r.region}`;
    const at = from.find((c) => c.key === key);
    if (!at) continue;
    for (const o of r.outcomes) if (o !== at.outcome) moves.push({ key, outcome: o });
  }
  // The departures the default run met; later ones (races met only after other departures) are appended.
  const singles = moves.length;
  const regions = new Set(races.map((r) => r.region));
  const depart = (parts: number[]): Combo => {
    const combo = from.map((c) => ({ ...c }));
    for (const m of parts.map((i) => moves[i])) {
      const c = combo.find((x) => x.key === m.key);
      if (c) c.outcome = m.outcome;
      else combo.push({ ...m });
    }
    return combo;
  };
  // The outcomes of races a run met that the default run did not, or met with fewer outcomes (a spill gives user
  // space more pageblocks for unmovable-freed to name); their outcome 0 is the run itself.
  const known = new Map(races.map((r) => [`${r.race}:${r.region}`, new Set(r.outcomes)]));
  const later = (t: Tried | undefined): number[] => {
    const out: number[] = [];
    for (const r of t?.races ?? []) {
      const key = `${r.race}:${r.region}`;
      if (!regions.has(r.region)) continue;
      for (const o of r.outcomes) {
        if (o === 0 || known.get(key)?.has(o)) continue;
        let i = moves.findIndex((m) => m.key === key && m.outcome === o);
        if (i < 0) i = moves.push({ key, outcome: o }) - 1;
        out.push(i);
      }
    }
    return out;
  };
  for (let i = 0; i < singles; i++) yield depart([i]);
  const pairs: number[][] = [];
  for (let a = 0; a < singles; a++) {
    for (let b = a + 1; b < singles; b++) {
      if (moves[a].key === moves[b].key) continue;
      pairs.push([a, b]);
      yield depart([a, b]);
    }
  }
  // A single departure whose run met races (or outcomes) the default did not: those with it.
  for (let a = 0; a < singles; a++) {
    for (const b of later(seen(depart([a])))) {
      if (moves[a].key === moves[b].key) continue;
      pairs.push([a, b]);
      yield depart([a, b]);
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
    const before = seen(depart(given < 0 ? [] : [given]));
    const after = seen(depart(given < 0 ? [i] : [given, i]));
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
      .map((parts) => ({ parts, t: seen(depart(parts)) }))
      .filter((p): p is { parts: number[]; t: Tried } => p.t !== undefined)
      .sort((x, y) => x.t.distance - y.t.distance);
    const next: number[][] = [];
    const done = new Set<string>();
    // The runs a line or two from the trace (a pageblock kept or not), the nearest few, are extended by every
    // departure first: what a departure changes may show only with all of a run's others made (where user space's
    // pages reach along the kworker's list, or how deep it decayed, once a movable and a reclaimable page both came
    // mid-plug).
    const close = parents.filter((p) => p.t.residual.size <= CLOSE_LINES).slice(0, CLOSE_PARENTS);
    // Those runs do not count against the level's LEVEL_RUNS.
    let closeRuns = 0;
    extend: for (const { parts, t, all } of [...close.map((p) => ({ ...p, all: true })), ...parents.map((p) => ({ ...p, all: false }))]) {
      const candidates = [...Array.from({ length: singles }, (_, i) => i), ...later(t)];
      for (const i of candidates) {
        if (parts.some((p) => moves[p].key === moves[i].key)) continue;
        const explains = all || i >= singles || [-1, ...parts.filter((p) => p < singles)].some((given) => [...effect(given, i)].some((line) => t.residual.has(line)));
        if (!explains) continue;
        const combo = depart([...parts, i]);
        const key = comboKey(combo);
        if (done.has(key)) continue;
        done.add(key);
        next.push([...parts, i]);
        if (all) closeRuns++;
        yield combo;
        if (next.length - closeRuns >= LEVEL_RUNS) break extend;
      }
    }
    level = next;
  }
}

/**
 * Every combination of the races' outcomes, fewest departures from the model's own choice first (a trace most
 * often takes one or two; the races met late, at the unplug, would otherwise vary fastest).
 */
function combinations(races: BootRaceJson[]): { key: string; outcome: number }[][] {
  let out: { key: string; outcome: number }[][] = [[]];
  for (const r of races) {
    const key = `${r.race}:${r.region}`;
    out = out.flatMap((c) => r.outcomes.map((o) => [...c, { key, outcome: o }]));
  }
  const departures = (c: { outcome: number }[]) => c.reduce((n, x, i) => n + (x.outcome === races[i].chosen ? 0 : 1), 0);
  return out.map((c) => ({ c, d: departures(c) })).sort((a, b) => a.d - b.d).map((x) => x.c);
}
