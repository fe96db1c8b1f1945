/**
 * An endpoint decoder's dpa_size (drivers/cxl/core/hdm.c): a port hands out
 * and takes back device-physical address space in decoder order, as
 * test/oracle/cxl/cxl-probe85-list-two-devices.sid showed (destroying the
 * first of two regions on one device fails at decoder2.0's DPA, EBUSY).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sysfsRead, sysfsWrite } from "../sysfs.js";
import { bootSystem } from "../../scenario/runner.js";
import { CXL_ONE_PMEM_MACHINE } from "../../testing/cxl-specs.js";

const spec = CXL_ONE_PMEM_MACHINE;

const D = "/sys/bus/cxl/devices";

test("endpoint decoders take and give back DPA in decoder order", () => {
  const k = bootSystem(spec, { boot: "derive" }).kernel;
  const w = (dec: string, attr: string, v: string) => sysfsWrite(k, `${D}/${dec}/${attr}`, v);
  for (const d of ["decoder2.0", "decoder2.1", "decoder2.2"]) assert.deepEqual(w(d, "mode", "pmem"), { ok: true });
  // decoder2.1 cannot allocate before decoder2.0 has.
  assert.deepEqual(w("decoder2.1", "dpa_size", "0x10000000"), { ok: false, errno: "EBUSY" });
  assert.deepEqual(w("decoder2.0", "dpa_size", "0x10000000"), { ok: true });
  assert.deepEqual(w("decoder2.1", "dpa_size", "0x10000000"), { ok: true });
  assert.equal((sysfsRead(k, `${D}/decoder2.1/dpa_resource`) as { value: string }).value.trim(), "0x10000000");
  // Only the last allocation can be freed...
  assert.deepEqual(w("decoder2.0", "dpa_size", "0"), { ok: false, errno: "EBUSY" });
  // ...or resized: dpa_size frees first, then allocates again at the same place.
  assert.deepEqual(w("decoder2.1", "dpa_size", "0x20000000"), { ok: true });
  assert.equal((sysfsRead(k, `${D}/decoder2.1/dpa_size`) as { value: string }).value.trim(), "0x0000000020000000");
  // An unaligned size is refused before anything is freed.
  assert.deepEqual(w("decoder2.1", "dpa_size", "0x1000"), { ok: false, errno: "EINVAL" });
  assert.equal((sysfsRead(k, `${D}/decoder2.1/dpa_size`) as { value: string }).value.trim(), "0x0000000020000000");
  assert.deepEqual(w("decoder2.1", "dpa_size", "0"), { ok: true });
  assert.deepEqual(w("decoder2.0", "dpa_size", "0"), { ok: true });
  // Freeing what is not allocated is no error.
  assert.deepEqual(w("decoder2.2", "dpa_size", "0"), { ok: true });
});
