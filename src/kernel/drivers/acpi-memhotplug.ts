/**
 * The ACPI memory device driver (PNP0C80) and the ACPI eject path.
 * Models drivers/acpi/acpi_memhotplug.c (acpi_memory_device_add,
 * acpi_memory_enable_device, acpi_memory_remove_memory) and
 * drivers/acpi/scan.c (acpi_scan_try_to_offline, acpi_bus_offline/online,
 * acpi_scan_hot_remove).
 */
import type { Kernel } from "../kernel.js";
import { EEXIST, EINVAL, ERRNO_NUMBER, type Errno } from "../errno.js";
import { addMemory, mhpSupportsMemmapOnMemory, tryRemoveMemory } from "../hotplug.js";
import { registerStaticGroup, unregisterGroup } from "../memory-block.js";
import { deviceOffline, deviceOnline } from "../online.js";

/** One PNP0C80 device (QEMU: one per DIMM slot). */
export interface AcpiMemoryDevice {
  slot: number;
  /** QEMU device id that occupies the slot. */
  qemuId: string;
  start: number;
  size: number;
  node: number;
  /** The range was added (or already present) and its blocks bound. */
  enabled: boolean;
  group: number | null;
  /** Blocks bound as physical nodes, in binding order. */
  physicalNodes: number[];
}

export function acpiDeviceName(slot: number): string {
  return `PNP0C80:${slot.toString(16).padStart(2, "0")}`;
}

export function acpiFirmwareNodePath(k: Kernel, slot: number): string {
  return `${k.acpiMemoryParent}/${acpiDeviceName(slot)}`;
}

/**
 * A Device Check on a memory device: acpi_memory_device_add(), then (newer
 * kernels) the scan of the hotplug container ends with an `online` uevent of
 * the container's device on the container bus, whether the memory came up or not.
 */
export function acpiMemoryDeviceAdd(k: Kernel, dev: AcpiMemoryDevice): void {
  if (k.rules.acpiRescanRetriesFailedMemory) {
    // The container's rescan attaches the driver to every memory device without one, in namespace (slot) order.
    for (const d of [...k.acpiMemDevices.values()].sort((a, b) => a.slot - b.slot)) if (d === dev || !d.enabled) memoryDeviceAdd(k, d);
  } else memoryDeviceAdd(k, dev);
  acpiContainerScanned(k);
}

/** The end of the ACPI core's scan of the hotplug container after a Device Check: driver or not (no CONFIG_ACPI_HOTPLUG_MEMORY), newer kernels send the container's `online`. */
export function acpiContainerScanned(k: Kernel): void {
  if (k.rules.acpiContainerOnlineUevent) k.uevent("online", `/devices/system/container/${k.acpiMemoryParent.split("/").pop()}`, "container");
}

/** acpi_memory_device_add(): add the memory of a newly present DIMM. */
function memoryDeviceAdd(k: Kernel, dev: AcpiMemoryDevice): void {
  const name = acpiDeviceName(dev.slot);
  if (dev.size === 0) {
    k.printk(3, `acpi ${name}: device is empty`);
    k.printk(3, `acpi ${name}: acpi_memory_enable_device() error`);
    return;
  }
  // Memory groups exist since v5.15; before, the ACPI driver added memory on the device's node.
  const g = k.rules.memoryGroups ? registerStaticGroup(k, dev.node, dev.size / k.geometry.pageSize) : null;
  if (g !== null && typeof g !== "number") {
    k.printk(3, `acpi ${name}: acpi_memory_enable_device() error`);
    return;
  }
  dev.group = g;
  const flags = { nidIsMgid: g !== null, memmapOnMemory: mhpSupportsMemmapOnMemory(k, dev.size) };
  const r = addMemory(k, g ?? dev.node, dev.start, dev.size, "System RAM", flags);
  if (r.ok || r.errno === EEXIST) {
    for (const b of k.blocksIn(dev.start / k.geometry.pageSize, dev.size / k.geometry.pageSize)) {
      const id = b.id;
      b.firmwareNode = acpiFirmwareNodePath(k, dev.slot);
      dev.physicalNodes.push(id);
    }
    dev.enabled = true;
  }
  if (!dev.enabled) {
    k.printk(3, `acpi ${name}: add_memory failed`);
    k.printk(3, `acpi ${name}: acpi_memory_enable_device() error`);
    if (g !== null) unregisterGroup(k, g);
    dev.group = null;
    return;
  }
  k.printk(7, `acpi ${name}: Memory device configured by ACPI`);
}

export type EjectOutcome = { ok: true } | { ok: false; errno: Errno; ost: "DEVICE_BUSY" };

/**
 * acpi_scan_hot_remove() for an eject request: two offline passes over the
 * bound blocks, roll back on failure, else remove the memory.
 */
export function acpiEject(k: Kernel, dev: AcpiMemoryDevice): EjectOutcome {
  const putOnline = new Set<number>();
  const pass = (second: boolean): number | null => {
    let errdev: number | null = null;
    for (const id of dev.physicalNodes) {
      const b = k.blocks.get(id);
      if (!b || b.devOffline) continue;
      const r = deviceOffline(k, b);
      if (typeof r === "number" || r.ok) {
        if (typeof r !== "number") putOnline.add(id);
      } else {
        errdev = id;
        if (second) break;
      }
    }
    return errdev;
  };
  if (pass(false) !== null) {
    const err = pass(true);
    if (err !== null) {
      k.printk(4, `memory memory${err}: Offline failed.`);
      for (const id of dev.physicalNodes) {
        if (!putOnline.has(id)) continue;
        const b = k.blocks.get(id);
        if (b) deviceOnline(k, b);
      }
      return { ok: false, errno: "EBUSY", ost: "DEVICE_BUSY" };
    }
  }
  // acpi_memory_remove_memory(): unbind the blocks, __remove_memory(), drop the group.
  if (dev.enabled) {
    for (const id of dev.physicalNodes) {
      const b = k.blocks.get(id);
      if (b) b.firmwareNode = null;
    }
    const r = tryRemoveMemory(k, dev.start, dev.size);
    if (!r.ok) {
      // __remove_memory() would BUG() here; the model reports it instead.
      k.printk(0, `kernel BUG: __remove_memory() failed with -${ERRNO_NUMBER[r.errno]}`);
    }
    dev.physicalNodes = [];
    if (dev.group !== null) unregisterGroup(k, dev.group);
    dev.group = null;
    dev.enabled = false;
  }
  return { ok: true };
}

export { EINVAL };
