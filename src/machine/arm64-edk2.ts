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
 * checked against every UEFI trace by arm64-edk2.test.ts). edk2's DXE core
 * builds the table at ReadyToBoot with AllocatePool(EfiBootServicesData),
 * after PCI enumeration (MdeModulePkg/Core/Dxe/Misc/MemoryAttributesTable.c).
 * The pool takes a block of the table's size from its free lists, or from a
 * larger free block, or else opens a fresh pool page, the highest free page
 * (pages are handed out top-down). The kernel prints the table's address at
 * boot ("efi: ... MEMATTR=0x..."): its offset in the page tells the two apart,
 * 0x18 (just past the pool header) in a fresh page; with efi=debug
 * (a64-efi-debug-*) it prints edk2's whole memory map too. What they show:
 * - a fresh page, 3 + floor(n/2) pages down for n virtio-mem devices
 *   (measured n = 1, 3, 5-10, 12, 16, 24; with an NVDIMM n = 1, 3-9): the
 *   boot-services data below the runtime ranges grows by half a page per PCI
 *   device enumerated (the oracle's virtio-serial is always there);
 * - a freed block higher up for a few small counts (EDK2_MEMATTR_REUSED):
 *   which block is free then is the history of every pool allocation before
 *   it, so these are measured, not derived;
 * - 2 GiB of RAM or more moves every case 2 pages down (1792 and 1984 MiB do
 *   not), no device-memory region (no maxmem) 1 page more;
 * - NVDIMMs (how many, label-size) matter only through the reused blocks;
 *   smp, -cpu, NUMA, the virtio-mem sizes, block sizes and requested sizes,
 *   maxmem and slots, and the kernel (6.1, 6.12) do not move it.
 */
export function memattrDelta(spec: MachineSpec, map: VirtMap, nvdimm: boolean): number {
  let pages = reusedBlock(spec, nvdimm)?.page ?? 3 + Math.floor(virtioMemCount(spec) / 2);
  if (!map.deviceMemory) pages += 1;
  if (spec.memory >= 2 * GiB) pages += 2;
  return pages * PAGE;
}

/** The table's offset in its page: past the pool header (POOL_HEAD, 0x18 bytes) of a fresh page, or where the reused block starts. */
export function memattrOffset(spec: MachineSpec, nvdimm: boolean): number {
  return reusedBlock(spec, nvdimm)?.offset ?? POOL_HEAD;
}

const POOL_HEAD = 0x18;

function virtioMemCount(spec: MachineSpec): number {
  return (spec.virtio_mem ?? []).length;
}

function reusedBlock(spec: MachineSpec, nvdimm: boolean): { page: number; offset: number } | undefined {
  return EDK2_MEMATTR_REUSED[nvdimm ? "nvdimm" : "plain"][virtioMemCount(spec)];
}

/**
 * Virtio-mem device counts for which the table reuses a freed pool block (measured; the offsets are
 * the kernel's MEMATTR= line): its page relative to build.efi.memattr (before the memory and maxmem shifts) and
 * its offset in that page.
 */
export const EDK2_MEMATTR_REUSED: Record<"plain" | "nvdimm", Partial<Record<number, { page: number; offset: number }>>> = {
  plain: { 0: { page: 0, offset: 0x198 }, 2: { page: -1, offset: 0x518 }, 4: { page: 0, offset: 0x518 } },
  nvdimm: { 0: { page: -2, offset: 0x518 }, 2: { page: -1, offset: 0x518 } },
};
