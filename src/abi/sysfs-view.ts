/**
 * The model's /sys/devices/system/memory as util-linux lsmem reads it: a
 * MemorySysfsView (src/abi/lsmem.ts) built from sysfsRead(), so `memhp lsmem
 * MODEL` and `lsmem --sysroot EXPORT` read the very same attribute texts.
 * Pure (browser-safe).
 */
import type { Kernel } from "../kernel/kernel.js";
import { sysfsDirExists, sysfsRead, sysfsWrite } from "../kernel/sysfs.js";
import type { SysfsTarget } from "./chmem.js";
import type { MemoryBlockView, MemorySysfsView } from "./lsmem.js";

const MEM = "/sys/devices/system/memory";

function read(k: Kernel, path: string): string | undefined {
  const r = sysfsRead(k, path);
  return r.ok ? r.value : undefined;
}

/** The memory sysfs of a model state, as lsmem sees a sysroot. */
export function sysfsView(k: Kernel): MemorySysfsView {
  const bs = read(k, `${MEM}/block_size_bytes`) ?? "0\n";
  const blocks: MemoryBlockView[] = k.sortedBlockIds().map((id) => {
    const b = k.blocks.get(id)!;
    const p = `${MEM}/memory${id}`;
    const v: MemoryBlockView = {
      index: id,
      state: read(k, `${p}/state`) ?? "",
      // Directory order of nodeN links: the order the kernel made them.
      nodes: [...b.nodeLinks],
    };
    const removable = read(k, `${p}/removable`);
    if (removable !== undefined) v.removable = removable;
    const physDevice = read(k, `${p}/phys_device`);
    if (physDevice !== undefined) v.physDevice = physDevice;
    const validZones = read(k, `${p}/valid_zones`);
    if (validZones !== undefined) v.validZones = validZones;
    return v;
  });
  const view: MemorySysfsView = { blockSizeBytes: parseInt(bs.trim(), 16), blocks };
  const mom = read(k, "/sys/module/memory_hotplug/parameters/memmap_on_memory");
  if (mom !== undefined) view.memmapOnMemoryParam = mom;
  return view;
}

/**
 * chmem's view of the model: reads through sysfsRead(), writes through
 * sysfsWrite() (so every store handler, kernel rule and errno applies), and
 * the directory listing of /sys/devices/system/memory.
 */
export function modelSysfsTarget(k: Kernel): SysfsTarget {
  const read = (path: string): string | null => {
    const r = sysfsRead(k, path);
    return r.ok ? r.value : null;
  };
  return {
    read,
    list(dir) {
      if (dir !== MEM) return null;
      return ["auto_online_blocks", "block_size_bytes", "hard_offline_page", "power", "soft_offline_page", "uevent", ...k.sortedBlockIds().map((id) => `memory${id}`)];
    },
    exists(path) {
      if (sysfsDirExists(k, path)) return true;
      const r = sysfsRead(k, path);
      return r.ok || r.errno === "EACCES";
    },
    write(path, value) {
      const r = sysfsWrite(k, path, value);
      return r.ok ? { ok: true } : { ok: false, errno: r.errno };
    },
  };
}
