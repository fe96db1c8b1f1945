/**
 * The kernel a machine runs: its spec (machine.kernel, a trace's release or
 * --kernel) resolved for the machine's architecture and page size, so that a
 * virt machine gets Debian's arm64 build of the version and an arm64-16k one
 * the 16K build. A synthetic machine runs an idealised kernel: the amd64
 * builds' configuration (every hotplug option built) whatever its geometry.
 */
import { archFamily, type ArchName } from "../kernel/arch.js";
import { KernelSpecError, resolveKernel, type KernelProfile, type KernelSpec } from "../kernel/profile.js";
import type { Arm64Pages } from "../kernel/profiles/config.js";

export interface MachineArch {
  type: string;
  arch?: ArchName | string;
}

/** The arch name a machine runs with (virt: arm64-4k unless given). */
export function machineArch(m: MachineArch): ArchName | undefined {
  return (m.arch ?? (m.type === "virt" ? "arm64-4k" : undefined)) as ArchName | undefined;
}

/** The page size of an arm64 arch name ("arm64-16k" -> "16K"). */
export function arm64Pages(arch: ArchName | undefined): Arm64Pages | undefined {
  const m = /^arm64-(4|16|64)k$/.exec(arch ?? "");
  return m ? (`${m[1]}K` as Arm64Pages) : undefined;
}

/** Resolve the kernel of a machine; throws KernelSpecError as resolveKernel does. */
export function resolveMachineKernel(spec: KernelSpec | string | undefined, m: MachineArch): KernelProfile {
  const arch = machineArch(m);
  const family = archFamily(arch as ArchName | undefined);
  if (m.type === "synthetic") return resolveKernel(spec, family, { buildArch: "x86_64", pages: arm64Pages(arch) });
  return resolveKernel(spec, family, { pages: arm64Pages(arch) });
}

/**
 * Scenario check (exit 2, located): the machine's kernel exists for its
 * architecture and page size. machine.kernel alone is checked by its field
 * (kernel-schema.ts); what only the machine tells is reported here, at
 * machine.arch when the page size or architecture is what cannot be built,
 * else inside machine.kernel.
 */
export function machineKernelIssues(m: MachineArch & { kernel?: KernelSpec | string; profile?: KernelSpec | string }, issue: (path: PropertyKey[], message: string) => void): void {
  const spec = m.kernel ?? m.profile;
  const field = m.kernel !== undefined ? "kernel" : "profile";
  try {
    resolveKernel(spec, "x86_64", { buildArch: "x86_64" });
  } catch {
    return; // reported by the field itself
  }
  try {
    resolveMachineKernel(spec, m);
  } catch (e) {
    if (!(e instanceof KernelSpecError)) throw e;
    // Path [] is the machine's page size or architecture; anything else is inside the spec.
    issue(e.path.length === 0 || spec === undefined ? ["arch"] : typeof spec === "string" ? [field] : [field, ...e.path], e.message);
  }
}

/**
 * An imported arm64 machine whose page size no Debian build of its version
 * has (64K pages; 16K before 6.12): the machine.kernel that models it, the
 * version's 4K arm64 build with the page size overridden, and why. Undefined
 * when the default build fits (or the machine is not arm64).
 */
export function ownPageSizeBuild(m: MachineArch, version: string | undefined): { kernel: KernelSpec; why: string } | undefined {
  const pages = arm64Pages(machineArch(m));
  if (m.type !== "virt" || !pages) return undefined;
  try {
    resolveMachineKernel(version, m);
    return undefined;
  } catch (e) {
    if (!(e instanceof KernelSpecError)) throw e;
  }
  const kernel: KernelSpec = { ...(version ? { version } : {}), config: { [`CONFIG_ARM64_${pages}_PAGES`]: "y" } };
  try {
    const p = resolveMachineKernel(kernel, m);
    return { kernel, why: `machine.kernel: no Debian arm64 build of Linux ${p.version} has ${pages} pages; modelled as ${p.preset} with CONFIG_ARM64_${pages}_PAGES=y` };
  } catch (e) {
    if (e instanceof KernelSpecError) return undefined;
    throw e;
  }
}
