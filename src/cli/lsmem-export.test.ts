/**
 * Issue 4's acceptance: for the final state of every conformance trace, and a
 * state midway, the real util-linux lsmem run with --sysroot on `memhp
 * export-sysfs` output prints exactly what `memhp lsmem` prints, in its --raw
 * and --json forms, with and without --all, --bytes and splits. (Debian 12's
 * lsmem 2.38 is older than the reference: its table alignment differs, so
 * the plain table is not compared here.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { jsonFiles, TRACES } from "../testing/paths.js";
import { runCli } from "../testing/cli.js";
import { lsmem } from "../abi/lsmem.js";
import { sysfsView } from "../abi/sysfs-view.js";
import { loadModelState } from "./state.js";

const LSMEM = ["/usr/bin/lsmem", "/bin/lsmem"].find((p) => existsSync(p));
const ALL = "RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES";
const VARIANTS: string[][] = [[], ["--all"], ["--bytes"], ["--all", "--bytes"], ["-o", ALL, "--split", "STATE,ZONES"], ["-o", ALL, "--split", ALL], ["-o", "RANGE,SIZE,NODE", "--split", "NODE"]];

for (const file of jsonFiles(TRACES)) {
  test(`util-linux lsmem on export-sysfs output = memhp lsmem: ${basename(file)}`, { skip: !LSMEM && "no util-linux lsmem installed" }, async () => {
    const steps = (JSON.parse(readFileSync(file, "utf8")) as { steps: unknown[] }).steps.length;
    const dir = mkdtempSync(join(tmpdir(), "memhp-lsmem-"));
    try {
      for (const n of [...new Set([Math.floor(steps / 2), steps])]) {
        const src = `${file}@${n}`;
        const out = join(dir, `s${n}`);
        const ex = await runCli(["export-sysfs", src, out]);
        assert.equal(ex.code, 0, ex.stderr);
        // `memhp lsmem` once through the command line, then the same view for every variant.
        const k = loadModelState(src).kernel;
        const cli = await runCli(["lsmem", "--raw", "--all", src]);
        assert.equal(cli.code, 0, cli.stderr);
        assert.equal(cli.stdout, lsmem(sysfsView(k), ["--raw", "--all"]).stdout);
        const runs = ["--raw", "--json"].flatMap((form) => VARIANTS.map((v) => [form, ...v]));
        // One shell for all the real lsmem runs of this state (spawning is the slow part); outputs separated by NUL.
        const script = runs.map((a) => `"$0" --sysroot "$1" ${a.join(" ")} && printf '\\0'`).join(" && ");
        const real = execFileSync("sh", ["-c", script, LSMEM!, out], { encoding: "utf8" }).split("\0");
        runs.forEach((args, i) => {
          const mine = lsmem(sysfsView(k), args);
          assert.equal(mine.exitCode, 0, mine.stderr);
          assert.equal(mine.stdout, real[i], `${src}: lsmem ${args.join(" ")}`);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
