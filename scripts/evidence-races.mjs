// Run every traced evidence recording (test/oracle/evidence-pin, test/oracle/arm64/evidence-pin) on the model
// and write, per recording, the race outcomes that reproduce it (the departures from the model's own order), or
// null where none does, to test/oracle/evidence-races.json (`npm run evidence:races`; a test keeps it true).
// An optional argument names another oracle directory (tests). A recording that cannot be read is an error naming
// it (exit 2), and nothing is written.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTrace } from "../dist/scenario/check.js";

const oracle = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL("../test/oracle/", import.meta.url));
const out = {};
const problems = [];
for (const dir of ["evidence-pin", "arm64/evidence-pin"]) {
  let names = [];
  try {
    names = readdirSync(join(oracle, dir)).sort();
  } catch {
    continue;
  }
  for (const name of names) {
    if (!name.endsWith(".json") || name.endsWith(".scenario.json")) continue;
    const file = join(oracle, dir, name);
    try {
      const text = readFileSync(file, "utf8");
      if (JSON.parse(text).format !== "linux-memhp-oracle-trace/1") continue;
      process.stderr.write(`${dir}/${name}\n`);
      const r = checkTrace(text, file, "derive");
      out[`${dir}/${name}`] = r.mismatches.length ? null : Object.fromEntries(r.races.filter((x) => x.outcome !== 0).map((x) => [x.key, x.outcome]));
    } catch (e) {
      // An InputError names where (file:line:col: field); a file that is not JSON, only the file.
      problems.push(typeof e.format === "function" ? e.format() : `${file}: ${e.message}`);
    }
  }
}
if (problems.length) {
  for (const p of problems) process.stderr.write(`evidence-races: ${p}\n`);
  process.stderr.write("evidence-races: nothing written\n");
  process.exit(2);
}
writeFileSync(join(oracle, "evidence-races.json"), JSON.stringify(out, null, 1) + "\n");
const failing = Object.entries(out).filter(([, v]) => v === null).map(([k]) => k);
process.stdout.write(JSON.stringify({ recordings: Object.keys(out).length, reproduced: Object.keys(out).length - failing.length, failing }) + "\n");
