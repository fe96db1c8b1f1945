/**
 * What explain answers with: a verdict per action (ok or errno, the rule it
 * comes from, the evidence), and the helpers that build evidence from the
 * state. Pure (browser-safe).
 */
import type { Kernel } from "../kernel/kernel.js";
import { walk, type Resource } from "../kernel/resource.js";
import type { Errno } from "../kernel/errno.js";
import type { MemoryBlock } from "../kernel/memory-block.js";
import { ZONE_NAMES, zoneEnd, type Zone } from "../kernel/zone.js";

export type BlockAction = "offline" | "online" | "online_kernel" | "online_movable" | "remove";
export type RangeAction = "hot-add" | "map-device-memory" | "plug-dimm" | "dax-kmem";

export interface RuleRef {
  /** Kernel (or QEMU) function and file. */
  kernel: string;
  /** Section of ../shared/spec. */
  spec: string;
  /** Where versions differ: the profile rule (src/kernel/profiles/) and the version it holds from. */
  version_rule?: VersionedRule;
}

export interface VersionedRule {
  name: string;
  /** The modelled kernel. */
  kernel: string;
  /** The version the rule's current value came in (null: before every recorded change). */
  since: string | null;
  /** "from 6.8 on, …" / "before 6.8, …". */
  text: string;
}

export interface Evidence {
  what: string;
  /** Byte range, `0xSTART-0xEND` (end inclusive), when the evidence is a range. */
  range?: string;
  start?: number;
  /** Inclusive. */
  end?: number;
}

export interface Verdict {
  action: BlockAction | RangeAction;
  /** How it is attempted: `echo ACTION > memoryN/state`, an ACPI eject, `__add_memory()`, … */
  how: string;
  ok: boolean;
  /** What write(2) or the kernel call returns on failure (absent when there is no such call). */
  errno?: Errno;
  /** False when something the state does not show decides (a driver's memory notifier). */
  certain: boolean;
  /** On success: what happens (e.g. the zone). */
  result?: string;
  reason: string;
  rule: RuleRef;
  evidence: Evidence[];
  notes: string[];
}

// ------------------------------------------------------------------ helpers --

export function hexRange(start: number, endIncl: number): string {
  return `0x${start.toString(16)}-0x${endIncl.toString(16)}`;
}

export function ev(what: string, start?: number, endIncl?: number): Evidence {
  return start === undefined || endIncl === undefined ? { what } : { what, range: hexRange(start, endIncl), start, end: endIncl };
}

export function size(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 40, "TiB"],
    [2 ** 30, "GiB"],
    [2 ** 20, "MiB"],
    [2 ** 10, "KiB"],
  ];
  for (const [u, s] of units) if (bytes >= u && bytes % (u / 1024) === 0) return `${+(bytes / u).toFixed(2)} ${s}`;
  return `${bytes} bytes`;
}

/** Busy System RAM resources (outermost) overlapping [start, end) bytes. */
export function systemRamIn(k: Kernel, start: number, end: number): Resource[] {
  const out: Resource[] = [];
  walk(k.iomem, (r) => {
    if (r === k.iomem) return true;
    if (r.end < start || r.start >= end) return false;
    if (r.flags.sysram && r.flags.busy) {
      out.push(r);
      return false;
    }
    return true;
  });
  return out;
}

/** Every iomem resource overlapping [start, end) bytes, with its depth. */
export function resourcesIn(k: Kernel, start: number, end: number): Evidence[] {
  const out: Evidence[] = [];
  walk(k.iomem, (r, depth) => {
    if (r === k.iomem) return true;
    if (r.end < start || r.start >= end) return false;
    const flags = [r.flags.busy ? "busy" : "not busy", r.flags.sysram ? "System RAM" : "", r.flags.driverManaged ? "driver-managed" : ""].filter(Boolean).join(", ");
    out.push(ev(`${"  ".repeat(depth - 1)}${r.name} (${flags})`, r.start, r.end));
    return true;
  });
  return out;
}

export function verdict(v: Omit<Verdict, "notes" | "certain"> & { notes?: string[]; certain?: boolean }): Verdict {
  return { certain: true, notes: [], ...v };
}

export function zoneDesc(k: Kernel, z: Zone): string {
  const ps = k.geometry.pageSize;
  if (z.spanned === 0) return `${ZONE_NAMES[z.idx]} of node ${z.nid} is empty (spans nothing)`;
  return `${ZONE_NAMES[z.idx]} of node ${z.nid} spans pfn ${z.startPfn.toString(16)}-${(zoneEnd(z) - 1).toString(16)} (${hexRange(z.startPfn * ps, zoneEnd(z) * ps - 1)}), present ${z.present} pages`;
}

export function zoneEv(k: Kernel, z: Zone): Evidence {
  const ps = k.geometry.pageSize;
  return z.spanned === 0 ? ev(zoneDesc(k, z)) : ev(zoneDesc(k, z), z.startPfn * ps, zoneEnd(z) * ps - 1);
}

/** The device that manages the memory of a block, from iomem: ACPI DIMM, dax kmem, virtio-mem, or boot E820 RAM. */
export function ramOwner(k: Kernel, b: MemoryBlock): { kind: "boot" | "acpi" | "kmem" | "virtio-mem" | "other"; resource: Resource | null; container: Resource | null } {
  const ps = k.geometry.pageSize;
  const ram = systemRamIn(k, b.startPfn * ps, (b.startPfn + b.nrPages) * ps)[0] ?? null;
  const container = ram?.parent && ram.parent !== k.iomem ? ram.parent : null;
  if (ram?.name === "System RAM (virtio_mem)") return { kind: "virtio-mem", resource: ram, container };
  if (ram?.name === "System RAM (kmem)") return { kind: "kmem", resource: ram, container };
  if (b.firmwareNode || [...k.acpiMemDevices.values()].some((d) => d.physicalNodes.includes(b.id))) return { kind: "acpi", resource: ram, container };
  if (b.boot) return { kind: "boot", resource: ram, container };
  return { kind: "other", resource: ram, container };
}
