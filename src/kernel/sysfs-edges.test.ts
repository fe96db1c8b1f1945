/**
 * sysfs edges the oracle recorded (test/oracle/traces/robust-sysfs-edges.json)
 * and the rules around them: an empty write opens and writes nothing,
 * directories give EISDIR, memoryN/power/ exists, soft_offline_page takes
 * a physical address of an online page (issue 12, item 9).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB, MiB } from "./units.js";
import { sysfsRead, sysfsWrite } from "./sysfs.js";
import { bootSystem } from "../scenario/runner.js";

const MEM = "/sys/devices/system/memory";

function machine() {
  const sys = bootSystem({ type: "pc", memory: GiB, maxmem: 4 * GiB, slots: 2, cmdline: [] }, { boot: "derive" });
  sys.plugDimm({ id: "d1", size: 256 * MiB, addr: 4 * GiB });
  return sys.kernel;
}

test("an empty write opens the file and changes nothing; a file without a store still refuses the open", () => {
  const k = machine();
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, ""), { ok: true });
  assert.deepEqual(sysfsRead(k, `${MEM}/memory32/state`), { ok: true, value: "offline\n" });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/removable`, ""), { ok: false, errno: "EACCES" });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/nosuch`, ""), { ok: false, errno: "EACCES" });
});

test("writes to directories give EISDIR", () => {
  const k = machine();
  for (const p of [`${MEM}/memory32`, MEM, `${MEM}/memory32/power`, "/sys/devices/system/node/node0"]) {
    assert.deepEqual(sysfsWrite(k, p, "offline\n"), { ok: false, errno: "EISDIR" }, p);
  }
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory99`, "1\n"), { ok: false, errno: "EACCES" });
});

test("memoryN/power/control and runtime_status", () => {
  const k = machine();
  assert.deepEqual(sysfsRead(k, `${MEM}/memory32/power/control`), { ok: true, value: "auto\n" });
  assert.deepEqual(sysfsRead(k, `${MEM}/memory0/power/runtime_status`), { ok: true, value: "unsupported\n" });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/power/control`, "on\n"), { ok: true });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/power/control`, "off\n"), { ok: false, errno: "EINVAL" });
  assert.deepEqual(sysfsRead(k, `${MEM}/memory99/power/control`), { ok: false, errno: "ENOENT" });
});

test("soft_offline_page: a valid online page succeeds; invalid, offline and garbage do not", () => {
  const k = machine();
  const w = (v: string) => sysfsWrite(k, `${MEM}/soft_offline_page`, `${v}\n`);
  assert.deepEqual(w("0x30000000"), { ok: true }, "boot memory");
  assert.deepEqual(w("0x100200000"), { ok: false, errno: "EIO" }, "present but offline");
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "online_movable\n"), { ok: true });
  assert.deepEqual(w("0x100200000"), { ok: true }, "online movable");
  assert.deepEqual(w("0x100200000"), { ok: true }, "again");
  assert.deepEqual(w("0x800000000"), { ok: false, errno: "ENXIO" }, "no memory there");
  assert.deepEqual(w("0x100000000000000000"), { ok: false, errno: "EINVAL" }, "beyond 64 bits");
  assert.deepEqual(w("page"), { ok: false, errno: "EINVAL" });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "offline\n"), { ok: true }, "the block still goes offline");
});

test("hard_offline_page: memory_failure() on a free page recovers it, a second time it is already poisoned; boot reservations and holes are refused", () => {
  const k = machine();
  const w = (v: string) => sysfsWrite(k, `${MEM}/hard_offline_page`, `${v}\n`);
  const lines = () => k.log.splice(0).map((l) => `<${l.level}> ${l.text}`);
  lines();
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "online_movable\n"), { ok: true });
  lines();
  assert.deepEqual(w("0x100201000"), { ok: true });
  assert.deepEqual(lines(), ["<3> Memory failure: 0x100201: recovery action for free buddy page: Recovered"]);
  assert.deepEqual(w("0x100201000"), { ok: false, errno: "EHWPOISON" });
  assert.deepEqual(lines(), ["<3> Memory failure: 0x100201: already hardware poisoned"], "6.1's words");
  assert.deepEqual(sysfsWrite(k, `${MEM}/soft_offline_page`, "0x100201000\n"), { ok: true });
  assert.deepEqual(lines(), ["<6> soft_offline_page: 0x100201 page already poisoned"]);
  assert.deepEqual(w("0x800000000"), { ok: false, errno: "ENXIO" });
  assert.deepEqual(lines(), ["<3> Memory failure: 0x800000: memory outside kernel control"]);
  assert.deepEqual(w("0x1000000"), { ok: false, errno: "EBUSY" }, "the kernel image");
  assert.deepEqual(lines(), ["<3> Memory failure: 0x1000: unhandlable page.", "<3> Memory failure: 0x1000: recovery action for unknown page: Ignored"]);
  assert.deepEqual(w("garbage"), { ok: false, errno: "EINVAL" });
  // offline_pages() skips the poisoned page; 6.1 onlines the block again.
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "offline\n"), { ok: true });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "online_movable\n"), { ok: true });
});

test("hard_offline_page: from 6.4 a block holding a poisoned page does not come online again (EHWPOISON); removal forgets the poison", () => {
  const sys = bootSystem({ type: "pc", memory: GiB, maxmem: 4 * GiB, slots: 2, cmdline: ["memhp_default_state=offline"] }, { boot: "derive", profile: "6.12" });
  sys.plugDimm({ id: "d1", size: 256 * MiB, addr: 4 * GiB });
  const k = sys.kernel;
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "online_movable\n"), { ok: true });
  assert.deepEqual(sysfsWrite(k, `${MEM}/hard_offline_page`, "0x100201000\n"), { ok: true });
  assert.deepEqual(sysfsWrite(k, `${MEM}/hard_offline_page`, "0x100201000\n"), { ok: false, errno: "EHWPOISON" });
  assert.equal(k.log.at(-1)?.text, "Memory failure: 0x100201: recovery action for already poisoned page: Failed");
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "offline\n"), { ok: true });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "online_movable\n"), { ok: false, errno: "EHWPOISON" });
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory33/state`, "online_movable\n"), { ok: true }, "the other block");
  sys.unplugDimm("d1");
  assert.equal(k.hwpoisoned.size, 0);
});

test("soft_offline_page of a boot reservation: \"unhandlable page.\", EIO, nothing marked; a page of an activated CMA area is movable", () => {
  const k = machine();
  k.log.splice(0);
  assert.deepEqual(sysfsWrite(k, `${MEM}/soft_offline_page`, "0x1000000\n"), { ok: false, errno: "EIO" }, "the kernel image");
  assert.deepEqual(k.log.splice(0).map((l) => `<${l.level}> ${l.text}`), ["<3> Memory failure: 0x1000: unhandlable page."]);
  assert.equal(k.hwpoisoned.size, 0);
  // a64-probe65-uefi-2g-soft-offline-reserved: 0xb5100000 is in 6.1's CMA area on a 2 GiB UEFI guest.
  const arm = bootSystem({ type: "virt", memory: 2 * GiB, maxmem: 16 * GiB, slots: 4, cmdline: [] }, { boot: "derive" }).kernel;
  assert.ok(arm.cmaAreas.some((a) => a.start <= 0xb5100 && 0xb5100 < a.end), "the CMA area");
  assert.ok(arm.isUnmovable(0xb5100, 0xb5101), "memblock reserved it");
  assert.deepEqual(sysfsWrite(arm, `${MEM}/soft_offline_page`, "0xb5100000\n"), { ok: true });
});

test("5.10's memory_failure() leaves a free page in the buddy (\"Delayed\"): a second report is no error, and alloc_contig_range() can still take the page", () => {
  const sys = bootSystem({ type: "pc", memory: GiB, maxmem: 4 * GiB, slots: 2, cmdline: ["memhp_default_state=offline"] }, { boot: "derive", profile: "5.10" });
  sys.plugDimm({ id: "d1", size: 256 * MiB, addr: 4 * GiB });
  const k = sys.kernel;
  const lines = () => k.log.splice(0).map((l) => `<${l.level}> ${l.text}`);
  assert.deepEqual(sysfsWrite(k, `${MEM}/memory32/state`, "online_movable\n"), { ok: true });
  lines();
  assert.deepEqual(sysfsWrite(k, `${MEM}/hard_offline_page`, "0x100201000\n"), { ok: true });
  assert.deepEqual(lines(), ["<3> Memory failure: 0x100201: recovery action for free buddy page: Delayed"]);
  // x-probe68-vm-2m-hwpoison-unplug.bullseye step 3: TestSetPageHWPoison() reports and returns 0.
  assert.deepEqual(sysfsWrite(k, `${MEM}/hard_offline_page`, "0x100201000\n"), { ok: true });
  assert.deepEqual(lines(), ["<3> Memory failure: 0x100201: already hardware poisoned"]);
  assert.equal(k.hwpoisonTakenIn(0x100000, 0x108000), null, "still a free buddy page");
  // soft_offline_page() takes its page off the buddy: that one alloc_contig_range() cannot have.
  assert.deepEqual(sysfsWrite(k, `${MEM}/soft_offline_page`, "0x100402000\n"), { ok: true });
  assert.equal(k.hwpoisonTakenIn(0x100000, 0x108000), 0x100402);
  // 6.1 takes the hard-offlined page too.
  const six = bootSystem({ type: "pc", memory: GiB, maxmem: 4 * GiB, slots: 2, cmdline: ["memhp_default_state=offline"] }, { boot: "derive", profile: "6.1" });
  six.plugDimm({ id: "d1", size: 256 * MiB, addr: 4 * GiB });
  assert.deepEqual(sysfsWrite(six.kernel, `${MEM}/memory32/state`, "online_movable\n"), { ok: true });
  assert.deepEqual(sysfsWrite(six.kernel, `${MEM}/hard_offline_page`, "0x100201000\n"), { ok: true });
  assert.equal(six.kernel.hwpoisonTakenIn(0x100000, 0x108000), 0x100201);
});

test("5.10's valid_zones of an online block: `none` where a MAX_ORDER chunk starts in device pages (legacy PMEM in the block), its zone where it starts in a plain hole", () => {
  const zonesOf6 = (cmdline: string[], profile: string) => {
    const sys = bootSystem({ type: "pc", memory: GiB, maxmem: 4 * GiB, slots: 2, cmdline }, { boot: "derive", profile });
    return sysfsRead(sys.kernel, `${MEM}/memory6/valid_zones`);
  };
  // x-probe69-acpi-data.bullseye: ACPI data (E820 type 3, no memblock memory) over the first 64 MiB of memory6.
  assert.deepEqual(zonesOf6(["memmap=64M#0x30000000"], "5.10"), { ok: true, value: "DMA32\n" });
  // x-probe69-reserve-mid.bullseye (q35): the same for a reserved range; legacy-pmem-collision.bullseye: PMEM reads none.
  assert.deepEqual(zonesOf6(["memmap=64M$0x30000000"], "5.10"), { ok: true, value: "DMA32\n" });
  assert.deepEqual(zonesOf6(["memmap=64M!0x30000000"], "5.10"), { ok: true, value: "none\n" });
  assert.deepEqual(zonesOf6(["memmap=64M!0x30000000"], "6.1"), { ok: true, value: "DMA32\n" });
});
