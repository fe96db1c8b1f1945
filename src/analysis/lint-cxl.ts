/**
 * `memhp lint` on CXL layouts: what the memory block size costs the CXL
 * fixed memory windows and the regions in them. The platform places the
 * windows 256 MiB aligned after RAM and the host bridge registers; Linux
 * picks the memory block size without looking at them (x86: 2 GiB on bare
 * metal with 64 GiB or more), and dax kmem onlines only whole memory blocks
 * of a region (dev_dax_kmem_probe() trims each range to
 * memory_block_size_bytes()). Findings: bytes of each device lost to that
 * trimming (with a fix that moves the window onto a block boundary), blocks
 * a window shares with other memory, CXL memory online in a kernel zone
 * (its blocks may never go offline, so the region can never be torn down),
 * and nodes whose only memory is CXL memory.
 */
import type { Kernel } from "../kernel/kernel.js";
import type { CxlPlatform } from "../machine/cxl-platform.js";
import { walk } from "../kernel/resource.js";
import { ZONE_MOVABLE } from "../kernel/zone.js";
import { hexRange } from "./explain.js";
import type { Finding } from "./lint.js";

const KMEM_RULE = "drivers/dax/kmem.c dev_dax_kmem_probe(): each range is trimmed inward to memory_block_size_bytes() before add_memory_driver_managed()";
const BLOCK_RULE = "arch/x86/mm/init_64.c probe_memory_block_size(): 2 GiB on bare metal with 64 GiB or more of boot memory, else the largest power of two the end of boot memory is aligned to (at most 2 GiB)";

export function sizeText(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 40, "TiB"],
    [2 ** 30, "GiB"],
    [2 ** 20, "MiB"],
  ];
  for (const [u, s] of units) if (bytes >= u) return `${+(bytes / u).toFixed(2)} ${s}`;
  return `${bytes} bytes`;
}

function f(x: Omit<Finding, "range">): Finding {
  return { ...x, range: hexRange(x.start, x.end) };
}

/** Where each device's region lands: its window, first fit in device order (what cxl create-region does for one device per region). */
export function plannedRegions(p: CxlPlatform): { device: string; volatile: boolean; window: number; start: number; size: number }[] {
  const next = new Map<number, number>();
  const out: { device: string; volatile: boolean; window: number; start: number; size: number }[] = [];
  for (const d of p.devices) {
    const hb = p.rootPorts[d.rp].hb;
    const w = p.windows.find((x) => x.targets.length === 1 && x.targets[0] === hb && x.base + x.size - (next.get(x.index) ?? x.base) >= d.size);
    if (!w) continue;
    const start = next.get(w.index) ?? w.base;
    next.set(w.index, start + d.size);
    out.push({ device: d.id, volatile: d.volatile, window: w.index, start, size: d.size });
  }
  return out;
}

export function lintCxl(k: Kernel, p: CxlPlatform): Finding[] {
  const out: Finding[] = [];
  const bs = k.hotplugGranule;
  const bsText = sizeText(bs);
  // Bytes lost to the block size, per device.
  for (const r of plannedRegions(p)) {
    const end = r.start + r.size;
    const whole = Math.max(0, Math.floor(end / bs) * bs - Math.ceil(r.start / bs) * bs);
    const lost = r.size - whole;
    if (lost === 0) continue;
    const w = p.windows[r.window];
    const pad = Math.ceil(w.base / bs) * bs - w.base;
    const fix =
      pad > 0
        ? `start CXL Window ${w.index} on a ${bsText} boundary: QEMU places windows back to back from 0x${p.windows[0].base.toString(16)}, so a ${sizeText(pad)} window in front of it moves it to 0x${(w.base + pad).toString(16)}; and size the device in multiples of ${bsText}. Or give the kernel a smaller block size (a guest with the hypervisor CPUID bit and boot memory ending on a smaller power of two)`
        : `size the device in multiples of ${bsText}`;
    out.push(f({
      severity: whole === 0 ? "error" : "warning",
      kind: "alignment-waste",
      start: r.start,
      end: end - 1,
      bytes: lost,
      message: `CXL device "${r.device}" (${sizeText(r.size)}, ${r.volatile ? "volatile" : "persistent"}) maps at ${hexRange(r.start, end - 1)} in CXL Window ${w.index} ${hexRange(w.base, w.base + w.size - 1)}; with ${bsText} memory blocks dax kmem onlines only ${sizeText(whole)} of it: ${sizeText(lost)} lost${whole === 0 ? " (all of it)" : ""}${r.volatile ? "" : " (a devdax namespace loses its info block and memmap reserve first)"} [${KMEM_RULE}; block size: ${BLOCK_RULE}]`,
      fix,
    }));
  }
  // Windows sharing a memory block with other memory.
  const blocks = new Set<number>();
  for (const w of p.windows) {
    const first = Math.floor(w.base / bs);
    const last = Math.floor((w.base + w.size - 1) / bs);
    for (const b of [first, last]) {
      if (blocks.has(b)) continue;
      const bstart = b * bs;
      const bend = bstart + bs - 1;
      const others: string[] = [];
      walk(k.iomem, (x) => {
        if (x === k.iomem) return true;
        if (x.end < bstart || x.start > bend) return false;
        if (x.start >= w.base && x.end <= w.base + w.size - 1) return false;
        if (x.start <= w.base && x.end >= w.base + w.size - 1) return true;
        if (x.name === "System RAM" || x.name.startsWith("System RAM") || x.name === "Persistent Memory" || /^CXL Window/.test(x.name)) others.push(`"${x.name}" ${hexRange(x.start, x.end)}`);
        return false;
      });
      if (!others.length) continue;
      blocks.add(b);
      out.push(f({
        severity: "warning",
        kind: "ram-pmem-sharing",
        start: bstart,
        end: bend,
        message: `memory${b} ${hexRange(bstart, bend)} holds part of CXL Window ${w.index} and ${others.join(", ")}: the block has holes, so its CXL part can never be onlined and its other memory can never go offline [drivers/base/memory.c: one block, one state; mm/memory_hotplug.c test_pages_in_a_zone()]`,
        fix: `align the window to the ${bsText} block size (see the alignment finding) or end RAM on a ${bsText} boundary`,
      }));
    }
  }
  // CXL memory online in a kernel zone, and CXL-only nodes.
  const inCxl = (pfn: number) => p.windows.some((w) => pfn * k.geometry.pageSize >= w.base && pfn * k.geometry.pageSize < w.base + w.size);
  const nodeCxl = new Map<number, { cxl: number; other: number }>();
  for (const id of k.sortedBlockIds()) {
    const b = k.blocks.get(id)!;
    if (b.state !== "online") continue;
    const cxl = inCxl(b.startPfn);
    const n = nodeCxl.get(b.nid) ?? { cxl: 0, other: 0 };
    if (cxl) n.cxl++;
    else n.other++;
    nodeCxl.set(b.nid, n);
    if (!cxl || b.zone?.idx === ZONE_MOVABLE) continue;
    const start = b.startPfn * k.geometry.pageSize;
    out.push(f({
      severity: "warning",
      kind: "never-offline",
      start,
      end: start + b.nrPages * k.geometry.pageSize - 1,
      message: `memory${id} is CXL memory online in a kernel zone: the kernel may put unmovable allocations there, so it may never go offline and its region can never be disabled or destroyed [mm/page_alloc.c: kernel zones take unmovable pages; mm/memory_hotplug.c offline_pages()]`,
      fix: "online CXL memory movable: memhp_default_state=online_movable (kernel-onlined ram regions), daxctl reconfigure-device --movable, or online_movable through sysfs",
    }));
  }
  for (const [nid, n] of nodeCxl) {
    if (n.cxl && !n.other) {
      out.push(f({
        severity: "info",
        kind: "block-size",
        start: 0,
        end: 0,
        message: `node${nid} has only CXL memory (no CPUs' local RAM): allocations prefer other nodes and it serves as a memory tier / demotion target; losing the device empties the node`,
        fix: "nothing to do if that is the intent; otherwise map the window into a node with CPUs (SRAT/CEDT proximity domains)",
      }));
    }
  }
  return out;
}
