/**
 * `memhp lsmem` and `memhp chmem`: util-linux's tools (src/abi/lsmem.ts,
 * chmem.ts) on a sysroot (`--sysroot DIR|TARBALL`, default the running
 * machine) or on a model state (`FILE[@N]`). Arguments are util-linux's, byte
 * for byte; memhp adds the MODEL operand and `--boot`, and for chmem `--json`
 * (the writes' results and kernel log). Output and exit codes are the
 * tool's; a bad MODEL or sysroot is memhp's exit 2.
 */
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
}

const LSMEM: ToolSpec = {
  shortArg: "oSs",
  longArg: ["output", "split", "sysroot"],
  longAll: ["all", "annotate", "bytes", "help", "json", "noheadings", "output", "output-all", "pairs", "raw", "split", "summary", "sysroot", "version"],
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
  json: boolean;
  help: boolean;
  sysroot: boolean;
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

function emit(r: { stdout: string; stderr: string; exitCode: number }): void {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.exitCode !== 0) process.exitCode = r.exitCode;
}

const LSMEM_HELP = `
memhp:
 memhp lsmem [lsmem options] [--sysroot DIR|TARBALL | MODEL [--boot derive|import]]

 MODEL is a scenario, trace or machine file (or example:NAME), run by the model;
 FILE@N stops after step N. Without MODEL or --sysroot, the running machine.
 The output is util-linux lsmem's, byte for byte (current util-linux).

Examples:
 memhp lsmem example:dimm@2
 memhp lsmem --all --output RANGE,SIZE,STATE,BLOCK,NODE,ZONES trace.json@5
 memhp lsmem --sysroot x86_64-16g.tar.bz2 --json
 memhp lsmem -o +ZONES machine.json
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
        emit(lsmem({ blockSizeBytes: 0, blocks: [] }, ["--help"]));
        process.stdout.write(LSMEM_HELP);
        return;
      }
      const [modelArg, ...rest] = s.operands;
      if (modelArg === undefined) {
        emit(lsmemOnSysroot([...s.tool, ...rest]));
        return;
      }
      if (s.sysroot) throw new InputError("give either --sysroot or a MODEL file, not both", { file: modelArg });
      const { loadModelState, sysfsView } = await model();
      const st = loadModelState(modelArg, s.boot);
      emit(lsmem(sysfsView(st.kernel), [...s.tool, ...rest]));
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
      const [modelArg, ...rest] = s.operands;
      if (s.sysroot) throw new InputError("give either --sysroot or a MODEL file, not both", { file: modelArg });
      const { loadModelState, modelSysfsTarget } = await model();
      const st = loadModelState(modelArg, s.boot);
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
