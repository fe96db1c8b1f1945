import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../scenario/load.js";
import type { InputError } from "../errors.js";
import { GiB, MiB } from "../kernel/units.js";
import { virtMap } from "./virt.js";
import { virtBootLayout } from "./virt.js";
import { arm64BootRam } from "./arm64-boot.js";
import { cmaCmdline } from "../kernel/dma-contiguous.js";
import { bootGiganticPages } from "../kernel/hugetlb.js";
import { swiotlbCmdline } from "../kernel/swiotlb.js";
import { Memblock, nrKernelPagesByZones } from "./arm64-memblock.js";
import { largeSystemHashBytes } from "../kernel/large-system-hash.js";

test("virt: the device-memory region starts at the next GiB above RAM and holds maxmem - memory + 1 GiB per slot", () => {
  const m = virtMap({ type: "virt", memory: 1536 * MiB, maxmem: 8 * GiB, slots: 4, cmdline: [] });
  assert.equal(m.ramTop, 0xa0000000);
  assert.deepEqual(m.deviceMemory, { base: 0xc0000000, size: 8 * GiB - 1536 * MiB + 4 * GiB });
  assert.equal(virtMap({ type: "virt", memory: GiB, cmdline: [] }).deviceMemory, null);
});

test("virt: UEFI boot counts edk2's flash as memory (section 0); a device-tree boot does not", () => {
  const uefi = virtBootLayout({ type: "virt", memory: GiB, cmdline: [] });
  assert.equal(uefi.memblock[0].start, 0x04000000);
  assert.equal(uefi.e820.length, 0, "no firmware memmap");
  const dt = virtBootLayout({ type: "virt", memory: GiB, acpi: false, cmdline: [] });
  assert.equal(dt.memblock[0].start, 0x40000000);
  assert.ok(dt.iomem.some((r) => r.name === "pl011@9000000"));
  assert.ok(uefi.iomem.some((r) => r.name === "ARMH0011:00"));
});

test("memblock top-down: the highest aligned fit below the limit, skipping nomap and reserved ranges", () => {
  const mb = new Memblock();
  mb.addMemory(0, 96 * MiB);
  mb.addMemory(96 * MiB, 100 * MiB, true);
  mb.reserve(90 * MiB, 95 * MiB);
  assert.equal(mb.findTopDown(MiB, MiB, 0, Number.MAX_SAFE_INTEGER), 95 * MiB);
  assert.equal(mb.findTopDown(2 * MiB, MiB, 0, Number.MAX_SAFE_INTEGER), 88 * MiB);
  assert.equal(mb.findTopDown(2 * MiB, 4 * MiB, 0, 50 * MiB), 48 * MiB);
  assert.equal(mb.findTopDown(200 * MiB, 4096, 0, Number.MAX_SAFE_INTEGER), null);
});

test("hash tables are sized from nr_kernel_pages (1 GiB UEFI guest: 2 MiB dentry, 1 MiB inode)", () => {
  const nk = nrKernelPagesByZones([{ spanned: 507904, present: 278528 }], 4096, 64);
  assert.equal(nk, 274176);
  assert.equal(largeSystemHashBytes(nk, 4096, 13), 2 * MiB);
  assert.equal(largeSystemHashBytes(nk, 4096, 14), MiB);
});

function loadError(text: string): string {
  try {
    parseScenario(text, "s.json");
  } catch (e) {
    return (e as InputError).format();
  }
  return "(no error)";
}

test("bad virt input is located: a DIMM outside the device-memory region, a page size the version is not built with", () => {
  const dimm = loadError('{"machine":{"type":"virt","memory":"1G","maxmem":"8G","slots":4},"steps":[{"op":"plug-dimm","id":"d1","size":"1G","addr":"0x40000000"}]}');
  assert.match(dimm, /steps\[0\]\.addr: .*outside the virt machine's device-memory region \[0x80000000, 0x340000000\)/);
  assert.match(loadError('{"machine":{"type":"virt","arch":"arm64-16k","kernel":"6.1"}}'), /s\.json:1:34: machine\.arch: no arm64 build of Linux 6\.1 with 16K pages is modelled \(Debian builds 16K pages for 6\.12, 7\.2;/);
  assert.match(loadError('{"machine":{"type":"virt","arch":"arm64-64k","kernel":"6.12"}}'), /machine\.arch: no arm64 build of Linux 6\.12 with 64K pages .*no Debian arm64 kernel has 64K pages.*CONFIG_ARM64_64K_PAGES: y/);
  assert.match(loadError('{"machine":{"type":"virt","arch":"x86_64"}}'), /machine\.arch: a virt machine runs an arm64 kernel/);
  assert.match(loadError('{"machine":{"type":"pc","acpi":false}}'), /machine\.acpi: acpi is a virt \(arm64\) machine option/);
  assert.match(loadError('{"machine":{"type":"virt","acpi":false,"maxmem":"4G","slots":2,"nvdimms":[{"id":"n","size":"1G"}]}}'), /machine\.nvdimms: NVDIMMs on virt need ACPI/);
  assert.match(loadError('{"machine":{"type":"virt","maxmem":"4G","slots":2,"virtio_mem":[{"id":"v","size":"1G","addr":"0x40000000"}]}}'), /machine\.virtio_mem\[0\]\.addr: .*outside/);
});

test("a scenario cannot ask for a shell step (only a trace carries one)", () => {
  assert.match(loadError('{"machine":{"type":"virt"},"steps":[{"op":"shell","cmd":"true"}]}'), /steps\[0\]\.op: op "shell" is an oracle escape hatch/);
});

test("explain on the arm64 DIMM case: QEMU took the DIMM, the kernel added nothing because of its build config", async () => {
  const { bootSystem, applyStep } = await import("../scenario/runner.js");
  const { explainRange } = await import("../analysis/explain.js");
  const sc = parseScenario('{"machine":{"type":"virt","memory":"1G","maxmem":"8G","slots":4},"steps":[{"op":"plug-dimm","id":"d1","size":"1G","addr":"0x80000000"}]}', "s.json");
  const sys = bootSystem(sc.machine, { boot: "derive" });
  const r = applyStep(sys, sc.steps[0].raw) as { device_add: unknown; events: { data: { info: { status_name: string } } }[] };
  assert.deepEqual(r.device_add, { return: {} });
  assert.equal(r.events[0].data.info.status_name, "SUCCESS");
  assert.equal(sys.kernel.blocks.has(16), false);
  const v = explainRange(sys.kernel, 0x80000000, 128 * MiB).verdicts;
  const add = v.find((x) => x.action === "hot-add")!;
  assert.equal(add.ok, false);
  assert.match(add.reason, /CONFIG_ACPI_HOTPLUG_MEMORY/);
  assert.match(add.rule.kernel, /acpi_memhotplug/);
  assert.equal(v.find((x) => x.action === "map-device-memory")!.ok, false, "6.1 arm64 has no ZONE_DEVICE");
});

test("a virt kernel built with CONFIG_ACPI_HOTPLUG_MEMORY hot-adds the DIMM (machine.kernel.config)", async () => {
  const { bootSystem, applyStep } = await import("../scenario/runner.js");
  const sc = parseScenario(
    '{"machine":{"type":"virt","memory":"1G","maxmem":"8G","slots":4,"kernel":{"config":{"CONFIG_ACPI_HOTPLUG_MEMORY":"y"}}},"steps":[{"op":"plug-dimm","id":"d1","size":"256M","addr":"0x80000000"},{"op":"write","path":"/sys/devices/system/memory/memory16/state","value":"online_movable"}]}',
    "s.json",
  );
  const sys = bootSystem(sc.machine, { boot: "derive" });
  applyStep(sys, sc.steps[0].raw);
  assert.ok(sys.kernel.blocks.has(16) && sys.kernel.blocks.has(17));
  assert.deepEqual(applyStep(sys, sc.steps[1].raw), { path: "/sys/devices/system/memory/memory16/state", value: "online_movable", ok: true });
});

test("virt boots memhp has no layout for, or QEMU refuses, are located errors, never crashes", () => {
  assert.match(loadError('{"machine":{"type":"virt","memory":"128M"}}'), /machine\.memory: memhp models edk2 \(UEFI\) boots of virt from 256 MiB/);
  assert.match(loadError('{"machine":{"type":"virt","memory":"32M","acpi":false}}'), /machine\.memory: QEMU refuses to start: .*not enough space after kernel to load initrd/);
  // Under UEFI acpi=off leaves Linux without a description of the machine (the recorder's boot never got past the EFI stub).
  assert.match(loadError('{"machine":{"type":"virt","memory":"2G","cmdline":["acpi=off"]}}'), /machine\.cmdline: the arm64 kernel cannot boot with acpi=off under UEFI/);
  // Below 256 MiB QEMU loads the initrd halfway into RAM: a 200 MiB device-tree guest boots.
  const spec = { type: "virt" as const, memory: 200 * MiB, acpi: false, cmdline: [] };
  const ram = arm64BootRam(spec, virtMap(spec), false, "6.1");
  assert.ok(ram.reserved.some((r) => r.start === 0x40000000 + 100 * MiB), "the initrd at RAM + 100 MiB");
});

test("virt with a device tree takes QEMU's NUMA nodes as they are; under ACPI Linux runs one node", () => {
  const numa = [
    { nodeid: 0, cpus: "0", mem: 512 * MiB },
    { nodeid: 1, cpus: "1", mem: 512 * MiB },
  ];
  const dt = virtBootLayout({ type: "virt", memory: GiB, maxmem: 4 * GiB, slots: 1, smp: 2, acpi: false, numa, cmdline: [] });
  assert.deepEqual(dt.possibleNodes, [0, 1]);
  assert.deepEqual(dt.cpusByNode, { 0: [0], 1: [1] });
  assert.deepEqual(dt.memblock.map((r) => [r.start, r.end, r.nid]), [
    [0x40000000, 0x60000000, 0],
    [0x60000000, 0x80000000, 1],
  ]);
  // QEMU adds each /memory node before the earlier ones: numa_meminfo's first block is the last node's.
  assert.deepEqual(dt.numaFirmware, { kind: "devicetree", meminfo: [{ nid: 1, start: 0x60000000, end: 0x80000000 }, { nid: 0, start: 0x40000000, end: 0x60000000 }] });
  const uefi = virtBootLayout({ type: "virt", memory: GiB, maxmem: 4 * GiB, slots: 1, smp: 2, numa, cmdline: [] });
  assert.deepEqual(uefi.possibleNodes, [0]);
  // The SRAT was parsed before the NUMA init gave up and faked one node over boot memory: its ranges outside memblock
  // keep the nodes the parse gave them (processors first, then memory, NVDIMMs, the device-memory range on the last
  // node), where phys_to_target_node() finds an NVDIMM's node (a64-probe37-16k-uefi-numa2-nv-node1: "changing target
  // node from -1 to 1"; kmem then fails with -EINVAL: node 1 is not possible).
  const nv = { id: "nv1", size: 512 * MiB, addr: 0xc0000000, node: 1, label_size: 128 * 1024 };
  const withNv = virtBootLayout({ type: "virt", memory: GiB, maxmem: 4 * GiB, slots: 2, smp: 2, numa, nvdimms: [nv], cmdline: [] });
  assert.deepEqual(withNv.numaFirmware, {
    kind: "acpi-faked",
    meminfo: [{ start: 0x04000000, end: 0x80000000, nid: 0 }],
    reserved: [
      // The NVDIMM's SPA range (its label area is carved from the backend), then QEMU's device-memory region.
      { start: 0xc0000000, end: 0xe0000000 - 128 * 1024, nid: 1 },
      { start: 0x80000000, end: 0x80000000 + 5 * GiB, nid: 1 },
    ],
  });
  // A CPU-less domain comes after the ones with CPUs: an NVDIMM on domain 0 belongs to node 1.
  const cpuless = virtBootLayout({ type: "virt", memory: GiB, maxmem: 4 * GiB, slots: 2, smp: 2, cmdline: [], nvdimms: [{ ...nv, node: 0 }], numa: [{ nodeid: 0, mem: 512 * MiB }, { nodeid: 1, cpus: "0-1", mem: 512 * MiB }] });
  assert.equal(cpuless.numaFirmware?.kind === "acpi-faked" && cpuless.numaFirmware.reserved[0].nid, 1);
});

test("mem= on arm64: memory past the limit (counted from the bottom, edk2's flash included) goes, nomap ranges stay, the kernel image and initrd come back as System RAM", () => {
  const layout = virtBootLayout({ type: "virt", memory: GiB, maxmem: 4 * GiB, slots: 1, cmdline: ["mem=768M"] });
  const ram = layout.iomem.filter((r) => r.name === "System RAM").map((r) => [r.start, r.end]);
  // 64 MiB of flash + 704 MiB of RAM: the cut is at 0x6c000000.
  assert.deepEqual(ram[0], [0x40000000, 0x6bffffff]);
  assert.ok(ram.some(([s]) => s === 0x76400000), "the 6.1 image from _text");
  assert.ok(layout.iomem.some((r) => r.name === "reserved" && r.start === 0x7fc00000), "edk2's nomap range above the cut stays");
});

test("numa=off: a device-tree boot runs the dummy node over both /memory nodes (one memblock region, one System RAM), as a64-probe46-dts-numa2-numa-off-vm recorded", () => {
  const numa = [
    { nodeid: 0, cpus: "0", mem: GiB },
    { nodeid: 1, cpus: "1", mem: GiB },
  ];
  const off = virtBootLayout({ type: "virt", memory: 2 * GiB, maxmem: 8 * GiB, slots: 1, smp: 2, acpi: false, numa, cmdline: ["numa=off"] });
  assert.deepEqual(off.possibleNodes, [0]);
  assert.deepEqual(off.cpusByNode, { 0: [0, 1] });
  assert.deepEqual(off.memblock.map((r) => [r.start, r.end, r.nid]), [[0x40000000, 0xc0000000, 0]]);
  assert.ok(off.iomem.some((r) => r.start === 0x40000000 && r.end === 0xbfffffff && r.name === "System RAM"));
  assert.deepEqual(off.numaFirmware, { kind: "devicetree", meminfo: [{ nid: 0, start: 0x40000000, end: 0xc0000000 }] });
  // Under UEFI the SRAT is not parsed: no reserved ranges with their nodes.
  const uefi = virtBootLayout({ type: "virt", memory: 2 * GiB, maxmem: 8 * GiB, slots: 1, smp: 2, numa, cmdline: ["numa=off"] });
  assert.equal(uefi.numaFirmware?.kind === "acpi-faked" && uefi.numaFirmware.reserved.length, 0);
});

test("cma=: size, @base (a fixed place) and -limit as early_cma() reads them; the last one wins", () => {
  assert.equal(cmaCmdline("console=ttyAMA0"), null);
  assert.deepEqual(cmaCmdline("cma=0"), { size: 0, base: 0, limit: 0 });
  assert.deepEqual(cmaCmdline("cma=128M"), { size: 128 * MiB, base: 0, limit: 0 });
  assert.deepEqual(cmaCmdline("cma=256M@0x80000000"), { size: 256 * MiB, base: 0x80000000, limit: 0x90000000 });
  assert.deepEqual(cmaCmdline("cma=64M@2G-3G"), { size: 64 * MiB, base: 2 * GiB, limit: 3 * GiB });
  assert.deepEqual(cmaCmdline("cma=64M cma=32M"), { size: 32 * MiB, base: 0, limit: 0 });
  // memparse() reads no digits as 0 (a64-probe66-uefi-2g-cma-abc: "0K cma-reserved" on all three kernels).
  assert.deepEqual(cmaCmdline("cma=abc"), { size: 0, base: 0, limit: 0 });
  // Where the areas go (a64-probe48-*, all three kernels): none with cma=0, a fixed one exactly at its base.
  const at = (cmdline: string[], acpi = true) => virtBootLayout({ type: "virt", memory: 2 * GiB, maxmem: 8 * GiB, slots: 1, acpi, cmdline }).cma;
  assert.deepEqual(at(["cma=0"]), []);
  assert.deepEqual(at(["cma=abc"]), []);
  assert.deepEqual(at(["cma=256M@0x80000000"], false), [{ start: 0x80000000, end: 0x90000000 }]);
  assert.equal(at(["cma=128M"])![0].end - at(["cma=128M"])![0].start, 128 * MiB);
});

test("swiotlb= and hugepagesz=/hugepages= as the kernel reads them (a64-probe49-*)", () => {
  assert.deepEqual(swiotlbCmdline("quiet"), { slabs: null, areas: null, force: false, noforce: false });
  assert.deepEqual(swiotlbCmdline("swiotlb=8192"), { slabs: 8192, areas: null, force: false, noforce: false });
  assert.deepEqual(swiotlbCmdline("swiotlb=1000,4,force"), { slabs: 1024, areas: 4, force: true, noforce: false });
  assert.deepEqual(swiotlbCmdline("swiotlb=noforce"), { slabs: null, areas: null, force: false, noforce: true });
  assert.deepEqual(bootGiganticPages("hugepagesz=1G hugepages=2"), [{ size: GiB, count: 2 }]);
  assert.deepEqual(bootGiganticPages("hugepages=64"), [], "2 MiB pages come from the buddy allocator later");
  assert.deepEqual(bootGiganticPages("hugepagesz=2M hugepages=8 hugepagesz=1G hugepages=1"), [{ size: GiB, count: 1 }]);
  // Where the 1 GiB page goes on a 4 GiB UEFI guest: the highest GiB nothing holds yet (all three kernels).
  const l = virtBootLayout({ type: "virt", memory: 4 * GiB, maxmem: 16 * GiB, slots: 4, cmdline: ["hugepagesz=1G", "hugepages=1"] }, "6.12");
  const reserved = l.iomem.flatMap((r) => r.children ?? []).filter((r) => r.name === "reserved" && r.start >= 0x80000000 && r.end <= 0xbfffffff);
  assert.deepEqual(reserved.map((r) => [r.start, r.end]), [[0x80000000, 0x80000fff], [0x80001000, 0xbfffffff]], "6.12: the page's tail is a reservation of its own");
});

test("hugepages= asking for more gigantic pages than memory holds: the boot takes what fits and goes on, in bounded time and memory", () => {
  assert.deepEqual(bootGiganticPages("hugepagesz=1G hugepages=1000000000000"), [{ size: GiB, count: 1000000000000 }]);
  const t = Date.now();
  const l = virtBootLayout({ type: "virt", memory: 4 * GiB, maxmem: 16 * GiB, slots: 4, cmdline: ["hugepagesz=1G", "hugepages=1000000000000"] }, "6.1");
  assert.ok(Date.now() - t < 5000);
  // Two whole free GiBs on a 4 GiB UEFI guest, one reservation on 6.1 ("40000000-bfffffff : reserved", as
  // a64-probe51-uefi-4g-hugepages-1g-x2 recorded two pages there).
  const giant = l.iomem.flatMap((r) => r.children ?? []).filter((r) => r.name === "reserved" && r.start === 0x40000000);
  assert.deepEqual(giant.map((r) => [r.start, r.end]), [[0x40000000, 0xbfffffff]]);
});
