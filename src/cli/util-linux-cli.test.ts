/**
 * `memhp lsmem --util-linux VERSION` and `memhp chmem` argument order, at the
 * command line. Where util-linux's own lsmem is installed, memhp prints what
 * it prints for the installed release, on util-linux's own test dumps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../testing/cli.js";
import { modelFirst } from "./cmd-util-linux.js";

const DUMPS = fileURLToPath(new URL("../../test/util-linux/lsmem/dumps/", import.meta.url));
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-ul-cli-"));
process.on("exit", () => fs.rmSync(ROOT, { recursive: true, force: true }));

const SYSTEM_LSMEM = "/usr/bin/lsmem";
const systemVersion = (): string | undefined => {
  if (!fs.existsSync(SYSTEM_LSMEM)) return undefined;
  const r = spawnSync(SYSTEM_LSMEM, ["--version"], { encoding: "utf8" });
  return /util-linux (\d+\.\d+(?:\.\d+)?)/.exec(r.stdout ?? "")?.[1];
};

test("lsmem --util-linux: the installed util-linux lsmem's output, byte for byte", { skip: systemVersion() === undefined && "no /usr/bin/lsmem" }, async () => {
  const version = systemVersion()!;
  for (const name of ["x86_64-16g", "s390-zvm-6g"]) {
    const dir = path.join(ROOT, name);
    fs.mkdirSync(dir);
    execFileSync("tar", ["-xjf", path.join(DUMPS, `${name}.tar.bz2`), "-C", dir]);
    const root = path.join(dir, name);
    for (const args of [[], ["-a"], ["-o", "+ZONES,NODE"], ["-b", "--summary=only"], ["-J"], ["-r", "-a"], ["-P", "-S", "none"], ["--output-all"]]) {
      const want = spawnSync(SYSTEM_LSMEM, [...args, "--sysroot", root], { encoding: "utf8" });
      const got = await runCli(["lsmem", "--util-linux", version, ...args, "--sysroot", root]);
      assert.equal(got.stdout, want.stdout, `${name} lsmem ${args.join(" ")}`);
      assert.equal(got.code, want.status, `${name} lsmem ${args.join(" ")}: exit`);
    }
  }
});

test("lsmem --util-linux: a version memhp does not know is exit 2", async () => {
  const r = await runCli(["lsmem", "--util-linux", "2.20", "example:dimm"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--util-linux: util-linux 2\.20 is older/);
  const r2 = await runCli(["lsmem", "--util-linux=9.1", "example:dimm"]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /newer/);
});

test("chmem: the MODEL operand may come anywhere among the arguments", async () => {
  const first = await runCli(["chmem", "-d", "-b", "-v", "example:dimm@2", "33", "--json"]);
  assert.equal(first.code, 0, first.stderr);
  for (const argv of [
    ["chmem", "33", "-v", "example:dimm@2", "-d", "-b", "--json"],
    ["chmem", "-v", "33", "-b", "--json", "-d", "example:dimm@2"],
    ["chmem", "--json", "33", "example:dimm@2", "-vdb"],
  ]) {
    const r = await runCli(argv);
    assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(first.stdout), argv.join(" "));
  }
  assert.deepEqual(modelFirst(["33", "example:x@1"]), ["example:x@1", "33"]);
  assert.deepEqual(modelFirst(["1G", "2G"]), ["1G", "2G"]);
});
