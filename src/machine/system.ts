/**
 * A whole machine: QEMU's side (memory devices, slots, QMP replies, ACPI
 * _OST events) and the guest kernel model. QEMU decides whether a device
 * can be plugged; the kernel reacts to the ACPI notification.
 */
import { acpiContainerScanned, acpiEject, acpiMemoryDeviceAdd, type AcpiMemoryDevice } from "../kernel/drivers/acpi-memhotplug.js";
import type { Kernel } from "../kernel/kernel.js";
import { placeDimm } from "./qemu.js";
import { built } from "../kernel/profiles/config.js";
import { virtHasGed } from "./virt.js";
import type { BootLayout, MachineSpec, PluggedMemoryDevice } from "./types.js";
import { pageAllocUserSpace } from "../kernel/page-alloc.js";
import { pageAllocIdle } from "../kernel/page-alloc-offline.js";

export type QmpReply = { return: Record<string, never> } | { error: { class: string; desc: string } };

export interface OstEvent {
  event: "ACPI_DEVICE_OST";
  data: { info: { device: string; source: number; status: number; slot: string; "slot-type": string; status_name: string; source_name: string } };
}
export interface DeletedEvent {
  event: "DEVICE_DELETED";
  data: { device: string; path: string };
}

export interface PlugResult {
  "object-add": QmpReply;
  device_add: QmpReply;
  events?: OstEvent[];
  ost_seen?: boolean;
  "object-del"?: QmpReply;
}

export interface UnplugResult {
  device_del: QmpReply;
  events?: (OstEvent | DeletedEvent)[];
  device_deleted?: boolean;
  "object-del"?: QmpReply;
}

const OK_REPLY: QmpReply = { return: {} };

function ost(device: string, slot: number, source: "DEVICE_CHECK" | "EJECT_REQUEST", status: "SUCCESS" | "EJECT_IN_PROGRESS" | "DEVICE_BUSY"): OstEvent {
  const statusCode = { SUCCESS: 0, EJECT_IN_PROGRESS: 0x84, DEVICE_BUSY: 0x82 }[status];
  return {
    event: "ACPI_DEVICE_OST",
    data: {
      info: {
        device,
        source: source === "DEVICE_CHECK" ? 1 : 3,
        status: statusCode,
        slot: String(slot),
        "slot-type": "DIMM",
        status_name: status,
        source_name: source,
      },
    },
  };
}

export class System {
  readonly spec: MachineSpec;
  readonly layout: BootLayout;
  readonly kernel: Kernel;
  /** QEMU's memory devices (DIMMs and NVDIMMs), in plug order. */
  readonly devices: PluggedMemoryDevice[] = [];
  /** Extra snapshot parts (ndctl/daxctl listings) provided by the driver layer. */
  driverSnapshot?: () => Record<string, unknown> | undefined;
  /** Races the boot ran into whose outcome the model chose (drivers fill it in). */
  bootRaces?: () => { race: string; region: string; outcomes: number[]; chosen: number }[];
  /** Asynchronous kernel work (driver work items), run to idle after each step: what the oracle's settling waits for. */
  readonly settleHooks: (() => void)[] = [];

  constructor(spec: MachineSpec, layout: BootLayout, kernel: Kernel) {
    this.spec = spec;
    this.layout = layout;
    this.kernel = kernel;
    // QEMU virt's DSDT: the memory hotplug container is the second PNP0A06 device (x86 pc/q35: PNP0A06:04).
    if (spec.type === "virt") kernel.acpiMemoryParent = "/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:01";
    for (const nv of layout.nvdimms) this.devices.push({ id: nv.id, kind: "nvdimm", addr: nv.start, size: nv.size + nv.labelSize, slot: nv.slot });
  }

  /** Run queued asynchronous work until nothing is left. */
  settle(): void {
    for (const h of this.settleHooks) h();
    // The kernel's work is done: user space runs and allocates (page-alloc-pins.ts), for a while.
    pageAllocUserSpace(this.kernel);
    pageAllocIdle(this.kernel);
  }

  /** QMP object-add + device_add pc-dimm, then the guest's Device Check handling. */
  plugDimm(req: { id: string; size: number; addr?: number; node?: number; slot?: number }): PlugResult {
    if (this.spec.type === "virt" && !virtHasGed(this.spec))
      return { "object-add": OK_REPLY, device_add: { error: { class: "GenericError", desc: "memory hotplug is not enabled: missing acpi-ged device" } }, "object-del": OK_REPLY };
    const placed = placeDimm(this.layout, this.spec, this.devices, req);
    if (!placed.ok) return { "object-add": OK_REPLY, device_add: { error: placed.error }, "object-del": OK_REPLY };
    this.devices.push({ id: req.id, kind: "dimm", addr: placed.addr, size: req.size, slot: placed.slot });
    const dev: AcpiMemoryDevice = {
      slot: placed.slot,
      qemuId: req.id,
      start: placed.addr,
      size: req.size,
      node: placed.node,
      enabled: false,
      group: null,
      physicalNodes: [],
    };
    // The ACPI core acknowledges the Device Check (_OST success) whether or not a driver binds PNP0C80;
    // without CONFIG_ACPI_HOTPLUG_MEMORY (Debian's arm64 kernels) none does and no memory is added.
    if (built(this.kernel, "ACPI_HOTPLUG_MEMORY")) {
      this.kernel.acpiMemDevices.set(placed.slot, dev);
      acpiMemoryDeviceAdd(this.kernel, dev);
    } else acpiContainerScanned(this.kernel);
    return { "object-add": OK_REPLY, device_add: OK_REPLY, events: [ost(req.id, placed.slot, "DEVICE_CHECK", "SUCCESS")], ost_seen: true };
  }

  /** QMP device_del: an ACPI eject request the guest may refuse. */
  unplugDimm(id: string): UnplugResult {
    const i = this.devices.findIndex((d) => d.id === id && d.kind === "dimm");
    if (i < 0) return { device_del: { error: { class: "DeviceNotFound", desc: `Device '${id}' not found` } } };
    const d = this.devices[i];
    const dev = this.kernel.acpiMemDevices.get(d.slot);
    const events: (OstEvent | DeletedEvent)[] = [ost(id, d.slot, "EJECT_REQUEST", "EJECT_IN_PROGRESS")];
    const r = dev ? acpiEject(this.kernel, dev) : { ok: true as const };
    if (!r.ok) {
      events.push(ost(id, d.slot, "EJECT_REQUEST", "DEVICE_BUSY"));
      return { device_del: OK_REPLY, events, device_deleted: false };
    }
    this.kernel.acpiMemDevices.delete(d.slot);
    this.devices.splice(i, 1);
    events.push({ event: "DEVICE_DELETED", data: { device: id, path: `/machine/peripheral/${id}` } });
    return { device_del: OK_REPLY, events, device_deleted: true, "object-del": OK_REPLY };
  }
}
