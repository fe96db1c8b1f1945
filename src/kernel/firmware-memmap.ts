/**
 * /sys/firmware/memmap. Models drivers/firmware/memmap.c:
 * firmware_map_add_early(), firmware_map_add_hotplug(), firmware_map_remove().
 * Entry numbers come from a counter that is never reused. Without
 * CONFIG_FIRMWARE_MEMMAP (Debian's arm64 builds) the three are stubs and
 * /sys/firmware/memmap does not exist.
 */
import type { Kernel } from "./kernel.js";
import { built } from "./profiles/config.js";

export interface FirmwareMemmapEntry {
  index: number;
  start: number;
  /** Inclusive. */
  end: number;
  type: string;
}

export function firmwareMapAddEarly(k: Kernel, start: number, endInclusive: number, type: string): void {
  if (!built(k, "FIRMWARE_MEMMAP")) return;
  k.firmwareMemmap.push({ index: k.firmwareMemmapNext++, start, end: endInclusive, type });
}

/** firmware_map_add_hotplug(start, end_exclusive, type): no duplicate of an identical entry. */
export function firmwareMapAddHotplug(k: Kernel, start: number, endExclusive: number, type: string): void {
  if (!built(k, "FIRMWARE_MEMMAP")) return;
  const end = endExclusive - 1;
  if (k.firmwareMemmap.some((e) => e.start === start && e.end === end && e.type === type)) return;
  k.firmwareMemmap.push({ index: k.firmwareMemmapNext++, start, end, type });
}

/** firmware_map_remove(): only an entry with exactly this range and type. */
export function firmwareMapRemove(k: Kernel, start: number, endExclusive: number, type: string): void {
  const end = endExclusive - 1;
  const i = k.firmwareMemmap.findIndex((e) => e.start === start && e.end === end && e.type === type);
  if (i >= 0) k.firmwareMemmap.splice(i, 1);
}
