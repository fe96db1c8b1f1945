/**
 * kernel/smp.c, the part the command line sets: nr_cpus= caps nr_cpu_ids,
 * the number of possible CPUs every per-CPU structure is sized for (the
 * per-CPU areas, swiotlb's areas, the page allocator's per-CPU lists).
 * The firmware may describe more CPUs: arm64 logs "Number of cores (N)
 * exceeds configured maximum of M - clipping" and ignores the rest
 * (a64-probe53-uefi-2g-4cpu-nr-cpus-1). Pure.
 */
import { simpleStrtoull } from "./cmdline.js";

/** nr_cpu_ids for `cpus` CPUs the firmware describes: the last nr_cpus=N below it wins (0 or a bad number: ignored). */
export function nrCpuIds(cpus: number, cmdline: string): number {
  let n = cpus;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("nr_cpus=")) continue;
    // simple_strtoul(): leading digits (C bases), the rest ignored.
    const v = simpleStrtoull(w.slice("nr_cpus=".length));
    if (v && v.value > 0n && v.value < BigInt(n)) n = Number(v.value);
  }
  return n;
}
