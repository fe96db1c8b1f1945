/**
 * The virtio-mem driver's rules (drivers/virtio/virtio_mem.c, 6.1) against a
 * QEMU virtio-mem device model, on a small synthetic machine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootKernel } from "../boot.js";
import { checkBlocks, checkIomem, checkNodes, checkZones } from "../invariants.js";
import type { Kernel } from "../kernel.js";
import { renderIomem } from "../resource.js";
import { sysfsWrite } from "../sysfs.js";
import { GiB, MiB } from "../units.js";
import { syntheticBootLayout } from "../../machine/synthetic.js";
import { VirtioMemDevice } from "../../machine/virtio-mem-device.js";
import { VirtioMemDriver } from "./virtio-mem.js";

const BASE = 4 * GiB;

function setup(opts: { cmdline?: string[]; blockSize?: number; region?: number; requested?: number } = {}) {
  const spec = { type: "synthetic" as const, memory: GiB, maxmem: 9 * GiB, cmdline: opts.cmdline ?? [] };
  const k = bootKernel(syntheticBootLayout(spec), { cmdline: spec.cmdline });
  const dev = new VirtioMemDevice({ id: "vm0", addr: BASE, regionSize: opts.region ?? GiB, blockSize: opts.blockSize ?? 2 * MiB, requestedSize: opts.requested ?? 0, node: 0 });
  const drv = new VirtioMemDriver(k, dev, "virtio0");
  dev.onConfigChanged = () => drv.configChangedCb();
  assert.equal(drv.probe(), null);
  drv.runPendingWork();
  return { k, dev, drv };
}

function resize(k: Kernel, dev: VirtioMemDevice, drv: VirtioMemDriver, size: number): { log: string[]; uev: string[] } {
  const mark = { log: k.log.length, uev: k.uevents.length };
  const r = dev.setRequestedSize(size);
  assert.ok("return" in r);
  drv.runPendingWork();
  return {
    log: k.log.slice(mark.log).map((l) => `<${l.level}>${l.text}`),
    uev: k.uevents.slice(mark.uev).map((u) => `${u.action} ${u.devpath.split("/").pop()}`),
  };
}

function sound(k: Kernel): void {
  assert.deepEqual([...checkIomem(k), ...checkBlocks(k), ...checkZones(k), ...checkNodes(k)], []);
}

function managed(k: Kernel): number {
  return k.totalManagedPages();
}

test("probe: sub-block mode with 2 MiB device blocks, parent resource and dynamic group", () => {
  const { k, drv } = setup();
  assert.equal(drv.inSbm, true);
  assert.equal(drv.sbm.sbSize, 2 * MiB);
  assert.equal(drv.sbm.sbsPerMb, 64);
  assert.ok(renderIomem(k.iomem).includes("100000000-13fffffff : virtio0"));
  const g = drv.group!;
  assert.equal(g.kind, "dynamic");
  assert.equal(g.pages, (128 * MiB) / 4096);
  const lines = k.log.map((l) => l.text);
  assert.deepEqual(lines.slice(-10), [
    "virtio_mem virtio0: start address: 0x100000000",
    "virtio_mem virtio0: region size: 0x40000000",
    "virtio_mem virtio0: device block size: 0x200000",
    "virtio_mem virtio0: nid: 0",
    "virtio_mem virtio0: memory block size: 0x8000000",
    "virtio_mem virtio0: subblock size: 0x200000",
    "virtio_mem virtio0: plugged size: 0x0",
    "virtio_mem virtio0: requested size: 0x0",
  ].slice(-10));
});

test("probe: big-block mode when the device block is at least a memory block", () => {
  const { k, drv } = setup({ blockSize: 256 * MiB });
  assert.equal(drv.inSbm, false);
  assert.equal(drv.bbm.bbSize, 256 * MiB);
  assert.ok(k.log.some((l) => l.text === "virtio_mem virtio0: big block size: 0x10000000"));
});

test("plug: whole blocks lowest first, a partial block gets only its plugged sub-blocks in MemTotal", () => {
  const { k, dev, drv } = setup({ cmdline: ["memhp_default_state=online_movable"] });
  const m0 = managed(k);
  const r = resize(k, dev, drv, 300 * MiB);
  assert.deepEqual(r.uev, ["add memory32", "online memory32", "add memory33", "online memory33", "add memory34", "online memory34"]);
  assert.ok(r.log.includes("<7>virtio_mem virtio0: plugging memory: 0x110000000 - 0x112bfffff"));
  assert.equal(dev.size, 300 * MiB);
  assert.equal(managed(k) - m0, (300 * MiB) / 4096);
  assert.ok(renderIomem(k.iomem).includes("  100000000-117ffffff : System RAM (virtio_mem)"));
  // Present pages count whole blocks.
  assert.equal(k.node(0).zones[3].present, 3 * 32768);
  sound(k);
});

test("unplug: partial blocks first, sub-blocks highest first, emptied blocks offlined and removed", () => {
  const { k, dev, drv } = setup({ cmdline: ["memhp_default_state=online_movable"] });
  const m0 = managed(k);
  resize(k, dev, drv, 300 * MiB);
  const r = resize(k, dev, drv, 64 * MiB);
  assert.deepEqual(r.uev, ["offline memory34", "remove memory34", "offline memory33", "remove memory33"]);
  const unplugs = r.log.filter((l) => l.includes("unplugging memory"));
  assert.equal(unplugs[0], "<7>virtio_mem virtio0: unplugging memory: 0x112a00000 - 0x112bfffff");
  assert.ok(r.log.includes("<7>virtio_mem virtio0: unplugging memory: 0x108000000 - 0x10fffffff"));
  assert.equal(unplugs[unplugs.length - 1], "<7>virtio_mem virtio0: unplugging memory: 0x104000000 - 0x1041fffff");
  assert.equal(managed(k) - m0, (64 * MiB) / 4096);
  assert.equal(drv.sbm.pluggedSubBlocks(32), 32);
  resize(k, dev, drv, 0);
  assert.equal(managed(k), m0);
  assert.deepEqual(renderIomem(k.iomem).filter((l) => l.includes("virtio")), ["100000000-13fffffff : virtio0"]);
  sound(k);
});

test("offline blocks: plugged without onlining; unplug removes them without offlining; onlining onlines only plugged pages", () => {
  const { k, dev, drv } = setup();
  const m0 = managed(k);
  let r = resize(k, dev, drv, 192 * MiB);
  assert.deepEqual(r.uev, ["add memory32", "add memory33"]);
  assert.equal(managed(k), m0);
  assert.ok(sysfsWrite(k, "/sys/devices/system/memory/memory33/state", "online_movable\n").ok);
  drv.runPendingWork();
  assert.equal(managed(k) - m0, (64 * MiB) / 4096);
  r = resize(k, dev, drv, 96 * MiB);
  // Offline blocks go first: memory32 (full, offline) loses its top 96 MiB in one request.
  assert.deepEqual(r.log.filter((l) => l.includes("unplugging")), ["<7>virtio_mem virtio0: unplugging memory: 0x102000000 - 0x107ffffff"]);
  assert.deepEqual(r.uev, []);
  r = resize(k, dev, drv, 64 * MiB);
  assert.deepEqual(r.uev, ["remove memory32"]);
  assert.ok(r.log.includes("<7>virtio_mem virtio0: removing memory: 0x100000000 - 0x107ffffff"));
  sound(k);
});

test("the offline threshold (1 GiB) stops adding offline memory; onlining lets the driver continue", () => {
  const { k, dev, drv } = setup({ region: 2 * GiB });
  resize(k, dev, drv, 1280 * MiB);
  assert.equal(dev.size, GiB);
  assert.ok(sysfsWrite(k, "/sys/devices/system/memory/memory32/state", "online_movable\n").ok);
  assert.ok(sysfsWrite(k, "/sys/devices/system/memory/memory33/state", "online_movable\n").ok);
  assert.ok(sysfsWrite(k, "/sys/devices/system/memory/memory34/state", "online_movable\n").ok);
  assert.ok(sysfsWrite(k, "/sys/devices/system/memory/memory35/state", "online_movable\n").ok);
  drv.runPendingWork();
  assert.equal(dev.size, 1280 * MiB);
});

test("big-block mode: plugs and adds big blocks, unplugs by offline_and_remove then unplug", () => {
  const { k, dev, drv } = setup({ blockSize: 256 * MiB, cmdline: ["memhp_default_state=online_movable"] });
  const m0 = managed(k);
  let r = resize(k, dev, drv, 512 * MiB);
  assert.deepEqual(r.uev.slice(0, 4), ["add memory32", "add memory33", "online memory32", "online memory33"]);
  assert.equal(managed(k) - m0, (512 * MiB) / 4096);
  r = resize(k, dev, drv, 256 * MiB);
  assert.deepEqual(
    r.log.filter((l) => l.includes("virtio_mem")).slice(2),
    ["<7>virtio_mem virtio0: offlining and removing memory: 0x110000000 - 0x11fffffff", "<7>virtio_mem virtio0: unplugging memory: 0x110000000 - 0x11fffffff"],
  );
  assert.deepEqual(r.uev, ["offline memory34", "offline memory35", "remove memory34", "remove memory35"]);
  assert.equal(managed(k) - m0, (256 * MiB) / 4096);
  sound(k);
});

test("QEMU: requested-size must be a multiple of the block size and fit the backend", () => {
  const { dev } = setup();
  assert.deepEqual(dev.setRequestedSize(3 * MiB), { error: { class: "GenericError", desc: "'requested-size' has to be multiples of 'block-size' (0x200000)" } });
  assert.deepEqual(dev.setRequestedSize(2 * GiB), { error: { class: "GenericError", desc: "'requested-size' cannot exceed the memory backend size(0x40000000)" } });
});

test("virtio_mem.* on the command line sets the module's parameters; a value that does not parse fails the load", async () => {
  const { virtioMemParamsFromCmdline: parse, DEFAULT_VIRTIO_MEM_PARAMS } = await import("./virtio-mem.js");
  const all = ["unplug_online", "force_bbm", "bbm_block_size", "bbm_safe_unplug"];
  const virtioMemParamsFromCmdline = (cmdline: string[]) => parse(cmdline, all);
  assert.deepEqual(virtioMemParamsFromCmdline(["quiet"]), { params: DEFAULT_VIRTIO_MEM_PARAMS, log: [] });
  const p = virtioMemParamsFromCmdline(["virtio_mem.force_bbm=1", "virtio_mem.unplug_online=off", "virtio_mem.bbm_block_size=0x10000000", "virtio_mem.bbm_safe_unplug=n"]);
  assert.deepEqual(p, { params: { forceBbm: true, unplugOnline: false, bbmBlockSize: 0x10000000, bbmSafeUnplug: false }, log: [] });
  assert.equal((virtioMemParamsFromCmdline(["virtio_mem.force_bbm"]) as { params: { forceBbm: boolean } }).params.forceBbm, true, "a bool without a value is true");
  assert.equal((virtioMemParamsFromCmdline(["virtio_mem.bbm_block_size=268435456"]) as { params: { bbmBlockSize: number } }).params.bbmBlockSize, 256 * 2 ** 20);
  // 2^64 - 1 is no power of two, though as a double it would round to one: the probe must still warn and keep its size.
  const huge = (virtioMemParamsFromCmdline(["virtio_mem.bbm_block_size=0xffffffffffffffff"]) as { params: { bbmBlockSize: number } }).params.bbmBlockSize;
  assert.equal(huge, Number.MAX_SAFE_INTEGER, "kept as a number that is no power of two");
  assert.equal((virtioMemParamsFromCmdline(["virtio_mem.bbm_block_size=0x8000000000000000"]) as { params: { bbmBlockSize: number } }).params.bbmBlockSize, 2 ** 63);
  // a64-probe58-uefi-2g-vm-2m-bbm-256m: no suffixes for an unsigned long.
  assert.deepEqual(virtioMemParamsFromCmdline(["virtio_mem.bbm_block_size=256M"]), { invalid: "virtio_mem: `256M' invalid for parameter `bbm_block_size'" });
  assert.deepEqual(virtioMemParamsFromCmdline(["virtio_mem.force_bbm=maybe"]), { invalid: "virtio_mem: `maybe' invalid for parameter `force_bbm'" });
  assert.deepEqual(virtioMemParamsFromCmdline(["virtio_mem.nosuch=1"]), { params: DEFAULT_VIRTIO_MEM_PARAMS, log: [{ level: 4, text: "virtio_mem: unknown parameter 'nosuch' ignored" }] });
});

test("a parameter the version's module does not have is logged and ignored, whatever its value (6.12 has no bbm_safe_unplug, 5.10 no big blocks)", async () => {
  const { virtioMemParamsFromCmdline, DEFAULT_VIRTIO_MEM_PARAMS } = await import("./virtio-mem.js");
  const { resolveRules } = await import("../profile.js");
  const unknown = (name: string) => ({ level: 4, text: `virtio_mem: unknown parameter '${name}' ignored` });
  const known612 = resolveRules("6.12").virtioMemModuleParams;
  assert.deepEqual(virtioMemParamsFromCmdline(["virtio_mem.bbm_safe_unplug=0"], known612), { params: DEFAULT_VIRTIO_MEM_PARAMS, log: [unknown("bbm_safe_unplug")] });
  assert.deepEqual(virtioMemParamsFromCmdline(["virtio_mem.bbm_safe_unplug=maybe"], known612), { params: DEFAULT_VIRTIO_MEM_PARAMS, log: [unknown("bbm_safe_unplug")] }, "not parsed, so no failed load");
  assert.equal((virtioMemParamsFromCmdline(["virtio_mem.bbm_safe_unplug=0"], resolveRules("6.1").virtioMemModuleParams) as { params: { bbmSafeUnplug: boolean } }).params.bbmSafeUnplug, false);
  const known510 = resolveRules("5.10").virtioMemModuleParams;
  assert.deepEqual(virtioMemParamsFromCmdline(["virtio_mem.force_bbm=1", "virtio_mem.unplug_online=0"], known510), { params: { ...DEFAULT_VIRTIO_MEM_PARAMS, unplugOnline: false }, log: [unknown("force_bbm")] });
});

test("isPowerOf2(): exact, also past 2^53 (log2 of 2^53 - 1 rounds to 53)", async () => {
  const { isPowerOf2 } = await import("./virtio-mem.js");
  assert.equal(isPowerOf2(2 ** 27), true);
  assert.equal(isPowerOf2(2 ** 63), true);
  assert.equal(isPowerOf2(Number.MAX_SAFE_INTEGER), false);
  assert.equal(isPowerOf2(3 * 2 ** 20), false);
  assert.equal(isPowerOf2(0), false);
});
