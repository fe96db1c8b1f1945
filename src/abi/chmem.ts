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
import { asciiLower, cIsDigit, cScanInt, cStrtoumax, strverscmp, ulStrtou64 } from "./util-linux/cnum.js";
import { NO_ARG, REQUIRED_ARG, errExclusiveOptions, getoptLong, type LongOption } from "./util-linux/getopt.js";
import { Proc, UTIL_LINUX_PACKAGE_STRING, usageHelpOptions, type ToolResult } from "./util-linux/program.js";
import { sizeToHumanString, ulParseSize } from "./util-linux/size.js";
import { isAligned } from "../kernel/units.js";
import {
  PATH_SYS_MEMORY,
  PATH_SYS_MEMCONFIG,
  U64,
  ZONE_NAMES,
  configRange,
  configSize,
  exists,
  onoffRange,
  onoffSize,
  readBuffer,
  type Desc,
} from "./chmem-ops.js";

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

/** Alignment of a 64-bit value: units.ts isAligned() while it is exact, BigInt beyond 2^53. */
function aligned(x: bigint, a: bigint): boolean {
  if (x <= BigInt(Number.MAX_SAFE_INTEGER) && a <= BigInt(Number.MAX_SAFE_INTEGER)) return isAligned(Number(x), Number(a));
  return x % a === 0n;
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
