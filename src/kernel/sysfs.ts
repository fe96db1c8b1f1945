/**
 * sysfs attributes of memory hotplug: reads (show) and writes (store) with
 * the kernel's exact parsing and errnos. Models drivers/base/memory.c
 * (state_store, online_store via drivers/base/core.c, auto_online_blocks_store,
 * *_show), drivers/base/node.c masks, drivers/firmware/memmap.c attributes,
 * the memory_hotplug module parameters, and kernfs open rules (a file without
 * a store handler refuses writes at open with EACCES).
 */
import { built } from "./profiles/config.js";
import type { Kernel, OnlineType } from "./kernel.js";
import { EACCES, EINVAL, ENOENT, ERANGE, type Errno } from "./errno.js";
import { kstrtobool, kstrtoull } from "./cmdline.js";
import { deviceOffline, deviceOnline } from "./online.js";
import { validZones } from "./zone-policy.js";
import { hexPad } from "./units.js";
import { memoryBlockDevpath } from "./memory-block.js";
import { countSystemRamPages } from "./resource.js";
import { softOfflinePageStore, hardOfflinePageStore } from "./memory-failure.js";

export type SysfsResult = { ok: true; value: string } | { ok: false; errno: Errno };
/** A write's outcome; `unsupported` says memhp does not model what the kernel would do (the errno is then meaningless). */
export type WriteResult = { ok: true } | { ok: false; errno: Errno; unsupported?: string };

const MEM = "/sys/devices/system/memory";
const NODE = "/sys/devices/system/node";
const PARAMS = "/sys/module/memory_hotplug/parameters";
const FWMM = "/sys/firmware/memmap";

/** sysfs_streq(): equal, ignoring one trailing newline on either side. */
export function sysfsStreq(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith("\n") ? s.slice(0, -1) : s);
  return strip(a) === strip(b);
}

/** mhp_online_type_from_str(). */
export function onlineTypeFromStr(s: string): OnlineType | null {
  for (const t of ["offline", "online", "online_kernel", "online_movable"] as OnlineType[]) if (sysfsStreq(s, t)) return t;
  return null;
}

/** `%*pbl`: a node list like 0-1,3 (of a set of ids, in any order). */
export function nodeList(ids: Iterable<number>): string {
  const s = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

interface Attr {
  show?: (k: Kernel) => string;
  store?: (k: Kernel, buf: string) => WriteResult;
}

function blockAttr(k: Kernel, id: number, name: string): Attr | null | "dir" {
  const b = k.blocks.get(id);
  if (!b) return null;
  switch (name) {
    case "phys_index":
      return { show: () => `${hexPad(id, 8)}\n` };
    case "state":
      return { show: () => `${b.state}\n`, store: (kk, buf) => stateStore(kk, id, buf) };
    case "online":
      return { show: () => (b.devOffline ? "0\n" : "1\n"), store: (kk, buf) => onlineStore(kk, id, buf) };
    case "phys_device":
      return { show: () => `${b.imported?.phys_device ?? "0"}\n` };
    case "removable":
      return { show: (kk) => `${b.imported?.removable ?? (kk.rules.removableAlwaysOne ? "1" : legacyRemovable(kk, b))}\n` };
    case "valid_zones":
      return { show: (kk) => `${kk.dumpedValidZones?.get(id) ?? validZones(kk, b)}\n` };
    case "uevent":
      return { show: () => "", store: (kk, buf) => ueventStore(kk, memoryBlockDevpath(id), "memory", buf, `memory memory${id}`) };
    case "power":
    case "subsystem":
      return "dir";
  }
  if (/^node\d+$/.test(name) && b.nodeLinks.includes(Number(name.slice(4)))) return "dir";
  if (name === "firmware_node" && b.firmwareNode) return "dir";
  return null;
}

/**
 * The device core's power/ group of a memory block (runtime PM never enabled
 * for it): `control` reads "auto" and takes "auto" or "on"; `runtime_status`
 * reads "unsupported" (oracle trace robust-sysfs-edges).
 */
function powerAttr(name: string): Attr | null {
  switch (name) {
    case "control":
      return { show: () => "auto\n", store: (_k, buf) => (sysfsStreq(buf, "auto") || sysfsStreq(buf, "on") ? { ok: true } : { ok: false, errno: EINVAL }) };
    case "runtime_status":
      return { show: () => "unsupported\n" };
  }
  return null;
}

/** state_store(). */
function stateStore(k: Kernel, id: number, buf: string): WriteResult {
  const t = onlineTypeFromStr(buf);
  if (!t) return { ok: false, errno: EINVAL };
  const b = k.blocks.get(id)!;
  let r;
  if (t === "offline") {
    r = deviceOffline(k, b);
  } else {
    b.onlineType = t;
    r = deviceOnline(k, b);
  }
  if (typeof r === "number") return { ok: false, errno: EINVAL };
  return r.ok ? { ok: true } : r;
}

/** online_store() of the device core. */
function onlineStore(k: Kernel, id: number, buf: string): WriteResult {
  const v = kstrtobool(buf);
  if (v === null) return { ok: false, errno: EINVAL };
  const b = k.blocks.get(id)!;
  const r = v ? deviceOnline(k, b) : deviceOffline(k, b);
  if (typeof r === "number") return { ok: true };
  return r.ok ? { ok: true } : r;
}

const UEVENT_ACTIONS = ["add", "remove", "change", "move", "online", "offline", "bind", "unbind"];

/**
 * uevent_store() -> kobject_synth_uevent(): `ACTION [UUID [KEY=VALUE…]]`;
 * a failure is logged by both functions and returned.
 */
function ueventStore(k: Kernel, devpath: string, subsystem: string, buf: string, devName?: string): WriteResult {
  const failed = (msg: string): WriteResult => {
    k.printk(4, `synth uevent: ${devpath}: ${msg}`);
    if (devName) k.printk(3, `${devName}: uevent: failed to send synthetic uevent: -22`);
    return { ok: false, errno: EINVAL };
  };
  let text = buf;
  if (text.endsWith("\n") || text.endsWith("\0")) text = text.slice(0, -1);
  const sp = text.indexOf(" ");
  const action = sp < 0 ? text : text.slice(0, sp);
  if (!text || !UEVENT_ACTIONS.includes(action)) return failed("unknown uevent action string");
  const vars: [string, string][] = [];
  const args = sp < 0 ? "" : text.slice(sp + 1);
  if (!args) vars.push(["SYNTH_UUID", "0"]);
  else {
    const words = args.split(" ").filter((w) => w !== "");
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(words[0] ?? "")) return failed("invalid UUID");
    vars.push(["SYNTH_UUID", words[0]]);
    for (const kv of words.slice(1)) {
      const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(kv);
      if (!m) return failed("invalid uevent args");
      vars.push([`SYNTH_ARG_${m[1]}`, m[2]]);
    }
  }
  k.uevent(action, devpath, subsystem, vars);
  return { ok: true };
}

/** kstrtouint(s, 0): kstrtoull() limited to 32 bits. */
function kstrtouint(s: string): number | Errno {
  const v = kstrtoull(s);
  if (typeof v !== "bigint") return v === "ERANGE" ? ERANGE : EINVAL;
  return v > 0xffffffffn ? ERANGE : Number(v);
}

function rootAttr(k: Kernel, path: string): Attr | null {
  switch (path) {
    case `${MEM}/block_size_bytes`:
      return { show: () => `${k.hotplugGranule.toString(16)}\n` };
    case `${MEM}/auto_online_blocks`:
      return {
        show: () => `${k.params.autoOnlineBlocks}\n`,
        store: (kk, buf) => {
          const t = onlineTypeFromStr(buf);
          // Before v5.7/5.8 only "online" and "offline" were accepted.
          if (!t || (!kk.rules.autoOnlineZoneTypes && t !== "online" && t !== "offline")) return { ok: false, errno: EINVAL };
          kk.params.autoOnlineBlocks = t;
          return { ok: true };
        },
      };
    case `${MEM}/soft_offline_page`:
      return { store: (kk, buf) => softOfflinePageStore(kk, buf) };
    case `${MEM}/hard_offline_page`:
      return { store: (kk, buf) => hardOfflinePageStore(kk, buf) };
    case `${MEM}/uevent`:
      return { show: () => "", store: (kk, buf) => ueventStore(kk, "/devices/system/memory", "memory", buf) };
    case `${PARAMS}/online_policy`:
      return {
        show: () => `${k.params.onlinePolicy}\n`,
        store: (kk, buf) => {
          if (sysfsStreq(buf, "contig-zones")) kk.params.onlinePolicy = "contig-zones";
          else if (sysfsStreq(buf, "auto-movable")) kk.params.onlinePolicy = "auto-movable";
          else return { ok: false, errno: EINVAL };
          return { ok: true };
        },
      };
    case `${PARAMS}/auto_movable_ratio`:
      return {
        show: () => `${k.params.autoMovableRatio}\n`,
        store: (kk, buf) => {
          const v = kstrtouint(buf);
          if (typeof v !== "number") return { ok: false, errno: v };
          kk.params.autoMovableRatio = v;
          return { ok: true };
        },
      };
    case `${PARAMS}/auto_movable_numa_aware`:
      return {
        show: () => (k.params.autoMovableNumaAware ? "Y\n" : "N\n"),
        store: (kk, buf) => {
          const v = kstrtobool(buf);
          if (v === null) return { ok: false, errno: EINVAL };
          kk.params.autoMovableNumaAware = v;
          return { ok: true };
        },
      };
    case `${PARAMS}/memmap_on_memory`:
      return { show: () => (k.params.memmapOnMemoryForce ? "force\n" : k.params.memmapOnMemory ? "Y\n" : "N\n") };
    case `${NODE}/possible`:
      return { show: () => `${nodeList(k.possibleNodes)}\n` };
    case `${NODE}/online`:
      return { show: () => `${nodeList(k.onlineNodes())}\n` };
    case `${NODE}/has_normal_memory`:
      return { show: () => `${nodeList(k.nodesWithNormalMemory())}\n` };
    case `${NODE}/has_memory`:
      return { show: () => `${nodeList(k.nodesWithMemory())}\n` };
    case `${NODE}/has_cpu`:
      return { show: () => `${nodeList(k.nodesWithCpu())}\n` };
    case `${NODE}/has_generic_initiator`:
      return { show: () => "\n" };
  }
  const fm = new RegExp(`^${FWMM}/(\\d+)/(start|end|type)$`).exec(path);
  if (fm) {
    const e = k.firmwareMemmap.find((x) => x.index === Number(fm[1]));
    if (!e) return null;
    const f = fm[2];
    return { show: () => (f === "type" ? `${e.type}\n` : `0x${(f === "start" ? e.start : e.end).toString(16)}\n`) };
  }
  return null;
}

/**
 * `removable` before v5.8: is_mem_section_removable(), roughly "every
 * pageblock could be isolated": no unmovable or reserved page, one zone.
 */
function legacyRemovable(k: Kernel, b: { startPfn: number; nrPages: number; state: string; zone: unknown; boot: boolean }): string {
  if (k.isUnmovable(b.startPfn, b.startPfn + b.nrPages)) return "0";
  if (b.state === "online" && !b.zone) return "0";
  if (b.boot && countSystemRamPages(k.iomem, b.startPfn * k.geometry.pageSize, (b.startPfn + b.nrPages) * k.geometry.pageSize, k.geometry.pageSize) !== b.nrPages) return "0";
  return "1";
}

function resolve(k: Kernel, path: string): Attr | "dir" | null {
  const m = new RegExp(`^${MEM}/memory(\\d+)/([^/]+)$`).exec(path);
  if (m && String(Number(m[1])) === m[1]) return blockAttr(k, Number(m[1]), m[2]);
  const pw = new RegExp(`^${MEM}/memory(\\d+)/power/([^/]+)$`).exec(path);
  if (pw && String(Number(pw[1])) === pw[1] && k.blocks.has(Number(pw[1]))) return powerAttr(pw[2]);
  // The memory_hotplug module parameters appeared with memmap_on_memory (v5.13) and the online policies (v5.15).
  if (path.startsWith(`${PARAMS}/`) && !k.rules.onlinePolicies) return null;
  const a = rootAttr(k, path);
  if (a) return a;
  for (const p of providers) {
    const r = p(k, path);
    if (r) return r;
  }
  return null;
}

/** sysfs of a driver subsystem (nvdimm, dax): asked for the paths the core does not know. */
export type SysfsProvider = (k: Kernel, path: string) => Attr | "dir" | null;
export type SysfsAttr = Attr;
const providers: SysfsProvider[] = [];

export function registerSysfsProvider(p: SysfsProvider): void {
  if (!providers.includes(p)) providers.push(p);
}

/** Does the parent directory of `path` exist (decides ENOENT vs EACCES for a missing file)? */
export function sysfsDirExists(k: Kernel, dir: string): boolean {
  if ((dir === PARAMS || dir === "/sys/module/memory_hotplug") && !k.rules.onlinePolicies) return false;
  if (dir === FWMM) return built(k, "FIRMWARE_MEMMAP");
  if ([MEM, NODE, PARAMS, "/sys/devices/system", "/sys/module/memory_hotplug", "/sys/firmware", "/sys"].includes(dir)) return true;
  const m = new RegExp(`^${MEM}/memory(\\d+)$`).exec(dir);
  if (m) return String(Number(m[1])) === m[1] && k.blocks.has(Number(m[1]));
  const n = new RegExp(`^${NODE}/node(\\d+)$`).exec(dir);
  if (n) return k.nodeOnline.has(Number(n[1]));
  const f = new RegExp(`^${FWMM}/(\\d+)$`).exec(dir);
  if (f) return k.firmwareMemmap.some((e) => e.index === Number(f[1]));
  for (const p of providers) if (p(k, dir) === "dir") return true;
  return false;
}

/** read(2) of a sysfs file. */
export function sysfsRead(k: Kernel, path: string): SysfsResult {
  const a = resolve(k, path);
  if (!a || a === "dir") return { ok: false, errno: a === "dir" ? "EINVAL" : ENOENT };
  if (!a.show) return { ok: false, errno: EACCES };
  try {
    return { ok: true, value: a.show(k) };
  } catch (e) {
    // A show() that fails (a provider's attribute returning -ENXIO and the like).
    const errno = (e as { errno?: Errno }).errno;
    if (errno) return { ok: false, errno };
    throw e;
  }
}

/** One write(2) of `buf` to a sysfs file, opened the way `dd of=PATH` opens it. */
export function sysfsWrite(k: Kernel, path: string, buf: string): WriteResult {
  k.dumpedValidZones = null;
  const a = resolve(k, path);
  if (a === "dir") return { ok: false, errno: "EISDIR" as Errno };
  // open(O_WRONLY) of a directory (a block's own directory, the memory directory).
  if (!a && sysfsDirExists(k, path)) return { ok: false, errno: "EISDIR" as Errno };
  if (!a) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    // O_CREAT in an existing sysfs directory is refused; a missing directory is ENOENT.
    return { ok: false, errno: sysfsDirExists(k, dir) ? EACCES : ENOENT };
  }
  if (!a.store) return { ok: false, errno: EACCES };
  // dd with nothing to write opens the file and never calls write(2): nothing happens, and it succeeds.
  if (buf === "") return { ok: true };
  // The store sees a C string: a written NUL ends it (libndctl/libcxl write strlen + 1 bytes).
  const nul = buf.indexOf("\0");
  return a.store(k, nul < 0 ? buf : buf.slice(0, nul));
}
