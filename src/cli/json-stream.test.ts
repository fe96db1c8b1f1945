/** jsonChunks gives exactly JSON.stringify(value, null, 1), in pieces. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonChunks } from "./json-stream.js";
import { runScenario } from "../scenario/runner.js";
import { resolveScenario } from "../scenario/resolve.js";

test("jsonChunks joined equals JSON.stringify(v, null, 1) for any JSON value (and undefined members, toJSON)", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      assert.equal([...jsonChunks(v)].join(""), JSON.stringify(v, null, 1));
    }),
    { numRuns: 500 },
  );
  const odd = { a: undefined, b: [undefined, () => 1, new Date(0)], c: { toJSON: () => ({ x: "line\nbreak" }) }, d: [[[[1, { e: [] }]]]], f: {} };
  assert.equal([...jsonChunks(odd)].join(""), JSON.stringify(odd, null, 1));
  assert.deepEqual([...jsonChunks(undefined)], []);
});

test("a trace streams as many chunks, none of them the whole trace", () => {
  const r = resolveScenario("example:dimm");
  const trace = runScenario(r.scenario, { boot: "derive" });
  const chunks = [...jsonChunks(trace)];
  const whole = JSON.stringify(trace, null, 1);
  assert.equal(chunks.join(""), whole);
  assert.ok(chunks.length > 20);
  assert.ok(Math.max(...chunks.map((c) => c.length)) < whole.length / 2);
});
