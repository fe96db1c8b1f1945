/**
 * Sysroots (a directory holding sys/devices/system/memory, as util-linux's
 * lsmem/chmem tests ship them, or a .tar/.tar.gz/.tar.bz2 of one) for lsmem
 * and chmem: read one into a MemorySysfsView, or drive chmem against one as
 * a SysfsTarget. Node only (node:fs, the system `tar`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { InputError } from "../errors.js";
import {
  lsmem,
  lsmemSysrootArg,
  type FirmwareMemoryBlockView,
  type LsmemOptions,
  type MemoryBlockView,
  type MemorySysfsView,
  type ToolResult,
} from "./lsmem.js";
import { chmem, chmemSysrootArg, type SysfsTarget } from "./chmem.js";

const MEMORY_DIR = "sys/devices/system/memory";
const FIRMWARE_DIR = "sys/firmware/memory";
const MEMMAP_PARAM = "sys/module/memory_hotplug/parameters/memmap_on_memory";

const ARCHIVE_FLAGS: [RegExp, string[]][] = [
  [/\.(tar\.bz2|tbz2|tbz)$/i, ["-j"]],
  [/\.(tar\.gz|tgz)$/i, ["-z"]],
  [/\.(tar\.xz|txz)$/i, ["-J"]],
  [/\.tar$/i, []],
];

export function isSysrootArchive(p: string): boolean {
  return ARCHIVE_FLAGS.some(([re]) => re.test(p));
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface OpenedSysroot {
  /** the directory to use as sysroot (holds sys/devices/system/memory) */
  root: string;
  /** removes the temporary extraction (no-op for a directory) */
  cleanup(): void;
}

/**
 * A sysroot directory as is, or an archive extracted into a temporary
 * directory (`tar --no-same-owner -x`). In an archive the sysroot may be the
 * top level or its only directory (util-linux dumps are `NAME/sys/…`).
 */
export function openSysroot(src: string): OpenedSysroot {
  if (!isSysrootArchive(src)) {
    if (!fs.existsSync(src)) throw new InputError(`no such sysroot`, { file: src });
    if (!isDir(src)) throw new InputError(`not a directory or a .tar/.tar.gz/.tar.bz2 archive`, { file: src });
    return { root: src, cleanup: () => {} };
  }
  if (!fs.existsSync(src)) throw new InputError(`no such archive`, { file: src });
  const flags = ARCHIVE_FLAGS.find(([re]) => re.test(src))![1];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "memhp-sysroot-"));
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync("tar", ["--no-same-owner", "-x", ...flags, "-f", path.resolve(src), "-C", tmp], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (e) {
    cleanup();
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new InputError(`cannot extract archive${stderr ? `: ${stderr}` : ""}`, { file: src });
  }
  let root = tmp;
  if (!isDir(path.join(tmp, MEMORY_DIR))) {
    const top = fs.readdirSync(tmp).filter((n) => isDir(path.join(tmp, n)));
    if (top.length === 1 && isDir(path.join(tmp, top[0], MEMORY_DIR))) root = path.join(tmp, top[0]);
    else {
      cleanup();
      throw new InputError(`archive holds no ${MEMORY_DIR} (at its top or in its only directory)`, { file: src });
    }
  }
  return { root, cleanup };
}

function readOptional(p: string): string | undefined {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
}

/** A strictly parsed decimal index (from memoryN / nodeN). */
function parseIndex(digits: string, file: string, field: string): number {
  const v = BigInt(digits);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`index ${digits} is too large`, { file, field });
  return Number(v);
}

/**
 * Read a sysroot directory (which holds sys/devices/system/memory) into the
 * view lsmem works on. Malformed dumps are InputErrors naming the file.
 */
export function readSysrootDir(root: string): MemorySysfsView {
  const memDir = path.join(root, MEMORY_DIR);
  if (!isDir(memDir)) throw new InputError(`not a sysroot: ${MEMORY_DIR} is missing`, { file: root });

  const bsFile = path.join(memDir, "block_size_bytes");
  const bsText = readOptional(bsFile);
  if (bsText === undefined) throw new InputError(`missing block_size_bytes`, { file: bsFile, field: "block_size_bytes" });
  const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s*$/.exec(bsText);
  if (!m) throw new InputError(`not a hexadecimal number: ${JSON.stringify(bsText)}`, { file: bsFile, field: "block_size_bytes" });
  const bs = BigInt("0x" + m[1]);
  if (bs === 0n || bs > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(`block size 0x${m[1]} is out of range`, { file: bsFile, field: "block_size_bytes" });
  }

  const blocks: MemoryBlockView[] = [];
  const seen = new Map<number, string>();
  for (const name of fs.readdirSync(memDir)) {
    const mm = /^memory([0-9]+)$/.exec(name);
    if (!mm) continue;
    const dir = path.join(memDir, name);
    if (!isDir(dir)) throw new InputError(`${name} is not a directory`, { file: dir });
    const index = parseIndex(mm[1], dir, "index");
    if (seen.has(index)) throw new InputError(`block ${index} appears twice (${seen.get(index)} and ${name})`, { file: dir });
    seen.set(index, name);
    const nodes: number[] = [];
    for (const e of fs.readdirSync(dir)) {
      const nm = /^node([0-9]+)$/.exec(e);
      if (nm) nodes.push(parseIndex(nm[1], path.join(dir, e), "node"));
    }
    const blk: MemoryBlockView = { index, state: readOptional(path.join(dir, "state")) ?? "", nodes };
    const removable = readOptional(path.join(dir, "removable"));
    if (removable !== undefined) blk.removable = removable;
    const physDevice = readOptional(path.join(dir, "phys_device"));
    if (physDevice !== undefined) blk.physDevice = physDevice;
    const validZones = readOptional(path.join(dir, "valid_zones"));
    if (validZones !== undefined) blk.validZones = validZones;
    blocks.push(blk);
  }
  if (blocks.length === 0) throw new InputError(`no memoryN block directories`, { file: memDir });
  blocks.sort((a, b) => a.index - b.index);
  const view: MemorySysfsView = { blockSizeBytes: Number(bs), blocks };

  const fwDir = path.join(root, FIRMWARE_DIR);
  if (isDir(fwDir)) {
    const fw: FirmwareMemoryBlockView[] = [];
    for (const name of fs.readdirSync(fwDir)) {
      const mm = /^memory([0-9]+)$/.exec(name);
      if (!mm) continue;
      const dir = path.join(fwDir, name);
      const f: FirmwareMemoryBlockView = { index: parseIndex(mm[1], dir, "index") };
      const config = readOptional(path.join(dir, "config"));
      if (config !== undefined) f.config = config;
      const mom = readOptional(path.join(dir, "memmap_on_memory"));
      if (mom !== undefined) f.memmapOnMemory = mom;
      fw.push(f);
    }
    fw.sort((a, b) => a.index - b.index);
    view.firmwareBlocks = fw;
  }
  const param = readOptional(path.join(root, MEMMAP_PARAM));
  if (param !== undefined) view.memmapOnMemoryParam = param;
  return view;
}

/** Read a sysroot directory or archive into a MemorySysfsView. */
export function readSysroot(src: string): MemorySysfsView {
  const s = openSysroot(src);
  try {
    return readSysrootDir(s.root);
  } finally {
    s.cleanup();
  }
}

/**
 * `lsmem ARGS` on a sysroot: the one named by --sysroot in ARGS, else
 * `defaultSysroot`, else "/" (the running system). Directories and archives
 * both work. Unreadable or malformed sysroots throw InputError (util-linux
 * would print "cannot open …" or misbehave).
 */
export function lsmemOnSysroot(args: readonly string[], options: LsmemOptions & { defaultSysroot?: string } = {}): ToolResult {
  const root = lsmemSysrootArg(args) ?? options.defaultSysroot ?? "/";
  return lsmem(() => readSysroot(root), args, options);
}

/**
 * A SysfsTarget over a real directory tree: `/sys/…` paths are taken
 * relative to `root`. Writes behave as chmem's on a sysroot: the file must
 * exist, it is opened O_WRONLY (no O_CREAT, no O_TRUNC) and the value is
 * written at offset 0, so writing "online" over "offline\n" leaves
 * "onlinee\n". Failures report the errno name of the failed system call.
 */
export function directorySysfsTarget(root: string): SysfsTarget {
  const resolve = (p: string) => path.join(root, p);
  return {
    read(p) {
      try {
        return fs.readFileSync(resolve(p), "utf8");
      } catch {
        return null;
      }
    },
    list(dir) {
      try {
        return fs.readdirSync(resolve(dir));
      } catch {
        return null;
      }
    },
    exists(p) {
      try {
        fs.accessSync(resolve(p), fs.constants.F_OK);
        return true;
      } catch {
        return false;
      }
    },
    write(p, value) {
      let fd: number | undefined;
      try {
        fd = fs.openSync(resolve(p), fs.constants.O_WRONLY);
        fs.writeSync(fd, value, 0, "utf8");
        return { ok: true };
      } catch (e) {
        return { ok: false, errno: (e as NodeJS.ErrnoException).code ?? "EIO" };
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    },
  };
}

/**
 * `chmem ARGS` on a sysroot directory: the one named by -s/--sysroot in
 * ARGS, else `defaultSysroot`, else "/" (the running system: real writes).
 */
export function chmemOnSysroot(args: readonly string[], options: { defaultSysroot?: string } = {}): ToolResult {
  const root = chmemSysrootArg(args) ?? options.defaultSysroot ?? "/";
  return chmem(directorySysfsTarget(root), args);
}
