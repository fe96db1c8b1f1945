/**
 * What QEMU's virt machine or the arm64 kernel builds refuse before anything
 * runs, reported as located scenario errors (exit 2): an arch that is not
 * arm64 (page sizes without a build: machine-kernel.ts), NVDIMMs without ACPI, and memory devices placed
 * outside the device-memory region (QEMU: "can't add memory device ...").
 */
import { formatSize, GiB } from "../kernel/units.js";
import type { MachineSpec } from "../machine/types.js";
import { virtMap } from "../machine/virt.js";

type Issue = (path: PropertyKey[], message: string) => void;

interface RawMachine {
  memory?: number;
  maxmem?: number;
  slots?: number;
  acpi?: boolean;
  firmware?: string | null;
  arch?: string;
  profile?: unknown;
  kernel?: unknown;
  nvdimms?: { id: string; size: number; addr?: number; label_size?: number }[];
  virtio_mem?: { id: string; size: number; addr?: number }[];
}

export function virtMachineIssues(m: RawMachine, issue: Issue): void {
  // Page sizes without a build of the kernel version: machine-kernel.ts.
  if (m.arch !== undefined && !m.arch.startsWith("arm64")) issue(["arch"], `a virt machine runs an arm64 kernel: arch must be arm64-4k, arm64-16k or arm64-64k, not ${m.arch}`);
  const uefi = m.acpi !== false || (m.firmware !== undefined && m.firmware !== null);
  if (m.nvdimms?.length && (!uefi || m.acpi === false))
    issue(["nvdimms"], "NVDIMMs on virt need ACPI with firmware (QEMU: \"memory hotplug is not enabled: missing acpi-ged device\"); remove acpi: false");
  const memory = m.memory ?? GiB;
  if (m.maxmem === undefined || m.maxmem <= memory) return;
  const map = virtMap({ type: "virt", memory, maxmem: m.maxmem, slots: m.slots, cmdline: [] });
  const region = map.deviceMemory!;
  const check = (key: "nvdimms" | "virtio_mem", i: number, addr: number | undefined, size: number) => {
    if (addr === undefined) return;
    if (addr < region.base || addr + size > region.base + region.size)
      issue([key, i, "addr"], outsideMessage(addr, size, region));
  };
  (m.nvdimms ?? []).forEach((d, i) => check("nvdimms", i, d.addr, d.size - (d.label_size ?? 0)));
  (m.virtio_mem ?? []).forEach((d, i) => check("virtio_mem", i, d.addr, d.size));
}

function outsideMessage(addr: number, size: number, region: { base: number; size: number }): string {
  const hex = (n: number) => "0x" + n.toString(16);
  return `[${hex(addr)}, ${hex(addr + size)}) (${formatSize(size)}) lies outside the virt machine's device-memory region [${hex(region.base)}, ${hex(region.base + region.size)}) (QEMU refuses: "can't add memory device")`;
}

/** plug-dimm steps with an address outside the device-memory region (or with no region at all). */
export function virtStepIssues(m: MachineSpec, steps: { op: string; addr?: number; size?: number }[], issue: Issue): void {
  const map = virtMap(m);
  steps.forEach((s, i) => {
    if (s.op !== "plug-dimm" || s.addr === undefined) return;
    const size = s.size ?? 0;
    if (!map.deviceMemory) {
      issue(["steps", i, "addr"], "this virt machine has no device-memory region (give maxmem greater than memory)");
      return;
    }
    const r = map.deviceMemory;
    if (s.addr < r.base || s.addr + size > r.base + r.size) issue(["steps", i, "addr"], outsideMessage(s.addr, size, r));
  });
}
