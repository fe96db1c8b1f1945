import { test } from "node:test";
import assert from "node:assert/strict";
import { kernfsNameHash, readdirOrder } from "../kernfs.js";
import { fletcher64 } from "./nvdimm-label.js";
import { bootSystem, applyStep } from "../../scenario/runner.js";
import { ndState } from "./nvdimm-core.js";
import { dimmUniqueId } from "./nvdimm-dimm.js";
import { regionSetCookie } from "./nvdimm-region.js";
import { bttClaimClass } from "./nvdimm-btt.js";
import { daxState, kmemRange } from "./dax.js";

const MiB = 1 << 20;

test("kernfs readdir order (the order daxctl onlines memory blocks in, observed: memory35 memory33 memory34)", () => {
  assert.deepEqual(readdirOrder(["memory33", "memory34", "memory35"]), ["memory35", "memory33", "memory34"]);
  assert.ok(kernfsNameHash("region0") < kernfsNameHash("region1"));
  assert.ok(kernfsNameHash("namespace0.0") < kernfsNameHash("namespace0.1"));
});

test("nd_fletcher64 of a one-DIMM interleave set (QEMU serial 0x123456): the iset_id ndctl shows for v1.1 labels", () => {
  assert.equal(fletcher64([0, 0, 0x123456, 0]), 10248187106440278n);
});

function nvdimmSystem(size: string, labelSize = "128K") {
  const parse = (s: string) => (s.endsWith("K") ? Number(s.slice(0, -1)) * 1024 : Number(s.slice(0, -1)) * MiB);
  return bootSystem(
    { type: "pc", memory: 1024 * MiB, maxmem: 8192 * MiB, slots: 4, cmdline: [], nvdimms: [{ id: "nv1", size: parse(size), addr: 0x100000000, label_size: parse(labelSize) }] },
    { boot: "derive" },
  );
}

test("NFIT DIMM and region from QEMU's NFIT: id, handle, region size after the label area, 16 MiB align", () => {
  const sys = nvdimmSystem("524416K");
  const st = ndState(sys.kernel);
  assert.equal(dimmUniqueId(st.dimms[0]), "8680-56341200");
  assert.equal(st.dimms[0].handle, 1);
  assert.equal(st.regions[0].size, 512 * MiB);
  assert.equal(st.regions[0].align, 16 * MiB);
  // Label-less: set_cookie falls back to the v1.2 cookie (ndctl does not show it for label-less regions).
  assert.notEqual(regionSetCookie(st.regions[0]), 10248187106440278n);
  applyStep(sys, { op: "ndctl", args: ["disable-region", "region0"] });
  applyStep(sys, { op: "ndctl", args: ["init-labels", "nmem0"] });
  assert.equal(regionSetCookie(st.regions[0]), 10248187106440278n, "v1.1 labels: cookie1");
});

test("fsdax info block: data offset 0xa00000 for 512 MiB, 0x1200000 for 1 GiB (mode pmem, 2 MiB align)", () => {
  for (const [size, dataoff] of [["524416K", 0xa00000], ["1048704K", 0x1200000]] as const) {
    const sys = nvdimmSystem(size);
    applyStep(sys, { op: "create-namespace", namespace: "namespace0.0", force: true, mode: "fsdax", align: "2M" });
    const st = ndState(sys.kernel);
    const sb = [...st.media.values()].find((b) => b.sig === "PFN")!;
    assert.ok(sb && sb.sig === "PFN");
    if (sb.sig !== "PFN") throw new Error("no PFN info block");
    assert.equal(sb.dataoff, dataoff);
    assert.equal(sb.endTrunc, 0);
  }
});

test("kmem trims a dax range inward to memory blocks", () => {
  const sys = nvdimmSystem("524416K");
  const k = sys.kernel;
  assert.deepEqual(kmemRange(k, { start: 0x100a00000, end: 0x11fffffff }), { start: 0x108000000, end: 0x11fffffff });
  assert.equal(kmemRange(k, { start: 0x3c200000, end: 0x3fffffff }), null);
  void daxState;
});

test("spec 09 §J through sysfs: devdax by hand, kmem, unbind while online pins the memory, re-binds fail with EBUSY", () => {
  const sys = bootSystem({ type: "pc", memory: 4096 * MiB, maxmem: 8192 * MiB, slots: 2, cmdline: ["memmap=1G!0x40000000"] }, { boot: "derive" });
  const k = sys.kernel;
  const w = (path: string, value: string) => applyStep(sys, { op: "write", path, value }) as { ok: boolean; errno?: string };
  assert.ok(w("/sys/bus/nd/drivers/nd_pmem/unbind", "namespace0.0").ok);
  for (const [a, v] of [["uuid", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0"], ["mode", "pmem"], ["align", "2097152"], ["namespace", "namespace0.0"]]) {
    assert.ok(w(`/sys/bus/nd/devices/dax0.0/${a}`, v).ok, a);
  }
  assert.ok(w("/sys/bus/nd/drivers/dax_pmem/bind", "dax0.0").ok);
  const iomem = () => sys.kernel.iomem.children.find((r) => r.start === 0x40000000)!.children.map((c) => `${c.start.toString(16)}-${c.end.toString(16)} ${c.name}`);
  assert.deepEqual(iomem(), ["40000000-411fffff namespace0.0", "41200000-7fffffff dax0.0"]);
  assert.deepEqual(applyStep(sys, { op: "read", path: "/sys/bus/dax/devices/dax0.0/size" }), { path: "/sys/bus/dax/devices/dax0.0/size", ok: true, value: "1054867456\n" });
  assert.ok(w("/sys/bus/dax/drivers/device_dax/unbind", "dax0.0").ok);
  const mark = k.log.length;
  assert.ok(w("/sys/bus/dax/drivers/kmem/new_id", "dax0.0").ok);
  assert.equal(k.log.length, mark, "kmem binds silently");
  assert.deepEqual([...k.blocks.keys()].filter((id) => id >= 8 && id < 16).sort((a, b) => a - b), [9, 10, 11, 12, 13, 14, 15]);
  assert.ok(w("/sys/devices/system/memory/memory9/state", "online_movable").ok);
  const m2 = k.log.length;
  assert.ok(w("/sys/bus/dax/drivers/kmem/unbind", "dax0.0").ok);
  assert.deepEqual(k.log.slice(m2).map((l) => l.text), [
    "removing memory fails, because memory [0x0000000048000000-0x000000004fffffff] is onlined",
    "kmem dax0.0: mapping0: 0x48000000-0x7fffffff cannot be hotremoved until the next reboot",
  ]);
  assert.ok(w("/sys/devices/system/memory/memory9/state", "offline").ok);
  const m3 = k.log.length;
  assert.equal(w("/sys/bus/dax/drivers/kmem/bind", "dax0.0").errno, "EBUSY");
  assert.equal(w("/sys/bus/dax/drivers/device_dax/bind", "dax0.0").errno, "EBUSY");
  assert.deepEqual(k.log.slice(m3).map((l) => l.text), [
    "kmem dax0.0: mapping0: 0x48000000-0x7fffffff could not reserve region",
    "kmem: probe of dax0.0 failed with error -16",
    "device_dax dax0.0: mapping0: 0x41200000-0x7fffffff could not reserve range",
    "device_dax: probe of dax0.0 failed with error -16",
  ]);
});

test("sector mode: a BTT over a 256 MiB legacy namespace", () => {
  const sys = bootSystem({ type: "pc", memory: 2048 * MiB, cmdline: ["memmap=256M!0x30000000"] }, { boot: "derive" });
  const r = applyStep(sys, { op: "create-namespace", namespace: "namespace0.0", force: true, mode: "sector" }) as { rc: number; stdout_json: Record<string, unknown> };
  assert.equal(r.rc, 0);
  assert.deepEqual(r.stdout_json, { dev: "namespace0.0", mode: "sector", size: 267091968, uuid: "<uuid>", sector_size: 4096, blockdev: "pmem0s" });
});

// QEMU answers the label _DSM functions (4-6) only for an NVDIMM with a label-size (hw/acpi/nvdimm.c,
// nvdimm_dsm_device()); without them the nmem's cmd_mask has no config commands (nfit/core.c).
// Recorded: test/oracle/arm64/traces/a64-nvdimm-raw.trixie.json (step 2 reconfigures namespace0.0 in place).
test("an NVDIMM without label-size: nvdimm_probe() keeps no drvdata, ndctl does not autolabel, BTT v1.1", () => {
  const sys = nvdimmSystem("512M", "0K");
  const k = sys.kernel;
  const st = ndState(k);
  const d = st.dimms[0];
  assert.ok(d.driver, "nvdimm binds (ENOTTY from nvdimm_check_config_data() is not a failure)");
  assert.equal(d.ndd, null, "but keeps no drvdata");
  assert.equal((applyStep(sys, { op: "read", path: "/sys/bus/nd/devices/nmem0/available_slots" }) as { errno?: string }).errno, "ENXIO");
  assert.equal(bttClaimClass(st.regions[0]), "btt", "no drvdata: BTT v1.1, not btt2");
  const mark = k.uevents.length;
  const r = applyStep(sys, { op: "create-namespace", namespace: "namespace0.0", force: true, mode: "fsdax" }) as { rc: number };
  assert.equal(r.rc, 0);
  const seen = k.uevents.slice(mark).map((u) => `${u.action} ${u.devpath.replace(/.*\/ndbus0\//, "")}`);
  assert.ok(!seen.some((u) => u.endsWith(" region0") || u.includes("nmem0")), `no region disable, no label writes: ${seen.join(", ")}`);
  assert.deepEqual(seen.slice(-3), ["add region0/pfn0.0/block/pmem0", "add region0/pfn0.1", "bind region0/pfn0.0"]);
  assert.equal(st.regions[0].nsSeed?.nstype, "io", "still label-less");
  // No drvdata: init_active_labels() does not hold the DIMM, so it stays idle under an enabled region.
  assert.equal((applyStep(sys, { op: "read", path: "/sys/bus/nd/devices/nmem0/state" }) as { value: string }).value, "idle\n");
  // ndctl init-labels and zero-labels: the label read fails (ENXIO, EINVAL), nothing written.
  const init = applyStep(sys, { op: "ndctl", args: ["init-labels", "nmem0"] }) as { rc: number; stderr: string[] };
  assert.deepEqual([init.rc, init.stderr], [1, ["initialized 0 nmem"]]);
  const zero = applyStep(sys, { op: "ndctl", args: ["zero-labels", "nmem0"] }) as { rc: number; stderr: string[] };
  assert.deepEqual([zero.rc, zero.stderr], [1, ["zeroed 0 nmem"]]);
});

// nd_pfn_supported_alignments(): PAGE_SIZE, the PMD size when the arch has transparent huge pages,
// and the PUD size only where has_transparent_pud_hugepage() (x86_64; arm64 selects no
// HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD). Recorded: test/oracle/arm64/traces/a64-sweep-nv-devdax-1g.trixie.json
// (ndctl: "unsupported align: 1G", rc 250) and h-* x86 traces with align 1G.
test("pfn/dax supported_alignments follow the arch's THP sizes: arm64 4K has no 1 GiB align", () => {
  const GiB = 1024 * MiB;
  const arm = bootSystem(
    { type: "virt", memory: GiB, maxmem: 8 * GiB, slots: 2, cmdline: [], kernel: { version: "6.12" }, nvdimms: [{ id: "nv1", size: 2 * GiB + 128 * 1024, label_size: 128 * 1024 }] },
    { boot: "derive" },
  );
  const read = (sys: typeof arm, p: string) => (applyStep(sys, { op: "read", path: p }) as { value: string }).value;
  assert.equal(read(arm, "/sys/bus/nd/devices/dax0.0/supported_alignments"), "4096 2097152 \n");
  const r = applyStep(arm, { op: "create-namespace", namespace: "namespace0.0", force: true, mode: "devdax", align: "1G" }) as { rc: number; stderr: string[] };
  assert.equal(r.rc, 250);
  assert.equal(r.stderr[0], "  Error: unsupported align: 1G");
  const x86 = nvdimmSystem("2097280K");
  assert.equal(read(x86, "/sys/bus/nd/devices/dax0.0/supported_alignments"), "4096 2097152 1073741824 \n");
});
