/**
 * Nodes and zones: spans, present/managed counters, node state masks, and
 * the zonelist rebuild log. Models parts of mm/page_alloc.c
 * (build_all_zonelists, zone spans), include/linux/mmzone.h and
 * mm/memory_hotplug.c (resize spans, remove_pfn_range_from_zone).
 */
import type { Kernel } from "./kernel.js";

export const ZONE_NAMES = ["DMA", "DMA32", "Normal", "Movable", "Device"] as const;
export type ZoneName = (typeof ZONE_NAMES)[number];
export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const ZONE_MOVABLE = 3;
export const ZONE_DEVICE = 4;
export type ZoneIdx = 0 | 1 | 2 | 3 | 4;

export interface Zone {
  readonly idx: ZoneIdx;
  readonly nid: number;
  startPfn: number;
  spanned: number;
  present: number;
  presentEarly: number;
  managed: number;
  /** Pages of boot CMA areas in the zone (zone->cma_pages): movable for the auto-movable policy. */
  cmaPages: number;
}

export interface Node {
  readonly nid: number;
  /** pgdat allocated (boot nodes, or initialised by a hot-add). */
  pgdatInit: boolean;
  zones: Zone[];
}

export function makeNode(nid: number): Node {
  const zones = ([0, 1, 2, 3, 4] as ZoneIdx[]).map((idx) => ({
    idx,
    nid,
    startPfn: 0,
    spanned: 0,
    present: 0,
    presentEarly: 0,
    managed: 0,
    cmaPages: 0,
  }));
  return { nid, pgdatInit: false, zones };
}

export function zoneEnd(z: Zone): number {
  return z.startPfn + z.spanned;
}

export function zoneIsEmpty(z: Zone): boolean {
  return z.spanned === 0;
}

export function populatedZone(z: Zone): boolean {
  return z.present > 0;
}

/** zone_intersects(): a non-empty span overlapping [start, start+nr). */
export function zoneIntersects(z: Zone, startPfn: number, nr: number): boolean {
  if (zoneIsEmpty(z)) return false;
  return z.startPfn < startPfn + nr && startPfn < zoneEnd(z);
}

/** The node's span: union of non-empty zone spans. */
export function nodeSpan(n: Node): { start: number; end: number } | null {
  let start = Infinity;
  let end = -Infinity;
  for (const z of n.zones) {
    if (zoneIsEmpty(z)) continue;
    start = Math.min(start, z.startPfn);
    end = Math.max(end, zoneEnd(z));
  }
  return start === Infinity ? null : { start, end };
}

export function nodeSpannedPages(n: Node): number {
  const s = nodeSpan(n);
  return s ? s.end - s.start : 0;
}

/** Grow a zone span to cover [start, start+nr) (resize_zone_range). */
export function growZoneSpan(z: Zone, startPfn: number, nr: number): void {
  if (zoneIsEmpty(z)) {
    z.startPfn = startPfn;
    z.spanned = nr;
    return;
  }
  const end = Math.max(zoneEnd(z), startPfn + nr);
  z.startPfn = Math.min(z.startPfn, startPfn);
  z.spanned = end - z.startPfn;
}

export function nodeHasMemory(n: Node): boolean {
  return n.zones.some((z) => z.idx !== ZONE_DEVICE && z.present > 0);
}

export function nodeHasNormalMemory(n: Node): boolean {
  return n.zones.some((z) => z.idx <= ZONE_NORMAL && z.present > 0);
}

/** MAX_NUMNODES of the x86_64 Debian config (CONFIG_NODES_SHIFT=10). */
const MAX_NUMNODES = 1024;
/** PENALTY_FOR_NODE_WITH_CPUS in mm/page_alloc.c. */
const PENALTY_FOR_NODE_WITH_CPUS = 1;

/**
 * build_zonelists()' node order for `nid`: the node itself, then, one at a
 * time, find_next_best_node() among the nodes with memory (`withMemory`,
 * N_MEMORY): the smallest distance, +1 for a node numbered below `nid`, +1
 * for a node with CPUs (headless nodes are preferred), then the lowest
 * `load` (shared by all nodes of one rebuild: the first node of each new
 * distance group gets +1, spreading the load round-robin), then the lowest id.
 */
export function fallbackOrder(k: Kernel, nid: number, withMemory: number[], load: Map<number, number> = new Map()): number[] {
  // Newer kernels leave a memoryless local node out of its own order.
  const order = k.rules.fallbackSkipsMemorylessLocal && !withMemory.includes(nid) ? [] : [nid];
  const used = new Set([nid]);
  let prev = nid;
  for (;;) {
    let best = -1;
    let bestVal = Infinity;
    for (const n of withMemory) {
      if (used.has(n)) continue;
      let val = k.nodeDistance(nid, n) + (n < nid ? 1 : 0);
      if ((k.cpusByNode[n]?.length ?? 0) > 0) val += PENALTY_FOR_NODE_WITH_CPUS;
      val = val * MAX_NUMNODES + (load.get(n) ?? 0);
      if (val < bestVal) {
        bestVal = val;
        best = n;
      }
    }
    if (best < 0) return order;
    used.add(best);
    if (k.nodeDistance(nid, best) !== k.nodeDistance(nid, prev)) load.set(best, (load.get(best) ?? 0) + 1);
    order.push(best);
    prev = best;
  }
}

/**
 * Models build_all_zonelists() as it logs: "Fallback order" per online node
 * (or only `onlyNid` for a new node's pgdat), the "Built … zonelists" line and
 * "Policy zone". `stillWithMemory`: a node offline_pages() has emptied but
 * not yet taken out of N_MEMORY (it rebuilds before node_states_clear_node()).
 */
export function logZonelistRebuild(k: Kernel, onlyNid?: number, stillWithMemory?: number): void {
  const online = k.onlineNodes();
  const nodes = onlyNid === undefined ? online : [onlyNid];
  const withMemory = k.nodesWithMemory();
  if (stillWithMemory !== undefined && !withMemory.includes(stillWithMemory)) withMemory.push(stillWithMemory);
  withMemory.sort((a, b) => a - b);
  const load = new Map<number, number>();
  for (const nid of k.rules.zonelistFallbackLog ? nodes : []) {
    const order = fallbackOrder(k, nid, withMemory, load);
    k.printk(6, `Fallback order for Node ${nid}: ${order.map((n) => `${n} `).join("")}`);
  }
  const total = totalZonelistPages(k);
  const grouping = total < (k.geometry.pageblockSize / k.geometry.pageSize) * 5 ? "off" : "on";
  k.printk(6, `Built ${online.length} zonelists, mobility grouping ${grouping}.  Total pages: ${total}`);
  k.printk(6, `Policy zone: ${ZONE_NAMES[k.policyZone]}`);
}

/** Approximates nr_free_zone_pages(): managed pages minus a high watermark per populated zone. */
function totalZonelistPages(k: Kernel): number {
  let total = 0;
  for (const n of k.nodes.values()) {
    for (const z of n.zones) {
      if (z.idx === ZONE_DEVICE || z.present === 0) continue;
      total += Math.max(0, z.managed - highWatermark(z.managed));
    }
  }
  return total;
}

function highWatermark(managed: number): number {
  return Math.floor(managed / 256);
}
