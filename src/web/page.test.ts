/**
 * The web page as a person uses it, in Debian's Chromium through
 * playwright-core: pick an example, step through it, see the map and log.
 * Skipped when /usr/bin/chromium is absent (.ci/run installs it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { mkdtempSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { REPO_ROOT } from "../testing/paths.js";

const CHROMIUM = "/usr/bin/chromium";

test("the web page runs an example in Chromium and steps through it", { skip: !existsSync(CHROMIUM) && "no /usr/bin/chromium" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "memhp-web-"));
  const out = await build({ entryPoints: [join(REPO_ROOT, "src", "web", "app.ts")], bundle: true, platform: "browser", format: "iife", write: false, logLevel: "silent" });
  writeFileSync(join(dir, "memhp-web.js"), out.outputFiles[0].text);
  copyFileSync(join(REPO_ROOT, "web", "index.html"), join(dir, "index.html"));
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(join(dir, "index.html")).href);
    await page.selectOption("#example", "dimm-kernel-busy");
    await page.locator("#step").fill("4");
    assert.match(await page.textContent("#where") ?? "", /^step 3: .*unplug-dimm/);
    assert.match(await page.textContent("#result") ?? "", /DEVICE_BUSY/);
    assert.match(await page.textContent("#log") ?? "", /memory memory32: Offline failed\./);
    assert.equal(await page.locator("#map svg title", { hasText: "memory32 online Normal" }).count(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
