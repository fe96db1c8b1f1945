/**
 * SeaBIOS bus 0 placement (seabios-pci.ts): 1.16.2's layout below the IOAPIC
 * and 1.16.3's padded 64-bit window, on the CXL topology of
 * test/oracle/cxl/cxl-probe78-ram-4g.trixie (one pxb-cxl with two root
 * ports, a device behind the first).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB, MiB } from "../kernel/units.js";
import { cxlPciEntries, type CxlSpec } from "./cxl-platform.js";
import { CXL_ONE_VOLATILE } from "../testing/cxl-specs.js";
import { bridgeWindow, flattenPlaced, placeRootRegions, type Mem64Options, type PciEntry } from "./seabios-pci.js";

const CXL: CxlSpec = CXL_ONE_VOLATILE;
const AHCI: PciEntry = { name: "0000:00:1f.2", size: 4096, align: 4096, pref: false };
const TOP = 2 ** 40; // qemu64: 40 phys-bits
const HT = { start: 0xfd00000000, end: 0x10000000000 }; // QEMU's E820 reservation of the AMD HyperTransport hole
const mem64 = (pad: boolean): Mem64Options => ({ top: TOP, pad, lowest: 0x2c0000000, used: (s, n) => s + n > HT.start && s < HT.end });

/** name (window: "W name pref"/"W name mem") -> "start-end" in hex. */
function layout(entries: PciEntry[], opts?: Mem64Options): Record<string, string> {
  const placed = placeRootRegions(entries, 0xc0000000, opts);
  assert.ok(placed);
  const out: Record<string, string> = {};
  for (const p of flattenPlaced(placed)) {
    const key = p.entry.children ? `W ${p.entry.name} ${p.entry.pref ? "pref" : "mem"}` : `${p.entry.name} bar${p.entry.bar ?? "?"}`;
    out[key] = `${p.start.toString(16)}-${p.end.toString(16)}`;
  }
  return out;
}

test("1.16.2 (and 1.16.3 without RAM above 4 GiB): everything packed down from the IOAPIC, as QEMU 7.2 traces show", () => {
  for (const opts of [undefined, mem64(false)]) {
    const l = layout([AHCI, ...cxlPciEntries(CXL)], opts);
    assert.equal(l["W 0000:0e mem"], "fe200000-fe3fffff");
    assert.equal(l["W 0000:0d mem"], "fe400000-fe5fffff");
    assert.equal(l["0000:0c:00.0 bar0"], "fe600000-fe60ffff");
    assert.equal(l["0000:0c:01.0 bar0"], "fe610000-fe61ffff");
    assert.equal(l["0000:00:1f.2 bar?"], "fe620000-fe620fff");
    assert.equal(l["W 0000:0e pref"], "fe800000-fe9fffff");
    assert.equal(l["W 0000:0d pref"], "fea00000-febfffff");
  }
});

test("1.16.3 with RAM above 4 GiB: 64-bit entries go high, padded to 2^40/8 and moved off the HyperTransport hole", () => {
  const l = layout([AHCI, ...cxlPciEntries(CXL, TOP / 2048)], mem64(true));
  // Below 4 GiB: the bridges' 32-bit windows, then the AHCI BAR (the kernel finds it in no window and moves it).
  assert.equal(l["W 0000:0e mem"], "fe600000-fe7fffff");
  assert.equal(l["W 0000:0d mem"], "fe800000-fe9fffff");
  assert.equal(l["0000:0d:00.0 bar0"], "fe800000-fe80ffff");
  assert.equal(l["0000:00:1f.2 bar?"], "fea00000-fea00fff");
  // 0xe000000000 (top less 128 GiB) meets the hole at 0xfd00000000: one size down.
  assert.equal(l["0000:0c:00.0 bar0"], "c000000000-c00000ffff");
  assert.equal(l["0000:0c:01.0 bar0"], "c000010000-c00001ffff");
  assert.equal(l["W 0000:0e pref"], "c040000000-c05fffffff");
  assert.equal(l["W 0000:0d pref"], "c060000000-c07fffffff");
});

test("1.16.3 padding: without an E820 entry in the way the window sits at the top less its padded size", () => {
  const l = layout([AHCI, ...cxlPciEntries(CXL, TOP / 2048)], { ...mem64(true), used: () => false });
  assert.equal(l["0000:0c:00.0 bar0"], "e000000000-e00000ffff");
  assert.equal(l["W 0000:0e pref"], "e040000000-e05fffffff");
});

test("bridgeWindow: a hotplug bridge's 64-bit prefetchable window takes the padded size; a 32-bit one or a MEM window 2 MiB", () => {
  const pad = { pref64: true, padAlign: 512 * MiB };
  assert.deepEqual([bridgeWindow("0000:0d", true, [], true, pad)!.size, bridgeWindow("0000:0d", true, [], true, pad)!.is64], [512 * MiB, true]);
  assert.equal(bridgeWindow("0000:0d", true, [], true, { padAlign: 512 * MiB })!.size, 2 * MiB);
  assert.equal(bridgeWindow("0000:0d", false, [], true, pad)!.size, 2 * MiB);
  assert.equal(bridgeWindow("0000:0d", true, [{ name: "x", size: 4096, align: 4096, pref: true }], true, pad)!.size, 2 * MiB);
  assert.equal(bridgeWindow("0000:0d", true, [], true, { pref64: true })!.size, 2 * MiB);
});
