/**
 * `memhp lsmem` and `memhp chmem`: util-linux's tools (src/abi/lsmem.ts,
 * chmem.ts) on a sysroot (`--sysroot DIR|TARBALL`, default the running
 * machine) or on a model state (`FILE[@N]`). Arguments are util-linux's, byte
 * for byte; memhp adds the MODEL operand and `--boot`, and for chmem `--json`
 * (the writes' results and kernel log). Output and exit codes are the
 * tool's; a bad MODEL or sysroot is memhp's exit 2.
 */
import * as fs from "node:fs";
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { chmem } from "../abi/chmem.js";
import { lsmem } from "../abi/lsmem.js";
import { chmemOnSysroot, lsmemOnSysroot } from "../abi/sysroot.js";
// The model (sysfs-view, state) is loaded only when a MODEL operand is given: lsmem on a dump starts fast.
const model = async () => ({ ...(await import("../abi/sysfs-view.js")), ...(await import("./state.js")) });

interface ToolSpec {
  /** Short options that take an argument. */
  shortArg: string;
  /** Long options that take a required argument. */
  longArg: string[];
  /** All long options (for unambiguous prefixes). */
  longAll: string[];
  /** memhp's --util-linux VERSION applies (lsmem). */
  versions?: boolean;
}

const LSMEM: ToolSpec = {
  shortArg: "oSs",
  longArg: ["output", "split", "sysroot"],
  longAll: ["all", "annotate", "bytes", "help", "json", "noheadings", "output", "output-all", "pairs", "raw", "split", "summary", "sysroot", "version"],
  versions: true,
};
const CHMEM: ToolSpec = {
  shortArg: "msz",
  longArg: ["memmap-on-memory", "sysroot", "zone"],
  longAll: ["blocks", "disable", "enable", "help", "verbose", "version", "zone", "configure", "deconfigure", "memmap-on-memory", "sysroot"],
};

export interface SplitArgs {
  /** Arguments for the tool, in order. */
  tool: string[];
  /** Operands (non-options), in order. */
  operands: string[];
  boot?: "derive" | "import";
  /** memhp: --kernel VERSION for a MODEL. */
  kernel?: string;
  json: boolean;
  help: boolean;
  sysroot: boolean;
  /** lsmem: --util-linux VERSION (the release whose output to print). */
  utilLinux?: string;
}

/** Separate memhp's own options and the operands from the tool's options, the way getopt_long would see them. */
export function splitToolArgs(args: readonly string[], spec: ToolSpec, memhpJson: boolean): SplitArgs {
  const out: SplitArgs = { tool: [], operands: [], json: false, help: false, sysroot: false };
  const longName = (name: string) => {
    if (spec.longAll.includes(name)) return name;
    const c = spec.longAll.filter((l) => l.startsWith(name));
    return c.length === 1 ? c[0] : name;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.operands.push(...args.slice(i + 1));
      break;
    }
    if (a === "--boot" || a.startsWith("--boot=")) {
      const v = a === "--boot" ? args[++i] : a.slice("--boot=".length);
      if (v !== "derive" && v !== "import") throw new InputError(`--boot: expected derive or import, got ${JSON.stringify(v ?? "")}`, { field: "--boot" });
      out.boot = v;
      continue;
    }
    if (spec.versions && (a === "--util-linux" || a.startsWith("--util-linux="))) {
      const v = a === "--util-linux" ? args[++i] : a.slice("--util-linux=".length);
      if (v === undefined) throw new InputError("--util-linux needs a VERSION (e.g. 2.38.1, 2.41, 2.42.2, master)", { field: "--util-linux" });
      out.utilLinux = v;
      continue;
    }
    if (a === "--kernel" || a.startsWith("--kernel=")) {
      out.kernel = a === "--kernel" ? args[++i] ?? "" : a.slice("--kernel=".length);
      continue;
    }
    if (memhpJson && a === "--json") {
      out.json = true;
      continue;
    }
    if (a.length < 2 || a[0] !== "-") {
      out.operands.push(a);
      continue;
    }
    out.tool.push(a);
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = longName(a.slice(2, eq < 0 ? undefined : eq));
      if (name === "help") out.help = true;
      if (name === "sysroot") out.sysroot = true;
      if (eq < 0 && spec.longArg.includes(name) && i + 1 < args.length) out.tool.push(args[++i]);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      if (a[j] === "h") out.help = true;
      if (spec.shortArg.includes(a[j])) {
        if (a[j] === "s") out.sysroot = true;
        if (j === a.length - 1 && i + 1 < args.length) out.tool.push(args[++i]);
        break;
      }
    }
  }
  return out;
}

/**
 * The operands with the MODEL first: getopt_long permutes, so util-linux
 * takes its operands in any order among the options, and so does memhp
 * with its MODEL — the operand naming an example or an existing file
 * (FILE@N included) is the model, whichever place it has.
 */
export function modelFirst(operands: readonly string[]): string[] {
  const isModel = (o: string) => o.startsWith("example:") || fs.existsSync(o.replace(/@\d+$/, ""));
  const i = operands.findIndex(isModel);
  if (i <= 0) return [...operands];
  return [operands[i], ...operands.slice(0, i), ...operands.slice(i + 1)];
}

function emit(r: { stdout: string; stderr: string; exitCode: number }): void {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.exitCode !== 0) process.exitCode = r.exitCode;
}

const LSMEM_HELP = `
memhp:
 memhp lsmem [lsmem options] [--util-linux VERSION] [--sysroot DIR|TARBALL | MODEL [--boot derive|import]]

 MODEL is a scenario, trace or machine file (or example:NAME), run by the model;
 FILE@N stops after step N. Without MODEL or --sysroot, the running machine.
 The output is util-linux lsmem's, byte for byte: the newest (2.43-devel) by
 default, or that of release VERSION with --util-linux (2.38 to 2.42.x, master):
 the summary's label width (2.41), the SIZE column's width and the "Memmap on
 memory parameter" line (2.42), --annotate (2.43-devel) follow the release.

Examples:
 memhp lsmem example:dimm@2
 memhp lsmem --all --output RANGE,SIZE,STATE,BLOCK,NODE,ZONES trace.json@5
 memhp lsmem --sysroot x86_64-16g.tar.bz2 --json
 memhp lsmem -o +ZONES machine.json
 memhp lsmem --util-linux 2.38.1 --sysroot dump/   # as Debian 12's lsmem prints it
`;

const CHMEM_HELP = `
memhp:
 memhp chmem [chmem options] [MODEL] SIZE|RANGE|BLOCKRANGE [--json] [--boot derive|import]
 memhp chmem [chmem options] --sysroot DIR SIZE|RANGE|BLOCKRANGE

 With MODEL (a scenario, trace or machine file, FILE@N to stop after step N),
 chmem's writes go to the model's sysfs: every kernel rule and errno applies.
 --json prints chmem's output, its exit code, each write with its result, and
 the kernel log lines the writes produced. With --sysroot, chmem writes into
 the directory as util-linux does; with neither, into the running system.

Examples:
 memhp chmem -e -b example:dimm@1 32-35
 memhp chmem -d -v trace.json@9 0x100000000-0x13fffffff
 memhp chmem -e -z Movable machine.json 1G --json
 memhp chmem -e --sysroot ./dump 128M
`;

export function registerUtilLinux(program: Command): void {
  program
    .command("lsmem")
    .description("util-linux lsmem on a sysroot (--sysroot DIR|TARBALL) or on a model state (FILE[@N])")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]", "lsmem options, and MODEL")
    .action(async (args: string[]) => {
      const s = splitToolArgs(args, LSMEM, false);
      if (s.help) {
        emit(lsmem({ blockSizeBytes: 0, blocks: [] }, ["--help"], { utilLinux: s.utilLinux }));
        process.stdout.write(LSMEM_HELP);
        return;
      }
      const [modelArg, ...rest] = modelFirst(s.operands);
      if (modelArg === undefined) {
        emit(lsmemOnSysroot([...s.tool, ...rest], { utilLinux: s.utilLinux }));
        return;
      }
      if (s.sysroot) throw new InputError("give either --sysroot or a MODEL file, not both", { file: modelArg });
      const { loadModelState, sysfsView } = await model();
      const st = loadModelState(modelArg, s.boot, undefined, undefined, s.kernel === undefined ? undefined : (await import("./kernel-option.js")).parseKernelFlag(s.kernel));
      emit(lsmem(sysfsView(st.kernel), [...s.tool, ...rest], { utilLinux: s.utilLinux }));
    });

  program
    .command("chmem")
    .description("util-linux chmem on a model state (FILE[@N], through the model's sysfs) or a sysroot directory")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]", "chmem options, MODEL, and SIZE|RANGE|BLOCKRANGE")
    .action(async (args: string[]) => {
      const s = splitToolArgs(args, CHMEM, true);
      if (s.help) {
        emit(chmem({ read: () => null, list: () => null, write: () => ({ ok: true }) }, ["--help"]));
        process.stdout.write(CHMEM_HELP);
        return;
      }
      if (s.operands.length < 2) {
        if (s.json) throw new InputError("--json needs a MODEL (chmem on a sysroot prints util-linux's output only)", { field: "--json" });
        emit(chmemOnSysroot([...s.tool, ...s.operands]));
        return;
      }
      const [modelArg, ...rest] = modelFirst(s.operands);
      if (s.sysroot) throw new InputError("give either --sysroot or a MODEL file, not both", { file: modelArg });
      const { loadModelState, modelSysfsTarget } = await model();
      const st = loadModelState(modelArg, s.boot, undefined, undefined, s.kernel === undefined ? undefined : (await import("./kernel-option.js")).parseKernelFlag(s.kernel));
      const k = st.kernel;
      const mark = k.log.length;
      const target = modelSysfsTarget(k);
      const writes: { path: string; value: string; ok: boolean; errno?: string }[] = [];
      const logged = { ...target, write: (p: string, v: string) => {
        const r = target.write(p, v);
        writes.push(r.ok ? { path: p, value: v, ok: true } : { path: p, value: v, ok: false, errno: r.errno });
        return r;
      } };
      const r = chmem(logged, [...s.tool, ...rest]);
      if (s.json) {
        process.stdout.write(
          JSON.stringify(
            { model: st.name, step: st.step, stdout: r.stdout, stderr: r.stderr, exit_code: r.exitCode, writes, dmesg: k.log.slice(mark).map((l) => l.text), dmesg_levels: k.log.slice(mark).map((l) => l.level) },
            null,
            1,
          ) + "\n",
        );
        if (r.exitCode !== 0) process.exitCode = r.exitCode;
        return;
      }
      emit(r);
    });
}
