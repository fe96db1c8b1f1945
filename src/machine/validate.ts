/**
 * Would this machine start? The checks QEMU makes before the guest runs
 * (memory-device placement, label areas, phys-bits, NUMA sizes; its own
 * words, see qemu-map.ts) and those the guest kernel makes on its first
 * steps (a memory block size of at least one section, RAM within the
 * architecture's physical address bits). A refusal is bad input
 * (MachineRefused), found when the scenario is loaded, not a crash later.
 */
import { GEOMETRIES, X86_64, validBlockSize } from "../kernel/arch.js";
import { formatSize } from "../kernel/units.js";
import { KernelSpecError, resolveKernel, type Rules } from "../kernel/profile.js";
import { deriveBootLayout } from "./qemu.js";
import { MachineRefused } from "./refusal.js";
import type { MachineSpec } from "./types.js";

/** Throws MachineRefused when the machine cannot start; returns nothing otherwise. */
export function checkMachineStarts(spec: MachineSpec): void {
  const g = (spec.type === "synthetic" || spec.type === "virt") && spec.arch ? GEOMETRIES[spec.arch] : X86_64;
  if (spec.block_size !== undefined && !validBlockSize(g, spec.block_size)) {
    // memory_dev_init() panics on a block size that is not a power of two of at least one section.
    throw new MachineRefused(
      `the kernel panics at boot: "Memory block size not suitable: 0x${spec.block_size.toString(16)}" (${g.arch} sections are ${formatSize(g.sectionSize)})`,
      ["block_size"],
    );
  }
  if (spec.type === "synthetic") {
    const bits = spec.la57 && g.arch === "x86_64" ? 52 : g.maxPhysmemBits;
    const limit = 2 ** bits;
    if (spec.memory > limit) {
      const how = g.arch === "x86_64" && !spec.la57 ? "; x86_64 with 4-level paging addresses 64 TiB (MAX_PHYSMEM_BITS 46), set la57: true for 5-level paging" : "";
      throw new MachineRefused(`RAM of ${formatSize(spec.memory)} lies beyond what ${g.arch} can address (2^${bits} bytes = ${formatSize(limit)})${how}`, ["memory"]);
    }
  }
  // QEMU's pc and q35 (other machine types build their layout elsewhere), laid out as the machine's own kernel boots
  // it: the kernel decides which QEMU a CXL machine runs on (rule cxlQemu), and with it the PCI layout.
  if (spec.type === undefined || spec.type === "pc" || spec.type === "q35" || spec.type === "virt") deriveBootLayout(spec, kernelRules(spec));
}

/** The rules of `machine.kernel`, or undefined (6.1's) when it names none; an unknown kernel is reported where it is read. */
function kernelRules(spec: MachineSpec): Rules | undefined {
  if (spec.kernel === undefined) return undefined;
  try {
    return resolveKernel(spec.kernel, spec.type === "virt" ? "arm64" : "x86_64").rules;
  } catch (e) {
    if (e instanceof KernelSpecError) return undefined;
    throw e;
  }
}
