/**
 * A parsed JSON or YAML document that remembers where each part came from,
 * so that a problem found on the plain value (by the schema, or by a later
 * check) is reported at its line and column: `FILE:LINE:COL: FIELD: MESSAGE`.
 * The parsers are located-json.ts and located-yaml.ts; load.ts picks one.
 * Browser-safe: no I/O.
 */
import { InputError } from "../errors.js";

export type PathKey = string | number;
export type Path = PathKey[];

/** Source offsets of a parsed object or list: itself, and each key / value / item. */
export interface ContainerLocs {
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

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Set a key on a plain object, `__proto__` included (as an own property). */
export function setKey(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}


/** A syntax error found while parsing: message, offset in the text, and the path of the innermost node around it. */
export class SyntaxProblem {
  constructor(
    readonly message: string,
    readonly offset: number,
    readonly path: Path,
  ) {}
}

/** What a parser returns: the plain value and the source offsets of its parts. */
export interface Parsed {
  value: unknown;
  rootOffset: number;
  locs: WeakMap<object, ContainerLocs>;
}

/** Where a path points: the offset of its value, or of the nearest enclosing node that exists. */
export function offsetOf(doc: LocatedDocument, path: readonly PathKey[]): number {
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

export function keyOffsetOf(doc: LocatedDocument, path: readonly PathKey[], key: string): number {
  let cur: unknown = doc.value;
  for (const k of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<PathKey, unknown>)[k] : undefined;
  const off = cur !== null && typeof cur === "object" ? doc.locs.get(cur)?.keys?.get(key) : undefined;
  return off ?? offsetOf(doc, path);
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export function locationOf(doc: LocatedDocument, offset: number): { line?: number; column?: number } {
  return doc.rootOffset < 0 ? {} : doc.lines.pos(offset);
}

/** A located InputError for a problem at `path` of a parsed document (file, line, column, field). */
export function locatedError(doc: LocatedDocument, file: string, path: readonly PathKey[], message: string): InputError {
  return new InputError(message, { file, ...locationOf(doc, offsetOf(doc, path)), field: formatPath(path) || undefined });
}
