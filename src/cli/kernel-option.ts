/** `--kernel VERSION` for every command that models a kernel (run, compare, explain, lint, lsmem/chmem on a model). */
import { Option } from "commander";
import { InputError } from "../errors.js";
import { KernelSpecError, resolveKernel, VERSIONS } from "../kernel/profile.js";

export function kernelOption(): Option {
  return new Option("--kernel <version>", `model this kernel version (${VERSIONS.map((v) => v.version).join(", ")}) with its distribution's build configuration for the machine (a virt machine: Debian's arm64 build); overrides the scenario's machine.kernel (default: that, else 6.1)`);
}

/** Check a --kernel value: exit 2 naming the option for an unknown version. */
export function parseKernelFlag(v: string | undefined, field = "--kernel"): string | undefined {
  if (v === undefined) return undefined;
  try {
    return resolveKernel(v).version;
  } catch (e) {
    if (e instanceof KernelSpecError) throw new InputError(e.message, { field });
    throw e;
  }
}
