/**
 * Build options that differ between architectures' Debian kernels and that
 * memory hotplug depends on (Debian's arm64 configs: no
 * CONFIG_ACPI_HOTPLUG_MEMORY in any version, no CONFIG_ZONE_DEVICE in 6.1,
 * CONFIG_ZONE_DEVICE=y from 6.12, no CONFIG_FIRMWARE_MEMMAP; amd64: all set).
 * A scenario overrides them in machine.kernel.config (CONFIG_ZONE_DEVICE: y, …;
 * profiles/config.ts). Evidence: ../shared/conformance/arm64 (6.1: dax_pmem missing, no Device
 * zone, PNP0C80 without a driver; 6.12: Device zone, devdax and kmem work).
 */
import { isArm64, type Geometry } from "./arch.js";

export type ArchOption = "ZONE_DEVICE" | "ACPI_HOTPLUG_MEMORY" | "FIRMWARE_MEMMAP";

export type ArchConfig = Record<ArchOption, boolean>;

/** Debian's build of `version` for the architecture of `g`. */
export function debianArchConfig(g: Geometry, version: string): ArchConfig {
  if (!isArm64(g)) return { ZONE_DEVICE: true, ACPI_HOTPLUG_MEMORY: true, FIRMWARE_MEMMAP: true };
  const v = version.split(".").map(Number);
  const zoneDevice = (v[0] ?? 0) * 1000 + (v[1] ?? 0) >= 6012;
  return { ZONE_DEVICE: zoneDevice, ACPI_HOTPLUG_MEMORY: false, FIRMWARE_MEMMAP: false };
}

/** Every option built: the synthetic machine's idealised kernel (a memhp extension, not a distribution's build). */
export const ALL_BUILT: ArchConfig = { ZONE_DEVICE: true, ACPI_HOTPLUG_MEMORY: true, FIRMWARE_MEMMAP: true };

/** Is the kernel built with `opt`? */
export function built(k: { geometry: Geometry; profile: string; archConfig?: Partial<ArchConfig>; config?: Partial<ArchConfig> }, opt: ArchOption): boolean {
  return k.config?.[opt] ?? k.archConfig?.[opt] ?? debianArchConfig(k.geometry, k.profile)[opt];
}
