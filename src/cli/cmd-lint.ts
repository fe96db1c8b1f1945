/** `memhp lint MACHINE|SCENARIO [--json]` */
import { kernelOption, parseKernelFlag } from "./kernel-option.js";
import type { Command } from "commander";
import { lint, type DimmRequest, type Finding } from "../analysis/lint.js";
import { parseSize } from "../kernel/units.js";
import { placeDimm } from "../machine/qemu.js";
import type { PluggedMemoryDevice } from "../machine/types.js";
import { BOOT_OPTION } from "./options.js";
import { loadState, type LoadedState } from "./state.js";

/** The DIMMs a scenario plugs, placed as QEMU would place them (devices unplugged in between are freed). */
function scenarioDimms(st: LoadedState): DimmRequest[] {
  const out: DimmRequest[] = [];
  const devices: PluggedMemoryDevice[] = [...st.sys.devices.filter((d) => d.kind !== "dimm")];
  st.allSteps.forEach((s, i) => {
    if (s.op === "plug-dimm") {
      const size = parseSize(s.size as string);
      const addr = s.addr === undefined || s.addr === null ? undefined : parseSize(s.addr as string);
      const id = String(s.id);
      const p = placeDimm(st.sys.layout, st.sys.spec, devices, { id, size, addr });
      if (p.ok) devices.push({ id, kind: "dimm", addr: p.addr, size, slot: p.slot });
      out.push({ step: i, id, size, addr: p.ok ? p.addr : addr });
    } else if (s.op === "unplug-dimm") {
      const j = devices.findIndex((d) => d.id === String(s.id));
      if (j >= 0) devices.splice(j, 1);
    }
  });
  return out;
}

function render(f: Finding): string {
  return `${f.severity.toUpperCase().padEnd(7)} ${f.range}  ${f.message}\n        fix: ${f.fix}\n`;
}

export function registerLint(program: Command): void {
  program
    .command("lint")
    .description("layout problems of a machine: RAM and PMEM sharing a section or block, space alignment wastes, DIMMs the block size cannot take, blocks that can never go offline, device memory conflicts")
    .argument("[file]", "machine, scenario or trace file; FILE@N lints the state after step N (default: the boot state)")
    .option("--sysroot <dir>", "a dump of a real machine (directory or tarball) instead of FILE")
    .addOption(BOOT_OPTION())
    .addOption(kernelOption())
    .option("--json", "print the findings as JSON")
    .addHelpText(
      "after",
      `
Each finding has a severity (error, warning, info), a range, a message and a fix.
Exit 1 when there is a finding at error level, 0 otherwise.

Examples:
  memhp lint ../shared/conformance/scenarios/legacy-pmem-subsection.json
  memhp lint machine.json --json
  memhp lint trace.json@12
  memhp lint --sysroot ../shared/conformance/util-linux/x86_64-16g.tar.bz2`,
    )
    .action((file: string | undefined, opts: { sysroot?: string; boot: "derive" | "import"; json?: boolean; kernel?: string }) => {
      // Without @N a layout is linted at boot; its DIMM steps are checked against the block size.
      const st = loadState({ arg: file, sysroot: opts.sysroot, boot: opts.boot, defaultStep: 0, kernel: parseKernelFlag(opts.kernel) });
      const layout = st.sys.layout;
      const pmem = [
        ...layout.legacyPmem.map((p) => ({ name: "Persistent Memory (legacy)", start: p.start, end: p.end })),
        ...layout.nvdimms.map((n) => ({ name: `NVDIMM ${n.id}`, start: n.start, end: n.start + n.size - 1 })),
      ];
      const findings = lint(st.kernel, { deviceMemory: layout.deviceMemory, dimms: scenarioDimms(st), pmem, cxl: layout.cxl });
      const errors = findings.filter((f) => f.severity === "error").length;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ source: st.source, name: st.name, step: st.step, inferred: st.inferred, findings, errors, warnings: findings.filter((f) => f.severity === "warning").length }, null, 1) + "\n");
      } else {
        process.stdout.write(findings.map(render).join(""));
        if (st.inferred.length) process.stdout.write(`(the machine comes from a dump that lacked some files; inferred: ${st.inferred.join("; ")})\n`);
        process.stdout.write(`${st.name}: ${errors} error(s), ${findings.filter((f) => f.severity === "warning").length} warning(s), ${findings.filter((f) => f.severity === "info").length} note(s)\n`);
      }
      if (errors) process.exitCode = 1;
    });
}
