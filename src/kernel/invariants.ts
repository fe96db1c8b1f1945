/**
 * Structural invariants of the model's state, checked by the property tests
 * after every random operation (and usable as a debugging aid). Each returns
 * a list of violations; empty means sound. Costs follow ranges and blocks.
 */
import type { Kernel } from "./kernel.js";
import type { Resource } from "./resource.js";
import { ZONE_DEVICE, ZONE_NAMES, zoneEnd } from "./zone.js";

function hex(x: number): string {
  return "0x" + x.toString(16);
}

/** The iomem tree is well nested: children inside their parent, sorted, disjoint. */
export function checkIomem(k: Kernel): string[] {
  const out: string[] = [];
  const visit = (r: Resource): void => {
    let prevEnd = -1;
    for (const c of r.children) {
      if (c.parent !== r) out.push(`iomem ${c.name} ${hex(c.start)}: parent link broken`);
      if (c.end < c.start) out.push(`iomem ${c.name}: end before start`);
      if (c.start < r.start || c.end > r.end) out.push(`iomem ${c.name} ${hex(c.start)}-${hex(c.end)} outside ${r.name}`);
      if (c.start <= prevEnd) out.push(`iomem ${c.name} ${hex(c.start)} overlaps or is out of order`);
      prevEnd = c.end;
      visit(c);
    }
  };
  visit(k.iomem);
  return out;
}

/**
 * Sections and sub-section maps agree with what was added: every 2 MiB of
 * `added` (byte ranges, end exclusive) is populated, and no section exists
 * outside them.
 */
export function checkSections(k: Kernel, added: { start: number; end: number }[]): string[] {
  const out: string[] = [];
  const ps = k.geometry.pageSize;
  const ss = k.geometry.subsectionSize;
  const wantSections = new Set<number>();
  for (const r of added) {
    for (let a = r.start - (r.start % ss); a < r.end; a += ss) {
      const pfn = a / ps;
      wantSections.add(k.sparse.sectionNr(pfn));
      if (!k.sparse.testSubsection(pfn)) {
        out.push(`sub-section at ${hex(a)} of added range ${hex(r.start)}-${hex(r.end)} is not populated`);
        break;
      }
    }
  }
  for (const nr of k.sparse.sectionNumbers()) if (!wantSections.has(nr)) out.push(`section ${nr} present but nothing was added there`);
  return out;
}

/** Every block's sections are present; online blocks have online sections. */
export function checkBlocks(k: Kernel): string[] {
  const out: string[] = [];
  const pps = k.sparse.pps;
  for (const b of k.blocks.values()) {
    let anyPresent = false;
    for (let nr = b.startPfn / pps; nr < (b.startPfn + b.nrPages) / pps; nr++) {
      const s = k.sparse.get(nr);
      if (s?.present) anyPresent = true;
      else if (!b.boot) out.push(`memory${b.id}: section ${nr} not present`);
    }
    if (!anyPresent) out.push(`memory${b.id}: no present section`);
    if (b.state === "going-offline") out.push(`memory${b.id}: left in going-offline`);
    if ((b.state === "offline") !== b.devOffline) out.push(`memory${b.id}: state ${b.state} but online=${b.devOffline ? 0 : 1}`);
    if (b.state === "offline" && b.zone) out.push(`memory${b.id}: offline but has a zone`);
  }
  return out;
}

/**
 * Every online hot-added block is inside its zone's span; zone present pages
 * equal the online pages accounted to them; spans of kernel zones and Movable
 * of one node may overlap (6.1 allows it) but present never exceeds spanned.
 */
export function checkZones(k: Kernel): string[] {
  const out: string[] = [];
  for (const n of k.nodes.values()) {
    for (const z of n.zones) {
      const name = `node${n.nid} ${ZONE_NAMES[z.idx]}`;
      if (z.present < 0 || z.managed < 0 || z.presentEarly < 0) out.push(`${name}: negative counter`);
      if (z.present > z.spanned) out.push(`${name}: present ${z.present} > spanned ${z.spanned}`);
      if (z.idx !== ZONE_DEVICE && z.spanned === 0 && z.present !== 0) out.push(`${name}: present without span`);
      if (z.managed > z.present) out.push(`${name}: managed ${z.managed} > present ${z.present}`);
    }
  }
  const perZone = new Map<string, number>();
  for (const b of k.blocks.values()) {
    if (b.state !== "online" || !b.zone) continue;
    const z = k.node(b.zone.nid).zones[b.zone.idx];
    const s = b.startPfn;
    // Boot blocks may end in a hole past the zone span; hot-added blocks are whole.
    if (!b.boot && (s < z.startPfn || s + b.nrPages > zoneEnd(z))) {
      out.push(`memory${b.id} (${ZONE_NAMES[z.idx]}) outside its zone span ${z.startPfn}+${z.spanned}`);
    }
    if (!b.boot) perZone.set(`${z.nid}/${z.idx}`, (perZone.get(`${z.nid}/${z.idx}`) ?? 0) + b.nrPages);
  }
  for (const n of k.nodes.values()) {
    for (const z of n.zones) {
      const hot = perZone.get(`${n.nid}/${z.idx}`) ?? 0;
      if (z.present < hot) out.push(`node${n.nid} ${ZONE_NAMES[z.idx]}: present ${z.present} < ${hot} pages of online hot-added blocks`);
      const early = z.presentEarly;
      if (z.idx !== ZONE_DEVICE && z.present !== early + hot) {
        out.push(`node${n.nid} ${ZONE_NAMES[z.idx]}: present ${z.present} != boot ${early} + hot-added ${hot}`);
      }
    }
  }
  return out;
}

/** Node links match blocks: a block's nid is among its links; links only to possible nodes. */
export function checkNodes(k: Kernel): string[] {
  const out: string[] = [];
  for (const b of k.blocks.values()) {
    if (b.nid >= 0 && !b.nodeLinks.includes(b.nid)) out.push(`memory${b.id}: nid ${b.nid} not linked`);
    for (const n of b.nodeLinks) {
      if (!k.possibleNodes.includes(n)) out.push(`memory${b.id}: linked to impossible node ${n}`);
      if (!k.nodeOnline.has(n)) out.push(`memory${b.id}: linked to offline node ${n}`);
    }
    if (b.nodeLinks.length === 0 && !b.boot) out.push(`memory${b.id}: hot-added block without node`);
  }
  return out;
}

export function checkAll(k: Kernel, added: { start: number; end: number }[]): string[] {
  return [...checkIomem(k), ...checkSections(k, added), ...checkBlocks(k), ...checkZones(k), ...checkNodes(k)];
}
