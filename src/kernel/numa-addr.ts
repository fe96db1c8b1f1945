/**
 * Where a driver's memory belongs when its firmware description names no
 * node the kernel knows: memory_add_physaddr_to_nid() (the node to add it
 * on) and phys_to_target_node() (the node it is memory of). On arm64 6.1 has the generic stubs (node 0, said once per boot); from 6.12
 * arm64 uses numa_memblks, which look the address up in the NUMA meminfo
 * (the device tree's /memory nodes, or the node faked under ACPI) and, for
 * the target node, in the SRAT ranges outside memblock it kept aside (rule
 * `arm64NumaMemblks`). x86 looks the address up in the SRAT its NUMA init
 * kept (x86NumaInit()); the CXL windows acpi_parse_cfmws() gave a node count
 * as SRAT ranges.
 */
import type { BootLayout, NumaFirmware } from "../machine/types.js";
import type { Kernel } from "./kernel.js";

const hx = (n: number) => `0x${n.toString(16)}`;

/** pr_info_once(): one line per boot, whichever caller comes first. */
function once(k: Kernel, key: string, text: string): void {
  if (k.printedOnce.has(key)) return;
  k.printedOnce.add(key);
  k.printk(6, text);
}

type Block = { start: number; end: number; nid: number };

const holding = (list: Block[], addr: number) => list.find((b) => b.start <= addr && addr < b.end);

/** x86_numa_init() under ACPI, as far as the address lookups need it: memblock by node, the SRAT's entries, the CXL windows' nodes. */
export function x86NumaInit(layout: BootLayout): NumaFirmware {
  const windows = (layout.cxl?.windows ?? []).filter((w) => w.node !== undefined).map((w) => ({ start: w.base, end: w.base + w.size, nid: w.node! }));
  return {
    kind: "acpi",
    meminfo: layout.memblock.map((m) => ({ start: m.start, end: m.end, nid: m.nid })),
    srat: (layout.srat ?? []).map((e) => ({ start: e.start, end: e.end, nid: e.nid })),
    hotplug: layout.sratHotplug.map((e) => ({ start: e.start, end: e.end, nid: e.nid })),
    windows,
    maxAddr: layout.bootMemEnd,
  };
}

function meminfo(k: Kernel): { blocks: Block[]; reserved: Block[] } {
  const fw = k.numaFirmware;
  if (fw.kind === "devicetree") return { blocks: fw.meminfo, reserved: [] };
  if (fw.kind === "acpi-faked") return { blocks: fw.meminfo, reserved: fw.reserved };
  return { blocks: [], reserved: [] };
}

/**
 * memory_add_physaddr_to_nid(): the node to hot-add memory at `addr` on when its firmware description names none —
 * the meminfo block holding the address, else the first block's node (arm64 6.1: node 0, said once).
 */
export function memoryAddPhysaddrToNid(k: Kernel, addr: number): number {
  const fw = k.numaFirmware;
  if (fw.kind === "acpi") return (holding(fw.meminfo, addr) ?? fw.meminfo[0])?.nid ?? 0;
  if (k.rules.arm64NumaMemblks === "stub") {
    once(k, "memory_add_physaddr_to_nid", `Unknown online node for memory at ${hx(addr)}, assuming node 0`);
    return 0;
  }
  const { blocks } = meminfo(k);
  return (holding(blocks, addr) ?? blocks[0])?.nid ?? 0;
}

/**
 * phys_to_target_node(): the node `addr` is memory of, or -1. x86: a CXL window's node, else the SRAT entry holding
 * it; without an SRAT the dummy node 0 below max_pfn. arm64: the meminfo block holding it, else the reserved SRAT
 * range (6.1: node 0, said once).
 */
export function physToTargetNode(k: Kernel, addr: number): number {
  const fw = k.numaFirmware;
  if (fw.kind === "acpi") {
    const w = holding(fw.windows, addr);
    if (w) return w.nid;
    if (fw.srat.length) return holding(fw.srat, addr)?.nid ?? -1;
    if (fw.hotplug.length) {
      const hit = holding(fw.hotplug, addr) ?? holding(fw.meminfo, addr);
      if (hit) return hit.nid;
    }
    // dummy_numa_init() fakes node 0 over [0, max_pfn).
    return addr < fw.maxAddr ? 0 : -1;
  }
  if (k.rules.arm64NumaMemblks === "stub") {
    once(k, "phys_to_target_node", `Unknown target node for memory at ${hx(addr)}, assuming node 0`);
    return 0;
  }
  const { blocks, reserved } = meminfo(k);
  return (holding(blocks, addr) ?? holding(reserved, addr))?.nid ?? -1;
}
