/**
 * Parsers for the /proc files of a dump: /proc/zoneinfo (zone spans) and the
 * MemTotal line of /proc/meminfo or a node's meminfo. Located InputErrors.
 * Pure (browser-safe).
 */
import { quoteValue } from "./quote.js";
import { InputError } from "../errors.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import type { DumpFile } from "./dump.js";
import type { Snapshot } from "./snapshot.js";

const ZONES = ZONE_NAMES as readonly string[];

function bad(f: DumpFile, message: string, line?: number): InputError {
  return new InputError(message, line === undefined ? { file: f.file } : { file: f.file, line });
}

/** /proc/zoneinfo: spanned, present and start_pfn of every zone (other lines ignored). */
export function parseZoneinfo(f: DumpFile): Snapshot["zoneinfo"] {
  const out: Snapshot["zoneinfo"] = {};
  let cur: { key: string; zone: string; line: number; z: { start_pfn: number | null; spanned?: number; present?: number } } | null = null;
  const finish = () => {
    if (!cur) return;
    if (cur.z.spanned === undefined || cur.z.present === undefined) throw bad(f, `zone ${cur.zone} of ${cur.key} has no spanned/present lines (truncated?)`, cur.line);
    out[cur.key][cur.zone] = { start_pfn: cur.z.start_pfn, spanned: cur.z.spanned, present: cur.z.present };
  };
  f.text.split(/\r?\n/).forEach((raw, i) => {
    const h = /^Node (\d+), zone\s+(\S+)\s*$/.exec(raw);
    if (h) {
      finish();
      if (!ZONES.includes(h[2])) throw bad(f, `unknown zone "${h[2]}" (x86_64 has ${ZONES.join(", ")})`, i + 1);
      const key = `node${Number(h[1])}`;
      out[key] ??= {};
      if (out[key][h[2]]) throw bad(f, `zone ${h[2]} of ${key} appears twice`, i + 1);
      cur = { key, zone: h[2], line: i + 1, z: { start_pfn: null } };
      return;
    }
    if (/^Node /.test(raw)) throw bad(f, `not a zone header: ${quoteValue(raw)}`, i + 1);
    const m = /^\s+(spanned|present|start_pfn:)\s+(\S*)\s*$/.exec(raw);
    if (!m || !cur) return;
    if (!/^\d+$/.test(m[2])) throw bad(f, `${m[1].replace(":", "")}: not a number: ${quoteValue(m[2])}`, i + 1);
    const v = Number(m[2]);
    if (m[1] === "spanned") cur.z.spanned = v;
    else if (m[1] === "present") cur.z.present = v;
    else cur.z.start_pfn = v;
  });
  finish();
  if (Object.keys(out).length === 0) throw bad(f, "no `Node N, zone NAME` sections");
  return out;
}

/** `MemTotal:  N kB` of /proc/meminfo or `Node N MemTotal: N kB` of a node's meminfo. */
export function memTotal(f: DumpFile): string {
  const lines = f.text.split(/\r?\n/);
  const i = lines.findIndex((l) => /^(Node \d+ )?MemTotal:/.test(l));
  if (i < 0) throw bad(f, "no MemTotal line");
  const m = /MemTotal:\s+(\d+) kB\s*$/.exec(lines[i]);
  if (!m) throw bad(f, `MemTotal: not "N kB": ${quoteValue(lines[i])}`, i + 1);
  return `${Number(m[1])} kB`;
}
