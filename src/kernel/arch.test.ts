import { test } from "node:test";
import assert from "node:assert/strict";
import { ARM64_64K, GEOMETRIES, S390X, defaultBlockSize, pagesPerSection, probeMemoryBlockSize, subsectionsPerSection } from "./arch.js";
import { GiB, MiB } from "./units.js";
import { bootSystem } from "../scenario/runner.js";
import { sysfsRead, sysfsWrite } from "./sysfs.js";

test("x86_64 block size follows the end of boot memory (01-geometry §3)", () => {
  assert.equal(probeMemoryBlockSize(2 * GiB, true), 128 * MiB);
  assert.equal(probeMemoryBlockSize(0x1020000000, true), 512 * MiB);
  assert.equal(probeMemoryBlockSize(64 * GiB, false), 2 * GiB);
  assert.equal(probeMemoryBlockSize(64 * GiB + 128 * MiB, true), 128 * MiB);
});

test("per-architecture geometry: pages and sub-sections per section", () => {
  assert.equal(pagesPerSection(GEOMETRIES.x86_64), 32768);
  assert.equal(subsectionsPerSection(GEOMETRIES.x86_64), 64);
  assert.equal(pagesPerSection(ARM64_64K), 8192);
  assert.equal(subsectionsPerSection(ARM64_64K), 256);
  assert.equal(subsectionsPerSection(S390X), 128);
  assert.equal(defaultBlockSize(ARM64_64K, 4 * GiB, true), 512 * MiB);
  assert.equal(defaultBlockSize(S390X, 4 * GiB, true, 0), 256 * MiB);
  assert.equal(defaultBlockSize(GEOMETRIES.ppc64, 4 * GiB, true), 256 * MiB);
});

for (const arch of ["arm64-64k", "s390x", "ppc64"] as const) {
  test(`a synthetic ${arch} machine boots with its geometry and hot-adds and onlines a block`, () => {
    const sys = bootSystem({ type: "synthetic", arch, memory: 4 * GiB, maxmem: 8 * GiB, slots: 4, cmdline: [] }, { boot: "derive" });
    const k = sys.kernel;
    const bs = k.blockSize;
    assert.deepEqual(sysfsRead(k, "/sys/devices/system/memory/block_size_bytes"), { ok: true, value: `${bs.toString(16)}\n` });
    assert.equal(k.blocks.size, (4 * GiB) / bs);
    const r = sys.plugDimm({ id: "d1", size: bs, addr: sys.layout.deviceMemory!.base });
    assert.ok(!("error" in r.device_add), JSON.stringify(r));
    const id = sys.layout.deviceMemory!.base / bs;
    assert.deepEqual(sysfsWrite(k, `/sys/devices/system/memory/memory${id}/state`, "online_movable\n"), { ok: true });
    assert.deepEqual(sysfsRead(k, `/sys/devices/system/memory/memory${id}/valid_zones`), { ok: true, value: "Movable\n" });
  });
}
