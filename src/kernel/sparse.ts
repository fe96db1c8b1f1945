/**
 * SPARSEMEM: the section table, sub-section bitmaps, early/online flags and
 * pfn validity. Models mm/sparse.c (sparse_add_section, section_activate,
 * section_deactivate, online/offline_mem_sections) and include/linux/mmzone.h
 * (pfn_valid, pfn_section_valid).
 *
 * Sub-section bitmaps are arrays of 32-bit words (never one JS number used
 * with bitwise operators: that would truncate).
 */
import { pagesPerSection, pagesPerSubsection, subsectionsPerSection, type Geometry } from "./arch.js";
import { EEXIST, EINVAL, type Errno } from "./errno.js";

export interface Section {
  readonly nr: number;
  present: boolean;
  hasMemMap: boolean;
  online: boolean;
  early: boolean;
  taintZoneDevice: boolean;
  nid: number;
  /** One bit per sub-section, 32 per word (plain numbers holding unsigned 32-bit words); null: all set. */
  map: number[] | null;
}

/** A run of fully populated early sections that have no object yet (boot memory at scale). */
interface LazyRun {
  first: number;
  /** Inclusive. */
  last: number;
  nid: number;
}

export class SparseMem {
  readonly g: Geometry;
  /** Sections with an object; see `lazy` for boot sections that do not need one yet. */
  private readonly materialized = new Map<number, Section>();
  /**
   * Fully populated early sections are kept as runs and turned into objects on
   * first access, so booting 64 TiB costs runs, not 524,288 objects. Sorted, disjoint.
   */
  private readonly lazy: LazyRun[] = [];
  /** Lazily backed sections that were removed since. */
  private readonly removedLazy = new Set<number>();
  readonly pps: number;
  readonly ppss: number;
  readonly words: number;
  highestPresent = -1;

  constructor(g: Geometry) {
    this.g = g;
    this.pps = pagesPerSection(g);
    this.ppss = pagesPerSubsection(g);
    this.words = Math.max(1, subsectionsPerSection(g) / 32);
  }

  sectionNr(pfn: number): number {
    return Math.floor(pfn / this.pps);
  }

  get(nr: number): Section | undefined {
    return this.materialized.get(nr) ?? this.materialize(nr);
  }

  /** A section as get() returns it, without materializing a lazy boot section (views at scale); do not modify. */
  peek(nr: number): Readonly<Section> | undefined {
    const s = this.materialized.get(nr);
    if (s || this.removedLazy.has(nr)) return s;
    const run = this.lazyRunOf(nr);
    return run ? { nr, present: true, hasMemMap: true, online: true, early: true, taintZoneDevice: false, nid: run.nid, map: null } : undefined;
  }

  private lazyRunOf(nr: number): LazyRun | undefined {
    let lo = 0;
    let hi = this.lazy.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.lazy[mid];
      if (nr < r.first) hi = mid - 1;
      else if (nr > r.last) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  private materialize(nr: number): Section | undefined {
    if (this.lazy.length === 0 || this.removedLazy.has(nr)) return undefined;
    const run = this.lazyRunOf(nr);
    if (!run) return undefined;
    const s: Section = { nr, present: true, hasMemMap: true, online: true, early: true, taintZoneDevice: false, nid: run.nid, map: null };
    this.materialized.set(nr, s);
    return s;
  }

  /** Numbers of all sections that exist (present or holding sub-sections), ascending. */
  sectionNumbers(): number[] {
    const out = new Set<number>(this.materialized.keys());
    for (const r of this.lazy) for (let nr = r.first; nr <= r.last; nr++) if (!this.removedLazy.has(nr)) out.add(nr);
    return [...out].sort((a, b) => a - b);
  }

  /** Number of existing sections, without materializing them. */
  get count(): number {
    let n = this.materialized.size;
    for (const r of this.lazy) for (let nr = r.first; nr <= r.last; nr++) if (!this.materialized.has(nr) && !this.removedLazy.has(nr)) n++;
    return n;
  }

  /** Runs of present section numbers in ascending order, as [first, last] pairs (boot uses it to create blocks). */
  presentRuns(): [number, number][] {
    const nrs = new Set<number>();
    for (const [nr, s] of this.materialized) if (s.present) nrs.add(nr);
    const runs: [number, number][] = [];
    const extra = [...nrs].filter((nr) => !this.lazyRunOf(nr)).sort((a, b) => a - b);
    for (const nr of extra) runs.push([nr, nr]);
    for (const r of this.lazy) {
      let start = -1;
      for (let nr = r.first; nr <= r.last + 1; nr++) {
        const alive = nr <= r.last && !this.removedLazy.has(nr) && (this.materialized.get(nr)?.present ?? true);
        if (alive && start < 0) start = nr;
        if (!alive && start >= 0) {
          runs.push([start, nr - 1]);
          start = -1;
        }
      }
    }
    return runs.sort((a, b) => a[0] - b[0]);
  }

  private forget(nr: number): void {
    this.materialized.delete(nr);
    if (this.lazyRunOf(nr)) this.removedLazy.add(nr);
  }

  private ensure(nr: number, nid: number): Section {
    let s = this.get(nr);
    if (!s) {
      s = {
        nr,
        present: false,
        hasMemMap: false,
        online: false,
        early: false,
        taintZoneDevice: false,
        nid,
        map: this.zeroWords(),
      };
      this.materialized.set(nr, s);
      this.removedLazy.delete(nr);
    }
    return s;
  }

  /** Sub-section bit range [first, last] of a chunk inside one section. */
  private bits(pfn: number, nr: number): [number, number] {
    const base = this.sectionNr(pfn) * this.pps;
    return [Math.floor((pfn - base) / this.ppss), Math.floor((pfn + nr - 1 - base) / this.ppss)];
  }

  private anyMaterialized(a: number, b: number): boolean {
    if (this.materialized.size < b - a + 1) {
      for (const nr of this.materialized.keys()) if (nr >= a && nr <= b) return true;
      return false;
    }
    for (let nr = a; nr <= b; nr++) if (this.materialized.has(nr)) return true;
    return false;
  }

  /** Mask of bits [a, b] within word w (bit indexes are section-local sub-section numbers, not addresses). */
  private wordMask(w: number, a: number, b: number): number {
    const lo = Math.max(a, w * 32) - w * 32;
    const hi = Math.min(b, w * 32 + 31) - w * 32;
    if (lo > hi) return 0;
    const width = hi - lo + 1;
    return width === 32 ? 0xffffffff : (((1 << width) - 1) << lo) >>> 0;
  }
  private zeroWords(): number[] {
    return new Array<number>(this.words).fill(0);
  }
  private word(s: Section, w: number): number {
    return s.map === null ? 0xffffffff : s.map[w];
  }
  private testAny(s: Section, a: number, b: number): boolean {
    for (let w = a >>> 5; w <= b >>> 5; w++) if ((this.word(s, w) & this.wordMask(w, a, b)) !== 0) return true;
    return false;
  }
  private testAll(s: Section, a: number, b: number): boolean {
    for (let w = a >>> 5; w <= b >>> 5; w++) {
      const m = this.wordMask(w, a, b);
      if (((this.word(s, w) & m) >>> 0) !== m) return false;
    }
    return true;
  }
  private setBits(s: Section, a: number, b: number, on: boolean): void {
    const last = subsectionsPerSection(this.g) - 1;
    if (on && a === 0 && b === last) {
      s.map = null;
      return;
    }
    // All set means the section's own sub-sections only (ppc64 has 8 per section, not a word's 32).
    if (s.map === null) s.map = Array.from({ length: this.words }, (_, w) => this.wordMask(w, 0, last));
    for (let w = a >>> 5; w <= b >>> 5; w++) {
      const m = this.wordMask(w, a, b);
      s.map[w] = on ? (s.map[w] | m) >>> 0 : (s.map[w] & ~m) >>> 0;
    }
  }
  private empty(s: Section): boolean {
    return s.map !== null && s.map.every((w) => w === 0);
  }

  testSubsection(pfn: number): boolean {
    const s = this.get(this.sectionNr(pfn));
    if (!s) return false;
    const [a] = this.bits(pfn, 1);
    return this.testAny(s, a, a);
  }

  /** Boot: memory_present() + sparse_init() + subsection_map_init() for one memblock range (pfns). */
  bootAddRange(startPfn: number, endPfn: number, nid: number): void {
    const first = this.sectionNr(startPfn);
    const lastNr = this.sectionNr(endPfn - 1);
    // Whole sections in the middle of the range become a lazy run.
    const fullFirst = startPfn % this.pps === 0 ? first : first + 1;
    const fullLast = endPfn % this.pps === 0 ? lastNr : lastNr - 1;
    for (let nr = first; nr * this.pps < endPfn; nr++) {
      if (nr === fullFirst && fullLast >= fullFirst && !this.anyMaterialized(fullFirst, fullLast)) {
        const prev = this.lazy[this.lazy.length - 1];
        if (prev && prev.last === fullFirst - 1 && prev.nid === nid) prev.last = fullLast;
        else if (!prev || prev.last < fullFirst) this.lazy.push({ first: fullFirst, last: fullLast, nid });
        else this.lazy.splice(this.lazy.findIndex((r) => r.first > fullFirst), 0, { first: fullFirst, last: fullLast, nid });
        this.highestPresent = Math.max(this.highestPresent, fullLast);
        nr = fullLast;
        continue;
      }
      const s = this.ensure(nr, nid);
      s.present = true;
      s.hasMemMap = true;
      s.online = true;
      s.early = true;
      const cs = Math.max(startPfn, nr * this.pps);
      const ce = Math.min(endPfn, (nr + 1) * this.pps);
      const [a, b] = this.bits(cs, ce - cs);
      this.setBits(s, a, b, true);
      this.highestPresent = Math.max(this.highestPresent, nr);
    }
  }

  /**
   * Models check_pfn_span() + the section walk of __add_pages() /
   * sparse_add_section(): activates sub-sections chunk by chunk, stopping at
   * the first error (earlier chunks stay: the caller rolls back).
   */
  addPages(nid: number, pfn: number, nr: number): { ok: true } | { ok: false; errno: Errno; added: number } {
    let cur = pfn;
    const end = pfn + nr;
    while (cur < end) {
      const secEnd = (this.sectionNr(cur) + 1) * this.pps;
      const chunk = Math.min(end, secEnd) - cur;
      const s = this.ensure(this.sectionNr(cur), nid);
      const [a, b] = this.bits(cur, chunk);
      if (this.testAny(s, a, b)) {
        if (this.empty(s) && !s.present) this.forget(s.nr);
        return { ok: false, errno: EEXIST, added: cur - pfn };
      }
      this.setBits(s, a, b, true);
      if (!s.present) s.nid = nid;
      s.present = true;
      s.hasMemMap = true;
      this.highestPresent = Math.max(this.highestPresent, s.nr);
      cur += chunk;
    }
    return { ok: true };
  }

  /** Models __remove_pages() / section_deactivate() for an aligned range. */
  removePages(pfn: number, nr: number): void {
    let cur = pfn;
    const end = pfn + nr;
    while (cur < end) {
      const secEnd = (this.sectionNr(cur) + 1) * this.pps;
      const chunk = Math.min(end, secEnd) - cur;
      const s = this.get(this.sectionNr(cur));
      if (s && s.hasMemMap) {
        const [a, b] = this.bits(cur, chunk);
        if (this.testAll(s, a, b)) {
          this.setBits(s, a, b, false);
          if (this.empty(s)) {
            // The whole section word is zeroed: PRESENT, ONLINE, EARLY, taint are gone.
            this.forget(s.nr);
          }
        }
      }
      cur += chunk;
    }
  }

  /** online_mem_sections() / offline_mem_sections() over whole sections of a range. */
  setOnline(pfn: number, nr: number, online: boolean): void {
    for (let n = this.sectionNr(pfn); n * this.pps < pfn + nr; n++) {
      const s = this.get(n);
      if (s) s.online = online;
    }
  }

  /** pfn_valid(): memmap exists and (early section or sub-section populated). */
  pfnValid(pfn: number): boolean {
    const s = this.get(this.sectionNr(pfn));
    if (!s || !s.hasMemMap) return false;
    return s.early || this.testSubsection(pfn);
  }

  pfnInPresentSection(pfn: number): boolean {
    return this.get(this.sectionNr(pfn))?.present ?? false;
  }

  isAligned(pfn: number, nr: number): boolean {
    return pfn % this.ppss === 0 && nr % this.ppss === 0;
  }
}

export { EINVAL };
