/**
 * arm64 refuses to offline boot memory (arch/arm64/mm/mmu.c prevent_bootmem_remove_notifier): recorded on 6.1, 6.12
 * and 7.2 in test/oracle/arm64/traces/a64-probe2-sysfs-errors*.json (memory9 and memory10 of a 1 GiB UEFI guest:
 * EPERM, "Boot memory [48000000 50000000] offlining attempted", then offline_pages()'s notifier failure).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootSystem, applyStep } from "../scenario/runner.js";
import { scenarioFromValue } from "../scenario/load.js";

function system(machine: object, kernel?: string) {
  const s = scenarioFromValue({ name: "t", machine: { ...machine, ...(kernel ? { kernel } : {}) }, steps: [] }, "t");
  return bootSystem(s.machine, { boot: "derive" });
}
const write = (block: number, value: string) => ({ op: "write", path: `/sys/devices/system/memory/memory${block}/state`, value });

for (const kernel of ["6.1", "6.12", "7.2"]) {
  test(`arm64 ${kernel}: offlining a boot memory block is refused with EPERM by the boot-memory notifier`, () => {
    const sys = system({ type: "virt", memory: "1G", maxmem: "8G", slots: 1, cmdline: ["memhp_default_state=offline"] }, kernel);
    const before = sys.kernel.log.length;
    const r = applyStep(sys, write(9, "offline")) as { ok: boolean; errno?: string };
    assert.equal(r.ok, false);
    assert.equal(r.errno, "EPERM");
    const lines = sys.kernel.log.slice(before).map((l) => l.text);
    assert.deepEqual(lines, ["Boot memory [48000000 50000000] offlining attempted", "memory offlining [mem 0x48000000-0x4fffffff] failed due to notifier failure"]);
    assert.equal(sys.kernel.blocks.get(9)?.devOffline, false, "memory9 stays online");
  });
}

test("arm64: hot-added memory still goes offline (virtio-mem block onlined movable)", () => {
  const sys = system({ type: "virt", memory: "1G", maxmem: "8G", slots: 1, cmdline: ["memhp_default_state=online_movable"], virtio_mem: [{ id: "vm0", size: "512M", block_size: "128M", requested_size: "128M" }] });
  const r = applyStep(sys, write(16, "offline")) as { ok: boolean };
  assert.equal(r.ok, true);
});

test("x86_64 has no such notifier: a movable boot block goes offline", () => {
  const sys = system({ memory: "4G", maxmem: "8G", slots: 2, cmdline: ["movable_node"] });
  const before = sys.kernel.log.length;
  applyStep(sys, write(12, "offline"));
  assert.ok(!sys.kernel.log.slice(before).some((l) => l.text.startsWith("Boot memory")));
});

test("explain: an arm64 boot block cannot go offline (EPERM), with the notifier as the rule", async () => {
  const { predictOffline } = await import("../analysis/explain.js");
  const sys = system({ type: "virt", memory: "1G", maxmem: "8G", slots: 1, cmdline: ["memhp_default_state=offline"] });
  const v = predictOffline(sys.kernel, sys.kernel.blocks.get(9)!);
  assert.equal(v.ok, false);
  assert.equal(v.errno, "EPERM");
  assert.match(v.rule.kernel, /prevent_bootmem_remove_notifier/);
  assert.match(v.reason, /Boot memory \[48000000 50000000\] offlining attempted/);
});

test("rodata=: full keeps rodata_full, any boolean drops it, anything else changes nothing; the last one wins", async () => {
  const { arm64RodataFull } = await import("./arm64-mmu.js");
  assert.equal(arm64RodataFull("quiet"), true);
  assert.equal(arm64RodataFull("rodata=off"), false);
  assert.equal(arm64RodataFull("rodata=on"), false, "a64-probe55-uefi-2g-rodata-on: on is not full");
  assert.equal(arm64RodataFull("rodata=0"), false);
  assert.equal(arm64RodataFull("rodata=full"), true);
  assert.equal(arm64RodataFull("rodata=off rodata=full"), true);
  assert.equal(arm64RodataFull("rodata=bogus"), true);
});
