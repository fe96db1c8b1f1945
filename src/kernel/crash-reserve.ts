/**
 * kernel/crash_reserve.c (kexec's kdump reservation; arch code before 6.9):
 * the size `crashkernel=` asks for. Where it goes is the architecture's
 * (arm64: arm64-early.ts, 2 MiB-aligned below the DMA limit; x86: qemu.ts,
 * 16 MiB-aligned below 4 GiB), recorded in test/oracle/*probe11-crashkernel*.
 */
import { memparse } from "./cmdline.js";
import { alignUp, MiB } from "./units.js";

/**
 * crashkernel=SIZE[KMG] (parse_crashkernel(): the plain form; "@offset", ",high", ",low" and range lists are not
 * modelled and reserve nothing here), page-aligned; null without one.
 */
export function crashkernelSize(cmdline: string, page: number): number | null {
  let size: number | null = null;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("crashkernel=")) continue;
    const m = memparse(w.slice("crashkernel=".length));
    if (m && m.rest === "") size = alignUp(m.value, page);
  }
  return size || null;
}

/** CRASH_ALIGN: where x86_64 and arm64 align the reservation. */
export const CRASH_ALIGN = { x86_64: 16 * MiB, arm64: 2 * MiB } as const;

