/**
 * The layering of docs/ARCHITECTURE.md, checked on the source: each layer
 * imports only the layers below it, the model core imports the machine layer
 * for types only (the firmware tables it boots from), and the browser-safe
 * layers use no node:* module. A new import that breaks a rule fails here
 * with the file and the import; move the code to the right layer (or, if
 * the rule itself is wrong, change it here and in the document together).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "./testing/paths.js";

const SRC = join(REPO_ROOT, "src");

/** Bottom to top: a layer may import any layer before it in this list, and itself. */
const LAYERS = ["errors", "kernel", "machine", "tools", "abi", "scenario", "analysis", "front"] as const;
type Layer = (typeof LAYERS)[number];

/** The layer of a source file (path relative to src/). */
function layerOf(rel: string): Layer {
  const top = rel.split("/")[0];
  if (top === "errors.ts" || top === "errors.js") return "errors";
  if ((LAYERS as readonly string[]).includes(top)) return top as Layer;
  // cli/, web/, the browser library entry, benchmarks and test helpers: the front ends, above everything.
  return "front";
}

/** Layers whose modules run in a browser: no node:* imports at all. */
const BROWSER_SAFE: readonly Layer[] = ["errors", "kernel", "machine", "tools", "analysis"];

function sources(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return sources(p);
      return f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts") ? [p] : [];
    });
}

interface Import {
  spec: string;
  typeOnly: boolean;
}

function importsOf(text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm)) out.push({ spec: m[2], typeOnly: !!m[1] });
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

const files = sources(SRC).map((f) => ({ file: f, rel: relative(SRC, f).split("\\").join("/"), imports: importsOf(readFileSync(f, "utf8")) }));

test("the source tree has the layers the architecture document names", () => {
  const seen = new Set(files.map((f) => layerOf(f.rel)));
  for (const l of LAYERS) assert.ok(seen.has(l), `no module in layer ${l}`);
  assert.ok(files.length > 100);
});

test("each layer imports only the layers below it (the model core: machine data types only)", () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = layerOf(f.rel);
    for (const imp of f.imports) {
      if (!imp.spec.startsWith(".")) continue;
      const target = relative(SRC, resolve(dirname(f.file), imp.spec)).split("\\").join("/");
      const to = layerOf(target);
      if (LAYERS.indexOf(to) <= LAYERS.indexOf(from)) continue;
      // The kernel boots from tables the machine layer builds (BootLayout, the CXL platform): it may name their types.
      if (from === "kernel" && to === "machine" && imp.typeOnly) continue;
      bad.push(`${f.rel} (${from}) imports ${imp.spec} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test("the browser-safe layers import no node:* module", () => {
  const bad = files.filter((f) => BROWSER_SAFE.includes(layerOf(f.rel)) && f.imports.some((i) => i.spec.startsWith("node:") || /^(fs|path|os|child_process|url)$/.test(i.spec)));
  assert.deepEqual(
    bad.map((f) => f.rel),
    [],
  );
});

test("the browser-safe layers touch no Node global and print nothing (the model core is pure)", () => {
  // A debugging line left in the allocator model once read process.env: fine under node, a ReferenceError in the page.
  const NODE_GLOBAL = /\b(?:process\.(?:env|argv|exit|stdout|stderr|cwd|platform|hrtime)|Buffer\.|require\(|console\.(?:log|error|warn|info|debug))/;
  const bad = files
    .filter((f) => BROWSER_SAFE.includes(layerOf(f.rel)))
    .flatMap((f) => readFileSync(f.file, "utf8").split("\n").map((line, i) => ({ f, line, i })))
    .filter(({ line }) => !/^\s*(\*|\/\/)/.test(line) && NODE_GLOBAL.test(line))
    .map(({ f, line, i }) => `${f.rel}:${i + 1}: ${line.trim()}`);
  assert.deepEqual(bad, []);
  assert.ok(NODE_GLOBAL.test('  if (process.env.X) console.error("x");'), "the pattern sees such a line");
});

test("the import scanner sees static, type-only, re-export and dynamic imports", () => {
  const found = importsOf(`import { a } from "./a.js";\nimport type { B } from "../b.js";\nexport { c } from "./c.js";\nconst d = await import("./d.js");\nimport {\n  e,\n} from "./e.js";\n`);
  assert.deepEqual(found, [
    { spec: "./a.js", typeOnly: false },
    { spec: "../b.js", typeOnly: true },
    { spec: "./c.js", typeOnly: false },
    { spec: "./e.js", typeOnly: false },
    { spec: "./d.js", typeOnly: false },
  ]);
});

test("every test file that makes a temporary directory removes what it made (npm test leaves nothing in the temp directory)", () => {
  // arm64-kernel-config.test.ts wrote sixteen scenario files under memhp-a64cfg-* on every run and never removed them.
  const testFiles = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((f) => {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) return testFiles(p);
        return f.endsWith(".test.ts") ? [p] : [];
      });
  const makers = testFiles(SRC).filter((f) => /\bmkdtemp(Sync)?\(/.test(readFileSync(f, "utf8")));
  assert.ok(makers.length > 5, `${makers.length} test files make temporary directories`);
  // A removal of a directory, not of one file in it.
  const leaky = makers.filter((f) => !/\brm(Sync)?\([^;]*recursive: true/.test(readFileSync(f, "utf8"))).map((f) => relative(SRC, f));
  assert.deepEqual(leaky, []);
});

test("no source file is over 400 lines (docs/ARCHITECTURE.md)", () => {
  // page-alloc-pins.ts had grown to 767 lines; it is split by concern now (the first block's state, the hot-adding
  // CPU's list, user space during a plug).
  const long = files.map((f) => ({ rel: f.rel, lines: readFileSync(f.file, "utf8").split("\n").length - 1 })).filter((f) => f.lines > 400);
  assert.deepEqual(long, []);
  assert.ok(files.length > 100, `${files.length} source files`);
});
