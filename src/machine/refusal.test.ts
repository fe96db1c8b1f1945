/**
 * Machines QEMU refuses to start (or the kernel panics on) are bad input:
 * exit 2, the file line of the field at fault, QEMU's or the kernel's own
 * words — never an internal error (issue 12, item 2).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../testing/cli.js";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-refusal-"));
process.on("exit", () => fs.rmSync(ROOT, { recursive: true, force: true }));

const CASES: [string, string, RegExp, RegExp][] = [
  ["NVDIMM outside the device-memory region", "{type: pc, memory: 1G, maxmem: 4G, slots: 2, nvdimms: [{id: n1, size: 1G, addr: 0x40000000}]}", /machine\.nvdimms\[0\]\.addr/, /qemu-system-x86_64: can't add memory device \[0x40000000:0x40000000\], usable range for memory devices \[0x100000000:/],
  ["NVDIMM too large", "{type: pc, memory: 1G, maxmem: 4G, slots: 2, nvdimms: [{id: n1, size: 8G}]}", /machine\.nvdimms\[0\]\.size/, /qemu-system-x86_64: not enough space, currently 0x0 in use of total space for memory devices 0xc0000000/],
  ["virtio-mem too large", "{type: q35, memory: 1G, maxmem: 4G, virtio_mem: [{id: v1, size: 8G}]}", /machine\.virtio_mem\[0\]\.size/, /not enough space/],
  ["virtio-mem at address 0", "{type: q35, memory: 1G, maxmem: 4G, virtio_mem: [{id: v1, size: 1G, addr: 0}]}", /machine\.virtio_mem\[0\]\.addr/, /can't add memory device \[0x0:0x40000000\]/],
  ["label area too small", "{type: pc, memory: 1G, maxmem: 4G, slots: 2, nvdimms: [{id: n1, size: 1G, label_size: 4K}]}", /machine\.nvdimms\[0\]\.label_size/, /at least 128K/],
  ["label area larger than the NVDIMM", "{type: pc, memory: 1G, maxmem: 4G, slots: 2, nvdimms: [{id: n1, size: 256K, label_size: 256K}]}", /machine\.nvdimms\[0\]\.label_size/, /leaves no room for PMEM/],
  ["maxmem beyond the CPU's phys-bits", "{type: pc, memory: 1G, maxmem: 2T, slots: 2}", /machine\.maxmem/, /Address space limit 0xffffffffff < 0x201bfffffff phys-bits too low \(40\)/],
  ["RAM beyond the CPU's phys-bits", "{type: q35, memory: 1500G}", /machine\.memory/, /phys-bits too low \(40\)/],
  ["block_size below an arm64-64k section", "{type: synthetic, arch: arm64-64k, memory: 4G, block_size: 256M}", /machine\.block_size/, /Memory block size not suitable: 0x10000000/],
  ["synthetic x86_64 RAM beyond 64 TiB without 5-level paging", "{type: synthetic, memory: 65T}", /machine\.memory/, /beyond what x86_64 can address.*la57/],
  ["a device id QEMU does not take (id_wellformed)", "{type: virt, memory: 1G, maxmem: 4G, slots: 2, nvdimms: [{id: nv1, size: 256M}, {id: 2nd, size: 256M}]}", /machine\.nvdimms\[1\]\.id/, /device id "2nd": Parameter 'id' expects an identifier/],
  ["a virtio-mem id with a comma (QEMU's option separator)", "{type: q35, memory: 1G, maxmem: 4G, virtio_mem: [{id: 'v,1', size: 1G}]}", /machine\.virtio_mem\[0\]\.id/, /Parameter 'id' expects an identifier/],
  ["NUMA node ids with a gap", "{type: pc, memory: 1G, numa: [{nodeid: 0, mem: 512M}, {nodeid: 2, mem: 512M}]}", /machine\.numa\[1\]/, /numa: Node ID missing: 1/],
  ["arm64 (virt): QEMU's words come from qemu-system-aarch64", "{type: virt, acpi: false, memory: 1G, numa: [{nodeid: 0, mem: 512M}, {nodeid: 2, mem: 512M}]}", /machine\.numa\[1\]/, /qemu-system-aarch64: numa: Node ID missing: 1/],
];

for (const [what, machine, field, words] of CASES) {
  test(`refused machine: ${what}`, async () => {
    const file = path.join(ROOT, `${what.replace(/\W+/g, "-")}.yaml`);
    fs.writeFileSync(file, `name: x\nmachine: ${machine}\nsteps: []\n`);
    const trace = path.join(ROOT, "out.json");
    const r = await runCli(["run", file, "--trace", trace]);
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.match(r.stderr, new RegExp(`^memhp: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:\\d+: `));
    assert.match(r.stderr, field);
    assert.match(r.stderr, words);
    assert.equal(fs.existsSync(trace), false);
  });
}

test("a synthetic machine of 65 TiB boots with 5-level paging", async () => {
  const file = path.join(ROOT, "la57.yaml");
  fs.writeFileSync(file, "name: x\nmachine: {type: synthetic, memory: 65T, la57: true, block_size: 2G}\nsteps: []\n");
  const r = await runCli(["run", file]);
  assert.equal(r.code, 0, r.stderr);
});
