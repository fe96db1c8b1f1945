#!/usr/bin/env node
// memhp: loads the bundled CLI (dist/cli-bundle/, made by `npm run build`).
// A fresh checkout without it gets it built here first (esbuild, under a second).
const BUNDLE = new URL("../dist/cli-bundle/main.js", import.meta.url);
let cli;
try {
  cli = await import(BUNDLE.href);
} catch (e) {
  const { existsSync } = await import("node:fs");
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || existsSync(BUNDLE)) throw e;
  await (await import("../scripts/build-cli.mjs")).buildCli();
  cli = await import(BUNDLE.href);
}
await cli.runAsProgram(process.argv.slice(2));
