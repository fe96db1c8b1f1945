// Run the conformance search on every arm64 trace (src/testing/arm64-traces.ts) in both boot modes and write, per
// trace and mode, the page-allocator race outcomes that reproduce it (those other than 0) to
// test/oracle/arm64/races.json (`npm run arm64:races`; arm64-conformance.test runs each trace with them first).
// The traces are shared out among worker threads, one per CPU (MEMHP_JOBS to choose); progress goes to stderr,
// a JSON summary to stdout. A trace that cannot be read is an error naming it (exit 2) and nothing is written; a
// trace no outcome reproduces is listed under "failing" (exit 1), the file written without it. An optional argument
// names another repository root (tests): its test/oracle/arm64, and ../shared beside it.
import { availableParallelism } from "node:os";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

if (!isMainThread) {
  const { checkTrace } = await import("../dist/scenario/check.js");
  const { departures } = await import("../dist/testing/arm64-traces.js");
  parentPort.on("message", ({ file, boot }) => {
    const t0 = Date.now();
    try {
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      parentPort.postMessage({ ok: r.mismatches.length === 0, races: departures(r.races), ms: Date.now() - t0 });
    } catch (e) {
      parentPort.postMessage({ error: typeof e.format === "function" ? e.format() : `${file}: ${e.message}` });
    }
  });
} else {
  // Ctrl-C at any time: the file is written only at the end, so there is nothing to undo.
  const workers = [];
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of workers) void w.terminate();
  };
  process.on("SIGINT", () => {
    stop();
    process.stderr.write("\narm64-races: interrupted, nothing written\n");
    process.exit(130);
  });
  const { arm64Traces, arm64RacesFile } = await import("../dist/testing/arm64-traces.js");
  const root = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const ARM64_RACES = arm64RacesFile(root);
  const jobs = arm64Traces(root).flatMap((t) => ["derive", "import"].map((boot) => ({ ...t, boot })));
  if (jobs.length === 0) {
    process.stderr.write(`arm64-races: no arm64 traces under ${root ?? "this repository"} (test/oracle/arm64/traces, ../shared/conformance/arm64/traces); nothing written\n`);
    process.exit(2);
  }
  const n = Math.max(1, Math.min(Number(process.env.MEMHP_JOBS) || availableParallelism(), jobs.length));
  const out = {};
  const failing = [];
  const problems = [];
  let next = 0;
  let done = 0;
  const t0 = Date.now();
  for (let i = 0; i < n; i++) workers.push(new Worker(fileURLToPath(import.meta.url)));
  // A worker that dies (not a trace's fault: the build is missing or broken) ends the run with its message alone.
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          let job;
          const give = () => {
            if (stopping || next >= jobs.length) {
              void w.terminate();
              return resolve();
            }
            job = jobs[next++];
            w.postMessage({ file: job.file, boot: job.boot });
          };
          w.on("message", (m) => {
            done++;
            // Both boot modes read the same file: its fault is told once.
            if (m.error && !problems.includes(m.error)) problems.push(m.error);
            else if (!m.ok) failing.push(`${job.key} (${job.boot})`);
            else if (Object.keys(m.races).length) (out[job.key] ??= {})[job.boot] = m.races;
            if (process.stderr.isTTY || m.ms > 5000) process.stderr.write(`[${done}/${jobs.length}] ${job.key} ${job.boot}${m.ms !== undefined ? ` ${(m.ms / 1000).toFixed(1)} s` : ""}\n`);
            give();
          });
          w.on("error", reject);
          give();
        }),
    ),
  ).catch((e) => {
    stop();
    process.stderr.write(`arm64-races: a worker failed: ${e?.message ?? e}; nothing written\n`);
    process.exit(1);
  });
  if (problems.length) {
    for (const p of problems) process.stderr.write(`arm64-races: ${p}\n`);
    process.stderr.write("arm64-races: nothing written\n");
    process.exit(2);
  }
  const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, { ...(out[k].derive && { derive: out[k].derive }), ...(out[k].import && { import: out[k].import }) }]));
  const tmp = `${ARM64_RACES}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(sorted, null, 1) + "\n");
    renameSync(tmp, ARM64_RACES);
  } finally {
    rmSync(tmp, { force: true });
  }
  process.stdout.write(JSON.stringify({ traces: jobs.length / 2, runs: jobs.length, withRaces: Object.keys(sorted).length, seconds: Math.round((Date.now() - t0) / 1000), failing: failing.sort() }) + "\n");
  process.exit(failing.length ? 1 : 0);
}
