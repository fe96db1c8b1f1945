/**
 * What-if comparisons: run one scenario under several kernel profiles and
 * memory block designs and count what each costs — memory block devices and
 * sysfs files, uevents (what a kdump udev rule would reload on), bytes usable
 * as System RAM and as device memory, bytes lost (alignment, holes,
 * metadata), and the steps that fail. Every byte the machine provides is
 * accounted: usable + lost = capacity (a run that does not add up says so in
 * `unaccounted_bytes`).
 */
import type { Kernel } from "../kernel/kernel.js";
import { formatSize, parseSize } from "../kernel/units.js";
import type { System } from "../machine/system.js";
import { applyStep, bootSystem, type BlockDesign, type RawStep, type RunnableScenario } from "../scenario/runner.js";
import { virtioMemOf } from "../scenario/ops-virtio-mem.js";
import { pmemAccounting } from "./accounting.js";
import { archFamilyOf, portScenario, type ArchFamilyName } from "./compare-arch.js";
import { deviceAccounting } from "./device-accounting.js";

export interface FailedStep {
  /** Step number, from 1. */
  step: number;
  errno: string;
  reason: string;
}

export interface CompareRun {
  /** The architecture family the scenario ran on (compare --archs). */
  arch: string;
  profile: string;
  design: string;
  /** What the kernel build and command line decide before any step (profile.ts, config.ts). */
  kernel: {
    /** CONFIG_MHP_DEFAULT_ONLINE_TYPE of the build. */
    auto_online_default: string;
    /** auto_online_blocks after the command line (memhp_default_state=). */
    auto_online_boot: string;
    /** memmap_on_memory: "not built", "off", "single-block additions" or "every block". */
    memmap_on_memory: string;
  };
  capacity_bytes: number;
  block_devices: number;
  sysfs_files: number;
  uevents: number;
  usable_ram_bytes: number;
  usable_device_bytes: number;
  lost_bytes: { alignment: number; holes: number; metadata: number };
  failed_steps: FailedStep[];
  /** capacity − usable − lost; 0 unless the accounting has a gap. */
  unaccounted_bytes: number;
  /** Blocks whose memory has more than one owner (boot RAM, a DIMM, a device mapping…) at the end. */
  shared_blocks: { block: number; owners: string[] }[];
}

export interface DesignSpec {
  name: string;
  design: BlockDesign;
}

/** `fixed:128M`, `fixed:2G`, `variable`, `single-owner` (fixed blocks of the kernel's size, one owner per block). */
export function parseDesign(s: string): DesignSpec {
  const t = s.trim();
  if (t === "variable") return { name: t, design: { variable: true } };
  if (t === "single-owner") return { name: t, design: { singleOwner: true } };
  if (t === "default" || t === "fixed") return { name: "fixed", design: {} };
  const m = /^fixed:(.+)$/.exec(t);
  if (m) {
    const size = parseSize(m[1]);
    let x = size;
    while (x > 1 && x % 2 === 0) x /= 2;
    if (x !== 1 || size < 128 * 1024 * 1024) throw new RangeError(`design "${s}": the block size must be a power of two of at least the section size (128M)`);
    return { name: `fixed:${formatSize(size)}`, design: { blockSize: size } };
  }
  throw new RangeError(`unknown design "${s}" (use fixed:SIZE, variable, single-owner)`);
}

/** Files a memory block device has under /sys/devices/system/memory/memoryN (attributes, links, power/). */
const BLOCK_FILES = 7 /* phys_index state online phys_device removable valid_zones uevent */ + 1 /* subsystem */ + 9; /* power/* */
const ROOT_FILES = 7; /* block_size_bytes auto_online_blocks soft/hard_offline_page uevent power/ (+probe) */

function sysfsFiles(k: Kernel): number {
  let n = ROOT_FILES;
  for (const b of k.blocks.values()) n += BLOCK_FILES + b.nodeLinks.length + (b.firmwareNode ? 1 : 0);
  return n;
}

function failureOf(i: number, step: RawStep, result: unknown, log: { text: string; level: number }[]): FailedStep[] {
  const r = (result ?? {}) as Record<string, unknown>;
  const out: FailedStep[] = [];
  const dmesg = log.map((l) => l.text);
  // The kernel's own words: warnings and errors, and the pr_debug reasons of failed offlines.
  const kernelReason = log
    .filter((l) => l.level <= 4 || /failed due to|unaligned|exceeds|collision|unable to/i.test(l.text))
    .filter((l) => !/unable to guarantee persistence/.test(l.text))
    .map((l) => l.text)
    .join(" / ");
  switch (step.op) {
    case "write":
    case "read": {
      const writes = Array.isArray(r.writes) ? (r.writes as Record<string, unknown>[]) : [r];
      for (const w of writes) {
        if (w.ok === false) out.push({ step: i, errno: String(w.errno), reason: `${w.path}${step.op === "write" ? ` <- ${JSON.stringify(step.value)}` : ""}${kernelReason ? `: ${kernelReason}` : ""}` });
      }
      break;
    }
    case "plug-dimm": {
      const q = r.device_add as { error?: { desc: string } } | undefined;
      if (q?.error) out.push({ step: i, errno: "QMP", reason: q.error.desc });
      else if (dmesg.some((l) => /add_memory failed|acpi_memory_enable_device\(\) error/.test(l))) out.push({ step: i, errno: "EINVAL", reason: kernelReason });
      break;
    }
    case "unplug-dimm": {
      const q = r.device_del as { error?: { desc: string } } | undefined;
      if (q?.error) out.push({ step: i, errno: "QMP", reason: q.error.desc });
      else if (r.device_deleted === false) out.push({ step: i, errno: "EBUSY", reason: `eject refused${kernelReason ? `: ${kernelReason}` : ""}` });
      break;
    }
    case "virtio-mem-resize": {
      const q = r["qom-set"] as { error?: { desc: string } } | undefined;
      if (q?.error) out.push({ step: i, errno: "QMP", reason: q.error.desc });
      else if (r.size_reached === false) out.push({ step: i, errno: "EBUSY", reason: `size ${r.size} did not reach ${r["requested-size"]}` });
      break;
    }
    default:
      if (typeof r.rc === "number" && r.rc !== 0) {
        const stderr = Array.isArray(r.stderr) ? (r.stderr as string[]).join(" / ") : String(r.stderr ?? "");
        out.push({ step: i, errno: `rc=${r.rc}`, reason: [kernelReason, stderr].filter(Boolean).join(" — ") });
      } else if (typeof r.error === "string") {
        out.push({ step: i, errno: "ENOTSUP", reason: r.error });
      }
  }
  return out;
}

/** Byte accounting of the machine at the end of a run. */
export function accountBytes(sys: System): Pick<CompareRun, "capacity_bytes" | "usable_ram_bytes" | "usable_device_bytes" | "lost_bytes" | "unaccounted_bytes"> {
  const k = sys.kernel;
  const ps = k.geometry.pageSize;
  const lost = { alignment: 0, holes: 0, metadata: 0 };
  let usableRam = 0;
  let usableDevice = 0;
  // Boot RAM as the hypervisor provides it; legacy PMEM is carved out of it.
  const ramProvided = sys.spec.memory;
  const memblock = sys.layout.memblock.reduce((a, r) => a + (r.end - r.start), 0);
  const legacy = sys.layout.legacyPmem.reduce((a, r) => a + (r.end - r.start + 1), 0);
  usableRam += memblock;
  lost.holes += ramProvided - memblock - legacy;
  let capacity = ramProvided;
  const pmem = new Map(pmemAccounting(k).map((r) => [r.region, r.unallocated]));
  // Each device as device-accounting.ts breaks it down.
  for (const a of deviceAccounting(sys)) {
    switch (a.kind) {
      case "dimm":
        capacity += a.size;
        break;
      case "virtio-mem":
        // What the hypervisor has plugged is what it provides; the rest of the region is on request.
        capacity += a.size - a.notPlugged;
        break;
      case "nvdimm-region":
        break; // capacity: the NVDIMM backends below
      case "cxl-memdev":
        capacity += a.size;
        usableDevice += a.notPlugged; // capacity no region maps yet: device memory to be had
        break;
    }
    usableRam += a.systemRam;
    // Region space in no namespace is still device memory to be had; failed namespaces are alignment losses.
    const unallocated = a.kind === "nvdimm-region" ? (pmem.get(a.device) ?? 0) : 0;
    usableDevice += a.devicePages + unallocated;
    lost.metadata += a.metadata;
    lost.alignment += a.padding + a.trimmed + (a.unusable - unallocated);
  }
  // NVDIMMs: the backend is the capacity; the label area is metadata (the region is accounted above).
  for (const nv of sys.layout.nvdimms) {
    capacity += nv.size + nv.labelSize;
    lost.metadata += nv.labelSize;
  }
  const lostTotal = lost.alignment + lost.holes + lost.metadata;
  return {
    capacity_bytes: capacity,
    usable_ram_bytes: usableRam,
    usable_device_bytes: usableDevice,
    lost_bytes: lost,
    unaccounted_bytes: capacity - usableRam - usableDevice - lostTotal,
  };
}

/** Memory blocks whose range holds memory of several owners. */
export function sharedBlocks(sys: System): { block: number; owners: string[] }[] {
  const k = sys.kernel;
  const ps = k.geometry.pageSize;
  const owners: { start: number; end: number; name: string }[] = [];
  for (const r of sys.layout.memblock) owners.push({ start: r.start, end: r.end, name: "boot RAM" });
  for (const d of sys.devices) owners.push({ start: d.addr, end: d.addr + d.size, name: `${d.kind} ${d.id}` });
  for (const p of k.pgmaps) owners.push({ start: p.start * ps, end: p.end * ps, name: `device memory ${p.owner}` });
  for (const v of virtioMemOf(sys)) owners.push({ start: v.dev.addr, end: v.dev.addr + v.dev.regionSize, name: `virtio-mem ${v.dev.id}` });
  const unit = k.blockDesign === "variable" ? k.geometry.sectionSize : k.blockSize;
  const byBlock = new Map<number, Set<string>>();
  for (const o of owners) {
    for (let a = o.start - (o.start % unit); a < o.end; a += unit) {
      const set = byBlock.get(a / unit) ?? new Set<string>();
      set.add(o.name);
      byBlock.set(a / unit, set);
    }
  }
  const out: { block: number; owners: string[] }[] = [];
  for (const [blk, set] of byBlock) {
    // A device counts once even when it is also mapped as device memory.
    const names = [...set].filter((n) => !(n.startsWith("device memory") && [...set].some((m) => m.startsWith("nvdimm"))));
    const distinct = new Set(names.map((n) => (n.startsWith("device memory") ? "device memory" : n)));
    if (distinct.size > 1) out.push({ block: blk, owners: [...set].sort() });
  }
  return out.sort((a, b) => a.block - b.block);
}

/** Run one scenario under one profile and design, without snapshots (cost follows blocks, not views). */
export function compareRun(scn: RunnableScenario, profile: string, d: DesignSpec): CompareRun {
  const sys = bootSystem(scn.machine, { boot: "derive", profile, design: d.design });
  const k = sys.kernel;
  const kernel = {
    auto_online_default: k.config.MHP_DEFAULT_ONLINE_TYPE,
    auto_online_boot: k.params.autoOnlineBlocks,
    memmap_on_memory: !k.rules.memmapOnMemory || !k.config.MHP_MEMMAP_ON_MEMORY ? "not built" : !k.params.memmapOnMemory ? "off" : k.rules.memmapOnMemoryPerBlock ? "every block" : "single-block additions",
  };
  let peakBlocks = k.blocks.size;
  let peakFiles = sysfsFiles(k);
  // The kernel sends an `add` uevent for every boot block too (udev sees them at coldplug).
  let uevents = k.blocks.size + k.uevents.length;
  const failed: FailedStep[] = [];
  scn.steps.forEach((step, i) => {
    const mark = { log: k.log.length, uev: k.uevents.length };
    const result = applyStep(sys, step);
    uevents += k.uevents.length - mark.uev;
    failed.push(...failureOf(i + 1, step, result, k.log.slice(mark.log))); // steps count from 1
    if (k.blocks.size > peakBlocks) {
      peakBlocks = k.blocks.size;
      peakFiles = sysfsFiles(k);
    }
  });
  const bytes = accountBytes(sys);
  return {
    arch: archFamilyOf(scn.machine),
    profile: k.profile,
    design: d.name,
    kernel,
    capacity_bytes: bytes.capacity_bytes,
    block_devices: peakBlocks,
    sysfs_files: peakFiles,
    uevents,
    usable_ram_bytes: bytes.usable_ram_bytes,
    usable_device_bytes: bytes.usable_device_bytes,
    lost_bytes: bytes.lost_bytes,
    failed_steps: failed,
    unaccounted_bytes: bytes.unaccounted_bytes,
    shared_blocks: sharedBlocks(sys),
  };
}

export function compareScenario(
  scn: RunnableScenario,
  profiles: string[],
  designs: string[],
  onRun?: (done: number, total: number) => void,
  archs?: ArchFamilyName[],
): { runs: CompareRun[] } {
  const ds = designs.map(parseDesign);
  const runs: CompareRun[] = [];
  const scns = archs && archs.length ? archs.map((a) => portScenario(scn, a)) : [scn];
  const total = scns.length * profiles.length * ds.length;
  for (const s of scns) {
    for (const p of profiles) {
      for (const d of ds) {
        runs.push(compareRun(s, p, d));
        onRun?.(runs.length, total);
      }
    }
  }
  return { runs };
}
