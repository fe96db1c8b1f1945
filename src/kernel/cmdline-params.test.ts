/**
 * Kernel command-line words found by held-out recordings (test/oracle/traces/x-probe12-*, kernels/{bullseye,trixie,sid}):
 * memory_hotplug.memmap_on_memory=force (6.6+) and numa=off.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { paramsFromCmdline } from "./boot.js";
import { getProfile } from "./profile.js";
import { deriveBootLayout } from "../machine/qemu.js";
import { scenarioFromValue } from "../scenario/load.js";

test("memmap_on_memory=force: on from 6.6 with the memmap padded to pageblocks; 6.1 parses it as a boolean (false)", () => {
  const force = ["memory_hotplug.memmap_on_memory=force"];
  const p612 = paramsFromCmdline(force, getProfile("6.12")).params;
  assert.deepEqual([p612.memmapOnMemory, p612.memmapOnMemoryForce], [true, true]);
  const p61 = paramsFromCmdline(force, getProfile("6.1")).params;
  assert.deepEqual([p61.memmapOnMemory, p61.memmapOnMemoryForce], [false, false]);
  assert.equal(paramsFromCmdline(["memory_hotplug.memmap_on_memory=1"], getProfile("7.2")).params.memmapOnMemoryForce, false);
});

test("numa=off on x86: one node, no SRAT, every device's proximity domain on node 0", () => {
  const machine = (cmdline: string[]) =>
    scenarioFromValue({ name: "t", machine: { type: "q35", memory: "2G", smp: 2, maxmem: "8G", slots: 2, numa: [{ nodeid: 0, cpus: "0", mem: "1G" }, { nodeid: 1, cpus: "1", mem: "1G" }], cmdline }, steps: [] }, "t").machine;
  const off = deriveBootLayout(machine(["numa=off"]));
  assert.deepEqual(off.possibleNodes, [0]);
  assert.deepEqual(off.cpusByNode, { 0: [0, 1] });
  assert.deepEqual(off.srat, []);
  assert.ok(off.memblock.every((r) => r.nid === 0));
  assert.equal(off.pxmToNode?.[1], 0);
  const on = deriveBootLayout(machine([]));
  assert.deepEqual(on.possibleNodes, [0, 1]);
});
