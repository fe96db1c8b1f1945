/**
 * Hot-removed sections are freed on every architecture, whatever its number
 * of sub-sections per section (x86_64 64, ppc64 8, arm64-64k 256, s390x
 * 128): the sub-section map must not assume x86's (issue 12, item 9).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB } from "./units.js";
import { sysfsWrite } from "./sysfs.js";
import { bootSystem } from "../scenario/runner.js";

for (const arch of ["x86_64", "ppc64", "ppc64-4k", "arm64-4k", "arm64-64k", "s390x"] as const) {
  test(`${arch}: a hot-removed DIMM's sections are freed, and the range can be added again`, () => {
    const sys = bootSystem({ type: "synthetic", arch, memory: 4 * GiB, maxmem: 8 * GiB, slots: 4, cmdline: [] }, { boot: "derive" });
    const k = sys.kernel;
    const bootSections = k.sparse.count;
    const base = sys.layout.deviceMemory!.base;
    const size = Math.max(k.blockSize, GiB);
    for (let round = 0; round < 2; round++) {
      const r = sys.plugDimm({ id: "d1", size, addr: base });
      assert.ok(!("error" in r.device_add), JSON.stringify(r));
      assert.ok(k.sparse.count > bootSections);
      for (let id = base / k.blockSize; id < (base + size) / k.blockSize; id++) {
        assert.deepEqual(sysfsWrite(k, `/sys/devices/system/memory/memory${id}/state`, "online_movable\n"), { ok: true });
        assert.deepEqual(sysfsWrite(k, `/sys/devices/system/memory/memory${id}/state`, "offline\n"), { ok: true });
      }
      const u = sys.unplugDimm("d1");
      assert.equal(u.device_deleted, true, JSON.stringify(u));
      assert.equal(k.sparse.count, bootSections, `round ${round}: sections left after removal`);
      assert.equal(k.sparse.get(k.sparse.sectionNr(base / k.geometry.pageSize)), undefined);
    }
  });
}
