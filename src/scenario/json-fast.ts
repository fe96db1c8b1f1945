/**
 * The fast way to read a JSON document whose errors nobody needs to locate
 * yet: the engine's own JSON.parse, plus the one check JSON.parse leaves out
 * (a key given twice in one object, which the located parser refuses). A
 * caller that finds a problem in the value reads the text again with the
 * located parser, which words and places the error. Browser-safe: no I/O.
 */
import { LineIndex, type LocatedDocument } from "./located.js";

const QUOTE = 34;
const BACKSLASH = 92;

/** Whether some object in this (syntactically valid) JSON text names one key twice. */
export function hasDuplicateKey(text: string): boolean {
  // One pass over the text: a stack of the key sets of the open objects
  // (null for a list); a string read where a key may stand is a key.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      i++;
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i += 2;
          continue;
        }
        if (d === QUOTE) break;
        i++;
      }
      if (expectKey) {
        const raw = text.slice(start, i);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 123 /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 91 /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
  }
  return false;
}

/**
 * A JSON text as a document without source positions, or null where the
 * located parser must read it (not JSON, not parseable, or a duplicate key).
 */
export function fastJsonDocument(text: string): LocatedDocument | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (hasDuplicateKey(text)) return null;
  return { format: "json", value, rootOffset: -1, locs: new WeakMap(), lines: new LineIndex("") };
}
