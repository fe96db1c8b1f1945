/**
 * chmem's work on memory blocks (sys-utils/chmem.c): onlining and
 * offlining by size or by range (chmem_onoff_*), configuring and
 * deconfiguring s390 memory (chmem_config*), and the sysfs reads they
 * share. Pure: no node:* imports.
 */
import { asciiLower, cScanInt, ulStrtou64 } from "./util-linux/cnum.js";
import type { Proc } from "./util-linux/program.js";
import { sizeToHumanString } from "./util-linux/size.js";
import type { SysfsTarget } from "./chmem.js";

export const PATH_SYS_MEMORY = "/sys/devices/system/memory";
export const PATH_SYS_MEMCONFIG = "/sys/firmware/memory";
export const ZONE_NAMES = ["DMA", "DMA32", "Normal", "Highmem", "Movable", "Device"];
const ZONE_MOVABLE = 4;
export const U64 = (x: bigint) => BigInt.asUintN(64, x);

export interface Desc {
  t: SysfsTarget;
  p: Proc;
  dirs: string[];
  memconfigDirs: string[];
  memmapOnMemory: number;
  blockSize: bigint;
  start: bigint;
  end: bigint;
  size: bigint;
  useBlocks: boolean;
  isSize: boolean;
  verbose: boolean;
  haveZones: boolean;
  haveMemconfig: boolean;
}

/** ul_path_read_buffer(): the text with one trailing newline dropped, or null. */
export function readBuffer(t: SysfsTarget, path: string, bufsz: number): string | null {
  const raw = t.read(path);
  if (raw === null) return null;
  let s = raw.slice(0, bufsz - 1);
  if (s.endsWith("\n")) s = s.slice(0, -1);
  const nul = s.indexOf("\0");
  return nul >= 0 ? s.slice(0, nul) : s;
}

export function exists(t: SysfsTarget, path: string): boolean {
  if (t.exists) return t.exists(path);
  return t.read(path) !== null || t.list(path) !== null;
}

export function readS32(t: SysfsTarget, path: string): number | null {
  const raw = t.read(path);
  return raw === null ? null : cScanInt(raw);
}

export const BUFSIZ = 8192;

/** strncmp(a, b, n) == 0 */
export function strnEq(a: string, b: string, n: number): boolean {
  return a.slice(0, n) === b.slice(0, n);
}

export function idxToStr(d: Desc, idx: bigint): string {
  const start = U64(idx * d.blockSize);
  const end = U64(start + d.blockSize - 1n);
  return `Memory Block ${idx} (0x${start.toString(16).padStart(16, "0")}-0x${end.toString(16).padStart(16, "0")})`;
}

export function parseIndex(d: Desc, name: string): bigint {
  const r = ulStrtou64(name.slice(6), 10);
  if (!r.ok) {
    const msg = `Failed to parse index: '${name.slice(6)}'`;
    if (r.errno === "ERANGE") d.p.err(1, msg, r.errno);
    d.p.errx(1, msg);
  }
  return r.value;
}

export function memmapEnabled(d: Desc): boolean {
  return d.memmapOnMemory === 0 || d.memmapOnMemory === 1;
}

export function writeFailed(r: { ok: true } | { ok: false; errno: string }): string | null {
  return r.ok ? null : r.errno;
}

/** chmem_config(): 0 on success, -1 otherwise. */
export function config(d: Desc, name: string, configure: boolean): number {
  const { t, p } = d;
  const index = parseIndex(d, name);
  const str = idxToStr(d, index);
  const configured = readS32(t, `${PATH_SYS_MEMCONFIG}/${name}/config`);
  if (configured === null) return -1;
  const memmap = readS32(t, `${PATH_SYS_MEMCONFIG}/${name}/memmap_on_memory`);
  if (memmap === null) return -1;
  if (configured) {
    if (configure) {
      let rc = 0;
      if (memmapEnabled(d) && memmap !== d.memmapOnMemory) {
        if (!d.isSize || d.verbose) p.print(`${str} must be deconfigured before using -m option\n`);
        rc = -1;
      } else if (d.isSize) rc = -1;
      else if (d.verbose) p.print(`${str} already configured\n`);
      return rc;
    }
    const state = readBuffer(t, `${PATH_SYS_MEMORY}/${name}/state`, BUFSIZ);
    if (state !== null && state.length > 0 && strnEq("online", state, 6)) {
      if (!d.isSize || d.verbose) p.print(`${str} must be offline before deconfiguration\n`);
      return -1;
    }
  } else if (memmapEnabled(d)) {
    const e = writeFailed(t.write(`${PATH_SYS_MEMCONFIG}/${name}/memmap_on_memory`, `${d.memmapOnMemory}`));
    if (e) {
      p.warn(`${str} memmap-on-memory failed`, e);
      return -1;
    }
  } else if (!configure) {
    if (d.isSize) return -1;
    if (d.verbose) p.print(`${str} already deconfigured\n`);
    return 0;
  }
  const e = writeFailed(t.write(`${PATH_SYS_MEMCONFIG}/${name}/config`, configure ? "1" : "0"));
  if (e) {
    if (!d.isSize) p.warn(configure ? `${str} configure failed` : `${str} deconfigure failed`, e);
    else if (d.verbose) p.print(configure ? `${str} configure failed\n` : `${str} deconfigure failed\n`);
    return -1;
  }
  if (d.verbose) p.print(configure ? `${str} configured\n` : `${str} deconfigured\n`);
  return 0;
}

export function configured(d: Desc, name: string): boolean {
  const v = readS32(d.t, `${PATH_SYS_MEMCONFIG}/${name}/config`);
  return v !== null && v !== 0;
}

export function onoffSize(d: Desc, enable: boolean, zoneId: number): number {
  const { t, p } = d;
  let size = d.size;
  let onoff = enable ? "online" : "offline";
  if (enable && zoneId >= 0) onoff = zoneId === ZONE_MOVABLE ? "online_movable" : "online_kernel";
  const dirs = d.haveMemconfig ? d.memconfigDirs : d.dirs;
  let line = "";
  const readInto = (path: string): number => {
    const r = readBuffer(t, path, BUFSIZ);
    if (r === null) return -1;
    line = r;
    return r.length;
  };
  for (let i = enable ? 0 : dirs.length - 1; i >= 0 && i < dirs.length && size; i += enable ? 1 : -1) {
    const name = dirs[i];
    const index = parseIndex(d, name);
    if (enable && d.haveMemconfig && !configured(d, name)) {
      if (config(d, name, enable)) continue;
    } else if (readInto(`${PATH_SYS_MEMORY}/${name}/state`) > 0) {
      if (strnEq(onoff, line, 6)) continue;
    } else if (!enable) {
      continue;
    }
    if (d.haveZones) {
      readInto(`${PATH_SYS_MEMORY}/${name}/valid_zones`);
      if (zoneId >= 0) {
        const zn = ZONE_NAMES[zoneId];
        if (enable && !asciiLower(line).includes(asciiLower(zn))) continue;
        if (!enable && !asciiLower(line).startsWith(asciiLower(zn))) continue;
      } else if (enable) {
        onoff = asciiLower(line).includes("movable") ? "online_movable" : "online";
      }
    }
    const str = idxToStr(d, index);
    const e = writeFailed(t.write(`${PATH_SYS_MEMORY}/${name}/state`, onoff));
    let rc = e ? -1 : 0;
    if (e && d.verbose) p.print(enable ? `${str} enable failed\n` : `${str} disable failed\n`);
    else if (!e && d.verbose) p.print(enable ? `${str} enabled\n` : `${str} disabled\n`);
    if (!rc && !enable && d.haveMemconfig) {
      rc = config(d, name, enable);
      if (rc) continue;
    }
    if (rc === 0) size--;
  }
  if (size) {
    const bytes = U64((d.size - size) * d.blockSize);
    p.warnx(`Could only ${enable ? "enable" : "disable"} ${sizeToHumanString(bytes)} of memory`);
  }
  return size === 0n ? 0 : size === d.size ? -1 : 1;
}

export function onoffRange(d: Desc, enable: boolean, zoneId: number): number {
  const { t, p } = d;
  const total = d.end - d.start + 1n;
  let todo = total;
  let onoff = enable ? "online" : "offline";
  if (enable && zoneId >= 0) onoff = zoneId === ZONE_MOVABLE ? "online_movable" : "online_kernel";
  const dirs = d.haveMemconfig ? d.memconfigDirs : d.dirs;
  let line = "";
  const readInto = (path: string): number => {
    const r = readBuffer(t, path, BUFSIZ);
    if (r === null) return -1;
    line = r;
    return r.length;
  };
  for (const name of dirs) {
    const index = parseIndex(d, name);
    if (index < d.start) continue;
    if (index > d.end) break;
    if (enable && d.haveMemconfig && !configured(d, name)) {
      if (config(d, name, enable)) continue;
    }
    const str = idxToStr(d, index);
    if (readInto(`${PATH_SYS_MEMORY}/${name}/state`) > 0) {
      if (strnEq(onoff, line, 6)) {
        if (d.verbose) p.print(enable ? `${str} already enabled\n` : `${str} already disabled\n`);
        todo--;
        continue;
      }
    } else if (!enable) {
      if (d.verbose) p.print(`${str} already disabled\n`);
      todo--;
      continue;
    }
    if (d.haveZones) {
      readInto(`${PATH_SYS_MEMORY}/${name}/valid_zones`);
      if (zoneId >= 0) {
        const zn = ZONE_NAMES[zoneId];
        if (enable && !asciiLower(line).includes(asciiLower(zn))) {
          p.warnx(`${str} enable failed: Zone mismatch`);
          continue;
        }
        if (!enable && !asciiLower(line).startsWith(asciiLower(zn))) {
          p.warnx(`${str} disable failed: Zone mismatch`);
          continue;
        }
      } else if (enable) {
        onoff = asciiLower(line).includes("movable") ? "online_movable" : "online";
      }
    }
    const e = writeFailed(t.write(`${PATH_SYS_MEMORY}/${name}/state`, onoff));
    let rc = e ? -1 : 0;
    if (e) p.warn(enable ? `${str} enable failed` : `${str} disable failed`, e);
    else if (d.verbose) p.print(enable ? `${str} enabled\n` : `${str} disabled\n`);
    if (!rc && !enable && d.haveMemconfig) {
      rc = config(d, name, enable);
      if (rc) continue;
    }
    if (rc === 0) todo--;
  }
  return todo === 0n ? 0 : todo === total ? -1 : 1;
}

export function configSize(d: Desc, configure: boolean): number {
  const { p } = d;
  if (!d.haveMemconfig) {
    p.print(configure ? "Cannot configure. Use -e instead.\n" : "Cannot deconfigure. Use -d instead.\n");
    return -1;
  }
  let size = d.size;
  const dirs = d.memconfigDirs;
  for (let i = configure ? 0 : dirs.length - 1; i >= 0 && i < dirs.length && size; i += configure ? 1 : -1) {
    if (config(d, dirs[i], configure) === 0) size--;
  }
  if (size) {
    const bytes = U64((d.size - size) * d.blockSize);
    p.print(`Could only ${configure ? "configure" : "deconfigure"} ${sizeToHumanString(bytes)} of memory\n`);
  }
  return size === 0n ? 0 : size === d.size ? -1 : 1;
}

export function configRange(d: Desc, configure: boolean): number {
  const { p } = d;
  if (!d.haveMemconfig) {
    p.print(configure ? "Cannot configure. Use -e instead.\n" : "Cannot deconfigure. Use -d instead.\n");
    return -1;
  }
  const total = d.end - d.start + 1n;
  let todo = total;
  for (const name of d.memconfigDirs) {
    const index = parseIndex(d, name);
    if (index < d.start) continue;
    if (index > d.end) break;
    if (config(d, name, configure) === 0) todo--;
  }
  return todo === 0n ? 0 : todo === total ? -1 : 1;
}
