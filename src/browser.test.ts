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

test("the bundle runs an arm64 virtio-mem plug and unplug on 6.12 without Node (the page allocator's kworker list and races)", async () => {
  // The path a debugging line once broke in the page: process.env in page-alloc-pins.ts, fine under node only.
  const out = await build({ entryPoints: [join(REPO_ROOT, "src", "browser.ts")], bundle: true, platform: "browser", format: "iife", globalName: "memhp", write: false, logLevel: "silent" });
  const ctx: Record<string, unknown> = {};
  runInNewContext(`${out.outputFiles[0].text}\nthis.memhp = memhp;`, ctx);
  const api = ctx.memhp as typeof import("./browser.js");
  const scenario = {
    name: "arm64-plug",
    machine: { type: "virt", memory: "2G", smp: 2, maxmem: "8G", slots: 1, cmdline: ["memhp_default_state=online_kernel"], virtio_mem: [{ id: "vm0", size: "2G", block_size: "2M", requested_size: "0" }] },
    steps: [
      { op: "virtio-mem-resize", id: "vm0", requested_size: "900M" },
      { op: "virtio-mem-resize", id: "vm0", requested_size: "0" },
    ],
  };
  const { scenario: s } = api.toRunnable(JSON.stringify(scenario), "arm64-plug.json");
  const trace = api.runScenario(s, { boot: "derive", profile: "6.12" });
  const size = (i: number) => (trace.steps[i].result as { size?: number }).size;
  assert.equal(size(0), 900 * 1024 * 1024);
  // Pageblocks 0, 7, 10 and 20 of the first block keep kernel pages (a64-probe20-uefi-vm-2m-900m on 6.12): 8 MiB stay.
  assert.equal(size(1), 8 * 1024 * 1024);
  assert.ok(trace.boot.noisy?.races?.some((r) => r.race === "kernel-list"), "the runtime races are listed");
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
