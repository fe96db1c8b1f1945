/**
 * The model's state as a sysroot: the files, directories and symlinks a real
 * machine shows under sys/ and proc/ for memory hotplug (spec 07), so that
 * real tools (util-linux `lsmem --sysroot`, `memhp import`) can read them.
 * Pure (browser-safe): it lists entries; src/cli/sysroot-write.ts writes them.
 */
import type { Kernel } from "../kernel/kernel.js";
import { renderIomem } from "../kernel/resource.js";
import { sysfsRead } from "../kernel/sysfs.js";
import { built } from "../kernel/profiles/config.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import { memTotalKb } from "./snapshot.js";

export type SysrootEntry =
  | { kind: "dir"; path: string; mode: number }
  | { kind: "file"; path: string; mode: number; content: string }
  | { kind: "symlink"; path: string; target: string };

const MEM = "sys/devices/system/memory";
const NODE = "sys/devices/system/node";
const PARAMS = "sys/module/memory_hotplug/parameters";
const FWMM = "sys/firmware/memmap";

/** Attributes of a device's power/ directory (runtime PM unsupported; autosuspend_delay_ms reads fail, dumps hold it empty). */
export const DEVICE_POWER_FILES: readonly [string, number, string][] = [
  ["async", 0o644, "disabled\n"],
  ["autosuspend_delay_ms", 0o644, ""],
  ["control", 0o644, "auto\n"],
  ["runtime_active_kids", 0o444, "0\n"],
  ["runtime_active_time", 0o444, "0\n"],
  ["runtime_enabled", 0o444, "disabled\n"],
  ["runtime_status", 0o444, "unsupported\n"],
  ["runtime_suspended_time", 0o444, "0\n"],
  ["runtime_usage", 0o444, "0\n"],
];

/** Mode and attribute names of a memoryN directory (spec 07 §2), in listing order. */
export const BLOCK_ATTRS: readonly [string, number][] = [
  ["online", 0o644],
  ["phys_device", 0o444],
  ["phys_index", 0o444],
  ["removable", 0o444],
  ["state", 0o644],
  ["uevent", 0o644],
  ["valid_zones", 0o444],
];

/** A relative symlink target from the directory `fromDir` to `to` (both sysroot-relative). */
export function relativeLink(fromDir: string, to: string): string {
  const a = fromDir.split("/").filter(Boolean);
  const b = to.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/") || ".";
}

/** `/devices/…` (a kernel device path) as a sysroot path. */
function sysPath(devpath: string): string {
  return `sys${devpath.startsWith("/") ? "" : "/"}${devpath}`;
}

function read(k: Kernel, path: string): string {
  const r = sysfsRead(k, path);
  return r.ok ? r.value : "";
}

class Builder {
  readonly entries: SysrootEntry[] = [];
  private readonly dirs = new Set<string>();
  dir(path: string, mode = 0o755): void {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (this.dirs.has(p)) continue;
      this.dirs.add(p);
      this.entries.push({ kind: "dir", path: p, mode: i === parts.length ? mode : 0o755 });
    }
  }
  file(path: string, content: string, mode = 0o444): void {
    this.dir(path.slice(0, path.lastIndexOf("/")));
    this.entries.push({ kind: "file", path, mode, content });
  }
  link(path: string, to: string): void {
    const dir = path.slice(0, path.lastIndexOf("/"));
    this.dir(dir);
    this.entries.push({ kind: "symlink", path, target: relativeLink(dir, to) });
  }
  power(dir: string): void {
    for (const [name, mode, content] of DEVICE_POWER_FILES) this.file(`${dir}/power/${name}`, content, mode);
  }
}

/**
 * /proc/zoneinfo with the lines a reader of zone spans needs, in the kernel's
 * layout (`Node N, zone NAME`, `spanned`, `present`, `managed`, `start_pfn:`).
 * Unpopulated zones print no start_pfn line, as the kernel does.
 */
export function renderZoneinfo(k: Kernel): string {
  let out = "";
  for (const nid of k.onlineNodes()) {
    for (const z of k.node(nid).zones) {
      out += `Node ${nid}, zone ${ZONE_NAMES[z.idx].padStart(8)}\n`;
      out += `  pages free     ${z.managed}\n`;
      out += `        spanned  ${z.spanned}\n`;
      out += `        present  ${z.present}\n`;
      out += `        managed  ${z.managed}\n`;
      if (z.present > 0) out += `  start_pfn:           ${z.startPfn}\n`;
    }
  }
  return out;
}

export interface ExportOptions {
  /** Files of sys/devices/system/memory this kernel does not model, as an imported dump had them (snapshot.extra_files). */
  extraMemoryFiles?: Record<string, string>;
}

/** Every entry of the sysroot for this state, parents before children. */
export function exportSysroot(k: Kernel, opts: ExportOptions = {}): SysrootEntry[] {
  const w = new Builder();
  // /sys/devices/system/memory (spec 07 §1, §2)
  w.dir(MEM);
  w.file(`${MEM}/block_size_bytes`, read(k, "/sys/devices/system/memory/block_size_bytes"), 0o444);
  w.file(`${MEM}/auto_online_blocks`, read(k, "/sys/devices/system/memory/auto_online_blocks"), 0o644);
  w.file(`${MEM}/hard_offline_page`, "", 0o200);
  w.file(`${MEM}/soft_offline_page`, "", 0o200);
  w.file(`${MEM}/uevent`, "", 0o644);
  w.power(MEM);
  for (const [name, content] of Object.entries(opts.extraMemoryFiles ?? {})) {
    if (/^[A-Za-z0-9_.-]+$/.test(name) && !name.startsWith("memory")) w.file(`${MEM}/${name}`, content, 0o444);
  }
  w.dir("sys/bus/memory/devices");
  w.file("sys/bus/memory/uevent", "", 0o200);
  const acpiLinks = new Map<string, number[]>();
  for (const id of k.sortedBlockIds()) {
    const b = k.blocks.get(id)!;
    const dir = `${MEM}/memory${id}`;
    w.dir(dir);
    for (const [name, mode] of BLOCK_ATTRS) w.file(`${dir}/${name}`, read(k, `/sys/devices/system/memory/memory${id}/${name}`), mode);
    w.power(dir);
    w.link(`${dir}/subsystem`, "sys/bus/memory");
    for (const nid of b.nodeLinks) w.link(`${dir}/node${nid}`, `${NODE}/node${nid}`);
    if (b.firmwareNode) {
      w.link(`${dir}/firmware_node`, sysPath(b.firmwareNode));
      const list = acpiLinks.get(b.firmwareNode) ?? [];
      list.push(id);
      acpiLinks.set(b.firmwareNode, list);
    }
    w.link(`sys/bus/memory/devices/memory${id}`, dir);
  }
  // ACPI memory devices: physical_node, physical_node1, … in binding order (spec 07 §7).
  const bound = new Map<string, number[]>();
  for (const dev of [...k.acpiMemDevices.values()].sort((a, c) => a.slot - c.slot)) {
    const path = [...acpiLinks.keys()].find((p) => p.endsWith(`/PNP0C80:${dev.slot.toString(16).padStart(2, "0")}`));
    if (path) bound.set(path, dev.physicalNodes.filter((id) => k.blocks.has(id)));
  }
  for (const [path, ids] of acpiLinks) {
    const dir = sysPath(path);
    w.dir(dir);
    (bound.get(path) ?? ids).forEach((id, i) => w.link(`${dir}/physical_node${i === 0 ? "" : i}`, `${MEM}/memory${id}`));
  }
  // /sys/devices/system/node (spec 07 §3)
  w.dir(NODE);
  for (const mask of ["possible", "online", "has_normal_memory", "has_memory", "has_cpu", "has_generic_initiator"]) {
    w.file(`${NODE}/${mask}`, read(k, `/sys/devices/system/node/${mask}`), 0o444);
  }
  w.file(`${NODE}/uevent`, "", 0o644);
  w.power(NODE);
  const online = k.onlineNodes();
  for (const nid of online) {
    const dir = `${NODE}/node${nid}`;
    w.dir(dir);
    for (const id of k.sortedBlockIds()) if (k.blocks.get(id)!.nodeLinks.includes(nid)) w.link(`${dir}/memory${id}`, `${MEM}/memory${id}`);
    const cpus = k.cpusByNode[nid] ?? [];
    w.file(`${dir}/cpulist`, `${cpus.join(",")}\n`, 0o444);
    w.file(`${dir}/distance`, `${online.map((o) => k.nodeDistance(nid, o)).join(" ")}\n`, 0o444);
    w.file(`${dir}/meminfo`, `Node ${nid} MemTotal:       ${String(memTotalKb(k, nid)).padStart(8)} kB\n`, 0o444);
    w.file(`${dir}/uevent`, "", 0o644);
    w.power(dir);
  }
  // /sys/firmware/memmap (spec 07 §5)
  if (built(k, "FIRMWARE_MEMMAP")) w.dir(FWMM);
  for (const e of k.firmwareMemmap) {
    const dir = `${FWMM}/${e.index}`;
    w.file(`${dir}/start`, `0x${e.start.toString(16)}\n`, 0o444);
    w.file(`${dir}/end`, `0x${e.end.toString(16)}\n`, 0o444);
    w.file(`${dir}/type`, `${e.type}\n`, 0o444);
  }
  // /sys/module/memory_hotplug/parameters (spec 04 §4.4)
  for (const [name, mode] of [
    ["auto_movable_numa_aware", 0o644],
    ["auto_movable_ratio", 0o644],
    ["memmap_on_memory", 0o444],
    ["online_policy", 0o644],
  ] as const) {
    w.file(`${PARAMS}/${name}`, read(k, `/sys/module/memory_hotplug/parameters/${name}`), mode);
  }
  // /proc (spec 07 §4)
  w.file("proc/iomem", renderIomem(k.iomem, k.rules.iomemMaxDepth).map((l) => `${l}\n`).join(""), 0o444);
  w.file("proc/meminfo", `MemTotal:       ${String(memTotalKb(k)).padStart(8)} kB\n`, 0o444);
  w.file("proc/zoneinfo", renderZoneinfo(k), 0o444);
  return w.entries;
}
