/**
 * deriveBootLayout() and placeDimm() against every recorded real-kernel trace:
 * firmware E820, the boot /proc/iomem, SRAT, memblock/zones, node masks,
 * cold-plugged devices and the QMP outcome of every pc-dimm hot-add.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hex0x, hex0x10, hexPad, parseAddress, parseSize } from "../kernel/units.js";
import { formatE820Line, userE820 } from "./e820.js";
import { renderIomem } from "../kernel/resource.js";
import { nodeList } from "../kernel/sysfs.js";
import { deriveBootLayout, placeDimm } from "./qemu.js";
import { qemuMap, seabiosE820, smbiosTableLength } from "./qemu-map.js";
import { TRACES } from "../testing/paths.js";
import type { BootLayout, MachineSpec, PluggedMemoryDevice } from "./types.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIRS = [TRACES, join(ROOT, "test", "oracle", "traces")];

/* eslint-disable @typescript-eslint/no-explicit-any */
type Trace = any;

function loadTraces(): { name: string; t: Trace }[] {
  const out: { name: string; t: Trace }[] = [];
  const seen = new Set<string>();
  for (const d of DIRS) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      if (!f.endsWith(".json") || seen.has(f)) continue;
      const t = JSON.parse(readFileSync(join(d, f), "utf8"));
      if (!t?.scenario?.machine || !t?.boot?.snapshot) continue;
      seen.add(f);
      out.push({ name: f.replace(/\.json$/, ""), t });
    }
  }
  return out;
}

/** A scenario's `machine` with sizes parsed. */
export function machineOf(m: any): MachineSpec {
  const opt = (v: any, f: (x: any) => number) => (v === undefined || v === null ? undefined : f(v));
  return {
    type: m.type ?? "pc",
    memory: parseSize(m.memory ?? "1G"),
    maxmem: opt(m.maxmem, parseSize),
    slots: opt(m.slots, Number),
    smp: opt(m.smp, Number),
    cpu: m.cpu,
    cmdline: m.cmdline ?? [],
    numa: m.numa?.map((n: any, i: number) => ({ nodeid: n.nodeid ?? i, cpus: n.cpus === undefined ? undefined : String(n.cpus), mem: opt(n.mem, parseSize) })),
    nvdimms: m.nvdimms?.map((n: any) => ({ id: n.id, size: parseSize(n.size), addr: opt(n.addr, parseAddress), label_size: opt(n.label_size, parseSize), node: n.node, slot: n.slot })),
    virtio_mem: m.virtio_mem?.map((v: any) => ({
      id: v.id,
      size: parseSize(v.size),
      block_size: parseSize(v.block_size ?? "2M"),
      requested_size: parseSize(v.requested_size ?? 0),
      node: v.node,
      addr: opt(v.addr, parseAddress),
    })),
  };
}

/** Lines that driver modules add after boot (and everything nested under them). */
function withoutDriverLines(lines: string[]): string[] {
  const out: string[] = [];
  let skipDepth = -1;
  for (const l of lines) {
    const depth = (l.length - l.trimStart().length) / 2;
    if (skipDepth >= 0 && depth > skipDepth) continue;
    skipDepth = -1;
    const name = l.slice(l.indexOf(" : ") + 3);
    if (/^(namespace\d+\.\d+|virtio\d+|dax\d+\.\d+|pfn\d+\.\d+|btt\d+\.\d+)$/.test(name)) {
      skipDepth = depth;
      continue;
    }
    out.push(l);
  }
  return out;
}

/** "0-1,3" as the kernel prints node masks. */

/** Zone start/spanned/present per node from memblock (x86_64 DMA/DMA32/Normal). */
function zonesOf(layout: BootLayout): Record<string, Record<string, { start_pfn: number | null; spanned: number; present: number }>> {
  const limits: [string, number, number][] = [
    ["DMA", 0, 0x1000],
    ["DMA32", 0x1000, 0x100000],
    ["Normal", 0x100000, 2 ** 40],
  ];
  const out: Record<string, any> = {};
  for (const nid of [...new Set(layout.memblock.map((r) => r.nid))]) {
    const rs = layout.memblock.filter((r) => r.nid === nid).map((r) => ({ s: r.start / 4096, e: r.end / 4096 }));
    const ns = Math.min(...rs.map((r) => r.s));
    const ne = Math.max(...rs.map((r) => r.e));
    const z: Record<string, any> = {};
    for (const [name, lo, hi] of limits) {
      const s = Math.max(lo, ns);
      const e = Math.min(hi, ne);
      const present = rs.reduce((a, r) => a + Math.max(0, Math.min(r.e, e) - Math.max(r.s, s)), 0);
      z[name] = e > s ? { start_pfn: s, spanned: e - s, present } : { start_pfn: null, spanned: 0, present: 0 };
    }
    out[`node${nid}`] = z;
  }
  return out;
}

for (const { name, t } of loadTraces()) {
  test(`qemu boot layout: ${name}`, () => {
    const spec = machineOf(t.scenario.machine);
    const layout = deriveBootLayout(spec);
    const snap = t.boot.snapshot;
    const dmesg: string[] = t.boot.dmesg;

    // Firmware table: dmesg and /sys/firmware/memmap.
    const raw = seabiosE820(spec, qemuMap(spec));
    assert.deepEqual(raw.map((e) => formatE820Line("BIOS-e820", e)), dmesg.filter((l) => l.startsWith("BIOS-e820:")), "BIOS-e820 lines");
    assert.deepEqual(
      layout.e820.map((e, i) => ({ index: i, start: hex0x(e.start), end: hex0x(e.end), type: e.type })),
      snap.firmware_memmap,
      "firmware_memmap",
    );
    const user = userE820(raw, spec.cmdline);
    assert.deepEqual((user ?? []).map((e) => formatE820Line("user", e)), dmesg.filter((l) => l.startsWith("user: ")), "user: lines");

    // /proc/iomem before drivers.
    assert.deepEqual(renderIomem(layout.iomem), withoutDriverLines(snap.iomem), "iomem");

    // SRAT and NUMA.
    const srat = (layout.srat ?? []).map(
      (e) => `ACPI: SRAT: Node ${e.nid} PXM ${e.pxm} [mem ${hex0x10(e.start)}-${hex0x10(e.end - 1)}]${e.hotplug ? " hotplug" : ""}${e.nonVolatile ? " non-volatile" : ""}`,
    );
    assert.deepEqual(srat, dmesg.filter((l) => l.startsWith("ACPI: SRAT: Node")), "SRAT lines");
    assert.equal(nodeList(layout.possibleNodes), snap.node.masks.possible, "possible nodes");
    const withCpu = Object.entries(layout.cpusByNode).filter(([, c]) => c.length).map(([n]) => Number(n));
    assert.equal(nodeList(withCpu), snap.node.masks.has_cpu, "has_cpu");

    // memblock: early node ranges, max_pfn, zones.
    const early = layout.memblock.map((r) => `  node ${String(r.nid).padStart(3)}: [mem 0x${hexPad(r.start, 16)}-0x${hexPad(r.end - 1, 16)}]`);
    assert.deepEqual(early, dmesg.filter((l) => /^ {2}node +\d+: \[mem/.test(l)), "early memory node ranges");
    const lastPfn = dmesg.find((l) => l.startsWith("last_pfn = "));
    if (lastPfn) assert.equal(`last_pfn = ${hex0x(layout.bootMemEnd / 4096)}`, lastPfn.split(" max_arch_pfn")[0], "max_pfn");
    const zones = zonesOf(layout);
    // Memory a driver (virtio-mem, kmem) added and onlined during boot is not boot memory.
    const driverRam = (snap.iomem as string[])
      .filter((l) => / : System RAM \(/.test(l))
      .map((l) => l.trim().split(" : ")[0].split("-").map((x) => parseInt(x, 16) / 4096));
    // kernelcore=/movablecore= move zone boundaries in the kernel's boot, not in the layout (zone-movable.ts, checked by conformance).
    const coreParams = spec.cmdline.some((w) => /^(kernel|movable)core=/.test(w));
    for (const [node, zs] of coreParams ? [] : Object.entries(snap.zoneinfo as Record<string, any>)) {
      for (const zn of ["DMA", "DMA32", "Normal"]) {
        const want = zs[zn] ?? { start_pfn: null, spanned: 0, present: 0 };
        if (want.spanned && driverRam.some(([s, e]) => s < want.start_pfn + want.spanned && e >= want.start_pfn)) continue;
        const got = zones[node]?.[zn] ?? { start_pfn: null, spanned: 0, present: 0 };
        assert.deepEqual(got, { start_pfn: want.start_pfn, spanned: want.spanned, present: want.present }, `${node} ${zn}`);
      }
    }

    // Hotplug area in SRAT and the device-memory region agree.
    // (With numa=off the kernel does not read the SRAT: no hotplug ranges.)
    if (layout.deviceMemory && !spec.cmdline.includes("numa=off")) {
      assert.deepEqual(layout.sratHotplug.map((r) => [r.start, r.end]), [[layout.deviceMemory.base, layout.deviceMemory.base + layout.deviceMemory.size]]);
    }

    // Cold-plugged memory devices as QEMU reports them.
    const md: any[] = t.boot.memory_devices ?? [];
    for (const d of md) {
      if (d.type === "nvdimm") {
        const nv = layout.nvdimms.find((n) => n.id === d.data.id)!;
        assert.deepEqual({ addr: nv.start, size: nv.size, slot: nv.slot, node: nv.node }, { addr: d.data.addr, size: d.data.size, slot: d.data.slot, node: d.data.node });
      } else if (d.type === "virtio-mem") {
        const vm = layout.virtioMem.find((v) => v.id === d.data.id)!;
        assert.deepEqual({ addr: vm.start, size: vm.size, node: vm.node }, { addr: d.data.memaddr, size: d.data["max-size"], node: d.data.node });
      }
    }
  });

  const steps: any[] = t.steps ?? [];
  if (!steps.some((s) => s.step?.op === "plug-dimm")) continue;
  test(`qemu pc-dimm plug outcomes: ${name}`, () => {
    const spec = machineOf(t.scenario.machine);
    const layout = deriveBootLayout(spec);
    const plugged: PluggedMemoryDevice[] = layout.nvdimms.map((n) => ({ id: n.id, kind: "nvdimm", addr: n.start, size: n.size + n.labelSize, slot: n.slot }));
    for (const st of steps) {
      const op = st.step;
      const res = st.result ?? {};
      if (op.op === "plug-dimm") {
        const req = {
          id: op.id,
          size: parseSize(op.size),
          addr: op.addr === undefined ? undefined : parseAddress(op.addr),
          node: op.node,
          slot: op.slot,
        };
        const got = placeDimm(layout, spec, plugged, req);
        const want = res.device_add;
        if (want?.error) {
          assert.deepEqual(got, { ok: false, error: want.error }, `${op.id}: device_add error`);
          continue;
        }
        assert.ok(got.ok, `${op.id}: expected success, got ${JSON.stringify(got)}`);
        const q = (res.memory_devices ?? []).find((d: any) => d.data?.id === op.id)?.data;
        // QEMU reports the proximity domain; the kernel's node is what the layout maps it to (numa=off: node 0).
        if (q) assert.deepEqual({ addr: got.addr, slot: got.slot, node: got.node }, { addr: q.addr, slot: q.slot, node: layout.pxmToNode?.[q.node] ?? q.node }, `${op.id}: placement`);
        plugged.push({ id: op.id, kind: "dimm", addr: got.addr, size: req.size, slot: got.slot });
      }
      // Keep only what QEMU still has (ejects may complete in this or a later step).
      if (Array.isArray(res.memory_devices)) {
        const ids = new Set(res.memory_devices.map((d: any) => d.data?.id));
        for (let i = plugged.length - 1; i >= 0; i--) if (!ids.has(plugged[i].id)) plugged.splice(i, 1);
      } else if (op.op === "unplug-dimm" && res.device_deleted) {
        const i = plugged.findIndex((d) => d.id === op.id);
        if (i >= 0) plugged.splice(i, 1);
      }
    }
  });
}

test("SMBIOS table length as the guest reads it from /sys/firmware/dmi/tables/DMI (QEMU 7.2, SeaBIOS 1.16.2)", () => {
  const spec = (type: "pc" | "q35", memory: string, smp = 1): MachineSpec => ({ type, memory: parseSize(memory), smp, cmdline: [] });
  // Measured with the oracle (a shell step reading the table): -m, machine type, length in bytes.
  const measured: [MachineSpec, number][] = [
    [spec("pc", "1G"), 388],
    [spec("pc", "1G", 3), 388],
    [spec("pc", "5G"), 421],
    [spec("pc", "33G"), 527],
    [spec("q35", "1G"), 376],
    [spec("q35", "65G", 2), 621],
  ];
  for (const [s, len] of measured) assert.equal(smbiosTableLength(s, qemuMap(s)), len, `${s.type} ${s.memory / 2 ** 30}G`);
});

test("an SMBIOS table over 600 bytes moves to SeaBIOS's high zone: one more reserved page below the PCI hole", () => {
  const reservedTop = (s: MachineSpec) => {
    const t = seabiosE820(s, qemuMap(s)).filter((e) => e.type === 2 && e.end <= 0xfec00000 && e.start >= 2 ** 20 && e.end - e.start < 2 ** 20);
    return t.map((e) => `${hex0x(e.start)}-${hex0x(e.end - 1)}`);
  };
  assert.deepEqual(reservedTop({ type: "pc", memory: parseSize("64G"), cmdline: [] }), ["0xbffe0000-0xbfffffff"]);
  assert.deepEqual(reservedTop({ type: "pc", memory: parseSize("65G"), cmdline: [] }), ["0xbffdf000-0xbfffffff"]);
  assert.deepEqual(reservedTop({ type: "q35", memory: parseSize("65G"), cmdline: [] }), ["0x7ffdf000-0x7fffffff"]);
});
