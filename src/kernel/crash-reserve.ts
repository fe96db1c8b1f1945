/**
 * kernel/crash_reserve.c (kexec's kdump reservation; kernel/crash_core.c and
 * arch code before 6.9): what `crashkernel=` asks for, and where the
 * reservation goes given the architecture's limits. The architecture calls
 * it at its point of the boot (arm64: arm64-early.ts, 2 MiB-aligned; x86:
 * qemu.ts, 16 MiB-aligned), recorded in test/oracle/*probe11-crashkernel*,
 * x-probe53-crashkernel-* and arm64's a64-probe43-*.
 */
import { memparse } from "./cmdline.js";
import { alignUp, MiB } from "./units.js";

/** A crashkernel= request as parse_crashkernel() reads it. */
export interface CrashRequest {
  size: number;
  /** @offset: a fixed base (0: none). */
  base: number;
  /** crashkernel=SIZE,high: anywhere, with a low part for DMA when it lands above the low limit. */
  high: boolean;
  /** The low part's size (crashkernel=SIZE,low, or the default with ,high); 0: none. */
  lowSize: number;
  /** A plain request's crashkernel=SIZE,low, if given: x86's own code (before 6.7) takes it when the request lands high. */
  lowAsked?: number;
}

const NAME = "crashkernel=";

/** get_last_crashkernel(): the last crashkernel= word ending in `suffix`, or (none) the last ending in no known suffix. */
function lastWord(words: string[], suffix: ",high" | ",low" | null): string | null {
  const hit = words.filter((w) => (suffix ? w.endsWith(suffix) : !w.endsWith(",high") && !w.endsWith(",low")));
  return hit.length ? hit[hit.length - 1].slice(NAME.length) : null;
}

/** parse_crashkernel_simple(): SIZE[@OFFSET]; null when invalid. */
function simple(v: string): { size: number; base: number } | null {
  const m = memparse(v);
  if (!m) return null;
  if (m.rest === "") return { size: m.value, base: 0 };
  if (!m.rest.startsWith("@")) return null;
  return { size: m.value, base: memparse(m.rest.slice(1))?.value ?? 0 };
}

/**
 * parse_crashkernel_mem(): START-[END]:SIZE[,…][@OFFSET], the first range holding the system's memory (memblock's,
 * rounded up to 128 MiB) giving the size; null when invalid, size 0 when no range holds it.
 */
function ranges(v: string, systemRam: number): { size: number; base: number } | null {
  const total = alignUp(systemRam, 128 * MiB);
  let cur = v;
  let size = 0;
  for (;;) {
    const start = memparse(cur);
    if (!start || !start.rest.startsWith("-")) return null;
    cur = start.rest.slice(1);
    let end = Number.POSITIVE_INFINITY;
    if (!cur.startsWith(":")) {
      const e = memparse(cur);
      if (!e || e.value <= start.value) return null;
      end = e.value;
      cur = e.rest;
    }
    if (!cur.startsWith(":")) return null;
    const s = memparse(cur.slice(1));
    if (!s || s.value >= total) return null;
    cur = s.rest;
    if (total >= start.value && total < end) {
      size = s.value;
      break;
    }
    if (!cur.startsWith(",")) break;
    cur = cur.slice(1);
  }
  if (size === 0) return { size: 0, base: 0 };
  const at = cur.indexOf("@");
  return { size, base: at < 0 ? 0 : (memparse(cur.slice(at + 1))?.value ?? 0) };
}

/** SIZE followed by exactly the suffix; null when invalid. */
function suffixed(v: string, suffix: string): number | null {
  const m = memparse(v);
  return m && m.rest === suffix ? m.value : null;
}

/**
 * parse_crashkernel(): the last plain crashkernel= (SIZE, SIZE@OFFSET or a range list against `systemRam`), else
 * crashkernel=SIZE,high with crashkernel=SIZE,low (or `defaultLow` without one: the generic code's
 * DEFAULT_CRASH_KERNEL_LOW_SIZE; 6.1's arm64 code reserves no low part then). Null: nothing to reserve.
 */
export function parseCrashkernel(cmdline: string, systemRam: number, defaultLow: number): CrashRequest | null {
  const words = cmdline.split(" ").filter((w) => w.startsWith(NAME));
  const plain = lastWord(words, null);
  if (plain !== null) {
    const colon = plain.indexOf(":");
    const r = colon >= 0 ? ranges(plain, systemRam) : simple(plain);
    if (!r || r.size <= 0) return null;
    const low = lastWord(words, ",low");
    const lowAsked = low === null ? null : suffixed(low, ",low");
    return lowAsked === null ? { size: r.size, base: r.base, high: false, lowSize: 0 } : { size: r.size, base: r.base, high: false, lowSize: 0, lowAsked };
  }
  const high = lastWord(words, ",high");
  const size = high === null ? null : suffixed(high, ",high");
  if (!size) return null;
  const low = lastWord(words, ",low");
  const lowSize = low === null ? defaultLow : suffixed(low, ",low");
  return lowSize === null ? null : { size, base: 0, high: true, lowSize };
}

/** CRASH_ALIGN: where x86_64 and arm64 align the reservation. */
export const CRASH_ALIGN = { x86_64: 16 * MiB, arm64: 2 * MiB } as const;

/** DEFAULT_CRASH_KERNEL_LOW_SIZE of arm64 (6.2 on): the low part a high reservation gets without crashkernel=,low. */
export const ARM64_DEFAULT_CRASH_LOW = 128 * MiB;

/**
 * x86_64's low part without crashkernel=,low: room for the bounce buffers (swiotlb's size, `swiotlbBytes`) and 8 MiB
 * more, at least 256 MiB (x-probe53-crashkernel-high-low takes the 64 MiB it asks for; the default is a rule of the
 * code, crash_low_size_default()).
 */
export function x86DefaultCrashLow(swiotlbBytes: number): number {
  return Math.max(swiotlbBytes + 8 * MiB, 256 * MiB);
}

/** How an architecture's reserve_crashkernel() searches (reserveCrashkernel()). */
export type CrashStyle = "arch-6.1" | "x86-6.1" | "generic";

/** The boot allocator as the reservation uses it: memblock_phys_alloc_range() (top-down in [min, max)) and memblock_phys_free(). */
export interface CrashAllocator {
  alloc(size: number, align: number, min: number, max: number): number | null;
  free(base: number, end: number): void;
}

/**
 * Where the reservation goes. `style` "arch-6.1": arm64's reserve_crashkernel() of 6.1 — one attempt (below
 * `lowMax`, anywhere with ,high, exactly at @offset). "x86-6.1": x86's of 5.10 to 6.6 — a plain request tries below
 * `lowMax` and then anywhere, a ,high one anywhere, both from `align` up; @offset is taken 1 MiB-aligned
 * (x-probe53-crashkernel-offset). "generic": reserve_crashkernel_generic() (arm64 6.9 on, x86 6.7 on) — a plain
 * request that finds no room below `lowMax` retries above it with the default low part, a ,high one that finds none
 * above retries below. Either way a reservation above `lowMax` takes its low part below it, or is given back.
 */
export function reserveCrashkernel(req: CrashRequest, style: CrashStyle, lim: { lowMax: number; highMax: number; align: number; page: number; defaultLow: number }, mb: CrashAllocator): { crash: { start: number; end: number } | null; low: { start: number; end: number } | null } {
  const size = alignUp(req.size, lim.page);
  let lowSize = req.lowSize;
  let at: number | null;
  if (req.base) at = mb.alloc(size, style === "x86-6.1" ? MiB : lim.align, req.base, req.base + size);
  else if (style === "x86-6.1") {
    at = req.high ? null : mb.alloc(size, lim.align, lim.align, lim.lowMax);
    if (at === null) at = mb.alloc(size, lim.align, lim.align, lim.highMax);
    // A plain request that lands high takes crashkernel=,low if given, else the default low part
    // (x-probe79-ck-plain-high-low64 on 5.10 and 6.1; the generic code below ignores the ,low: 6.12 and 7.2).
    if (!req.high) lowSize = req.lowAsked ?? lim.defaultLow;
  } else {
    const [min, max] = !req.high ? [0, lim.lowMax] : style === "generic" ? [lim.lowMax, lim.highMax] : [0, lim.highMax];
    at = mb.alloc(size, lim.align, min, max);
    if (at === null && style === "generic") {
      if (!req.high) {
        lowSize = lim.defaultLow;
        at = mb.alloc(size, lim.align, lim.lowMax, lim.highMax);
      } else if (lim.lowMax !== lim.highMax) {
        at = mb.alloc(size, lim.align, 0, lim.lowMax);
      }
    }
  }
  if (at === null) return { crash: null, low: null };
  let low: { start: number; end: number } | null = null;
  if (at >= lim.lowMax && lowSize) {
    const l = mb.alloc(lowSize, lim.align, 0, lim.lowMax);
    if (l === null) {
      mb.free(at, at + size);
      return { crash: null, low: null };
    }
    low = { start: l, end: l + lowSize };
  }
  return { crash: { start: at, end: at + size }, low };
}
