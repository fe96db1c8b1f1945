/** `memhp compare SCENARIO [--profiles 6.1,5.2] [--designs fixed:128M,fixed:2G,variable,single-owner] [--json]` */
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { compareScenario, parseDesign, type CompareRun } from "../analysis/compare.js";
import { whyNotPortable } from "../analysis/compare-arch.js";
import { KernelSpecError, PROFILES, resolveKernel } from "../kernel/profile.js";
import { formatSize } from "../kernel/units.js";
import { resolveScenario } from "../scenario/resolve.js";
import { progress } from "./io.js";
import { parseKernelFlag } from "./kernel-option.js";

function list(s: string): string[] {
  return s.split(",").map((x) => x.trim()).filter(Boolean);
}

function bytes(n: number): string {
  return n === 0 ? "0" : `${formatSize(Math.abs(n))}${n < 0 ? " (negative)" : ""}`;
}

export function renderCompare(runs: CompareRun[]): string {
  const rows: [string, (r: CompareRun) => string][] = [
    ["auto-online (build default)", (r) => r.kernel.auto_online_default],
    ["auto-online at boot", (r) => r.kernel.auto_online_boot],
    ["memmap_on_memory", (r) => r.kernel.memmap_on_memory],
    ["capacity", (r) => bytes(r.capacity_bytes)],
    ["memory block devices", (r) => r.block_devices.toLocaleString("en-US")],
    ["sysfs files (memory)", (r) => r.sysfs_files.toLocaleString("en-US")],
    ["uevents", (r) => r.uevents.toLocaleString("en-US")],
    ["usable as System RAM", (r) => bytes(r.usable_ram_bytes)],
    ["usable as device memory", (r) => bytes(r.usable_device_bytes)],
    ["lost to alignment", (r) => bytes(r.lost_bytes.alignment)],
    ["lost to holes", (r) => bytes(r.lost_bytes.holes)],
    ["lost to metadata", (r) => bytes(r.lost_bytes.metadata)],
    ["failed steps", (r) => String(r.failed_steps.length)],
    ["blocks with 2+ owners", (r) => String(r.shared_blocks.length)],
  ];
  const manyArchs = new Set(runs.map((r) => r.arch)).size > 1;
  const heads = runs.map((r) => `${manyArchs ? `${r.arch} ` : ""}${r.profile} ${r.design}`);
  const w0 = Math.max(...rows.map(([n]) => n.length));
  const ws = runs.map((r, i) => Math.max(heads[i].length, ...rows.map(([, f]) => f(r).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padStart(ws[i - 1]))).join("  ");
  const out = [line(["", ...heads]), ...rows.map(([n, f]) => line([n, ...runs.map(f)]))];
  for (const r of runs) {
    if (r.failed_steps.length) {
      out.push("", `${r.profile} ${r.design}: failed steps`);
      for (const f of r.failed_steps) out.push(`  step ${f.step}: ${f.errno}: ${f.reason}`);
    }
    if (r.shared_blocks.length) {
      out.push("", `${r.profile} ${r.design}: blocks with more than one owner`);
      for (const b of r.shared_blocks.slice(0, 20)) out.push(`  block ${b.block}: ${b.owners.join(", ")}`);
      if (r.shared_blocks.length > 20) out.push(`  … ${r.shared_blocks.length - 20} more`);
    }
    if (r.unaccounted_bytes !== 0) out.push("", `${r.profile} ${r.design}: ${r.unaccounted_bytes} bytes unaccounted (a bug in memhp's accounting)`);
  }
  return out.join("\n") + "\n";
}

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("run a scenario under several kernel profiles and memory-block designs, side by side")
    .argument("<scenario>", "scenario file, trace file, or example:NAME")
    .option("--kernels <list>", `kernel versions (${Object.keys(PROFILES).join(", ")}), each with its distribution's build configuration (default: 6.1,5.2)`)
    .option("--profiles <list>", "older spelling of --kernels")
    .option("--designs <list>", "memory block designs: fixed:SIZE, variable, single-owner (default: fixed:128M,fixed:2G,variable,single-owner; with --kernels only: each kernel's own, fixed)")
    .option("--archs <list>", "run the scenario on these architectures' QEMU machines too (x86_64: pc, arm64: virt), device-memory addresses and block numbers kept relative to the hotplug area")
    .option("--json", "machine-readable output")
    .addHelpText(
      "after",
      `
Designs: fixed:SIZE (every block SIZE bytes, a power of two >= 128M), variable
(one block per hot-added unit and per boot RAM range, named by its first
section), single-owner (the kernel's block size; device memory that would share
a block with other memory is refused). The 5.2 profile is the last kernel
before sub-section hotplug.

Examples:
  memhp compare example:pmem-shared-section
  memhp compare example:dimm --kernels 5.10,6.1,6.12,7.2
  memhp compare example:64t --designs fixed:128M,fixed:2G,variable --json
  memhp compare example:dimm-online-movable --archs x86_64,arm64 --kernels 6.1 --designs fixed`,
    )
    .action((arg: string, opts: { profiles?: string; kernels?: string; designs?: string; archs?: string; json?: boolean }) => {
      const archs = opts.archs === undefined ? undefined : list(opts.archs).map((a) => {
        const f = a === "x86_64" || a === "amd64" ? "x86_64" : a === "arm64" || a === "aarch64" ? "arm64" : null;
        if (!f) throw new InputError(`unknown architecture "${a}" (known: x86_64, arm64)`, { field: "--archs" });
        return f as "x86_64" | "arm64";
      });
      const field = opts.kernels !== undefined ? "--kernels" : "--profiles";
      // Across architectures the default is one version: 5.2 (a what-if) has no arm64 build.
      const profiles = list(opts.kernels ?? opts.profiles ?? (archs ? "6.1" : "6.1,5.2"));
      if (!profiles.length) throw new InputError("no kernel versions given", { field });
      for (const p of profiles) parseKernelFlag(p, field);
      for (const a of archs ?? []) {
        for (const p of profiles) {
          try {
            resolveKernel(p, a);
          } catch (e) {
            if (e instanceof KernelSpecError) throw new InputError(`Linux ${p} on ${a}: ${e.message}`, { field });
            throw e;
          }
        }
      }
      const designs = list(opts.designs ?? (opts.kernels !== undefined ? "fixed" : "fixed:128M,fixed:2G,variable,single-owner"));
      for (const d of designs) {
        try {
          parseDesign(d);
        } catch (e) {
          throw new InputError((e as Error).message, { field: "--designs" });
        }
      }
      const r = resolveScenario(arg);
      const tick = progress(true);
      if (archs) {
        for (const a of archs) {
          const why = whyNotPortable(r.scenario, a);
          if (why) throw new InputError(`cannot run ${r.scenario.name} on ${a}: ${why}`, { field: "--archs" });
        }
      }
      const result = compareScenario(r.scenario, profiles, designs, (i, n) => tick(i, n, "runs"), archs);
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 1) + "\n");
      else process.stdout.write(`memhp compare: ${r.scenario.name}${r.scenario.description ? ` — ${r.scenario.description}` : ""}\n\n${renderCompare(result.runs)}`);
    });
}
