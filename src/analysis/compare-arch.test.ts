import { test } from "node:test";
import assert from "node:assert/strict";
import { portScenario, whyNotPortable } from "./compare-arch.js";
import { compareScenario } from "./compare.js";
import { GiB } from "../kernel/units.js";
import type { RunnableScenario } from "../scenario/runner.js";

const dimm: RunnableScenario = {
  name: "dimm",
  machine: { type: "pc", memory: GiB, maxmem: 8 * GiB, slots: 4, cmdline: ["memhp_default_state=offline"] },
  steps: [
    { op: "plug-dimm", id: "d1", size: "1G", addr: "0x100000000" },
    { op: "write", path: "/sys/devices/system/memory/memory32/state", value: "online_movable" },
    { op: "write", path: "/sys/devices/system/memory/memory8/state", value: "offline" },
  ],
};

test("a pc scenario moves to virt with device-memory addresses and hotplug block numbers kept relative to the region", () => {
  const a = portScenario(dimm, "arm64");
  assert.equal(a.machine.type, "virt");
  assert.equal(a.steps[0].addr, "0x80000000");
  assert.equal(a.steps[1].path, "/sys/devices/system/memory/memory16/state");
  assert.equal(a.steps[2].path, "/sys/devices/system/memory/memory8/state", "boot blocks keep their numbers");
  const back = portScenario(a, "x86_64");
  assert.equal(back.machine.type, "pc");
  assert.equal(back.steps[0].addr, "0x100000000");
  assert.match(whyNotPortable({ ...dimm, machine: { ...dimm.machine, cmdline: ["memmap=1G!4G"] } }, "arm64") ?? "", /x86-only/);
});

test("compare across architectures: the same DIMM gives System RAM on x86_64 and nothing on Debian's arm64", () => {
  const { runs } = compareScenario(dimm, ["6.1"], ["fixed"], undefined, ["x86_64", "arm64"]);
  assert.deepEqual(runs.map((r) => r.arch), ["x86_64", "arm64"]);
  assert.ok(runs[0].usable_ram_bytes > runs[1].usable_ram_bytes + GiB / 2, JSON.stringify(runs.map((r) => r.usable_ram_bytes)));
});
