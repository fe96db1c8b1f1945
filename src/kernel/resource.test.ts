import { test } from "node:test";
import assert from "node:assert/strict";
import {
  countSystemRamPages,
  makeResource,
  makeRoot,
  mergeSystemRamResource,
  regionIntersectsSystemRam,
  REGION_DISJOINT,
  REGION_INTERSECTS,
  REGION_MIXED,
  releaseMemRegionAdjustable,
  renderIomem,
  requestRegion,
  insertNested,
  insertResource,
  insertResourceExpandToFit,
  reserveRegionWithSplit,
  resourceSpecs,
  insertSpecs,
  removeResourceKeepChildren,
} from "./resource.js";

const G = 1024 ** 3;

test("a region inside a non-busy container becomes its child and inherits its desc", () => {
  const root = makeRoot();
  const pmem = makeResource(0x40000000, 0x7fffffff, "Persistent Memory (legacy)", { busy: false }, "PERSISTENT_MEMORY_LEGACY");
  insertNested(root, pmem);
  const r = requestRegion(root, 0x40000000, G, "namespace0.0", {});
  assert.ok(r);
  assert.equal(r!.parent, pmem);
  assert.equal(r!.desc, "PERSISTENT_MEMORY_LEGACY");
  assert.deepEqual(renderIomem(root), ["40000000-7fffffff : Persistent Memory (legacy)", "  40000000-7fffffff : namespace0.0"]);
});

test("a region overlapping a busy resource, or sticking out of a container, is refused", () => {
  const root = makeRoot();
  assert.ok(requestRegion(root, 4 * G, G, "System RAM", { sysram: true }));
  assert.equal(requestRegion(root, 4 * G + 0x1000000, G, "System RAM", { sysram: true }), null);
  insertNested(root, makeResource(8 * G, 9 * G - 1, "PCI Bus 0000:00", { busy: false }));
  assert.equal(requestRegion(root, 8 * G + G / 2, G, "System RAM", { sysram: true }), null);
});

test("releasing the middle of a System RAM resource splits it", () => {
  const root = makeRoot();
  requestRegion(root, 4 * G, 4 * G, "System RAM", { sysram: true });
  releaseMemRegionAdjustable(root, 5 * G, G);
  assert.deepEqual(renderIomem(root), ["100000000-13fffffff : System RAM", "180000000-1ffffffff : System RAM"]);
  releaseMemRegionAdjustable(root, 4 * G, G);
  assert.deepEqual(renderIomem(root), ["180000000-1ffffffff : System RAM"]);
});

test("only mergeable siblings with the same name object merge", () => {
  const root = makeRoot();
  const a = requestRegion(root, 4 * G, G, "System RAM (virtio_mem)", { sysram: true, driverManaged: true }, "vm0")!;
  mergeSystemRamResource(a);
  const b = requestRegion(root, 5 * G, G, "System RAM (virtio_mem)", { sysram: true, driverManaged: true }, "vm0")!;
  mergeSystemRamResource(b);
  const c = requestRegion(root, 6 * G, G, "System RAM (virtio_mem)", { sysram: true, driverManaged: true }, "vm1")!;
  mergeSystemRamResource(c);
  assert.deepEqual(renderIomem(root), ["100000000-17fffffff : System RAM (virtio_mem)", "180000000-1bfffffff : System RAM (virtio_mem)"]);
});

test("region_intersects sees RAM nested under a non-RAM container (6.1.158 descendant search)", () => {
  const root = makeRoot();
  insertNested(root, makeResource(0, G - 1, "System RAM", { busy: true, sysram: true }));
  const pmem = makeResource(G, 2 * G - 1, "Persistent Memory (legacy)", { busy: false });
  insertNested(root, pmem);
  assert.equal(regionIntersectsSystemRam(root, G, G), REGION_DISJOINT);
  assert.equal(regionIntersectsSystemRam(root, 0, G / 2), REGION_INTERSECTS);
  assert.equal(regionIntersectsSystemRam(root, G / 2, G), REGION_MIXED);
  insertNested(pmem, makeResource(G, G + G / 2 - 1, "System RAM (kmem)", { busy: true, sysram: true }));
  assert.equal(regionIntersectsSystemRam(root, G, G / 4), REGION_INTERSECTS);
  assert.equal(regionIntersectsSystemRam(root, G, G), REGION_MIXED);
});

test("System RAM pages are counted once, whole pages only, nested matches not twice", () => {
  const root = makeRoot();
  const ram = makeResource(0x100000, 0x3ffdffff, "System RAM", { busy: true, sysram: true });
  insertNested(root, ram);
  insertNested(ram, makeResource(0x1000000, 0x1e01d31, "Kernel code", { busy: true, sysram: true }));
  assert.equal(countSystemRamPages(root, 0x38000000, 0x40000000, 4096), (0x3ffe0000 - 0x38000000) / 4096);
  assert.equal(countSystemRamPages(root, 0x8000000, 0x10000000, 4096), 32768);
});

test("iomem: insert_resource adopts equal and contained ranges; __request_region descends into non-busy ones", () => {
  const root = makeRoot();
  insertResource(root, makeResource(0x1000000, 0x1ffffff, "Kernel code", { busy: true }));
  insertResource(root, makeResource(0x100000, 0x3fffffff, "System RAM", { busy: true }));
  insertResource(root, makeResource(0xb0000000, 0xbfffffff, "Reserved"));
  assert.ok(requestRegion(root, 0xb0000000, 0x10000000, "pnp 00:05", {}));
  insertResource(root, makeResource(0xb0000000, 0xbfffffff, "PCI MMCONFIG 0000 [bus 00-ff]", { busy: true }));
  assert.equal(requestRegion(root, 0x100000, 0x100000, "busy conflict", {}), null);
  const partial = makeResource(0x3ff00000, 0x4fffffff, "Reserved");
  insertResourceExpandToFit(root, partial);
  assert.deepEqual(renderIomem(root), [
    "00100000-4fffffff : Reserved",
    "  00100000-3fffffff : System RAM",
    "    01000000-01ffffff : Kernel code",
    "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]",
    "  b0000000-bfffffff : Reserved",
    "    b0000000-bfffffff : pnp 00:05",
  ]);
});

test("iomem: RAM buffer (reserve_region_with_split) fills only top-level gaps", () => {
  const root = makeRoot();
  insertResource(root, makeResource(0x100000, 0x3ffdffff, "System RAM", { busy: true }));
  insertResource(root, makeResource(0x3ffe0000, 0x3fffffff, "Reserved"));
  insertResource(root, makeResource(0x3f000000, 0x3f0fffff, "child", { busy: true }));
  reserveRegionWithSplit(root, 0x3ffe0000, 0x43ffffff, "RAM buffer");
  assert.deepEqual(renderIomem(root), [
    "00100000-3ffdffff : System RAM",
    "  3f000000-3f0fffff : child",
    "3ffe0000-3fffffff : Reserved",
    "40000000-43ffffff : RAM buffer",
  ]);
});

test("boot specs round-trip: resourceSpecs() data renders like the tree and insertSpecs() rebuilds it", () => {
  const root = makeRoot();
  insertResource(root, makeResource(0x100000, 0x3fffffff, "System RAM", { busy: true, sysram: true }));
  insertResource(root, makeResource(0x1000000, 0x1ffffff, "Kernel code", { busy: true, sysram: true }));
  insertResource(root, makeResource(0x40000000, 0x7fffffff, "Persistent Memory", {}, "PERSISTENT_MEMORY"));
  const specs = resourceSpecs(root);
  assert.deepEqual(specs[1], { start: 0x40000000, end: 0x7fffffff, name: "Persistent Memory", busy: false, desc: "PERSISTENT_MEMORY" });
  assert.deepEqual(renderIomem(specs), renderIomem(root));
  const again = makeRoot();
  insertSpecs(again, specs);
  assert.deepEqual(resourceSpecs(again), specs);
  assert.equal(again.children[0].children[0].parent, again.children[0]);
});

test("remove_resource(): the removed resource's children take its place under its parent, in order", () => {
  const root = makeRoot();
  insertResource(root, makeResource(0x1000, 0x1fff, "before"));
  const box = makeResource(0x10000, 0x1ffff, "Persistent Memory");
  insertResource(root, box);
  insertResource(root, makeResource(0x10000, 0x17fff, "a", { busy: true }));
  insertResource(root, makeResource(0x18000, 0x1ffff, "b", { busy: true }));
  removeResourceKeepChildren(box);
  assert.deepEqual(renderIomem(root), ["00001000-00001fff : before", "00010000-00017fff : a", "00018000-0001ffff : b"]);
  assert.equal(root.children[1].parent, root);
  assert.equal(box.parent, null);
  assert.deepEqual(box.children, []);
});
