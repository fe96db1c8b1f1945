/**
 * One run of a scenario in the page: the model booted and stepped with the
 * library's own bootSystem/applyStep; per step the result, kernel log,
 * uevents, the map's view of the state and (below a size where it costs
 * more than it shows) the oracle-format snapshot. The live state of any step
 * is rebuilt on demand by re-running up to it (the model is deterministic).
 * Pure and browser-safe.
 */
import { takeSnapshot, type Snapshot } from "../abi/snapshot.js";
import { snapshotChanges } from "../cli/report.js";
import type { System } from "../machine/system.js";
import { toRunnable, type TraceSource } from "../scenario/resolve-text.js";
import { applyStep, bootSystem, type BlockDesign, type RawStep, type RunnableScenario } from "../scenario/runner.js";
import { ueventJson, type UeventJson } from "../scenario/ueventjson.js";
import { BLOCK_STATES, mapView, zoneName, type MapView } from "./map-view.js";
import type { Range } from "./map-draw.js";

/** Above this many blocks, no per-step oracle snapshots (64 TiB: 524,288 blocks). */
export const SNAPSHOT_LIMIT = 20000;

export interface PageStep {
  step: RawStep | null;
  result: unknown;
  dmesg: string[];
  levels: number[];
  uevents: UeventJson[];
  view: MapView;
  snapshot: Snapshot | null;
}

export interface RunSettings {
  boot?: "derive" | "import";
  profile?: string;
  design?: BlockDesign;
  bootRaces?: Record<string, number>;
}

export class Session {
  readonly scenario: RunnableScenario;
  readonly trace: TraceSource | undefined;
  readonly settings: RunSettings;
  /** Index 0: boot; i: after step i-1 of the scenario. */
  readonly states: PageStep[] = [];
  private live: { i: number; sys: System } | null = null;
  /** The kernel profile the model ran (the scenario's, or the one asked for). */
  readonly kernelVersion: string;

  constructor(text: string, file: string, settings: RunSettings = {}) {
    const r = toRunnable(text, file);
    this.scenario = r.scenario;
    this.trace = r.trace;
    this.settings = { ...settings, boot: r.bootMode ?? settings.boot ?? "derive" };
    const sys = this.boot();
    const k = sys.kernel;
    this.kernelVersion = k.profile;
    const small = k.blocks.size <= SNAPSHOT_LIMIT;
    const take = (step: RawStep | null, result: unknown, mark: { log: number; uev: number }): PageStep => {
      const lines = k.log.slice(mark.log);
      return {
        step,
        result,
        dmesg: lines.map((l) => l.text),
        levels: lines.map((l) => l.level),
        uevents: k.uevents.slice(mark.uev).map(ueventJson),
        view: mapView(k),
        snapshot: small ? takeSnapshot(k) : null,
      };
    };
    this.states.push(take(null, null, { log: 0, uev: 0 }));
    for (const st of this.scenario.steps) {
      const mark = { log: k.log.length, uev: k.uevents.length };
      const result = applyStep(sys, st);
      this.states.push(take(st, result, mark));
    }
    this.live = { i: this.scenario.steps.length, sys };
  }

  private boot(): System {
    const s = this.settings;
    return bootSystem(this.scenario.machine, {
      boot: s.boot ?? "derive",
      bootSnapshot: this.trace?.bootSnapshot,
      bootDevices: this.trace?.bootDevices,
      profile: s.profile,
      design: s.design,
      bootRaces: s.bootRaces,
    });
  }

  /** The live model state after step i (0: boot), for sysfs reads, explain and actions. */
  systemAt(i: number): System {
    if (this.live && this.live.i === i) return this.live.sys;
    const sys = this.boot();
    for (let j = 0; j < i; j++) applyStep(sys, this.scenario.steps[j]);
    this.live = { i, sys };
    return sys;
  }
}

/** What a step changed, in words, and where on the map. */
export function changesOf(prev: PageStep, cur: PageStep): { words: string[]; ranges: Range[] } {
  const words = prev.snapshot && cur.snapshot ? snapshotChanges(prev.snapshot, cur.snapshot) : [];
  const ranges: Range[] = [];
  const a = prev.view.blocks;
  const b = cur.view.blocks;
  const key = (bl: typeof a, i: number) => `${bl.start[i]}:${bl.size[i]}:${bl.state[i]}:${bl.zone[i]}:${bl.nid[i]}:${bl.group[i]}`;
  const before = new Map<number, string>();
  for (let i = 0; i < a.n; i++) before.set(a.id[i], key(a, i));
  const seen = new Set<number>();
  const fallback: string[] = [];
  for (let i = 0; i < b.n; i++) {
    seen.add(b.id[i]);
    const old = before.get(b.id[i]);
    if (old === key(b, i)) continue;
    ranges.push({ start: b.start[i], end: b.start[i] + b.size[i], kind: old === undefined ? "added" : "changed" });
    if (!prev.snapshot) fallback.push(`memory${b.id[i]}: ${old === undefined ? "added" : "changed"} → ${BLOCK_STATES[b.state[i]]} (${zoneName(b.zone[i])})`);
  }
  for (let i = 0; i < a.n; i++) {
    if (seen.has(a.id[i])) continue;
    ranges.push({ start: a.start[i], end: a.start[i] + a.size[i], kind: "removed" });
    if (!prev.snapshot) fallback.push(`memory${a.id[i]}: removed`);
  }
  const res = (v: MapView) => new Set(v.iomem.map((r) => `${r.start}-${r.end}:${r.depth}:${r.name}`));
  const ra = res(prev.view);
  const rb = res(cur.view);
  for (const r of cur.view.iomem) if (!ra.has(`${r.start}-${r.end}:${r.depth}:${r.name}`)) ranges.push({ start: r.start, end: r.end, kind: "added" });
  for (const r of prev.view.iomem) if (!rb.has(`${r.start}-${r.end}:${r.depth}:${r.name}`)) ranges.push({ start: r.start, end: r.end, kind: "removed" });
  const byKind = (k: Range["kind"]) => mergeRanges(ranges.filter((r) => r.kind === k)).map((r) => ({ ...r, kind: k }));
  return { words: words.length ? words : fallback.slice(0, 200), ranges: [...byKind("removed"), ...byKind("changed"), ...byKind("added")] };
}

export function mergeRanges(rs: Range[]): Range[] {
  const s = [...rs].sort((x, y) => x.start - y.start);
  const out: Range[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}
