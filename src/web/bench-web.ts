/**
 * Web map benchmark: Debian's Chromium (playwright-core) opens the static
 * page on example:64t (64 TiB, 524,288 memory blocks), then zooms from the
 * whole address space down to a 2 MiB sub-section and back, and pans across
 * the whole range, with the wheel, the mouse and the keyboard.
 *
 *   npm run bench:web -- [--json] [--example NAME]
 *
 * Prints {"blocks", "first_paint_ms", "frame_p95_ms", "long_tasks"}:
 * first_paint_ms — navigation start to the first drawn map (the model booted
 * in the page); frame_p95_ms — 95th percentile of the main-thread time of
 * the frames drawn while zooming and panning (input handling + drawing);
 * long_tasks — main-thread tasks over 50 ms while zooming and panning.
 * Targets: < 1000 ms, < 16.7 ms, 0.
 */
import { existsSync, mkdtempSync, copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { pathToFileURL, fileURLToPath } from "node:url";
import { build } from "esbuild";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const ei = args.indexOf("--example");
  const example = ei >= 0 ? args[ei + 1] : "64t";
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`bench:web: needs Debian's Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "memhp-bench-web-"));
  try {
    const out = await build({ entryPoints: [join(ROOT, "src", "web", "app.ts")], bundle: true, minify: true, platform: "browser", format: "iife", write: false, logLevel: "silent" });
    writeFileSync(join(dir, "memhp-web.js"), out.outputFiles[0].text);
    copyFileSync(join(ROOT, "web", "index.html"), join(dir, "index.html"));
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${pathToFileURL(join(dir, "index.html")).href}#example=${example}`);
      await page.waitForFunction(() => performance.getEntriesByName("memhp-first-map").length > 0, undefined, { timeout: 120000 });
      const firstPaint = await page.evaluate(() => performance.getEntriesByName("memhp-first-map")[0].startTime);
      const status = (await page.textContent("#status")) ?? "";
      const blocks = Number((/: ([\d,]+) memory blocks/.exec(status)?.[1] ?? "0").replace(/,/g, ""));
      // Watch frames and long tasks from here on.
      await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __long: number[] };
        w.__frames = [];
        w.__long = [];
        new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: "longtask" });
        // Main-thread time of each frame: from the frame's start to the end of its rendering work, measured after paint.
        const loop = (t: number) => {
          setTimeout(() => w.__frames.push(performance.now() - t), 0);
          requestAnimationFrame(loop);
        };
        requestAnimationFrame(loop);
      });
      const box = (await page.locator("#map").boundingBox())!;
      const cx = box.x + box.width * 0.55;
      const cy = box.y + 120;
      await page.mouse.move(cx, cy);
      // Zoom in from the whole space to a 2 MiB sub-section, and back out.
      for (let i = 0; i < 60; i++) {
        await page.mouse.wheel(0, -240);
        await page.waitForTimeout(16);
      }
      for (let i = 0; i < 60; i++) {
        await page.mouse.wheel(0, 240);
        await page.waitForTimeout(16);
      }
      // Zoom in part way, then drag across the whole range.
      for (let i = 0; i < 12; i++) {
        await page.mouse.wheel(0, -240);
        await page.waitForTimeout(16);
      }
      for (const dir2 of [1, -1]) {
        await page.mouse.move(dir2 > 0 ? box.x + box.width - 20 : box.x + 140, cy);
        await page.mouse.down();
        for (let i = 0; i < 30; i++) {
          await page.mouse.move(dir2 > 0 ? box.x + box.width - 20 - i * 40 : box.x + 140 + i * 40, cy);
          await page.waitForTimeout(16);
        }
        await page.mouse.up();
      }
      await page.focus("#map");
      for (const k of ["ArrowRight", "ArrowRight", "ArrowLeft", "+", "+", "-", "Home"]) {
        await page.keyboard.press(k);
        await page.waitForTimeout(16);
      }
      await page.waitForTimeout(200);
      const r = await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __long: number[] };
        return { frames: w.__frames, long: w.__long };
      });
      const sorted = [...r.frames].sort((a, b) => a - b);
      const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] : 0;
      const result = { blocks, first_paint_ms: Math.round(firstPaint), frame_p95_ms: Math.round(p95 * 10) / 10, long_tasks: r.long.filter((d) => d > 50).length };
      if (json) process.stdout.write(JSON.stringify(result) + "\n");
      else process.stdout.write(`example:${example}: ${blocks} blocks; first paint ${result.first_paint_ms} ms (target < 1000); frame p95 ${result.frame_p95_ms} ms (target < 16.7); long tasks ${result.long_tasks} (target 0)\n`);
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
