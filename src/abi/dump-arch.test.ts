import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { guessArch } from "./dump-arch.js";
import { parseIomem } from "./iomem-parse.js";
import { dumpToSnapshot } from "./dump.js";
import { readDump } from "./dump-read.js";
import { makeMachineFile } from "../scenario/machine-file.js";
import { SHARED, traceFile } from "../testing/paths.js";
import { runCli } from "../testing/cli.js";

const ARM = join(SHARED, "conformance", "arm64", "traces", "6.1", "arm64-virtio-mem.json");

test("a dump's iomem and zone spans tell arm64 (and its page size) from x86_64", () => {
  const a = JSON.parse(readFileSync(ARM, "utf8")).boot.snapshot;
  const g = guessArch(parseIomem(a.iomem, "iomem"), a.zoneinfo);
  assert.equal(g.arch, "arm64-4k");
  assert.match(g.why, /ARMH0011:00.*4K pages \(zone start pfns land on iomem ranges\)/);
  const x = JSON.parse(readFileSync(traceFile("boot-1g"), "utf8")).boot.snapshot;
  assert.equal(guessArch(parseIomem(x.iomem, "iomem"), x.zoneinfo).arch, "x86_64");
  const none = guessArch(null, undefined);
  assert.equal(none.sure, false);
  assert.match(none.why, /give --arch/);
});

test("an arm64 dump imports as a QEMU virt machine with arm64 zone limits; --arch decides where the dump cannot", async () => {
  const dir = mkdtempSync(join(tmpdir(), "memhp-a64-"));
  try {
    const exp = await runCli(["export-sysfs", `${ARM}@1`, join(dir, "d")]);
    assert.equal(exp.code, 0, exp.stderr);
    const r = dumpToSnapshot(readDump(join(dir, "d")));
    assert.equal(r.arch, "arm64-4k");
    const mf = makeMachineFile(r.snapshot, { name: "d", source: "d", inferred: r.inferred, arch: r.arch });
    assert.equal(mf.machine.type, "virt");
    assert.equal(mf.machine.arch, "arm64-4k");
    // Without /proc the dump cannot tell: x86_64 is assumed and said so, unless --arch says.
    rmSync(join(dir, "d", "proc"), { recursive: true });
    const plain = dumpToSnapshot(readDump(join(dir, "d")));
    assert.equal(plain.arch, "x86_64");
    assert.ok(plain.inferred.some((i) => /x86_64 assumed \(give --arch\)/.test(i)));
    const imp = await runCli(["import", join(dir, "d"), "--arch", "arm64", "-o", join(dir, "m.json")]);
    assert.equal(imp.code, 0, imp.stderr);
    const m = JSON.parse(readFileSync(join(dir, "m.json"), "utf8"));
    assert.equal(m.machine.arch, "arm64-4k");
    assert.equal(m.machine.type, "virt");
    // arm64 zone limits: with no zoneinfo, boot RAM below 4 GiB is ZONE_DMA (x86_64 would call it DMA32).
    assert.ok(m.snapshot.zoneinfo.node0.DMA.spanned > 0 && m.snapshot.zoneinfo.node0.DMA32.spanned === 0, JSON.stringify(m.snapshot.zoneinfo));
    const bad = await runCli(["import", join(dir, "d"), "--arch", "mips", "-o", join(dir, "n.json")]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--arch: unknown architecture "mips"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
