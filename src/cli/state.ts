/**
 * The state a command looks at: `FILE[@N]` (a scenario, trace or machine
 * file run by the model up to step N, default: to the end) or `--sysroot
 * DIR|TARBALL` (a dump of a real machine, imported).
 */
import { kernelOfSource } from "../scenario/kernel-of-source.js";
import * as path from "node:path";
import { InputError } from "../errors.js";
import { dumpToSnapshot } from "../abi/dump.js";
import { readDump } from "../abi/dump-read.js";
import type { Kernel } from "../kernel/kernel.js";
import { parseSize } from "../kernel/units.js";
import type { System } from "../machine/system.js";
import type { MachineSpec } from "../machine/types.js";
import { resolveScenario } from "../scenario/resolve.js";
import { applyStep, bootSystem, type RawStep } from "../scenario/runner.js";
import { makeMachineFile } from "../scenario/machine-file.js";
import { traceQemuVersion } from "../machine/qemu-version.js";

export interface LoadedState {
  sys: System;
  kernel: Kernel;
  /** Scenario or machine name. */
  name: string;
  /** Steps applied, and how many the scenario has. */
  step: number;
  steps: number;
  /** The scenario's steps (all of them, for lint). */
  allSteps: RawStep[];
  machine: MachineSpec;
  /** What was inferred while importing a dump. */
  inferred: string[];
  /** Files of the memory directory kept verbatim from an imported dump (for export-sysfs). */
  extraMemoryFiles?: Record<string, string>;
  source: string;
}

/** Run `FILE[@N]` on the model. */
export function loadModelState(arg: string, boot: "derive" | "import" = "derive", onStep?: (i: number, n: number) => void, defaultStep?: number, kernel?: string): LoadedState {
  const r = resolveScenario(arg);
  const mode = r.bootMode ?? boot;
  if (mode === "import" && !r.trace) throw new InputError("--boot import needs a trace or machine file (it holds the boot snapshot)", { file: arg });
  const steps = r.scenario.steps;
  if (r.upTo !== undefined && r.upTo > steps.length) throw new InputError(`@${r.upTo}: the scenario has only ${steps.length} step(s)`, { file: arg });
  // --kernel, else the scenario's machine.kernel, else the release a trace or machine file names (nearest verified profile).
  const profile = kernel ?? kernelOfSource(r)?.version;
  const qemu = traceQemuVersion((r.trace?.raw as { qemu?: unknown } | undefined)?.qemu) ?? undefined;
  const sys = bootSystem(r.scenario.machine, { boot: mode, bootSnapshot: r.trace?.bootSnapshot, bootDevices: r.trace?.bootDevices, profile, qemu });
  const n = r.upTo ?? Math.min(defaultStep ?? steps.length, steps.length);
  for (let i = 0; i < n; i++) {
    applyStep(sys, steps[i]);
    onStep?.(i + 1, n);
  }
  return {
    sys,
    kernel: sys.kernel,
    name: r.scenario.name,
    step: n,
    steps: steps.length,
    allSteps: steps,
    machine: r.scenario.machine,
    inferred: r.bootMode === "import" ? ((r.trace?.raw as { import?: { inferred?: string[] } }).import?.inferred ?? []) : [],
    extraMemoryFiles: r.bootMode === "import" ? r.trace?.bootSnapshot.extra_files : undefined,
    source: arg,
  };
}

/** Import a dump (directory or tarball) and boot the model from it. */
export function loadSysrootState(src: string): LoadedState {
  const { snapshot, inferred, arch } = dumpToSnapshot(readDump(src));
  const mf = makeMachineFile(snapshot, { name: path.basename(src), source: src, inferred, arch });
  const arm64 = arch.startsWith("arm64");
  const machine: MachineSpec = { type: arm64 ? "virt" : "pc", memory: parseSize(String(mf.machine.memory)), cmdline: [], ...(arm64 ? { arch } : {}) };
  const sys = bootSystem(machine, { boot: "import", bootSnapshot: snapshot });
  return { sys, kernel: sys.kernel, name: mf.name, step: 0, steps: 0, allSteps: [], machine, inferred, extraMemoryFiles: snapshot.extra_files, source: src };
}

/** The state of `--sysroot` or `FILE[@N]` (exactly one of them). */
export function loadState(
  opts: { arg?: string; sysroot?: string; boot?: "derive" | "import"; /** without @N: stop after this step (default: run to the end) */ defaultStep?: number; /** --kernel VERSION */ kernel?: string },
  onStep?: (i: number, n: number) => void,
): LoadedState {
  if (opts.arg !== undefined && opts.sysroot !== undefined) throw new InputError("give either --sysroot DIR or a FILE[@N], not both", { field: "--sysroot" });
  if (opts.sysroot !== undefined) return loadSysrootState(opts.sysroot);
  if (opts.arg === undefined) throw new InputError("nothing to look at: give a scenario, trace or machine file (FILE[@N]) or --sysroot DIR");
  return loadModelState(opts.arg, opts.boot, onStep, opts.defaultStep, opts.kernel);
}
