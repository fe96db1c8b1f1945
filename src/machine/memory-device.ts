/**
 * QEMU 7.2's memory-device rules (hw/mem/memory-device.c, hw/mem/pc-dimm.c,
 * the pc-dimm part of hw/i386/pc.c): slot assignment, address assignment in
 * the device-memory region, and the QMP error texts of `device_add pc-dimm`.
 */
import { alignUp, hex } from "../kernel/units.js";
import type { BootLayout, DimmPlacement, MachineSpec, PluggedMemoryDevice } from "./types.js";

/** QEMU_VMALLOC_ALIGN on an x86_64 Linux host: the alignment of a memory-backend-ram region. */
export const RAM_BACKEND_ALIGN = 2 * 1024 * 1024;
/** A memory-backend-file on a regular file: the host page size. */
export const FILE_BACKEND_ALIGN = 4096;

/** A memory device as the address allocator sees it: its region in guest physical space. */
export interface MdRegion {
  id: string;
  addr: number;
  size: number;
}

export interface DeviceMemoryState {
  region: { base: number; size: number } | null;
  /** maxmem - ram: what all memory devices together may use. */
  budget: number;
  devices: MdRegion[];
}

export type AddrResult = { ok: true; addr: number } | { ok: false; desc: string };

/**
 * memory_device_pre_plug() + memory_device_get_free_addr(): the address for
 * a device of `size` bytes with the given alignment, at `hint` or first fit
 * from the start of the region (devices visited in address order).
 */
export function memoryDeviceFreeAddr(st: DeviceMemoryState, size: number, align: number, hint?: number): AddrResult {
  const fail = (desc: string): AddrResult => ({ ok: false, desc });
  if (!st.region) return fail("memory devices (e.g. for memory hotplug) are not supported by the machine");
  if (st.region.size === 0) return fail("memory devices (e.g. for memory hotplug) are not enabled, please specify the maxmem option");
  const base = st.region.base;
  const end = base + st.region.size;
  // A base not aligned to `align` only draws a warning in 7.2.
  const used = st.devices.reduce((a, d) => a + d.size, 0);
  if (used + size > st.budget) {
    return fail(`not enough space, currently 0x${hex(used)} in use of total space for memory devices 0x${hex(st.budget)}`);
  }
  if (hint !== undefined && hint % align !== 0) return fail(`address must be aligned to 0x${hex(align)} bytes`);
  if (size % align !== 0) return fail(`backend memory size must be multiple of 0x${hex(align)}`);
  let addr: number;
  if (hint !== undefined) {
    if (hint < base || hint + size > end) {
      return fail(`can't add memory device [0x${hex(hint)}:0x${hex(size)}], usable range for memory devices [0x${hex(base)}:0x${hex(st.region.size)}]`);
    }
    addr = hint;
  } else {
    addr = alignUp(base, align);
  }
  for (const d of [...st.devices].sort((a, b) => a.addr - b.addr)) {
    if (d.addr < addr + size && addr < d.addr + d.size) {
      if (hint !== undefined) return fail(`address range conflicts with memory device id='${d.id}'`);
      addr = alignUp(d.addr + d.size, align);
    } else if (d.addr > addr + size - 1) {
      break;
    }
  }
  if (addr < base || addr + size > end) {
    return fail("could not find position in guest address space for memory device - memory fragmented due to alignments");
  }
  return { ok: true, addr };
}

export type SlotResult = { ok: true; slot: number } | { ok: false; desc: string };

/** pc_dimm_pre_plug()'s slot checks and pc_dimm_get_free_slot(). */
export function dimmSlot(ramSlots: number, busy: Set<number>, want?: number): SlotResult {
  if (want === -1) want = undefined; // PC_DIMM_UNASSIGNED_SLOT
  if (want !== undefined && (want < 0 || want >= ramSlots)) {
    // ram_slots - 1 is printed as an unsigned 64-bit number.
    const max = ramSlots > 0 ? String(ramSlots - 1) : "18446744073709551615";
    return { ok: false, desc: `invalid slot number ${want}, valid range is [0-${max}]` };
  }
  if (ramSlots <= 0) return { ok: false, desc: "no slots where allocated, please specify the 'slots' option" };
  if (want !== undefined) return busy.has(want) ? { ok: false, desc: `slot ${want} is busy` } : { ok: true, slot: want };
  for (let s = 0; s < ramSlots; s++) if (!busy.has(s)) return { ok: true, slot: s };
  return { ok: false, desc: "no free slots available" };
}

/** -m slots= as the recorder passes it: 1 when maxmem is given without slots. */
export function ramSlotsOf(spec: MachineSpec): number {
  if (spec.slots !== undefined) return spec.slots;
  return spec.maxmem && spec.maxmem > 0 ? 1 : 0;
}

/** Number of QEMU NUMA nodes: explicit -numa nodes, or the implicit node 0 QEMU adds for memory hotplug. */
export function qemuNumaNodes(spec: MachineSpec): number {
  if (spec.numa && spec.numa.length) return spec.numa.length;
  if (spec.type === "synthetic") return 1;
  return ramSlotsOf(spec) > 0 || (spec.maxmem ?? 0) > spec.memory ? 1 : 0;
}

/** Every device QEMU has in the device-memory region: the plugged list plus cold-plugged NVDIMMs and virtio-mem devices. */
export function deviceMemoryState(layout: BootLayout, spec: MachineSpec, plugged: PluggedMemoryDevice[]): DeviceMemoryState {
  const devices: MdRegion[] = [];
  const seen = new Set<string>();
  for (const d of plugged) {
    // An NVDIMM occupies its PMEM range only; the label area lives outside guest memory.
    const nv = d.kind === "nvdimm" ? layout.nvdimms.find((n) => n.id === d.id) : undefined;
    devices.push({ id: d.id, addr: d.addr, size: nv ? nv.size : d.size });
    seen.add(d.id);
  }
  for (const nv of layout.nvdimms) if (!seen.has(nv.id)) devices.push({ id: nv.id, addr: nv.start, size: nv.size });
  for (const vm of layout.virtioMem) if (!seen.has(vm.id)) devices.push({ id: vm.id, addr: vm.start, size: vm.size });
  const budget = Math.max(0, (spec.maxmem ?? 0) - spec.memory);
  return { region: layout.deviceMemory, budget, devices };
}

/**
 * QMP `device_add pc-dimm` (memdev a memory-backend-ram of `size` bytes):
 * pre-plug (slot, then address) and realize (node) checks, in QEMU's order.
 */
export function placeDimm(
  layout: BootLayout,
  spec: MachineSpec,
  plugged: PluggedMemoryDevice[],
  req: { id: string; size: number; addr?: number; node?: number; slot?: number },
): DimmPlacement {
  const err = (desc: string): DimmPlacement => ({ ok: false, error: { class: "GenericError", desc } });
  if (plugged.some((d) => d.id === req.id) || layout.nvdimms.some((n) => n.id === req.id) || layout.virtioMem.some((v) => v.id === req.id)) {
    return err(`Duplicate device ID '${req.id}'`);
  }
  const busy = new Set<number>();
  for (const d of plugged) if (d.kind !== "virtio-mem") busy.add(d.slot);
  for (const nv of layout.nvdimms) if (!plugged.some((d) => d.id === nv.id)) busy.add(nv.slot);
  const slot = dimmSlot(ramSlotsOf(spec), busy, req.slot);
  if (!slot.ok) return err(slot.desc);
  const addr = memoryDeviceFreeAddr(deviceMemoryState(layout, spec, plugged), req.size, RAM_BACKEND_ALIGN, req.addr);
  if (!addr.ok) return err(addr.desc);
  const nodes = qemuNumaNodes(spec);
  const node = req.node ?? 0;
  if ((nodes > 0 && node >= nodes) || (nodes === 0 && node !== 0)) {
    return err(`'DIMM property node has value ${node}' which exceeds the number of numa nodes: ${nodes || 1}`);
  }
  const nid = layout.pxmToNode?.[node] ?? node;
  return { ok: true, addr: addr.addr, slot: slot.slot, node: nid };
}
