/**
 * Where edk2 puts its EFI memory attributes table (memattrDelta in
 * arm64-edk2.ts), against every UEFI boot recorded on arm64: the table's
 * page is the one "reserved" line of /proc/iomem near it, and the rule must
 * name that page; the kernel's "MEMATTR=" boot line gives the byte. test/oracle/arm64/traces/a64-efi-* vary what could move it
 * (virtio-mem devices 0-24, NVDIMMs, memory 1-4 GiB, no maxmem, NUMA, smp).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { jsonFiles, REPO_ROOT, SHARED } from "../testing/paths.js";
import { scenarioFromValue } from "../scenario/load.js";
import { arm64Build, ORACLE_CMDLINE } from "./arm64-boot.js";
import { cmdlinePoolBins, efiLoad, memattrDelta, memattrOffset, mmuTablePages, peTablePages } from "./arm64-edk2.js";
import { virtMap } from "./virt.js";
import { GiB, MiB } from "../kernel/units.js";
import type { MachineSpec } from "./types.js";

const PAGE = 0x1000;
/** How far around the model's page the trace is searched: no other reservation comes this close in any recorded layout. */
const WINDOW = 64 * PAGE;

interface Trace {
  kernel: string;
  /** The kernel's command line as the guest saw it (/proc/cmdline). */
  guest_cmdline: string;
  scenario: unknown;
  qemu_args: string[];
  boot: { dmesg: string | string[]; snapshot: { iomem: string | string[] } };
}

const files = [
  ...jsonFiles(join(REPO_ROOT, "test", "oracle", "arm64", "traces")),
  // Recordings kept for what the model does not reproduce elsewhere; their boot's table page is right.
  ...jsonFiles(join(REPO_ROOT, "test", "oracle", "arm64", "quirks")).filter((f) => basename(f).startsWith("a64-efi-")),
  ...jsonFiles(join(SHARED, "conformance", "arm64", "traces", "6.1")),
  ...jsonFiles(join(SHARED, "conformance", "arm64", "traces", "6.12")),
];

function load(file: string): { t: Trace; machine: MachineSpec } | null {
  const t = JSON.parse(readFileSync(file, "utf8")) as Trace;
  if (!/^6\.1\.|^6\.12\.|^7\.2\./.test(t.kernel) || !t.qemu_args.includes("-bios")) return null;
  // Only the machine matters here (some given traces have oracle-only steps).
  return { t, machine: scenarioFromValue({ ...(t.scenario as object), steps: [] }, file).machine };
}

/**
 * The page-sized "reserved" lines of the trace's boot /proc/iomem that start within WINDOW of addr (7.2's own
 * reservations, megabytes long, can start that close: a64-probe3-boot-1000m.sid).
 */
function reservedNear(t: Trace, addr: number): string[] {
  const lines = typeof t.boot.snapshot.iomem === "string" ? t.boot.snapshot.iomem.split("\n") : t.boot.snapshot.iomem;
  return lines
    .map((l) => /^\s*([0-9a-f]+)-([0-9a-f]+) : reserved$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && Math.abs(parseInt(m[1]!, 16) - addr) < WINDOW && parseInt(m[2]!, 16) - parseInt(m[1]!, 16) < 4 * PAGE)
    .map((m) => `${m[1]}-${m[2]}`);
}

// The 4K builds' traces: a 16K kernel's iomem rounds the table's page to 16K (those traces are checked whole by arm64-conformance.test.ts).
// With mem= the table's page lies past the cut and its reservation is dropped (not in /proc/iomem to check).
const uefi = files
  .map((f) => ({ f, l: load(f) }))
  .filter((x) => x.l !== null && (x.l.machine.arch ?? "arm64-4k") === "arm64-4k" && !x.l.machine.cmdline.some((a) => a.startsWith("mem=")));

test("the edk2 evidence is there: UEFI boots with 0 to 24 virtio-mem devices, with and without NVDIMMs", () => {
  const counts = new Set(uefi.map((x) => (x.l!.machine.virtio_mem ?? []).length));
  for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 24]) assert.ok(counts.has(n), `no UEFI trace with ${n} virtio-mem devices`);
  assert.ok(uefi.filter((x) => (x.l!.machine.nvdimms ?? []).length > 0).length >= 8);
});

for (const { f, l } of uefi) {
  const { t, machine } = l!;
  test(`${basename(f, ".json")}: edk2's memory attributes table page is where the rule puts it`, () => {
    const nvdimm = (machine.nvdimms ?? []).length > 0;
    const map = virtMap(machine);
    // edk2 works below the end of the first NUMA node with memory (all of RAM without NUMA).
    const first = machine.numa?.find((n) => (n.mem ?? 0) > 0);
    const top = first ? map.ramBase + first.mem! : map.ramTop;
    const build = arm64Build(t.kernel)!;
    const placed = efiLoad(map.ramBase, top, build.uefiLoad, build.image.size, build.initrdSize, nvdimm ? build.nvdimmNvs : null)!;
    const page = top - build.efi.memattr - memattrDelta(machine, map, nvdimm, build.name, { start: placed.pe, size: build.uefiLoad.peSize });
    const want = `${page.toString(16)}-${(page + PAGE - 1).toString(16)}`;
    assert.deepEqual(reservedNear(t, page), [want]);
    // The kernel prints the table's address ("efi: ... MEMATTR="): its offset in the page says fresh pool page or reused block.
    const dmesg = typeof t.boot.dmesg === "string" ? t.boot.dmesg : t.boot.dmesg.join("\n");
    const printed = / MEMATTR=0x([0-9a-f]+) /.exec(dmesg);
    // (memblock=debug boots overflow the log buffer before it is read: no such line.)
    if (printed) assert.equal(printed[1], (page + memattrOffset(machine, nvdimm, arm64Build(t.kernel)!.name)).toString(16), "MEMATTR= address");
  });
}

test("the recordings show both placements: a fresh pool page and reused blocks", () => {
  const offsets = new Set<number>();
  for (const { l } of uefi) {
    const d = l!.t.boot.dmesg;
    const m = / MEMATTR=0x([0-9a-f]+) /.exec(typeof d === "string" ? d : d.join("\n"));
    if (m) offsets.add(parseInt(m[1]!, 16) % PAGE);
  }
  assert.deepEqual([...offsets].sort((a, b) => a - b), [0x18, 0x98, 0x198, 0x218, 0x518, 0x698]);
});

const spec = (over: Partial<MachineSpec>): MachineSpec => ({ type: "virt", cmdline: ["memhp_default_state=offline"], memory: GiB, maxmem: 8 * GiB, slots: 1, ...over });
/** Where edk2 loads 6.12's PE image in a 1 GiB guest (a64-efi-debug-vm2.trixie): both ends in fresh 2 MiB blocks. */
const USUAL_PE = { start: 0x77674000, size: 0x2520000 };
const vms = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `vm${i}`, size: 512 * MiB, block_size: 2 * MiB, requested_size: 0 }));

test("memattrDelta: past the measured reused blocks, half a page per virtio-mem device; edk2's page tables and a machine without NUMA shift every case", () => {
  const pages = (s: MachineSpec, nv = false) => memattrDelta(s, virtMap(s), nv, "6.1", USUAL_PE) / PAGE;
  for (const n of [1, 3, 5, 6, 7, 8, 40]) assert.equal(pages(spec({ virtio_mem: vms(n) })), 3 + Math.floor(n / 2), `${n} devices`);
  assert.equal(pages(spec({ virtio_mem: vms(2) })), -1);
  assert.equal(pages(spec({ virtio_mem: vms(4) })), 0);
  assert.equal(pages(spec({ virtio_mem: vms(4) }), true), 5);
  for (const n of [0, 1, 2, 4, 9]) {
    for (const nv of [false, true]) {
      assert.equal(pages(spec({ memory: 2 * GiB, virtio_mem: vms(n) }), nv), pages(spec({ virtio_mem: vms(n) }), nv) + 2);
      assert.equal(pages(spec({ memory: 1984 * MiB, virtio_mem: vms(n) }), nv), pages(spec({ virtio_mem: vms(n) }), nv));
      assert.equal(pages(spec({ memory: 2560 * MiB, virtio_mem: vms(n) }), nv), pages(spec({ virtio_mem: vms(n) }), nv));
    }
  }
  assert.equal(pages(spec({ maxmem: undefined, slots: undefined })), pages(spec({})) + 1);
  assert.equal(pages(spec({ maxmem: undefined, slots: undefined, numa: [{ nodeid: 0, cpus: "0", mem: GiB }] })), pages(spec({})));
  assert.equal(pages(spec({ smp: 4, virtio_mem: vms(3) })), pages(spec({ virtio_mem: vms(3) })));
  for (const n of [1, 3, 6, 9]) assert.equal(memattrOffset(spec({ virtio_mem: vms(n) }), false, "6.1"), 0x18);
});

test("mmuTablePages: a whole top 1 GiB slot past the first costs 2 pages; other NUMA nodes 1 per 1 GiB slot they cover in part beyond the first node's", () => {
  const mmu = (s: MachineSpec) => mmuTablePages(s, virtMap(s));
  const numa = (...mem: number[]) => mem.map((m, i) => ({ nodeid: i, cpus: String(i), mem: m }));
  for (const [mem, want] of [[512, 0], [1024, 0], [1536, 0], [1984, 0], [2048, 2], [2304, 0], [2560, 0], [3072, 2], [3584, 0], [4096, 2], [16384, 2]] as const) {
    assert.equal(mmu(spec({ memory: mem * MiB, maxmem: 32 * GiB })), want, `${mem} MiB`);
  }
  const cases: [number[], number][] = [
    [[512, 512], 0],
    [[768, 256], 0],
    [[256, 256, 256, 256], 0],
    [[512, 512, 512], 1],
    [[512, 512, 512, 512], 1],
    [[1024, 1024], 0],
    [[1536, 512], 0],
    [[2048, 512], 3],
  ];
  for (const [nodes, want] of cases) {
    const total = nodes.reduce((a, b) => a + b, 0) * MiB;
    assert.equal(mmu(spec({ memory: total, smp: nodes.length, numa: numa(...nodes.map((m) => m * MiB)) })), want, nodes.join("+"));
  }
});

test("cmdlinePoolBins: the command line's two pool buffers in edk2 pick the measured reuse table", () => {
  const bins = new Map<string, string>();
  for (const { l } of uefi) {
    const { t, machine } = l!;
    const seen = bins.get(cmdlinePoolBins(machine));
    const len = t.guest_cmdline.length;
    bins.set(cmdlinePoolBins(machine), seen ? seen : String(len));
  }
  // The recordings cover six bin pairs: the oracle's usual lines, the a64-efi-cmd*/longcmd ones, a command
  // line without memhp_default_state (a64-sweep-vm-no-default-state: 128/256, a fresh page), and one of 88 to 93
  // bytes whose ASCII copy no longer fits 128 bytes while its UCS-2 one still fits 256 (a64-probe43-uefi-2g-high's
  // "crashkernel=256M,high": 256/256, the page-0 block reused).
  assert.deepEqual([...bins.keys()].sort(), ["128/256", "256/256", "256/384", "256/640", "384/640", "640/1024"]);
  assert.equal(cmdlinePoolBins(spec({})), "256/384");
  // 171 bytes with " initrd=initrd" is the last that fits the 384-byte bin in UCS-2 (2 x 172 + 40).
  const padTo = (len: number) => spec({ cmdline: ["memhp_default_state=offline", "x".repeat(len - 110 - 1)] });
  assert.equal(cmdlinePoolBins(padTo(171)), "256/384");
  assert.equal(cmdlinePoolBins(padTo(172)), "256/640");
  // Bins nobody measured take a fresh page.
  const far = padTo(1500);
  assert.equal(memattrOffset(far, false, "6.1"), 0x18);
});

// a64-sweep-nv-plus-vm (2 GiB, one NVDIMM, one virtio-mem device): 6.1 takes a fresh page (MEMATTR=0xbc89b018),
// 6.12 and 7.2 a freed block one page higher (0xbc88a198, 0xbe803198): the kernel image and initrd edk2 loads differ.
test("memattr: with an NVDIMM and one virtio-mem device, 6.12 and 7.2 reuse a freed block where 6.1 takes a fresh page", () => {
  const s = spec({ memory: 2 * GiB, virtio_mem: vms(1) });
  const delta = (b: string) => memattrDelta(s, virtMap(s), true, b, USUAL_PE) / PAGE;
  assert.deepEqual([delta("6.1"), memattrOffset(s, true, "6.1")], [3 + 2, 0x18]);
  for (const b of ["6.12", "7.2"]) assert.deepEqual([delta(b), memattrOffset(s, true, b)], [2 + 2, 0x198], b);
  // Without the NVDIMM all three builds agree (a64-efi-1g-vm1-*: fresh page).
  for (const b of ["6.1", "6.12", "7.2"]) assert.equal(memattrOffset(s, false, b), 0x18, b);
});

test("peTablePages: an end of the PE image's allocation costs a table page unless it is 2 MiB aligned or in a block edk2 already split", () => {
  const base = 0x40000000;
  assert.equal(peTablePages(base, USUAL_PE.start, USUAL_PE.size), 2);
  // Both ends in one fresh block: one page.
  assert.equal(peTablePages(base, 0x48001000, 0x1000), 1);
  // 6.12, 256 MiB first node: [0x451fa000, 0x4771a000) ends where edk2's fixed blocks start (a block PEI's code split).
  assert.equal(peTablePages(base, 0x451fa000, 0x2520000), 1);
  // 7.2, 256 MiB first node: [0x410f0000, 0x44000000) ends on a 2 MiB boundary.
  assert.equal(peTablePages(base, 0x410f0000, 0x2f10000), 1);
  // A PE image in a guest whose RAM starts elsewhere: the split blocks are relative to the RAM base.
  assert.equal(peTablePages(0x80000000, 0x851fa000, 0x2520000), 1);
  assert.equal(peTablePages(0x80000000, 0x451fa000, 0x2520000), 2);
});
