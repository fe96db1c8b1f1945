/** `memhp import [DIR|TARBALL|--live] [--iomem FILE] -o MACHINE.json` */
import { resolveMachineKernel } from "../scenario/machine-kernel.js";
import { profileForRelease, type KernelSpec } from "../kernel/profile.js";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { dumpToSnapshot, type DumpFile, type MachineDump } from "../abi/dump.js";
import { dumpFromIomem } from "../abi/iomem-dump.js";
import { liveArch, readDump } from "../abi/dump-read.js";
import { parseArchOption } from "./arch-option.js";
import { isPowerOfTwo, parseSize, SizeParseError } from "../kernel/units.js";
import { bootableMachineFile } from "../scenario/import-boot.js";
import { makeMachineFile } from "../scenario/machine-file.js";
import { checkOutput, withNewline, writeOutput } from "./io.js";
import { jsonChunks } from "./json-stream.js";

function size(v: string, field: string): number {
  try {
    return parseSize(v);
  } catch (e) {
    if (e instanceof SizeParseError) throw new InputError(e.message, { field });
    throw e;
  }
}

interface ImportOptions {
  live?: boolean;
  iomem?: string;
  zoneinfo?: string;
  meminfo?: string;
  blockSize?: string;
  output: string;
  name?: string;
  maxmem?: string;
  slots?: string;
  arch?: string;
  json?: boolean;
}

/** Files people paste: /proc files of at most a few MiB, regular files only. */
const MAX_PROC_FILE = 16 * 1024 * 1024;

function procFile(file: string | undefined): DumpFile | undefined {
  if (file === undefined) return undefined;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  if (!st.isFile()) throw new InputError(st.isDirectory() ? "is a directory, expected a file" : "not a regular file", { file });
  if (st.size > MAX_PROC_FILE) throw new InputError(`too large for a /proc file (${st.size} bytes)`, { file });
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  if (looksLikeToolJson(text)) throw toolJsonError(file);
  return { text, file };
}

/** `ndctl list` / `daxctl list` output: JSON objects with their keys. */
function looksLikeToolJson(text: string): boolean {
  const t = text.trimStart();
  return (t.startsWith("[") || t.startsWith("{")) && /"(dev|chardev|blockdev|daxregion|namespaces|regions|devices|mode|provider|align)"\s*:/.test(t.slice(0, 4096));
}

function toolJsonError(file: string): InputError {
  return new InputError(
    "this looks like `ndctl list` / `daxctl list` JSON, which import does not read: give a sysfs dump (a directory or tarball holding sys/devices/system/memory) or /proc/iomem (--iomem, read as root); import takes namespaces, dax devices and kmem RAM from /proc/iomem",
    { file },
  );
}

/** A JSON file given as SOURCE: ndctl/daxctl output gets a message saying what import reads. */
function refuseToolJson(source: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch {
    return;
  }
  if (!st.isFile() || st.size > MAX_PROC_FILE) return;
  const fd = fs.openSync(source, "r");
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (looksLikeToolJson(buf.subarray(0, n).toString("utf8"))) throw toolJsonError(source);
  } finally {
    fs.closeSync(fd);
  }
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description("read a machine (a sysfs dump directory, a tarball of one, or the running machine) into a machine file that `memhp run` boots from")
    .argument("[source]", "sysroot directory or .tar/.tar.gz/.tar.bz2/.tar.xz holding sys/devices/system/memory")
    .option("--live", "read the running machine (/sys, /proc; /proc/iomem needs root)")
    .option("--iomem <file>", "/proc/iomem captured elsewhere (e.g. as root); alone, without SOURCE: the machine it implies")
    .option("--zoneinfo <file>", "/proc/zoneinfo captured elsewhere (zone spans, and nodes with --iomem alone)")
    .option("--meminfo <file>", "/proc/meminfo captured elsewhere (MemTotal)")
    .option("--block-size <size>", "with --iomem alone: the memory block size (lsmem's \"Memory block size\"); default: inferred")
    .requiredOption("-o, --output <machine.json>", "the machine file to write (- for stdout)")
    .option("--name <name>", "machine name (default: the source's name)")
    .option("--maxmem <size>", "QEMU-side hotplug area for what-if DIMMs: maxmem (e.g. 64G)")
    .option("--slots <n>", "QEMU-side DIMM slots for what-if DIMMs")
    .option("--arch <arch>", "the architecture when the input cannot tell: x86_64, arm64 (4K pages), arm64-16k, arm64-64k")
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
  memhp import ./dump --iomem iomem-as-root.txt -o m.json --maxmem 64G --slots 8
  memhp import --iomem iomem.txt --block-size 2G -o server.json    (what a bug report has)
  memhp import --iomem iomem.txt --zoneinfo zoneinfo.txt --meminfo meminfo.txt -o m.json
  memhp import ./arm64-dump --arch arm64-16k -o a.json   (a dump whose iomem/zoneinfo cannot tell)

The architecture (page and section size, zone limits; arm64 machines become QEMU
virt ones) is read from the dump where it tells (iomem platform devices, zone
spans), from the running machine with --live, else x86_64, unless --arch says.

With --iomem alone the memory blocks are those its System RAM implies, all online;
the block size is --block-size or inferred as x86_64 probes it (said under "inferred").
ndctl/daxctl list JSON is not read: namespaces, dax devices and kmem RAM come from
/proc/iomem ("namespace0.0", "dax0.0", "System RAM (kmem)").`,
    )
    .action(async (source: string | undefined, opts: ImportOptions) => {
      if (opts.live && source !== undefined) throw new InputError("give either a SOURCE or --live, not both", { file: source });
      const iomemOnly = !opts.live && source === undefined && opts.iomem !== undefined;
      if (!opts.live && source === undefined && !iomemOnly) throw new InputError("nothing to import: give a directory or tarball, --live, or --iomem FILE");
      if (opts.blockSize !== undefined && !iomemOnly) throw new InputError("--block-size is for --iomem alone (a dump has its block_size_bytes)", { field: "--block-size" });
      if (source !== undefined) refuseToolJson(source);
      let slots: number | undefined;
      if (opts.slots !== undefined) {
        if (!/^\d+$/.test(opts.slots)) throw new InputError(`expected a number, got ${JSON.stringify(opts.slots)}`, { field: "--slots" });
        slots = Number(opts.slots);
      }
      const maxmem = opts.maxmem === undefined ? undefined : size(opts.maxmem, "--maxmem");
      const out = checkOutput(opts.output);
      const notes: string[] = [];
      const extra = { zoneinfo: procFile(opts.zoneinfo), meminfo: procFile(opts.meminfo) };
      let dump: MachineDump;
      if (iomemOnly) {
        const iomem = procFile(opts.iomem)!;
        const blockSize = opts.blockSize === undefined ? undefined : size(opts.blockSize, "--block-size");
        if (blockSize !== undefined && (!isPowerOfTwo(blockSize) || blockSize < 128 * 1024 * 1024)) throw new InputError("expected a power of two of at least 128M (the section size)", { field: "--block-size" });
        dump = dumpFromIomem(iomem, { blockSize, ...extra, notes });
      } else {
        procFile(opts.iomem); // a regular, readable file, not ndctl/daxctl JSON
        dump = readDump(opts.live ? { live: true } : source!, { iomemFile: opts.iomem, notes });
        if (extra.zoneinfo) dump.zoneinfo = extra.zoneinfo;
        if (extra.meminfo) dump.meminfo = extra.meminfo;
      }
      const arch = opts.arch !== undefined ? parseArchOption(opts.arch) : opts.live ? liveArch() : undefined;
      const { snapshot, inferred, arch: readAs } = dumpToSnapshot(dump, { arch });
      const label = opts.live ? "the running machine" : iomemOnly ? opts.iomem! : source!;
      const name = opts.name ?? (opts.live ? "live" : path.basename(label).replace(/\.(tar(\.(gz|bz2|xz))?|tgz|tbz2?|txz|txt)$/i, "")) ?? "machine";
      const release = dump.osrelease?.text.trim().split(/\s+/)[0] || undefined;
      const made = makeMachineFile(snapshot, { name, source: label, inferred: [...notes, ...inferred], maxmem, slots, arch: readAs, kernel: release });
      const blockSize = parseInt(snapshot.memory.block_size_bytes, 16);
      if (maxmem !== undefined && maxmem < parseSize(String(made.machine.memory))) throw new InputError(`maxmem is below the machine's memory (${made.machine.memory})`, { field: "--maxmem" });
      const mf = bootableMachineFile(made, label);
      const kernelWhy = release ? profileForRelease(release).why : `kernel release unknown (no proc/sys/kernel/osrelease): ${unknownReleaseKernel(mf.machine)}`;
      await writeOutput(out, withNewline(jsonChunks(mf)));
      const summary = {
        output: opts.output,
        name,
        blocks: Object.keys(snapshot.memory.blocks).length,
        block_size_bytes: blockSize,
        nodes: Object.keys(snapshot.node.nodes),
        inferred: mf.import!.inferred,
        kernel: release ?? null,
        kernel_model: kernelWhy,
      };
      if (opts.output === "-") return;
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 1) + "\n");
      else {
        process.stdout.write(`wrote ${opts.output}: ${summary.blocks} memory blocks of 0x${blockSize.toString(16)} bytes, nodes ${summary.nodes.join(", ") || "none"}\n`);
        process.stdout.write(`  kernel: ${kernelWhy}\n`);
        for (const i of summary.inferred) process.stdout.write(`  inferred: ${i}\n`);
      }
    });
}

/** How a machine whose release is unknown is modelled: its architecture's default build ("the 6.12 profile, preset debian-13-arm64-16k"). */
function unknownReleaseKernel(machine: { type?: unknown; arch?: unknown; kernel?: unknown }): string {
  try {
    const p = resolveMachineKernel(machine.kernel as KernelSpec | undefined, { type: String(machine.type ?? "pc"), arch: machine.arch as string | undefined });
    const own = p.overrides.ARM64_PAGES ? `, CONFIG_ARM64_${p.overrides.ARM64_PAGES}_PAGES=y` : "";
    return `modelled with the ${p.version} profile${p.preset ? ` (preset ${p.preset}${own})` : ""}`;
  } catch {
    return "no modelled build";
  }
}
