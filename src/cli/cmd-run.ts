/** `memhp run SCENARIO [--trace OUT.json] [--json]` */
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { resolveScenario } from "../scenario/resolve.js";
import { runScenario } from "../scenario/runner.js";
import { BOOT_OPTION } from "./options.js";
import { checkOutput, progress, withNewline, writeOutput, writeStdout } from "./io.js";
import { jsonChunks } from "./json-stream.js";
import { renderReport } from "./report.js";
import { PROFILES } from "../kernel/profile.js";
import { parseDesign } from "../analysis/compare.js";
import { kernelOption, parseKernelFlag } from "./kernel-option.js";
import { kernelOfSource } from "../scenario/kernel-of-source.js";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a scenario on the model and print what the kernel does, step by step")
    .argument("<scenario>", "scenario file (YAML/JSON), trace file, or example:NAME; FILE@N stops after step N")
    .addOption(BOOT_OPTION())
    .option("--trace <file>", "write the model's trace (oracle trace format) to this file (- for stdout, instead of the report)")
    .option("--json", "print the trace as JSON instead of the report")
    .addOption(kernelOption())
    .option("--profile <name>", `older spelling of --kernel: ${Object.keys(PROFILES).join(", ")}`)
    .option("--design <design>", "memory block design: fixed:SIZE, variable, single-owner (derive boot only)")
    .addHelpText(
      "after",
      `
Examples:
  memhp run example:dimm
  memhp run my-scenario.yaml --trace model-trace.json
  memhp run ../shared/conformance/traces/dimm-online-kernel.json@5 --boot import --json
  memhp run example:dimm --kernel 6.12
  memhp run example:pmem-shared-section --kernel 5.2`,
    )
    .action(async (arg: string, opts: { boot: "derive" | "import"; trace?: string; json?: boolean; profile?: string; kernel?: string; design?: string }) => {
      const kernel = parseKernelFlag(opts.kernel) ?? parseKernelFlag(opts.profile, "--profile");
      let design;
      if (opts.design !== undefined) {
        try {
          design = parseDesign(opts.design).design;
        } catch (e) {
          throw new InputError((e as Error).message, { field: "--design" });
        }
      }
      // A bad output target is refused before any work.
      const out = opts.trace === undefined ? undefined : checkOutput(opts.trace);
      const r = resolveScenario(arg);
      if (design && (r.bootMode ?? opts.boot) === "import") {
        throw new InputError("--design needs a derived boot (the imported state has the kernel's own blocks)", { file: arg });
      }
      if (opts.boot === "import" && !r.trace) throw new InputError("--boot import needs a trace file (it holds the boot snapshot)", { file: arg });
      const implied = kernelOfSource(r);
      const tick = progress(true);
      const trace = runScenario(r.scenario, {
        boot: r.bootMode ?? opts.boot,
        bootSnapshot: r.trace?.bootSnapshot,
        bootDevices: r.trace?.bootDevices,
        upTo: r.upTo,
        profile: kernel ?? implied?.version,
        kernelNote: kernel === undefined ? implied?.why : undefined,
        design,
        onStep: (i, n) => tick(i, n, "steps"),
      });
      // Streamed: a trace may be larger than any one string can be.
      if (out && out.kind !== "stdout") await writeOutput(out, withNewline(jsonChunks(trace)));
      if (opts.json || out?.kind === "stdout") await writeStdout(withNewline(jsonChunks(trace)));
      else await writeStdout(renderReport(trace, r.scenario.name, r.scenario.description));
    });
}
