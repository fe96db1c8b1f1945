/** `memhp import [DIR|TARBALL|--live] [--iomem FILE] -o MACHINE.json` */
import * as path from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { dumpToSnapshot } from "../abi/dump.js";
import { readDump } from "../abi/dump-read.js";
import { parseSize, SizeParseError } from "../kernel/units.js";
import { bootableMachineFile } from "../scenario/import-boot.js";
import { makeMachineFile } from "../scenario/machine-file.js";
import { writeFileAtomic } from "./io.js";

function size(v: string, field: string): number {
  try {
    return parseSize(v);
  } catch (e) {
    if (e instanceof SizeParseError) throw new InputError(e.message, { field });
    throw e;
  }
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description("read a machine (a sysfs dump directory, a tarball of one, or the running machine) into a machine file that `memhp run` boots from")
    .argument("[source]", "sysroot directory or .tar/.tar.gz/.tar.bz2/.tar.xz holding sys/devices/system/memory")
    .option("--live", "read the running machine (/sys, /proc; /proc/iomem needs root)")
    .option("--iomem <file>", "/proc/iomem captured elsewhere (e.g. as root)")
    .requiredOption("-o, --output <machine.json>", "the machine file to write (- for stdout)")
    .option("--name <name>", "machine name (default: the source's name)")
    .option("--maxmem <size>", "QEMU-side hotplug area for what-if DIMMs: maxmem (e.g. 64G)")
    .option("--slots <n>", "QEMU-side DIMM slots for what-if DIMMs")
    .option("--json", "print what was read and inferred as JSON")
    .addHelpText(
      "after",
      `
Reads sys/devices/system/memory (block size, every block's state, zones, node links,
firmware_node), sys/devices/system/node, /proc/iomem, /proc/zoneinfo, /proc/meminfo,
sys/firmware/memmap and the memory_hotplug module parameters, as far as they exist.
What is missing is inferred and listed under "import.inferred" (no iomem: System RAM
= the present blocks; no zoneinfo: zone spans from valid_zones and addresses).

The machine file is {"format": "memhp-machine/1", "machine", "snapshot", "steps"}:
add steps and \`memhp run\` it to ask "what if I hot-add a DIMM / offline these blocks?".

Examples:
  memhp import ../shared/conformance/util-linux/x86_64-16g.tar.bz2 -o 16g.json
  sudo memhp import --live -o $(hostname).json
  memhp import ./dump --iomem iomem-as-root.txt -o m.json --maxmem 64G --slots 8`,
    )
    .action((source: string | undefined, opts: { live?: boolean; iomem?: string; output: string; name?: string; maxmem?: string; slots?: string; json?: boolean }) => {
      if (opts.live && source !== undefined) throw new InputError("give either a SOURCE or --live, not both", { file: source });
      if (!opts.live && source === undefined) throw new InputError("nothing to import: give a directory or tarball, or --live");
      let slots: number | undefined;
      if (opts.slots !== undefined) {
        if (!/^\d+$/.test(opts.slots)) throw new InputError(`expected a number, got ${JSON.stringify(opts.slots)}`, { field: "--slots" });
        slots = Number(opts.slots);
      }
      const maxmem = opts.maxmem === undefined ? undefined : size(opts.maxmem, "--maxmem");
      const notes: string[] = [];
      const dump = readDump(opts.live ? { live: true } : source!, { iomemFile: opts.iomem, notes });
      const { snapshot, inferred } = dumpToSnapshot(dump);
      const label = opts.live ? "the running machine" : source!;
      const name = opts.name ?? (opts.live ? "live" : path.basename(source!).replace(/\.(tar(\.(gz|bz2|xz))?|tgz|tbz2?|txz)$/i, "")) ?? "machine";
      const made = makeMachineFile(snapshot, { name, source: label, inferred: [...notes, ...inferred], maxmem, slots });
      const blockSize = parseInt(snapshot.memory.block_size_bytes, 16);
      if (maxmem !== undefined && maxmem < parseSize(String(made.machine.memory))) throw new InputError(`maxmem is below the machine's memory (${made.machine.memory})`, { field: "--maxmem" });
      const mf = bootableMachineFile(made, label);
      const text = JSON.stringify(mf, null, 1) + "\n";
      if (opts.output === "-") process.stdout.write(text);
      else writeFileAtomic(opts.output, text);
      const summary = {
        output: opts.output,
        name,
        blocks: Object.keys(snapshot.memory.blocks).length,
        block_size_bytes: blockSize,
        nodes: Object.keys(snapshot.node.nodes),
        inferred: mf.import!.inferred,
      };
      if (opts.output === "-") return;
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 1) + "\n");
      else {
        process.stdout.write(`wrote ${opts.output}: ${summary.blocks} memory blocks of 0x${blockSize.toString(16)} bytes, nodes ${summary.nodes.join(", ") || "none"}\n`);
        for (const i of summary.inferred) process.stdout.write(`  inferred: ${i}\n`);
      }
    });
}
