// Run every traced evidence recording (test/oracle/evidence-pin, test/oracle/arm64/evidence-pin) on the model
// and write, per recording, the race outcomes that reproduce it (the departures from the model's own order), or
// null where none does, to test/oracle/evidence-races.json (`npm run evidence:races`; a test keeps it true).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTrace } from "../dist/scenario/check.js";

const oracle = fileURLToPath(new URL("../test/oracle/", import.meta.url));
const out = {};
for (const dir of ["evidence-pin", "arm64/evidence-pin"]) {
  for (const name of readdirSync(join(oracle, dir)).sort()) {
    if (!name.endsWith(".json") || name.endsWith(".scenario.json")) continue;
    const file = join(oracle, dir, name);
    const text = readFileSync(file, "utf8");
    if (JSON.parse(text).format !== "linux-memhp-oracle-trace/1") continue;
    process.stderr.write(`${dir}/${name}\n`);
    const r = checkTrace(text, file, "derive");
    out[`${dir}/${name}`] = r.mismatches.length ? null : Object.fromEntries(r.races.filter((x) => x.outcome !== 0).map((x) => [x.key, x.outcome]));
  }
}
writeFileSync(join(oracle, "evidence-races.json"), JSON.stringify(out, null, 1) + "\n");
const failing = Object.entries(out).filter(([, v]) => v === null).map(([k]) => k);
process.stdout.write(JSON.stringify({ recordings: Object.keys(out).length, reproduced: Object.keys(out).length - failing.length, failing }) + "\n");
