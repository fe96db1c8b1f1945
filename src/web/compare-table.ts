/**
 * The `memhp compare` figures of the page's two maps (the same scenario under
 * two kernel profiles or block designs), as a plain-text table.
 */
import { compareRun, type CompareRun } from "../analysis/compare.js";
import { formatBytes } from "./axis.js";
import type { Session } from "./session.js";

/** `choice` is the compare picker's value: `design:NAME` names the second map's design. */
export function compareTable(a: Session, b: Session, choice: string): string {
  const run = (s: Session): CompareRun => {
    const d = s.settings.design;
    const name = choice.startsWith("design:") && s === b ? choice.slice(7) : "fixed";
    return compareRun(s.scenario, s.kernelVersion, { name, design: d ?? {} });
  };
  const x = run(a);
  const y = run(b);
  const rows: [string, (r: CompareRun) => string][] = [
    ["kernel / design", (r) => `${r.profile} ${r.design}`],
    ["block devices (peak)", (r) => String(r.block_devices)],
    ["sysfs files (peak)", (r) => String(r.sysfs_files)],
    ["uevents", (r) => String(r.uevents)],
    ["usable as RAM", (r) => formatBytes(r.usable_ram_bytes)],
    ["usable as device memory", (r) => formatBytes(r.usable_device_bytes)],
    ["lost: alignment/holes/metadata", (r) => `${formatBytes(r.lost_bytes.alignment)} / ${formatBytes(r.lost_bytes.holes)} / ${formatBytes(r.lost_bytes.metadata)}`],
    ["failed steps", (r) => r.failed_steps.map((f) => `${f.step}`).join(", ") || "none"],
    ["blocks with several owners", (r) => r.shared_blocks.map((sb) => `memory${sb.block}`).join(", ") || "none"],
  ];
  return rows.map(([label, f]) => `${label.padEnd(32)} ${f(x).padEnd(34)} ${f(y)}`).join("\n");
}
