/**
 * Where a scenario comes from: `example:NAME`, a scenario file (YAML/JSON),
 * or a trace file (its scenario, and its boot snapshot for import), with an
 * optional `@N` suffix to stop after step N.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";
import type { Snapshot } from "../abi/snapshot.js";
import { EXAMPLES, findExample } from "./examples.js";
import type { RunnableScenario } from "./runner.js";
import { toRunnable, type TraceSource } from "./resolve-text.js";

export interface ResolvedScenario {
  scenario: RunnableScenario;
  /** When the source was a real-kernel trace: its boot snapshot (for --boot import) and the trace itself. */
  trace?: TraceSource;
  /** A machine file (memhp import) boots from its snapshot whatever --boot says. */
  bootMode?: "import";
  /** `FILE@N`: run up to step N. */
  upTo?: number;
  source: string;
}

export function resolveScenario(arg: string): ResolvedScenario {
  let spec = arg;
  let upTo: number | undefined;
  const at = /^(.*)@(\d+)$/.exec(arg);
  if (at) {
    spec = at[1];
    upTo = Number(at[2]);
  }
  if (spec.startsWith("example:")) {
    const name = spec.slice("example:".length);
    const ex = findExample(name);
    if (!ex) throw new InputError(`no built-in example "${name}" (try: ${EXAMPLES.map((e) => e.name).join(", ")})`, { file: arg });
    return { ...toRunnable(JSON.stringify(ex), `example:${name}`), upTo, source: spec };
  }
  let text: string;
  try {
    text = readFileSync(spec, "utf8");
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: spec });
  }
  return { ...toRunnable(text, spec), upTo, source: spec };
}
