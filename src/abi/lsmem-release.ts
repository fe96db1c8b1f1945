/**
 * What lsmem prints differs between util-linux releases. Each difference is
 * a named rule with the commit that made it; a release is the set of rules
 * it has. Verified against each release's own test expectations
 * (tests/expected/lsmem/ at v2.38.1, v2.41.5, v2.42.2 and master; kept in
 * test/util-linux/lsmem/expected/). Pure (browser-safe).
 */
import { InputError } from "../errors.js";
import { UTIL_LINUX_PACKAGE_STRING } from "./util-linux/program.js";

export interface LsmemRules {
  /**
   * print_summary() pads its labels to 23 columns; 32 from 2.41
   * (68c9f5578 "lsmem: increase the available width for the summary text labels").
   */
  summaryLabelWidth: 23 | 32;
  /** The "Memmap on memory parameter:" summary line, from 2.42 (52491bde5). */
  memmapParamLine: boolean;
  /**
   * libsmartcols count_column_width(): a column's width hint (SIZE: 5) is
   * used only when its data is wider than its header from 2.42 (bbe44e51a
   * "libsmartcols: fix column width calculation"); before, also when the
   * data is exactly as wide (so SIZE was 5 wide for "128M").
   */
  hintOnlyWhenWider: boolean;
  /**
   * s390 memory configuration (/sys/firmware/memory, the CONFIGURED and
   * MEMMAP-ON-MEMORY columns), from 2.42 (92d018a10).
   */
  memconfig: boolean;
  /** LSMEM_COLUMNS and LIBSMARTCOLS_JSON in the environment, from 2.42. */
  environment: boolean;
  /** --annotate and the reworded --help, from 2.43-devel (951862cc4). */
  annotate: boolean;
  /** --bytes summary printed unsigned (PRIu64), from 2.43-devel (ca4c562fa); signed before. */
  unsignedBytes: boolean;
  /**
   * have_nodes from the first block's node links only, until 2.40 (57714290b
   * "lsmem: make lsmem to check for the nodes more robust", 2.41: any block).
   */
  nodesFromFirstBlock: boolean;
  /**
   * have_zones from memory0/valid_zones only, until 2.41 (c8c48ab84 "lsmem:
   * fix missing zone info when memory blocks start at an index other than 0",
   * 2.42: any block).
   */
  zonesFromMemory0: boolean;
}

export interface LsmemRelease {
  /** What -V prints after "lsmem from ". */
  packageString: string;
  rules: LsmemRules;
}

const R2_38: LsmemRules = {
  summaryLabelWidth: 23,
  memmapParamLine: false,
  hintOnlyWhenWider: false,
  memconfig: false,
  environment: false,
  annotate: false,
  unsignedBytes: false,
  nodesFromFirstBlock: true,
  zonesFromMemory0: true,
};
const R2_41: LsmemRules = { ...R2_38, summaryLabelWidth: 32, nodesFromFirstBlock: false };
const R2_42: LsmemRules = { ...R2_41, memmapParamLine: true, hintOnlyWhenWider: true, memconfig: true, environment: true, zonesFromMemory0: false };
const R2_43: LsmemRules = { ...R2_42, annotate: true, unsignedBytes: true };

/** The releases --util-linux knows, oldest first (each series by its rules). */
export const LSMEM_SERIES: { from: [number, number]; rules: LsmemRules }[] = [
  { from: [2, 38], rules: R2_38 },
  { from: [2, 41], rules: R2_41 },
  { from: [2, 42], rules: R2_42 },
  { from: [2, 43], rules: R2_43 },
];

/** The newest: util-linux master at 39465c78 (2.43-devel), what lsmem prints without --util-linux. */
export const NEWEST_LSMEM: LsmemRelease = { packageString: UTIL_LINUX_PACKAGE_STRING, rules: R2_43 };

/**
 * The release named by `version`: "2.38.1", "2.41", "2.42.2", "2.43",
 * "master" or "newest" (or undefined: the newest). Releases before 2.38
 * are refused (unverified).
 */
export function lsmemRelease(version: string | undefined): LsmemRelease {
  if (version === undefined || version === "newest" || version === "master") return NEWEST_LSMEM;
  const m = /^(?:v)?(\d+)\.(\d+)(?:\.(\d+))?(?:-devel)?$/.exec(version);
  const known = "2.38 to 2.42.x, 2.43 (or master, newest)";
  if (!m) throw new InputError(`not a util-linux version: ${JSON.stringify(version.slice(0, 40))} (known: ${known})`, { field: "--util-linux" });
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < 2 || (major === 2 && minor < 38)) throw new InputError(`util-linux ${version} is older than the releases memhp knows (${known})`, { field: "--util-linux" });
  if (major > 2 || minor > 43) throw new InputError(`util-linux ${version} is newer than the releases memhp knows (${known})`, { field: "--util-linux" });
  if (minor === 43) return NEWEST_LSMEM;
  let rules = R2_38;
  for (const s of LSMEM_SERIES) if (minor >= s.from[1]) rules = s.rules;
  return { packageString: `util-linux ${m[1]}.${m[2]}${m[3] ? `.${m[3]}` : ""}`, rules };
}
