/** `memhp schema`: prints the JSON Schema of each input format; refuses an unknown one with exit 2. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../testing/cli.js";
import { jsonSchema } from "../scenario/json-schema.js";

test("memhp schema prints the scenario schema by default, and each kind by name", async () => {
  const def = await runCli(["schema"]);
  assert.equal(def.code, 0, def.stderr);
  assert.deepEqual(JSON.parse(def.stdout), jsonSchema("scenario"));
  for (const kind of ["scenario", "machine", "trace"] as const) {
    const r = await runCli(["schema", kind]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), jsonSchema(kind));
    assert.equal(r.stderr, "");
  }
});

test("memhp schema with an unknown kind: exit 2, a message naming the kinds, nothing on stdout", async () => {
  const r = await runCli(["schema", "scenarios"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /unknown schema "scenarios": one of scenario, machine, trace/);
});

test("memhp schema --help tells how an editor uses it", async () => {
  const r = await runCli(["schema", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /yaml-language-server: \$schema=/);
  assert.match(r.stdout, /Examples:/);
});
