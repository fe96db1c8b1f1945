/**
 * Memory tiers (mm/memory-tiers.c, v6.1+): every node with memory belongs to
 * the tier of its memory type's abstract distance — DRAM (memory_tier4) by
 * default, the dax kmem type (memory_tier22, five times DRAM's distance)
 * for a node whose first memory kmem brought. A tier is a device under
 * /devices/virtual/memory_tiering: added when its first node gets memory
 * online, removed when its last node loses it (the memory notifier's
 * MEM_ONLINE / MEM_OFFLINE with a node state change). Recorded:
 * test/oracle/cxl/cxl-pmem-numa (a CXL window's own node).
 */
import type { Kernel } from "./kernel.js";
import { registerMemoryNotifier } from "./online.js";

export type MemoryType = "dram" | "dax";
/** Tier id = abstract distance >> MEMTIER_CHUNK_BITS. */
const TIER_OF: Record<MemoryType, number> = { dram: 4, dax: 22 };

interface TierState {
  types: Map<number, MemoryType>;
  tiers: Map<number, Set<number>>;
}

const states = new WeakMap<Kernel, TierState>();

function nodePresent(k: Kernel, nid: number): number {
  const n = k.nodes.get(nid);
  return n ? n.zones.reduce((a, z) => a + z.present, 0) : 0;
}

function tierPath(t: number): string {
  return `/devices/virtual/memory_tiering/memory_tier${t}`;
}

/** memory_tier_init(): the boot nodes with memory are DRAM; the hotplug callback keeps the tiers. */
export function memoryTiersInit(k: Kernel): void {
  if (states.has(k) || !k.rules.memoryTiers) return;
  const st: TierState = { types: new Map(), tiers: new Map() };
  states.set(k, st);
  for (const nid of k.nodesWithMemory()) {
    st.types.set(nid, "dram");
    const s = st.tiers.get(TIER_OF.dram) ?? new Set<number>();
    s.add(nid);
    st.tiers.set(TIER_OF.dram, s);
  }
  registerMemoryNotifier(k, (action, arg) => {
    const nid = arg.zone.nid;
    if (action === "ONLINE" && nodePresent(k, nid) === arg.nrPages) {
      if (!st.types.has(nid)) st.types.set(nid, "dram");
      const t = TIER_OF[st.types.get(nid)!];
      let s = st.tiers.get(t);
      if (!s) {
        s = new Set();
        st.tiers.set(t, s);
        k.uevent("add", tierPath(t), "memory_tiering");
      }
      s.add(nid);
      establishDemotionTargets(k, st);
    } else if (action === "OFFLINE" && nodePresent(k, nid) === 0) {
      let wasInTier = false;
      for (const [t, s] of st.tiers) {
        if (!s.delete(nid)) continue;
        wasInTier = true;
        if (s.size) continue;
        st.tiers.delete(t);
        k.uevent("remove", tierPath(t), "memory_tiering");
      }
      if (wasInTier) establishDemotionTargets(k, st);
    }
  });
}

/** A node mask as the kernel's %*pbl prints it: `0-2,5`. */
function nodeList(nids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nids.length; ) {
    let j = i;
    while (j + 1 < nids.length && nids[j + 1] === nids[j] + 1) j++;
    out.push(j === i ? `${nids[i]}` : `${nids[i]}-${nids[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/**
 * establish_demotion_targets() and, where the version logs them, its report:
 * each node with memory demotes to the nearest nodes of the next slower tier
 * (preferred) and may fall back to any slower tier. Only the all-null case
 * (every node in one tier) is recorded; the preferred/fallback wording is
 * the kernel's format, unverified against a trace.
 */
function establishDemotionTargets(k: Kernel, st: TierState): void {
  if (!k.rules.demotionTargetsLog) return;
  const tierOf = new Map<number, number>();
  for (const [t, s] of st.tiers) for (const nid of s) tierOf.set(nid, t);
  const tiers = [...st.tiers.keys()].sort((a, b) => a - b);
  for (const nid of k.nodesWithMemory()) {
    const t = tierOf.get(nid);
    if (t === undefined) continue;
    const slower = tiers.filter((x) => x > t);
    if (slower.length === 0) {
      k.printk(6, `Demotion targets for Node ${nid}: null`);
      continue;
    }
    const next = [...(st.tiers.get(slower[0]) ?? [])];
    const best = Math.min(...next.map((m) => k.nodeDistance(nid, m)));
    const preferred = next.filter((m) => k.nodeDistance(nid, m) === best).sort((a, b) => a - b);
    const fallback = slower.flatMap((x) => [...(st.tiers.get(x) ?? [])]).sort((a, b) => a - b);
    k.printk(6, `Demotion targets for Node ${nid}: preferred: ${nodeList(preferred)}, fallback: ${nodeList(fallback)}`);
  }
}

/** init_node_memory_type() (kmem probe): a node without a type takes the dax type. */
export function initNodeMemoryType(k: Kernel, nid: number, type: MemoryType): void {
  const st = states.get(k);
  if (st && !st.types.has(nid)) st.types.set(nid, type);
}

/** clear_node_memory_type() (kmem remove): the node forgets the type once it has no memory. */
export function clearNodeMemoryType(k: Kernel, nid: number, type: MemoryType): void {
  const st = states.get(k);
  if (st && st.types.get(nid) === type && nodePresent(k, nid) === 0) st.types.delete(nid);
}
