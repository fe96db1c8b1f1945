/**
 * "The model core must also run in a browser": bundle the browser entry for
 * platform=browser (any node:* import fails the build) and run the bundle in
 * a bare JavaScript context with no Node globals (no process, require, Buffer).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";
import { runInNewContext } from "node:vm";
import { join } from "node:path";
import { REPO_ROOT } from "./testing/paths.js";

test("the library bundles for the browser and runs a scenario without Node", async () => {
  const out = await build({
    entryPoints: [join(REPO_ROOT, "src", "browser.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "memhp",
    write: false,
    logLevel: "silent",
  });
  const code = out.outputFiles[0].text;
  assert.doesNotMatch(code, /require\("node:/);
  const ctx: Record<string, unknown> = {};
  runInNewContext(`${code}\nthis.memhp = memhp;`, ctx);
  const api = ctx.memhp as typeof import("./browser.js");
  const ex = api.findExample("dimm")!;
  const { scenario } = api.toRunnable(JSON.stringify(ex), "example:dimm");
  const trace = api.runScenario(scenario, { boot: "derive" });
  assert.equal(trace.steps.length, 4);
  assert.ok(trace.steps[0].snapshot.iomem.includes("100000000-13fffffff : System RAM"));
  assert.equal(trace.steps[1].snapshot.memory.blocks.memory32.valid_zones, "Movable");
});

test("the web page's script bundles for the browser", async () => {
  const out = await build({
    entryPoints: [join(REPO_ROOT, "src", "web", "app.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    write: false,
    logLevel: "silent",
  });
  assert.ok(out.outputFiles[0].text.includes("addressMapSvg") || out.outputFiles[0].text.length > 100000);
  assert.doesNotMatch(out.outputFiles[0].text, /require\("node:/);
});
