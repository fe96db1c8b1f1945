/**
 * kernel/dma/contiguous.c, the part the command line sets: cma= (the global
 * CMA area's size, base and limit). Where the area goes is the
 * architecture's boot (machine/arm64-early.ts, cma_declare_contiguous()). Pure.
 */
import { memparse, nodeSizes } from "./cmdline.js";

/** early_cma(): the last cma=SIZE[@BASE[-LIMIT]] (LIMIT defaults to BASE + SIZE, a fixed place); null without one. */
export function cmaCmdline(cmdline: string): { size: number; base: number; limit: number } | null {
  let out: { size: number; base: number; limit: number } | null = null;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("cma=")) continue;
    // memparse() reads no digits as 0: cma=abc asks for no area (a64-probe66-uefi-2g-cma-abc: "0K cma-reserved").
    const size = memparse(w.slice(4)) ?? { value: 0, rest: w.slice(4) };
    if (!size.rest.startsWith("@")) {
      out = { size: size.value, base: 0, limit: 0 };
      continue;
    }
    const base = memparse(size.rest.slice(1));
    const b = base?.value ?? 0;
    const limit = base?.rest.startsWith("-") ? (memparse(base.rest.slice(1))?.value ?? 0) : b + size.value;
    out = { size: size.value, base: b, limit };
  }
  return out;
}

/** early_cma_pernuma(): the last cma_pernuma=SIZE (memparse; 0 when it reads no number); null without one. */
export function cmaPernumaCmdline(cmdline: string): number | null {
  let out: number | null = null;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("cma_pernuma=")) continue;
    out = memparse(w.slice("cma_pernuma=".length))?.value ?? 0;
  }
  return out;
}

/** early_numa_cma(): the last numa_cma=NODE:SIZE[,NODE:SIZE…], read up to the first pair it cannot parse; null without one. */
export function numaCmaCmdline(cmdline: string): Map<number, number> | null {
  let out: Map<number, number> | null = null;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("numa_cma=")) continue;
    out = nodeSizes(w.slice("numa_cma=".length));
  }
  return out;
}
