/**
 * Strict JSON (RFC 8259: no comments, no trailing commas, no duplicate keys)
 * with the source offset of every key, value and list item, and messages
 * that say what a hand-edited file most likely got wrong. Browser-safe.
 */
import { setKey, SyntaxProblem, type ContainerLocs, type LineIndex, type Parsed, type Path, type PathKey } from "./located.js";

const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const TOKEN = /[-+0-9A-Za-z_.]+/y;
const WORD = /[A-Za-z_$][\w$]*/y;
const ESCAPES = new Map(Object.entries({ '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }));

/** Strict JSON with source offsets. Throws SyntaxProblem. */
export function parseJson(s: string, lines: LineIndex): Parsed {
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
