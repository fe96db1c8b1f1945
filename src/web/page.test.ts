/**
 * The web page as a person uses it, in Debian's Chromium through
 * playwright-core (the static build: file://, the model running in the page):
 * load example:pmem-shared-section, zoom to the shared section and find its
 * sub-section map, step through, click memory7 and read why it cannot go
 * offline, run an action, open the real-kernel trace and see every step
 * PASS, then an altered copy and see the mismatch marked on the map; a
 * screenshot compared with tolerance; keyboard-only use; no console errors.
 * Skipped when /usr/bin/chromium is absent (.ci/run installs it).
 * MEMHP_UPDATE_SCREENSHOTS=1 rewrites the reference screenshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { REPO_ROOT, traceFile } from "../testing/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const REFERENCE = join(REPO_ROOT, "test", "web", "shared-section.png");
const TRACE = traceFile("legacy-pmem-subsection");

/** Pixels of the map canvas that differ from a reference PNG by more than 48 in some channel, as a fraction. */
async function differsFrom(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.getElementById("map") as HTMLCanvasElement;
    if (img.width !== c.width || img.height !== c.height) return 1;
    const ref = document.createElement("canvas");
    ref.width = img.width;
    ref.height = img.height;
    const rc = ref.getContext("2d")!;
    rc.drawImage(img, 0, 0);
    const a = rc.getImageData(0, 0, img.width, img.height).data;
    const b = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let bad = 0;
    for (let i = 0; i < a.length; i += 4) if (Math.abs(a[i] - b[i]) > 48 || Math.abs(a[i + 1] - b[i + 1]) > 48 || Math.abs(a[i + 2] - b[i + 2]) > 48) bad++;
    return bad / (a.length / 4);
  }, png.toString("base64"));
}

/** Pixels of the map in a colour (the mismatch mark). */
async function pixelsOf(page: Page, rgb: [number, number, number]): Promise<number> {
  return page.evaluate((c) => {
    const cv = document.getElementById("map") as HTMLCanvasElement;
    const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) n++;
    return n;
  }, rgb);
}

/** The map canvas matches a reference PNG (fewer than 2% of pixels differ); MEMHP_UPDATE_SCREENSHOTS=1 (or a missing file) writes it. */
async function matchesReference(page: Page, file: string): Promise<void> {
  if (process.env.MEMHP_UPDATE_SCREENSHOTS || !existsSync(file)) {
    const url = await page.evaluate(() => (document.getElementById("map") as HTMLCanvasElement).toDataURL("image/png"));
    writeFileSync(file, Buffer.from(url.split(",")[1], "base64"));
  }
  const diff = await differsFrom(page, readFileSync(file));
  assert.ok(diff < 0.02, `map differs from ${file} in ${(diff * 100).toFixed(1)}% of its pixels`);
}

async function row(page: Page, kind: string): Promise<{ y: number; h: number }> {
  const rows = (await page.getAttribute("#map", "data-rows")) ?? "";
  const m = new RegExp(`(?:^| )${kind}:(\\d+):(\\d+)`).exec(rows);
  assert.ok(m, `row ${kind} in ${rows}`);
  return { y: Number(m[1]), h: Number(m[2]) };
}

test("the address map in Chromium: shared section, sub-sections, steps, explain, actions, real-kernel trace", { skip: !existsSync(CHROMIUM) && "no /usr/bin/chromium" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "memhp-web-"));
  const out = await build({ entryPoints: [join(REPO_ROOT, "src", "web", "app.ts")], bundle: true, platform: "browser", format: "iife", write: false, logLevel: "silent" });
  writeFileSync(join(dir, "memhp-web.js"), out.outputFiles[0].text);
  copyFileSync(join(REPO_ROOT, "web", "index.html"), join(dir, "index.html"));
  const altered = JSON.parse(readFileSync(TRACE, "utf8"));
  altered.steps[2].snapshot.memory.blocks.memory7.valid_zones = "Movable";
  writeFileSync(join(dir, "altered.json"), JSON.stringify(altered));
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--font-render-hinting=none"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, reducedMotion: "reduce" });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${pathToFileURL(join(dir, "index.html")).href}#example=pmem-shared-section`);
    await page.waitForSelector("#steps li");
    assert.match((await page.textContent("#status")) ?? "", /pmem-shared-section: 16 memory blocks of 128 MiB, 5 step\(s\)/);

    await page.waitForTimeout(100);
    await matchesReference(page, join(REPO_ROOT, "test", "web", "whole-space.png"));

    // Keyboard only: Tab to "Go to", type the shared section, Enter; the map zooms to it and shows its sub-section map.
    await page.focus("#goto");
    await page.keyboard.type("0x38000000+128M");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /Sub-section map of section 7/.test(document.getElementById("inview")!.textContent ?? ""));
    assert.match((await page.textContent("#inview")) ?? "", /Sub-section map of section 7: 64 of 64 sub-sections present, 32 ZONE_DEVICE\./);
    await page.waitForTimeout(200);
    await matchesReference(page, REFERENCE);

    // Step through with the keyboard (n), from boot to the last step.
    await page.focus("#map");
    for (let i = 0; i < 5; i++) await page.keyboard.press("n");
    assert.match((await page.textContent("#where")) ?? "", /^step 5: create-namespace .*devdax/);
    assert.match((await page.textContent("#changes")) ?? "", /iomem \+ 3c200000-3fffffff : dax0\.0/);
    assert.match((await page.textContent("#uevents")) ?? "", /add .*dax0\.0/);
    assert.match((await page.textContent("#inview")) ?? "", /Sub-section map of section 7: 64 of 64 sub-sections present, 32 ZONE_DEVICE\./);
    await page.keyboard.press("p");
    assert.match((await page.textContent("#where")) ?? "", /^step 4: echo "offline" > memory7\/state/);
    assert.match((await page.textContent("#outcome")) ?? "", /result: EINVAL/);
    assert.match((await page.textContent("#log")) ?? "", /memory offlining \[mem 0x38000000-0x3fffffff\] failed due to memory holes/);

    // Click memory7 on the map: its sysfs attributes and why it cannot go offline.
    const box = (await page.locator("#map").boundingBox())!;
    const blocks = await row(page, "blocks");
    await page.mouse.click(box.x + box.width / 2, box.y + blocks.y + blocks.h / 2);
    assert.match((await page.textContent("#selected")) ?? "", /^memory7, online, zone DMA32, node 0, boot/);
    assert.match((await page.textContent("#attrs")) ?? "", /memory7\/valid_zones\s*DMA32/);
    const explain = (await page.textContent("#explain")) ?? "";
    assert.match(explain, /offline: no \(EINVAL\)/);
    assert.match(explain, /hole|ZONE_DEVICE|pgmap/i);

    // An action: a new step after the current one, run through the model.
    await page.getByRole("button", { name: "echo online_movable > memory7/state" }).click();
    assert.match((await page.textContent("#where")) ?? "", /^step 5: echo "online_movable" > memory7\/state/);
    assert.match((await page.textContent("#outcome")) ?? "", /result: EINVAL/);
    assert.match(await page.inputValue("#scenario"), /value: online_movable/);
    assert.equal(await page.locator("#steps li").count(), 7);

    // The real kernel beside the model: every step PASS.
    await page.setInputFiles("#tracefile", TRACE);
    await page.waitForFunction(() => /every step PASS/.test(document.getElementById("status")!.textContent ?? ""));
    assert.equal(await page.locator("#steps .badge.pass").count(), 10);
    assert.equal(await page.locator("#steps .badge.fail").count(), 0);

    // An altered copy: the mismatching step FAILs, its field is named, the map marks memory7.
    await page.setInputFiles("#tracefile", join(dir, "altered.json"));
    await page.waitForFunction(() => /1 step\(s\) FAIL/.test(document.getElementById("status")!.textContent ?? ""));
    await page.locator("#timeline button").nth(3).click();
    assert.match((await page.textContent("#conf")) ?? "", /FAIL: 1 field\(s\) differ.*\nmemory\.blocks\.memory7\.valid_zones: real kernel "Movable", model "DMA32"/);
    await page.focus("#goto");
    await page.fill("#goto", "memory7");
    await page.keyboard.press("Enter");
    await page.waitForTimeout(100);
    assert.ok((await pixelsOf(page, [0xcc, 0x33, 0x11])) > 50, "the mismatch is marked on the map");

    // Keyboard zoom on the focused map changes the view.
    await page.focus("#map");
    const before = await page.textContent("#inview");
    await page.keyboard.press("Home");
    await page.waitForFunction((b) => document.getElementById("inview")!.textContent !== b, before);
    // Enter on the focused map selects what is in the middle of the view.
    await page.keyboard.press("Enter");
    assert.match((await page.textContent("#selected")) ?? "", /^memory\d+, /);

    // A link reopens the same scenario, step and view.
    await page.locator("#timeline button").nth(5).click();
    await page.fill("#goto", "0x3c000000+64M");
    await page.keyboard.press("Enter");
    await page.waitForTimeout(400);
    await page.click("#x-url");
    const url = page.url();
    assert.match(url, /#s=.*&step=5&view=[0-9a-f]+-[0-9a-f]+$/);
    const where = await page.textContent("#where");
    const inview = await page.textContent("#inview");
    const again = await browser.newPage({ viewport: { width: 1400, height: 1000 }, reducedMotion: "reduce" });
    again.on("pageerror", (e) => errors.push(String(e)));
    await again.goto(url);
    await again.waitForSelector("#steps li");
    await again.waitForTimeout(400);
    assert.equal(await again.textContent("#where"), where);
    assert.equal(await again.textContent("#inview"), inview);
    await again.close();

    // Compare: the same scenario under the 5.2 profile, which cannot map the PMEM that shares memory7's section.
    await page.selectOption("#compare", "profile:5.2");
    await page.waitForFunction(() => /usable as device memory/.test(document.getElementById("compare-table")!.textContent ?? ""));
    assert.match((await page.textContent("#compare-table")) ?? "", /kernel \/ design\s+6\.1 fixed\s+5\.2 fixed/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
