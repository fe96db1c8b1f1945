/**
 * An imported machine must boot: `memhp import` tries the machine file it
 * is about to write exactly as `memhp run` will boot it, and refuses a dump
 * the model cannot boot (bad input, exit 2) instead of writing a file that
 * fails later. A dump with more RAM than a QEMU pc can address (40
 * phys-bits: under 1 TiB) gets a synthetic machine (RAM from 0, its
 * hotplug area above), with 5-level paging when it needs more than 64 TiB.
 */
import { InputError } from "../errors.js";
import { MachineRefused } from "../machine/refusal.js";
import { checkMachineStarts } from "../machine/validate.js";
import { MachineSchema } from "./schema.js";
import type { MachineFile } from "./machine-file.js";
import { toRunnable } from "./resolve-text.js";
import { bootSystem } from "./runner.js";
import { ownPageSizeBuild } from "./machine-kernel.js";
import { profileForRelease } from "../kernel/profile.js";

/** x86_64 MAX_BLOCK_SIZE (arch/x86/mm/init_64.c). */
const X86_MAX_BLOCK = 2 * 1024 ** 3;

function boots(mf: MachineFile, file: string): void {
  // QEMU's and the architecture's checks first, on the machine alone: their field tells what to change.
  const m = MachineSchema.safeParse(mf.machine);
  if (m.success) checkMachineStarts(m.data);
  const { scenario, trace } = toRunnable(JSON.stringify(mf), file);
  bootSystem(scenario.machine, { boot: "import", bootSnapshot: trace!.bootSnapshot });
}

/** The machine file as it boots (maybe as a synthetic machine, noted), or a located InputError. */
export function bootableMachineFile(mf: MachineFile, source: string): MachineFile {
  const why = (e: unknown): string => (e instanceof InputError ? e.message : (e as Error).message);
  const bs = parseInt(mf.snapshot.memory.block_size_bytes, 16);
  const arch = (mf.machine.arch as string | undefined) ?? "x86_64";
  if (arch === "x86_64" && bs > X86_MAX_BLOCK) {
    // probe_memory_block_size() never picks more than MAX_BLOCK_SIZE (2 GiB).
    throw new InputError(`the model cannot boot this dump: block_size_bytes 0x${bs.toString(16)} is more than an x86_64 kernel uses (128 MiB to 2 GiB: probe_memory_block_size)`, { file: source, field: "block_size_bytes" });
  }
  // A page size no distribution build of the version has (arm64 64K): the version's build with that page size.
  const own = ownPageSizeBuild({ type: String(mf.machine.type), arch: mf.machine.arch as string | undefined }, mf.kernel ? profileForRelease(mf.kernel).version : undefined);
  if (own) mf = { ...mf, machine: { ...mf.machine, kernel: own.kernel }, import: { source: mf.import?.source ?? source, inferred: [...(mf.import?.inferred ?? []), own.why] } };
  try {
    boots(mf, source);
    return mf;
  } catch (e) {
    if (!(e instanceof MachineRefused) || e.path[0] !== "memory") throw new InputError(`the model cannot boot this dump: ${why(e)}`, { file: source });
  }
  const memory = String(mf.machine.memory);
  const big = /^(\d+)M$/.exec(memory) && Number(memory.slice(0, -1)) > 64 * 1024 * 1024;
  const synthetic: MachineFile = {
    ...mf,
    machine: { ...mf.machine, type: "synthetic", ...(big ? { la57: true } : {}) },
    import: {
      source: mf.import?.source ?? source,
      inferred: [
        ...(mf.import?.inferred ?? []),
        `machine: a synthetic machine (RAM from 0${big ? ", 5-level paging" : ""}): ${memory} of RAM is more than a QEMU pc with 40 phys-bits addresses`,
      ],
    },
  };
  delete (synthetic.machine as Record<string, unknown>).slots;
  try {
    boots(synthetic, source);
    return synthetic;
  } catch (e) {
    throw new InputError(`the model cannot boot this dump: ${why(e)}`, { file: source });
  }
}
