/**
 * Rules of the CXL bus (drivers/cxl) and of memory tiering that differ
 * between versions, with the QEMU each version needs: 6.1 runs under QEMU
 * 7.2, while 6.12 and later need QEMU 10.0 (cxl_pci wants event interrupts
 * that QEMU 7.2's cxl-type3 lacks), so the guest-visible HDM decoder count
 * changes with them. Evidence: ../shared/conformance/cxl/traces/{6.1,6.12,7.2}
 * and test/oracle/cxl.
 */
import { rule } from "./rule.js";

const CXL = "../shared/conformance/cxl/traces";

/** How the kernel claims CXL register blocks in /proc/iomem. */
export type CxlRegClaims = "component-block" | "capabilities-ras-by-device" | "capabilities-ras-by-port";

export const CXL_RULES = {
  cxlRegions: rule("CXL regions (drivers/cxl/core/region.c, cxl_acpi root decoders): before, no cxl bus a model user can map memory with", false, "v6.0 commit 779dd20cfb56 (cxl/region: Add region creation support)", [
    { since: "6.0", value: true, evidence: "v6.0: cxl/region; " + CXL + "/6.1" },
  ]),
  cxlHdmDecoders: rule("HDM decoders per host bridge and per device (QEMU 7.2: 1; QEMU 10.0, needed from 6.12 on: 4)", 1, CXL + "/6.1 (decoder1.0, decoder2.0 only)", [
    { since: "6.12", value: 4, evidence: CXL + "/6.12 (decoder1.0-1.3, decoder2.0-2.3)" },
  ]),
  cxlQemu: rule<"7.2" | "10.0">("the QEMU a CXL machine runs on unless the scenario or trace names one (machine/qemu-version.ts): the kernel's cxl_pci needs QEMU 10.0's event interrupts from 6.12 on", "7.2", CXL + "/6.1 (qemu: 7.2.22)", [
    { since: "6.12", value: "10.0", evidence: CXL + "/6.12 and 7.2 (qemu: 10.0.13, the oracle's --qemu trixie)" },
  ]),
  cxlRootDportIsPciHost: rule("root0's dports are the PCI host bridges (pci0000:0c, alias ACPI0016:00); before, the ACPI devices", false, CXL + "/6.1 cxl list", [
    { since: "6.12", value: true, evidence: CXL + "/6.12 cxl list dports" },
  ]),
  cxlDportsOnlyWithDevices: rule("a host bridge or CXL switch port lists only the ports with a device below (dports enumerated on demand)", false, CXL + "/6.12 (nr_dports 2); test/oracle/cxl/cxl-probe98-switch-and-direct.trixie (the switch's nr_dports 2, one empty)", [
    { since: "7.2", value: true, evidence: CXL + "/7.2 (nr_dports 1 of 2 root ports); test/oracle/cxl/cxl-probe98-switch-and-direct.sid (the switch's nr_dports 1 of 2)" },
  ]),
  cxlPassthroughPorts: rule<"one-dport" | "no-hdm">(
    "which host bridge ports get a single passthrough decoder instead of their HDM decoders: every port with one dport (\"one-dport\"), or one with one dport whose registers have no HDM decoder capability (\"no-hdm\": QEMU 10.0's host bridges with a single root port)",
    "one-dport",
    "drivers/cxl/port.c cxl_port_probe() in 6.1 (devm_cxl_add_passthrough_decoder() when enumerating finds one dport, before the HDM registers are looked at); test/oracle/cxl/cxl-probe86-two-hb-interleave (6.1 on QEMU 7.2, whose bridges have HDM registers: no register claim for the one-root-port bridges) and cxl-probe87-two-hb-hdm (two root ports: 100000000-10000ffff : port1)",
    [{ since: "6.12", value: "no-hdm", evidence: "drivers/cxl/port.c cxl_switch_port_probe() (passthrough only when devm_cxl_setup_hdm() gives -ENODEV); test/oracle/cxl/cxl-probe86-two-hb-interleave.trixie and .sid (one decoder per host bridge port, no HDM claim in iomem)" }],
  ),
  cxlAttachFailureWarns: rule("a region target write the kernel refuses is also a warning on the endpoint port (\"failed to attach decoderX.Y to regionN: -errno\", attach_target())", false, "test/oracle/cxl/cxl-probe87-two-hb-hdm.trixie (6.12: only the dev_dbg line)", [
    { since: "7.2", value: true, evidence: "test/oracle/cxl/cxl-probe87-two-hb-hdm.sid (cxl_port endpoint4: failed to attach decoder4.0 to region0: -6); drivers/cxl/core/region.c attach_target() in 7.1" },
  ]),
  cxlPortDecodersAfterBind: rule("a host bridge's or switch's port binds cxl_port before its decoders appear (the HDM decoders set up after the port's probe); before, decoders between the port's add and bind", false, "test/oracle/cxl/cxl-probe101-switch-unbind.trixie step 8 (6.12: port2, its decoders, then its bind)", [
    { since: "7.2", value: true, evidence: "test/oracle/cxl/cxl-probe101-switch-unbind.sid step 8 and its boot (port1, port2: add, bind, then the decoders)" },
  ]),
  cxlMemdevMajor: rule("the character major of /dev/cxl/memN (cxl_memdev_init()'s alloc_chrdev_region(), whatever Debian's build registered before)", 247, CXL + "/6.1 boot uevents (MAJOR=247)", [
    { since: "6.12", value: 250, evidence: "test/oracle/cxl/cxl-pmem-512m.trixie boot uevents (MAJOR=250)" },
    { since: "7.2", value: 249, evidence: "test/oracle/cxl/cxl-pmem-512m.sid boot uevents (MAJOR=249)" },
  ]),
  cxlNvdimmDirtyShutdownWarn: rule("cxl_nvdimm's probe arms dirty shutdown tracking, which QEMU's device refuses: a warning per nmem (\"GPF: could not set dirty shutdown state\")", false, "test/oracle/cxl/cxl-probe89-memdev-unbind.trixie (6.12: none when the nmem comes back)", [
    { since: "7.2", value: true, evidence: "test/oracle/cxl/cxl-probe89-memdev-unbind.sid step 7 (cxl_nvdimm pmem1: GPF: could not set dirty shutdown state) and the 7.2 boots; drivers/cxl/pmem.c in 7.1" },
  ]),
  cxlDecoderPartitions: rule("endpoint decoders pick a DPA partition (cxled->part): a target write without one is refused as \"dead\" (ENODEV), a mode the device has no capacity for is EINVAL, dpa_size without a partition EBUSY; before, modes: \"region mode: R mismatch: D\" (EINVAL), \"no available capacity\" (ENXIO), \"mode not set\" (EINVAL)", false, "test/oracle/cxl/cxl-probe91-sysfs-region-errors.trixie (6.12)", [
    { since: "7.2", value: true, evidence: "test/oracle/cxl/cxl-probe91-sysfs-region-errors.sid (cxl region0: decoder2.0 dead, ENODEV; mode pmem on a volatile device EINVAL; dpa_size with no mode EBUSY)" },
  ]),
  cxlMemOwnsNvdimm: rule("cxl_mem's probe adds the memdev's nvdimm (pmemN, and so its nmem): unbinding cxl_mem removes them, binding adds them again; before, they outlive the driver", false, "test/oracle/cxl/cxl-probe89-memdev-unbind (6.1: only the endpoint and its decoder go)", [
    { since: "6.12", value: true, evidence: "test/oracle/cxl/cxl-probe89-memdev-unbind.trixie and .sid (nmem0 and pmem1 removed at the unbind, added back at the bind)" },
  ]),
  cxlBridgeGranularityTimesRootWays: rule("a host bridge decoder's interleave granularity in a region: the region's times the root decoder's ways; before, the region's (6.1's cxl_port_setup_targets(), with its address-bit arithmetic only where both the root and the bridge interleave)", false, "drivers/cxl/core/region.c in 6.1.119; test/oracle/cxl/cxl-probe88-hb-order-swapped and cxl-probe88-two-hb-numa (6.1: iw: 1 ig: 256 under a 2-way root), cxl-probe86-create-region-errors (6.1: iw: 2 ig: 512 with -g 512)", [
    { since: "6.12", value: true, evidence: "test/oracle/cxl/cxl-probe86-two-hb-interleave.trixie and .sid (iw: 1 ig: 512 under a 2-way root of 256)" },
  ]),
  cxlBridgeWithoutPmem: rule("the nvdimm bridge registers its nd bus without any persistent device", false, "6.1: unrecorded with volatile devices only (its traces all have a persistent device); kept off there", [
    { since: "6.12", value: true, evidence: CXL + "/6.12/cxl-ram-region and 7.2/cxl-ram-region boot (ndbus0 under nvdimm-bridge0 with one volatile device)" },
  ]),
  cxlRegClaims: rule<CxlRegClaims>("register claims in /proc/iomem: whole 64 KiB component blocks by the port, or per capability (HDM by the port, RAS by the PCI device / memdev, or by the port)", "component-block", CXL + "/6.1 iomem (port1, endpoint2 64 KiB)", [
    { since: "6.12", value: "capabilities-ras-by-device", evidence: CXL + "/6.12 iomem (fe401080-fe4010d7 : 0000:0d:00.0, fe601080-fe6010d7 : mem0)" },
    { since: "7.2", value: "capabilities-ras-by-port", evidence: CXL + "/7.2 iomem (endpoint2, port1)" },
  ]),
  cxlCommitInvalidatesCaches: rule("committing a region calls cpu_cache_invalidate_memregion(), which x86 refuses under a hypervisor (ENXIO)", false, "v6.2 commit d18bc74aced6 (cxl/region: Manage CPU caches relative to DPA invalidation events)", [
    { since: "6.2", value: true, evidence: "v6.2; ../shared/conformance/cxl/scenarios/cxl-pmem-region.json description" },
  ]),
  cxlRamRegions: rule("ram regions (create_ram_region, region mode) and dax_cxl handing them to kmem", false, "v6.3 commit 09d09e04d2fc (cxl/dax: Create dax devices for CXL RAM regions)", [
    { since: "6.3", value: true, evidence: "v6.3; " + CXL + "/6.12/cxl-ram-region" },
  ]),
  cxlDaxRegionAsyncProbe: rule("the cxl_dax_region driver probes asynchronously (PROBE_PREFER_ASYNCHRONOUS): a ram region's `bind` uevent comes before its dax device and memory", false, CXL + "/6.12/cxl-ram-region step 10 (dax0.0 and its memory before region0's bind)", [
    { since: "7.2", value: true, evidence: "drivers/dax/cxl.c (probe_type PROBE_PREFER_ASYNCHRONOUS, the driver registered from a work item after dax_hmem); " + CXL + "/7.2/cxl-ram-region step 10 (region0's bind right after dax_region0's add)" },
  ]),
  cxlNmemOrder: rule<"reverse-memdev-id" | "endpoint-order">(
    "the order cxl_nvdimm usually registers the nmems in (the boot race cxl-nmem-order departs from it; cxl_mem's endpoint order is the race cxl-endpoint-order, usually by memdev id): the memdevs' reverse id order (\"reverse-memdev-id\") or the endpoints' order (\"endpoint-order\")",
    "reverse-memdev-id",
    "test/oracle/cxl/cxl-pmem-two-devices, cxl-pmem-interleave and eight more 6.1 two-device recordings (nmem0 is mem1's); the 6.1 exceptions are outcomes of the race: cxl-probe88-two-hb-g1024 (nmem0 is mem0's), cxl-probe89-three-devices (memdev order), and cxl_mem's endpoints in cxl-probe86-two-hb-window-one (endpoint3 is mem1's)",
    [{ since: "6.12", value: "endpoint-order", evidence: "test/oracle/cxl/cxl-pmem-two-devices.trixie and .sid, cxl-pmem-interleave.sid: nmem0 is endpoint2's memdev every time, the endpoints in either memdev order (first verified on 6.12)" }],
  ),
  cxlNvdimmIdSecurity: rule("a CXL nmem shows `id` (the memdev serial) and `security` (ndctl list: id, security)", false, CXL + "/6.1 ndctl dimms", [
    { since: "6.12", value: true, evidence: CXL + "/6.12 ndctl dimms ({dev, id: \"1\", security: \"disabled\"})" },
  ]),
  cxlInterleavePosDebug: rule<false | "cxled" | "target">("region.c prints each target's cxl_calc_interleave_pos() check (dev_dbg) once all targets are attached, naming the position field", false, CXL + "/6.1 dmesg", [
    { since: "6.12", value: "cxled", evidence: CXL + "/6.12/cxl-pmem-region step 1 dmesg (... cxled->pos:0)" },
    { since: "7.2", value: "target", evidence: CXL + "/7.2/cxl-pmem-region step 1 dmesg (... target->pos:0)" },
  ]),
  cxlRegisterPmemDebug: rule("region.c's dev_dbg \"regionN: register pmem_regionN\" (and \"register dax_regionN\" for ram regions)", true, CXL + "/6.1, 6.12 dmesg; 6.12/cxl-ram-region step 10", [
    { since: "7.2", value: false, evidence: CXL + "/7.2/cxl-pmem-region step 1 dmesg; 7.2/cxl-ram-region step 10 dmesg" },
  ]),
  kmemTruncationWarning: rule("dax kmem warns \"DAX region truncated by <string_get_size> due to alignment\" when memory blocks trim the device", false, CXL + "/6.12/cxl-pmem-region step 3", [
    { since: "7.2", value: true, evidence: CXL + "/7.2/cxl-pmem-region step 3 dmesg" },
  ]),
  memoryTiers: rule("memory tiers (mm/memory-tiers.c): memory_tierN devices, dax kmem nodes in their own tier", false, "v6.1 commit 992bf77591cb (mm/demotion: add support for explicit memory tiers)", [
    { since: "6.1", value: true, evidence: "test/oracle/cxl/cxl-pmem-numa (memory_tier22)" },
  ]),
  demotionTargetsLog: rule("establish_demotion_targets() logs each memory node's demotion targets (\"Demotion targets for Node N: null\") whenever a node gains or loses its memory tier", false, "6.1 traces: no such line at boot or when node 1 gets its first memory (test/oracle/traces/h-movable-node-new-node)", [
    { since: "6.12", value: true, evidence: "../shared/conformance/kernels/trixie/*.json boot; test/oracle/kernels/trixie/numa-auto-movable-aware step 1 (Node 0 and Node 1: null)" },
  ]),
} as const;
