/**
 * Rules of the core memory hotplug code (mm/memory_hotplug.c, mm/sparse.c,
 * mm/memremap.c, drivers/base/memory.c) that differ between versions.
 * Add a rule: one entry here (doc, value before, changes with evidence);
 * kernel code reads it as `k.rules.NAME`.
 */
import { rule } from "./rule.js";
import type { Errno } from "../errno.js";

const HISTORY = "../shared/spec/08-history.md";

export const HOTPLUG_RULES = {
  nodeRegisteredBeforeBlocks: rule(
    "add_memory_resource() on a node without memory: the node device is registered (its `add` uevent sent) when the node is brought online, before the memory block devices are created (before: after them)",
    false,
    "6.1 and 6.12: node1 `add` after the memory blocks (test/oracle/kernels/trixie/numa-auto-movable-aware step 1)",
    [{ since: "7.2", value: true, evidence: "test/oracle/kernels/sid/numa-auto-movable-aware step 1: node1 `add` before memory32" }],
  ),
  subsectionHotplug: rule(
    "__add_pages()/memremap_pages() work in 2 MiB sub-sections and two mappings may share a section (before: whole sections only, a second mapping in a section is refused)",
    false,
    HISTORY,
    [{ since: "5.3", value: true, evidence: "v5.3: Dan Williams' sub-section hotplug series; " + HISTORY }],
  ),
  memoryGroups: rule("memory groups: static for DIMMs and kmem, dynamic for virtio-mem (register_memory_group)", false, HISTORY, [
    { since: "5.15", value: true, evidence: "v5.15: mm/memory_hotplug: introduce \"auto-movable\" online policy series; " + HISTORY },
  ]),
  onlinePolicies: rule(
    "memory_hotplug.online_policy (contig-zones / auto-movable), auto_movable_ratio, auto_movable_numa_aware exist (module parameters and command line)",
    false,
    "5.10 traces: /sys/module/memory_hotplug/parameters/ absent, command line ignored (../shared/conformance/kernels/bullseye/)",
    [{ since: "5.15", value: true, evidence: "v5.15: mm/memory_hotplug: introduce \"auto-movable\" online policy; 6.1 traces" }],
  ),
  memmapOnMemory: rule(
    "memory_hotplug.memmap_on_memory exists (the memmap of a hot-added range is allocated from the range itself)",
    false,
    "5.10 traces: parameter absent (bullseye/dimm-memmap-on-memory.json)",
    [{ since: "5.13", value: true, evidence: "v5.13: mm,memory_hotplug: allocate memmap from the added memory range; 6.1 traces" }],
  ),
  memmapOnMemoryPerBlock: rule(
    "memmap_on_memory also applies to a multi-block addition, block by block (each memory block carries its own memmap); before: only additions of exactly one block",
    false,
    "6.1 traces (traces/dimm-memmap-on-memory.json: a 1 GiB DIMM gets no vmemmap blocks)",
    [{ since: "6.8", value: true, evidence: "v6.8: mm/memory_hotplug: split memmap_on_memory requests across memblocks; trixie/dimm-memmap-on-memory.json" }],
  ),
  pcpBatchScale: rule(
    "a per-CPU refill of order-0 pages takes pcp->batch << alloc_factor pages (nr_pcp_alloc(), up to 5 shifts): user space's first movable refill in a newly populated zone takes batch << 5 pages, several max-order chunks where the zone's batch is 63 (a zone of about 684 MiB or more); the hot-add kworker's page-table refills double too, cut where the list would pass pcp->high (the zone's low watermark over the node's CPUs, growing with each refill), and with two CPUs take whole chunks by the seventh block of a plug",
    false,
    "6.1: test/oracle/arm64/evidence-pin/a64-pin-trace-uefi-700m.r1 (refills of 63 pages: one chunk of movable pages)",
    [{ since: "6.7", value: true, evidence: "v6.7: mm, pcp: reduce lock contention / alloc_factor in nr_pcp_alloc(); test/oracle/arm64/evidence-pin/a64-pin-trace-uefi-700m.r1.trixie and .r1.sid: the agent's first refill took 2016 pages (63 << 5); a64-pin-trace-uefi-900m.r1.trixie, .r2.trixie, .r1.sid: the kworker's refills of 7, 14, 28, 56, 240, 2016 pages; a64-pin-trace-4cpu-1500m.r1.trixie with 4 CPUs: 7, 14, 28, 56, 119 (cut), 496" }],
  ),
  pcpHighDecay: rule(
    "a per-CPU list's high decays towards high_min within seconds once its CPU stops refilling (decay_pcp_high() from the vmstat worker), so the pages a burst of refills left on the list go back to the buddy, the newest first, where other CPUs' refills take them",
    false,
    "6.1: no decay (pcp->high is fixed)",
    [{ since: "6.7", value: true, evidence: "v6.7: mm: tune PCP high automatically (decay_pcp_high()); test/oracle/arm64/evidence-pin/a64-pin-trace-4cpu-1800m.r5.sid: grep's order-3 refill took a piece of pageblock 16, which the kworker's refill had left on CPU 0's list" }],
  ),
  onlineRefusesHwpoison: rule(
    "memory_block_online() refuses a block holding hardware-poisoned pages with EHWPOISON (the block's nr_hwpoison counter; before: the block goes online and the poisoned page stays out of use)",
    false,
    "test/oracle/arm64/traces/a64-probe56-uefi-2g-vm-128m-hwpoison-offline (6.1: online_movable after offline succeeds)",
    [{ since: "6.4", value: true, evidence: "v6.4: mm/hwpoison: introduce per-memory_block hwpoison counter; a64-probe56-uefi-2g-vm-128m-hwpoison-offline.trixie and .sid: \"Memory page has hardware error\"" }],
  ),
  memoryFailureTakesFreePage: rule(
    "memory_failure() takes a free page off the buddy (take_page_off_buddy(): \"free buddy page: Recovered\"), so alloc_contig_range() can no longer have it; before, it leaves it there (\"Delayed\") and virtio-mem can still unplug it",
    false,
    "kernels/bullseye/x-probe68-vm-2m-hwpoison-unplug and x-probe68-vm-128m-hwpoison (5.10: \"Delayed\"; the block holding the page is unplugged and removed)",
    [{ since: "6.1", value: true, evidence: "traces/x-probe68-vm-128m-hwpoison (6.1: \"Recovered\", the block stays plugged; the oldest verified kernel showing it, not bisected)" }],
  ),
  memoryFailureTexts: rule<{ alreadyPoisoned: string; alreadyPoisonedErrno: Errno | null; unhandlable: string; noStructPage: { text: string; errno: Errno }; softAlreadyPoisoned: string }>(
    "what memory_failure() (hard_offline_page) and soft_offline_page() say on a page already poisoned (and the write's errno: null, it succeeds), a page get_hwpoison_page() cannot handle (a boot reservation), and a pfn with no online struct page (mm/memory-failure.c)",
    {
      alreadyPoisoned: "already hardware poisoned",
      alreadyPoisonedErrno: null,
      unhandlable: "unknown page",
      noStructPage: { text: "memory outside kernel control", errno: "ENXIO" },
      softAlreadyPoisoned: "soft_offline_page: %#lx page already poisoned",
    },
    "kernels/bullseye/x-probe68-vm-2m-hwpoison-unplug step 3 (5.10: a second hard_offline_page is reported and succeeds; the other texts as 6.1, not recorded)",
    [
      {
        since: "6.1",
        value: {
          alreadyPoisoned: "already hardware poisoned",
          alreadyPoisonedErrno: "EHWPOISON",
          unhandlable: "unknown page",
          noStructPage: { text: "memory outside kernel control", errno: "ENXIO" },
          softAlreadyPoisoned: "soft_offline_page: %#lx page already poisoned",
        },
        evidence: "test/oracle/arm64/traces/a64-probe56-uefi-2g-vm-128m-hwpoison-offline (6.1; the oldest verified kernel returning EHWPOISON)",
      },
      {
        since: "6.12",
        value: {
          alreadyPoisoned: "recovery action for already poisoned page: Failed",
          alreadyPoisonedErrno: "EHWPOISON",
          unhandlable: "get hwpoison page",
          noStructPage: { text: "memory outside kernel control", errno: "ENXIO" },
          softAlreadyPoisoned: "Soft offline: %#lx: page already poisoned",
        },
        evidence: "test/oracle/arm64/traces/a64-probe56-uefi-2g-vm-128m-hwpoison-offline.trixie",
      },
      {
        since: "7.2",
        value: {
          alreadyPoisoned: "recovery action for already poisoned page: Failed",
          alreadyPoisonedErrno: "EHWPOISON",
          unhandlable: "get hwpoison page",
          noStructPage: { text: "recovery action for non struct page pfn: Ignored", errno: "EBUSY" },
          softAlreadyPoisoned: "Soft offline: %#lx: page already poisoned",
        },
        evidence: "test/oracle/arm64/traces/a64-probe56-uefi-2g-vm-128m-hwpoison-offline.sid",
      },
    ],
  ),
  arm64LeafSplitVeto: rule(
    "arm64's boot-memory notifier first vetoes (EPERM, \"[start end] splits a leaf entry in vmemmap\") going offline for a range whose struct pages start or end inside a vmemmap leaf: with 4K pages the vmemmap is mapped in 2 MiB blocks, one per 128 MiB of memory, so a block with a self-hosted memmap (its offline range starts after that memmap) cannot go offline",
    false,
    "test/oracle/arm64/traces/a64-probe44-kmem-mom.trixie (6.12: the dax kmem blocks with memmap_on_memory go offline)",
    [{ since: "7.2", arch: "arm64", value: true, evidence: "test/oracle/arm64/traces/a64-probe44-kmem-mom.sid step 6 (\"[b0200000 b8000000] splits a leaf entry in vmemmap\", offlining fails due to notifier failure, EPERM); upstream: arm64/mm: reject memory removal that splits a kernel leaf mapping (after 6.12)" }],
  ),
  memmapOnMemoryForce: rule(
    "memory_hotplug.memmap_on_memory=force: the memmap of each block is padded to whole pageblocks, so blocks whose memmap is not pageblock-sized qualify too; the parameter reads back \"force\"",
    false,
    "6.1 traces (traces/x-probe12-mom-force.json: \"force\" parses as a boolean, false: N)",
    [{ since: "6.6", value: true, evidence: "v6.6: mm/hotplug: support memmap_on_memory when memmap is not aligned to pageblocks; kernels/trixie/x-probe12-mom-force.json" }],
  ),
  autoOnlineZoneTypes: rule("auto_online_blocks and memhp_default_state= accept online_kernel/online_movable", false, HISTORY, [
    { since: "5.8", value: true, evidence: "v5.8: mm/memory_hotplug: allow to specify a default online_type; " + HISTORY },
  ]),
  rangeAllowedCheck: rule("mhp_range_allowed() and its \"exceeds maximum addressable range\" warning", false, HISTORY, [
    { since: "5.12", value: true, evidence: "v5.12: mm/memory_hotplug: prevalidate the address range being added with platform; " + HISTORY },
  ]),
  offlineRefusesHoles: rule("offline_pages() refuses a block with memory holes (EINVAL, \"failed due to memory holes\" at level 7)", false, HISTORY, [
    { since: "5.10", value: true, evidence: "bullseye/legacy-pmem-collision.json step 0 (the oldest verified kernel already refuses; " + HISTORY + " dates it later)" },
  ]),
  validZonesNoneWithDevicePages: rule(
    "valid_zones of an online block reads `none` where a MAX_ORDER chunk starts in device pages (test_pages_in_a_zone() finds ZONE_DEVICE struct pages: legacy PMEM sharing the block, mapped now or before, is not System RAM); plain holes carry the block's zone; later the block's remembered zone",
    true,
    "bullseye/legacy-pmem-collision.json boot: memory7 (legacy PMEM inside it) reads none; kernels/bullseye/x-probe69-acpi-data and x-probe69-reserve-mid: an ACPI or reserved range at a block's start reads DMA32",
    [{ since: "6.1", value: false, evidence: "traces/legacy-pmem-collision.json boot: memory7 reads DMA32" }],
  ),
  offlineClearsNodeBeforeZonelists: rule(
    "offline_pages() takes a node that lost its last memory out of N_MEMORY before it rebuilds the zonelists, so the node leaves every fallback order (before: it stays in them until the next rebuild)",
    false,
    "test/oracle/cxl/cxl-pmem-numa.json step 5 (6.1: \"Fallback order for Node 0: 0 1 2 \" as node2's memory goes); traces/x-probe76-numa-node1-dimm-offline and kernels/bullseye/ (6.1 and 5.10)",
    [{ since: "6.12", value: true, evidence: "test/oracle/cxl/cxl-pmem-numa.trixie and cxl-probe67-ram-numa.trixie/.sid step 13: \"Fallback order for Node 0: 0 1 \", \"Node 2: 1 0 \"; kernels/trixie and sid/x-probe76-numa-node1-dimm-offline; upstream moved node_states_clear_node() before build_all_zonelists() in offline_pages() after 6.1 (first verified on 6.12, not bisected)" }],
  ),
  memoryBlockZone: rule(
    "a memory block remembers the zone it was onlined to (mem->zone): offlining a block that spans two zones fails at once, silently; before, offline_pages() logs why (memory holes, multizone range)",
    false,
    "bullseye/sysfs-bad-input.json step 20: offlining memory0 logs \"failed due to memory holes\"",
    [{ since: "6.1", value: true, evidence: "traces/sysfs-bad-input.json step 20: EINVAL, no log line" }],
  ),
  offlinedPagesLevel: rule<number>("the log level of offline_pages()'s \"Offlined Pages N\"", 6, "bullseye/virtio-mem.json step 2: <6>Offlined Pages 32768", [
    { since: "6.1", value: 7, evidence: "traces/virtio-mem.json step 2: <7>Offlined Pages 32768 (pr_debug)" },
  ]),
  fallbackSkipsMemorylessLocal: rule(
    "find_next_best_node() leaves a memoryless local node out of its own fallback order (a node getting its first memory logs \"Fallback order for Node 1: 0\")",
    false,
    "test/oracle/traces/numa-auto-movable-aware.json step 0: \"Fallback order for Node 1: 1 0\"",
    [{ since: "6.12", value: true, evidence: "test/oracle/kernels/trixie/numa-auto-movable-aware.json and sid/ step 0: \"Fallback order for Node 1: 0\"" }],
  ),
  zonelistFallbackLog: rule("build_all_zonelists() logs \"Fallback order for Node N: …\" per node", false, "bullseye/dimm-online-kernel.json step 1: only the Built … zonelists and Policy zone lines", [
    { since: "5.18", value: true, evidence: "v5.18: mm/page_alloc: print node fallback order; traces/dimm-online-kernel.json step 1" },
  ]),
  removableAlwaysOne: rule("memory block `removable` always reads 1 (before: a movability heuristic)", false, HISTORY, [
    { since: "5.8", value: true, evidence: "v5.8: drivers/base/memory.c: indicate all memory blocks as removable; " + HISTORY },
  ]),
} as const;
