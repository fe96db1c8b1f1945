/**
 * virtio-mem (issue 3 item 4): the real-kernel virtio-mem traces reproduce
 * exactly, with the boot state derived from the machine description and
 * imported from the trace's boot snapshot. Besides the shared trace, the
 * project's own recordings (test/oracle/traces/virtio-mem-*.json: offline
 * blocks, big-block mode, kernel zones, 4 MiB blocks, NUMA + auto-movable)
 * are checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { checkTrace } from "./check.js";
import { formatMismatch } from "./conformance.js";
import { jsonFiles, ORACLE_TRACES, traceFile } from "../testing/paths.js";

/** Traces whose differences are known and not modelled, with the reason. */
const KNOWN: Record<string, string> = {};

const files = [traceFile("virtio-mem"), ...jsonFiles(ORACLE_TRACES).filter((f) => basename(f).startsWith("virtio-mem"))];

for (const file of files) {
  const name = basename(file, ".json");
  for (const boot of ["derive", "import"] as const) {
    const skip = existsSync(file) ? KNOWN[name] : "no trace";
    test(`${name} reproduces the real kernel (${boot} boot)`, { skip: skip ?? false }, () => {
      const r = checkTrace(readFileSync(file, "utf8"), file, boot);
      assert.deepEqual(r.mismatches.slice(0, 5).map((m) => formatMismatch(name, m)), []);
    });
  }
}
