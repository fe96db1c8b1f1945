/**
 * The QEMU releases memhp models and what differs between them, as data:
 * the firmware each bundles and the machine-type facts the guest sees.
 * QEMU 7.2 (Debian 12) ships SeaBIOS 1.16.2; QEMU 10.0 (Debian 13, the
 * oracle's `--qemu trixie`) ships SeaBIOS 1.16.3, whose PCI setup sizes and
 * places 64-bit windows from the CPU's physical address bits when RAM goes
 * above 4 GiB (seabios-pci.ts). A CXL machine under 6.12 and later runs on
 * QEMU 10.0 (the kernel rule cxlQemu: cxl_pci needs its event interrupts);
 * everything else on 7.2, unless the scenario or the trace says otherwise.
 */
import type { Rules } from "../kernel/profile.js";
import { GiB, TiB } from "../kernel/units.js";
import type { MachineSpec } from "./types.js";

export const QEMU_VERSIONS = ["7.2", "10.0"] as const;
export type QemuVersion = (typeof QEMU_VERSIONS)[number];

export interface QemuFacts {
  /** The SeaBIOS it bundles. */
  seabios: "1.16.2" | "1.16.3";
  /**
   * SeaBIOS 1.16.3 (commits 90eeb0c8..a6ed6b70): the top of the 64-bit PCI
   * space is 2^phys-bits (at most 2^46), and with RAM above 4 GiB every
   * 64-bit BAR and window goes above 4 GiB, the 64-bit window padded to an
   * eighth of that space, hotplug bridges' 64-bit prefetchable windows sized
   * to a 2048th of it, and moved down when it hits an E820 entry.
   */
  mem64FromPhysBits: boolean;
  /** MachineClass smbios_memory_device_size: RAM per SMBIOS type 17 structure (pc-*-9.0 and older 16 GiB, 9.1 on 2047 TiB). */
  smbiosMemoryDeviceSize: number;
  /**
   * QEMU 8.1 on: a pxb-cxl host bridge with a single root port has no HDM
   * decoder capability (pxb-cxl's hdm_for_passthrough is off by default), so
   * the kernel gives its port one passthrough decoder. QEMU 7.2 always has
   * HDM decoders.
   */
  singleRootPortPassthrough: boolean;
  /**
   * A cxl-type3 device clears an HDM decoder's Committed bit when the kernel
   * writes Commit 0 (hw/mem/cxl_type3.c hdm_decoder_uncommit(), added after
   * 7.2). QEMU 7.2 keeps the bit: a decoder the kernel reset reads back as
   * committed with zero size (test/oracle/cxl/cxl-probe90-unbind-in-region,
   * 6.1).
   */
  type3UncommitClearsCommitted: boolean;
}

export const QEMU_FACTS: Record<QemuVersion, QemuFacts> = {
  "7.2": { seabios: "1.16.2", mem64FromPhysBits: false, smbiosMemoryDeviceSize: 16 * GiB, singleRootPortPassthrough: false, type3UncommitClearsCommitted: false },
  "10.0": { seabios: "1.16.3", mem64FromPhysBits: true, smbiosMemoryDeviceSize: 2047 * TiB, singleRootPortPassthrough: true, type3UncommitClearsCommitted: true },
};

/** The QEMU a machine boots on: its own `qemu`, else 10.0 for a CXL machine where the kernel needs it, else 7.2. */
export function qemuVersionOf(spec: MachineSpec, rules: Pick<Rules, "cxlQemu">): QemuVersion {
  if (spec.qemu) return spec.qemu;
  return spec.cxl ? rules.cxlQemu : "7.2";
}

/** The default machine type's name (SMBIOS type 1 and 3 version strings). */
export function machineTypeName(type: "pc" | "q35", v: QemuVersion): string {
  return `${type === "q35" ? "pc-q35" : "pc-i440fx"}-${v}`;
}

/** A trace's `qemu` field ("QEMU emulator version 10.0.13 (Debian ...)") as a modelled release, or null (absent or another release). */
export function traceQemuVersion(text: unknown): QemuVersion | null {
  if (typeof text !== "string") return null;
  const m = /QEMU emulator version (\d+)\.(\d+)/.exec(text);
  if (!m) return null;
  const v = `${m[1]}.${m[2]}`;
  return (QEMU_VERSIONS as readonly string[]).includes(v) ? (v as QemuVersion) : null;
}
