/**
 * Rules of the drivers that add or map memory (dax/kmem, virtio-mem, ACPI
 * memory hotplug, libnvdimm) that differ between versions.
 */
import { rule } from "./rule.js";

const HISTORY = "../shared/spec/08-history.md";

export const DRIVER_RULES = {
  driverManagedRam: rule("add_memory_driver_managed(): \"System RAM (kmem)\" resources without firmware memmap entries", false, HISTORY, [
    { since: "5.8", value: true, evidence: "v5.8 commit 7b7b27214bba (mm/memory_hotplug: introduce add_memory_driver_managed()); " + HISTORY },
  ]),
  kmemHotRemove: rule("dax kmem can hot-remove its memory again (before: the memory stays until reboot)", false, HISTORY, [
    { since: "5.3", value: true, evidence: "v5.3 commit 9f960da72b25 (device-dax: \"Hotremove\" persistent memory that is used like normal RAM); " + HISTORY },
  ]),
  virtioMem: rule("the virtio-mem driver exists", false, HISTORY, [{ since: "5.8", value: true, evidence: "v5.8 commit 5f1f79bbc9e2 (virtio-mem: Paravirtualized memory hotplug)" }]),
} as const;
