/**
 * Runs a scenario on the model and records a trace in the oracle's format
 * (linux-memhp-oracle-trace/1), so model and real kernel can be compared
 * field by field.
 */
import { x86NumaInit } from "../kernel/numa-addr.js";
import { importSnapshot } from "../abi/import-snapshot.js";
import { takeSnapshot, type Snapshot } from "../abi/snapshot.js";
import { bootKernel } from "../kernel/boot.js";
import { STRERROR, type Errno } from "../kernel/errno.js";
import { PAGE_ALLOC_RACES, pageAllocBootEnds, pageAllocUserSpace } from "../kernel/page-alloc.js";
import { BOOT_RACES } from "../kernel/drivers/nvdimm-core.js";
import type { Kernel } from "../kernel/kernel.js";
import { ueventJson, type UeventJson } from "./ueventjson.js";
import { sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import { parseSize } from "../kernel/units.js";
import { deriveBootLayout } from "../machine/qemu.js";
import { KernelSpecError, type KernelSpec } from "../kernel/profile.js";
import { InputError } from "../errors.js";
import { resolveMachineKernel } from "./machine-kernel.js";
import { System } from "../machine/system.js";
import { syntheticBootLayout } from "../machine/synthetic.js";
import type { MachineSpec } from "../machine/types.js";
import { applyDriverStep, initDrivers } from "./drivers.js";

export type RawStep = { op: string } & Record<string, unknown>;

export interface RunnableScenario {
  name: string;
  description?: string;
  machine: MachineSpec;
  steps: RawStep[];
  /** The scenario object as written (traces echo it). */
  raw?: unknown;
}


export interface TraceStep {
  step: RawStep;
  result: unknown;
  dmesg: string[];
  dmesg_levels: number[];
  uevents: UeventJson[];
  snapshot: Snapshot;
  /**
   * What may vary from run to run: `async_uevents`, the indices of uevents
   * sent from asynchronous work (see Uevent.async); `permutable_uevents`,
   * groups of uevent runs ([start, end) indices) the kernel may send in any
   * order of the runs (see Kernel.permutableUevents).
   */
  noisy?: { async_uevents?: number[]; permutable_uevents?: [number, number][][] };
}

export interface Trace {
  format: "linux-memhp-oracle-trace/1";
  scenario: unknown;
  kernel: string;
  model: { name: "memhp"; boot: "derive" | "import"; profile: string; kernel_config?: Record<string, unknown>; kernel_note?: string };
  boot: { dmesg: string[]; dmesg_levels: number[]; uevents: UeventJson[]; snapshot: Snapshot; noisy?: { races: BootRaceJson[] } };
  steps: TraceStep[];
}

/** A boot race and the outcome the model took (see RunOptions.bootRaces). */
export interface BootRaceJson {
  race: string;
  region: string;
  outcomes: number[];
  chosen: number;
}

export interface RunOptions {
  boot: "derive" | "import";
  /** Required for import: the boot snapshot of a real kernel (a trace's boot.snapshot). */
  bootSnapshot?: Snapshot;
  /** Import only: the devices the real boot added (a trace's boot uevents), see TraceSource.bootDevices. */
  bootDevices?: string[];
  /** Outcomes to take for races (key "btt-seed:regionN" → outcome); the trace's boot.noisy.races lists those the boot ran into, and after them those the steps ran into ("first-alloc:nodeN", page-alloc-pins.ts). */
  bootRaces?: Record<string, number>;
  /** Stop after this many steps. */
  upTo?: number;
  /** Called after each step (progress). */
  onStep?: (i: number, total: number) => void;
  /** Kernel version ("6.12") or spec ({version, preset, config}); default: the machine's, else 6.1 as Debian 12 builds it. */
  profile?: string | KernelSpec;
  /** What-if memory block design (derive boot only). */
  design?: BlockDesign;
  /** The QEMU a trace was recorded on (its `qemu` field), where the machine names none. */
  qemu?: import("../machine/qemu-version.js").QemuVersion;
  /** Why this kernel profile was chosen (a trace's or machine file's release), for the report: "Linux 6.18.4 (modelled with the 6.12 profile: …)". */
  kernelNote?: string;
}

/** A memory block design to try: fixed size blocks, variable blocks, single-owner checking. */
export interface BlockDesign {
  /** Fixed block size in bytes (default: what the kernel would pick). */
  blockSize?: number;
  variable?: boolean;
  singleOwner?: boolean;
}


/** Boot the machine of a scenario, deriving or importing the kernel's boot state. */
export function bootSystem(machine: MachineSpec, opts: RunOptions): System {
  if (opts.qemu && !machine.qemu && (machine.type === "pc" || machine.type === "q35")) machine = { ...machine, qemu: opts.qemu };
  let profile;
  try {
    profile = resolveMachineKernel(opts.profile ?? machine.kernel, machine);
  } catch (e) {
    // A version given apart from the machine (--kernel, a trace's or machine file's release) that has no build for it.
    if (e instanceof KernelSpecError) throw new InputError(`Linux ${typeof opts.profile === "string" ? opts.profile : "this version"} cannot run this ${machine.arch ?? machine.type} machine: ${e.message}`, { field: "kernel" });
    throw e;
  }
  const layout = machine.type === "synthetic" ? syntheticBootLayout(machine) : deriveBootLayout(machine, profile.rules);
  let k: Kernel;
  if (opts.boot === "import") {
    if (!opts.bootSnapshot) throw new Error("import boot needs a boot snapshot");
    k = importSnapshot(opts.bootSnapshot, { cmdline: machine.cmdline, profile, arch: machine.arch, deviceMemory: layout.deviceMemory, numaFirmware: layout.numaFirmware ?? x86NumaInit(layout), cma: layout.cma });
    // A snapshot has no CPUs: they are the machine's (where the kernel's and user space's pages come from, page-alloc.ts).
    if (machine.type !== "synthetic") k.cpusByNode = { ...layout.cpusByNode };
  } else {
    k = bootKernel(layout, {
      cmdline: machine.cmdline,
      blockSize: opts.design?.blockSize ?? machine.block_size,
      profile,
      blockDesign: opts.design?.variable ? "variable" : "fixed",
      singleOwner: opts.design?.singleOwner,
    });
  }
  const sys = new System(machine, layout, k);
  k.raceChoices = checkBootRaces(opts.bootRaces);
  // Init loads the drivers and keeps running while they probe (page-alloc-pins.ts).
  k.bootProbing = true;
  initDrivers(sys, opts.boot === "import", opts.boot === "import" ? opts.bootDevices : undefined, opts.bootRaces);
  pageAllocBootEnds(k);
  // The boot is over: init and the harness run (their pages, page-alloc-pins.ts).
  pageAllocUserSpace(k);
  return sys;
}

function sysfsWriteResult(k: Kernel, path: string, value: string, newline: boolean): Record<string, unknown> {
  const r = sysfsWrite(k, path, newline ? value + "\n" : value);
  if (r.ok) return { path, value, ok: true };
  if (r.unsupported) return { path, value, error: `memhp: ${r.unsupported}`, unsupported: true };
  const text = STRERROR[r.errno as Errno] ?? r.errno;
  const atOpen = r.errno === "EACCES" || r.errno === "ENOENT" || r.errno === "EISDIR";
  const error = atOpen ? `dd: can't open '${path}': ${text}` : `dd: error writing '${path}': ${text}`;
  return { path, value, ok: false, errno: r.errno, error };
}

/** Apply one step, then let queued kernel work finish (as the oracle settles); returns the step's result object. */
export function applyStep(sys: System, step: RawStep): unknown {
  sys.kernel.dumpedValidZones = null;
  const result = applyStepNow(sys, step);
  sys.settle();
  return result;
}

function applyStepNow(sys: System, step: RawStep): unknown {
  const k = sys.kernel;
  switch (step.op) {
    case "plug-dimm":
      return sys.plugDimm({
        id: String(step.id),
        size: parseSize(step.size as string),
        addr: step.addr === undefined || step.addr === null ? undefined : parseSize(step.addr as string),
        node: step.node === undefined ? undefined : Number(step.node),
        slot: step.slot === undefined ? undefined : Number(step.slot),
      });
    case "unplug-dimm":
      return sys.unplugDimm(String(step.id));
    case "write": {
      const newline = step.newline !== false;
      const value = String(step.value);
      if (Array.isArray(step.paths)) return { writes: (step.paths as string[]).map((p) => sysfsWriteResult(k, p, value, newline)) };
      return sysfsWriteResult(k, String(step.path), value, newline);
    }
    case "read": {
      const path = String(step.path);
      const r = sysfsRead(k, path);
      if (r.ok) return { path, ok: true, value: r.value };
      return { path, ok: false, value: "", errno: r.errno, error: `cat: can't open '${path}': ${STRERROR[r.errno as Errno] ?? r.errno}` };
    }
    case "settle":
      return {};
    case "shell":
      // Only in traces: the model has no guest shell; the recorded result is what the trace shows.
      return { not_modelled: "a guest shell command (the real trace holds its output)" };
    default:
      return applyDriverStep(sys, step);
  }
}

/** Run a scenario and record the model's trace. */
export function runScenario(scn: RunnableScenario, opts: RunOptions): Trace {
  const sys = bootSystem(scn.machine, opts);
  const k = sys.kernel;
  const take = (from: { log: number; uev: number }) => {
    const lines = k.log.slice(from.log);
    return {
      dmesg: lines.map((l) => l.text),
      dmesg_levels: lines.map((l) => l.level),
      uevents: k.uevents.slice(from.uev).map(ueventJson),
    };
  };
  const boot: Trace["boot"] = { ...take({ log: 0, uev: 0 }), snapshot: withDrivers(sys, takeSnapshot(k)) };
  const races = sys.bootRaces?.() ?? [];
  if (races.length) boot.noisy = { races: races.map((r) => ({ ...r })) };
  const steps: TraceStep[] = [];
  const n = opts.upTo === undefined ? scn.steps.length : Math.min(opts.upTo, scn.steps.length);
  for (let i = 0; i < n; i++) {
    const step = scn.steps[i];
    const mark = { log: k.log.length, uev: k.uevents.length };
    const result = applyStep(sys, step);
    const ts: TraceStep = { step, result, ...take(mark), snapshot: withDrivers(sys, takeSnapshot(k)) };
    const asyncIdx: number[] = [];
    k.uevents.slice(mark.uev).forEach((u, j) => {
      if (u.async) asyncIdx.push(j);
    });
    const groups = k.permutableUevents
      .filter((g) => g.every(([s, e]) => s >= mark.uev && e <= k.uevents.length))
      .map((g) => g.map(([s, e]) => [s - mark.uev, e - mark.uev] as [number, number]));
    if (asyncIdx.length || groups.length) ts.noisy = {};
    if (asyncIdx.length) ts.noisy!.async_uevents = asyncIdx;
    if (groups.length) ts.noisy!.permutable_uevents = groups;
    steps.push(ts);
    opts.onStep?.(i + 1, n);
  }
  // Races the steps ran into are listed after the boot's, so that conformance can try their outcomes too.
  if (k.runtimeRaces.length) boot.noisy = { races: [...(boot.noisy?.races ?? []), ...k.runtimeRaces.map((r) => ({ ...r }))] };
  return {
    format: "linux-memhp-oracle-trace/1",
    scenario: scn.raw ?? { name: scn.name, description: scn.description, machine: scn.machine, steps: scn.steps },
    kernel: `memhp model (Linux ${k.profile})`,
    model: { name: "memhp", boot: opts.boot, profile: k.profile, kernel_config: { preset: k.kernelProfile.preset, ...k.config }, ...(opts.kernelNote ? { kernel_note: opts.kernelNote } : {}) },
    boot,
    steps,
  };
}

/** Add the ndctl/daxctl listings the oracle's snapshot carries when those buses have devices. */
function withDrivers(sys: System, s: Snapshot): Snapshot {
  const extra = sys.driverSnapshot?.();
  return extra ? { ...s, ...extra } : s;
}

/**
 * RunOptions.bootRaces as given: each key "race:region" names a race the
 * model knows (the page allocator's, the drivers' boot races), each outcome
 * is a whole number from 0. An outcome past a race's last is not refused:
 * how many outcomes a race has only the run knows (conformance searches try
 * combinations in which a race has fewer), and the trace lists each race's
 * outcomes beside the one taken.
 */
function checkBootRaces(races: Record<string, number> | undefined): Record<string, number> {
  const known: readonly string[] = [...PAGE_ALLOC_RACES, ...BOOT_RACES];
  for (const [key, outcome] of Object.entries(races ?? {})) {
    const field = `bootRaces[${JSON.stringify(key)}]`;
    const m = /^([a-z0-9-]+):(\S+)$/.exec(key);
    if (!m) throw new InputError(`not "race:region" (e.g. "reclaimable:node0")`, { field });
    if (!known.includes(m[1] as string)) throw new InputError(`unknown race "${m[1]}" (races: ${known.join(", ")})`, { field });
    if (!Number.isSafeInteger(outcome) || outcome < 0) throw new InputError(`outcome ${String(outcome)} is not a whole number from 0`, { field });
  }
  return races ?? {};
}
