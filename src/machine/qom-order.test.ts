import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../testing/paths.js";
import { gStrHash, nfitOrder, peripheralIds, qomChildOrder, sratNvdimmOrder } from "./qom-order.js";
import { deriveBootLayout } from "./qemu.js";
import { virtBootLayout } from "./virt.js";
import { GiB, MiB } from "../kernel/units.js";
import type { MachineSpec } from "./types.js";
import { parseScenario } from "../scenario/load.js";

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
    nfitOrder(spec, spec.nvdimms!).map((d) => d.id),
    ["nv2", "nv4", "nv1", "nv3"],
  );
});

test("the NFIT holds the list as it was at the last NVDIMM's plug; the SRAT the list with every device", () => {
  // arm64 a64-nvdimm-3-vm4: nine peripheral ids grow GLib's table to 16 buckets, which puts nv3 first;
  // the real kernel's regions are nv2, nv1, nv3: the NFIT was built before the virtio-mem devices existed.
  const vm = (id: string) => ({ id, size: 256 * MiB, block_size: 2 * MiB, requested_size: 0 });
  const spec: MachineSpec = { type: "virt", memory: GiB, maxmem: 8 * GiB, slots: 4, cmdline: [], nvdimms: ["nv1", "nv2", "nv3"].map(nv), virtio_mem: ["vm0", "vm1", "vm2", "vm3"].map(vm) };
  assert.deepEqual(nfitOrder(spec, spec.nvdimms!).map((d) => d.id), ["nv2", "nv1", "nv3"]);
  assert.deepEqual(sratNvdimmOrder(spec, spec.nvdimms!).map((d) => d.id), ["nv3", "nv2", "nv1"]);
  assert.deepEqual(virtBootLayout(spec).nvdimms.map((d) => d.id), ["nv2", "nv1", "nv3"]);
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

test("q35 recording h-nvdimm-3-vm5-numa: the SRAT's non-volatile entries in the full list's order (nv3, nv2, nv1), the regions in the NFIT's (nv2, nv1, nv3)", () => {
  const file = join(REPO_ROOT, "test", "oracle", "traces", "h-nvdimm-3-vm5-numa.json");
  const t = JSON.parse(readFileSync(file, "utf8")) as { scenario: unknown; boot: { dmesg: string[]; snapshot: { iomem: string[] } } };
  const spec = parseScenario(JSON.stringify(t.scenario), file).machine;
  const layout = deriveBootLayout(spec);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
  const model = (layout.srat ?? []).filter((e) => e.nonVolatile).map((e) => `[mem ${hex(e.start)}-${hex(e.end - 1)}] non-volatile`);
  const real = t.boot.dmesg.filter((l) => l.endsWith("non-volatile")).map((l) => l.replace(/^.*(\[mem )/, "$1"));
  assert.deepEqual(model, real);
  assert.equal(real.length, 3);
  assert.deepEqual(layout.nvdimms.map((n) => n.id), ["nv2", "nv1", "nv3"]);
  assert.deepEqual(
    t.boot.snapshot.iomem.filter((l) => l.includes("namespace")).map((l) => l.trim().split(" : ")[1]),
    ["namespace1.0", "namespace0.0", "namespace2.0"],
  );
});
