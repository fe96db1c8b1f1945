/**
 * The corpus of malformed scenario files in test/bad-scenarios/: each must be
 * refused with an InputError naming the right line, column and field. The
 * expectations are here, one per file; a file without an entry (or an entry
 * without a file) fails the test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { REPO_ROOT } from "../testing/paths.js";
import { parseScenario } from "./load.js";
import { loadScenarioFile } from "./load-file.js";

const DIR = join(REPO_ROOT, "test", "bad-scenarios");

interface Expect {
  line: number;
  column: number;
  /** undefined: the error names no field (e.g. a syntax error outside any key). */
  field: string | undefined;
  message: RegExp;
}

const EXPECTED: Record<string, Expect> = {
  // Truncated files: located at the end of the file, in the innermost open container.
  "truncated.json": { line: 7, column: 1, field: "steps[1]", message: /^unexpected end of file \(truncated\?\).*the "\{" at 6:5 is never closed/ },
  "truncated-string.json": { line: 5, column: 60, field: "steps[0].path", message: /unexpected end of file .*string at 5:28 is never closed/ },
  "truncated-flow.yaml": { line: 6, column: 1, field: "steps[1]", message: /^unexpected end of file \(truncated\?\)/ },
  "truncated-quote.yaml": { line: 7, column: 1, field: "steps[0].path", message: /^unexpected end of file \(truncated\?\).*quote/ },
  // Cut at a line boundary, a YAML file is still valid YAML: the step misses its size.
  "truncated-block.yaml": { line: 8, column: 5, field: "steps[0].size", message: /^missing required field$/ },
  // Syntax.
  "trailing-comma.json": { line: 6, column: 3, field: "steps", message: /trailing comma/ },
  "json-comment.json": { line: 3, column: 3, field: undefined, message: /comments are not allowed in JSON/ },
  "hex-number.json": { line: 4, column: 67, field: "steps[0].addr", message: /JSON has no hex.*"0x100000000"/ },
  "duplicate-key.json": { line: 6, column: 29, field: "steps[0].size", message: /^duplicate key "size" \(first at 5:37\)$/ },
  "duplicate-key.yaml": { line: 5, column: 3, field: "machine.cmdline", message: /^duplicate key "cmdline" \(first at 4:3\)$/ },
  "tab-indent.yaml": { line: 3, column: 1, field: undefined, message: /Tabs are not allowed/ },
  "empty.yaml": { line: 1, column: 1, field: undefined, message: /^empty file/ },
  "not-an-object.yaml": { line: 1, column: 1, field: undefined, message: /expected a scenario object .*got a list/ },
  // Wrong types.
  "wrong-type-memory.json": { line: 5, column: 15, field: "machine.memory", message: /expected a size .*got true/ },
  "wrong-type-slots.json": { line: 4, column: 24, field: "machine.slots", message: /expected a number, got "four"/ },
  "wrong-type-steps.yaml": { line: 5, column: 3, field: "steps", message: /expected a list, got an object/ },
  "write-value-number.yaml": { line: 7, column: 12, field: "steps[0].value", message: /expected a string, got 0 .*quote it, "0"/ },
  "trace-bad-scenario.json": { line: 7, column: 59, field: "scenario.steps[0].delete_backend", message: /expected true or false, got "yes"/ },
  // Sizes and addresses.
  "negative-size.json": { line: 6, column: 45, field: "steps[1].size", message: /^negative size: -134217728$/ },
  "huge-size.yaml": { line: 5, column: 11, field: "machine.maxmem", message: /size too large: "8P" \(more than 2\^52/ },
  "huge-addr.json": { line: 9, column: 15, field: "steps[0].addr", message: /address too large: "0x20000000000000"/ },
  "bad-size-suffix.json": { line: 7, column: 45, field: "steps[2].size", message: /^not a size: "12Q"$/ },
  "float-size.yaml": { line: 9, column: 21, field: "steps[0].requested_size", message: /not an integer: 1\.5/ },
  "address-with-suffix.json": { line: 4, column: 67, field: "steps[0].addr", message: /^not an address .*"4G"$/ },
  "leading-zero-address.yaml": { line: 10, column: 11, field: "steps[0].addr", message: /"0100000000" \(leading zero/ },
  // Ops and keys.
  "unknown-op.json": { line: 6, column: 12, field: "steps[1].op", message: /^unknown op "online-block"; ops: plug-dimm, / },
  "oracle-only-op.yaml": { line: 6, column: 9, field: "steps[1].op", message: /op "shell" is an oracle escape hatch/ },
  "missing-op.yaml": { line: 7, column: 5, field: "steps[1].op", message: /^missing required field$/ },
  "unknown-key-step.yaml": { line: 10, column: 5, field: "steps[0].adress", message: /^unknown key "adress"; plug-dimm takes: id, size, addr, node, slot/ },
  "unknown-key-machine.json": { line: 5, column: 5, field: "machine.memroy", message: /^unknown key "memroy" \(did you mean "memory"\?\)$/ },
  "unknown-key-top.yaml": { line: 5, column: 1, field: "setps", message: /^unknown key "setps" \(did you mean "steps"\?\)$/ },
  "missing-machine.json": { line: 1, column: 1, field: "machine", message: /^missing required field$/ },
  "missing-field.json": { line: 6, column: 5, field: "steps[1].value", message: /^missing required field$/ },
  "bad-mode.yaml": { line: 9, column: 11, field: "steps[0].mode", message: /^expected one of "raw", "fsdax", "devdax", "sector"; got "dax"$/ },
  "path-and-paths.yaml": { line: 6, column: 12, field: "steps[0].paths", message: /either "path" or "paths", not both/ },
  // Paths.
  "bad-path.yaml": { line: 6, column: 11, field: "steps[0].path", message: /not an absolute path under \/sys\/: "\/proc\/iomem"/ },
  "relative-path.json": { line: 7, column: 16, field: "steps[0].paths[1]", message: /not an absolute path under \/sys\// },
  "dotdot-path.yaml": { line: 4, column: 22, field: "steps[0].path", message: /"\." or "\.\." components/ },
  // The machine.
  "duplicate-numa.yaml": { line: 8, column: 16, field: "machine.numa[2].nodeid", message: /^duplicate NUMA node id 0 \(also machine\.numa\[0\]\)$/ },
  "numa-mem-sum.json": { line: 6, column: 13, field: "machine.numa", message: /adds up to 1\.5G, not memory \(2G\)/ },
  "maxmem-below-memory.yaml": { line: 5, column: 11, field: "machine.maxmem", message: /^maxmem \(2G\) is less than memory \(4G\)$/ },
  "nvdimm-without-maxmem.json": { line: 7, column: 16, field: "machine.nvdimms", message: /need maxmem greater than memory/ },
  "slots-too-many.json": { line: 3, column: 71, field: "machine.slots", message: /at most 256 slots/ },
  "cmdline-spaces.yaml": { line: 6, column: 7, field: "machine.cmdline[1]", message: /one command-line word per list element/ },
  // CXL topologies (issue 9).
  "cxl-no-such-port.yaml": { line: 9, column: 26, field: "machine.cxl.type3[0].bus", message: /^no root port "rp1" \(cxl\.root_ports has "rp0"\)$/ },
  "cxl-window-too-small.json": { line: 5, column: 63, field: "machine.cxl.type3[0].size", message: /larger than every window of host bridge "cxl\.1" \(cxl\.windows\[0\]: 1G/ },
  "cxl-on-pc.yaml": { line: 6, column: 5, field: "machine.cxl", message: /CXL needs type: q35/ },
  // CXL switches come as QEMU arguments (schema-qemu-args.ts): what memhp does not model is refused, located.
  "cxl-switch-bad-device.yaml": { line: 15, column: 7, field: "machine.extra_qemu_args[5]", message: /^device cxl-switch-mailbox-cci is not modelled here \(cxl-upstream, cxl-downstream, cxl-type3 are\)$/ },
  "cxl-switch-no-port.yaml": { line: 9, column: 178, field: "machine.extra_qemu_args[7]", message: /^cxl-type3 bus "swport1" is not a cxl-downstream port given before it/ },
  "trace-unknown-format.json": { line: 2, column: 13, field: "format", message: /unknown format "linux-memhp-oracle-trace\/9"/ },
};

const files = readdirSync(DIR).sort();

test("every corpus file has an expectation and vice versa", () => {
  assert.ok(files.length >= 20, `only ${files.length} files in ${DIR}`);
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const name of files) {
  test(`bad scenario ${name}`, () => {
    const exp = EXPECTED[name];
    assert.ok(exp, `no expectation for ${name}`);
    const path = join(DIR, name);
    let err: unknown;
    try {
      loadScenarioFile(path);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InputError, `${name}: expected an InputError, got ${err === undefined ? "success" : String(err)}`);
    const { file, line, column, field } = err.location;
    assert.equal(file, path);
    assert.deepEqual({ line, column, field }, { line: exp.line, column: exp.column, field: exp.field }, `${name}: ${err.format()}`);
    assert.match(err.message, exp.message, err.format());
    // The one-line form the CLI prints.
    const where = `${path}:${exp.line}:${exp.column}: ${exp.field === undefined ? "" : exp.field + ": "}`;
    assert.equal(err.format(), where + err.message);
  });
}

test("every corpus file also fails from its text alone, with the same location", () => {
  for (const name of files) {
    const text = readFileSync(join(DIR, name), "utf8");
    assert.throws(
      () => parseScenario(text, name),
      (e: unknown) => e instanceof InputError && e.location.line === EXPECTED[name].line && e.location.file === name,
    );
  }
});
