/**
 * Sysroots (a directory holding sys/devices/system/memory, as util-linux's
 * lsmem/chmem tests ship them, or a .tar/.tar.gz/.tar.bz2 of one) for lsmem
 * and chmem: read one into a MemorySysfsView, or drive chmem against one as
 * a SysfsTarget. Node only (node:fs, the system `tar`).
 */
import { quoteValue } from "./quote.js";
import { DumpFileReader, fileKind } from "./sysfs-file.js";
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

/** A strictly parsed decimal index (from memoryN / nodeN); `file` names it in the message. */
function parseIndex(digits: string, file: string | (() => string), field: string): number {
  if (digits.length < 16) return Number(digits);
  const v = BigInt(digits);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(`index ${digits} is too large`, { file: typeof file === "string" ? file : file(), field });
  }
  return Number(v);
}

/**
 * Which block attributes a reader of the view uses; the others are left out
 * of the view (lsmem reads only what its columns and --split need).
 * `state` is always read.
 */
export interface SysrootNeeds {
  removable: boolean;
  nodes: boolean;
  zones: boolean;
  physDevice: boolean;
}

export const ALL_ATTRIBUTES: SysrootNeeds = { removable: true, nodes: true, zones: true, physDevice: true };

const MEMORY_NAME = /^memory([0-9]+)$/;
const NODE_NAME = /^node([0-9]+)$/;

/**
 * Read a sysroot directory (which holds sys/devices/system/memory) into the
 * view lsmem works on: the block attributes `needs` asks for (default all).
 * Malformed dumps are InputErrors naming the file; special files (FIFOs,
 * devices) and attributes over one page too (see sysfs-file.ts).
 */
export function readSysrootDir(root: string, needs: SysrootNeeds = ALL_ATTRIBUTES): MemorySysfsView {
  const top = new DumpFileReader(root);
  if (!top.isDir(MEMORY_DIR)) throw new InputError(`not a sysroot: ${MEMORY_DIR} is missing`, { file: root });
  const memDir = path.join(root, MEMORY_DIR);
  const mem = new DumpFileReader(memDir);

  const bsFile = path.join(memDir, "block_size_bytes");
  const bsText = mem.read("block_size_bytes");
  if (bsText === undefined) throw new InputError(`missing block_size_bytes`, { file: bsFile, field: "block_size_bytes" });
  const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s*$/.exec(bsText);
  if (!m) throw new InputError(`not a hexadecimal number: ${quoteValue(bsText)}`, { file: bsFile, field: "block_size_bytes" });
  const bs = BigInt("0x" + m[1]);
  if (bs === 0n || bs > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(`block size 0x${m[1]} is out of range`, { file: bsFile, field: "block_size_bytes" });
  }

  const blocks = mem.withDirectory(() => readBlocks(mem, needs));
  if (blocks.length === 0) throw new InputError(`no memoryN block directories`, { file: memDir });
  const view: MemorySysfsView = { blockSizeBytes: Number(bs), blocks };

  if (top.isDir(FIRMWARE_DIR)) {
    const fw: FirmwareMemoryBlockView[] = [];
    for (const name of top.list(FIRMWARE_DIR) ?? []) {
      const mm = MEMORY_NAME.exec(name);
      if (!mm) continue;
      const rel = `${FIRMWARE_DIR}/${name}`;
      const f: FirmwareMemoryBlockView = { index: parseIndex(mm[1], path.join(root, rel), "index") };
      const config = top.read(`${rel}/config`, { directoryIsAbsent: true });
      if (config !== undefined) f.config = config;
      const mom = top.read(`${rel}/memmap_on_memory`, { directoryIsAbsent: true });
      if (mom !== undefined) f.memmapOnMemory = mom;
      fw.push(f);
    }
    fw.sort((a, b) => a.index - b.index);
    view.firmwareBlocks = fw;
  }
  const param = top.read(MEMMAP_PARAM, { directoryIsAbsent: true });
  if (param !== undefined) view.memmapOnMemoryParam = param;
  return view;
}

/** The memoryN directories of the memory directory `mem` (the working directory while this runs). */
function readBlocks(mem: DumpFileReader, needs: SysrootNeeds): MemoryBlockView[] {
  const blocks: MemoryBlockView[] = [];
  const seen = new Map<number, string>();
  const opt = { directoryIsAbsent: true };
  for (const name of mem.list(".") ?? []) {
    const mm = MEMORY_NAME.exec(name);
    if (!mm) continue;
    const index = parseIndex(mm[1], () => mem.label(name), "index");
    const prev = seen.get(index);
    if (prev !== undefined) throw new InputError(`block ${index} appears twice (${prev} and ${name})`, { file: mem.label(name) });
    seen.set(index, name);
    let state = mem.read(`${name}/state`, opt);
    if (state === undefined) {
      // Every block has a state; without one, make sure this is a block directory at all.
      if (!mem.isDir(name)) throw new InputError(`${name} is not a directory`, { file: mem.label(name) });
      state = "";
    }
    const nodes: number[] = [];
    if (needs.nodes) {
      for (const e of mem.list(name) ?? []) {
        const nm = NODE_NAME.exec(e);
        if (nm) nodes.push(parseIndex(nm[1], () => mem.label(`${name}/${e}`), "node"));
      }
    }
    const blk: MemoryBlockView = { index, state, nodes };
    if (needs.removable) {
      const removable = mem.read(`${name}/removable`, opt);
      if (removable !== undefined) blk.removable = removable;
    }
    if (needs.physDevice) {
      const physDevice = mem.read(`${name}/phys_device`, opt);
      if (physDevice !== undefined) blk.physDevice = physDevice;
    }
    if (needs.zones) {
      const validZones = mem.read(`${name}/valid_zones`, opt);
      if (validZones !== undefined) blk.validZones = validZones;
    }
    blocks.push(blk);
  }
  blocks.sort((a, b) => a.index - b.index);
  return blocks;
}

/** Read a sysroot directory or archive into a MemorySysfsView. */
export function readSysroot(src: string, needs: SysrootNeeds = ALL_ATTRIBUTES): MemorySysfsView {
  const s = openSysroot(src);
  try {
    return readSysrootDir(s.root, needs);
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
  return lsmem((needs) => readSysroot(root, needs), args, options);
}

/**
 * A SysfsTarget over a real directory tree: `/sys/…` paths are taken
 * relative to `root`. Writes behave as chmem's on a sysroot: the file must
 * exist, it is opened O_WRONLY (no O_CREAT, no O_TRUNC) and the value is
 * written at offset 0, so writing "online" over "offline\n" leaves
 * "onlinee\n". Failures report the errno name of the failed system call.
 */
export function directorySysfsTarget(root: string, reader = new DumpFileReader(root, (rel) => path.join(root, rel))): SysfsTarget {
  const rel = (p: string) => p.replace(/^\/+/, "");
  return {
    read(p) {
      return reader.read(rel(p), { directoryIsAbsent: true }) ?? null;
    },
    list(dir) {
      try {
        return fs.readdirSync(reader.resolve(rel(dir)));
      } catch {
        return null;
      }
    },
    exists(p) {
      try {
        fs.accessSync(reader.resolve(rel(p)), fs.constants.F_OK);
        return true;
      } catch {
        return false;
      }
    },
    write(p, value) {
      const file = reader.resolve(rel(p));
      let fd: number | undefined;
      try {
        // Never blocks (a FIFO without a reader is ENXIO) and never writes through a final symlink.
        fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW | fs.constants.O_NOCTTY);
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new InputError(`${fileKind(st)}, not a regular file: a sysfs file is expected here`, { file });
        fs.writeSync(fd, value, 0, "utf8");
        return { ok: true };
      } catch (e) {
        if (e instanceof InputError) throw e;
        const code = (e as NodeJS.ErrnoException).code ?? "EIO";
        if (code === "ELOOP" || code === "ENXIO") throw new InputError(`${code === "ELOOP" ? "a symbolic link" : "a FIFO or device"}, not a regular file: chmem does not write through it`, { file });
        return { ok: false, errno: code };
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
  // Relative paths while chmem runs: shorter path walks for its many reads.
  const reader = new DumpFileReader(root, (rel) => path.join(root, rel));
  return reader.withDirectory(() => chmem(directorySysfsTarget(root, reader), args));
}
