/**
 * Where edk2 loads the kernel and the EFI stub puts the image, the initrd and its device tree (efiLoad in
 * arm64-edk2.ts), against every recorded efi=debug memory map on arm64: edk2's "Loader Code" ranges below the first
 * node's top are the PE image's allocation and, when the stub copied the image, the copy; "Loader Data" holds the
 * initrd and the stub's device tree. Maps with a 256 MiB first node (a64-*node0-256m-dbg) push the loader's buffer,
 * the PE image or the copy below edk2's fixed blocks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { jsonFiles, REPO_ROOT } from "../testing/paths.js";
import { scenarioFromValue } from "../scenario/load.js";
import { arm64Build } from "./arm64-boot.js";
import { EDK2_FIXED_BLOCKS, efiLoad } from "./arm64-edk2.js";
import { virtMap } from "./virt.js";
import { alignUp, MiB } from "../kernel/units.js";

interface Trace {
  kernel: string;
  scenario: unknown;
  qemu_args: string[];
  boot: { dmesg: string | string[] };
}

interface EfiRange {
  start: number;
  end: number;
  type: string;
}

/** The EFI memory map the kernel printed with efi=debug ("efi:   0x...-0x... [Type ..."). */
function efiMap(t: Trace): EfiRange[] {
  const lines = typeof t.boot.dmesg === "string" ? t.boot.dmesg.split("\n") : t.boot.dmesg;
  const out: EfiRange[] = [];
  for (const l of lines) {
    const m = /efi: {3}0x([0-9a-f]+)-0x([0-9a-f]+) \[([A-Za-z0-9 ]+?)\s*\|/.exec(l);
    if (m) out.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16) + 1, type: m[3]! });
  }
  return out;
}

const dirs = ["traces", "quirks"].map((d) => join(REPO_ROOT, "test", "oracle", "arm64", d));
const maps = dirs
  .flatMap((d) => jsonFiles(d))
  .map((f) => ({ f, t: JSON.parse(readFileSync(f, "utf8")) as Trace }))
  .filter(({ t }) => t.qemu_args.includes("-bios") && efiMap(t).length > 0);

test("the efi=debug evidence covers every build, a 256 MiB first node and NVDIMMs", () => {
  const names = maps.map(({ f }) => basename(f));
  for (const want of ["a64-efi-debug-vm0.json", "a64-efi-debug-1g.sid.json", "a64-16k-efi-debug-1g.trixie.json", "a64-efi-node0-256m-dbg.json", "a64-uefi-node0-256m-dbg.trixie.json", "a64-uefi-node0-256m-dbg.sid.json", "a64-16k-efi-node0-256m-dbg.trixie.json", "a64-efi-debug-nv1-vm0.json"]) {
    assert.ok(names.includes(want), `no ${want}`);
  }
});

for (const { f, t } of maps) {
  test(`${basename(f, ".json")}: edk2 and the EFI stub place the kernel where the map shows it`, () => {
    const machine = scenarioFromValue({ ...(t.scenario as object), steps: [] }, f).machine;
    const pageSize = machine.arch === "arm64-16k" ? 16384 : 4096;
    const build = arm64Build(t.kernel, pageSize)!;
    const map = virtMap(machine);
    const first = machine.numa?.find((n) => (n.mem ?? 0) > 0);
    const top = first ? map.ramBase + first.mem! : map.ramTop;
    const nvdimm = (machine.nvdimms ?? []).length > 0;
    const got = efiLoad(map.ramBase, top, build.uefiLoad, build.image.size, build.initrdSize, nvdimm ? build.nvdimmNvs : null);
    assert.ok(got);
    const efi = efiMap(t).filter((r) => r.start >= map.ramBase && r.end <= top);
    const code = efi.filter((r) => r.type === "Loader Code").map((r) => [r.start, r.end]);
    const want = got.text === alignUp(got.pe, 0x10000) ? [[got.pe, got.pe + build.uefiLoad.peSize]] : [[got.text, got.text + build.image.size], [got.pe, got.pe + build.uefiLoad.peSize]].sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(code, want, "Loader Code: the PE image's allocation and the stub's copy");
    // The initrd's and the device tree's allocations are Loader Data (merged with neighbours of that type).
    const data = efi.filter((r) => r.type === "Loader Data");
    for (const [what, at, size] of [["initrd", got.initrd, alignUp(build.initrdSize, 0x10000)], ["device tree", got.fdt, 2 * MiB]] as const) {
      assert.ok(data.some((r) => r.start <= at && at + size <= r.end), `${what} at ${at.toString(16)} is Loader Data`);
    }
    // Nothing lands on edk2's fixed blocks.
    for (const b of EDK2_FIXED_BLOCKS) {
      const s = map.ramBase + b.off;
      const over = efi.filter((r) => r.start < s + b.size && s < r.end);
      assert.ok(over.length > 0 && over.every((r) => r.type.startsWith("Boot") && r.start >= s && r.end <= s + b.size), `fixed block at ${s.toString(16)}`);
    }
  });
}
