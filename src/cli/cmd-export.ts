/** `memhp export-sysfs FILE[@N] DIR [--force]` */
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { exportSysroot } from "../abi/sysfs-export.js";
import { BOOT_OPTION } from "./options.js";
import { progress } from "./io.js";
import { loadState } from "./state.js";
import { writeSysroot } from "./sysroot-write.js";

export function registerExportSysfs(program: Command): void {
  program
    .command("export-sysfs")
    .description("write a model state as a sysroot (sys/devices/system/memory, node links, firmware memmap, module parameters, proc/iomem) that real tools can read")
    .argument("<source>", "scenario, trace or machine file, FILE@N to stop after step N (or, with --sysroot, the output DIR)")
    .argument("[dir]", "output directory: must not exist or be empty (see --force)")
    .option("--sysroot <src>", "re-export a dump (directory or tarball) instead of a model run")
    .option("--force", "replace DIR even if it is not empty")
    .addOption(BOOT_OPTION())
    .option("--json", "print a summary as JSON")
    .addHelpText(
      "after",
      `
The sysroot holds sys/devices/system/memory (block_size_bytes, auto_online_blocks,
every memoryN with every attribute, node and firmware_node links), sys/bus/memory,
sys/devices/system/node (masks, nodeN/memoryM links), sys/firmware/memmap,
sys/module/memory_hotplug/parameters and proc/iomem, proc/meminfo, proc/zoneinfo.
It is written to a temporary directory and renamed into place: a failure leaves
nothing behind, and nothing is ever written outside DIR.

Examples:
  memhp export-sysfs example:dimm@2 /tmp/dimm && lsmem --sysroot /tmp/dimm
  memhp export-sysfs ../shared/conformance/traces/dimm-online-kernel.json@9 out --force
  memhp import --live -o me.json && memhp export-sysfs me.json me-sysroot`,
    )
    .action(async (source: string, dir: string | undefined, opts: { sysroot?: string; force?: boolean; boot: "derive" | "import"; json?: boolean }) => {
      let arg: string | undefined = source;
      let out = dir;
      if (opts.sysroot !== undefined) {
        if (dir !== undefined) throw new InputError("with --sysroot, give only the output DIR", { file: dir });
        arg = undefined;
        out = source;
      }
      if (out === undefined) throw new InputError("missing the output directory DIR", { field: "DIR" });
      const tick = progress(true);
      const st = loadState({ arg, sysroot: opts.sysroot, boot: opts.boot }, (i, n) => tick(i, n, "steps"));
      const entries = exportSysroot(st.kernel, { extraMemoryFiles: st.extraMemoryFiles });
      await writeSysroot(out, entries, { force: opts.force });
      const count = (kind: string) => entries.filter((e) => e.kind === kind).length;
      const summary = { dir: out, source: st.source, step: st.step, blocks: st.kernel.blocks.size, files: count("file"), symlinks: count("symlink"), directories: count("dir") };
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 1) + "\n");
      else process.stdout.write(`wrote ${out}: ${summary.blocks} memory blocks, ${summary.files} files, ${summary.symlinks} symlinks\n`);
    });
}
