/**
 * mm/memblock.c's reserve_mem= (6.11 on): named memory kept from the boot
 * for later (a trace buffer that survives a soft reboot). The
 * architecture's boot takes each from memblock (machine/arm64-start-kernel.ts).
 * Pure.
 */
import { memparse } from "./cmdline.js";

/** RESERVE_MEM_MAX_ENTRIES, RESERVE_MEM_NAME_SIZE. */
const RESERVE_MEM = { entries: 8, nameSize: 16 };

/**
 * reserve_mem=SIZE:ALIGN:NAME (mm/memblock.c, 6.11 on), each valid one in order: SIZE and ALIGN through memparse
 * (SIZE not 0, ALIGN at least SMP_CACHE_BYTES), NAME not blank, shorter than 16 bytes and not used before; at most 8.
 * Each is a memblock_phys_alloc() when parse_args() reaches it (a64-probe57-uefi-2g-reserve-mem-mbdbg: 64 MiB right
 * after "Kernel command line", the highest free range).
 */
export function reserveMemCmdline(cmdline: string): { size: number; align: number; name: string }[] {
  const out: { size: number; align: number; name: string }[] = [];
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("reserve_mem=") || out.length >= RESERVE_MEM.entries) continue;
    const size = memparse(w.slice("reserve_mem=".length));
    if (!size || !size.value || !size.rest.startsWith(":")) continue;
    const align = memparse(size.rest.slice(1)) ?? { value: 0, rest: size.rest.slice(1) };
    if (!align.rest.startsWith(":")) continue;
    const name = align.rest.slice(1);
    if (!name.trim() || name.length >= RESERVE_MEM.nameSize || out.some((r) => r.name === name)) continue;
    out.push({ size: size.value, align: Math.max(align.value, 64), name });
  }
  return out;
}
