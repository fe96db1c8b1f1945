/**
 * util-linux chmem(8), byte for byte, against an abstract sysfs. Pure: no
 * node:* imports (directorySysfsTarget() in sysroot.ts puts it on a real
 * directory).
 *
 * Reference: util-linux sys-utils/chmem.c at commit 39465c78 (2.43-devel),
 * with its quirks kept:
 *  - its exclusive-option table is not in ASCII order, so -c/--configure
 *    conflicts with nothing;
 *  - read_conf() runs before have_memconfig is known, so on a system with
 *    /sys/firmware/memory (s390) the list of configurable blocks stays empty
 *    and -e/-d/-c/-g do nothing there (exit 1, or "Could only … 0B");
 *  - a SIZE ending in a digit is in MiB ("0x10" is 16 MiB, "0xa" 10 bytes);
 *  - the buffer holding `state` is reused for `valid_zones`, so a block
 *    without valid_zones is matched against its state text.
 */
import {
  NO_ARG,
  REQUIRED_ARG,
  Proc,
  asciiLower,
  cIsDigit,
  cScanInt,
  cStrtoimax,
  cStrtoumax,
  errExclusiveOptions,
  getoptLong,
  sizeToHumanString,
  UTIL_LINUX_PACKAGE_STRING,
  usageHelpOptions,
  type LongOption,
  type ToolResult,
} from "./lsmem.js";
import { isAligned } from "../kernel/units.js";

/**
 * The sysfs chmem works on. Paths are absolute (`/sys/devices/system/memory/memory32/state`).
 * read: the file's contents, null if it cannot be read; list: a directory's
 * entry names, null if it is not a readable directory; write: the errno name
 * of a failed write ("EINVAL", "EBUSY", …). exists (optional) answers
 * access(F_OK) for files that exist but cannot be read; without it a path
 * exists when read or list succeeds.
 */
export interface SysfsTarget {
  read(path: string): string | null;
  list(dir: string): string[] | null;
  write(path: string, value: string): { ok: true } | { ok: false; errno: string };
  exists?(path: string): boolean;
}

const PATH_SYS_MEMORY = "/sys/devices/system/memory";
const PATH_SYS_MEMCONFIG = "/sys/firmware/memory";

const ZONE_NAMES = ["DMA", "DMA32", "Normal", "Highmem", "Movable", "Device"];
const ZONE_MOVABLE = 4;

const U64 = (x: bigint) => BigInt.asUintN(64, x);
const MiB = 1024n * 1024n;

const ch = (s: string) => s.charCodeAt(0);

const CHMEM_LONGOPTS: LongOption[] = [
  { name: "blocks", hasArg: NO_ARG, val: ch("b") },
  { name: "disable", hasArg: NO_ARG, val: ch("d") },
  { name: "enable", hasArg: NO_ARG, val: ch("e") },
  { name: "help", hasArg: NO_ARG, val: ch("h") },
  { name: "verbose", hasArg: NO_ARG, val: ch("v") },
  { name: "version", hasArg: NO_ARG, val: ch("V") },
  { name: "zone", hasArg: REQUIRED_ARG, val: ch("z") },
  { name: "configure", hasArg: NO_ARG, val: ch("c") },
  { name: "deconfigure", hasArg: NO_ARG, val: ch("g") },
  { name: "memmap-on-memory", hasArg: REQUIRED_ARG, val: ch("m") },
  { name: "sysroot", hasArg: REQUIRED_ARG, val: ch("s") },
];
const CHMEM_OPTSTRING = "bcdeghm:s:vVz:";

enum Cmd {
  Enable,
  Disable,
  Configure,
  Deconfigure,
  None,
}

function chmemUsage(): string {
  let o = "\nUsage:\n chmem [options] [SIZE|RANGE|BLOCKRANGE]\n\n";
  o += "Set a particular size or range of memory online or offline.\n";
  o += "\nOptions:\n";
  o += " -e, --enable             enable memory\n";
  o += " -d, --disable            disable memory\n";
  o += " -b, --blocks             use memory blocks\n";
  o += " -z, --zone <name>        select memory zone (see below)\n";
  o += " -c, --configure          configure range\n";
  o += " -g, --deconfigure        deconfigure range\n";
  o += " -m, --memmap-on-memory   select memmap-on-memory\n";
  o += " -s, --sysroot <dir>      use the specified directory as system root\n";
  o += " -v, --verbose            verbose output\n";
  o += usageHelpOptions(26);
  o += "\nSupported zones:\n";
  for (const z of ZONE_NAMES) o += ` ${z}\n`;
  o += "\nFor more details see chmem(8).\n";
  return o;
}

/** The -s/--sysroot value chmem would use (the last one), or undefined. */
export function chmemSysrootArg(args: readonly string[]): string | undefined {
  let root: string | undefined;
  for (const it of getoptLong("chmem", args, CHMEM_OPTSTRING, CHMEM_LONGOPTS).items) {
    if (!it.ok) break;
    if (it.c === ch("s")) root = it.arg;
  }
  return root;
}

/** glibc strverscmp(), which versionsort() uses to order scandir() results. */
export function strverscmp(s1: string, s2: string): number {
  const S_N = 0,
    S_I = 3,
    S_F = 6,
    S_Z = 9,
    CMP = 2,
    LEN = 3;
  const next = [S_N, S_I, S_Z, S_N, S_I, S_I, S_N, S_F, S_F, S_N, S_F, S_Z];
  const result = [
    CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
    CMP, -1, -1, +1, LEN, LEN, +1, LEN, LEN,
    CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
    CMP, +1, +1, -1, CMP, CMP, -1, CMP, CMP,
  ];
  const at = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : 0);
  const cls = (c: number) => (c === 48 ? 1 : 0) + (c >= 48 && c <= 57 ? 1 : 0);
  const isdig = (c: number) => c >= 48 && c <= 57;
  if (s1 === s2) return 0;
  let i1 = 0,
    i2 = 0;
  let c1 = at(s1, i1++);
  let c2 = at(s2, i2++);
  let state = S_N + cls(c1);
  let diff: number;
  while ((diff = c1 - c2) === 0) {
    if (c1 === 0) return diff;
    state = next[state];
    c1 = at(s1, i1++);
    c2 = at(s2, i2++);
    state += cls(c1);
  }
  state = result[state * 3 + cls(c2)];
  switch (state) {
    case CMP:
      return diff;
    case LEN:
      while (isdig(at(s1, i1++))) if (!isdig(at(s2, i2++))) return 1;
      return isdig(at(s2, i2)) ? -1 : diff;
    default:
      return state;
  }
}

type Parsed = { ok: true; value: bigint } | { ok: false; errno: string };

/** ul_strtou64(): strtoimax() rejects negatives, strtoumax() converts; trailing junk is EINVAL. */
function ulStrtou64(s: string, base: number): Parsed {
  if (!s) return { ok: false, errno: "EINVAL" };
  if (cStrtoimax(s, base).value < 0n) return { ok: false, errno: "ERANGE" };
  const u = cStrtoumax(s, base);
  if (u.erange) return { ok: false, errno: "ERANGE" };
  if (u.end === 0 || u.end < s.length) return { ok: false, errno: "EINVAL" };
  return { ok: true, value: u.value };
}

/** ul_parse_size() (strtosize()) in the C locale. */
export function ulParseSize(str: string): Parsed {
  const U64_MAX = (2n ** 64n) - 1n;
  const fail = (errno: string): Parsed => ({ ok: false, errno });
  if (!str) return fail("EINVAL");
  let p = 0;
  while (str[p] === " " || (str[p] >= "\t" && str[p] <= "\r")) p++;
  if (str[p] === "-") return fail("EINVAL");
  const r = cStrtoumax(str, 0);
  if (r.end === 0 || (r.erange && (r.value === U64_MAX || r.value === 0n))) return fail(r.erange ? "ERANGE" : "EINVAL");
  let x = r.value;
  if (r.end >= str.length) return { ok: true, value: x };
  p = r.end;
  let base = 1024n;
  let frac = 0n;
  let fracZeros = 0;
  const at = (i: number) => (i < str.length ? str[i] : "");
  for (;;) {
    if (at(p + 1) === "i" && (at(p + 2) === "B" || at(p + 2) === "b") && at(p + 3) === "") base = 1024n;
    else if ((at(p + 1) === "B" || at(p + 1) === "b") && at(p + 2) === "") base = 1000n;
    else if (at(p + 1) !== "") {
      if (frac === 0n && at(p) === ".") {
        let f = p + 1;
        while (at(f) === "0") {
          fracZeros++;
          f++;
        }
        let end: number;
        if (cIsDigit(at(f))) {
          const fr = cStrtoumax(str.slice(f), 0);
          if (fr.end === 0 || (fr.erange && (fr.value === U64_MAX || fr.value === 0n))) return fail(fr.erange ? "ERANGE" : "EINVAL");
          frac = fr.value;
          end = f + fr.end;
        } else end = f;
        if (end >= str.length) return fail("EINVAL");
        p = end;
        continue;
      }
      return fail("EINVAL");
    }
    break;
  }
  let pwr = "KMGTPEZY".indexOf(at(p)) + 1;
  if (pwr === 0 || at(p) === "") pwr = "kmgtpezy".indexOf(at(p)) + 1;
  if (pwr === 0 || at(p) === "") return fail("EINVAL");
  for (let i = 0; i < pwr; i++) {
    if (U64_MAX / base < x) return fail("ERANGE");
    x *= base;
  }
  if (frac && pwr) {
    let fracDiv = 10n,
      fracPoz = 1n,
      fracBase = 1n;
    for (let i = 0; i < pwr; i++) if (U64_MAX / base >= fracBase) fracBase *= base;
    while (fracDiv < frac) {
      if (fracDiv <= U64_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    for (let i = 0; i < fracZeros; i++) {
      if (fracDiv <= U64_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    do {
      const seg = frac % 10n;
      const segDiv = fracDiv / fracPoz;
      frac /= 10n;
      fracPoz *= 10n;
      if (seg && segDiv / seg) x = U64(x + fracBase / (segDiv / seg));
    } while (frac);
  }
  return { ok: true, value: x };
}

/** Alignment of a 64-bit value: units.ts isAligned() while it is exact, BigInt beyond 2^53. */
function aligned(x: bigint, a: bigint): boolean {
  if (x <= BigInt(Number.MAX_SAFE_INTEGER) && a <= BigInt(Number.MAX_SAFE_INTEGER)) return isAligned(Number(x), Number(a));
  return x % a === 0n;
}

interface Desc {
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
function readBuffer(t: SysfsTarget, path: string, bufsz: number): string | null {
  const raw = t.read(path);
  if (raw === null) return null;
  let s = raw.slice(0, bufsz - 1);
  if (s.endsWith("\n")) s = s.slice(0, -1);
  const nul = s.indexOf("\0");
  return nul >= 0 ? s.slice(0, nul) : s;
}

function exists(t: SysfsTarget, path: string): boolean {
  if (t.exists) return t.exists(path);
  return t.read(path) !== null || t.list(path) !== null;
}

function readS32(t: SysfsTarget, path: string): number | null {
  const raw = t.read(path);
  return raw === null ? null : cScanInt(raw);
}

const BUFSIZ = 8192;

/** strncmp(a, b, n) == 0 */
function strnEq(a: string, b: string, n: number): boolean {
  return a.slice(0, n) === b.slice(0, n);
}

function idxToStr(d: Desc, idx: bigint): string {
  const start = U64(idx * d.blockSize);
  const end = U64(start + d.blockSize - 1n);
  return `Memory Block ${idx} (0x${start.toString(16).padStart(16, "0")}-0x${end.toString(16).padStart(16, "0")})`;
}

function parseIndex(d: Desc, name: string): bigint {
  const r = ulStrtou64(name.slice(6), 10);
  if (!r.ok) {
    const msg = `Failed to parse index: '${name.slice(6)}'`;
    if (r.errno === "ERANGE") d.p.err(1, msg, r.errno);
    d.p.errx(1, msg);
  }
  return r.value;
}

/** str2unum_or_err() */
function strtou64OrErr(p: Proc, s: string, base: number, errmesg: string): bigint {
  const r = ulStrtou64(s, base);
  if (r.ok) return r.value;
  if (r.errno === "ERANGE") p.err(1, `${errmesg}: '${s}'`, r.errno);
  p.errx(1, `${errmesg}: '${s}'`);
}

/**
 * Run `chmem ARGS` (without the program name) against a sysfs. -s/--sysroot
 * is accepted and otherwise ignored: the target is the sysroot (see
 * chmemSysrootArg(), directorySysfsTarget()).
 */
export function chmem(target: SysfsTarget, args: readonly string[]): ToolResult {
  const p = new Proc("chmem");
  return p.run(() => chmemMain(p, target, args));
}

function chmemMain(p: Proc, t: SysfsTarget, args: readonly string[]): number {
  const d: Desc = {
    t,
    p,
    dirs: [],
    memconfigDirs: [],
    memmapOnMemory: -1,
    blockSize: 0n,
    start: 0n,
    end: 0n,
    size: 0n,
    useBlocks: false,
    isSize: false,
    verbose: false,
    haveZones: false,
    haveMemconfig: false,
  };
  let cmd = Cmd.None;
  let zone: string | undefined;
  let zoneId = -1;

  const { items, operands } = getoptLong("chmem", args, CHMEM_OPTSTRING, CHMEM_LONGOPTS);
  const exclSt = [0, 0];
  for (const it of items) {
    if (!it.ok) {
      p.errOut += it.message;
      p.tryHelp();
    }
    errExclusiveOptions(p, it.c, CHMEM_LONGOPTS, ["degm", "cdeg"], exclSt);
    switch (it.c) {
      case ch("d"):
        cmd = Cmd.Disable;
        break;
      case ch("e"):
        cmd = Cmd.Enable;
        break;
      case ch("b"):
        d.useBlocks = true;
        break;
      case ch("v"):
        d.verbose = true;
        break;
      case ch("z"):
        zone = it.arg;
        break;
      case ch("c"):
        cmd = Cmd.Configure;
        break;
      case ch("g"):
        cmd = Cmd.Deconfigure;
        break;
      case ch("m"):
        d.memmapOnMemory = cScanInt(it.arg ?? "") ?? 0; // atoi()
        break;
      case ch("s"):
        break;
      case ch("h"):
        p.print(chmemUsage());
        return 0;
      case ch("V"):
        p.print(`chmem from ${UTIL_LINUX_PACKAGE_STRING}\n`);
        return 0;
    }
  }
  if (args.length === 0 || operands.length !== 1 || cmd === Cmd.None) {
    p.warnx("bad usage");
    p.tryHelp();
  }

  if (!exists(t, PATH_SYS_MEMORY)) p.err(1, `cannot open ${PATH_SYS_MEMORY}`, "ENOENT");

  // read_info()
  const entries = t.list(PATH_SYS_MEMORY);
  if (entries === null) p.err(1, `Failed to read ${PATH_SYS_MEMORY}`, "ENOENT");
  d.dirs = entries.filter((n) => /^memory[0-9]+$/.test(n)).sort(strverscmp);
  // scandir() returning 0 leaves errno as it was: 0
  if (d.dirs.length === 0) p.err(1, `Failed to read ${PATH_SYS_MEMORY}`, "SUCCESS");
  const bsText = readBuffer(t, `${PATH_SYS_MEMORY}/block_size_bytes`, 128);
  if (bsText === null) p.err(1, `Failed to read ${PATH_SYS_MEMORY}`, "ENOENT");
  const bs = cStrtoumax(bsText, 16);
  if (bs.erange) p.err(1, `Failed to read ${PATH_SYS_MEMORY}`, "ERANGE");
  d.blockSize = bs.value;
  // read_conf(): have_memconfig is still unset here, so memconfigDirs stays empty

  parseParameter(d, operands[0]);

  const first = d.dirs[0];
  if (exists(t, `${PATH_SYS_MEMCONFIG}/${first}`)) d.haveMemconfig = true;
  if (exists(t, `${PATH_SYS_MEMORY}/${first}/valid_zones`)) d.haveZones = true;
  else if (zone !== undefined) p.warnx("zone ignored, no valid_zones sysfs attribute present");

  if (zone !== undefined && d.haveZones) {
    zoneId = ZONE_NAMES.findIndex((z) => asciiLower(z) === asciiLower(zone!));
    if (zoneId === -1) {
      p.warnx(`unknown memory zone: ${zone}`);
      p.tryHelp();
    }
  }

  let rc: number;
  if (d.isSize) {
    if (cmd === Cmd.Enable) rc = onoffSize(d, true, zoneId);
    else if (cmd === Cmd.Disable) rc = onoffSize(d, false, zoneId);
    else if (cmd === Cmd.Configure) rc = configSize(d, true);
    else rc = configSize(d, false);
  } else {
    if (cmd === Cmd.Enable) rc = onoffRange(d, true, zoneId);
    else if (cmd === Cmd.Disable) rc = onoffRange(d, false, zoneId);
    else if (cmd === Cmd.Configure) rc = configRange(d, true);
    else rc = configRange(d, false);
  }
  return rc === 0 ? 0 : rc < 0 ? 1 : 64;
}

/** Integer division or remainder by a zero block size: the process dies of SIGFPE (shell status 128+8). */
function checkDivisor(d: Desc): void {
  if (d.blockSize === 0n) d.p.exit(136);
}

function parseParameter(d: Desc, param: string): void {
  const split = param.split("-").filter((s) => s.length > 0);
  if (split.length < 1 || split.length > 2) d.p.errx(1, `Invalid parameter: ${param}`);
  if (split.length === 1) parseSingle(d, split[0]);
  else parseRange(d, split[0], split[1]);
  if (d.start > d.end) d.p.errx(1, `Invalid range: ${param}`);
}

function parseSingle(d: Desc, str: string): void {
  if (d.useBlocks) {
    d.start = strtou64OrErr(d.p, str, 10, "Failed to parse block number");
    d.end = d.start;
    return;
  }
  d.isSize = true;
  const r = ulParseSize(str);
  if (!r.ok) d.p.err(1, `Failed to parse size: '${str}'`, r.errno);
  let size = r.value;
  if (cIsDigit(str[str.length - 1])) size = U64(size * MiB);
  checkDivisor(d);
  if (!aligned(size, d.blockSize)) d.p.errx(1, `Size must be aligned to memory block size (${sizeToHumanString(d.blockSize)})`);
  d.size = size / d.blockSize;
}

function parseRange(d: Desc, start: string, end: string): void {
  if (d.useBlocks) {
    d.start = strtou64OrErr(d.p, start, 10, "Failed to parse start");
    d.end = strtou64OrErr(d.p, end, 10, "Failed to parse end");
    return;
  }
  if (start.length < 2 || start[1] !== "x") d.p.errx(1, `Invalid start address format: ${start}`);
  if (end.length < 2 || end[1] !== "x") d.p.errx(1, `Invalid end address format: ${end}`);
  d.start = strtou64OrErr(d.p, start, 16, "Failed to parse start address");
  d.end = strtou64OrErr(d.p, end, 16, "Failed to parse end address");
  checkDivisor(d);
  if (!aligned(d.start, d.blockSize) || !aligned(U64(d.end + 1n), d.blockSize)) {
    d.p.errx(1, `Start address and (end address + 1) must be aligned to memory block size (${sizeToHumanString(d.blockSize)})`);
  }
  d.start /= d.blockSize;
  d.end /= d.blockSize;
}

function memmapEnabled(d: Desc): boolean {
  return d.memmapOnMemory === 0 || d.memmapOnMemory === 1;
}

function writeFailed(r: { ok: true } | { ok: false; errno: string }): string | null {
  return r.ok ? null : r.errno;
}

/** chmem_config(): 0 on success, -1 otherwise. */
function config(d: Desc, name: string, configure: boolean): number {
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

function configured(d: Desc, name: string): boolean {
  const v = readS32(d.t, `${PATH_SYS_MEMCONFIG}/${name}/config`);
  return v !== null && v !== 0;
}

function onoffSize(d: Desc, enable: boolean, zoneId: number): number {
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

function onoffRange(d: Desc, enable: boolean, zoneId: number): number {
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

function configSize(d: Desc, configure: boolean): number {
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

function configRange(d: Desc, configure: boolean): number {
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
