/**
 * edk2 (QEMU_EFI.fd of Debian's qemu-efi-aarch64) on the virt machine: where
 * its allocations below the top of RAM land as a function of the machine.
 * Only its EFI memory attributes table moves with the machine (the EFI stub's
 * FDT page, the initrd and the ACPI tables stay put, except for nvdimm=on's
 * ACPI NVS page, Arm64Build.nvdimmShift); arm64-boot.ts places everything.
 */
import { GiB } from "../kernel/units.js";
import type { MachineSpec } from "./types.js";
import type { VirtMap } from "./virt.js";

const PAGE = 0x1000;

/**
 * Where edk2's memory attributes table lands: its page, in bytes below
 * Arm64Build.efi.memattr (measured: test/oracle/arm64/traces/a64-efi-*,
 * checked against every UEFI trace by arm64-edk2.test.ts). edk2 allocates the
 * table from its boot-services pool at ReadyToBoot, after PCI enumeration; the
 * pool grows top-down. What the recordings show:
 * - in general the table opens the next pool page, 3 + floor(n/2) pages down
 *   for n virtio-mem devices (measured n = 1, 3, 5-10, 12, 16, 24; with an
 *   NVDIMM n = 1, 3-6, 8): half a page of pool per PCI device enumerated,
 *   which is what the slope says (the oracle's virtio-serial is always there);
 * - for a few small counts it lands higher, where a freed pool block of its
 *   size is left (EDK2_MEMATTR_HOLES); these are measured, not derived;
 * - 2 GiB of RAM or more moves every case 2 pages down (1792 and 1984 MiB do
 *   not), no device-memory region (no maxmem) 1 page more;
 * - NVDIMMs (how many, label-size) matter only through the holes; smp, -cpu,
 *   NUMA, the virtio-mem sizes, maxmem and slots, and the kernel (6.1, 6.12)
 *   do not move it.
 */
export function memattrDelta(spec: MachineSpec, map: VirtMap, nvdimm: boolean): number {
  const n = (spec.virtio_mem ?? []).length;
  const hole = EDK2_MEMATTR_HOLES[nvdimm ? "nvdimm" : "plain"][n];
  let pages = hole ?? 3 + Math.floor(n / 2);
  if (!map.deviceMemory) pages += 1;
  if (spec.memory >= 2 * GiB) pages += 2;
  return pages * PAGE;
}

/** Virtio-mem device counts for which the table fits a freed pool block above the next pool page: the page, relative to build.efi.memattr (measured). */
export const EDK2_MEMATTR_HOLES: Record<"plain" | "nvdimm", Partial<Record<number, number>>> = {
  plain: { 0: 0, 2: -1, 4: 0 },
  nvdimm: { 0: -2, 2: -1 },
};
