/**
 * Traces with wrong-typed fields given to `conformance` (or booted by
 * import) are bad input: exit 2 naming the file line and field, in both
 * boot modes — never an internal error (issue 12, item 2).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";
import { traceFile } from "../testing/paths.js";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-trace-schema-"));
process.on("exit", () => fs.rmSync(ROOT, { recursive: true, force: true }));

type T = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const CASES: [string, (t: T) => void, RegExp, RegExp][] = [
  ["dmesg lines as numbers", (t) => (t.steps[0].dmesg = [1, 2]), /steps\[0\]\.dmesg\[0\]/, /expected a string, got 1/],
  ["a step as a string", (t) => (t.steps[1] = "write"), /steps\[1\]/, /expected an object, got "write"/],
  ["null uevents", (t) => (t.steps[0].uevents = null), /steps\[0\]\.uevents/, /expected a list, got null/],
  ["a uevent as a number", (t) => (t.boot.uevents = [7]), /boot\.uevents\[0\]/, /expected an object, got 7/],
  ["dmesg levels as strings", (t) => (t.steps[0].dmesg_levels = ["6"]), /steps\[0\]\.dmesg_levels\[0\]/, /expected a number, got "6"/],
  ["steps not a list", (t) => (t.steps = {}), /: steps: /, /expected a list/],
  ["a boot snapshot without memory", (t) => delete t.boot.snapshot.memory, /boot\.snapshot\.memory/, /missing required field/],
  ["block nodes as a string", (t) => (t.boot.snapshot.memory.blocks.memory0.nodes = "node0"), /boot\.snapshot\.memory\.blocks\.memory0\.nodes/, /expected a list/],
  ["zone spans as strings", (t) => (t.steps[0].snapshot.zoneinfo.node0.Normal.spanned = "12"), /steps\[0\]\.snapshot\.zoneinfo\.node0\.Normal\.spanned/, /expected a number/],
  ["iomem as text", (t) => (t.boot.snapshot.iomem = "00000000-00000fff : Reserved"), /boot\.snapshot\.iomem/, /expected a list/],
  ["a null result", (t) => (t.steps[0].result = null), /steps\[0\]\.result/, /expected an object, got null/],
];

const base = JSON.parse(fs.readFileSync(traceFile("dimm-online-kernel"), "utf8")) as T;

for (const [what, edit, field, msg] of CASES) {
  for (const boot of ["derive", "import"]) {
    test(`conformance --boot ${boot} refuses a trace with ${what}`, async () => {
      const t = structuredClone(base);
      edit(t);
      const file = path.join(ROOT, `${what.replace(/\W+/g, "-")}.json`);
      fs.writeFileSync(file, JSON.stringify(t, null, 1));
      const r = await runCli(["conformance", "--boot", boot, file]);
      assert.equal(r.code, 2, r.stderr);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
      assert.match(r.stderr, new RegExp(`${path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: `));
      assert.match(r.stderr, field);
      assert.match(r.stderr, msg);
    });
  }
}

test("the unedited trace passes in both boot modes", async () => {
  const r = await runCli(["conformance", "--boot", "both", traceFile("dimm-online-kernel")]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});
