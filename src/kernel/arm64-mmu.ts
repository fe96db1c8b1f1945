/**
 * arch/arm64/mm/mmu.c, the part memory hotplug meets: arm64 cannot take boot
 * memory out of its linear map, so prevent_bootmem_remove_init() (an early
 * initcall of kernels built with CONFIG_MEMORY_HOTREMOVE, as Debian's are)
 * registers a memory notifier that vetoes MEM_GOING_OFFLINE of any range
 * holding an early (boot) section. It warns with that section's range
 * ("Boot memory [48000000 50000000] offlining attempted"); NOTIFY_BAD turns
 * into EPERM and offline_pages() logs its "notifier failure". Evidence:
 * test/oracle/arm64/traces/a64-probe2-sysfs-errors on 6.1, 6.12 and 7.2.
 * Newer kernels (rule `arm64LeafSplitVeto`) first refuse any range whose
 * linear map or vmemmap edges fall inside a leaf mapping, which they would
 * have to split.
 */
import { archFamily } from "./arch.js";
import { kstrtobool } from "./cmdline.js";
import { EPERM } from "./errno.js";
import type { Kernel } from "./kernel.js";
import { registerMemoryNotifier } from "./online.js";

/**
 * rodata= as arm64's parse_rodata() reads it: "full" asks for rodata_full (Debian's default, RODATA_FULL_DEFAULT_ENABLED);
 * a boolean (on, off, 1, 0, y, n, …: kstrtobool()) turns it off; anything else is refused and changes nothing. The last
 * one wins. Without rodata_full, 6.1 maps the linear map with blocks (a64-probe49-uefi-2g-rodata-off,
 * a64-probe55-uefi-2g-rodata-on).
 */
export function arm64RodataFull(cmdline: string): boolean {
  let full = true;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("rodata=")) continue;
    const v = w.slice("rodata=".length);
    if (v === "full") full = true;
    else if (kstrtobool(v) !== null) full = false;
  }
  return full;
}

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

/**
 * can_unmap_without_split() for [startPfn, startPfn + nr): false when the struct pages of either edge lie inside a
 * vmemmap leaf. With 4K pages vmemmap_populate() maps the memmap in 2 MiB blocks (struct pages of 128 MiB each), else
 * with base pages. The vmemmap starts at memstart_addr, 1 GiB-aligned on virt, so an edge's offset into its leaf is
 * that of its pfn's struct page. The linear map of hot-added memory is page-mapped (rodata=full): never split.
 */
export function vmemmapLeafSplit(k: Kernel, startPfn: number, nr: number): boolean {
  const g = k.geometry;
  const leaf = g.pageSize === 4096 ? 2 * 1024 * 1024 : g.pageSize;
  return [startPfn, startPfn + nr].some((pfn) => (pfn * g.structPageSize) % leaf !== 0);
}

/** prevent_bootmem_remove_init(): on arm64 kernels, the notifier that keeps boot memory online. */
export function preventBootmemRemoveInit(k: Kernel): void {
  if (archFamily(k.geometry.arch) !== "arm64") return;
  registerMemoryNotifier(k, (action, arg) => {
    if (action !== "GOING_OFFLINE") return;
    if (k.rules.arm64LeafSplitVeto && vmemmapLeafSplit(k, arg.startPfn, arg.nrPages)) {
      const ps = k.geometry.pageSize;
      k.printk(4, `[${(arg.startPfn * ps).toString(16)} ${((arg.startPfn + arg.nrPages) * ps).toString(16)}] splits a leaf entry in vmemmap`);
      return EPERM;
    }
    const boot = bootMemoryIn(k, arg.startPfn, arg.nrPages);
    if (!boot) return;
    k.printk(4, `Boot memory [${boot.start.toString(16)} ${boot.end.toString(16)}] offlining attempted`);
    return EPERM;
  });
}
