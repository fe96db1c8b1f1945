/**
 * What QEMU's virt machine or the arm64 kernel builds refuse before anything
 * runs, reported as located scenario errors (exit 2): page sizes no kernel of
 * the profile is built with, NVDIMMs without ACPI, and memory devices placed
 * outside the device-memory region (QEMU: "can't add memory device ...").
 */
import { formatSize, GiB } from "../kernel/units.js";
import type { MachineSpec } from "../machine/types.js";
import { virtMap } from "../machine/virt.js";

type Issue = (path: PropertyKey[], message: string) => void;

/** The page sizes Debian builds arm64 kernels with, per profile (flavour linux-image-arm64 and, from trixie, -arm64-16k). */
export function arm64PageSizesOf(profile: string | undefined): string[] {
  const v = (profile ?? "6.1").split(".").map(Number);
  return (v[0] ?? 0) * 1000 + (v[1] ?? 0) >= 6012 ? ["arm64-4k", "arm64-16k"] : ["arm64-4k"];
}

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

/** The kernel version a machine names (machine.kernel or profile: a version or {version, preset}); absent: 6.1. */
function versionOf(m: RawMachine): string {
  const k = m.kernel ?? m.profile;
  if (typeof k === "string") return k;
  if (k && typeof k === "object") {
    const o = k as { version?: unknown; preset?: unknown };
    if (typeof o.version === "string") return o.version;
    if (typeof o.preset === "string") return o.preset === "debian-13" ? "6.12" : o.preset === "debian-unstable" ? "7.2" : o.preset === "debian-11" ? "5.10" : "6.1";
  }
  return "6.1";
}

export function virtMachineIssues(m: RawMachine, issue: Issue): void {
  if (m.arch !== undefined) {
    const version = versionOf(m);
    const ok = arm64PageSizesOf(version);
    if (!m.arch.startsWith("arm64")) issue(["arch"], `a virt machine runs an arm64 kernel: arch must be one of ${ok.join(", ")}, not ${m.arch}`);
    else if (!ok.includes(m.arch))
      issue(["arch"], `no ${version} arm64 kernel is built with ${m.arch.slice(6).toUpperCase()} pages (Debian builds ${ok.join(", ")}${ok.length === 1 ? "; 16K pages come with 6.12's linux-image-arm64-16k" : ""})`);
  }
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
