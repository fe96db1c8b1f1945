/**
 * The address-to-node lookups. arm64's against what the real kernels logged
 * at boot (conformance leaves the boot log out, so these lines are checked
 * here): under ACPI the faked node leaves every proximity domain without a
 * node, and the NFIT and virtio-mem drivers fall back to the address. x86's
 * against the SRAT QEMU builds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toRunnable } from "../scenario/resolve-text.js";
import { runScenario } from "../scenario/runner.js";
import { traceProfile } from "../scenario/check.js";
import { REPO_ROOT } from "../testing/paths.js";
import { deriveBootLayout } from "../machine/qemu.js";
import type { MachineSpec } from "../machine/types.js";
import { bootKernel } from "./boot.js";
import { memoryAddPhysaddrToNid, physToTargetNode } from "./numa-addr.js";
import { GiB } from "./units.js";

const NUMA_LINES = /changing (numa|target) node|Unknown (online|target) node|virtio_mem virtio\d+: nid:/;

function bootLines(file: string): { real: string[]; model: string[] } {
  const path = join(REPO_ROOT, "test", "oracle", "arm64", "traces", file);
  const text = readFileSync(path, "utf8");
  const { scenario, trace } = toRunnable(text, path);
  const raw = trace!.raw as { boot: { dmesg: string[] } };
  const run = runScenario(scenario, { boot: "derive", profile: traceProfile(raw as Record<string, unknown>, path) });
  return { real: raw.boot.dmesg.filter((l) => NUMA_LINES.test(l)), model: run.boot.dmesg.filter((l) => NUMA_LINES.test(l)) };
}

test("an NVDIMM on a CPU-less NUMA node 0 under UEFI: 6.1's stubs say node 0, 6.12 and 7.2 find the SRAT's node 1 for the target", () => {
  for (const f of ["a64-probe38-uefi-numa2-cpuless0-nv-node0.json", "a64-probe38-uefi-numa2-cpuless0-nv-node0.trixie.json", "a64-probe38-uefi-numa2-cpuless0-nv-node0.sid.json"]) {
    const { real, model } = bootLines(f);
    assert.ok(real.some((l) => l.includes("changing target node from -1 to")), f);
    assert.deepEqual(model, real, f);
  }
  assert.ok(bootLines("a64-probe38-uefi-numa2-cpuless0-nv-node0.json").real.includes("Unknown target node for memory at 0xc0000000, assuming node 0"));
  assert.ok(bootLines("a64-probe38-uefi-numa2-cpuless0-nv-node0.sid.json").real.some((l) => l.endsWith("changing target node from -1 to 1 for nfit region [0x00000000c0000000-0x00000000dfffffff]")));
});

test("virtio-mem on NUMA node 1 under UEFI: no node from its PXM; 6.1's stub says node 0 once, 7.2 looks it up", () => {
  for (const f of ["a64-probe30-uefi-numa2-vm-node1-movable.json", "a64-probe30-uefi-numa2-vm-node1-movable.sid.json", "a64-probe30-uefi-1cpu-vm-2m-online-512m.json"]) {
    const { real, model } = bootLines(f);
    assert.deepEqual(model, real, f);
  }
  assert.deepEqual(bootLines("a64-probe30-uefi-1cpu-vm-2m-online-512m.json").real, ["Unknown online node for memory at 0x80000000, assuming node 0", "virtio_mem virtio0: nid: 0"]);
});

test("x86 under ACPI: the SRAT's node for an address (the hotplug range's node above RAM), -1 outside it; the dummy node 0 without an SRAT", () => {
  const spec = (numa: MachineSpec["numa"]): MachineSpec => ({ type: "pc", memory: 2 * GiB, maxmem: 8 * GiB, slots: 2, cmdline: [], numa });
  const two = deriveBootLayout(spec([{ nodeid: 0, cpus: "0", mem: 1 * GiB }, { nodeid: 1, mem: 1 * GiB }]));
  const k = bootKernel(two, { cmdline: [], profile: "6.1" });
  assert.equal(k.numaFirmware.kind, "acpi");
  assert.equal(physToTargetNode(k, 0x1000), 0);
  assert.equal(physToTargetNode(k, 1.5 * GiB), 1);
  // QEMU's SRAT gives the device-memory region (from 4 GiB) to the last node as hot-pluggable.
  assert.equal(physToTargetNode(k, 4 * GiB), 1);
  assert.equal(physToTargetNode(k, 64 * GiB), -1);
  // memory_add_physaddr_to_nid(): numa_meminfo's block, else its first block's node.
  assert.equal(memoryAddPhysaddrToNid(k, 1.5 * GiB), 1);
  assert.equal(memoryAddPhysaddrToNid(k, 4 * GiB), 0);

  // With maxmem QEMU builds an SRAT even without -numa: node 0, the device-memory region hot-pluggable.
  const one = bootKernel(deriveBootLayout(spec(undefined)), { cmdline: [], profile: "6.1" });
  assert.equal(physToTargetNode(one, 4 * GiB), 0);
  assert.equal(physToTargetNode(one, 64 * GiB), -1);
  // Without it there is no SRAT: dummy_numa_init()'s node 0 up to the end of RAM.
  const flat = bootKernel(deriveBootLayout({ type: "pc", memory: 2 * GiB, cmdline: [] }), { cmdline: [], profile: "6.1" });
  assert.equal(physToTargetNode(flat, 1 * GiB), 0);
  assert.equal(physToTargetNode(flat, 4 * GiB), -1);
  assert.equal(memoryAddPhysaddrToNid(flat, 4 * GiB), 0);
});
