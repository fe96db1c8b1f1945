/**
 * The per-CPU page lists (mm/page_alloc.c: zone_batchsize(), nr_pcp_alloc()):
 * how many pages a refill takes from the buddy, which decides how many
 * max-order chunks of a newly populated zone user space's first refills
 * split (page-alloc-pins.ts, page-alloc.ts). Pure.
 */

/**
 * zone_batchsize(): a zone's per-CPU batch, from its managed pages (0.1 % of
 * the zone, at most 1 MiB of 4 KiB pages, a quarter of that, then 2^n - 1).
 */
export function zoneBatch(managedPages: number, pageSize: number): number {
  const quarter = Math.max(1, Math.floor(Math.min(Math.floor(managedPages / 1024), Math.floor((1024 * 1024) / pageSize)) / 4));
  return 2 ** Math.floor(Math.log2(quarter + Math.floor(quarter / 2))) - 1;
}

/** pcp->batch: zone_batchsize(), but at least 1 (zone_set_pageset_high_and_batch()). */
export function pcpBatch(managedPages: number, pageSize: number): number {
  return Math.max(1, zoneBatch(managedPages, pageSize));
}

/**
 * How many max-order chunks user space's first movable refills of a newly
 * populated zone split: the first refill of one CPU (batch pages, or, where
 * refills scale (`pcpBatchScale`, 6.7+), batch << 5) and the next CPU's
 * (batch): one chunk unless that is more than a chunk
 * (`a64-pin-trace-uefi-700m.r1.trixie`: 2016 pages, then 63 of another
 * process, pageblocks 8 to 12; 640 MiB zones, batch 31, stay within one).
 * With one CPU there is no other CPU's refill: 2016 pages, two chunks
 * (a64-probe23-dts-1cpu-vm-2m-1g on 6.12 and 7.2: the reclaimable steal
 * took the third chunk after them).
 */
export function movableRefillChunks(batch: number, scaled: boolean, chunkPages: number, cpus = 2): number {
  const first = scaled ? batch * 32 : batch;
  return Math.max(1, Math.ceil((first + (cpus > 1 ? batch : 0)) / chunkPages));
}

/** CONFIG_PCP_BATCH_SCALE_MAX: how many times an order-0 refill doubles (6.7+). */
export const PCP_BATCH_SCALE_MAX = 5;

/** MIGRATE_PCPTYPES: the migrate types with per-CPU lists (unmovable, movable, reclaimable). */
const MIGRATE_PCPTYPES = 3;

/**
 * min_free_kbytes: calculate_min_free_kbytes() (the square root of 16 times
 * the low memory in kB, 128 kB to 256 MiB), raised by khugepaged's
 * set_recommended_min_free_kbytes() where transparent hugepages are built
 * (Debian's kernels): two pageblocks per populated zone (up to Normal) plus
 * MIGRATE_PCPTYPES² more, at most 5 % of low memory. `lowmemPages`: the
 * managed pages of the zones up to Normal (nr_free_buffer_pages(), whose
 * high watermarks are left out here). Recorded: 45056 kB on a 2 GiB arm64
 * guest once its Normal zone is populated (test/oracle/arm64/evidence-pin/
 * zoneinfo.*, 'Per-CPU high').
 */
export function minFreeKbytes(lowmemPages: number, pageSize: number, pageblockPages: number, zones: number): number {
  const lowmemKb = (lowmemPages * pageSize) / 1024;
  const byMemory = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(lowmemKb * 16))));
  const thp = Math.min(pageblockPages * zones * (2 + MIGRATE_PCPTYPES * MIGRATE_PCPTYPES), Math.floor(lowmemPages / 20));
  return Math.max(byMemory, (thp * pageSize) / 1024);
}

/**
 * A zone's low watermark (__setup_per_zone_wmarks()): its share of
 * min_free_kbytes by managed pages (the min watermark), plus the larger of a
 * quarter of that and watermark_scale_factor (10) per 10,000 managed pages.
 */
export function lowWatermark(managed: number, lowmemPages: number, minFreeKb: number, pageSize: number): number {
  const pagesMin = Math.floor((minFreeKb * 1024) / pageSize);
  const min = lowmemPages > 0 ? Math.floor((pagesMin * managed) / lowmemPages) : 0;
  return min + Math.max(Math.floor(min / 4), Math.floor((managed * 10) / 10000));
}

/**
 * zone_highsize() (6.7+): the per-CPU lists' high_min (the zone's low
 * watermark) and high_max (an eighth of the zone), split over the CPUs of
 * the zone's node (all CPUs where it has none), at least 4 batches.
 */
export function pcpHighLimits(managed: number, lowWmark: number, batch: number, nodeCpus: number): { highMin: number; highMax: number } {
  const cpus = Math.max(1, nodeCpus);
  return { highMin: Math.max(Math.floor(lowWmark / cpus), batch * 4), highMax: Math.max(Math.floor(Math.floor(managed / 8) / cpus), batch * 4) };
}

/** The pcp state nr_pcp_alloc() reads and changes (6.7+): pcp->high and alloc_factor; count is what the list holds. */
export interface PcpScale {
  high: number;
  factor: number;
}

/**
 * nr_pcp_alloc() where refills scale (6.7+): how many pages a refill of
 * `order` takes, given what the list holds (`count` pages, all orders).
 * pcp->high is clamped to [high_min, high_max] and grows by the refill's
 * batch; an order-0 refill takes batch << alloc_factor, at most what keeps
 * the list below high, and raises the factor when it was not cut.
 */
export function pcpRefill(p: PcpScale, limits: { highMin: number; highMax: number }, base: number, order: number, count: number): number {
  let high = Math.min(Math.max(p.high, limits.highMin), limits.highMax);
  let batch = order ? base : base * 2 ** p.factor;
  if (limits.highMin !== limits.highMax) high = Math.min(high + batch, limits.highMax);
  p.high = high;
  if (!order) {
    const maxNr = Math.max(high - count - base, base);
    if (batch <= maxNr && p.factor < PCP_BATCH_SCALE_MAX) p.factor++;
    batch = Math.min(batch, maxNr);
  }
  return batch > 1 ? Math.max(Math.floor(batch / 2 ** order), 2) : batch;
}
