import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { hasDuplicateKey } from "./json-fast.js";
import { toRunnable } from "./resolve-text.js";
import { InputError } from "../errors.js";
import { SHARED } from "../testing/paths.js";

test("hasDuplicateKey: keys per object, not across objects or inside strings and lists", () => {
  assert.equal(hasDuplicateKey(`{"a": 1, "b": {"a": 2}, "c": ["a", "a", {"a": 3}]}`), false);
  assert.equal(hasDuplicateKey(`{"a": 1, "b": 2, "a": 3}`), true);
  assert.equal(hasDuplicateKey(`{"x": [{"k": 1, "k": 2}]}`), true);
  assert.equal(hasDuplicateKey(`{"s": "a\\",\\"s", "t": "{\\"u\\": 1, \\"u\\": 2}"}`), false);
  assert.equal(hasDuplicateKey(`{"\\u0061": 1, "a": 2}`), true, "escaped and plain spellings of one key");
  assert.equal(hasDuplicateKey(`[1, {"a": {}, "b": []}, {"a": 0}]`), false);
});

/** Whether position i of a JSON text lies inside a string literal. */
function insideString(text: string, i: number): boolean {
  let inStr = false;
  for (let j = 0; j < i; j++) {
    if (text[j] === "\\" && inStr) j++;
    else if (text[j] === '"') inStr = !inStr;
  }
  return inStr;
}

test("hasDuplicateKey agrees with a parse that counts keys, on random JSON", () => {
  const dupCount = (v: unknown): boolean =>
    Array.isArray(v) ? v.some(dupCount) : v !== null && typeof v === "object" ? Object.values(v).some(dupCount) : false;
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = JSON.stringify(v);
      assert.equal(hasDuplicateKey(text), dupCount(v));
      // Splice a repeated key into the first object that has one (a `{"k":` inside a string value is not an object).
      const m = /\{("(?:[^"\\]|\\.)*"):/.exec(text);
      if (m && !insideString(text, m.index)) {
        const dup = text.slice(0, m.index + 1) + `${m[1]}:0,` + text.slice(m.index + 1);
        assert.equal(hasDuplicateKey(dup), true, dup);
      }
    }),
    // A string holding `{` then `":` once made the splice land inside a string (a flaky failure): always tried.
    { numRuns: 300, examples: [[["{", ":"]]] },
  );
});

test("a trace read the fast way gives what the located reading gives; a duplicate key in its body is still a located error", () => {
  const file = join(SHARED, "conformance", "traces", "dimm-online-movable.json");
  const text = readFileSync(file, "utf8");
  const fast = toRunnable(text, file);
  assert.ok(fast.trace, "the trace's boot snapshot is read");
  assert.equal(fast.scenario.steps.length, (JSON.parse(text) as { steps: unknown[] }).steps.length);
  const dup = text.replace(/"boot"\s*:\s*\{/, (m) => `${m}"dmesg": [], `);
  assert.ok(dup !== text);
  assert.throws(
    () => toRunnable(dup, "dup.json"),
    (e: unknown) => e instanceof InputError && /duplicate key "dmesg"/.test(e.message) && e.location?.line !== undefined,
  );
});
