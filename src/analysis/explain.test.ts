/**
 * explain predicts; the model decides. For every step of every conformance trace and
 * every block, explain's verdict for `echo offline|online|online_kernel|
 * online_movable > state` must be what the model does when you try it on a
 * copy of that state (the scenario re-run up to the step): same success,
 * same errno, and for onlining the same zone. Ejects and hot-adds likewise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { addMemory } from "../kernel/hotplug.js";
import { memremapPages, type DevPagemap } from "../kernel/memremap.js";
import { sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { applyStep, bootSystem, type RunnableScenario } from "../scenario/runner.js";
import { traceProfile } from "../scenario/check.js";
import type { System } from "../machine/system.js";
import { jsonFiles, ORACLE_TRACES, REPO_ROOT, traceFile, TRACES } from "../testing/paths.js";
import { basename, join } from "node:path";
import { explainBlock, explainRange, predictHotAdd, predictMapDevice, predictOffline, predictOnline, predictRemove } from "./explain.js";

/** Every conformance trace: DIMMs, sysfs, legacy PMEM, NVDIMMs, kmem, virtio-mem. */
const CONFORMANCE_TRACES = [...jsonFiles(TRACES), ...jsonFiles(ORACLE_TRACES)];

function load(name: string): RunnableScenario {
  const f = traceFile(name);
  return toRunnable(readFileSync(f, "utf8"), f).scenario;
}

/** A copy of the state after `n` steps: the scenario run again. */
function stateAt(scn: RunnableScenario, n: number): System {
  const sys = bootSystem(scn.machine, { boot: "derive" });
  for (let i = 0; i < n; i++) applyStep(sys, scn.steps[i]);
  return sys;
}

const ACTIONS = ["offline", "online", "online_kernel", "online_movable"] as const;

for (const file of CONFORMANCE_TRACES) {
  const name = basename(file, ".json");
  test(`explain agrees with the model on every block of every step of ${name}`, () => {
    const scn = toRunnable(readFileSync(file, "utf8"), file).scenario;
    let checked = 0;
    for (let n = 0; n <= scn.steps.length; n++) {
      const k = stateAt(scn, n).kernel;
      for (const id of k.sortedBlockIds()) {
        const b = k.blocks.get(id)!;
        for (const action of ACTIONS) {
          const v = action === "offline" ? predictOffline(k, b) : predictOnline(k, b, action);
          const copy = stateAt(scn, n).kernel;
          const r = sysfsWrite(copy, `/sys/devices/system/memory/memory${id}/state`, `${action}\n`);
          const where = `${name} after step ${n}, memory${id}, ${action}`;
          assert.equal(r.ok, v.ok, `${where}: explain says ${v.ok ? "ok" : v.errno} (${v.reason}), the model says ${r.ok ? "ok" : r.errno}`);
          if (!r.ok) assert.equal(r.errno, v.errno, `${where}: errno`);
          if (r.ok && action !== "offline") {
            const zone = sysfsRead(copy, `/sys/devices/system/memory/memory${id}/valid_zones`);
            assert.ok(zone.ok);
            assert.equal(v.result, `online in ${zone.value.trim()} of node ${b.nid}`, `${where}: zone`);
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 0);
  });
}

test("explain's eject verdicts agree with the model's ACPI eject", () => {
  for (const name of ["dimm-online-kernel", "dimm-online-movable", "dimm-memmap-on-memory"]) {
    if (!existsSync(traceFile(name))) continue;
    const scn = load(name);
    for (let n = 0; n <= scn.steps.length; n++) {
      const sys = stateAt(scn, n);
      for (const dev of sys.kernel.acpiMemDevices.values()) {
        const first = dev.physicalNodes.find((id) => sys.kernel.blocks.has(id));
        if (first === undefined) continue;
        const v = predictRemove(sys.kernel, sys.kernel.blocks.get(first)!);
        const copy = stateAt(scn, n);
        const r = copy.unplugDimm(dev.qemuId);
        assert.equal(r.device_deleted, v.ok, `${name} after step ${n}, eject ${dev.qemuId}: explain says ${v.ok ? "ok" : v.reason}`);
      }
    }
  }
});

test("explain's hot-add verdicts agree with __add_memory() on the model", () => {
  const scn = load("dimm-online-kernel");
  for (const n of [0, 1, 9, scn.steps.length]) {
    const k = stateAt(scn, n).kernel;
    const G = 2 ** 30;
    const M = 2 ** 20;
    const cases: [number, number][] = [
      [4 * G, G], // the DIMM's place
      [5 * G, G],
      [4 * G + 64 * M, 128 * M], // unaligned start
      [6 * G, 100 * M], // unaligned size
      [0x3c000000, 128 * M], // boot RAM and the reserved range
      [0x38000000, 128 * M], // inside boot block memory7
      [0xc0000000, 128 * M], // PCI hole (a non-busy container)
      [2 ** 46 - G, 2 * G], // beyond the physical address limit
      [2 ** 46 - G, G],
    ];
    for (const [start, size] of cases) {
      const v = predictHotAdd(k, start, size);
      const copy = stateAt(scn, n).kernel;
      const r = addMemory(copy, 0, start, size, "System RAM", {});
      const where = `after step ${n}, hot-add 0x${start.toString(16)}+0x${size.toString(16)}`;
      assert.equal(r.ok, v.ok, `${where}: explain says ${v.ok ? "ok" : `${v.errno} (${v.reason})`}, the model says ${r.ok ? "ok" : r.errno}`);
      if (!r.ok) assert.equal(r.errno, v.errno, where);
    }
  }
});

test("a block's explanation names its rule and evidence", () => {
  const scn = load("dimm-online-kernel");
  const k = stateAt(scn, 9).kernel;
  const e = explainBlock(k, 32)!;
  const off = e.verdicts.find((v) => v.action === "offline")!;
  assert.equal(off.ok, false);
  assert.equal(off.errno, "EBUSY");
  assert.match(off.rule.kernel, /offline_pages/);
  assert.match(off.rule.spec, /04 §7/);
  assert.ok(off.evidence.some((x) => /slab/.test(x.what)));
  const m0 = explainBlock(k, 0)!.verdicts.find((v) => v.action === "offline")!;
  assert.equal(m0.errno, "EINVAL");
  assert.match(m0.reason, /several zones/);
  const boot = explainBlock(k, 1)!.verdicts.find((v) => v.action === "remove")!;
  assert.equal(boot.ok, false);
  assert.match(boot.reason, /boot memory/);
  assert.equal(explainBlock(k, 12345), null);
});

test("a range's explanation covers hot-add, device memory and QEMU's view", () => {
  const scn = load("dimm-online-kernel");
  const sys = stateAt(scn, 0);
  // The BIOS range after boot RAM: "Reserved" above 1 MiB is not busy, so only alignment stops a hot-add.
  const r = explainRange(sys.kernel, 0x3ffe0000, 0x20000, { deviceMemory: sys.layout.deviceMemory });
  const add = r.verdicts.find((v) => v.action === "hot-add")!;
  assert.equal(add.errno, "EINVAL");
  assert.match(add.rule.kernel, /check_hotplug_memory_range/);
  const map = r.verdicts.find((v) => v.action === "map-device-memory")!;
  assert.equal(map.ok, false);
  assert.equal(map.errno, "EINVAL"); // not 2 MiB aligned
  const busy = explainRange(sys.kernel, 0x38000000, 0x8000000).verdicts.find((v) => v.action === "hot-add")!;
  assert.equal(busy.errno, "EEXIST");
  assert.ok(busy.evidence.some((e) => /System RAM/.test(e.what)));
  const ram = explainRange(sys.kernel, 0x20000000, 0x200000).verdicts.find((v) => v.action === "map-device-memory")!;
  assert.equal(ram.errno, "ENXIO");
});

test("explain's device-memory verdicts agree with memremap_pages() on the model", () => {
  const scn = load("dimm-online-kernel");
  const G = 2 ** 30;
  const M = 2 ** 20;
  const pgmap = (start: number, size: number, owner: string): DevPagemap => ({ type: "GENERIC", ranges: [{ start, end: start + size - 1 }], owner, mapped: 0, nid: 0 });
  /** The state after step n, with a device range already mapped at 6 GiB + 2 MiB. */
  const state = (n: number) => {
    const k = stateAt(scn, n).kernel;
    assert.ok(memremapPages(k, pgmap(6 * G + 2 * M, 2 * M, "existing"), 0).ok);
    return k;
  };
  for (const n of [0, 1]) {
    const k = state(n);
    const cases: [number, number][] = [
      [5 * G, 256 * M], // free space above RAM
      [4 * G, 128 * M], // the DIMM (System RAM after step 1)
      [0x20000000, 2 * M], // boot RAM
      [5 * G + 4096, 2 * M], // not 2 MiB aligned
      [6 * G, 4 * M], // ends inside the existing pgmap
      [6 * G, 8 * M], // covers the existing pgmap: its sub-section is populated
      [2 ** 46 - 2 * M, 4 * M], // beyond the physical address limit
    ];
    for (const [start, size] of cases) {
      const v = predictMapDevice(k, start, size);
      const copy = state(n);
      const r = memremapPages(copy, pgmap(start, size, "test"), 0);
      const where = `after step ${n}, memremap 0x${start.toString(16)}+0x${size.toString(16)}`;
      assert.equal(r.ok, v.ok, `${where}: explain says ${v.ok ? "ok" : `${v.errno} (${v.reason})`}, the model says ${r.ok ? "ok" : r.errno}`);
      if (!r.ok) assert.equal(r.errno, v.errno, where);
    }
  }
});

test("arm64: a dax kmem block with a self-hosted memmap cannot go offline on 7.2 (its vmemmap leaf would split), can on 6.12", () => {
  for (const [kernel, ok] of [["sid", false], ["trixie", true]] as const) {
    const file = join(REPO_ROOT, "test", "oracle", "arm64", "traces", `a64-probe44-kmem-mom.${kernel}.json`);
    const r = toRunnable(readFileSync(file, "utf8"), file);
    const at = () => {
      const sys = bootSystem(r.scenario.machine, { boot: "derive", profile: traceProfile(r.trace!.raw as Record<string, unknown>, file) });
      for (let i = 0; i < 5; i++) applyStep(sys, r.scenario.steps[i]);
      return sys.kernel;
    };
    // After reconfigure-dax (step 5): memory22 is the first kmem block, its first 2 MiB its memmap.
    const k = at();
    const b = k.blocks.get(22)!;
    assert.equal(b.nrVmemmapPages, 512);
    const v = predictOffline(k, b);
    const copy = at();
    const w = sysfsWrite(copy, "/sys/devices/system/memory/memory22/state", "offline\n");
    assert.equal(v.ok, ok, v.reason);
    assert.equal(w.ok, ok);
    if (!ok) {
      assert.equal(v.errno, "EPERM");
      assert.equal(w.ok ? null : w.errno, "EPERM");
      assert.match(v.reason, /splits a leaf entry in vmemmap/);
      assert.ok(copy.log.some((l) => l.level === 4 && l.text === "[b0200000 b8000000] splits a leaf entry in vmemmap"));
    }
  }
});

test("explain: from 6.4 a block holding a hardware-poisoned page cannot come online (EHWPOISON), as the model does; 6.1 onlines it", () => {
  for (const [profile, refused] of [["6.12", true], ["6.1", false]] as const) {
    const sys = bootSystem({ type: "pc", memory: 1024 * 2 ** 20, maxmem: 4 * 2 ** 30, slots: 2, cmdline: ["memhp_default_state=offline"] }, { boot: "derive", profile });
    sys.plugDimm({ id: "d1", size: 256 * 2 ** 20, addr: 4 * 2 ** 30 });
    const k = sys.kernel;
    assert.deepEqual(sysfsWrite(k, "/sys/devices/system/memory/memory32/state", "online_movable\n"), { ok: true });
    assert.deepEqual(sysfsWrite(k, "/sys/devices/system/memory/hard_offline_page", "0x100201000\n"), { ok: true });
    assert.deepEqual(sysfsWrite(k, "/sys/devices/system/memory/memory32/state", "offline\n"), { ok: true });
    const v = predictOnline(k, k.blocks.get(32)!, "online_movable");
    assert.equal(v.ok, !refused, profile);
    if (refused) {
      assert.equal(v.errno, "EHWPOISON");
      assert.match(v.reason, /hardware-poisoned page \(pfn 100201/);
      assert.equal(v.rule.version_rule?.since, "6.4");
    }
    const tried = sysfsWrite(k, "/sys/devices/system/memory/memory32/state", "online_movable\n");
    assert.deepEqual(tried, refused ? { ok: false, errno: "EHWPOISON" } : { ok: true }, "the model does what explain predicted");
  }
});

test("explain: virtio-mem cannot take back a block holding a hardware-poisoned page (alloc_contig_range fails on it), as the model and 6.12 do", () => {
  const file = join(REPO_ROOT, "test", "oracle", "arm64", "traces", "a64-probe56-uefi-2g-vm-2m-hwpoison-unplug.trixie.json");
  const r = toRunnable(readFileSync(file, "utf8"), file);
  const at = (n: number) => {
    const sys = bootSystem(r.scenario.machine, { boot: "derive", profile: traceProfile(r.trace!.raw as Record<string, unknown>, file) });
    for (let i = 0; i < n; i++) applyStep(sys, r.scenario.steps[i]);
    return sys.kernel;
  };
  // After the plug (step 1) both blocks can go; after hard_offline_page (step 2) memory24 cannot, memory25 can.
  assert.equal(predictRemove(at(1), at(1).blocks.get(24)!).ok, true);
  const k = at(2);
  const v = predictRemove(k, k.blocks.get(24)!);
  assert.equal(v.ok, false, v.reason);
  assert.equal(v.errno, "EBUSY");
  assert.match(v.reason, /alloc_contig_range\(\).*hardware-poisoned page at pfn c0201.*stays plugged/);
  assert.equal(predictRemove(k, k.blocks.get(25)!).ok, true);
  // The model (step 3, resize to 0): memory25 goes, memory24 stays online.
  const after = at(3);
  assert.equal(after.blocks.get(24)?.state, "online");
  assert.equal(after.blocks.has(25), false);
});

test("explain: a block that is already online cannot be onlined again on any version, and the reason names none", () => {
  const sys = bootSystem({ type: "pc", memory: 1024 * 2 ** 20, maxmem: 4 * 2 ** 30, slots: 2, cmdline: ["memhp_default_state=online"] }, { boot: "derive", profile: "6.12" });
  sys.plugDimm({ id: "d1", size: 128 * 2 ** 20, addr: 4 * 2 ** 30 });
  const v = predictOnline(sys.kernel, sys.kernel.blocks.get(32)!, "online_movable");
  assert.equal(v.errno, "EINVAL");
  assert.doesNotMatch(v.reason, /\b6\.1\b/);
  assert.match(v.reason, /Linux cannot move an online block to another zone/);
});
