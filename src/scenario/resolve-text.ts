/** A scenario or trace text turned into something the runner takes (browser-safe). */
import type { Snapshot } from "../abi/snapshot.js";
import { locatedError, parseLocated, parseScenario, runnableScenario, scenarioFromDocument } from "./load.js";
import { fastJsonDocument } from "./json-fast.js";
import { firstProblem, TraceBodySchema } from "./trace-schema.js";
import { isMachineFileText, parseMachineFile } from "./machine-file.js";
import type { RunnableScenario } from "./runner.js";

export interface TraceSource {
  bootSnapshot: Snapshot;
  raw: unknown;
  /**
   * The devices the boot's uevents added (sysfs devpaths, listed and noisy
   * ones): part of the device tree the boot left, for an import to name
   * devices whose numbering a boot-time race decides (the nd btt seed).
   */
  bootDevices?: string[];
}

/** Devpaths of the `add` uevents of a trace's boot (including those kept under `noisy`). */
export function bootDevicesOf(raw: unknown): string[] {
  const boot = (raw as { boot?: { uevents?: unknown; noisy?: { uevents?: unknown } } } | null)?.boot;
  const events: unknown[] = [];
  if (Array.isArray(boot?.uevents)) events.push(...boot.uevents);
  if (Array.isArray(boot?.noisy?.uevents)) for (const e of boot.noisy.uevents) events.push(Array.isArray(e) ? e[1] : e);
  const out: string[] = [];
  for (const e of events) {
    const u = e as { action?: unknown; devpath?: unknown } | null;
    if (u && u.action === "add" && typeof u.devpath === "string") out.push(u.devpath);
  }
  return out;
}

export function toRunnable(text: string, file: string): { scenario: RunnableScenario; trace?: TraceSource; bootMode?: "import" } {
  if (isMachineFileText(text)) {
    // A machine file (memhp import): it can only boot from its snapshot.
    const m = parseMachineFile(text, file);
    return { scenario: m.scenario, trace: { bootSnapshot: m.bootSnapshot, raw: m.raw }, bootMode: "import" };
  }
  if (TRACE_TEXT.test(text)) {
    // A recorded trace (what conformance replays by the dozen): read with JSON.parse; only a trace
    // with a problem is read again by the located parser, which words and places the error.
    const doc = fastJsonDocument(text);
    if (doc) {
      try {
        return traceRunnable(doc.value, runnableScenario(scenarioFromDocument(doc, file)), text, file);
      } catch {
        // fall through: the located reading below reports it
      }
    }
  }
  const runnable = runnableScenario(parseScenario(text, file));
  if (!TRACE_TEXT.test(text)) return { scenario: runnable };
  return traceRunnable(JSON.parse(text), runnable, text, file);
}

const TRACE_TEXT = /"format"\s*:\s*"linux-memhp-oracle-trace\/1"/;

function traceRunnable(value: unknown, runnable: RunnableScenario, text: string, file: string): { scenario: RunnableScenario; trace?: TraceSource } {
  const t = value as { boot?: { snapshot?: Snapshot } };
  let trace: TraceSource | undefined;
  if (t.boot !== undefined || (t as { steps?: unknown }).steps !== undefined) {
    // A recorded trace: what conformance and import read of it must have the oracle's types.
    const bad = firstProblem(TraceBodySchema, t);
    if (bad) throw locatedError(parseLocated(text, file), file, bad.path, bad.message);
  }
  if (t.boot?.snapshot) trace = { bootSnapshot: t.boot.snapshot, raw: t, bootDevices: bootDevicesOf(t) };
  return { scenario: runnable, trace };
}

