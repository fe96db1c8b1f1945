/**
 * The boot layout a Debian kernel (nokaslr) sees on a QEMU 7.2 or 10.0
 * (qemu-version.ts) `pc` or `q35` machine with SeaBIOS: firmware E820, the boot /proc/iomem tree
 * (before driver modules claim namespaces, dax or virtio devices), memblock
 * by node, NUMA nodes and SRAT, the device-memory region and the devices
 * QEMU placed in it. Pure functions: no I/O, runs in a browser.
 */
import { nrCpuIds } from "../kernel/smp.js";
import { sratNvdimmOrder } from "./qom-order.js";
import {
  insertResource,
  insertResourceExpandToFit,
  makeResource,
  makeRoot,
  requestRegion,
  requestResource,
  reserveRegionWithSplit,
  resourceSpecs,
  type Resource,
} from "../kernel/resource.js";
import { alignDown, alignUp, GiB, MiB } from "../kernel/units.js";
import { CRASH_ALIGN, parseCrashkernel, reserveCrashkernel, x86DefaultCrashLow } from "../kernel/crash-reserve.js";
import { swiotlbCmdline } from "../kernel/swiotlb.js";
import { X86_INITRD_BYTES } from "../kernel/boot.js";
import {
  E820_ACPI,
  E820_NVS,
  E820_PMEM,
  E820_PRAM,
  E820_RAM,
  E820_RESERVED,
  E820_RESERVED_KERN,
  E820_SOFT_RESERVED,
  e820TypeName,
  endOfRam,
  kernelE820,
  memblockFromE820,
  toE820Entries,
  type RawE820,
} from "./e820.js";
import { Memblock } from "./arm64-memblock.js";
import { placeColdplugged, qemuMap, qemuNuma, seabiosBars, seabiosE820, seabiosPlacement, sratMemory, type PciBar, type QemuMap, type SratMem } from "./qemu-map.js";
import { addCxlPciResources, bus0Windows, cxlWindowNodes, placeCxl, type CxlPlatform } from "./cxl-platform.js";
import { syntheticBootLayout } from "./synthetic.js";
import { qemuVersionOf } from "./qemu-version.js";
import { resolveRules, type Rules } from "../kernel/profile.js";
import { virtBootLayout } from "./virt.js";
import type { BootLayout, IomemSpec, MachineSpec, MemblockRange, SratMemoryEntry } from "./types.js";

export { placeDimm } from "./memory-device.js";

/** The option ROM QEMU loads for -kernel (linuxboot_dma.bin, 3 x 512 bytes) at 0xc0000, which probe_roms() names Video ROM. */
const VIDEO_ROM = { start: 0xc0000, end: 0xc05ff };

function iresDesc(type: number): string {
  switch (type) {
    case E820_RESERVED:
      return "RESERVED";
    case E820_PRAM:
      return "PERSISTENT_MEMORY_LEGACY";
    case E820_PMEM:
      return "PERSISTENT_MEMORY";
    case E820_SOFT_RESERVED:
      return "SOFT_RESERVED";
    case E820_ACPI:
      return "ACPI_TABLES";
    case E820_NVS:
      return "ACPI_NV_STORAGE";
    default:
      return "NONE";
  }
}

/** do_mark_busy(): which E820 resources e820__reserve_resources() inserts at once (busy). */
function markBusy(e: RawE820): boolean {
  if (e.start < MiB) return true;
  return !(e.type === E820_RESERVED || e.type === E820_SOFT_RESERVED || e.type === E820_PRAM || e.type === E820_PMEM);
}

/** ram_alignment(): RAM ends are padded to 64 KiB below 1 MiB, 1 MiB below 16 MiB, else 64 MiB. */
function ramAlignment(pos: number): number {
  if (pos < MiB) return 64 * 1024;
  if (pos < 16 * MiB) return MiB;
  return 64 * MiB;
}


interface IomemInputs {
  spec: MachineSpec;
  /** The kernel's rules (profile.ts): the image's resources and platform names differ per version. */
  rules: Rules;
  map: QemuMap;
  table: RawE820[];
  bars: PciBar[];
  cxl?: CxlPlatform;
  nvdimms: { start: number; size: number }[];
}

/**
 * x86's reserve_crashkernel() over what memblock holds by then: E820 RAM less the kernel image, QEMU's initrd at the
 * top of low RAM (x-probe11-crashkernel: 0x77000000 on a 2 GiB pc) and NODE_DATA at the top of the highest RAM
 * (initmem_init() comes first: x-probe53-crashkernel-high-low's high part ends 16 MiB below the top of its 6 GiB).
 * The low part (ranges: low part, then the main one) is allocated after the main one.
 */
function x86Crashkernel(cmdline: string, table: RawE820[], rules: Rules): { start: number; end: number }[] {
  const ram = table.filter((e) => e.type === E820_RAM);
  const systemRam = ram.reduce((a, e) => a + e.end - e.start, 0);
  const slabs = swiotlbCmdline(cmdline).slabs;
  const defaultLow = x86DefaultCrashLow(slabs !== null ? slabs * 2048 : 64 * MiB);
  const req = parseCrashkernel(cmdline, systemRam, defaultLow);
  if (!req || !ram.length) return [];
  const lowTop = Math.max(0, ...ram.filter((e) => e.end <= 4 * GiB).map((e) => e.end));
  const top = Math.max(...ram.map((e) => e.end));
  const image = rules.kernelImage;
  // memblock as reserve_crashkernel() finds it: E820 RAM less the first MiB, the kernel image, the initrd and NODE_DATA.
  const mb = new Memblock();
  for (const e of ram) mb.addMemory(e.start, e.end);
  mb.reserve(0, MiB);
  mb.reserve(image[0].start, image[image.length - 1].end + 1);
  mb.reserve(lowTop - X86_INITRD_BYTES, lowTop);
  mb.reserve(top - 4096, top);
  const alloc = (size: number, align: number, min: number, max: number) => mb.alloc({ size, align, min, max, phys: true });
  const lim = { lowMax: 4 * GiB, highMax: 64 * 2 ** 40, align: CRASH_ALIGN.x86_64, page: 4096, defaultLow };
  const got = reserveCrashkernel(req, rules.crashkernelReserve, lim, { alloc, free: (base, end) => mb.free(base, end) });
  return [got.low, got.crash].filter((r): r is { start: number; end: number } => r !== null);
}

/** The boot /proc/iomem, built with the kernel's resource code in the order the kernel inserts things. */
export function bootIomem(inp: IomemInputs): IomemSpec[] {
  const root = makeRoot();
  // probe_roms()
  requestResource(root, makeResource(VIDEO_ROM.start, VIDEO_ROM.end, "Video ROM", { busy: true }));
  requestResource(root, makeResource(0xf0000, 0xfffff, "System ROM", { busy: true }));
  for (const k of inp.rules.kernelImage) insertResource(root, makeResource(k.start, k.end, k.name, { busy: true, sysram: true }));
  // reserve_crashkernel(): 16 MiB-aligned, top-down; System RAM adopts the reservations (the low part first).
  for (const r of x86Crashkernel(inp.spec.cmdline.join(" "), inp.table, inp.rules)) insertResource(root, makeResource(r.start, r.end - 1, "Crash kernel", { busy: true, sysram: true }));
  // e820__reserve_resources()
  const late: Resource[] = [];
  for (const e of inp.table) {
    const r = makeResource(e.start, e.end - 1, e820TypeName(e.type), { sysram: e.type === E820_RAM || e.type === E820_RESERVED_KERN }, iresDesc(e.type));
    if (markBusy(e)) {
      r.flags.busy = true;
      insertResource(root, r);
    } else late.push(r);
  }
  // Platform devices.
  insertResource(root, makeResource(0xfec00000, 0xfec003ff, "IOAPIC 0", { busy: true }));
  insertResource(root, makeResource(0xfed00000, 0xfed003ff, "PNP0103:00", { busy: true }));
  insertResource(root, makeResource(0xfed00000, 0xfed003ff, "HPET 0", { busy: true }));
  if (inp.rules.localApicResource) insertResource(root, makeResource(0xfee00000, 0xfee00fff, "Local APIC", { busy: true }));
  // ACPI host bridge windows, then the BARs firmware assigned.
  const windows: Resource[] = [];
  // The windows go in as _CRS gives them: E820 entries clip them only when the kernel allocates from them
  // (arch_remove_reservations()), so a legacy PMEM range inside one ends up under it (x-probe-legacy-1g-kmem).
  for (const w of inp.cxl ? bus0Windows(inp.map.pciWindows, inp.cxl) : inp.map.pciWindows) {
    const r = makeResource(w.start, w.end, "PCI Bus 0000:00");
    if (!insertResource(root, r)) windows.push(r);
  }
  const barRes = new Map<PciBar, Resource>();
  const unclaimed: PciBar[] = [];
  for (const b of inp.bars) {
    const win = windows.find((w) => w.start <= b.start && w.end >= b.end);
    const r = makeResource(b.start, b.end, b.device);
    if (win && !requestResource(win, r)) barRes.set(b, r);
    else unclaimed.push(b);
  }
  if (inp.cxl) addCxlPciResources(root, inp.cxl);
  // e820__reserve_resources_late()
  for (const r of late) insertResourceExpandToFit(root, r);
  for (const e of inp.table) {
    if (e.type !== E820_RAM) continue;
    const start = e.end;
    const end = alignUp(start, ramAlignment(start)) - 1;
    if (start < end) reserveRegionWithSplit(root, start, end, "RAM buffer");
  }
  if (inp.spec.type === "q35") {
    requestRegion(root, 0xb0000000, 0x10000000, inp.rules.pnpSystemResourceNames === "pnp" ? "pnp 00:05" : "PNP0C01:00", {});
    insertResource(root, makeResource(0xb0000000, 0xbfffffff, `${inp.rules.ecamResourceName} 0000 [bus 00-ff]`, { busy: true }));
  }
  // pcibios_assign_resources(): a BAR no window holds ("can't claim; no compatible bridge window") is assigned anew.
  for (const b of unclaimed) {
    const r = assignBar(windows, inp.table, b);
    if (r) barRes.set({ ...b, start: r.start, end: r.end }, r);
  }
  // NFIT SPA ranges (acpi_nfit), then drivers' own regions inside BARs.
  for (const nv of inp.nvdimms) insertResource(root, makeResource(nv.start, nv.start + nv.size - 1, "Persistent Memory", {}, "PERSISTENT_MEMORY"));
  for (const [b] of barRes) if (b.driverRegion) requestRegion(root, b.start, b.end - b.start + 1, b.driverRegion, {});
  return resourceSpecs(root);
}

/**
 * The kernel's allocation of a 32-bit memory BAR in bus 0's windows, in
 * their order: the first size-aligned free range at or above 1 MiB
 * (pcibios_align_resource()) and below 4 GiB, clear of the window's
 * children and of every E820 entry (arch_remove_reservations()). A
 * simplification of __find_resource(), enough where the gap it finds is
 * clear of E820 entries (test/oracle/cxl/cxl-probe78-ram-4g.trixie: the
 * AHCI BAR at 0x80000000).
 */
function assignBar(windows: Resource[], table: RawE820[], b: PciBar): Resource | null {
  const size = b.end - b.start + 1;
  for (const w of windows) {
    const taken = [...w.children.map((c) => ({ start: c.start, end: c.end })), ...table.map((x) => ({ start: x.start, end: x.end - 1 }))];
    let s = alignUp(Math.max(w.start, MiB), size);
    while (s + size - 1 <= Math.min(w.end, 0xffffffff)) {
      const hit = taken.find((c) => c.start <= s + size - 1 && c.end >= s);
      if (!hit) {
        const r = makeResource(s, s + size - 1, b.device);
        return requestResource(w, r) ? null : r;
      }
      s = alignUp(hit.end + 1, size);
    }
  }
  return null;
}

/** memblock by node: RAM pieces split at SRAT boundaries; a piece outside every entry takes the node whose span holds it. */
function memblockByNode(ram: { start: number; end: number }[], srat: SratMemoryEntry[] | null): MemblockRange[] {
  if (!srat) return ram.map((r) => ({ ...r, nid: 0 }));
  const cuts = [...new Set(srat.flatMap((e) => [e.start, e.end]))].sort((a, b) => a - b);
  const spans = new Map<number, { start: number; end: number }>();
  for (const e of srat.filter((x) => !x.hotplug && !x.nonVolatile)) {
    const s = spans.get(e.nid);
    spans.set(e.nid, s ? { start: Math.min(s.start, e.start), end: Math.max(s.end, e.end) } : { start: e.start, end: e.end });
  }
  const out: MemblockRange[] = [];
  for (const r of ram) {
    const points = [r.start, ...cuts.filter((c) => c > r.start && c < r.end), r.end];
    for (let i = 0; i + 1 < points.length; i++) {
      const s = points[i];
      const t = points[i + 1];
      const hit = srat.find((e) => e.start <= s && s < e.end);
      const nid = hit ? hit.nid : ([...spans].find(([, sp]) => sp.start <= s && s < sp.end)?.[0] ?? srat[0]?.nid ?? 0);
      const last = out[out.length - 1];
      if (last && last.nid === nid && last.end === s) last.end = t;
      else out.push({ start: s, end: t, nid });
    }
  }
  return out;
}

/** Boot layout of a QEMU pc/q35 machine (or a synthetic or arm64 virt one) as a kernel with these rules sees it (default: 6.1's). */
export function deriveBootLayout(spec: MachineSpec, rules: Rules = resolveRules("6.1")): BootLayout {
  if (spec.type === "synthetic") return syntheticBootLayout(spec);
  if (spec.type === "virt") return virtBootLayout(spec, rules.arm64Build);
  const map = qemuMap(spec, qemuVersionOf(spec, rules));
  const placed = placeColdplugged(spec, map);
  const firmware = seabiosE820(spec, map);
  const table = kernelE820(firmware, spec.cmdline);
  const numa = qemuNuma(spec);

  let srat: SratMemoryEntry[] | null = null;
  let pxmToNode: Record<number, number> | undefined;
  let possibleNodes = [0];
  // Possible CPUs: nr_cpus= may leave some of QEMU's out.
  const ncpu = nrCpuIds(spec.smp ?? 1, spec.cmdline.join(" "));
  const cpusByNode: Record<number, number[]> = {};
  // numa=off: x86_numa_init() skips the SRAT and fakes one node; a device's _PXM maps to no node, and
  // memory_add_physaddr_to_nid() falls back to node 0 (x-probe12-numa-off).
  const numaOff = spec.cmdline.includes("numa=off");
  if (numa && numaOff) {
    pxmToNode = Object.fromEntries([...new Set([...numa.cpuNode, ...sratMemory(numa, map, sratNvdimmOrder(spec, placed.nvdimms)).map((m) => m.pxm)])].map((p) => [p, 0]));
    cpusByNode[0] = Array.from({ length: ncpu }, (_, i) => i);
  } else if (numa) {
    const mem: SratMem[] = sratMemory(numa, map, sratNvdimmOrder(spec, placed.nvdimms));
    // acpi_map_pxm_to_node(): node ids in order of first appearance, processor entries first.
    const pxm: Record<number, number> = {};
    let nextNid = 0;
    for (const p of [...numa.cpuNode, ...mem.map((m) => m.pxm)]) if (pxm[p] === undefined) pxm[p] = nextNid++;
    pxmToNode = pxm;
    srat = mem.map((m) => ({ ...m, nid: pxm[m.pxm] }));
    possibleNodes = [...new Set(Object.values(pxm))].sort((a, b) => a - b);
    for (const n of possibleNodes) cpusByNode[n] = [];
    numa.cpuNode.forEach((p, cpu) => cpusByNode[pxm[p]].push(cpu));
  } else {
    cpusByNode[0] = Array.from({ length: ncpu }, (_, i) => i);
  }

  const memblock = memblockByNode(memblockFromE820(table), srat);
  const cxl = spec.cxl && map.cxlBase !== undefined ? placeCxl(spec.cxl, map.cxlBase, seabiosPlacement(spec, map), map.qemu) : undefined;
  const bars = seabiosBars(spec, map);
  if (cxl && srat && pxmToNode) possibleNodes = cxlWindowNodes(cxl, srat, pxmToNode, possibleNodes);
  return {
    e820: toE820Entries(firmware),
    iomem: bootIomem({ spec, rules, map, table, bars, nvdimms: placed.nvdimms, cxl }),
    memblock,
    possibleNodes,
    cpusByNode,
    sratHotplug: (srat ?? []).filter((e) => e.hotplug).map((e) => ({ start: e.start, end: e.end, nid: e.nid })),
    deviceMemory: map.deviceMemory ? { ...map.deviceMemory } : null,
    legacyPmem: table.filter((e) => e.type === E820_PRAM).map((e) => ({ start: e.start, end: e.end - 1 })),
    nvdimms: placed.nvdimms.map((n) => ({ ...n, node: pxmToNode?.[n.node] ?? n.node })),
    virtioMem: placed.virtioMem.map((v) => ({ ...v, node: pxmToNode?.[v.node] ?? v.node })),
    bootMemEnd: endOfRam(table),
    hypervisor: !/(^|,)hypervisor=off(,|$)/.test(spec.cpu ?? ""),
    physAddrBits: spec.la57 ? 52 : 46,
    pxmToNode,
    srat: srat ?? [],
    kernelE820: toE820Entries(table),
    ...(cxl ? { cxl } : {}),
  };
}
