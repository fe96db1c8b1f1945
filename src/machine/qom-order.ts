/**
 * The order in which QEMU walks its object tree (QOM): object_child_foreach()
 * visits an object's children in the iteration order of its property table, a
 * GLib GHashTable keyed by the child's name. Devices with an `id` are children
 * of /machine/peripheral named by that id, so the order of anything QEMU builds
 * by walking the tree (the NFIT and the SRAT NVDIMM entries through
 * nvdimm_get_device_list()) is the hash-table order of the ids, not the
 * command-line order.
 *
 * Modelled on GLib 2.74 (Debian 12, what QEMU 7.2 links): g_str_hash() (djb2
 * over signed chars), open addressing with index (hash * 11) mod a prime below
 * the power-of-two size, triangular probing, growth at 15/16 occupancy to the
 * power of two above nnodes * 1.333 with in-place relocation, iteration by
 * bucket index. Pure: runs in a browser.
 */
import type { MachineSpec } from "./types.js";

const MIN_SHIFT = 3;
/** GLib's prime_mod[]: the largest prime below 2^shift. */
const PRIME_MOD = [1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573];

/** g_str_hash(): h = h * 33 + c over the bytes as signed chars, in 32 bits. */
export function gStrHash(s: string): number {
  let h = 5381;
  for (const b of new TextEncoder().encode(s)) h = (Math.imul(h, 33) + (b >= 128 ? b - 256 : b)) >>> 0;
  return h;
}

/** A GHashTable of string keys, as far as the order of its buckets goes (insertions only). */
export class GHashOrder {
  private hashes: number[];
  private keys: (string | undefined)[];
  private size = 0;
  private mod = 0;
  private mask = 0;
  private nnodes = 0;
  private noccupied = 0;

  constructor() {
    this.setShift(MIN_SHIFT);
    this.hashes = new Array<number>(this.size).fill(0);
    this.keys = new Array<string | undefined>(this.size).fill(undefined);
  }

  private setShift(shift: number): void {
    if (shift >= PRIME_MOD.length) throw new RangeError("too many QOM children");
    this.size = 2 ** shift;
    this.mod = PRIME_MOD[shift];
    this.mask = this.size - 1;
  }

  private toIndex(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % this.mod;
  }

  /** g_hash_table_insert() of a new key (an existing key keeps its bucket). */
  insert(key: string): void {
    let hash = gStrHash(key);
    if (hash <= 1) hash = 2;
    let i = this.toIndex(hash);
    for (let step = 0; this.hashes[i] !== 0; ) {
      if (this.hashes[i] === hash && this.keys[i] === key) return;
      step++;
      i = (i + step) & this.mask;
    }
    this.hashes[i] = hash;
    this.keys[i] = key;
    this.nnodes++;
    this.noccupied++;
    // g_hash_table_maybe_resize()
    if ((this.size > this.nnodes * 4 && this.size > 2 ** MIN_SHIFT) || this.size <= this.noccupied + Math.floor(this.noccupied / 16)) this.resize();
  }

  /** g_hash_table_resize(): a new size from nnodes * 1.333, entries relocated in place in bucket order, evicting as they land. */
  private resize(): void {
    const oldSize = this.size;
    let n = Math.trunc(this.nnodes * 1.333);
    let shift = 0;
    while (n) {
      n >>= 1;
      shift++;
    }
    this.setShift(Math.max(shift, MIN_SHIFT));
    const len = Math.max(this.size, oldSize);
    while (this.hashes.length < len) {
      this.hashes.push(0);
      this.keys.push(undefined);
    }
    const placed = new Array<boolean>(len).fill(false);
    for (let i = 0; i < oldSize; i++) {
      let hash = this.hashes[i];
      if (hash <= 1 || placed[i]) continue;
      let key = this.keys[i];
      this.hashes[i] = 0;
      this.keys[i] = undefined;
      for (;;) {
        let j = this.toIndex(hash);
        for (let step = 0; placed[j]; ) {
          step++;
          j = (j + step) & this.mask;
        }
        placed[j] = true;
        const evictedHash = this.hashes[j];
        const evictedKey = this.keys[j];
        this.hashes[j] = hash;
        this.keys[j] = key;
        if (evictedHash <= 1) break;
        hash = evictedHash;
        key = evictedKey;
      }
    }
    this.hashes.length = this.size;
    this.keys.length = this.size;
    this.noccupied = this.nnodes;
  }

  /** The keys in g_hash_table_iter_next() order. */
  order(): string[] {
    return this.keys.filter((k, i): k is string => k !== undefined && this.hashes[i] > 1);
  }
}

/** The children of a QOM container added in this order, in the order object_child_foreach() visits them. */
export function qomChildOrder(names: readonly string[]): string[] {
  const t = new GHashOrder();
  for (const n of names) t.insert(n);
  return t.order();
}

/**
 * The ids of the cold-plugged devices in /machine/peripheral, in the order the
 * oracle's QEMU command line creates them: -device nvdimm, virtio-mem-pci, the
 * CXL host bridges, root ports and type-3 devices, then (arm64 virt, which has
 * one UART) the agent's virtio-serial-pci and virtconsole.
 */
export function peripheralIds(spec: MachineSpec): string[] {
  const ids = [...(spec.nvdimms ?? []).map((d) => d.id), ...(spec.virtio_mem ?? []).map((d) => d.id)];
  if (spec.cxl) ids.push(...spec.cxl.host_bridges.map((d) => d.id), ...spec.cxl.root_ports.map((d) => d.id), ...spec.cxl.type3.map((d) => d.id));
  if (spec.type === "virt") ids.push("vser0", "agentcon0");
  return ids;
}

/**
 * nvdimm_get_device_list() at a moment when the devices with these ids exist:
 * the NVDIMMs among them in QOM walk order.
 */
function deviceListOrder<T extends { id: string }>(ids: readonly string[], nvdimms: readonly T[]): T[] {
  const rank = new Map(qomChildOrder(ids).map((id, i) => [id, i]));
  return [...nvdimms].sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
}

/**
 * The order of QEMU's NFIT (and of _FIT, the same buffer): nvdimm_plug()
 * rebuilds the buffer each time an NVDIMM is plugged, so the table holds the
 * list as it was when the last cold-plugged NVDIMM was realized, with the
 * devices created up to it (the oracle's command line puts NVDIMMs first).
 */
export function nfitOrder<T extends { id: string }>(spec: MachineSpec, nvdimms: readonly T[]): T[] {
  const ids = peripheralIds(spec);
  const nv = new Set(nvdimms.map((d) => d.id));
  let last = -1;
  ids.forEach((id, i) => {
    if (nv.has(id)) last = i;
  });
  return deviceListOrder(ids.slice(0, last + 1), nvdimms);
}

/** The order of the SRAT's NVDIMM entries: the list when the ACPI tables are built, every cold-plugged device created. */
export function sratNvdimmOrder<T extends { id: string }>(spec: MachineSpec, nvdimms: readonly T[]): T[] {
  return deviceListOrder(peripheralIds(spec), nvdimms);
}
