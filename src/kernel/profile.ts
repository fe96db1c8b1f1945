/**
 * Kernel version profiles: which memory hotplug behaviours a kernel version
 * has. 6.1 is the reference (verified against real-kernel traces); 5.2 is the
 * last kernel before sub-section hotplug (v5.3), modelled from
 * ../shared/spec/08-history.md and the 5.x sources as documented there.
 * Each difference is one flag; the code that consults it names the kernel
 * behaviour it models.
 */

export type ProfileName = "6.1" | "5.2";

export interface KernelProfile {
  readonly name: ProfileName;
  /**
   * v5.3 (Dan Williams' series): __add_pages()/memremap_pages() work in 2 MiB
   * sub-sections and two mappings may share a section. Before: whole
   * sections only, and a second mapping in a section is refused.
   */
  readonly subsectionHotplug: boolean;
  /** v5.15: memory groups (static for DIMMs and kmem, dynamic for virtio-mem). */
  readonly memoryGroups: boolean;
  /** v5.15: memory_hotplug.online_policy (contig-zones / auto-movable) and its parameters. */
  readonly onlinePolicies: boolean;
  /** v5.13: memory_hotplug.memmap_on_memory. */
  readonly memmapOnMemory: boolean;
  /** v5.7/5.8: auto_online_blocks and memhp_default_state= accept online_kernel/online_movable. */
  readonly autoOnlineZoneTypes: boolean;
  /** v5.12: mhp_range_allowed() and its "exceeds maximum addressable range" warning. */
  readonly rangeAllowedCheck: boolean;
  /** v5.8: add_memory_driver_managed(): "System RAM (kmem)" resources without firmware memmap entries. */
  readonly driverManagedRam: boolean;
  /** v6.0 (5.16–6.0 in 08-history): offline_pages() refuses blocks with memory holes. */
  readonly offlineRefusesHoles: boolean;
  /** v5.3: dax kmem can hot-remove its memory again (before: the memory stays until reboot). */
  readonly kmemHotRemove: boolean;
  /** v5.8: `removable` always reads 1 (before: a real movability heuristic). */
  readonly removableAlwaysOne: boolean;
  /** v5.8: virtio-mem exists. */
  readonly virtioMem: boolean;
}

export const PROFILES: Record<ProfileName, KernelProfile> = {
  "6.1": {
    name: "6.1",
    subsectionHotplug: true,
    memoryGroups: true,
    onlinePolicies: true,
    memmapOnMemory: true,
    autoOnlineZoneTypes: true,
    rangeAllowedCheck: true,
    driverManagedRam: true,
    offlineRefusesHoles: true,
    kmemHotRemove: true,
    removableAlwaysOne: true,
    virtioMem: true,
  },
  "5.2": {
    name: "5.2",
    subsectionHotplug: false,
    memoryGroups: false,
    onlinePolicies: false,
    memmapOnMemory: false,
    autoOnlineZoneTypes: false,
    rangeAllowedCheck: false,
    driverManagedRam: false,
    offlineRefusesHoles: false,
    kmemHotRemove: false,
    removableAlwaysOne: false,
    virtioMem: false,
  },
};

export function getProfile(name: string | undefined): KernelProfile {
  const p = PROFILES[(name ?? "6.1") as ProfileName];
  if (!p) throw new RangeError(`unknown kernel profile "${name}" (known: ${Object.keys(PROFILES).join(", ")})`);
  return p;
}
