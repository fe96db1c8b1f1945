/**
 * util-linux lsmem(1), byte for byte, over an abstract view of
 * /sys/devices/system/memory. Pure: no node:* imports, runs in a browser.
 *
 * Reference: util-linux sys-utils/lsmem.c and the parts of libsmartcols it
 * uses (column width calculation, human/raw/pairs/JSON printing), at commit
 * 39465c78 (2.43-devel). Behaviour modelled from that source, including its
 * quirks: "unknown column" messages print the rest of the list, empty list
 * items fail silently, the SIZE width hint only applies when the data is
 * wider than the header, a memconfig-only column (CONFIGURED,
 * MEMMAP-ON-MEMORY) skipped before another column makes lsmem fail in
 * add_scols_line.
 *
 * The output is that of a non-terminal stdout (as in util-linux's test suite):
 * no width reduction, `--annotate=auto` means no annotation.
 *
 * The pieces util-linux shares between its tools live in ./util-linux/
 * (getopt_long, libsmartcols, C number parsing, size strings, process
 * plumbing); lsmem-info.ts reads and merges the blocks.
 */
import { asciiLower } from "./util-linux/cnum.js";
import { errExclusiveOptions, getoptLong } from "./util-linux/getopt.js";
import { Proc, type ToolResult } from "./util-linux/program.js";
import { scolsPrintTable, type ScolsColumn, type ScolsFormat } from "./util-linux/smartcols.js";
import {
  COLDESCS,
  COL_BLOCK,
  COL_CONFIG,
  COL_MEMMAP,
  COL_NODE,
  COL_RANGE,
  COL_REMOVABLE,
  COL_SIZE,
  COL_STATE,
  COL_ZONES,
  cellText,
  hasMemconfig,
  noSplit,
  readInfo,
  splitPolicy,
  summary,
  type SplitPolicy,
} from "./lsmem-info.js";

import { lsmemRelease, type LsmemRelease } from "./lsmem-release.js";
import { LSMEM_OPTSTRING, OPT_ANNOTATE, OPT_OUTPUT_ALL, OPT_SUMMARY, ch, lsmemLongopts, lsmemUsage } from "./lsmem-usage.js";
import type { ColDesc } from "./lsmem-info.js";

export { LSMEM_COLUMNS } from "./lsmem-info.js";
export type { ToolResult } from "./util-linux/program.js";

/**
 * One /sys/devices/system/memory/memoryN directory. String fields are the raw
 * file contents (trailing newline included, as read); lsmem strips one
 * trailing newline like ul_path_read_buffer().
 */
export interface MemoryBlockView {
  /** N of memoryN. */
  index: number;
  /** contents of `state`; "" when the file is missing or empty (lsmem shows "?"). */
  state: string;
  /** contents of `removable`; absent when the file is missing (lsmem then says "no"). */
  removable?: string;
  /** contents of `phys_device` (lsmem does not read it; kept for other users of the view). */
  physDevice?: string;
  /** N of each `nodeN` entry of the block directory, in directory order; lsmem uses the first. */
  nodes: number[];
  /** contents of `valid_zones`; absent when the file is missing. */
  validZones?: string;
}

/** One /sys/firmware/memory/memoryN directory (s390 memory configuration). */
export interface FirmwareMemoryBlockView {
  index: number;
  /** contents of `config` (absent: missing file). */
  config?: string;
  /** contents of `memmap_on_memory` (absent: missing file). */
  memmapOnMemory?: string;
}

export interface MemorySysfsView {
  /** value of block_size_bytes (the file holds it in hex). */
  blockSizeBytes: number;
  blocks: MemoryBlockView[];
  /**
   * /sys/firmware/memory/memoryN entries. lsmem switches to its memory
   * configuration mode (CONFIGURED and MEMMAP-ON-MEMORY columns) when one with
   * index 0 exists. Absent on anything but s390.
   */
  firmwareBlocks?: FirmwareMemoryBlockView[];
  /** contents of /sys/module/memory_hotplug/parameters/memmap_on_memory, if present. */
  memmapOnMemoryParam?: string;
}

/**
 * The block attributes lsmem will look at, for a view read on demand: the
 * state always; removable, node links and valid_zones when its columns or
 * --split use them. (physDevice: never; for other users of the view.)
 */
export interface LsmemNeeds {
  removable: boolean;
  nodes: boolean;
  zones: boolean;
  physDevice: boolean;
}

/** A view, or a function reading one with the attributes lsmem needs. */
export type LsmemView = MemorySysfsView | ((needs: LsmemNeeds) => MemorySysfsView);

export interface LsmemOptions {
  /** Environment: LSMEM_COLUMNS (default columns) and LIBSMARTCOLS_JSON (compact|lines). */
  env?: Record<string, string | undefined>;
  /** The util-linux release to print as ("2.38.1", "2.41", "2.42.2", "master"); default the newest. */
  utilLinux?: string;
}

/**
 * string_add_to_idarray() with lsmem's column_name_to_id(): the ids, or null
 * after a failure (an unknown name has been reported with warnx; empty items
 * and too long lists fail silently, as in util-linux).
 */
function parseColumnList(p: Proc, cols: readonly ColDesc[], list: string, ary: number[], arysz: number): number[] | null {
  if (!list) return null;
  let pos = ary.length;
  let l = list;
  if (l[0] === "+") l = l.slice(1);
  else pos = 0;
  if (pos > arysz) return null;
  const out = ary.slice(0, pos);
  if (!l) return null;
  let begin = -1;
  for (let i = 0; i < l.length; i++) {
    if (out.length - pos >= arysz - pos) return null;
    if (begin < 0) begin = i;
    let end = -1;
    if (l[i] === ",") end = i;
    if (i + 1 === l.length) end = i + 1;
    if (end < 0) continue;
    if (end <= begin) return null;
    const name = l.slice(begin, end);
    const id = cols.findIndex((c) => asciiLower(c.name) === asciiLower(name));
    if (id < 0) {
      p.warnx(`unknown column: ${l.slice(begin)}`);
      return null;
    }
    out.push(id);
    begin = -1;
    if (end === l.length) break;
  }
  return out;
}

/**
 * The --sysroot value lsmem would use (the last one given), for callers that
 * resolve it before calling lsmem(); undefined without one.
 */
export function lsmemSysrootArg(args: readonly string[]): string | undefined {
  let root: string | undefined;
  for (const it of getoptLong("lsmem", args, LSMEM_OPTSTRING, lsmemLongopts(lsmemRelease(undefined).rules)).items) {
    if (!it.ok) break;
    if (it.c === ch("s")) root = it.arg;
  }
  return root;
}

/**
 * Run `lsmem ARGS` (ARGS without the program name) against a view of
 * /sys/devices/system/memory. `--sysroot` is accepted and otherwise ignored:
 * the caller has already read the view from it (see lsmemSysrootArg()).
 * `view` may be a function: it is then called only once lsmem gets to
 * reading sysfs (not for --help, --version or bad options), told which
 * attributes lsmem needs, and whatever it throws propagates.
 */
export function lsmem(
  view: LsmemView,
  args: readonly string[],
  options: LsmemOptions = {},
): ToolResult {
  const p = new Proc("lsmem");
  const release = lsmemRelease(options.utilLinux);
  return p.run(() => lsmemMain(p, view, args, release.rules.environment ? options.env ?? {} : {}, release));
}

function lsmemMain(
  p: Proc,
  viewArg: LsmemView,
  args: readonly string[],
  env: Record<string, string | undefined>,
  release: LsmemRelease,
): number {
  const rules = release.rules;
  const longopts = lsmemLongopts(rules);
  // the columns this release has (CONFIGURED and MEMMAP-ON-MEMORY came with its memconfig mode)
  const cols = rules.memconfig ? COLDESCS : COLDESCS.filter((_, i) => i !== COL_CONFIG && i !== COL_MEMMAP);
  let listAll = false,
    bytes = false,
    json = false,
    exportFmt = false,
    raw = false,
    noheadings = false,
    wantSummary = true,
    wantTable = true;
  let outarg: string | undefined;
  let splitarg: string | undefined;
  let sysroot: string | undefined;
  let annotateArg: string | undefined;
  let columns: number[] = [];

  const { items, operands } = getoptLong("lsmem", args, LSMEM_OPTSTRING, longopts);
  const exclSt = [0, 0];
  for (const it of items) {
    if (!it.ok) {
      p.errOut += it.message;
      p.tryHelp();
    }
    errExclusiveOptions(p, it.c, longopts, ["JPr", "Sa"], exclSt);
    switch (it.c) {
      case ch("a"):
        listAll = true;
        break;
      case ch("b"):
        bytes = true;
        break;
      case ch("J"):
        json = true;
        wantSummary = false;
        break;
      case ch("n"):
        noheadings = true;
        break;
      case ch("o"):
        outarg = it.arg;
        break;
      case OPT_OUTPUT_ALL:
        columns = cols.map((_, i) => i);
        break;
      case ch("P"):
        exportFmt = true;
        wantSummary = false;
        break;
      case ch("r"):
        raw = true;
        wantSummary = false;
        break;
      case ch("s"):
        sysroot = it.arg;
        break;
      case ch("S"):
        splitarg = it.arg;
        break;
      case OPT_SUMMARY:
        if (it.arg !== undefined) {
          if (it.arg === "never") wantSummary = false;
          else if (it.arg === "only") wantTable = false;
          else if (it.arg === "always") wantSummary = true;
          else p.errx(1, "unsupported --summary argument");
        } else wantTable = false;
        break;
      case OPT_ANNOTATE:
        annotateArg = it.arg;
        break;
      case ch("h"):
        p.print(lsmemUsage(rules, cols));
        return 0;
      case ch("V"):
        p.print(`lsmem from ${release.packageString}\n`);
        return 0;
    }
  }
  if (operands.length) {
    p.warnx("bad usage");
    p.tryHelp();
  }

  // annotationwanted(): "auto" (or no argument) asks isatty(stdout); the model's stdout is not a terminal
  let annotate = false;
  if (annotateArg !== undefined && annotateArg !== "never") {
    if (annotateArg === "always") annotate = true;
    else if (annotateArg !== "auto") p.errx(1, `invalid argument of --annotate: ${annotateArg}`);
  }

  if (!wantTable && !wantSummary) p.errx(1, "options --{raw,json,pairs} and --summary=only are mutually exclusive");

  // lsmem opens the sysroot here; a lazy view is read with what the output needs
  const resolve = (needs: LsmemNeeds): MemorySysfsView => {
    if (typeof viewArg !== "function") return viewArg;
    const v = viewArg(needs);
    // memory configuration mode (s390) looks for every block's node links (a missing block is an error)
    if (!needs.nodes && rules.memconfig && hasMemconfig(v)) return viewArg({ ...needs, nodes: true });
    return v;
  };
  const prefix = sysroot ?? "";

  if (!wantTable && wantSummary) {
    const view = resolve({ removable: false, nodes: false, zones: false, physDevice: false });
    const info = readInfo(p, view, rules, prefix, { listAll: false, split: noSplit() });
    p.print(summary(view, info, bytes, rules));
    return 0;
  }

  if (columns.length === 0) columns = [COL_RANGE, COL_SIZE, COL_STATE, COL_REMOVABLE, COL_BLOCK];
  if (outarg === undefined) outarg = env.LSMEM_COLUMNS;
  if (outarg !== undefined) {
    const r = parseColumnList(p, cols, outarg, columns, cols.length * 2);
    if (!r) return 1;
    columns = r;
  }

  let split: SplitPolicy;
  if (splitarg !== undefined) {
    let ids: number[] = [];
    if (asciiLower(splitarg) !== "none") {
      const r = parseColumnList(p, cols, splitarg, [], cols.length);
      if (!r) return 1;
      ids = r;
    }
    split = splitPolicy(ids);
  } else split = splitPolicy(columns);

  const view = resolve({
    removable: split.removable || columns.includes(COL_REMOVABLE),
    nodes: split.node || columns.includes(COL_NODE),
    zones: split.zones || columns.includes(COL_ZONES),
    physDevice: false,
  });
  const haveMemconfig = rules.memconfig && hasMemconfig(view);
  const skip = (id: number) => (id === COL_MEMMAP || id === COL_CONFIG) && !haveMemconfig;
  const tableCols: ScolsColumn[] = [];
  for (const id of columns) {
    if (skip(id)) continue;
    const d = COLDESCS[id];
    let jt: ScolsColumn["json"] = "string";
    if (json) {
      if ((id === COL_SIZE && bytes) || id === COL_NODE) jt = "number";
      else if (id === COL_REMOVABLE) jt = "boolean";
    }
    tableCols.push({ name: d.name, whint: d.whint, right: d.right, json: jt, annotation: annotate ? d.help : undefined });
  }

  const info = readInfo(p, view, rules, prefix, { listAll, split });

  if (wantTable) {
    const lines: (string | null)[][] = [];
    for (const blk of info.blocks) {
      const line: (string | null)[] = new Array(tableCols.length).fill(null);
      columns.forEach((id, i) => {
        if (skip(id)) return;
        const str = cellText(id, blk, info, bytes, haveMemconfig);
        if (str === null) return;
        if (i >= line.length) {
          // scols_line_refer_data() on a cell the line does not have → err_oom()
          p.err(1, "sys-utils/lsmem.c: 336: cannot allocate memory", "SUCCESS");
        }
        line[i] = str;
      });
      lines.push(line);
    }
    const format: ScolsFormat = json ? "json" : exportFmt ? "export" : raw ? "raw" : "human";
    const lsj = env.LIBSMARTCOLS_JSON;
    const out = scolsPrintTable({
      name: json ? "memory" : undefined,
      format,
      noheadings,
      jsonFormat: lsj === "compact" ? "compact" : lsj === "lines" ? "lines" : "pretty",
      columns: tableCols,
      lines,
      hintOnlyWhenWider: rules.hintOnlyWhenWider,
    });
    p.print(out);
    if (wantSummary) p.print("\n");
  }
  if (wantSummary) p.print(summary(view, info, bytes, rules));
  return 0;
}
