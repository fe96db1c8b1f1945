/**
 * QEMU 7.2 pc-dimm pre-plug rules beyond what the traces exercise: every
 * error text of hw/mem/pc-dimm.c and hw/mem/memory-device.c, first-fit
 * order, slot choice, node default and validity, NVDIMM/virtio-mem accounting.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB, MiB } from "../kernel/units.js";
import { dimmSlot, memoryDeviceFreeAddr } from "./memory-device.js";
import { deriveBootLayout, placeDimm } from "./qemu.js";
import type { MachineSpec, PluggedMemoryDevice } from "./types.js";

const pc = (extra: Partial<MachineSpec> = {}): MachineSpec => ({ type: "pc", memory: 1 * GiB, maxmem: 8 * GiB, slots: 4, cmdline: [], ...extra });
const dimm = (id: string, addr: number, size: number, slot: number): PluggedMemoryDevice => ({ id, kind: "dimm", addr, size, slot });
const err = (desc: string) => ({ ok: false, error: { class: "GenericError", desc } });

test("device memory: 1 GiB per slot on top of maxmem - ram, at the first GiB above RAM", () => {
  assert.deepEqual(deriveBootLayout(pc()).deviceMemory, { base: 4 * GiB, size: 11 * GiB });
  assert.deepEqual(deriveBootLayout(pc({ memory: 6 * GiB, maxmem: 10 * GiB, slots: 2 })).deviceMemory, { base: 7 * GiB, size: 6 * GiB });
  assert.equal(deriveBootLayout(pc({ maxmem: undefined, slots: undefined })).deviceMemory, null);
});

test("placeDimm: first fit from the region base, lowest free slot, node 0", () => {
  const spec = pc();
  const layout = deriveBootLayout(spec);
  assert.deepEqual(placeDimm(layout, spec, [], { id: "d1", size: 256 * MiB }), { ok: true, addr: 4 * GiB, slot: 0, node: 0 });
  const plugged = [dimm("a", 4 * GiB, 256 * MiB, 1), dimm("b", 4 * GiB + 512 * MiB, 256 * MiB, 0)];
  // The gap between a and b takes 256 MiB, not 512 MiB.
  assert.deepEqual(placeDimm(layout, spec, plugged, { id: "d1", size: 256 * MiB }), { ok: true, addr: 4 * GiB + 256 * MiB, slot: 2, node: 0 });
  assert.deepEqual(placeDimm(layout, spec, plugged, { id: "d1", size: 512 * MiB }), { ok: true, addr: 4 * GiB + 768 * MiB, slot: 2, node: 0 });
});

test("placeDimm: the error texts of QEMU 7.2", () => {
  const spec = pc();
  const layout = deriveBootLayout(spec);
  const p = [dimm("d5", 6 * GiB, 1 * GiB, 0)];
  const place = (req: Parameters<typeof placeDimm>[3], plugged = p) => placeDimm(layout, spec, plugged, req);
  assert.deepEqual(place({ id: "x", size: 128 * MiB, addr: 4 * GiB + MiB }), err("address must be aligned to 0x200000 bytes"));
  assert.deepEqual(place({ id: "x", size: 128 * MiB, addr: 6 * GiB + 512 * MiB }), err("address range conflicts with memory device id='d5'"));
  assert.deepEqual(place({ id: "x", size: 3 * MiB }), err("backend memory size must be multiple of 0x200000"));
  assert.deepEqual(place({ id: "x", size: 4096 }), err("backend memory size must be multiple of 0x200000"));
  assert.deepEqual(
    place({ id: "x", size: 128 * MiB, addr: 2 * GiB }),
    err("can't add memory device [0x80000000:0x8000000], usable range for memory devices [0x100000000:0x2c0000000]"),
  );
  assert.deepEqual(
    place({ id: "x", size: 256 * MiB, addr: 15 * GiB - 128 * MiB }),
    err("can't add memory device [0x3b8000000:0x10000000], usable range for memory devices [0x100000000:0x2c0000000]"),
  );
  assert.deepEqual(place({ id: "x", size: 7 * GiB }), err("not enough space, currently 0x40000000 in use of total space for memory devices 0x1c0000000"));
  assert.deepEqual(place({ id: "x", size: 128 * MiB, slot: 4 }), err("invalid slot number 4, valid range is [0-3]"));
  assert.deepEqual(place({ id: "x", size: 128 * MiB, slot: -2 }), err("invalid slot number -2, valid range is [0-3]"));
  assert.deepEqual(place({ id: "x", size: 128 * MiB, slot: -1 }), { ok: true, addr: 4 * GiB, slot: 1, node: 0 }); // -1: unassigned
  assert.deepEqual(place({ id: "x", size: 128 * MiB, slot: 0 }), err("slot 0 is busy"));
  const full = [0, 1, 2, 3].map((s) => dimm(`f${s}`, 4 * GiB + s * GiB, 128 * MiB, s));
  assert.deepEqual(place({ id: "x", size: 128 * MiB }, full), err("no free slots available"));
  assert.deepEqual(place({ id: "x", size: 128 * MiB, node: 1 }), err("'DIMM property node has value 1' which exceeds the number of numa nodes: 1"));
  // Slot errors come before address errors, address errors before the node check.
  assert.deepEqual(place({ id: "x", size: 3 * MiB, slot: 9, node: 3 }), err("invalid slot number 9, valid range is [0-3]"));
  assert.deepEqual(place({ id: "x", size: 3 * MiB, node: 3 }), err("backend memory size must be multiple of 0x200000"));
});

test("placeDimm: no device memory (no maxmem, no slots)", () => {
  const spec = pc({ maxmem: undefined, slots: undefined });
  const layout = deriveBootLayout(spec);
  assert.deepEqual(placeDimm(layout, spec, [], { id: "x", size: 128 * MiB }), err("no slots where allocated, please specify the 'slots' option"));
  assert.deepEqual(placeDimm(layout, spec, [], { id: "x", size: 128 * MiB, slot: 0 }), err("invalid slot number 0, valid range is [0-18446744073709551615]"));
});

test("placeDimm: nodes of a NUMA machine, nodes without NUMA", () => {
  const spec = pc({ smp: 2, numa: [{ nodeid: 0, cpus: "0", mem: 1 * GiB }, { nodeid: 1, cpus: "1" }] });
  const layout = deriveBootLayout(spec);
  assert.deepEqual(placeDimm(layout, spec, [], { id: "x", size: 128 * MiB, node: 1 }), { ok: true, addr: 4 * GiB, slot: 0, node: 1 });
  assert.deepEqual(placeDimm(layout, spec, [], { id: "x", size: 128 * MiB, node: 2 }), err("'DIMM property node has value 2' which exceeds the number of numa nodes: 2"));
});

test("placeDimm: NVDIMMs and virtio-mem devices take address space; NVDIMMs take slots", () => {
  const spec = pc({
    nvdimms: [{ id: "nv1", size: 512 * MiB + 128 * 1024, label_size: 128 * 1024 }],
    virtio_mem: [{ id: "vm0", size: 1 * GiB, block_size: 2 * MiB, requested_size: 0 }],
  });
  const layout = deriveBootLayout(spec);
  assert.deepEqual(layout.nvdimms, [{ id: "nv1", start: 4 * GiB, size: 512 * MiB, labelSize: 128 * 1024, node: 0, slot: 0 }]);
  assert.equal(layout.virtioMem[0].start, 4 * GiB + 512 * MiB);
  // The System model registers the NVDIMM with its backend size; QEMU counts the PMEM region only.
  const plugged: PluggedMemoryDevice[] = [{ id: "nv1", kind: "nvdimm", addr: 4 * GiB, size: 512 * MiB + 128 * 1024, slot: 0 }];
  assert.deepEqual(placeDimm(layout, spec, plugged, { id: "d1", size: 128 * MiB }), { ok: true, addr: 5 * GiB + 512 * MiB, slot: 1, node: 0 });
  assert.deepEqual(
    placeDimm(layout, spec, plugged, { id: "d1", size: 6 * GiB }),
    err("not enough space, currently 0x60000000 in use of total space for memory devices 0x1c0000000"),
  );
  assert.deepEqual(placeDimm(layout, spec, plugged, { id: "d1", size: 128 * MiB, addr: 5 * GiB }), err("address range conflicts with memory device id='vm0'"));
});

test("memoryDeviceFreeAddr: first fit skips devices in address order and honours the alignment", () => {
  const st = { region: { base: 4 * GiB, size: 4 * GiB }, budget: 4 * GiB, devices: [{ id: "b", addr: 4 * GiB + 64 * MiB, size: 2 * MiB }, { id: "a", addr: 4 * GiB, size: 32 * MiB }] };
  assert.deepEqual(memoryDeviceFreeAddr(st, 32 * MiB, 2 * MiB), { ok: true, addr: 4 * GiB + 32 * MiB });
  assert.deepEqual(memoryDeviceFreeAddr(st, 64 * MiB, 2 * MiB), { ok: true, addr: 4 * GiB + 66 * MiB });
  assert.deepEqual(memoryDeviceFreeAddr(st, 128 * MiB, 128 * MiB), { ok: true, addr: 4 * GiB + 128 * MiB });
  assert.deepEqual(memoryDeviceFreeAddr({ ...st, budget: 8 * GiB }, 4 * GiB, 2 * MiB), {
    ok: false,
    desc: "could not find position in guest address space for memory device - memory fragmented due to alignments",
  });
});

test("dimmSlot: pc_dimm_get_free_slot", () => {
  assert.deepEqual(dimmSlot(2, new Set([0])), { ok: true, slot: 1 });
  assert.deepEqual(dimmSlot(2, new Set([0, 1])), { ok: false, desc: "no free slots available" });
  assert.deepEqual(dimmSlot(2, new Set([1]), 1), { ok: false, desc: "slot 1 is busy" });
});
