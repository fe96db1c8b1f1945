/**
 * Which architecture (and page size) a dump comes from, as far as its files
 * tell: /proc/iomem's platform devices (x86: "Local APIC", "IOAPIC", "HPET",
 * "System ROM"; arm64: "ARMH0011" (PL011 under ACPI), "LNRO0005"
 * (virtio-mmio), device-tree nodes such as "pl011@", the "PCI ECAM" of
 * virt), ZONE_DMA reaching past 16 MiB (arm64's ZONE_DMA covers up to 4 GiB
 * or the DMA limit; x86's ends at 16 MiB), and the page size that makes the
 * zones' first pfns land on iomem ranges. What cannot be told is said so.
 * Pure (browser-safe).
 */
import type { ArchName } from "../kernel/arch.js";
import { KiB, MiB } from "../kernel/units.js";
import type { IomemSpec } from "../machine/types.js";
import type { Snapshot } from "./snapshot.js";

export interface ArchGuess {
  arch: ArchName;
  /** What told it (for the import's "inferred" list), or why it is a default. */
  why: string;
  /** True when the dump told; false when it is a default. */
  sure: boolean;
}

const X86_NAMES = ["Local APIC", "IOAPIC", "HPET", "System ROM", "Video ROM", "PCI MMCONFIG"];
const ARM64_NAMES = [/^ARMH0011/, /^LNRO0005/, /^pl011@/, /^pl031@/, /^pl061@/, /^GICv/, /^ARMHD?\d/];

function names(specs: IomemSpec[], out: string[] = []): string[] {
  for (const s of specs) {
    out.push(s.name);
    names(s.children ?? [], out);
  }
  return out;
}

/** The page size that puts a zone's first and last pfn at a memory range's start and end (or 4 KiB when none is clear). */
function pageSizeFrom(iomem: IomemSpec[], zoneinfo: Snapshot["zoneinfo"] | undefined): { size: number; sure: boolean } {
  // Zones start at memory: System RAM, or memory the kernel does not map (top-level "reserved" on arm64).
  const mem = iomem.filter((r) => r.name === "System RAM" || r.name === "reserved");
  const starts = new Set(mem.map((r) => r.start));
  const ends = new Set(mem.map((r) => r.end + 1));
  const spans: [number, number][] = [];
  for (const zs of Object.values(zoneinfo ?? {})) for (const z of Object.values(zs)) if (z.start_pfn !== null && z.spanned > 0 && z.start_pfn > 0) spans.push([z.start_pfn, z.start_pfn + z.spanned]);
  if (!spans.length) return { size: 4 * KiB, sure: false };
  // A zone starts and ends on memory boundaries: the page size that makes one do so.
  const fits = [4 * KiB, 16 * KiB, 64 * KiB].filter((ps) => spans.some(([a, b]) => starts.has(a * ps) && ends.has(b * ps)));
  return fits.length === 1 ? { size: fits[0], sure: true } : { size: 4 * KiB, sure: false };
}

/** Guess the architecture of a dump from its iomem tree and zone spans. */
export function guessArch(iomem: IomemSpec[] | null, zoneinfo: Snapshot["zoneinfo"] | undefined): ArchGuess {
  const all = iomem ? names(iomem) : [];
  const x86 = all.find((n) => X86_NAMES.includes(n));
  const arm = all.find((n) => ARM64_NAMES.some((re) => re.test(n)));
  let dmaPastX86 = false;
  for (const zs of Object.values(zoneinfo ?? {})) {
    const dma = zs.DMA;
    if (dma && dma.start_pfn !== null && dma.spanned > 0 && (dma.start_pfn + dma.spanned) * 4 * KiB > 16 * MiB) dmaPastX86 = true;
  }
  if (x86 && !arm) return { arch: "x86_64", why: `/proc/iomem has "${x86}" (x86 platform device)`, sure: true };
  if (arm || dmaPastX86) {
    const ps = pageSizeFrom(iomem ?? [], zoneinfo);
    const arch: ArchName = ps.size === 64 * KiB ? "arm64-64k" : ps.size === 16 * KiB ? "arm64-16k" : "arm64-4k";
    const what = arm ? `/proc/iomem has "${arm}" (arm64 platform device)` : "ZONE_DMA reaches past 16 MiB (arm64's DMA zone)";
    return { arch, why: `${what}; ${ps.sure ? `${ps.size / KiB}K pages (zone start pfns land on iomem ranges)` : "4K pages assumed (give --arch arm64-16k or arm64-64k otherwise)"}`, sure: true };
  }
  return { arch: "x86_64", why: "the dump does not tell the architecture: x86_64 assumed (give --arch)", sure: false };
}
