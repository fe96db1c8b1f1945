/**
 * virtio-mem in a scenario: the QEMU devices of the machine, the guest
 * driver bound to them when the oracle's guest loads virtio_mem after boot,
 * and the `virtio-mem-resize` op (QMP qom-set requested-size, then wait for
 * the guest: `size`, `requested-size`, `size_reached`).
 */
import { VirtioMemDriver, virtioMemParamsFromCmdline } from "../kernel/drivers/virtio-mem.js";
import { reportProbeFailure } from "../kernel/drivers/driver-core.js";
import { adoptImportedBlocks } from "../kernel/drivers/virtio-mem-import.js";
import { makeResource, requestResource, walk, type Resource } from "../kernel/resource.js";
import { ERRNO_NUMBER, type Errno } from "../kernel/errno.js";
import { parseSize } from "../kernel/units.js";
import type { System } from "../machine/system.js";
import { VirtioMemDevice } from "../machine/virtio-mem-device.js";
import type { RawStep } from "./runner.js";

interface Bound {
  dev: VirtioMemDevice;
  /** Null when the module did not load: QEMU takes requests, nobody answers them. */
  drv: VirtioMemDriver | null;
}

const boundOf = new WeakMap<System, Bound[]>();

/** The virtio-mem devices of a system (QEMU side and driver). */
export function virtioMemOf(sys: System): Bound[] {
  return boundOf.get(sys) ?? [];
}

function findResource(root: Resource, name: string, start: number, end: number): Resource | null {
  for (const c of root.children) {
    if (c.name === name && c.start === start && c.end === end) return c;
    if (c.start <= start && c.end >= end) {
      const r = findResource(c, name, start, end);
      if (r) return r;
    }
  }
  return null;
}

/**
 * virtio_pci binding the device: pci_request_selected_regions() names its
 * memory BAR `virtio-pci-modern` under the BAR the PCI core registered
 * (`0000:00:SS.0`). QEMU gives -device virtio-mem-pci the first free slots:
 * 00:02.0 on pc (after the PIIX3 functions), 00:01.0 on q35.
 */
function claimPciBar(sys: System, index: number): void {
  if (sys.spec.type !== "pc" && sys.spec.type !== "q35") return;
  const slot = (sys.spec.type === "q35" ? 1 : 2) + index;
  const name = `0000:00:${slot.toString(16).padStart(2, "0")}.0`;
  let bar: Resource | null = null;
  walk(sys.kernel.iomem, (r) => {
    if (bar) return false;
    if (r.name === name) bar = r;
    return true;
  });
  const b = bar as Resource | null;
  if (!b || b.children.length > 0) return;
  requestResource(b, makeResource(b.start, b.end, "virtio-pci-modern", { busy: true }, b.desc));
}

/**
 * Module load after boot (virtio_pci, virtio_mem): bind the driver to every
 * virtio-mem device, in PCI order (virtio0, virtio1, …). `imported`: the boot
 * state came from a snapshot, which already shows what the driver did at boot.
 */
export function initVirtioMem(sys: System, imported: boolean): void {
  const k = sys.kernel;
  const bound: Bound[] = [];
  const devices = sys.layout.virtioMem ?? [];
  // The module's parameters from the command line; one that does not parse keeps the module from loading at all.
  const mod = devices.length ? virtioMemParamsFromCmdline(sys.spec.cmdline, k.rules.virtioMemModuleParams) : null;
  if (mod && "invalid" in mod) {
    k.printk(3, mod.invalid);
    devices.forEach((v, i) => {
      const dev = new VirtioMemDevice({ id: v.id, addr: v.start, regionSize: v.size, blockSize: v.blockSize, requestedSize: v.requestedSize, node: v.node });
      if (!(imported && findResource(k.iomem, `virtio${i}`, v.start, v.start + v.size - 1))) claimPciBar(sys, i);
      bound.push({ dev, drv: null });
    });
    boundOf.set(sys, bound);
    return;
  }
  for (const l of mod?.log ?? []) k.printk(l.level, l.text);
  devices.forEach((v, i) => {
    const dev = new VirtioMemDevice({ id: v.id, addr: v.start, regionSize: v.size, blockSize: v.blockSize, requestedSize: v.requestedSize, node: v.node });
    const name = `virtio${i}`;
    const drv = new VirtioMemDriver(k, dev, name, mod && !("invalid" in mod) ? mod.params : undefined);
    const adopt = imported ? findResource(k.iomem, name, v.start, v.start + v.size - 1) : null;
    if (!adopt) claimPciBar(sys, i);
    const err = drv.probe(adopt);
    if (err) {
      // really_probe(): the device stays unbound; QEMU still takes requests, nobody answers them.
      reportProbeFailure(k, "virtio_mem", name, -errnoNumber(err));
    } else {
      dev.onConfigChanged = () => drv.configChangedCb();
      if (adopt) {
        // What the driver plugged at boot is in the snapshot: rebuild its bookkeeping.
        drv.adoptPluggedMemory(dev.requestedSize, (addr, size) => dev.setPluggedRaw(addr, size));
        adoptImportedBlocks(drv);
      }
      drv.runPendingWork();
    }
    bound.push({ dev, drv });
  });
  boundOf.set(sys, bound);
  if (bound.length) sys.settleHooks.push(() => settleVirtioMem(sys));
}

function errnoNumber(e: string): number {
  return ERRNO_NUMBER[e as Errno] ?? 0;
}

/** Run the drivers' queued work until none is left (work of one device can queue another's). */
function settleVirtioMem(sys: System): void {
  const bound = virtioMemOf(sys);
  for (let guard = 0; guard < 100 && bound.some((b) => b.drv?.hasPendingWork); guard++) {
    for (const b of bound) b.drv?.runPendingWork();
  }
}

/** query-memory-devices (the virtio-mem entries, by address). */
function memoryDevices(sys: System): unknown[] {
  return virtioMemOf(sys)
    .map((b) => b.dev)
    .sort((a, b) => a.addr - b.addr)
    .map((d) => d.info());
}

/** Returns the step result, or undefined when the op is not one of ours. */
export function applyVirtioMemStep(sys: System, step: RawStep): unknown | undefined {
  if (step.op !== "virtio-mem-resize") return undefined;
  const id = String(step.id);
  const want = parseSize(step.requested_size as string | number);
  const b = virtioMemOf(sys).find((x) => x.dev.id === id);
  if (!b) return { "qom-set": { error: { class: "DeviceNotFound", desc: `Device '/machine/peripheral/${id}' not found` } } };
  const reply = b.dev.setRequestedSize(want);
  if ("error" in reply) return { "qom-set": reply };
  // The guest reacts to the config change; the harness waits for `size`, then settles.
  sys.settle();
  return {
    "qom-set": reply,
    size_reached: b.dev.size === want,
    size: b.dev.size,
    "requested-size": b.dev.requestedSize,
    events: [],
    memory_devices: memoryDevices(sys),
  };
}
