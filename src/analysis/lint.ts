/**
 * `memhp lint`: layout problems of a machine (a scenario's machine booted by
 * the model, or an imported machine): System RAM and persistent memory
 * sharing a section or memory block, address space that memory block
 * alignment wastes, DIMMs this block size cannot take, blocks that can never
 * go offline, device memory placed where it conflicts. Every finding has a
 * severity, a range, a message and a suggested fix. Pure (browser-safe).
 */
import type { Kernel } from "../kernel/kernel.js";
import { walk, type Resource } from "../kernel/resource.js";
import { hexRange, predictHotAdd, predictOffline } from "./explain.js";
import { lintCxl } from "./lint-cxl.js";
import type { CxlPlatform } from "../machine/cxl-platform.js";

export type Severity = "error" | "warning" | "info";

export interface Finding {
  severity: Severity;
  /** Short machine-readable kind. */
  kind: "ram-pmem-sharing" | "alignment-waste" | "dimm-unaligned" | "never-offline" | "device-conflict" | "block-size";
  /** `0xSTART-0xEND` (inclusive). */
  range: string;
  start: number;
  end: number;
  message: string;
  fix: string;
  /** Wasted bytes, for alignment findings. */
  bytes?: number;
}

/** A DIMM a scenario plugs (step index for messages); addr as QEMU would place it when known. */
export interface DimmRequest {
  step: number;
  id: string;
  size: number;
  addr?: number;
}

export interface LintContext {
  /** QEMU's device memory region. */
  deviceMemory?: { base: number; size: number } | null;
  /** DIMMs of the scenario's steps, in order. */
  dimms?: DimmRequest[];
  /** Persistent memory devices of the machine description (NVDIMMs, legacy pmem), end inclusive. */
  pmem?: { name: string; start: number; end: number }[];
  /** The machine's CXL platform (windows, devices): lint-cxl.ts. */
  cxl?: CxlPlatform;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function size(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 40, "TiB"],
    [2 ** 30, "GiB"],
    [2 ** 20, "MiB"],
    [2 ** 10, "KiB"],
  ];
  for (const [u, s] of units) if (bytes >= u) return `${+(bytes / u).toFixed(2)} ${s}`;
  return `${bytes} bytes`;
}

function finding(f: Omit<Finding, "range">): Finding {
  return { ...f, range: hexRange(f.start, f.end) };
}

const PMEM_NAMES = new Set(["Persistent Memory (legacy)", "Persistent Memory", "Soft Reserved"]);

/** Top-level persistent memory resources of iomem (the device ranges as the kernel sees them). */
function pmemResources(k: Kernel): { name: string; start: number; end: number }[] {
  const out: { name: string; start: number; end: number }[] = [];
  walk(k.iomem, (r) => {
    if (r === k.iomem) return true;
    if (PMEM_NAMES.has(r.name)) {
      out.push({ name: r.name, start: r.start, end: r.end });
      return false;
    }
    return true;
  });
  return out;
}

/** Outermost busy System RAM resources, except those nested in persistent memory (kmem). */
function bootRam(k: Kernel): Resource[] {
  const out: Resource[] = [];
  walk(k.iomem, (r) => {
    if (r === k.iomem) return true;
    if (PMEM_NAMES.has(r.name)) return false;
    if (r.flags.sysram && r.flags.busy) {
      out.push(r);
      return false;
    }
    return true;
  });
  return out;
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** Lint a state of the model. */
export function lint(k: Kernel, ctx: LintContext = {}): Finding[] {
  const out: Finding[] = [];
  const bs = k.hotplugGranule;
  const section = k.geometry.sectionSize;
  const ram = bootRam(k);
  const pmem = [...pmemResources(k)];
  // Devices of the machine description that iomem already shows (by overlap) are the same device.
  for (const p of ctx.pmem ?? []) if (!pmem.some((q) => overlaps(p, q))) pmem.push(p);

  // Block size: what DIMMs this machine can take at all.
  if (bs > section) {
    out.push(finding({
      severity: "info", kind: "block-size", start: 0, end: bs - 1,
      message: `the memory block size is ${size(bs)} (block_size_bytes ${bs.toString(16)}): hot-added memory must come in multiples of ${size(bs)} at ${size(bs)}-aligned addresses`,
      fix: "plan DIMM sizes and addresses in multiples of the block size (x86 picks the block size from the end of boot memory: a boot RAM end aligned to 2 GiB under a hypervisor gives 2 GiB blocks)",
    }));
  }

  // System RAM and persistent memory in one section / memory block.
  for (const p of pmem) {
    for (const r of ram) {
      if (overlaps(p, r)) {
        out.push(finding({
          severity: "error", kind: "device-conflict", start: Math.max(p.start, r.start), end: Math.min(p.end, r.end),
          message: `"${p.name}" ${hexRange(p.start, p.end)} overlaps System RAM ${hexRange(r.start, r.end)}`,
          fix: "move the persistent memory range (memmap=nn!ss, the NVDIMM address) off System RAM",
        }));
        continue;
      }
      // Sharing a section implies sharing the memory block (a block is one or more sections).
      const unitOf = (a: number, unit: number) => Math.floor(a / unit);
      const sharedAt = (unit: number): number | null =>
        unitOf(p.start, unit) === unitOf(r.end, unit) ? unitOf(p.start, unit) * unit : unitOf(r.start, unit) === unitOf(p.end, unit) ? unitOf(r.start, unit) * unit : null;
      const blockStart = sharedAt(bs);
      if (blockStart === null) continue;
      const sectionStart = sharedAt(section);
      const block = Math.floor(blockStart / bs);
      const sectionPart =
        sectionStart === null
          ? ""
          : `; they even share the ${size(section)} section ${hexRange(sectionStart, sectionStart + section - 1)}, which works only with 2 MiB sub-section hotplug (Linux ≥ 5.3): its memmap mixes System RAM and ZONE_DEVICE pages`;
      out.push(finding({
        severity: "warning", kind: "ram-pmem-sharing", start: blockStart, end: blockStart + bs - 1,
        message: `System RAM ${hexRange(r.start, r.end)} and "${p.name}" ${hexRange(p.start, p.end)} share memory block memory${block} ${hexRange(blockStart, blockStart + bs - 1)}: the block has holes (the PMEM part is not System RAM), so its RAM can never go offline, and dax kmem can never online the PMEM part of it${sectionPart}`,
        fix: `align the persistent memory to the ${size(bs)} block size (start it at 0x${(Math.ceil(p.start / bs) * bs).toString(16)}), or end System RAM by 0x${blockStart.toString(16)}`,
      }));
    }
    // Alignment waste when the PMEM is used as a namespace (2 MiB) or onlined with kmem (memory blocks).
    const sub = k.geometry.subsectionSize;
    const len = p.end + 1 - p.start;
    const in2m = Math.max(0, Math.floor((p.end + 1) / sub) * sub - Math.ceil(p.start / sub) * sub);
    if (in2m < len) {
      out.push(finding({
        severity: "warning", kind: "alignment-waste", start: p.start, end: p.end, bytes: len - in2m,
        message: `"${p.name}" ${hexRange(p.start, p.end)} is not 2 MiB aligned: a pmem namespace must start and end on memremap_compat_align() (2 MiB), so ${size(len - in2m)} cannot be used`,
        fix: "make the range start and size multiples of 2 MiB",
      }));
    }
    const inBlocks = Math.max(0, Math.floor((p.end + 1) / bs) * bs - Math.ceil(p.start / bs) * bs);
    if (inBlocks < len) {
      out.push(finding({
        severity: "info", kind: "alignment-waste", start: p.start, end: p.end, bytes: len - inBlocks,
        message: `onlined as System RAM with dax kmem, "${p.name}" ${hexRange(p.start, p.end)} keeps only its whole ${size(bs)} memory blocks: ${size(len - inBlocks)} are lost${inBlocks === 0 ? " (all of it)" : ""}`,
        fix: `align the device range to the memory block size (${size(bs)})`,
      }));
    }
  }
  // Persistent memory ranges overlapping each other.
  for (let i = 0; i < pmem.length; i++) {
    for (let j = i + 1; j < pmem.length; j++) {
      if (overlaps(pmem[i], pmem[j]) && !(pmem[i].start === pmem[j].start && pmem[i].end === pmem[j].end)) {
        out.push(finding({
          severity: "error", kind: "device-conflict", start: Math.max(pmem[i].start, pmem[j].start), end: Math.min(pmem[i].end, pmem[j].end),
          message: `"${pmem[i].name}" ${hexRange(pmem[i].start, pmem[i].end)} overlaps "${pmem[j].name}" ${hexRange(pmem[j].start, pmem[j].end)}`,
          fix: "give each persistent memory device its own range",
        }));
      }
    }
  }

  // Boot RAM ending inside a memory block: the rest of that block can never be hot-added.
  for (const r of ram) {
    const end = r.end + 1;
    if (end % bs === 0) continue;
    const blockEnd = Math.ceil(end / bs) * bs;
    let free = true;
    walk(k.iomem, (x) => {
      if (x === k.iomem) return true;
      if (x === r || x.end < end || x.start >= blockEnd) return false;
      free = false;
      return false;
    });
    if (!free) continue;
    out.push(finding({
      severity: "warning", kind: "alignment-waste", start: end, end: blockEnd - 1, bytes: blockEnd - end,
      message: `System RAM ends at 0x${end.toString(16)}, inside memory${Math.floor(r.end / bs)}: the rest of that ${size(bs)} block (${size(blockEnd - end)}) can never be hot-added (create_memory_block_devices() finds the block: EEXIST) and the block has holes, so it can never go offline`,
      fix: `end RAM at a multiple of ${size(bs)}, or plug memory only from 0x${blockEnd.toString(16)}`,
    }));
  }

  // The DIMM hotplug area.
  const dm = ctx.deviceMemory;
  if (dm && dm.size > 0) {
    const lo = Math.ceil(dm.base / bs) * bs;
    const hi = Math.floor((dm.base + dm.size) / bs) * bs;
    const usable = Math.max(0, hi - lo);
    if (usable < dm.size) {
      out.push(finding({
        severity: usable === 0 ? "error" : "warning", kind: "alignment-waste", start: dm.base, end: dm.base + dm.size - 1, bytes: dm.size - usable,
        message: `the DIMM hotplug area ${hexRange(dm.base, dm.base + dm.size - 1)} (maxmem − memory) is not a multiple of the ${size(bs)} block size: ${size(dm.size - usable)} of it can never hold hot-added memory`,
        fix: `make maxmem − memory a multiple of ${size(bs)}`,
      }));
    }
  }

  // DIMMs of the scenario that this block size cannot take.
  for (const d of ctx.dimms ?? []) {
    const start = d.addr ?? 0;
    if (d.size % bs !== 0 || (d.addr !== undefined && d.addr % bs !== 0)) {
      const parts = [d.size % bs !== 0 ? `size ${size(d.size)} is not a multiple of ${size(bs)}` : "", d.addr !== undefined && d.addr % bs !== 0 ? `address 0x${d.addr.toString(16)} is not ${size(bs)}-aligned` : ""].filter(Boolean);
      out.push(finding({
        severity: "error", kind: "dimm-unaligned", start, end: start + d.size - 1, bytes: d.size,
        message: `DIMM ${d.id} (step ${d.step + 1}): ${parts.join(" and ")}; the kernel refuses all of it ("Block size [0x${bs.toString(16)}] unaligned hotplug range"), QEMU keeps it plugged but unused`,
        fix: `use a size that is a multiple of ${size(bs)}${d.addr !== undefined ? ` at a ${size(bs)}-aligned address` : ""}`,
      }));
      continue;
    }
    if (d.addr !== undefined) {
      const v = predictHotAdd(k, d.addr, d.size);
      if (!v.ok && v.errno !== "EINVAL") {
        out.push(finding({
          severity: "error", kind: "device-conflict", start, end: start + d.size - 1,
          message: `DIMM ${d.id} (step ${d.step + 1}) at boot state: ${v.reason}`,
          fix: "place the DIMM in free address space inside the hotplug area",
        }));
      }
    }
    if (dm && d.addr !== undefined && (d.addr < dm.base || d.addr + d.size > dm.base + dm.size)) {
      out.push(finding({
        severity: "error", kind: "device-conflict", start, end: start + d.size - 1,
        message: `DIMM ${d.id} (step ${d.step + 1}) lies outside the DIMM hotplug area ${hexRange(dm.base, dm.base + dm.size - 1)}: QEMU refuses it`,
        fix: "choose an address inside the hotplug area or leave addr out",
      }));
    }
  }

  // Blocks that can never go offline, grouped by reason.
  const ps = k.geometry.pageSize;
  let run: { first: number; last: number; start: number; end: number; key: string; reason: string; boot: boolean } | null = null;
  const flush = () => {
    if (!run) return;
    const r = run;
    const blocks = r.first === r.last ? `memory${r.first}` : `memory${r.first}..memory${r.last}`;
    out.push(finding({
      severity: r.boot ? "info" : "warning", kind: "never-offline", start: r.start, end: r.end,
      message: `${blocks} can never go offline: ${r.reason}`,
      fix: r.key === "EINVAL:zone"
        ? "nothing to do: boot blocks across a zone or node boundary are never offlined"
        : r.key === "EINVAL:holes"
          ? "keep memory that must be removable in whole memory blocks of System RAM"
          : r.boot
            ? "expected for boot memory holding kernel allocations; keep removable memory out of these blocks"
            : "online hot-pluggable memory as online_movable so the kernel keeps its own allocations out of it",
    }));
    run = null;
  };
  for (const id of k.sortedBlockIds()) {
    const b = k.blocks.get(id)!;
    if (b.devOffline) {
      flush();
      continue;
    }
    const v = predictOffline(k, b);
    if (v.ok) {
      flush();
      continue;
    }
    const key = `${v.errno}:${/no zone|several zones|several nodes/.test(v.reason) ? "zone" : /holes/.test(v.reason) ? "holes" : v.evidence[0]?.what ?? v.reason}`;
    const start = b.startPfn * ps;
    const end = (b.startPfn + b.nrPages) * ps - 1;
    if (run && run.key === key && run.last + 1 === id && run.boot === b.boot) {
      run.last = id;
      run.end = end;
    } else {
      flush();
      run = { first: id, last: id, start, end, key, reason: `${v.reason} [${v.rule.kernel}; spec ${v.rule.spec}]`, boot: b.boot };
    }
  }
  flush();
  if (ctx.cxl) out.push(...lintCxl(k, ctx.cxl));
  return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.start - b.start);
}
