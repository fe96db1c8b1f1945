#!/usr/bin/env node
/**
 * The CLI bundle: src/cli/main.ts and everything it imports, bundled and
 * minified by esbuild into dist/cli-bundle/ (ESM, code splitting: one entry
 * with commander and the command table, one chunk per command and shared
 * chunks for the model). bin/memhp.js loads it.
 *
 *   node scripts/build-cli.mjs            build
 *   node scripts/build-cli.mjs --if-stale build only if a source file is newer than the bundle
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BUNDLE_DIR = path.join(ROOT, "dist", "cli-bundle");
export const BUNDLE_ENTRY = path.join(BUNDLE_DIR, "main.js");

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Is the bundle older than a source file, package.json or package-lock.json? */
export function isStale() {
  let built;
  try {
    built = fs.statSync(BUNDLE_ENTRY).mtimeMs;
  } catch {
    return true;
  }
  const deps = ["package.json", "package-lock.json"].map((f) => {
    try {
      return fs.statSync(path.join(ROOT, f)).mtimeMs;
    } catch {
      return 0;
    }
  });
  return Math.max(newestMtime(path.join(ROOT, "src")), ...deps) > built;
}

export async function buildCli() {
  const esbuild = await import("esbuild");
  fs.rmSync(BUNDLE_DIR, { recursive: true, force: true });
  await esbuild.build({
    // The CLI, and the CLI benchmark (npm run bench:cli) that times it.
    entryPoints: [path.join(ROOT, "src", "cli", "main.ts"), path.join(ROOT, "src", "bench", "bench-cli.ts")],
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    logLevel: "warning",
    legalComments: "none",
    // Loaded from node_modules when used (serve bundles the page with esbuild on demand).
    external: ["esbuild", "playwright-core"],
    // commander and yaml are CommonJS: give the bundle a require() for their node:* imports.
    banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (!process.argv.includes("--if-stale") || isStale()) await buildCli();
}
