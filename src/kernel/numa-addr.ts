/**
 * Where a driver's memory belongs when its firmware description names no
 * node the kernel knows: memory_add_physaddr_to_nid() (the node to add it
 * on) and phys_to_target_node() (the node it is memory of), as arm64 has
 * them. 6.1 has the generic stubs (node 0, said once per boot); from 6.12
 * arm64 uses numa_memblks, which look the address up in the NUMA meminfo
 * (the device tree's /memory nodes, or the node faked under ACPI) and, for
 * the target node, in the SRAT ranges outside memblock it kept aside (rule
 * `arm64NumaMemblks`). x86 has its own SRAT lookups (scenario/ops-nvdimm.ts).
 */
import type { Kernel } from "./kernel.js";

const hx = (n: number) => `0x${n.toString(16)}`;

/** pr_info_once(): one line per boot, whichever caller comes first. */
function once(k: Kernel, key: string, text: string): void {
  if (k.printedOnce.has(key)) return;
  k.printedOnce.add(key);
  k.printk(6, text);
}

type Block = { start: number; end: number; nid: number };

function meminfo(k: Kernel): { blocks: Block[]; reserved: Block[] } {
  const fw = k.numaFirmware;
  if (fw.kind === "devicetree") return { blocks: fw.meminfo, reserved: [] };
  if (fw.kind === "acpi-faked") return { blocks: fw.meminfo, reserved: fw.reserved };
  return { blocks: [], reserved: [] };
}

/** memory_add_physaddr_to_nid() on arm64: the meminfo block holding the address, else the first block's node. */
export function arm64MemoryAddPhysaddrToNid(k: Kernel, addr: number): number {
  if (k.rules.arm64NumaMemblks === "stub") {
    once(k, "memory_add_physaddr_to_nid", `Unknown online node for memory at ${hx(addr)}, assuming node 0`);
    return 0;
  }
  const { blocks } = meminfo(k);
  return (blocks.find((b) => b.start <= addr && addr < b.end) ?? blocks[0])?.nid ?? 0;
}

/** phys_to_target_node() on arm64: the meminfo block holding the address, else the reserved SRAT range, else none (-1). */
export function arm64PhysToTargetNode(k: Kernel, addr: number): number {
  if (k.rules.arm64NumaMemblks === "stub") {
    once(k, "phys_to_target_node", `Unknown target node for memory at ${hx(addr)}, assuming node 0`);
    return 0;
  }
  const { blocks, reserved } = meminfo(k);
  return (blocks.find((b) => b.start <= addr && addr < b.end) ?? reserved.find((b) => b.start <= addr && addr < b.end))?.nid ?? -1;
}
