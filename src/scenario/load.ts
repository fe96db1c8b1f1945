/**
 * Scenario files (YAML or JSON, or a trace whose `scenario` is used) to a
 * validated Scenario, with every error located: `FILE:LINE:COL: FIELD: MESSAGE`
 * (InputError). Browser-safe: no I/O here (load-file.ts reads files).
 *
 * Both formats are parsed into plain values plus a side table of source
 * offsets (keys, values, list items; located.ts), so that a schema error found
 * on the plain value can be traced back to the offending node. JSON goes
 * through a small strict parser of its own (located-json.ts), YAML through
 * eemeli/yaml (located-yaml.ts). The schema (schema.ts, zod) decides what is
 * valid; issues.ts words its findings.
 */
import { InputError } from "../errors.js";
import { problemsOf, type ZodIssueLike } from "./issues.js";
import { formatPath, isObject, LineIndex, locationOf, offsetOf, SyntaxProblem, type LocatedDocument, type Path, type PathKey } from "./located.js";
import { parseJson } from "./located-json.js";
import { parseYaml } from "./located-yaml.js";
import type { RunnableScenario } from "./runner.js";
import { compact } from "./schema-values.js";
import { MachineRefused } from "../machine/refusal.js";
import { checkMachineStarts } from "../machine/validate.js";
import {
  describeValue,
  MISSING,
  ORACLE_ONLY_OPS,
  ScenarioFileSchema,
  TRACE_FORMAT,
  type RawStep,
  type Scenario,
  type Step,
} from "./schema.js";

export type { Scenario, Step } from "./schema.js";
export { formatPath, LineIndex, locatedError, type LocatedDocument, type Path, type PathKey } from "./located.js";

/** JSON or YAML: by extension (.json / .yaml / .yml), else by content (JSON when it starts with "{" or "["). */
export function detectFormat(text: string, file: string): { format: "json" | "yaml"; sure: boolean } {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase();
  if (ext === "json") return { format: "json", sure: true };
  if (ext === "yaml" || ext === "yml") return { format: "yaml", sure: true };
  const first = /\S/.exec(text)?.[0];
  return { format: first === "{" || first === "[" ? "json" : "yaml", sure: false };
}

/** Parse JSON or YAML text keeping source positions; syntax errors are located InputErrors. */
export function parseLocated(text: string, file: string): LocatedDocument {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = new LineIndex(text);
  const { format, sure } = detectFormat(text, file);
  const toError = (p: SyntaxProblem) => new InputError(p.message, { file, ...lines.pos(p.offset), field: formatPath(p.path) || undefined });
  try {
    const r = format === "json" ? parseJson(text, lines) : parseYaml(text, lines);
    return { format, ...r, lines };
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    if (format === "json" && !sure) {
      // Not JSON after all? A YAML flow mapping also starts with "{".
      try {
        return { format: "yaml", ...parseYaml(text, lines), lines };
      } catch (e2) {
        if (!(e2 instanceof SyntaxProblem)) throw e2;
      }
    }
    throw toError(e);
  }
}

// ------------------------------------------------------------ scenario --

/** `dir/my-scenario.yaml` -> `my-scenario` (the oracle's default name). */
function baseName(file: string): string {
  const b = file.split(/[\\/]/).pop() ?? file;
  return b.replace(/\.(json|ya?ml)$/i, "") || "scenario";
}

/** Validate a parsed document as a scenario (or a trace, whose `scenario` is used). */
export function scenarioFromDocument(doc: LocatedDocument, file: string): Scenario {
  const fail = (message: string, path: Path, offset = offsetOf(doc, path)) =>
    new InputError(message, { file, ...locationOf(doc, offset), field: formatPath(path) || undefined });
  let root = doc.value;
  let prefix: Path = [];
  if (root === null || root === undefined) throw fail("empty file: expected a scenario (name, machine, steps)", []);
  if (!isObject(root)) throw fail(`expected a scenario object (name, machine, steps), got ${describeValue(root)}`, []);
  if (Object.prototype.hasOwnProperty.call(root, "format")) {
    if (root.format !== TRACE_FORMAT) throw fail(`unknown format ${describeValue(root.format)} (a trace has "format": "${TRACE_FORMAT}")`, ["format"]);
    if (!Object.prototype.hasOwnProperty.call(root, "scenario")) throw fail(`${MISSING}: a trace without its scenario`, ["scenario"]);
    root = root.scenario;
    prefix = ["scenario"];
    if (!isObject(root)) throw fail(`expected a scenario object (name, machine, steps), got ${describeValue(root)}`, prefix);
  }
  const r = ScenarioFileSchema.safeParse(root);
  if (!r.success) {
    const problems = r.error.issues.flatMap((iss) => problemsOf(iss as ZodIssueLike, root, doc, prefix));
    // Report the first problem in the file (the schema's own order follows its fields, not the text).
    let best = problems[0];
    for (const p of problems) if (p.offset < best.offset) best = p;
    throw fail(best.message, [...prefix, ...(best.path as PathKey[])], best.offset);
  }
  const data = r.data;
  try {
    checkMachineStarts(data.machine);
  } catch (e) {
    if (e instanceof MachineRefused) throw fail(e.message, [...prefix, "machine", ...e.path]);
    throw e;
  }
  // A trace's shell steps keep their place (the recording answered them); a scenario cannot ask for one.
  const shellAt = prefix.length === 0 ? (data.steps ?? []).findIndex((s) => s.op === "shell") : -1;
  if (shellAt >= 0) throw fail(`op "shell" is ${ORACLE_ONLY_OPS.shell}: memhp cannot run it`, ["steps", shellAt, "op"]);
  const rawObj = root as Record<string, unknown>;
  const name = data.name ?? baseName(file);
  const raw = data.name === undefined ? { ...rawObj, name } : rawObj;
  const rawSteps = (Array.isArray(rawObj.steps) ? rawObj.steps : []) as RawStep[];
  const steps: Step[] = (data.steps ?? []).map((s, i) => ({ ...s, raw: rawSteps[i] }) as Step);
  return compact({ name, description: data.description, machine: data.machine, steps, raw });
}

/**
 * Parse a scenario file's text: JSON or YAML (by the file's extension, else
 * by content), a scenario or a trace (`format: linux-memhp-oracle-trace/1`,
 * whose `scenario` is taken). Throws InputError with file, line, column and
 * field on any problem.
 */
export function parseScenario(text: string, file: string): Scenario {
  return scenarioFromDocument(parseLocated(text, file), file);
}

/** Validate an already-parsed scenario value (no source positions: errors name the field only). */
export function scenarioFromValue(value: unknown, file: string): Scenario {
  return scenarioFromDocument({ format: "json", value, rootOffset: -1, locs: new WeakMap(), lines: new LineIndex("") }, file);
}

/** What the runner takes of a scenario: the steps as written (the runner parses each when it applies it). */
export function runnableScenario(s: Scenario): RunnableScenario {
  return { name: s.name, description: s.description, machine: s.machine, steps: s.steps.map((st) => st.raw as RawStep), raw: s.raw };
}
