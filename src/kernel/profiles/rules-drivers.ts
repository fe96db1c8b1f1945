/**
 * Rules of the drivers that add or map memory (dax/kmem, virtio-mem, ACPI
 * memory hotplug, libnvdimm) that differ between versions.
 */
import { rule } from "./rule.js";

const HISTORY = "../shared/spec/08-history.md";

/** Dynamically allocated character device majors (alloc_chrdev_region() counts down from 254 in registration order). */
export interface CharMajors {
  readonly ndBus: number;
  readonly nvdimm: number;
  readonly dax: number;
  readonly cxlMem: number;
}

export const DRIVER_RULES = {
  probeFailureDevErr: rule(
    "the driver core reports a failed probe (any errno but ENODEV and ENXIO) with dev_err(): \"<driver> <device>: probe with driver <driver> failed with error -N\" at level 3; before, pr_warn(): \"<driver>: probe of <device> failed with error -N\" at level 4 (drivers/base/dd.c call_driver_probe())",
    false,
    "test/oracle/traces/h-legacy-pmem-64m-fsdax-mem and pmem2-legacy-* (6.1: kmem: probe of dax0.0 failed with error -22); test/oracle/kernels/bullseye/virtio-mem-bbm (5.10)",
    [
      {
        since: "6.12",
        value: true,
        evidence:
          "test/oracle/arm64/traces/a64-probe37-16k-uefi-numa2-nv-node1.trixie and .sid step 2 (<3>kmem dax0.0: probe with driver kmem failed with error -22); ../shared/conformance/kernels/trixie/legacy-pmem-collision boot (nd_pmem namespace0.0: probe with driver nd_pmem …)",
      },
    ],
  ),
  arm64NumaMemblks: rule<"stub" | "meminfo">(
    "arm64's memory_add_physaddr_to_nid() and phys_to_target_node() (a virtio-mem device's or an NVDIMM's node when pxm_to_node() finds none: always on a device tree, and under ACPI, where the NUMA init fakes one node and turns NUMA off): the generic stubs (pr_info_once \"Unknown online node for memory at …, assuming node 0\", \"Unknown target node for memory at …\") or numa_memblks' lookups (the meminfo block holding the address, else the first block's node; for the target node, else the SRAT ranges outside memblock)",
    "stub",
    "test/oracle/arm64/traces/a64-numa-3node-dt.json (6.1: \"Unknown online node for memory at 0x80000000, assuming node 0\", nid 0); a64-probe38-uefi-numa2-cpuless0-nv-node0.json (6.1: both lines, target node 0)",
    [
      {
        since: "6.12",
        value: "meminfo",
        evidence:
          "test/oracle/arm64/traces/a64-numa-3node-dt.trixie.json (nid 2: the last /memory node, first in tree order); a64-probe38-uefi-numa2-cpuless0-nv-node0.trixie and .sid (\"changing target node from -1 to 1\": the NVDIMM's SRAT node); arm64 selects NUMA_MEMBLKS from 6.12",
      },
    ],
  ),
  charMajors: rule<CharMajors>(
    "the dynamic character majors of the nd bus (ndctlN), nvdimm (nmemN), dax and cxl memdev devices: they follow the order the build's drivers and the guest's modules register",
    { ndBus: 250, nvdimm: 249, dax: 253, cxlMem: 247 },
    "bullseye/nvdimm-fsdax.json and legacy-pmem-kmem.json uevents (cxlMem unrecorded on 5.10)",
    [
      { since: "6.1", value: { ndBus: 246, nvdimm: 245, dax: 252, cxlMem: 247 }, evidence: "traces/*.json and cxl/traces/6.1 uevents" },
      { since: "6.12", value: { ndBus: 245, nvdimm: 244, dax: 252, cxlMem: 250 }, evidence: "trixie/*.json and cxl/traces/6.12 uevents" },
      { since: "7.2", value: { ndBus: 244, nvdimm: 243, dax: 251, cxlMem: 249 }, evidence: "sid/*.json and cxl/traces/7.2 uevents" },
      // arm64 builds register other char drivers first (virtio_console's ports among them); cxlMem unrecorded there.
      { since: "6.1", arch: "arm64", value: { ndBus: 238, nvdimm: 237, dax: 251, cxlMem: 247 }, evidence: "conformance/arm64/traces/6.1/arm64-nvdimm-kmem.json boot uevents (ndctl0 238; nmem and dax by the 6.12 pattern)" },
      { since: "6.12", arch: "arm64", value: { ndBus: 237, nvdimm: 236, dax: 251, cxlMem: 250 }, evidence: "conformance/arm64/traces/6.12/arm64-nvdimm-kmem.json uevents (ndctl0 237, nmem0 236, dax0.0 251)" },
      { since: "7.2", arch: "arm64", value: { ndBus: 236, nvdimm: 235, dax: 250, cxlMem: 249 }, evidence: "test/oracle/arm64/quirks/arm64-nvdimm-kmem.sid.json uevents (ndctl0 236, nmem0 235, dax0.0 250; cxlMem by the 7.2 pattern)" },
    ],
  ),
  driverManagedRam: rule("add_memory_driver_managed(): \"System RAM (kmem)\" resources without firmware memmap entries", false, HISTORY, [
    { since: "5.8", value: true, evidence: "v5.8: mm/memory_hotplug: introduce add_memory_driver_managed(); " + HISTORY },
  ]),
  daxMemmapOnMemory: rule(
    "dax devices have a memmap_on_memory attribute (0 or 1; 1 needs mhp_supports_memmap_on_memory(), else EOPNOTSUPP; no change while kmem holds the device: EBUSY), and kmem adds their memory with a self-hosted memmap when it is set; dax_cxl sets it, dax_pmem does not",
    false,
    HISTORY,
    [
      {
        since: "6.8",
        value: true,
        evidence: "v6.8: dax: add a sysfs knob to control memmap_on_memory behavior; test/oracle/arm64/traces/a64-probe44-kmem-mom-*.trixie and .sid",
      },
    ],
  ),
  kmemHotRemove: rule("dax kmem can hot-remove its memory again (before: the memory stays until reboot)", false, HISTORY, [
    { since: "5.3", value: true, evidence: "v5.3: device-dax: \"Hotremove\" persistent memory that is used like normal RAM; " + HISTORY },
  ]),
  diskseqUevent: rule("block device uevents carry DISKSEQ", false, "bullseye/nvdimm-fsdax.json step 1: the pmem0 remove uevent has no DISKSEQ", [
    { since: "5.15", value: true, evidence: "v5.15: block: add disk sequence number; traces/nvdimm-fsdax.json" },
  ]),
  virtioMemBigBlocks: rule("virtio-mem has big-block mode (BBM) for device blocks larger than a memory block", false, "v5.10 drivers/virtio/virtio_mem.c (sub-block mode only)", [
    { since: "5.11", value: true, evidence: "v5.11: virtio-mem: Big Block Mode (BBM memory hotplug)" },
  ]),
  virtioMemModuleParams: rule<readonly string[]>(
    "the virtio_mem module's parameters (virtio_mem.NAME= on the command line); any other name is logged (\"virtio_mem: unknown parameter 'NAME' ignored\") and ignored",
    ["unplug_online"],
    "kernels/bullseye/x-probe68-vm-2m-force-bbm and x-probe68-vm-128m-bbm-unsafe-hwpoison boot: force_bbm and bbm_safe_unplug unknown",
    [
      { since: "5.11", value: ["unplug_online", "force_bbm", "bbm_block_size", "bbm_safe_unplug"], evidence: "v5.11 virtio-mem BBM series; traces/x-probe68-vm-128m-bbm-unsafe-hwpoison (6.1: the block with the poisoned page is offlined and removed)" },
      { since: "6.12", value: ["unplug_online", "force_bbm", "bbm_block_size"], evidence: "kernels/trixie and kernels/sid/x-probe68-vm-128m-bbm-unsafe-hwpoison boot (\"unknown parameter 'bbm_safe_unplug' ignored\"; big blocks are always fake-offlined first, so the poisoned page keeps memory32); the parameter went upstream after 6.1 with the unsafe big-block unplug (first verified on 6.12, not bisected)" },
    ],
  ),
  virtioMemFakeOfflineRetries: rule(
    "how many times virtio-mem's fake offline calls alloc_contig_range() on a range in ZONE_MOVABLE before giving up (elsewhere once)",
    1,
    "kernels/bullseye/x-probe68-vm-128m-hwpoison step 4: two \"PFNs busy\" lines per pass (the whole block, then its one sub-block)",
    [{ since: "5.11", value: 5, evidence: "v5.11 virtio-mem BBM series: virtio_mem_fake_offline() retries five times on ZONE_MOVABLE" }],
  ),
  contigRangeBusyLog: rule(
    "alloc_contig_range() logs \"alloc_contig_range: [START, END) PFNs busy\" (level 6) when the range is not isolated after the migration",
    true,
    "kernels/bullseye/x-probe68-vm-128m-hwpoison step 4 (5.10)",
    [{ since: "6.1", value: false, evidence: "traces/x-probe68-vm-128m-hwpoison step 4: the same failure is silent (the oldest verified kernel)" }],
  ),
  virtioMemLogsRanges: rule(
    "virtio_mem debug lines name physical ranges (\"plugging memory: 0x… - 0x…\"); before, memory block ids and sub-block numbers (\"plugging memory block: 32 : 0 - 31\")",
    false,
    "bullseye/virtio-mem.json",
    [{ since: "5.11", value: true, evidence: "v5.11 virtio-mem BBM series (range-based requests and messages); traces/virtio-mem.json" }],
  ),
  virtioMemPageblockSubblocks: rule(
    "virtio-mem sub-blocks are at least a pageblock (2 MiB on x86_64); before, at least MAX_ORDER_NR_PAGES (4 MiB)",
    false,
    "bullseye/virtio-mem.json step 1: 44 MiB are sub-blocks 0 - 10 (4 MiB each)",
    [{ since: "6.1", value: true, evidence: "traces/virtio-mem.json step 1: 44 MiB in 2 MiB sub-blocks (the oldest verified kernel showing it)" }],
  ),
  acpiRescanRetriesFailedMemory: rule(
    "a Device Check on an ACPI memory device rescans the hotplug container: memory devices whose driver failed to attach earlier (e.g. an unaligned DIMM) are tried again, in slot order, and log their failure again",
    false,
    "traces/x-probe17-dimm-unaligned-q35.json step 3 (6.1: only the new DIMM's messages); kernels/bullseye/x-probe17-dimm-unaligned-q35.json",
    [{ since: "6.12", value: true, evidence: "kernels/trixie/x-probe17-dimm-unaligned-q35.json and kernels/sid/ step 3: PNP0C80:00's add_memory failure again before PNP0C80:01's (somewhere between 6.1 and 6.12; not bisected)" }],
  ),
  acpiContainerOnlineUevent: rule(
    "after a Device Check on an ACPI memory device, the hotplug container's device sends an `online` uevent (/devices/system/container/PNP0A06:04), even when adding the memory failed",
    false,
    "traces/dimm-online-movable.json step 0: memory block uevents only",
    [{ since: "6.12", value: true, evidence: "trixie/dimm-online-movable.json and trixie/dimm-unaligned.json steps 0, 2, 4, 7 (also after a failed add_memory)" }],
  ),
  kmemRejectsEmptyRegion: rule(
    "dax kmem refuses (EINVAL) a device none of whose ranges holds a whole aligned memory block; before, it binds and adds nothing",
    false,
    "bullseye/legacy-pmem-subsection.json step 5: daxctl rc 0, kmem bound, no memory",
    [{ since: "6.1", value: true, evidence: "traces/legacy-pmem-subsection.json step 5: \"rejecting DAX region without any memory after alignment\", daxctl rc 234" }],
  ),
  nfitPlatformDriver: rule(
    "the ACPI NFIT driver is a platform driver (acpi-nfit on /devices/platform/ACPI0012:00); before, the ACPI driver nfit on /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00",
    false,
    "traces/nvdimm-fsdax.json and trixie/nvdimm-fsdax.json: /bus/acpi/drivers/nfit",
    [{ since: "7.2", value: true, evidence: "sid/nvdimm-fsdax.json: /bus/platform/drivers/acpi-nfit, ndbus0 under /devices/platform/ACPI0012:00" }],
  ),
  bootPfnSeedRace: rule(
    "at boot the namespace's nd_pfn_probe() may hold pfn id 0 while the region creates its pfn seed, so the seed is pfnR.0 or pfnR.1 from one boot to the next (as the btt seed always could)",
    false,
    "traces/ and trixie/: the pfn seed is always pfn0.0",
    [{ since: "7.2", value: true, evidence: "sid/nvdimm-512m-backend.json step 1: disable-region removes pfn0.1" }],
  ),
  regionBindAsyncWork: rule<"namespaces" | "seeds">(
    "when a process binds a region (ndctl enable-region), the async work its probe schedules (its namespaces' registration and nd_pmem probe, the claim devices those register) runs before the region probe goes on to create its seeds (\"namespaces\": the kworker preempts the writer at its next sleep, so a namespace's btt/pfn/dax claim takes id 0 and the seed the next) or only once the seeds exist (\"seeds\": the claim takes the id after the seed's); either way it may finish before the region's `bind` uevent or after it",
    "namespaces",
    "test/oracle/traces/h-nvdimm-no-label-size.json (and .run2) step 10, h-nvdimm-reenable-modes.json steps 5 and 8; kernels/bullseye and kernels/trixie copies, arm64/traces/a64-nvdimm-reenable.trixie.json steps 3 and 6: claims pfn0.0, btt0.0, dax0.0",
    [{ since: "7.2", value: "seeds", evidence: "test/oracle/kernels/sid/h-nvdimm-no-label-size.json step 10 (claim pfn0.1), h-nvdimm-reenable-modes.json steps 5 and 8 (btt0.1, dax0.1)" }],
  ),
  virtioMem: rule("the virtio-mem driver exists", false, HISTORY, [{ since: "5.8", value: true, evidence: "v5.8: virtio-mem: Paravirtualized memory hotplug" }]),
} as const;
