import { test } from "node:test";
import assert from "node:assert/strict";
import { bootKernel } from "./boot.js";
import { deriveBootLayout } from "../machine/qemu.js";
import type { Kernel } from "./kernel.js";
import { memremapOptions, memremapPages, memunmapPages, pfnStatus, type DevPagemap } from "./memremap.js";
import { ZONE_DEVICE } from "./zone.js";

const MiB = 1 << 20;

/** -m 2G with memmap=64M!0x3c000000: pmem in the upper half of section 7 (boot RAM below it). */
function kernel(): Kernel {
  const spec = { type: "pc" as const, memory: 2048 * MiB, cmdline: ["memmap=64M!0x3c000000"] };
  return bootKernel(deriveBootLayout(spec), { cmdline: spec.cmdline });
}

function pgmap(start: number, end: number, owner = "namespace0.0"): DevPagemap {
  return { type: "FS_DAX", ranges: [{ start, end }], owner, mapped: 0, nid: -1 };
}

const pfn = (a: number) => a / 4096;

test("a pmem range sharing a boot section: sub-sections added, Device zone grows, section tainted", () => {
  const k = kernel();
  const before = k.log.length;
  const r = memremapPages(k, pgmap(0x3c000000, 0x3fffffff), 0);
  assert.deepEqual(r, { ok: true });
  assert.equal(k.log.length, before, "6.1.192 prints nothing (memmap_init_zone_device is pr_debug)");
  const z = k.node(0).zones[ZONE_DEVICE];
  assert.equal(z.startPfn, pfn(0x3c000000));
  assert.equal(z.spanned, pfn(64 * MiB));
  assert.equal(z.present, 0);
  assert.equal(k.sparse.get(7)!.taintZoneDevice, true);
  const dev = pfnStatus(k, pfn(0x3d000000));
  assert.deepEqual([dev.valid, dev.online, dev.zone, dev.owner, dev.tainted], [true, false, "Device", "namespace0.0", true]);
  const ram = pfnStatus(k, pfn(0x3b000000));
  assert.deepEqual([ram.valid, ram.online, ram.zone, ram.owner], [true, true, "DMA32", "memory7"]);
});

test("overlap with a registered pgmap: Conflicting mapping, -ENOMEM; RAM: attempted on ram region, -ENXIO", () => {
  const k = kernel();
  memremapPages(k, pgmap(0x3c000000, 0x3fffffff), 0);
  const r = memremapPages(k, pgmap(0x3e000000, 0x3fffffff, "dax0.0"), 0);
  assert.deepEqual(r, { ok: false, errno: "ENOMEM" });
  assert.equal(k.log[k.log.length - 1].text, "Conflicting mapping in same section");
  const r2 = memremapPages(k, pgmap(0x30000000, 0x31ffffff, "x"), 0);
  assert.deepEqual(r2, { ok: false, errno: "ENXIO" });
  assert.equal(k.log[k.log.length - 1].text, "attempted on ram region 0x30000000-0x31ffffff");
  // WARN_ONCE: a second attempt prints nothing more.
  const n = k.log.length;
  memremapPages(k, pgmap(0x32000000, 0x33ffffff, "y"), 0);
  assert.equal(k.log.length, n);
});

test("sub-section misalignment: Misaligned __add_pages, -EINVAL, nothing mapped", () => {
  const k = kernel();
  const r = memremapPages(k, pgmap(0x3c100000, 0x3fffffff), 0);
  assert.deepEqual(r, { ok: false, errno: "EINVAL" });
  assert.equal(k.log[k.log.length - 1].text, "Misaligned __add_pages start: 0x3c100 end: #3ffff");
  assert.equal(k.pgmaps.length, 0);
  assert.equal(k.node(0).zones[ZONE_DEVICE].spanned, 0);
});

test("unmapping keeps the Device zone span; the pfns lose their memmap; a later map works again", () => {
  const k = kernel();
  const p = pgmap(0x3c000000, 0x3fffffff);
  memremapPages(k, p, 0);
  memunmapPages(k, p);
  const z = k.node(0).zones[ZONE_DEVICE];
  assert.equal(z.spanned, pfn(64 * MiB));
  const s = pfnStatus(k, pfn(0x3d000000));
  assert.deepEqual([s.subsection, s.zone, s.owner], [false, null, null]);
  // pfn_valid stays true: section 7 is an early boot section.
  assert.equal(s.valid, true);
  assert.deepEqual(memremapPages(k, pgmap(0x3e000000, 0x3fffffff, "dax0.0"), 0), { ok: true });
  assert.equal(z.spanned, pfn(64 * MiB), "the span never shrinks, and the smaller range is inside it");
});

test("an altmap range logs the pages from the data offset when the 6.1.0-6.1.17x message is enabled", () => {
  const k = kernel();
  memremapOptions(k).logMemmapInit = true;
  const p = pgmap(0x3c000000, 0x3fffffff, "dax0.0");
  p.altmap = { basePfn: pfn(0x3c000000), reserve: 2, free: (0x200000 - 8192) / 4096 };
  memremapPages(k, p, 0);
  assert.equal(k.log[k.log.length - 1].text, "memmap_init_zone_device initialised 15872 pages in 0ms");
});
