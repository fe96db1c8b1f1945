import { test } from "node:test";
import assert from "node:assert/strict";
import { ARM64_DEFAULT_CRASH_LOW, parseCrashkernel, reserveCrashkernel, x86DefaultCrashLow, type CrashAllocator } from "./crash-reserve.js";
import { GiB, MiB } from "./units.js";

test("parseCrashkernel(): the plain form; the last one wins", () => {
  assert.equal(parseCrashkernel("console=ttyS0 crashkernel=128M", GiB, 0)?.size, 128 * MiB);
  assert.equal(parseCrashkernel("crashkernel=0x10000000", GiB, 0)?.size, 256 * MiB);
  assert.equal(parseCrashkernel("crashkernel=64M crashkernel=256M", GiB, 0)?.size, 256 * MiB);
  assert.equal(parseCrashkernel("quiet", GiB, 0), null);
  assert.equal(parseCrashkernel("crashkernel=0", GiB, 0), null);
});

test("parseCrashkernel(): SIZE@OFFSET, range lists against memory rounded up to 128 MiB, ,high with ,low or the default", () => {
  const low = ARM64_DEFAULT_CRASH_LOW;
  assert.deepEqual(parseCrashkernel("crashkernel=128M@0x60000000", 2 * GiB, low), { size: 128 * MiB, base: 0x60000000, high: false, lowSize: 0 });
  assert.deepEqual(parseCrashkernel("crashkernel=1G-4G:192M,4G-:320M", 2 * GiB, low), { size: 192 * MiB, base: 0, high: false, lowSize: 0 });
  assert.deepEqual(parseCrashkernel("crashkernel=1G-4G:192M,4G-:320M", 6 * GiB, low)?.size, 320 * MiB);
  // 4 GiB less what the firmware keeps still counts as 4 GiB.
  assert.equal(parseCrashkernel("crashkernel=1G-4G:192M,4G-:320M", 4 * GiB - 20 * MiB, low)?.size, 320 * MiB);
  assert.equal(parseCrashkernel("crashkernel=1G-4G:192M,4G-:320M@64M", 6 * GiB, low)?.base, 64 * MiB);
  assert.equal(parseCrashkernel("crashkernel=1G-4G:192M", 512 * MiB, low), null, "no range holds the memory: zero bytes");
  assert.equal(parseCrashkernel("crashkernel=1G-512M:64M", 2 * GiB, low), null, "end <= start");
  assert.equal(parseCrashkernel("crashkernel=0-:4G", 2 * GiB, low), null, "a size as large as memory");
  assert.deepEqual(parseCrashkernel("crashkernel=256M,high", 6 * GiB, low), { size: 256 * MiB, base: 0, high: true, lowSize: low });
  assert.deepEqual(parseCrashkernel("crashkernel=256M,high", 6 * GiB, 0)?.lowSize, 0, "6.1's arm64 code: no default low part");
  assert.equal(parseCrashkernel("crashkernel=512M,high crashkernel=64M,low", 6 * GiB, low)?.lowSize, 64 * MiB);
  assert.equal(parseCrashkernel("crashkernel=512M,high crashkernel=0,low", 6 * GiB, low)?.lowSize, 0);
  assert.equal(parseCrashkernel("crashkernel=512M,high crashkernel=64Mx,low", 6 * GiB, low), null, "an invalid ,low");
  assert.equal(parseCrashkernel("crashkernel=256M,high crashkernel=64M", 6 * GiB, low)?.high, false, "a plain one comes first");
  assert.equal(parseCrashkernel("crashkernel=256Mx", 6 * GiB, low), null);
  assert.equal(parseCrashkernel("crashkernel=64M,low", 6 * GiB, low), null, ",low alone reserves nothing");
});

/** A bump allocator over [lo, hi) with holes already taken: top-down, as memblock_phys_alloc_range(). */
function fakeMemblock(lo: number, hi: number): CrashAllocator & { taken: [number, number][] } {
  const taken: [number, number][] = [];
  return {
    taken,
    alloc(size, align, min, max) {
      let at = Math.floor((Math.min(max, hi) - size) / align) * align;
      for (; at >= Math.max(min, lo); at -= align) if (!taken.some(([b, e]) => at < e && b < at + size)) break;
      if (at < Math.max(min, lo)) return null;
      taken.push([at, at + size]);
      return at;
    },
    free(b, e) {
      const i = taken.findIndex(([x, y]) => x === b && y === e);
      if (i >= 0) taken.splice(i, 1);
    },
  };
}

test("reserveCrashkernel(): 6.1's one attempt and the generic fallbacks between low and high", () => {
  const lim = { lowMax: 4 * GiB, highMax: 2 ** 48, align: 2 * MiB, page: 4096, defaultLow: ARM64_DEFAULT_CRASH_LOW };
  // 6 GiB from 1 GiB: ,high goes to the top; 6.1 takes no low part, the generic code 128 MiB below 4 GiB.
  const high = { size: 256 * MiB, base: 0, high: true, lowSize: 0 };
  assert.deepEqual(reserveCrashkernel(high, "arch-6.1", lim, fakeMemblock(GiB, 7 * GiB)), { crash: { start: 7 * GiB - 256 * MiB, end: 7 * GiB }, low: null });
  assert.deepEqual(reserveCrashkernel({ ...high, lowSize: 128 * MiB }, "generic", lim, fakeMemblock(GiB, 7 * GiB)), {
    crash: { start: 7 * GiB - 256 * MiB, end: 7 * GiB },
    low: { start: 4 * GiB - 128 * MiB, end: 4 * GiB },
  });
  // 2 GiB: nothing above the low limit (here the end of RAM): the generic ,high falls back below it; 6.1 searches everywhere.
  const small = { ...lim, lowMax: 3 * GiB };
  assert.deepEqual(reserveCrashkernel({ ...high, lowSize: 128 * MiB }, "generic", small, fakeMemblock(GiB, 3 * GiB)), { crash: { start: 3 * GiB - 256 * MiB, end: 3 * GiB }, low: null });
  assert.deepEqual(reserveCrashkernel(high, "arch-6.1", small, fakeMemblock(GiB, 3 * GiB)).crash, { start: 3 * GiB - 256 * MiB, end: 3 * GiB });
  // A plain request too big for low memory: the generic code goes high with the default low part, 6.1 gives up.
  const big = { size: 3 * GiB + 512 * MiB, base: 0, high: false, lowSize: 0 };
  assert.deepEqual(reserveCrashkernel(big, "arch-6.1", lim, fakeMemblock(GiB, 9 * GiB)), { crash: null, low: null });
  assert.deepEqual(reserveCrashkernel(big, "generic", lim, fakeMemblock(GiB, 9 * GiB)), {
    crash: { start: 9 * GiB - big.size, end: 9 * GiB },
    low: { start: 4 * GiB - 128 * MiB, end: 4 * GiB },
  });
  // @offset: exactly there or nothing.
  const fixed = { size: 128 * MiB, base: 0x60000000, high: false, lowSize: 0 };
  assert.deepEqual(reserveCrashkernel(fixed, "generic", lim, fakeMemblock(GiB, 3 * GiB)).crash, { start: 0x60000000, end: 0x68000000 });
  const busy = fakeMemblock(GiB, 3 * GiB);
  busy.taken.push([0x64000000, 0x64200000]);
  assert.deepEqual(reserveCrashkernel(fixed, "generic", lim, busy), { crash: null, low: null });
  // No room for the low part: the high reservation is given back.
  const full = fakeMemblock(GiB, 7 * GiB);
  full.taken.push([GiB, 4 * GiB]);
  assert.deepEqual(reserveCrashkernel({ ...high, lowSize: 128 * MiB }, "generic", lim, full), { crash: null, low: null });
  assert.deepEqual(full.taken, [[GiB, 4 * GiB]]);
});

test("reserveCrashkernel(): x86 before 6.7 tries a plain request low, then anywhere; ,high anywhere; @offset 1 MiB-aligned", () => {
  const lim = { lowMax: 4 * GiB, highMax: 64 * 2 ** 40, align: 16 * MiB, page: 4096, defaultLow: x86DefaultCrashLow(64 * MiB) };
  assert.equal(lim.defaultLow, 256 * MiB, "swiotlb's 64 MiB and 8 MiB are less than 256 MiB");
  assert.equal(x86DefaultCrashLow(512 * MiB), 520 * MiB);
  // 6 GiB (3 below 4 GiB, 3 above): a plain request stays low; ,high goes to the top, with its low part below 4 GiB.
  const plain = { size: 256 * MiB, base: 0, high: false, lowSize: 0 };
  assert.deepEqual(reserveCrashkernel(plain, "x86-6.1", lim, fakeMemblock(0, 7 * GiB)).crash, { start: 4 * GiB - 256 * MiB, end: 4 * GiB });
  const high = { size: 256 * MiB, base: 0, high: true, lowSize: 64 * MiB };
  assert.deepEqual(reserveCrashkernel(high, "x86-6.1", lim, fakeMemblock(0, 7 * GiB)), {
    crash: { start: 7 * GiB - 256 * MiB, end: 7 * GiB },
    low: { start: 4 * GiB - 64 * MiB, end: 4 * GiB },
  });
  // A plain request with no room low goes high and takes the default low part.
  const lowFull = fakeMemblock(0, 7 * GiB);
  lowFull.taken.push([16 * MiB, 4 * GiB - 300 * MiB]);
  assert.deepEqual(reserveCrashkernel({ ...plain, size: 512 * MiB }, "x86-6.1", lim, lowFull), {
    crash: { start: 7 * GiB - 512 * MiB, end: 7 * GiB },
    low: { start: 4 * GiB - 256 * MiB, end: 4 * GiB },
  });
  // ... unless crashkernel=,low says otherwise: x86's code reads it for a plain request that went high (x-probe79-ck-plain-high-low64
  // on 5.10 and 6.1: 64 MiB), the generic code does not (6.12 and 7.2: 256 MiB); crashkernel=0,low: no low part.
  const asked = parseCrashkernel("crashkernel=512M crashkernel=64M,low", 6 * GiB, lim.defaultLow)!;
  assert.equal(asked.lowAsked, 64 * MiB);
  const lowFull2 = () => {
    const m = fakeMemblock(0, 7 * GiB);
    m.taken.push([16 * MiB, 4 * GiB - 300 * MiB]);
    return m;
  };
  assert.deepEqual(reserveCrashkernel(asked, "x86-6.1", lim, lowFull2()).low, { start: 4 * GiB - 64 * MiB, end: 4 * GiB });
  assert.deepEqual(reserveCrashkernel(asked, "generic", lim, lowFull2()).low, { start: 4 * GiB - 256 * MiB, end: 4 * GiB });
  const none = parseCrashkernel("crashkernel=512M crashkernel=0,low", 6 * GiB, lim.defaultLow)!;
  assert.deepEqual(reserveCrashkernel(none, "x86-6.1", lim, lowFull2()), { crash: { start: 7 * GiB - 512 * MiB, end: 7 * GiB }, low: null });
  // @offset: 1 MiB alignment is enough on x86 before 6.7; the generic code wants the architecture's 16 MiB.
  const fixed = { size: 128 * MiB, base: 0x20100000, high: false, lowSize: 0 };
  assert.deepEqual(reserveCrashkernel(fixed, "x86-6.1", lim, fakeMemblock(0, 2 * GiB)).crash, { start: 0x20100000, end: 0x28100000 });
  assert.equal(reserveCrashkernel(fixed, "generic", lim, fakeMemblock(0, 2 * GiB)).crash, null);
});
