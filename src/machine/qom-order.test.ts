import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../testing/paths.js";
import { gStrHash, nvdimmDeviceListOrder, peripheralIds, qomChildOrder } from "./qom-order.js";
import { deriveBootLayout } from "./qemu.js";
import { virtBootLayout } from "./virt.js";
import { GiB, MiB } from "../kernel/units.js";
import type { MachineSpec } from "./types.js";

interface Cases {
  glib: string;
  cases: { insert: string[]; order: string[] }[];
}

test("g_str_hash: djb2 over signed chars in 32 bits", () => {
  assert.equal(gStrHash(""), 5381);
  assert.equal(gStrHash("nv1"), 193500730);
  assert.equal(gStrHash("nv2"), gStrHash("nv1") + 1);
  // A byte >= 0x80 counts as negative (signed char): "é" is C3 A9.
  assert.equal(gStrHash("\u00e9"), (((5381 * 33 + (0xc3 - 256)) >>> 0) * 33 + (0xa9 - 256)) >>> 0);
});

test("the QOM child order is GLib's hash-table order (real GLib 2.74 iteration orders, up to 200 keys: growth and relocation)", () => {
  const data = JSON.parse(readFileSync(join(REPO_ROOT, "test", "qemu", "glib-2.74-hash-order.json"), "utf8")) as Cases;
  assert.equal(data.glib, "2.74.6");
  assert.ok(data.cases.length > 100);
  for (const c of data.cases) assert.deepEqual(qomChildOrder(c.insert), c.order, `inserting ${c.insert.length} keys: ${c.insert.slice(0, 6).join(",")}`);
});

const nv = (id: string) => ({ id, size: 256 * MiB + 128 * 1024, label_size: 128 * 1024 });

test("the oracle's peripheral ids: NVDIMMs, virtio-mem, CXL devices, then virt's agent console", () => {
  const spec: MachineSpec = { type: "virt", memory: GiB, maxmem: 4 * GiB, slots: 2, cmdline: [], nvdimms: [nv("a"), nv("b")] };
  assert.deepEqual(peripheralIds(spec), ["a", "b", "vser0", "agentcon0"]);
  assert.deepEqual(peripheralIds({ ...spec, type: "q35" }), ["a", "b"]);
});

test("nvdimm_get_device_list(): the NVDIMMs in QOM order, not command-line or slot order", () => {
  const spec: MachineSpec = { type: "q35", memory: GiB, maxmem: 4 * GiB, slots: 4, cmdline: [], nvdimms: ["nv1", "nv2", "nv3", "nv4"].map(nv) };
  assert.deepEqual(
    nvdimmDeviceListOrder(spec, spec.nvdimms!).map((d) => d.id),
    ["nv2", "nv4", "nv1", "nv3"],
  );
});

test("boot layouts list NVDIMMs in NFIT order; each keeps its command-line slot and address", () => {
  const two = { memory: GiB, maxmem: 8 * GiB, slots: 4, cmdline: [], nvdimms: [nv("nv1"), nv("nv2")] };
  for (const layout of [virtBootLayout({ type: "virt", ...two }), deriveBootLayout({ type: "q35", ...two })]) {
    assert.deepEqual(
      layout.nvdimms.map((n) => [n.id, n.slot]),
      [
        ["nv2", 1],
        ["nv1", 0],
      ],
    );
    const [b, a] = layout.nvdimms;
    assert.ok(a.start < b.start, "placed in command-line order");
  }
});
