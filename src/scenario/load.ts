/**
 * Scenario files (YAML or JSON, or a trace whose `scenario` is used) to a
 * validated Scenario, with every error located: `FILE:LINE:COL: FIELD: MESSAGE`
 * (InputError). Browser-safe: no I/O here (load-file.ts reads files).
 *
 * Both formats are parsed into plain values plus a side table of source
 * offsets (keys, values, list items), so that a schema error found on the plain
 * value can be traced back to the offending node. JSON goes through a small
 * strict parser of its own (RFC 8259: no comments, no trailing commas, no
 * duplicate keys); YAML through eemeli/yaml's parseDocument (YAML 1.2 core
 * schema; duplicate keys, aliases and tags checked here).
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { InputError } from "../errors.js";
import { MachineRefused } from "../machine/refusal.js";
import { checkMachineStarts } from "../machine/validate.js";
import {
  allowedKeys,
  describeValue,
  MISSING,
  OPS,
  ORACLE_ONLY_OPS,
  ScenarioFileSchema,
  TRACE_FORMAT,
  type RawStep,
  type Scenario,
  type Step,
} from "./schema.js";

export type { Scenario, Step } from "./schema.js";

export type PathKey = string | number;
export type Path = PathKey[];

/** Source offsets of a parsed object or list: itself, and each key / value / item. */
interface ContainerLocs {
  self: number;
  keys?: Map<string, number>;
  values?: Map<string, number>;
  items?: number[];
}

/** A parsed document: the plain value and where each part of it came from. */
export interface LocatedDocument {
  format: "json" | "yaml";
  value: unknown;
  /** Offset of the root value; -1 when positions are unknown. */
  rootOffset: number;
  locs: WeakMap<object, ContainerLocs>;
  lines: LineIndex;
}

/** Offsets to 1-based line and column (UTF-16 code units, a tab counts as one). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    let i = text.indexOf("\n");
    while (i !== -1) {
      this.starts.push(i + 1);
      i = text.indexOf("\n", i + 1);
    }
  }
  pos(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

/** `steps[3].size`, `machine.numa[1].nodeid`, `scenario.machine`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Set a key on a plain object, `__proto__` included (as an own property). */
function setKey(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

// ------------------------------------------------------------------- JSON --

const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const TOKEN = /[-+0-9A-Za-z_.]+/y;
const WORD = /[A-Za-z_$][\w$]*/y;
const ESCAPES = new Map(Object.entries({ '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }));

class SyntaxProblem {
  constructor(
    readonly message: string,
    readonly offset: number,
    readonly path: Path,
  ) {}
}

/** Strict JSON with source offsets. Throws SyntaxProblem. */
function parseJson(s: string, lines: LineIndex): { value: unknown; rootOffset: number; locs: WeakMap<object, ContainerLocs> } {
  const n = s.length;
  let i = 0;
  const locs = new WeakMap<object, ContainerLocs>();
  const path: Path = [];
  const openers: number[] = [];
  const at = (o: number) => {
    const p = lines.pos(o);
    return `${p.line}:${p.column}`;
  };
  const err = (message: string, offset = i, extra?: PathKey): never => {
    throw new SyntaxProblem(message, offset, extra === undefined ? path.slice() : [...path, extra]);
  };
  const found = (): string => {
    if (i >= n) return "the end of the file";
    WORD.lastIndex = i;
    const m = WORD.exec(s);
    return m ? JSON.stringify(m[0]) : JSON.stringify(s[i]);
  };
  const eof = (expected: string): never => {
    const o = openers[openers.length - 1];
    const open = o === undefined ? "" : `; the "${s[o]}" at ${at(o)} is never closed`;
    return err(`unexpected end of file (truncated?): expected ${expected}${open}`, n);
  };
  const ws = (): void => {
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else if (c === 47 && (s[i + 1] === "/" || s[i + 1] === "*")) err("comments are not allowed in JSON (use YAML for comments)");
      else return;
    }
  };

  const string = (): string => {
    const start = i;
    i++;
    let out = "";
    let chunk = i;
    for (;;) {
      if (i >= n) return err(`unexpected end of file (truncated?): the string at ${at(start)} is never closed`, n);
      const c = s.charCodeAt(i);
      if (c === 34) {
        out += s.slice(chunk, i);
        i++;
        return out;
      }
      if (c === 92) {
        out += s.slice(chunk, i);
        const e = s[i + 1];
        if (e !== undefined && ESCAPES.has(e)) {
          out += ESCAPES.get(e);
          i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (e === undefined) {
          return err(`unexpected end of file (truncated?): the string at ${at(start)} is never closed`, n);
        } else {
          return err(`invalid escape "\\${e}" in a string`);
        }
        chunk = i;
        continue;
      }
      if (c === 10 || c === 13) return err(`line break inside the string that starts at ${at(start)} (missing closing quote?)`);
      if (c < 0x20) return err("control character inside a string (write it as an escape, e.g. \\t)");
      i++;
    }
  };

  const number = (): number => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(s);
    if (!m || /[0-9A-Za-z_.]/.test(s[i + m[0].length] ?? "")) {
      TOKEN.lastIndex = i;
      const token = TOKEN.exec(s)?.[0] ?? s[i];
      const hint = /^-?0[xXoObB]/.test(token)
        ? ` (JSON has no hex/octal/binary numbers: write it as a string, "${token}")`
        : /^-?[0-9]+[kKmMgGtT]/.test(token)
          ? ` (a size with a suffix is a string: "${token}")`
          : /^-?0[0-9]/.test(token)
            ? " (JSON numbers have no leading zeros)"
            : "";
      return err(`invalid number ${JSON.stringify(token)}${hint}`);
    }
    i += m[0].length;
    return Number(m[0]);
  };

  const value = (depth: number): unknown => {
    ws();
    if (i >= n) return eof("a value");
    const c = s[i];
    if (c === "{") return object(depth);
    if (c === "[") return array(depth);
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    WORD.lastIndex = i;
    const word = WORD.exec(s)?.[0];
    if (word === "true" || word === "false" || word === "null") {
      i += word.length;
      return word === "true" ? true : word === "false" ? false : null;
    }
    if (c === "'") return err("strings must be in double quotes in JSON");
    if (word === "True" || word === "False" || word === "None" || word === "TRUE" || word === "FALSE" || word === "NULL")
      return err(`unexpected ${JSON.stringify(word)}: JSON's literals are true, false and null`);
    if (word !== undefined) return err(`unexpected ${JSON.stringify(word)}: a string must be in double quotes`);
    return err(`unexpected ${found()}: expected a value`);
  };

  const object = (depth: number): Record<string, unknown> => {
    if (depth > MAX_DEPTH) err("nested too deeply");
    const start = i;
    openers.push(i);
    i++;
    const obj: Record<string, unknown> = {};
    const keys = new Map<string, number>();
    const values = new Map<string, number>();
    locs.set(obj, { self: start, keys, values });
    ws();
    if (s[i] === "}") {
      i++;
      openers.pop();
      return obj;
    }
    for (;;) {
      ws();
      if (i >= n) eof('a key in double quotes');
      if (s[i] !== '"') {
        if (s[i] === "}") err('trailing comma before "}" (not allowed in JSON)');
        err(`expected a key in double quotes, found ${found()}`);
      }
      const kAt = i;
      const key = string();
      const first = keys.get(key);
      if (first !== undefined) err(`duplicate key "${key}" (first at ${at(first)})`, kAt, key);
      ws();
      if (i >= n) eof(`":" after the key "${key}"`);
      if (s[i] !== ":") err(`expected ":" after the key "${key}", found ${found()}`, i, key);
      i++;
      path.push(key);
      ws();
      const vAt = i;
      const v = value(depth + 1);
      path.pop();
      keys.set(key, kAt);
      values.set(key, vAt);
      setKey(obj, key, v);
      ws();
      if (i >= n) eof('"," or "}"');
      if (s[i] === ",") {
        i++;
        continue;
      }
      if (s[i] === "}") {
        i++;
        openers.pop();
        return obj;
      }
      if (s[i] === '"') err(`missing "," after the value of "${key}" (before the next key)`, i, key);
      err(`expected "," or "}" after the value of "${key}", found ${found()}`, i, key);
    }
  };

  const array = (depth: number): unknown[] => {
    if (depth > MAX_DEPTH) err("nested too deeply");
    const start = i;
    openers.push(i);
    i++;
    const arr: unknown[] = [];
    const items: number[] = [];
    locs.set(arr, { self: start, items });
    ws();
    if (s[i] === "]") {
      i++;
      openers.pop();
      return arr;
    }
    for (;;) {
      ws();
      if (s[i] === "]") err('trailing comma before "]" (not allowed in JSON)');
      path.push(arr.length);
      items.push(i);
      arr.push(value(depth + 1));
      path.pop();
      ws();
      if (i >= n) eof('"," or "]"');
      if (s[i] === ",") {
        i++;
        continue;
      }
      if (s[i] === "]") {
        i++;
        openers.pop();
        return arr;
      }
      err(`expected "," or "]" after item ${arr.length - 1}, found ${found()}${s[i] === "{" || s[i] === '"' ? " (missing comma?)" : ""}`, i, arr.length - 1);
    }
  };

  ws();
  if (i >= n) err("empty file: expected a scenario object", n);
  const rootOffset = i;
  const v = value(0);
  ws();
  if (i < n) err(`unexpected ${found()} after the end of the JSON value`);
  return { value: v, rootOffset, locs };
}

// ------------------------------------------------------------------- YAML --

type YNode = unknown;

function rangeStart(node: YNode): number | undefined {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

/** The path of the innermost node around `offset` (to name the field of a YAML syntax error). */
function yamlPathAt(node: YNode, offset: number, path: Path = []): Path {
  const inside = (x: YNode) => {
    const r = (x as { range?: [number, number, number] } | null)?.range;
    return !!r && r[0] <= offset && offset <= r[1];
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      if (inside(pair.value)) return yamlPathAt(pair.value, offset, [...path, key]);
      if (inside(pair.key)) return [...path, key];
    }
    const last = node.items[node.items.length - 1];
    const r = (node as { range?: [number, number, number] }).range;
    if (last && isScalar(last.key) && r && offset >= r[2] && (!last.value || rangeStart(last.value) === undefined)) return [...path, String(last.key.value)];
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) if (inside(node.items[i])) return yamlPathAt(node.items[i], offset, [...path, i]);
  }
  return path;
}

function parseYaml(text: string, lines: LineIndex): { value: unknown; rootOffset: number; locs: WeakMap<object, ContainerLocs> } {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const offset = problem.pos[0];
    let msg = problem.message.replace(/\s+at line \d+, column \d+:?[\s\S]*$/, "");
    if (doc.errors.length === 0) msg = `${msg} (a YAML warning, treated as an error)`;
    if (problem.code === "MULTIPLE_DOCS") {
      throw new SyntaxProblem("a second YAML document: a scenario file holds exactly one (remove the extra \"---\")", Math.min(offset, text.length), []);
    }
    if (text.slice(offset).trim() === "") msg = `unexpected end of file (truncated?): ${msg}`;
    throw new SyntaxProblem(msg, Math.min(offset, text.length), yamlPathAt(doc.contents, offset));
  }
  const locs = new WeakMap<object, ContainerLocs>();
  const done = new Map<YNode, unknown>();
  const busy = new Set<YNode>();
  const path: Path = [];

  const conv = (node: YNode, doc: Document.Parsed): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) throw new SyntaxProblem(`unresolved alias *${node.source}`, rangeStart(node) ?? 0, path.slice());
      if (busy.has(target)) throw new SyntaxProblem(`recursive alias *${node.source}`, rangeStart(node) ?? 0, path.slice());
      return conv(target, doc);
    }
    if (done.has(node)) return done.get(node);
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
      throw new SyntaxProblem(`unsupported YAML value${node.tag ? ` (tag ${node.tag})` : ""}: use a plain string or number`, rangeStart(node) ?? 0, path.slice());
    }
    busy.add(node);
    try {
      if (isMap(node)) {
        const obj: Record<string, unknown> = {};
        const keys = new Map<string, number>();
        const values = new Map<string, number>();
        locs.set(obj, { self: rangeStart(node) ?? 0, keys, values });
        for (const pair of node.items) {
          const k = pair.key as YNode;
          const kAt = rangeStart(k) ?? rangeStart(node) ?? 0;
          let key: string;
          if (isScalar(k) && (k.value === null || ["string", "number", "boolean"].includes(typeof k.value))) {
            if (k.value === null && !k.source) throw new SyntaxProblem("empty mapping key", kAt, path.slice());
            key = String(k.value);
          } else if (isAlias(k)) {
            const t = k.resolve(doc);
            if (!isScalar(t)) throw new SyntaxProblem("a mapping key must be a plain string", kAt, path.slice());
            key = String(t.value);
          } else throw new SyntaxProblem("a mapping key must be a plain string", kAt, path.slice());
          const first = keys.get(key);
          if (first !== undefined) {
            const p = lines.pos(first);
            throw new SyntaxProblem(`duplicate key "${key}" (first at ${p.line}:${p.column})`, kAt, [...path, key]);
          }
          path.push(key);
          const v = conv(pair.value as YNode, doc);
          path.pop();
          keys.set(key, kAt);
          values.set(key, rangeStart(pair.value) ?? kAt);
          setKey(obj, key, v);
        }
        done.set(node, obj);
        return obj;
      }
      if (isSeq(node)) {
        const arr: unknown[] = [];
        const items: number[] = [];
        locs.set(arr, { self: rangeStart(node) ?? 0, items });
        node.items.forEach((it, i) => {
          path.push(i);
          items.push(rangeStart(it) ?? rangeStart(node) ?? 0);
          arr.push(conv(it as YNode, doc));
          path.pop();
        });
        done.set(node, arr);
        return arr;
      }
    } finally {
      busy.delete(node);
    }
    throw new SyntaxProblem("unsupported YAML node", rangeStart(node) ?? 0, path.slice());
  };
  const value = conv(doc.contents, doc);
  return { value, rootOffset: rangeStart(doc.contents) ?? 0, locs };
}

// ------------------------------------------------------------ documents --

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

/** A located InputError for a problem at `path` of a parsed document (file, line, column, field). */
export function locatedError(doc: LocatedDocument, file: string, path: readonly PathKey[], message: string): InputError {
  return new InputError(message, { file, ...locationOf(doc, offsetOf(doc, path)), field: formatPath(path) || undefined });
}

/** Where a path points: the offset of its value, or of the nearest enclosing node that exists. */
function offsetOf(doc: LocatedDocument, path: readonly PathKey[]): number {
  let cur: unknown = doc.value;
  let off = doc.rootOffset;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") break;
    const L = doc.locs.get(cur);
    if (!L) break;
    let next: number | undefined;
    if (Array.isArray(cur)) next = typeof k === "number" ? L.items?.[k] : undefined;
    else next = L.values?.get(String(k));
    if (next === undefined) break;
    off = next;
    cur = (cur as Record<PathKey, unknown>)[k];
  }
  return off;
}

function keyOffsetOf(doc: LocatedDocument, path: readonly PathKey[], key: string): number {
  let cur: unknown = doc.value;
  for (const k of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<PathKey, unknown>)[k] : undefined;
  const off = cur !== null && typeof cur === "object" ? doc.locs.get(cur)?.keys?.get(key) : undefined;
  return off ?? offsetOf(doc, path);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function locationOf(doc: LocatedDocument, offset: number): { line?: number; column?: number } {
  return doc.rootOffset < 0 ? {} : doc.lines.pos(offset);
}

// ------------------------------------------------------------ messages --

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

/** Which kind of object a path (relative to the scenario) is, for the keys it may have. */
function objectKind(path: readonly PropertyKey[]): Parameters<typeof allowedKeys>[0] | undefined {
  const p = path.map(String).join("/");
  if (p === "") return "top";
  if (p === "machine") return "machine";
  if (/^machine\/(numa|nvdimms|virtio_mem)\/\d+$/.test(p)) return p.split("/")[1] as "numa" | "nvdimms" | "virtio_mem";
  if (/^steps\/\d+$/.test(p)) return "step";
  return undefined;
}

interface Problem {
  message: string;
  /** Relative to the scenario object. */
  path: PropertyKey[];
  offset: number;
}

interface ZodIssueLike {
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

function problemsOf(issue: ZodIssueLike, root: unknown, doc: LocatedDocument, prefix: Path): Problem[] {
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
      const kind = objectKind(issue.path);
      const allowed = kind ? allowedKeys(kind, kind === "step" ? valueAt(root, [...issue.path, "op"]) : undefined) : [];
      const op = kind === "step" ? valueAt(root, [...issue.path, "op"]) : undefined;
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

// ------------------------------------------------------------ scenario --

/** `dir/my-scenario.yaml` -> `my-scenario` (the oracle's default name). */
function baseName(file: string): string {
  const b = file.split(/[\\/]/).pop() ?? file;
  return b.replace(/\.(json|ya?ml)$/i, "") || "scenario";
}

function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
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
