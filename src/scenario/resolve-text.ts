/** A scenario or trace text turned into something the runner takes (browser-safe). */
import type { Snapshot } from "../abi/snapshot.js";
import { locatedError, parseLocated, parseScenario, runnableScenario } from "./load.js";
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
  const runnable = runnableScenario(parseScenario(text, file));
  let trace: TraceSource | undefined;
  if (/"format"\s*:\s*"linux-memhp-oracle-trace\/1"/.test(text)) {
    const t = JSON.parse(text) as { boot?: { snapshot?: Snapshot } };
    if (t.boot !== undefined || (t as { steps?: unknown }).steps !== undefined) {
      // A recorded trace: what conformance and import read of it must have the oracle's types.
      const bad = firstProblem(TraceBodySchema, t);
      if (bad) throw locatedError(parseLocated(text, file), file, bad.path, bad.message);
    }
    if (t.boot?.snapshot) trace = { bootSnapshot: t.boot.snapshot, raw: t, bootDevices: bootDevicesOf(t) };
  }
  return { scenario: runnable, trace };
}

