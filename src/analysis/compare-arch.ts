/**
 * The same scenario on another architecture, where that makes sense: a QEMU
 * pc/q35 machine becomes a virt machine with the same RAM, hotplug area,
 * slots, NUMA nodes, NVDIMMs and virtio-mem devices, and the other way round.
 * Addresses in the device-memory region keep their offset from the region's
 * base, and memoryN paths of blocks there keep their offset too, so "the
 * DIMM at the start of the hotplug area, onlined movable" stays that on
 * either machine. What cannot carry over is refused with the reason.
 * Pure (browser-safe).
 */
import type { ArchName } from "../kernel/arch.js";
import { deriveBootLayout } from "../machine/qemu.js";
import type { MachineSpec } from "../machine/types.js";
import type { RawStep, RunnableScenario } from "../scenario/runner.js";
import { parseSize } from "../kernel/units.js";

export type ArchFamilyName = "x86_64" | "arm64";

export function archFamilyOf(m: MachineSpec): ArchFamilyName {
  return m.type === "virt" || (m.arch ?? "x86_64").startsWith("arm64") ? "arm64" : "x86_64";
}

/** Why a scenario cannot be moved to `to` (null: it can). */
export function whyNotPortable(scn: RunnableScenario, to: ArchFamilyName): string | null {
  const m = scn.machine;
  if (archFamilyOf(m) === to) return null;
  if (m.type === "synthetic") return "a synthetic machine has no QEMU counterpart on another architecture (set its arch instead)";
  if (to === "arm64" && m.cmdline.some((w) => w.startsWith("memmap="))) return "memmap= (legacy PMEM carved from the e820 map) is x86-only";
  if (to === "arm64" && (m.cxl !== undefined && m.cxl !== null)) return "CXL is modelled on q35 only";
  if (!m.maxmem || m.maxmem <= m.memory) return null;
  return null;
}

/** The scenario on the other architecture's QEMU machine (see the module comment). */
export function portScenario(scn: RunnableScenario, to: ArchFamilyName): RunnableScenario {
  const from = scn.machine;
  if (archFamilyOf(from) === to) return scn;
  const why = whyNotPortable(scn, to);
  if (why) throw new RangeError(why);
  const machine: MachineSpec =
    to === "arm64"
      ? { ...withoutX86(from), type: "virt", arch: "arm64-4k" as ArchName }
      : { ...withoutArm(from), type: "pc" };
  const a = deriveBootLayout(from).deviceMemory;
  const b = deriveBootLayout(machine).deviceMemory;
  const shift = a && b ? b.base - a.base : 0;
  const blockShift = shift / (128 * 1024 * 1024);
  const moveAddr = (v: unknown): unknown => {
    if (v === undefined || v === null || !a) return v;
    const n = parseSize(String(v));
    return n >= a.base && n < a.base + a.size ? `0x${(n + shift).toString(16)}` : v;
  };
  if (machine.nvdimms) machine.nvdimms = machine.nvdimms.map((d) => (d.addr === undefined ? d : { ...d, addr: Number(moveAddr(d.addr) ?? d.addr) }));
  if (machine.virtio_mem) machine.virtio_mem = machine.virtio_mem.map((d) => (d.addr === undefined ? d : { ...d, addr: Number(moveAddr(d.addr) ?? d.addr) }));
  const firstHotplugBlock = a ? a.base / (128 * 1024 * 1024) : Infinity;
  const movePath = (p: string): string =>
    p.replace(/memory(\d+)/, (all, id: string) => (Number(id) >= firstHotplugBlock ? `memory${Number(id) + blockShift}` : all));
  const steps = scn.steps.map((s): RawStep => {
    const t: RawStep = { ...s };
    if (t.op === "plug-dimm" && t.addr !== undefined) t.addr = moveAddr(t.addr);
    if (typeof t.path === "string") t.path = movePath(t.path);
    if (Array.isArray(t.paths)) t.paths = (t.paths as string[]).map(movePath);
    return t;
  });
  return { name: `${scn.name} (${to})`, description: scn.description, machine, steps };
}

function withoutX86(m: MachineSpec): MachineSpec {
  const { la57: _la57, arch: _arch, cxl: _cxl, ...rest } = m;
  return { ...rest, nvdimms: m.nvdimms?.map((d) => ({ ...d })), virtio_mem: m.virtio_mem?.map((d) => ({ ...d })) } as MachineSpec;
}

function withoutArm(m: MachineSpec): MachineSpec {
  const { acpi: _acpi, firmware: _firmware, arch: _arch, ...rest } = m;
  return { ...rest } as MachineSpec;
}
