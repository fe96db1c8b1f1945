/**
 * YAML through eemeli/yaml's parseDocument (YAML 1.2 core schema) into plain
 * values with the source offset of every key, value and list item; duplicate
 * keys, aliases and tags checked here. Browser-safe.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { setKey, SyntaxProblem, type ContainerLocs, type LineIndex, type Parsed, type Path } from "./located.js";

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

export function parseYaml(text: string, lines: LineIndex): Parsed {
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
