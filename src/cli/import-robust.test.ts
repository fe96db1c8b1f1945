/**
 * `memhp import` refuses what the model cannot boot (exit 2, nothing
 * written) and writes only machine files that `memhp run` boots
 * (issue 12, items 2 and 6).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-import-robust-"));
process.on("exit", () => fs.rmSync(ROOT, { recursive: true, force: true }));
const MEM = "sys/devices/system/memory";

let good: string | null = null;
async function dump(name: string, edit: (d: string) => void): Promise<string> {
  if (!good) {
    good = path.join(ROOT, "good");
    const r = await runCli(["export-sysfs", "example:dimm@1", good]);
    assert.equal(r.code, 0, r.stderr);
  }
  const d = path.join(ROOT, name);
  fs.cpSync(good, d, { recursive: true, verbatimSymlinks: true });
  edit(d);
  return d;
}

test("import refuses a dump with a 16 TiB block size (x86_64 blocks are 128 MiB to 2 GiB)", async () => {
  const d = await dump("bs16t", (d) => {
    fs.writeFileSync(path.join(d, MEM, "block_size_bytes"), "100000000000\n");
    fs.rmSync(path.join(d, "proc/iomem"));
  });
  const out = path.join(ROOT, "bs16t.json");
  const r = await runCli(["import", d, "-o", out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /block_size_bytes: the model cannot boot this dump: block_size_bytes 0x100000000000 is more than an x86_64 kernel uses/);
  assert.equal(fs.existsSync(out), false);
});

test("an imported machine file boots: run, lint and explain take it", async () => {
  const d = await dump("plain", () => {});
  const out = path.join(ROOT, "plain.json");
  assert.equal((await runCli(["import", d, "-o", out])).code, 0);
  for (const argv of [["run", out], ["lint", out], ["explain", "memory32", out]]) {
    const r = await runCli(argv);
    assert.ok(r.code === 0 || r.code === 1, `${argv.join(" ")}: ${r.code} ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
});
