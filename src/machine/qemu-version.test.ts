/**
 * The QEMU release a machine boots on (qemu-version.ts) and what it changes:
 * SeaBIOS 1.16.3's 64-bit PCI placement and QEMU 10.0's SMBIOS table, on the
 * machines of test/oracle/cxl/cxl-probe78-ram-4g.trixie and
 * cxl-pmem-65g-2g-blocks(.trixie).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB } from "../kernel/units.js";
import { renderIomem } from "../kernel/resource.js";
import { resolveRules } from "../kernel/profile.js";
import { deriveBootLayout } from "./qemu.js";
import { qemuMap, seabiosE820, smbiosTableLength } from "./qemu-map.js";
import { qemuVersionOf, traceQemuVersion } from "./qemu-version.js";
import type { MachineSpec } from "./types.js";
import { CXL_ONE_VOLATILE } from "../testing/cxl-specs.js";

const cxl4g: MachineSpec = {
  type: "q35",
  memory: 4 * GiB,
  smp: 1,
  cmdline: [],
  cxl: CXL_ONE_VOLATILE,
};

test("qemuVersionOf: the machine's own, else 10.0 for CXL from 6.12 (rule cxlQemu), else 7.2", () => {
  assert.equal(qemuVersionOf(cxl4g, resolveRules("6.1")), "7.2");
  assert.equal(qemuVersionOf(cxl4g, resolveRules("6.12")), "10.0");
  assert.equal(qemuVersionOf(cxl4g, resolveRules("7.2")), "10.0");
  assert.equal(qemuVersionOf({ ...cxl4g, cxl: undefined }, resolveRules("6.12")), "7.2");
  assert.equal(qemuVersionOf({ ...cxl4g, qemu: "7.2" }, resolveRules("6.12")), "7.2");
});

test("traceQemuVersion: a trace's qemu field, modelled releases only", () => {
  assert.equal(traceQemuVersion("QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)"), "10.0");
  assert.equal(traceQemuVersion("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), "7.2");
  assert.equal(traceQemuVersion("QEMU emulator version 8.2.2"), null);
  assert.equal(traceQemuVersion(undefined), null);
});

test("SMBIOS: QEMU 10.0 has one memory device, so a 65 GiB q35's table stays in the F segment (7ffe0000, not 7ffdf000)", () => {
  const spec: MachineSpec = { type: "q35", memory: 65 * GiB, smp: 1, cmdline: [] };
  const old = qemuMap(spec, "7.2");
  const now = qemuMap(spec, "10.0");
  assert.equal(smbiosTableLength(spec, old), 621);
  assert.equal(smbiosTableLength(spec, now), 411);
  const reserved = (m: typeof old) => seabiosE820(spec, m).find((e) => e.end === 0x80000000)!.start.toString(16);
  assert.equal(reserved(old), "7ffdf000");
  assert.equal(reserved(now), "7ffe0000");
});

test("a 4 GiB CXL q35 on QEMU 10.0: 64-bit BARs and windows high, bus 0's 64-bit _CRS around them, the AHCI BAR reassigned", () => {
  const iomem = renderIomem(deriveBootLayout(cxl4g, resolveRules("6.12")).iomem);
  for (const line of [
    "80000000-afffffff : PCI Bus 0000:00",
    "  80000000-80000fff : 0000:00:1f.2",
    "c0000000-fe5fffff : PCI Bus 0000:00",
    "fe600000-fe9fffff : PCI Bus 0000:0c",
    "2c0000000-bfffffffff : PCI Bus 0000:00",
    "c000000000-c00001ffff : PCI Bus 0000:0c",
    "c000020000-c03fffffff : PCI Bus 0000:00",
    "c040000000-c07fffffff : PCI Bus 0000:0c",
  ])
    assert.ok(iomem.includes(line), `${line}\n${iomem.join("\n")}`);
  assert.ok(!iomem.some((l) => l.startsWith("fea00000")), iomem.join("\n"));
  // The same machine on QEMU 7.2 keeps everything below 4 GiB.
  const old = renderIomem(deriveBootLayout({ ...cxl4g, qemu: "7.2" }, resolveRules("6.12")).iomem);
  assert.ok(old.includes("  fe620000-fe620fff : 0000:00:1f.2"), old.join("\n"));
  assert.ok(old.includes("2c0000000-abfffffff : PCI Bus 0000:00"), old.join("\n"));
});
