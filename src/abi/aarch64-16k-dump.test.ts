/**
 * util-linux's aarch64 16K dump (tests/ts/lsmem/dumps/aarch64_16K_16g: an
 * arm64 machine with 16K pages, 16 GiB from 1 TiB, 128 MiB blocks
 * memory8192..) imported into the model: the model's 16K geometry gives back
 * the dump file by file and util-linux's expected lsmem output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../testing/cli.js";
import { treeOf } from "../testing/tree.js";
import { ARM64_16K, ARM64_4K, ARM64_64K, X86_64, defaultBlockSize, pagesPerSection, subsectionsPerSection, zoneLimits } from "../kernel/arch.js";
import { GiB, MiB } from "../kernel/units.js";

const DATA = fileURLToPath(new URL("../../test/util-linux/lsmem/", import.meta.url));
const DUMP = path.join(DATA, "dumps", "aarch64_16K_16g.tar.bz2");

/** util-linux's expected file: "\n---\n\n$ lsmem OPTIONS\n" then stdout, per invocation. */
function invocations(): { args: string[]; stdout: string }[] {
  const text = fs.readFileSync(path.join(DATA, "expected", "lsmem-aarch64_16K_16g"), "utf8");
  return text
    .split("\n---\n\n")
    .slice(1)
    .map((p) => {
      const nl = p.indexOf("\n");
      return { args: p.slice("$ lsmem ".length, nl).split(" ").filter(Boolean), stdout: p.slice(nl + 1) };
    });
}

test("arm64 geometry per page size: SECTION_SIZE_BITS 27 (4K, 16K) and 29 (64K) in 6.1 and 6.12, blocks of one section, 2 MiB sub-sections", () => {
  // arch/arm64/include/asm/sparsemem.h (v6.1.119 and v6.12.19 alike); MAX_ORDER / ARCH_FORCE_MAX_ORDER in arch/arm64/Kconfig.
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => Math.log2(g.sectionSize)), [27, 27, 29]);
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => g.subsectionSize), [2 * MiB, 2 * MiB, 2 * MiB]);
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => pagesPerSection(g)), [32768, 8192, 8192]);
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => subsectionsPerSection(g)), [64, 64, 256]);
  // The largest buddy chunk (2^MAX_ORDER-1 pages): 4 MiB, 32 MiB, 512 MiB; the pageblock is the PMD size.
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => (g.maxOrderPages * g.pageSize) / MiB), [4, 32, 512]);
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => g.pageblockSize / MiB), [2, 32, 512]);
  // arm64 does not override memory_block_size_bytes(): one section per block.
  assert.deepEqual([ARM64_4K, ARM64_16K, ARM64_64K].map((g) => defaultBlockSize(g, 16 * GiB, true) / MiB), [128, 128, 512]);
});

test("arm64 zone limits follow the start of DRAM (max_zone_phys): 4 GiB for ZONE_DMA on QEMU virt, everything DMA when RAM starts above 4 GiB", () => {
  assert.deepEqual(zoneLimits(ARM64_4K, 0x40000000), [4 * GiB, 4 * GiB, Number.MAX_SAFE_INTEGER]);
  assert.deepEqual(zoneLimits(ARM64_16K, 2 ** 40), [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
  assert.deepEqual(zoneLimits(X86_64, 2 ** 40), [16 * MiB, 4 * GiB, Number.MAX_SAFE_INTEGER]);
});

test("util-linux's aarch64 16K dump imports as a 16K arm64 machine; the model gives back the dump and util-linux's lsmem output", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-a64-16k-"));
  try {
    const mf = path.join(dir, "m.json");
    const imp = await runCli(["import", DUMP, "--arch", "arm64-16k", "-o", mf, "--json"]);
    assert.equal(imp.code, 0, imp.stderr);
    const summary = JSON.parse(imp.stdout) as { blocks: number; block_size_bytes: number; kernel_model: string };
    assert.equal(summary.blocks, 126);
    assert.equal(summary.block_size_bytes, 128 * MiB);
    // No release in the dump: the first Debian build with 16K pages.
    assert.match(summary.kernel_model, /6\.12 profile \(preset debian-13-arm64-16k\)/);
    const m = JSON.parse(fs.readFileSync(mf, "utf8")) as { machine: { type: string; arch: string }; snapshot: { zoneinfo: { node0: Record<string, { start_pfn: number | null; spanned: number }> } }; import: { inferred: string[] } };
    assert.deepEqual([m.machine.type, m.machine.arch], ["virt", "arm64-16k"]);
    // RAM from 1 TiB: all of it ZONE_DMA (16K pfns: 1 TiB / 16 KiB = 2^26).
    assert.equal(m.snapshot.zoneinfo.node0.DMA.start_pfn, 2 ** 26);
    assert.equal(m.snapshot.zoneinfo.node0.Normal.spanned, 0);
    assert.ok(m.import.inferred.some((i) => /arm64-16k zone limits \(none, none\)/.test(i)), m.import.inferred.join("\n"));

    // The model's sysfs, file by file, is the dump (the export has more files: power/, hard_offline_page).
    const out = path.join(dir, "export");
    const ex = await runCli(["export-sysfs", `${mf}@0`, out]);
    assert.equal(ex.code, 0, ex.stderr);
    fs.mkdirSync(path.join(dir, "dump"));
    execFileSync("tar", ["-xjf", DUMP, "-C", path.join(dir, "dump")]);
    const want = treeOf(path.join(dir, "dump", "aarch64_16K_16g"));
    const got = treeOf(out);
    assert.ok(want.size > 1500);
    for (const [p, v] of want) assert.equal(got.get(p), v, p);
    assert.equal(got.get("sys/devices/system/memory/memory8192/phys_index"), "00002000\n");

    // util-linux's expected output, on the model's memory directory alone (what its mk-input.sh copies).
    const only = path.join(dir, "only");
    fs.mkdirSync(path.join(only, "sys", "devices", "system"), { recursive: true });
    fs.cpSync(path.join(out, "sys", "devices", "system", "memory"), path.join(only, "sys", "devices", "system", "memory"), { recursive: true, verbatimSymlinks: true });
    const cases = invocations();
    assert.equal(cases.length, 9);
    for (const c of cases) {
      const r = await runCli(["lsmem", ...c.args, "--sysroot", only]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, c.stdout, `lsmem ${c.args.join(" ")}`);
    }
    // On the model itself lsmem also sees the memmap_on_memory parameter the 16K build has (CONFIG_MHP_MEMMAP_ON_MEMORY=y).
    const plain = await runCli(["lsmem", `${mf}@0`]);
    assert.match(plain.stdout, /^Memmap on memory parameter: +no$/m);
    assert.equal(plain.stdout.replace(/^Memmap on memory parameter:.*\n/m, ""), cases[8].stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
