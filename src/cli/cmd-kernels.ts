/** `memhp kernels [--json] [--verify]`: the kernel profiles, their build configurations, verification status and rules. */
import type { Command } from "commander";
import { RULES, VERSIONS, resolveKernel, resolveRules, type RuleName } from "../kernel/profile.js";
import { CONFIG_OPTIONS, PRESETS } from "../kernel/profiles/config.js";
import { VERIFIED_TRACES } from "../kernel/profiles/verified-traces.js";
import { basename } from "node:path";
import { countKernelTraces, verifyKernelTraces } from "../scenario/kernel-verification.js";
import { statusLine } from "./io.js";
import { REPO_ROOT } from "../testing/paths.js";

function show(v: unknown): string {
  if (typeof v === "boolean" || typeof v === "number" || typeof v === "string") return String(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "object" && x && "name" in x && "end" in x ? `${(x as { name: string }).name}..${(x as { end: number }).end.toString(16)}` : JSON.stringify(x))).join(", ");
  return JSON.stringify(v);
}

/** Every trace run now, with a status line on a terminal (it takes minutes): which trace, how many of how many. */
function verifyNow(): ReturnType<typeof verifyKernelTraces> {
  const total = Object.values(countKernelTraces(REPO_ROOT)).reduce((a, b) => a + b, 0);
  const status = statusLine();
  let n = 0;
  const tally = verifyKernelTraces(REPO_ROOT, (file) => status.show(`running trace ${++n} of ${total}: ${basename(file)}`));
  status.clear();
  return tally;
}

export function registerKernels(program: Command): void {
  program
    .command("kernels")
    .description("list the kernel profiles (versions), their build configuration presets, how many real-kernel traces each reproduces, and the rules that differ")
    .option("--json", "machine-readable: profiles, presets, config options, rules with evidence")
    .option("--verify", "run every real-kernel trace now (test/oracle and ../shared/conformance, both boot modes) and count, instead of the recorded counts; lists the traces not reproduced with their first difference (minutes; a status line on a terminal)")
    .addHelpText(
      "after",
      `
A profile is a kernel version's rules (named behaviours with evidence: a trace
or an upstream commit) with a build configuration (a distribution preset,
options overridable per scenario) on an architecture: a virt (arm64) machine
gets Debian's arm64 build of the version (arm64-16k: the 16K-page build).
Pick one in a scenario (machine.kernel: "6.12" or {version, preset, config})
or with --kernel on run, compare, explain, lint, lsmem and chmem.

Examples:
  memhp kernels
  memhp kernels --json | jq '.profiles[] | {version, traces}'
  memhp kernels --verify`,
    )
    .action((opts: { json?: boolean; verify?: boolean }) => {
      const counts: Record<string, { traces: number; reproduced: number; failing?: { file: string; why: string }[] }> = opts.verify ? verifyNow() : { ...VERIFIED_TRACES };
      const profiles = VERSIONS.map((v) => {
        const p = resolveKernel(v.version);
        return {
          version: v.version,
          status: v.whatIf ? "what-if" : v.verified ? "verified" : "unverified",
          description: v.description,
          preset: p.preset,
          arm64_presets: PRESETS.filter((x) => x.arch === "arm64" && x.version === v.version).map((x) => x.name),
          config: p.config,
          traces: counts[v.version] ?? { traces: 0, reproduced: 0 },
        };
      });
      const names = Object.keys(RULES) as RuleName[];
      const rules = names.map((name) => {
        const def = RULES[name];
        return {
          name,
          doc: def.doc,
          initial: def.initial,
          evidence: def.evidence,
          changes: def.changes,
          values: Object.fromEntries(VERSIONS.map((v) => [v.version, resolveRules(v.version)[name]])),
        };
      });
      if (opts.json) {
        const presets = PRESETS.map((p) => ({ name: p.name, description: p.description, version: p.version, arch: p.arch, config: p.config, evidence: p.evidence }));
        const options = CONFIG_OPTIONS.map((o) => ({ key: o.key, symbols: o.symbols, doc: o.doc }));
        process.stdout.write(JSON.stringify({ profiles, presets, config_options: options, rules, counted: opts.verify ? "now" : "recorded (npm run kernels:verify)" }, null, 1) + "\n");
        return;
      }
      const out: string[] = [];
      const row = (c: string[]) => out.push(c.map((x, i) => (i < c.length - 1 ? x.padEnd([8, 11, 16, 28, 16, 18][i] ?? 10) : x)).join(" ").trimEnd());
      row(["version", "status", "preset", "arm64 presets", "auto_online", "memmap_on_memory", `traces reproduced (${opts.verify ? "counted now" : "recorded"})`]);
      for (const p of profiles) {
        row([
          p.version,
          p.status,
          p.preset ?? "-",
          p.arm64_presets.join(", ").replace(/-arm64, (\S+)-arm64-16k/, "-arm64, -16k") || "-",
          p.config.MHP_DEFAULT_ONLINE_TYPE,
          p.config.MHP_MEMMAP_ON_MEMORY ? "built" : "not built",
          p.traces.traces ? `${p.traces.reproduced} of ${p.traces.traces}` : "-",
        ]);
      }
      if (opts.verify) {
        const failing = profiles.flatMap((p) => (p.traces.failing ?? []).map((f) => `  ${p.version.padEnd(5)} ${f.file}: ${f.why}`));
        out.push("", failing.length ? "Traces not reproduced (the first difference):" : "Every trace reproduced.", ...failing);
      }
      out.push("", "Rules that differ between versions (value per version):");
      for (const r of rules) {
        const vals = Object.values(r.values).map(show);
        if (vals.every((v) => v === vals[0])) continue;
        out.push(`  ${r.name}: ${VERSIONS.map((v) => `${v.version}=${show(r.values[v.version])}`).join("  ")}`);
        out.push(`      ${r.doc}`);
        for (const c of r.changes) out.push(`      from ${c.since}${c.arch ? ` (${c.arch})` : ""}: ${show(c.value)} — ${c.evidence}`);
      }
      out.push("", `Build configuration options (machine.kernel.config): ${CONFIG_OPTIONS.flatMap((o) => o.symbols).join(", ")}`);
      out.push("", "Presets (machine.kernel.preset; default: the version's build for the machine's architecture and page size):");
      const yn = (b: boolean) => (b ? "y" : "n");
      for (const p of PRESETS) {
        const c = p.config;
        const arch = `${p.arch}${c.ARM64_PAGES ? ` ${c.ARM64_PAGES}` : ""}`;
        out.push(
          `  ${p.name.padEnd(26)} ${p.version.padEnd(5)} ${arch.padEnd(10)} ZONE_DEVICE=${yn(c.ZONE_DEVICE)} ACPI_HOTPLUG_MEMORY=${yn(c.ACPI_HOTPLUG_MEMORY)} FIRMWARE_MEMMAP=${yn(c.FIRMWARE_MEMMAP)} auto_online=${c.MHP_DEFAULT_ONLINE_TYPE}  (test/kernel-configs/${p.evidence.split(";")[0]})`,
        );
      }
      process.stdout.write(out.join("\n") + "\n");
    });
}
