/**
 * A dump made of what bug reports contain: /proc/iomem (as root), maybe
 * /proc/zoneinfo and /proc/meminfo. The memory blocks are those the kernel
 * creates for it: one per block-size-aligned range holding a present
 * section (System RAM), all online (a running system's boot memory); the
 * block size is given or inferred the way x86_64 probes it. Everything
 * inferred is said. Pure (browser-safe).
 */
import { InputError } from "../errors.js";
import { probeMemoryBlockSize } from "../kernel/arch.js";
import { formatSize, GiB, MiB } from "../kernel/units.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import type { DumpBlock, DumpFile, MachineDump } from "./dump.js";
import { systemRam } from "./dump-infer.js";
import { parseIomem } from "./iomem-parse.js";
import { parseZoneinfo } from "./proc-parse.js";

const SECTION = 128 * MiB;
/** x86_64 zone limits: DMA below 16 MiB, DMA32 below 4 GiB, Normal above. */
const ZONE_LIMITS = [16 * MiB, 4 * GiB, Number.MAX_SAFE_INTEGER];

export interface IomemDumpOptions {
  /** --block-size: the machine's memory block size (lsmem's "Memory block size"). */
  blockSize?: number;
  zoneinfo?: DumpFile;
  meminfo?: DumpFile;
  /** What was inferred, for the user. */
  notes: string[];
}

/** The MachineDump an /proc/iomem file (and maybe zoneinfo/meminfo) implies. */
export function dumpFromIomem(iomem: DumpFile, opts: IomemDumpOptions): MachineDump {
  const lines = iomem.text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new InputError("empty /proc/iomem", { file: iomem.file });
  const ram = systemRam(parseIomem(lines, iomem.file));
  if (ram.length === 0) throw new InputError("no System RAM lines: not a /proc/iomem read as root?", { file: iomem.file });
  const end = ram[ram.length - 1].end;
  let blockSize = opts.blockSize;
  if (blockSize === undefined) {
    // probe_memory_block_size(): 128 MiB below 64 GiB; above, bare metal gets 2 GiB (a guest: what divides the end).
    blockSize = probeMemoryBlockSize(end, false);
    opts.notes.push(
      `block size: ${formatSize(blockSize)}, inferred as x86_64 probes it (boot memory ends at 0x${end.toString(16)}${end < 64 * 1024 * MiB ? ", below 64 GiB" : ", bare metal assumed"}); pass --block-size if lsmem shows another`,
    );
  }
  // Node of a block: the zoneinfo node whose span holds it, else node 0.
  const spans: { nid: number; zone: string; start: number; end: number }[] = [];
  if (opts.zoneinfo) {
    for (const [key, zones] of Object.entries(parseZoneinfo(opts.zoneinfo))) {
      for (const [name, z] of Object.entries(zones)) {
        if (z.start_pfn === null || z.spanned === 0 || name === "Device") continue;
        spans.push({ nid: Number(key.slice(4)), zone: name, start: z.start_pfn * 4096, end: (z.start_pfn + z.spanned) * 4096 });
      }
    }
  }
  const nodeOf = (start: number, end: number): number => spans.find((s) => s.start < end && start < s.end)?.nid ?? 0;
  // valid_zones of an online boot block: its one zone, or "none" when its RAM lies in several (6.1: mem->zone).
  const zoneOf = (start: number, end: number): string => {
    const zones = new Set<string>();
    for (const r of ram) {
      const a = Math.max(start, r.start);
      const e = Math.min(end, r.end);
      if (e <= a) continue;
      const fromInfo = spans.filter((s) => s.start < e && a < s.end);
      if (fromInfo.length) for (const s of fromInfo) zones.add(`${s.nid}/${s.zone}`);
      else for (let zi = 0; zi < 3; zi++) if (a < ZONE_LIMITS[zi] && e > (zi ? ZONE_LIMITS[zi - 1] : 0)) zones.add(`0/${ZONE_NAMES[zi]}`);
    }
    return zones.size === 1 ? [...zones][0].split("/")[1] : "none";
  };
  const blocks: DumpBlock[] = [];
  const ids = new Set<number>();
  for (const r of ram) {
    // Sections with any System RAM are present; their blocks exist.
    for (let sec = Math.floor(r.start / SECTION); sec * SECTION < r.end; sec++) ids.add(Math.floor((sec * SECTION) / blockSize));
  }
  const at = (name: string, rel: string, text: string): DumpFile => ({ text, file: `${iomem.file} (${name}: ${rel})` });
  for (const id of [...ids].sort((a, b) => a - b)) {
    const name = `memory${id}`;
    const s = id * blockSize;
    blocks.push({ name, dir: `${iomem.file} (${name})`, attrs: { state: at(name, "state", "online\n"), valid_zones: at(name, "valid_zones", `${zoneOf(s, s + blockSize)}\n`) }, nodes: [nodeOf(s, s + blockSize)] });
  }
  opts.notes.push(`memory blocks: ${blocks.length}, one per ${formatSize(blockSize)} holding System RAM of /proc/iomem, all taken as online (iomem does not show block states)`);
  if (!opts.zoneinfo) opts.notes.push("nodes: node 0 only (no --zoneinfo)");
  return {
    source: iomem.file,
    blockSizeBytes: { text: `${blockSize.toString(16)}\n`, file: "--block-size" },
    autoOnlineBlocks: undefined,
    blocks,
    iomem,
    zoneinfo: opts.zoneinfo,
    meminfo: opts.meminfo,
  };
}
