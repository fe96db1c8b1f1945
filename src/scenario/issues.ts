/**
 * The schema's findings (zod issues) as the messages a person editing a
 * scenario needs: what was expected and what was found, "did you mean" for
 * misspelt keys and ops, each located at the offending node. Browser-safe.
 */
import type { z } from "zod";
import { describeValue, MISSING, OPS, ORACLE_ONLY_OPS, ScenarioFileSchema } from "./schema.js";
import { keyOffsetOf, offsetOf, valueAt, type LocatedDocument, type Path, type PathKey } from "./located.js";

/** Edit distance with adjacent transpositions counting as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

function didYouMean(word: unknown, candidates: readonly string[]): string {
  if (typeof word !== "string") return "";
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "an object (a mapping of keys to values)",
  null: "null",
};

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
  getter?: () => z.ZodType;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/**
 * The schema of a value as written: through optional/nullable/default
 * wrappers and to the input side of transforms; a discriminated union
 * resolved by the value's discriminator (a step's `op`), else undefined.
 */
function asWritten(s: z.ZodType, value: unknown): { schema: z.ZodType; variant?: { key: string; value: unknown } } | undefined {
  let variant: { key: string; value: unknown } | undefined;
  for (;;) {
    const d = defOf(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === "pipe" && d.in) s = d.in;
    else if (d.type === "lazy" && d.getter) s = d.getter();
    else if (d.type === "union" && d.discriminator !== undefined && d.options) {
      const key = d.discriminator;
      const tag = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
      const pick = d.options.find((o) => {
        const lit = asWritten(o, value)?.schema;
        const field = lit && defOf(lit).shape?.[key];
        return field !== undefined && (defOf(field).values ?? []).includes(tag);
      });
      if (!pick) return undefined;
      variant = { key, value: tag };
      s = pick;
    } else return { schema: s, variant };
  }
}

/** The keys the object at `path` of `root` may have, as the schema says (and the op that chose them, for a step). */
function keysAt(schema: z.ZodType, root: unknown, path: readonly PropertyKey[]): { keys: string[]; variant?: { key: string; value: unknown } } {
  let s: z.ZodType | undefined = schema;
  let v = root;
  for (const k of path) {
    const w = asWritten(s, v);
    const d = w && defOf(w.schema);
    s = d?.type === "object" ? d.shape?.[String(k)] : d?.type === "array" ? d.element : undefined;
    if (!s) return { keys: [] };
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  }
  const w = asWritten(s, v);
  const shape = w && defOf(w.schema).shape;
  return shape ? { keys: Object.keys(shape), variant: w.variant } : { keys: [] };
}

export interface Problem {
  message: string;
  /** Relative to the scenario object. */
  path: PropertyKey[];
  offset: number;
}

export interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  values?: unknown[];
  keys?: string[];
  discriminator?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
}

export function problemsOf(issue: ZodIssueLike, root: unknown, doc: LocatedDocument, prefix: Path): Problem[] {
  const full = (p: PropertyKey[]) => [...prefix, ...(p as PathKey[])];
  const input = valueAt(root, issue.path);
  const here = (message: string): Problem[] => [{ message, path: issue.path, offset: offsetOf(doc, full(issue.path)) }];
  switch (issue.code) {
    case "invalid_type": {
      if (input === undefined) return here(MISSING);
      let msg = `expected ${EXPECTED[issue.expected ?? ""] ?? issue.expected}, got ${describeValue(input)}`;
      if (issue.expected === "string" && doc.format === "yaml" && (typeof input === "number" || typeof input === "boolean"))
        msg += ` (YAML reads it as a ${typeof input}: quote it, "${String(input)}")`;
      if (issue.expected === "boolean" && typeof input === "string" && /^(y|n|yes|no|on|off)$/i.test(input)) msg += " (booleans are true and false)";
      return here(msg);
    }
    case "invalid_value": {
      const values = (issue.values ?? []).map(String);
      return here(`expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}; got ${describeValue(input)}${didYouMean(input, values)}`);
    }
    case "unrecognized_keys": {
      const { keys: allowed, variant } = keysAt(ScenarioFileSchema, root, issue.path);
      const op = variant?.key === "op" ? variant.value : undefined;
      return (issue.keys ?? []).map((key) => {
        let message = `unknown key "${key}"${didYouMean(key, allowed)}`;
        if (typeof op === "string" && allowed.length) message += `; ${op} takes: ${allowed.filter((k) => k !== "op").join(", ")}`;
        return { message, path: [...issue.path, key], offset: keyOffsetOf(doc, full(issue.path), key) };
      });
    }
    case "invalid_union": {
      if (issue.discriminator === "op") {
        if (input === undefined) return here(MISSING);
        if (typeof input !== "string") return here(`expected an op name (a string), got ${describeValue(input)}`);
        if (input in ORACLE_ONLY_OPS) return here(`op "${input}" is ${ORACLE_ONLY_OPS[input]}: memhp cannot run it`);
        return here(`unknown op "${input}"${didYouMean(input, OPS)}; ops: ${OPS.join(", ")}`);
      }
      return here(issue.message);
    }
    case "too_small": {
      if (issue.origin === "array") return here(`needs at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`);
      if (issue.origin === "string") return here("must not be empty");
      return here(`must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}, got ${describeValue(input)}`);
    }
    case "too_big": {
      if (issue.origin === "array") return here(`at most ${issue.maximum} items`);
      return here(`must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}, got ${describeValue(input)}`);
    }
    default:
      return here(issue.message);
  }
}
