/**
 * Rules of the core memory hotplug code (mm/memory_hotplug.c, mm/sparse.c,
 * mm/memremap.c, drivers/base/memory.c) that differ between versions.
 * Add a rule: one entry here (doc, value before, changes with evidence);
 * kernel code reads it as `k.rules.NAME`.
 */
import { rule } from "./rule.js";

const HISTORY = "../shared/spec/08-history.md";

export const HOTPLUG_RULES = {
  subsectionHotplug: rule(
    "__add_pages()/memremap_pages() work in 2 MiB sub-sections and two mappings may share a section (before: whole sections only, a second mapping in a section is refused)",
    false,
    HISTORY,
    [{ since: "5.3", value: true, evidence: "v5.3, Dan Williams' sub-section hotplug series (commit f46edbd1b151 and following); " + HISTORY }],
  ),
  memoryGroups: rule("memory groups: static for DIMMs and kmem, dynamic for virtio-mem (register_memory_group)", false, HISTORY, [
    { since: "5.15", value: true, evidence: "v5.15 commit 028fc57a1c36 (mm/memory_hotplug: introduce \"auto-movable\" online policy series); " + HISTORY },
  ]),
  onlinePolicies: rule(
    "memory_hotplug.online_policy (contig-zones / auto-movable), auto_movable_ratio, auto_movable_numa_aware exist (module parameters and command line)",
    false,
    "5.10 traces: /sys/module/memory_hotplug/parameters/ absent, command line ignored (../shared/conformance/kernels/bullseye/)",
    [{ since: "5.15", value: true, evidence: "v5.15 commit e83a437faa62 (mm/memory_hotplug: introduce \"auto-movable\" online policy); 6.1 traces" }],
  ),
  memmapOnMemory: rule(
    "memory_hotplug.memmap_on_memory exists (the memmap of a hot-added range is allocated from the range itself)",
    false,
    "5.10 traces: parameter absent (bullseye/dimm-memmap-on-memory.json)",
    [{ since: "5.13", value: true, evidence: "v5.13 commit a08a2ae34613 (mm,memory_hotplug: allocate memmap from the added memory range); 6.1 traces" }],
  ),
  memmapOnMemoryPerBlock: rule(
    "memmap_on_memory also applies to a multi-block addition, block by block (each memory block carries its own memmap); before: only additions of exactly one block",
    false,
    "6.1 traces (traces/dimm-memmap-on-memory.json: a 1 GiB DIMM gets no vmemmap blocks)",
    [{ since: "6.6", value: true, evidence: "v6.6 commit 6b8f0798b85a (mm/memory_hotplug: support memmap_on_memory when memmap is not aligned to pageblocks); trixie/dimm-memmap-on-memory.json" }],
  ),
  autoOnlineZoneTypes: rule("auto_online_blocks and memhp_default_state= accept online_kernel/online_movable", false, HISTORY, [
    { since: "5.8", value: true, evidence: "v5.8 commit 4f7c6b4909d2 (mm/memory_hotplug: allow to specify a default online_type); " + HISTORY },
  ]),
  rangeAllowedCheck: rule("mhp_range_allowed() and its \"exceeds maximum addressable range\" warning", false, HISTORY, [
    { since: "5.12", value: true, evidence: "v5.12 commit bca3feaa0764 (mm/memory_hotplug: prevalidate the address range being added with platform); " + HISTORY },
  ]),
  offlineRefusesHoles: rule("offline_pages() refuses a block with memory holes", false, HISTORY, [
    { since: "5.16", value: true, evidence: "v5.16 (5.16-6.0 per " + HISTORY + "): \"failed due to memory holes\" instead of an isolation failure" },
  ]),
  removableAlwaysOne: rule("memory block `removable` always reads 1 (before: a movability heuristic)", false, HISTORY, [
    { since: "5.8", value: true, evidence: "v5.8 commit 53cdc1cb29e8 (drivers/base/memory.c: indicate all memory blocks as removable); " + HISTORY },
  ]),
} as const;
