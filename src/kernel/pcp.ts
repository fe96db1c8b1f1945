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

/**
 * How many max-order chunks user space's first movable refills of a newly
 * populated zone split: the first refill of one CPU (batch pages, or, where
 * refills scale (`pcpBatchScale`, 6.7+), batch << 5) and the next CPU's
 * (batch): one chunk unless that is more than a chunk
 * (`a64-pin-trace-uefi-700m.r1.trixie`: 2016 pages, then 63 of another
 * process, pageblocks 8 to 12; 640 MiB zones, batch 31, stay within one).
 */
export function movableRefillChunks(batch: number, scaled: boolean, chunkPages: number): number {
  const first = scaled ? batch * 32 : batch;
  return Math.max(1, Math.ceil((first + batch) / chunkPages));
}
