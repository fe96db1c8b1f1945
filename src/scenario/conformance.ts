/**
 * Compares a model trace with a real-kernel trace exactly as
 * ../shared/conformance/README.md says "reproduces a trace" means:
 * snapshots (MemTotal as a difference from boot), step outcomes, kernel log
 * lines (noisy ones and the boot log dropped; the "Total pages" count free),
 * and uevents (everything but `noisy`).
 */
import type { Snapshot } from "../abi/snapshot.js";
import type { Trace } from "./runner.js";
import { STRERROR, type Errno } from "../kernel/errno.js";

export interface Mismatch {
  /** "boot" or the step number (from 1: the state after it is FILE@N). */
  step: number | "boot";
  field: string;
  expected: unknown;
  got: unknown;
}

/** A real trace, loosely typed: only what the comparison reads. */
export interface RealTrace {
  scenario: { name: string; machine: unknown; steps: unknown[] };
  boot: { snapshot: Snapshot };
  steps: { step: unknown; result: Record<string, unknown>; dmesg: string[]; dmesg_levels: number[]; uevents: Record<string, unknown>[]; snapshot: Snapshot }[];
}

function stripNoisy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNoisy);
  if (v && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== "noisy") o[k] = stripNoisy(x);
    return o;
  }
  return v;
}

function kb(s: string | undefined): number {
  const m = /^(\d+) kB$/.exec(s ?? "");
  return m ? Number(m[1]) : NaN;
}

function eq(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffValue(out: Mismatch[], step: number | "boot", field: string, expected: unknown, got: unknown): void {
  if (eq(expected, got)) return;
  if (Array.isArray(expected) && Array.isArray(got)) {
    const n = Math.max(expected.length, got.length);
    for (let i = 0; i < n; i++) {
      if (!eq(expected[i], got[i])) {
        out.push({ step, field: `${field}[${i}]`, expected: expected[i] ?? "(nothing)", got: got[i] ?? "(nothing)" });
        return;
      }
    }
    return;
  }
  if (expected && got && typeof expected === "object" && typeof got === "object") {
    const keys = new Set([...Object.keys(expected), ...Object.keys(got)]);
    for (const key of keys) {
      diffValue(out, step, `${field}.${key}`, (expected as Record<string, unknown>)[key], (got as Record<string, unknown>)[key]);
      if (out.length > 50) return;
    }
    return;
  }
  out.push({ step, field, expected: expected ?? "(nothing)", got: got ?? "(nothing)" });
}

function compareSnapshot(out: Mismatch[], step: number | "boot", real: Snapshot, model: Snapshot, realBoot: Snapshot, modelBoot: Snapshot): void {
  const r = stripNoisy(real) as Snapshot;
  diffValue(out, step, "iomem", r.iomem, model.iomem);
  diffValue(out, step, "memory", r.memory, model.memory);
  diffValue(out, step, "zoneinfo", r.zoneinfo, model.zoneinfo);
  diffValue(out, step, "node.masks", r.node?.masks, model.node.masks);
  const links = (s: Snapshot) => Object.fromEntries(Object.entries(s.node?.nodes ?? {}).map(([n, v]) => [n, v.memory]));
  diffValue(out, step, "node.links", links(r), links(model));
  const nodeDelta = (s: Snapshot, b: Snapshot) =>
    Object.fromEntries(Object.entries(s.node?.nodes ?? {}).map(([n, v]) => [n, kb(v.MemTotal) - kb(b.node?.nodes?.[n]?.MemTotal ?? "0 kB")]));
  diffValue(out, step, "node.MemTotal(delta)", nodeDelta(r, realBoot), nodeDelta(model, modelBoot));
  diffValue(out, step, "firmware_memmap", r.firmware_memmap, model.firmware_memmap);
  diffValue(out, step, "memory_hotplug_params", r.memory_hotplug_params, model.memory_hotplug_params);
  diffValue(out, step, "MemTotal(delta)", kb(r.meminfo.MemTotal) - kb(realBoot.meminfo.MemTotal), kb(model.meminfo.MemTotal) - kb(modelBoot.meminfo.MemTotal));
  if (r.ndctl !== undefined || model.ndctl !== undefined) diffValue(out, step, "ndctl", r.ndctl, model.ndctl);
  if (r.daxctl !== undefined || model.daxctl !== undefined) diffValue(out, step, "daxctl", r.daxctl, model.daxctl);
  const rc = (r as { cxl?: unknown }).cxl;
  const mc = (model as { cxl?: unknown }).cxl;
  if (rc !== undefined || mc !== undefined) diffValue(out, step, "cxl", rc, mc);
}

/**
 * The errno a failed write's message names, when the recorder could not name it (it knows the common ones: an
 * EHWPOISON write reads "dd: error writing '…': Memory page has hardware error", errno null).
 */
function errnoOfMessage(error: unknown): Errno | null {
  if (typeof error !== "string") return null;
  const hit = (Object.entries(STRERROR) as [Errno, string][]).find(([, text]) => error.endsWith(`: ${text}`));
  return hit ? hit[0] : null;
}

/** The parts of a step result that must match. */
export function outcomeOf(op: string, result: Record<string, unknown>): unknown {
  const r = stripNoisy(result) as Record<string, unknown>;
  const writeOutcome = (w: Record<string, unknown>) => (w.ok ? { ok: true } : { ok: false, errno: w.errno ?? errnoOfMessage(w.error) });
  switch (op) {
    case "write":
      return Array.isArray(r.writes) ? (r.writes as Record<string, unknown>[]).map(writeOutcome) : writeOutcome(r);
    case "read":
      return r.ok ? { ok: true, value: r.value } : { ok: false, errno: r.errno };
    case "plug-dimm":
    case "unplug-dimm": {
      const reply = (x: unknown) => {
        const q = x as { error?: { desc: string } } | undefined;
        return q === undefined ? undefined : q.error ? { error: q.error.desc } : "ok";
      };
      const osts = ((r.events as { event: string; data: { info?: { status_name: string } } }[]) ?? [])
        .filter((e) => e.event === "ACPI_DEVICE_OST")
        .map((e) => e.data.info?.status_name);
      return { device_add: reply(r.device_add), device_del: reply(r.device_del), ost: osts, device_deleted: r.device_deleted };
    }
    case "create-namespace":
    case "destroy-namespace":
    case "reconfigure-dax":
    case "ndctl":
    case "daxctl":
    case "cxl":
      return { rc: r.rc, stderr: r.stderr, json: r.stdout_json ?? r.stdout };
    case "virtio-mem-resize": {
      const q = r["qom-set"] as { error?: { desc: string } } | undefined;
      const qomSet = q === undefined ? undefined : q.error ? { error: q.error.desc } : "ok";
      return { "qom-set": qomSet, size: r.size, "requested-size": r["requested-size"], size_reached: r.size_reached };
    }
    default:
      return null;
  }
}

const TOTAL_PAGES = /^(Built \d+ zonelists, mobility grouping \w+\.  Total pages: )\d+$/;

function normLog(lines: string[], levels: number[]): string[] {
  return lines.map((l, i) => `<${levels[i]}>${l.replace(TOTAL_PAGES, "$1N")}`);
}

function normUevents(us: Record<string, unknown>[]): unknown[] {
  return us.map((u) => stripNoisy(u));
}

/**
 * Does `real` list the model's uevents in an order the kernel can produce?
 * Events sent from asynchronous work (`asyncIdx`, model positions) may come
 * later than the model sends them — past other events, each other included —
 * but never before the events that precede them in the model, and never
 * after an event of their own device or of a device below it. All other
 * events keep the model's order. Same events, same count.
 */
export function asyncOrderMatches(real: unknown[], model: unknown[], asyncIdx: readonly number[]): boolean {
  if (real.length !== model.length) return false;
  const isAsync = new Set(asyncIdx);
  const mk = model.map((u) => JSON.stringify(u));
  const path = model.map((u) => String((u as { devpath?: unknown }).devpath ?? ""));
  const pending: number[] = [];
  const blocked = (i: number): boolean =>
    pending.some((p) => p < i && (path[i] === path[p] || path[i].startsWith(path[p] + "/")));
  let next = 0;
  for (const r of real.map((u) => JSON.stringify(u))) {
    while (next < mk.length && isAsync.has(next)) pending.push(next++);
    if (next < mk.length && mk[next] === r && !blocked(next)) {
      next++;
      continue;
    }
    const j = pending.findIndex((p) => mk[p] === r && !blocked(p));
    if (j < 0) return false;
    pending.splice(j, 1);
  }
  return next === mk.length && pending.length === 0;
}

/** Orders of the model's events to try at most: the permutations of its permutable groups. */
const MAX_ORDERS = 720;

/**
 * asyncOrderMatches() for some order of the model's events in which each
 * group of `groups` (runs of events, [start, end) indices) has its runs in
 * any order; the runs keep their place as a whole.
 */
export function ueventOrderMatches(real: unknown[], model: unknown[], asyncIdx: readonly number[], groups: readonly (readonly [number, number][])[]): boolean {
  if (asyncOrderMatches(real, model, asyncIdx)) return true;
  if (groups.length === 0) return false;
  // Each order: a list of model indices.
  let orders: number[][] = [model.map((_, i) => i)];
  for (const g of groups) {
    const next: number[][] = [];
    for (const order of orders) {
      for (const perm of permutations(g.map((_, j) => j))) {
        if (next.length >= MAX_ORDERS) break;
        const moved = [...order];
        let at = g[0][0];
        for (const p of perm) for (let x = g[p][0]; x < g[p][1]; x++) moved[at++] = order[x];
        next.push(moved);
      }
    }
    orders = next;
  }
  const isAsync = new Set(asyncIdx);
  return orders.some((order) => {
    const m = order.map((x) => model[x]);
    const a = order.flatMap((x, j) => (isAsync.has(x) ? [j] : []));
    return asyncOrderMatches(real, m, a);
  });
}

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** Compare a model trace with a real trace; an empty list means it reproduces it. */
export function compareTraces(real: RealTrace, model: Trace): Mismatch[] {
  const out: Mismatch[] = [];
  compareSnapshot(out, "boot", real.boot.snapshot, model.boot.snapshot, real.boot.snapshot, model.boot.snapshot);
  if (real.steps.length !== model.steps.length) {
    out.push({ step: "boot", field: "steps", expected: real.steps.length, got: model.steps.length });
  }
  const n = Math.min(real.steps.length, model.steps.length);
  for (let j = 0; j < n; j++) {
    const rs = real.steps[j];
    const ms = model.steps[j];
    const i = j + 1; // mismatches name steps from 1, as FILE@N and every memhp command does
    const op = (rs.step as { op: string }).op;
    diffValue(out, i, "result", outcomeOf(op, rs.result), outcomeOf(op, ms.result as Record<string, unknown>));
    diffValue(out, i, "dmesg", normLog(rs.dmesg, rs.dmesg_levels), normLog(ms.dmesg, ms.dmesg_levels));
    const realUev = normUevents(rs.uevents);
    const modelUev = normUevents(ms.uevents as unknown as Record<string, unknown>[]);
    if (!ueventOrderMatches(realUev, modelUev, ms.noisy?.async_uevents ?? [], ms.noisy?.permutable_uevents ?? [])) diffValue(out, i, "uevents", realUev, modelUev);
    compareSnapshot(out, i, rs.snapshot, ms.snapshot, real.boot.snapshot, model.boot.snapshot);
  }
  return out;
}

/**
 * The kernel log lines of every step, as the comparison sees them (level and
 * text, the "Total pages" count free), keyed `step:line` with their counts:
 * what `logDifference` compares.
 */
export function stepLogLines(steps: readonly { dmesg: string[]; dmesg_levels: number[] }[]): Map<string, number> {
  const out = new Map<string, number>();
  steps.forEach((s, j) => {
    for (const line of normLog(s.dmesg, s.dmesg_levels)) {
      const key = `${j + 1}:${line}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  });
  return out;
}

/**
 * The `step:line` keys two sets of log lines hold a different number of times,
 * each with how many more `b` holds (negative: fewer).
 */
export function logDifference(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, n] of a) if ((b.get(k) ?? 0) !== n) out.set(k, (b.get(k) ?? 0) - n);
  for (const [k, n] of b) if (!a.has(k)) out.set(k, n);
  return out;
}

/** "step N, FIELD, expected …, got …": where a run departs from the real kernel. */
export function describeMismatch(m: Mismatch): string {
  const where = m.step === "boot" ? "boot" : `step ${m.step}`;
  return `${where}, ${m.field}, expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.got)}`;
}

export function formatMismatch(name: string, m: Mismatch): string {
  return `FAIL ${name}: ${describeMismatch(m)}`;
}
