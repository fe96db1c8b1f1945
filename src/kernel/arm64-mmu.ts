/**
 * arch/arm64/mm/mmu.c, the part memory hotplug meets: arm64 cannot take boot
 * memory out of its linear map, so prevent_bootmem_remove_init() (an early
 * initcall of kernels built with CONFIG_MEMORY_HOTREMOVE, as Debian's are)
 * registers a memory notifier that vetoes MEM_GOING_OFFLINE of any range
 * holding an early (boot) section. It warns with that section's range
 * ("Boot memory [48000000 50000000] offlining attempted"); NOTIFY_BAD turns
 * into EPERM and offline_pages() logs its "notifier failure". Evidence:
 * test/oracle/arm64/traces/a64-probe2-sysfs-errors on 6.1, 6.12 and 7.2.
 */
import { archFamily } from "./arch.js";
import { EPERM } from "./errno.js";
import type { Kernel } from "./kernel.js";
import { registerMemoryNotifier } from "./online.js";

/**
 * What prevent_bootmem_remove_notifier() objects to in [startPfn, startPfn + nr): the range it warns about (from the
 * first pfn it reaches in an early section, a section long, aligned or not), or null. Null on other architectures.
 */
export function bootMemoryIn(k: Kernel, startPfn: number, nr: number): { start: number; end: number } | null {
  if (archFamily(k.geometry.arch) !== "arm64") return null;
  const ps = k.geometry.pageSize;
  const pps = k.sparse.pps;
  for (let pfn = startPfn; pfn < startPfn + nr; pfn += pps) {
    if (k.sparse.peek(k.sparse.sectionNr(pfn))?.early) return { start: pfn * ps, end: (pfn + pps) * ps };
  }
  return null;
}

/** prevent_bootmem_remove_init(): on arm64 kernels, the notifier that keeps boot memory online. */
export function preventBootmemRemoveInit(k: Kernel): void {
  if (archFamily(k.geometry.arch) !== "arm64") return;
  registerMemoryNotifier(k, (action, arg) => {
    if (action !== "GOING_OFFLINE") return;
    const boot = bootMemoryIn(k, arg.startPfn, arg.nrPages);
    if (!boot) return;
    k.printk(4, `Boot memory [${boot.start.toString(16)} ${boot.end.toString(16)}] offlining attempted`);
    return EPERM;
  });
}
