/** A scenario or trace text turned into something the runner takes (browser-safe). */
import type { Snapshot } from "../abi/snapshot.js";
import { parseScenario } from "./load.js";
import { isMachineFileText, parseMachineFile } from "./machine-file.js";
import type { RawStep, RunnableScenario } from "./runner.js";

export interface TraceSource {
  bootSnapshot: Snapshot;
  raw: unknown;
}

export function toRunnable(text: string, file: string): { scenario: RunnableScenario; trace?: TraceSource; bootMode?: "import" } {
  if (isMachineFileText(text)) {
    // A machine file (memhp import): it can only boot from its snapshot.
    const m = parseMachineFile(text, file);
    return { scenario: m.scenario, trace: { bootSnapshot: m.bootSnapshot, raw: m.raw }, bootMode: "import" };
  }
  const s = parseScenario(text, file);
  const runnable: RunnableScenario = {
    name: s.name,
    description: s.description,
    machine: s.machine,
    steps: s.steps.map((st) => st.raw as RawStep),
    raw: s.raw,
  };
  let trace: TraceSource | undefined;
  if (/"format"\s*:\s*"linux-memhp-oracle-trace\/1"/.test(text)) {
    const t = JSON.parse(text) as { boot?: { snapshot?: Snapshot } };
    if (t.boot?.snapshot) trace = { bootSnapshot: t.boot.snapshot, raw: t };
  }
  return { scenario: runnable, trace };
}

