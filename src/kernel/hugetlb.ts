/**
 * mm/hugetlb.c, the part the command line sets at boot: hugepagesz= and
 * hugepages=. Gigantic pages come from memblock during the boot (placed by
 * machine/arm64-early.ts); smaller ones from the buddy allocator afterwards,
 * which memhp does not model. Pure.
 */
import { memparse } from "./cmdline.js";
import { GiB } from "./units.js";

/**
 * Gigantic huge pages the command line asks for at boot (hugepagesz=SIZE then hugepages=N, SIZE of 1 GiB or more):
 * how many of which size. Each is one memblock allocation of its own size and alignment, top-down
 * (alloc_bootmem_huge_page()), until memblock has no room ("HugeTLB: allocating N of page size … failed").
 */
export function bootGiganticPages(cmdline: string): { size: number; count: number }[] {
  const out: { size: number; count: number }[] = [];
  let size = 0;
  for (const w of cmdline.split(" ")) {
    if (w.startsWith("hugepagesz=")) size = memparse(w.slice("hugepagesz=".length))?.value ?? 0;
    else if (w.startsWith("hugepages=") && size >= GiB) {
      const n = memparse(w.slice("hugepages=".length));
      if (n && n.rest === "" && n.value > 0) out.push({ size, count: n.value });
    }
  }
  return out;
}
