/**
 * `memhp schema`'s JSON Schemas, checked with a standard validator (ajv)
 * against every scenario, trace and machine file memhp has: the repository's
 * own (test/oracle, the built-in examples, test/bad-scenarios) and
 * ../shared/conformance (scenarios and traces, kernels/, cxl/, arm64/).
 *
 * The schema is generated from the loader's zod schemas, so the two must
 * agree: whatever the loader accepts, the JSON Schema accepts (it may accept
 * more: rules between fields are the loader's). Files the loader does not
 * accept yet (a device type whose schema fields have not landed) are listed
 * as todo, not silently passed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { InputError } from "../errors.js";
import { REPO_ROOT, SHARED } from "../testing/paths.js";
import { EXAMPLES } from "./examples.js";
import { jsonSchema, MACHINE_FILE_FORMAT, SCHEMA_KINDS, type SchemaKind } from "./json-schema.js";
import { parseLocated } from "./load.js";
import { makeMachineFile, MACHINE_FORMAT } from "./machine-file.js";
import { toRunnable } from "./resolve-text.js";
import { TRACE_FORMAT } from "./schema.js";

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = Object.fromEntries(SCHEMA_KINDS.map((k) => [k, ajv.compile(jsonSchema(k))])) as Record<SchemaKind, ValidateFunction>;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      // arm64/memblock/ holds evidence extracted from kernel logs (memblock.reserved per boot), not scenarios or traces.
      if (statSync(p).isDirectory()) return f === "memblock" ? [] : filesUnder(p);
      // evidence-pin/*.scenario.json are oracle scenarios with shell steps (kernel tracing), which memhp cannot run; their traces are checked.
      if (basename(dir) === "evidence-pin" && f.endsWith(".scenario.json")) return [];
      // evidence-races.json: the race outcomes that reproduce each evidence trace (npm run evidence:races), not a scenario.
      if (f === "evidence-races.json") return [];
      // arm64/races.json: the race outcomes that reproduce each arm64 trace (npm run arm64:races), not a scenario.
      if (basename(dir) === "arm64" && f === "races.json") return [];
      return /\.(json|ya?ml)$/.test(f) ? [p] : [];
    });
}

function kindOf(value: unknown): SchemaKind {
  const format = value !== null && typeof value === "object" ? (value as { format?: unknown }).format : undefined;
  return format === TRACE_FORMAT ? "trace" : format === MACHINE_FILE_FORMAT ? "machine" : "scenario";
}

/** The loader's verdict (what `memhp run` and `conformance` take): null when it accepts the text, else its message. */
function loaderProblem(text: string, file: string): string | null {
  try {
    toRunnable(text, file);
    return null;
  } catch (e) {
    if (e instanceof InputError) return e.format();
    throw e;
  }
}

function ajvProblems(kind: SchemaKind, value: unknown): string {
  const v = validators[kind];
  return v(value) ? "" : ajv.errorsText(v.errors, { separator: "\n  " });
}

test("the machine-file format is the one machine-file.ts reads", () => {
  assert.equal(MACHINE_FILE_FORMAT, MACHINE_FORMAT);
});

test("the schemas are draft-07 JSON Schemas with a title, and strict-mode ajv compiles them", () => {
  for (const k of SCHEMA_KINDS) {
    const s = jsonSchema(k);
    assert.equal(s.$schema, "http://json-schema.org/draft-07/schema#");
    assert.match(String(s.title), /memhp/);
    assert.equal(typeof validators[k], "function");
  }
});

const CORE_DIRS = [join(REPO_ROOT, "test", "oracle"), join(SHARED, "conformance", "scenarios"), join(SHARED, "conformance", "traces")];
const NEWER_DIRS = ["kernels", "cxl", "arm64"].map((d) => join(SHARED, "conformance", d));

for (const dir of CORE_DIRS) {
  test(`every scenario and trace in ${relative(join(REPO_ROOT, ".."), dir)} is valid under memhp schema`, () => {
    const files = filesUnder(dir);
    assert.ok(files.length > 0, `no files in ${dir}`);
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const value = parseLocated(text, f).value;
      const kind = kindOf(value);
      assert.equal(loaderProblem(text, f), null, `${f}: the loader refuses it`);
      assert.equal(ajvProblems(kind, value), "", `${f} (${kind})`);
    }
  });
}

for (const dir of NEWER_DIRS) {
  test(`the scenarios and traces of ${relative(join(REPO_ROOT, ".."), dir)} that the loader accepts are valid under memhp schema`, async (t) => {
    for (const f of filesUnder(dir)) {
      const text = readFileSync(f, "utf8");
      const value = parseLocated(text, f).value;
      const kind = kindOf(value);
      const refused = loaderProblem(text, f);
      // A file whose fields memhp's schema does not have yet is a todo of its own; the others must pass.
      if (refused) await t.test(relative(dir, f), { todo: `refused by memhp's loader (not in its schema yet, or not runnable): ${refused}` });
      else await t.test(relative(dir, f), () => assert.equal(ajvProblems(kind, value), "", `${f} (${kind})`));
    }
  });
}

test("every built-in example is a valid scenario", () => {
  for (const e of EXAMPLES) assert.equal(ajvProblems("scenario", e), "", `example:${e.name}`);
});

test("a machine file made by memhp import is valid under the machine schema", () => {
  const trace = JSON.parse(readFileSync(join(SHARED, "conformance", "traces", "boot-1g.json"), "utf8"));
  const mf = makeMachineFile(trace.boot.snapshot, { name: "boot-1g", source: "boot-1g.json", inferred: [], maxmem: 8 * 2 ** 30, slots: 4 });
  const text = JSON.stringify(mf);
  assert.equal(loaderProblem(text, "m.json"), null);
  assert.equal(ajvProblems("machine", mf), "");
  assert.notEqual(ajvProblems("machine", { ...mf, snapshot: undefined }), "", "a machine file needs its snapshot");
});

test("the JSON Schema is never stricter than the loader: every bad scenario it refuses, the loader refuses too", () => {
  const dir = join(REPO_ROOT, "test", "bad-scenarios");
  let refused = 0;
  for (const f of filesUnder(dir)) {
    const text = readFileSync(f, "utf8");
    let value: unknown;
    try {
      value = parseLocated(text, f).value;
    } catch {
      continue; // a syntax error: nothing for a JSON Schema to look at
    }
    const kind = kindOf(value);
    if (ajvProblems(kind, value) === "") continue;
    refused++;
    assert.notEqual(loaderProblem(text, f), null, `${f}: refused by the JSON Schema, accepted by the loader`);
  }
  // Structural mistakes (unknown keys and ops, wrong types, bad sizes) are the JSON Schema's to catch.
  assert.ok(refused >= 15, `only ${refused} bad scenarios refused by the JSON Schema`);
});

test("the scenario schema catches what an editor should flag as you type", () => {
  const base = { name: "x", machine: { type: "pc", memory: "1G", maxmem: "4G", slots: 2 }, steps: [{ op: "plug-dimm", id: "d1", size: "512M", addr: "0x100000000" }] };
  assert.equal(ajvProblems("scenario", base), "");
  const bad: [string, unknown][] = [
    ["unknown machine key", { ...base, machine: { ...base.machine, memroy: "1G" } }],
    ["unknown op", { ...base, steps: [{ op: "plug-dim", id: "d1", size: "1G" }] }],
    ["size with a bad suffix", { ...base, steps: [{ op: "plug-dimm", id: "d1", size: "512Q" }] }],
    ["address with a suffix", { ...base, steps: [{ op: "plug-dimm", id: "d1", size: "1G", addr: "4G" }] }],
    ["negative size", { ...base, steps: [{ op: "plug-dimm", id: "d1", size: -1 }] }],
    ["missing machine", { name: "x", steps: [] }],
    ["machine type", { ...base, machine: { type: "pc64" } }],
    ["write without value", { ...base, steps: [{ op: "write", path: "/sys/devices/system/memory/memory32/state" }] }],
  ];
  for (const [what, v] of bad) assert.notEqual(ajvProblems("scenario", v), "", what);
  // Sizes and addresses as the oracle writes them.
  for (const size of ["128M", "524416K", "0x8000000", 134217728, "1_024M", "2GiB", " 4G "]) assert.equal(ajvProblems("scenario", { ...base, steps: [{ op: "plug-dimm", id: "d", size }] }), "", String(size));
  for (const addr of ["0x100000000", "0o40000000000", "4294967296", 4294967296, null]) assert.equal(ajvProblems("scenario", { ...base, steps: [{ op: "plug-dimm", id: "d", size: "1G", addr }] }), "", String(addr));
});

test("the trace schema checks the recorded parts as conformance reads them", () => {
  const text = readFileSync(join(SHARED, "conformance", "traces", "boot-1g.json"), "utf8");
  const good = JSON.parse(text);
  assert.equal(ajvProblems("trace", good), "");
  const bad = structuredClone(good);
  bad.boot.snapshot.iomem = [1, 2];
  assert.notEqual(ajvProblems("trace", bad), "");
  assert.notEqual(loaderProblem(JSON.stringify(bad), "bad.json"), null);
});
