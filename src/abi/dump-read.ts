/**
 * Reading a machine dump from disk: a sysroot directory, a tarball of one, or
 * the running machine (`/`), into a MachineDump (src/abi/dump.ts). Only the
 * files memory hotplug needs are read. Node only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { ArchName } from "../kernel/arch.js";
import { InputError } from "../errors.js";
import type { DumpBlock, DumpFile, MachineDump } from "./dump.js";
import { DumpFileReader, PROC_FILE_MAX, SYSFS_ATTR_MAX } from "./sysfs-file.js";
import { isSysrootArchive, openSysroot } from "./sysroot.js";

const MEM = "sys/devices/system/memory";
const NODE = "sys/devices/system/node";
const FWMM = "sys/firmware/memmap";
const PARAMS = "sys/module/memory_hotplug/parameters";
/** Files of sys/devices/system/memory that the model has (others are kept verbatim). */
const KNOWN_MEMORY_FILES = ["block_size_bytes", "auto_online_blocks", "uevent", "probe", "soft_offline_page", "hard_offline_page"];
const BLOCK_FILES = ["phys_index", "state", "online", "phys_device", "removable", "valid_zones"];

/** A dump file whose location is spelled out only when a message needs it. */
class LabelledFile implements DumpFile {
  constructor(
    readonly text: string,
    private readonly rel: string,
    private readonly label: (rel: string) => string,
  ) {}
  get file(): string {
    return this.label(this.rel);
  }
}

export interface ReadDumpOptions {
  /** /proc/iomem from elsewhere (e.g. captured as root). */
  iomemFile?: string;
  /** Reading the running machine: an unprivileged /proc/iomem (all zeros) is dropped with a note. */
  live?: boolean;
  /** Notes for the user (things skipped). */
  notes?: string[];
}

/** Read a dump rooted at `root` (a directory holding sys/…); `label` names it in messages. */
export function readDumpDir(root: string, label: (rel: string) => string, opts: ReadDumpOptions = {}): MachineDump {
  const r = new DumpFileReader(root, label);
  // Resolved before the reads change the working directory.
  const iomemFile = opts.iomemFile === undefined ? undefined : path.resolve(opts.iomemFile);
  return r.withDirectory(() => readDumpFiles(r, label, root, opts, iomemFile));
}

function readDumpFiles(r: DumpFileReader, label: (rel: string) => string, root: string, opts: ReadDumpOptions, iomemFile: string | undefined): MachineDump {
  const file = (rel: string, cap = SYSFS_ATTR_MAX): DumpFile | undefined => {
    const text = r.read(rel, { cap });
    return text === undefined ? undefined : new LabelledFile(text, rel, label);
  };
  const procFile = (rel: string) => file(rel, PROC_FILE_MAX);
  const listDir = (rel: string): string[] => {
    const l = r.list(rel);
    if (l === undefined) throw new InputError("cannot list: ENOENT", { file: label(rel) });
    return l;
  };
  const isDir = (rel: string) => r.isDir(rel);
  if (!isDir(MEM)) throw new InputError(`not a sysroot: ${MEM} is missing`, { file: label("") || root });
  const d: MachineDump = { source: label("") || root, blocks: [] };
  d.blockSizeBytes = file(`${MEM}/block_size_bytes`);
  d.autoOnlineBlocks = file(`${MEM}/auto_online_blocks`);
  for (const name of listDir(MEM)) {
    if (!/^memory\d+$/.test(name)) {
      if (!KNOWN_MEMORY_FILES.includes(name) && !isDir(`${MEM}/${name}`)) {
        const f = file(`${MEM}/${name}`);
        if (f) (d.extraMemoryFiles ??= {})[name] = f;
      }
      continue;
    }
    const rel = `${MEM}/${name}`;
    // One listing per block: its node links, which attributes exist, and whether it is a directory at all.
    let entries: string[];
    try {
      entries = listDir(rel);
    } catch (e) {
      if (!isDir(rel)) throw new InputError(`${name} is not a directory`, { file: label(rel) });
      throw e;
    }
    const b: DumpBlock = { name, get dir() { return label(rel); }, attrs: {}, nodes: [] };
    for (const f of BLOCK_FILES) {
      if (!entries.includes(f)) continue;
      const v = file(`${rel}/${f}`);
      if (v) b.attrs[f] = v;
    }
    for (const e of entries) {
      const m = /^node(\d+)$/.exec(e);
      if (m) b.nodes.push(Number(m[1]));
    }
    if (entries.includes("firmware_node")) {
      try {
        const t = fs.readlinkSync(r.resolve(`${rel}/firmware_node`));
        b.firmwareNode = path.posix.normalize(path.posix.join("/devices/system/memory", name, t));
      } catch {
        // not a symlink: no ACPI binding
      }
    }
    d.blocks.push(b);
  }
  if (isDir(NODE)) {
    d.nodeMasks = {};
    for (const m of ["possible", "online", "has_normal_memory", "has_memory", "has_cpu", "has_generic_initiator"]) {
      const f = file(`${NODE}/${m}`);
      if (f) d.nodeMasks[m] = f;
    }
    d.nodes = [];
    for (const name of listDir(NODE)) {
      const m = /^node(\d+)$/.exec(name);
      if (!m) continue;
      const entries = listDir(`${NODE}/${name}`);
      d.nodes.push({
        nid: Number(m[1]),
        memory: entries.filter((e) => /^memory\d+$/.test(e)).map((e) => Number(e.slice(6))),
        meminfo: procFile(`${NODE}/${name}/meminfo`),
        hasCpus: entries.some((e) => /^cpu\d+$/.test(e)) || /\d/.test(file(`${NODE}/${name}/cpulist`)?.text ?? ""),
      });
    }
  }
  if (isDir(FWMM)) {
    d.memmap = listDir(FWMM)
      .filter((n) => /^\d+$/.test(n))
      .map((n) => ({
        dir: label(`${FWMM}/${n}`),
        start: file(`${FWMM}/${n}/start`),
        end: file(`${FWMM}/${n}/end`),
        type: file(`${FWMM}/${n}/type`),
      }));
  }
  if (isDir(PARAMS)) {
    d.params = {};
    for (const n of ["auto_movable_numa_aware", "auto_movable_ratio", "memmap_on_memory", "online_policy"]) {
      const f = file(`${PARAMS}/${n}`);
      if (f) d.params[n] = f;
    }
  }
  if (iomemFile !== undefined) {
    const one = new DumpFileReader(path.dirname(iomemFile), () => opts.iomemFile!);
    const text = one.read(path.basename(iomemFile), { cap: PROC_FILE_MAX });
    if (text === undefined) throw new InputError("cannot read: no such file or not readable", { file: opts.iomemFile });
    d.iomem = { text, file: opts.iomemFile! };
  } else d.iomem = procFile("proc/iomem");
  // The kernel release (what uname -r prints), to pick the kernel profile.
  d.osrelease = file("proc/sys/kernel/osrelease");
  if (opts.live && d.iomem && /^\s*0+-0+ :/m.test(d.iomem.text) && !/^\s*0*[1-9a-f][0-9a-f]*-/m.test(d.iomem.text)) {
    opts.notes?.push("/proc/iomem shows only zeros (not read as root): ignored; run as root or pass --iomem FILE");
    d.iomem = undefined;
  }
  d.zoneinfo = procFile("proc/zoneinfo");
  d.meminfo = procFile("proc/meminfo");
  return d;
}

/** Read a dump from a directory or a tarball (.tar, .tar.gz, .tar.bz2, .tar.xz), or the running machine (`live`). */
export function readDump(src: string | { live: true }, opts: ReadDumpOptions = {}): MachineDump {
  if (typeof src !== "string") return readDumpDir("/", (rel) => `/${rel}`, { ...opts, live: true });
  if (!fs.existsSync(src)) throw new InputError("no such file or directory", { file: src });
  if (!isDirectory(src) && !isSysrootArchive(src)) throw new InputError("not a directory or a .tar/.tar.gz/.tar.bz2/.tar.xz archive of one", { file: src });
  const s = openSysroot(src);
  try {
    if (s.root === src) return readDumpDir(src, (rel) => (rel ? path.join(src, rel) : src), opts);
    // The archive's own top directory (util-linux dumps are NAME/sys/…), for messages.
    const base = path.basename(s.root);
    const top = base.startsWith("memhp-sysroot-") ? "" : base;
    return readDumpDir(s.root, (rel) => `${src}:${[top, rel].filter(Boolean).join("/")}`, opts);
  } finally {
    s.cleanup();
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The running machine's architecture: Node's process.arch, and on arm64 the
 * page size (getconf PAGESIZE: 4K, 16K or 64K kernels); undefined when it is
 * neither x86_64 nor arm64 (the dump's own hints decide then).
 */
export function liveArch(): ArchName | undefined {
  if (process.arch === "x64") return "x86_64";
  if (process.arch !== "arm64") return undefined;
  let ps = 4096;
  try {
    ps = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim()) || 4096;
  } catch {
    // no getconf: 4K, the common arm64 kernel
  }
  return ps === 65536 ? "arm64-64k" : ps === 16384 ? "arm64-16k" : "arm64-4k";
}
