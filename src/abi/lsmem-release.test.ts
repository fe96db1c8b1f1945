/**
 * `lsmem --util-linux VERSION`: what each util-linux release prints, checked
 * against that release's own test expectations (tests/expected/lsmem/ at
 * the tag, kept in test/util-linux/lsmem/expected/vX.Y.Z/; see the README
 * there), every invocation byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import { lsmem, type MemorySysfsView } from "./lsmem.js";
import { lsmemRelease } from "./lsmem-release.js";
import { readSysroot } from "./sysroot.js";

const DATA = fileURLToPath(new URL("../../test/util-linux/lsmem/", import.meta.url));

function invocations(text: string): { args: string[]; stdout: string }[] {
  const parts = text.split("\n---\n\n");
  assert.equal(parts[0], "");
  return parts.slice(1).map((p) => {
    const nl = p.indexOf("\n");
    const cmd = p.slice(0, nl);
    assert.ok(cmd.startsWith("$ lsmem"), cmd);
    return { args: cmd.slice("$ lsmem".length).split(" ").filter(Boolean), stdout: p.slice(nl + 1) };
  });
}

const views = new Map<string, MemorySysfsView>();
function view(name: string): MemorySysfsView {
  if (!views.has(name)) views.set(name, readSysroot(`${DATA}dumps/${name}.tar.bz2`));
  return views.get(name)!;
}

const RELEASES: [string, string, string[]][] = [
  ["v2.38.1", "2.38.1", ["x86_64-16g", "s390-zvm-6g"]],
  ["v2.41.5", "2.41.5", ["x86_64-16g", "s390-zvm-6g"]],
  ["v2.42.2", "2.42.2", ["x86_64-16g", "s390-zvm-6g"]],
  [".", "master", ["x86_64-16g", "s390-zvm-6g", "aarch64_16K_16g"]],
];

for (const [dir, version, dumps] of RELEASES) {
  for (const name of dumps) {
    test(`util-linux ${version}: its own expected output for ${name}, every invocation`, () => {
      const cases = invocations(readFileSync(`${DATA}expected/${dir}/lsmem-${name}`, "utf8"));
      assert.ok(cases.length >= 8);
      for (const c of cases) {
        const r = lsmem(view(name), [...c.args, "--sysroot", "/dump"], { utilLinux: version });
        assert.equal(r.stderr, "", `${version} lsmem ${c.args.join(" ")}: stderr`);
        assert.equal(r.exitCode, 0);
        assert.equal(r.stdout, c.stdout, `${version} lsmem ${c.args.join(" ")}`);
      }
    });
  }
}

test("releases differ where the expectations say: summary labels, SIZE width, the memmap line", () => {
  const v: MemorySysfsView = { ...view("x86_64-16g"), memmapOnMemoryParam: "Y\n" };
  const out = (ver: string, args: string[] = []) => lsmem(v, args, { utilLinux: ver }).stdout;
  assert.match(out("2.38.1"), /^Memory block size:       128M$/m);
  assert.match(out("2.41"), /^Memory block size:                128M$/m);
  assert.doesNotMatch(out("2.41"), /Memmap on memory/);
  assert.match(out("2.42.2"), /^Memmap on memory parameter:        yes$/m);
  assert.equal(out("2.42.2"), out("master"));
  // SIZE: 5 wide before 2.42 when its data is as wide as the header ("128M"), 4 from 2.42
  assert.match(out("2.41", ["-a", "-o", "SIZE", "--summary=never"]), /^ SIZE\n/);
  assert.match(out("2.42", ["-a", "-o", "SIZE", "--summary=never"]), /^SIZE\n/);
  // options and columns a release does not have
  assert.equal(lsmem(v, ["--annotate"], { utilLinux: "2.42.2" }).exitCode, 1);
  assert.match(lsmem(v, ["--annotate"], { utilLinux: "2.42.2" }).stderr, /unrecognized option '--annotate'/);
  assert.match(lsmem(v, ["-o", "CONFIGURED"], { utilLinux: "2.41.5" }).stderr, /unknown column: CONFIGURED/);
  assert.equal(lsmem(v, ["-V"], { utilLinux: "2.38.1" }).stdout, "lsmem from util-linux 2.38.1\n");
  assert.doesNotMatch(lsmem(v, ["--help"], { utilLinux: "2.38.1" }).stdout, /annotate|CONFIGURED/);
  // --bytes summary: signed before 2.43-devel
  const huge: MemorySysfsView = { blockSizeBytes: 2 ** 52, blocks: Array.from({ length: 2048 }, (_, i) => ({ index: i, state: "online\n", nodes: [] })) };
  assert.match(lsmem(huge, ["--summary=only", "-b"], { utilLinux: "2.42" }).stdout, /Total online memory: +-\d+$/m);
  assert.doesNotMatch(lsmem(huge, ["--summary=only", "-b"]).stdout, /-\d/);
});

test("--util-linux: versions memhp does not know are bad input", () => {
  for (const bad of ["2.37.4", "2.44", "3.0", "latest-ish", ""]) {
    assert.throws(() => lsmemRelease(bad), InputError, bad);
  }
  assert.equal(lsmemRelease("v2.39").rules.summaryLabelWidth, 23);
  assert.equal(lsmemRelease("2.40.4").rules.nodesFromFirstBlock, true);
  assert.equal(lsmemRelease("2.42").rules.memmapParamLine, true);
  assert.equal(lsmemRelease(undefined), lsmemRelease("master"));
});
