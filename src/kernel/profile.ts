/**
 * Kernel profiles: a kernel is its version's rules × its build configuration
 * × its architecture.
 *
 * - Rules (profiles/rules-*.ts): every behaviour that differs between
 *   versions, named, with the upstream version it changed in and evidence.
 *   Kernel code asks `k.rules.NAME`; never `if (version >= …)`.
 * - Build configuration (profiles/config.ts): Kconfig options, presets per
 *   distribution (debian-11/12/13/unstable), per-option overrides.
 * - Architecture: rule changes may be limited to an architecture family.
 *
 * Versions (VERSIONS): the profiles memhp offers. "Verified" ones are checked
 * against real-kernel traces of that version; 5.2 is a what-if (the last
 * kernel before sub-section hotplug, from ../shared/spec/08-history.md).
 * Add a version: one entry in VERSIONS (and its preset in config.ts), then
 * rule changes with `since` at that version where its traces differ.
 */
import { BOOT_RULES } from "./profiles/rules-boot.js";
import { DRIVER_RULES } from "./profiles/rules-drivers.js";
import { HOTPLUG_RULES } from "./profiles/rules-hotplug.js";
import { CXL_RULES } from "./profiles/rules-cxl.js";
import { changeAt, valueAt, type ArchFamily, type RuleChange, type RuleDef } from "./profiles/rule.js";
import { CONFIG_OPTIONS, defaultPreset, findPreset, optionOfSymbol, PRESETS, type Arm64Pages, type ConfigKey, type KernelConfig, type Preset } from "./profiles/config.js";
import { compareVersions, parseRelease } from "./profiles/version.js";

export { compareVersions, parseRelease } from "./profiles/version.js";
export type { KernelConfig } from "./profiles/config.js";
export type { ArchFamily } from "./profiles/rule.js";

/** Every rule, by name. Add a rule file's table here. */
export const RULES = { ...HOTPLUG_RULES, ...DRIVER_RULES, ...BOOT_RULES, ...CXL_RULES } as const;
export type RuleName = keyof typeof RULES;
/** The resolved value of every rule. */
export type Rules = { readonly [K in RuleName]: (typeof RULES)[K] extends RuleDef<infer T> ? T : never };

export interface VersionInfo {
  readonly version: string;
  /** Reproduces the reference real-kernel traces of this version (../shared/conformance); nearestProfile() picks only these. */
  readonly verified: boolean;
  /** A what-if (no real kernel of the version to check against): conformance refuses its traces. */
  readonly whatIf?: boolean;
  /** The distribution build whose configuration is the default. */
  readonly preset: string | null;
  readonly description: string;
}

export const VERSIONS: readonly VersionInfo[] = [
  { version: "5.2", verified: false, whatIf: true, preset: null, description: "what-if: the last kernel before sub-section hotplug (5.3), from ../shared/spec/08-history.md" },
  { version: "5.10", verified: true, preset: "debian-11", description: "Debian 11 (bullseye)" },
  { version: "6.1", verified: true, preset: "debian-12", description: "Debian 12 (bookworm): the reference" },
  { version: "6.12", verified: true, preset: "debian-13", description: "Debian 13 (trixie)" },
  { version: "7.2", verified: true, preset: "debian-unstable", description: "Debian unstable (sid, forky)" },
];

export const DEFAULT_VERSION = "6.1";

/** The configuration of a version without a preset (the 5.2 what-if). */
const BARE_CONFIG: KernelConfig = { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: false, ZONE_DEVICE: true, ACPI_HOTPLUG_MEMORY: true, FIRMWARE_MEMMAP: true };

export interface KernelProfile {
  /** The version ("6.12"): the profile's name. */
  readonly name: string;
  readonly version: string;
  readonly verified: boolean;
  readonly arch: ArchFamily;
  /** The configuration preset the config starts from (null: none). */
  readonly preset: string | null;
  readonly config: KernelConfig;
  /** Options set in the scenario over the preset. */
  readonly overrides: Partial<KernelConfig>;
  readonly rules: Rules;
}

/** How a scenario (machine.kernel) or a command line names a kernel. */
export interface KernelSpec {
  version?: string;
  preset?: string;
  /** Kconfig symbols (with or without CONFIG_) to values. */
  config?: Record<string, unknown>;
}

/** A kernel spec that names nothing that exists; `path` locates it inside the spec ("version", "config.CONFIG_X"). */
export class KernelSpecError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
  ) {
    super(message);
  }
}

export function versionInfo(v: string): VersionInfo | undefined {
  return VERSIONS.find((x) => x.version === v);
}

const knownVersions = () => VERSIONS.map((v) => v.version).join(", ");

/** The rules of a version on an architecture. */
export function resolveRules(version: string, arch: ArchFamily = "x86_64"): Rules {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(RULES)) out[name] = valueAt(def as RuleDef<unknown>, version, arch);
  return out as Rules;
}

/** The change in effect for one rule (for explain: "from 6.12 on, …"); null: the initial value. */
export function ruleSource(name: RuleName, version: string, arch: ArchFamily = "x86_64"): RuleChange<unknown> | null {
  return changeAt(RULES[name] as RuleDef<unknown>, version, arch);
}

/** The machine a kernel is resolved for: its architecture family, arm64 page size, and whose builds are the defaults. */
export interface KernelTarget {
  /** The machine's page size (arm64): picks the build with that page size, and a preset or override of another size is refused. */
  pages?: Arm64Pages;
  /** Whose distribution builds are the default presets (default: the machine's arch). A synthetic machine runs an idealised kernel: "x86_64" (every option built). */
  buildArch?: ArchFamily;
}

const presetList = (arch: ArchFamily) =>
  PRESETS.filter((p) => p.arch === arch)
    .map((p) => `${p.name} (${p.version}${p.config.ARM64_PAGES ? `, ${p.config.ARM64_PAGES}` : ""})`)
    .join(", ");

/**
 * Resolve a kernel spec: version (default 6.1, or the oldest version with a
 * build for the machine), preset (default: the version's distribution build
 * for the machine's architecture and page size), config overrides. Throws
 * KernelSpecError.
 */
export function resolveKernel(spec: KernelSpec | string | undefined, arch: ArchFamily = "x86_64", target: KernelTarget = {}): KernelProfile {
  const s: KernelSpec = typeof spec === "string" ? { version: spec } : spec ?? {};
  const preset = s.preset !== undefined ? findPreset(s.preset) : undefined;
  if (s.preset !== undefined && !preset) throw new KernelSpecError(`unknown configuration preset "${s.preset}" (known: ${PRESETS.map((p) => p.name).join(", ")})`, ["preset"]);
  const buildArch = target.buildArch ?? (arch === "arm64" ? "arm64" : "x86_64");
  // The page size asked for: an override in the spec, else the machine's.
  const pagesOverride = Object.keys(s.config ?? {}).map(optionOfSymbol).find((o) => o?.option.key === "ARM64_PAGES");
  const pages = buildArch === "arm64" ? (pagesOverride ? (pagesOverride.symbol.slice(13, -6) as Arm64Pages) : target.pages ?? "4K") : undefined;
  const version = s.version ?? preset?.version ?? defaultVersion(buildArch, pages);
  const info = versionInfo(version);
  if (!info) {
    const r = parseRelease(version);
    // Any profile of a real kernel may be named, verified or not.
    const near = r ? nearestProfile(r.text, VERSIONS.map((x) => ({ ...x, verified: !x.whatIf }))) : null;
    const hint = near && near.version !== version ? `; the nearest profile at or below it is ${near.version}` : "";
    throw new KernelSpecError(`unknown kernel version "${version}" (known: ${knownVersions()}${hint})`, ["version"]);
  }
  if (pagesOverride && buildArch !== "arm64" && target.buildArch === undefined)
    throw new KernelSpecError(`${pagesOverride.symbol} is an arm64 option; this machine runs ${buildArch}`, ["config", Object.keys(s.config ?? {}).find((k) => optionOfSymbol(k)?.option.key === "ARM64_PAGES")!]);
  let base: Preset | undefined = preset;
  if (!base && buildArch === "arm64") {
    // An arm64 build of this version: with the machine's page size, else (the page size overridden) Debian's 4K build.
    base = defaultPreset(version, "arm64", pages) ?? (pagesOverride ? defaultPreset(version, "arm64", "4K") : undefined);
    if (!base) {
      const arm = PRESETS.filter((p) => p.arch === "arm64");
      if (!arm.some((p) => p.version === version))
        throw new KernelSpecError(
          `no arm64 build of Linux ${version} is modelled (arm64 presets: ${presetList("arm64")})${compareVersions(version, "5.12") < 0 ? `; before Linux 5.12 arm64 had 1 GiB sections (SECTION_SIZE_BITS 30), which memhp's arm64 geometry does not model` : ""}`,
          s.version !== undefined ? ["version"] : [],
        );
      const other = arm.filter((p) => p.config.ARM64_PAGES === pages).map((p) => p.version);
      const why = other.length ? `Debian builds ${pages} pages for ${other.join(", ")}` : `no Debian arm64 kernel has ${pages} pages`;
      throw new KernelSpecError(`no arm64 build of Linux ${version} with ${pages} pages is modelled (${why}; arm64 presets: ${presetList("arm64")}); pick one, or set config CONFIG_ARM64_${pages}_PAGES: y for a build of your own`, []);
    }
  } else if (!base) base = info.preset ? findPreset(info.preset) : undefined;
  const config: Record<string, unknown> = { ...(base?.config ?? BARE_CONFIG) };
  const overrides: Record<string, unknown> = {};
  for (const [sym, v] of Object.entries(s.config ?? {})) {
    const o = optionOfSymbol(sym);
    if (!o) throw new KernelSpecError(`unknown configuration option "${sym}" (known: ${CONFIG_OPTIONS.flatMap((x) => x.symbols).join(", ")})`, ["config", sym]);
    const r = o.option.parse(o.symbol, v);
    if ("error" in r) throw new KernelSpecError(`${o.symbol}: ${r.error} (got ${JSON.stringify(v)})`, ["config", sym]);
    config[o.option.key] = r.value;
    overrides[o.option.key] = r.value;
  }
  for (const o of CONFIG_OPTIONS) {
    const why = o.impossible(config[o.key] as KernelConfig[ConfigKey], version);
    if (why) {
      const sym = Object.keys(s.config ?? {}).find((k) => optionOfSymbol(k)?.option === o);
      throw new KernelSpecError(`Linux ${version} cannot be built that way: ${why}`, sym ? ["config", sym] : s.preset !== undefined ? ["preset"] : ["version"]);
    }
  }
  if (base && s.preset !== undefined && target.buildArch === undefined && base.arch !== buildArch && (base.arch === "arm64" || buildArch === "arm64"))
    throw new KernelSpecError(`preset ${base.name} is a build for ${base.arch}, this machine runs ${buildArch} (${buildArch} presets: ${presetList(buildArch)})`, ["preset"]);
  if (target.pages && config.ARM64_PAGES !== undefined && config.ARM64_PAGES !== target.pages) {
    const sym = pagesOverride ? ["config", Object.keys(s.config ?? {}).find((k) => optionOfSymbol(k)?.option.key === "ARM64_PAGES")!] : ["preset"];
    throw new KernelSpecError(`${base?.name ?? "this build"}${pagesOverride ? " with the override" : ""} has ${config.ARM64_PAGES} pages, the machine's arch has ${target.pages}: make them agree (machine.arch arm64-${String(config.ARM64_PAGES).toLowerCase()}, or another preset)`, sym);
  }
  return {
    name: version,
    version,
    verified: info.verified,
    arch,
    preset: base?.name ?? null,
    config: config as unknown as KernelConfig,
    overrides: overrides as Partial<KernelConfig>,
    rules: resolveRules(version, arch),
  };
}

/** The version a machine gets when its spec names none: 6.1, or the oldest version with an arm64 build of that page size (16K: 6.12). */
function defaultVersion(buildArch: ArchFamily, pages: Arm64Pages | undefined): string {
  if (buildArch !== "arm64" || defaultPreset(DEFAULT_VERSION, "arm64", pages)) return DEFAULT_VERSION;
  const withPages = PRESETS.filter((p) => p.arch === "arm64" && p.config.ARM64_PAGES === pages).sort((a, b) => compareVersions(a.version, b.version));
  return withPages[0]?.version ?? DEFAULT_VERSION;
}

/** The spec that resolves back to a profile: its version, preset, and the options where its config differs from the preset's (a model trace's `model.kernel_config`). */
export function kernelSpecOf(version: string, preset: string | null | undefined, config: Record<string, unknown> = {}): KernelSpec {
  const base = preset ? (findPreset(preset)?.config as Record<string, unknown> | undefined) : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(config)) {
    if (!CONFIG_OPTIONS.some((o) => o.key === key) || (base && base[key] === v)) continue;
    if (key === "ARM64_PAGES") out[`CONFIG_ARM64_${String(v)}_PAGES`] = "y";
    else out[`CONFIG_${key}`] = typeof v === "boolean" ? (v ? "y" : "n") : v;
  }
  return { version, ...(preset ? { preset } : {}), ...(Object.keys(out).length ? { config: out } : {}) };
}

/** The profile of a version with its default configuration (compatibility with the old `--profile NAME`). */
export function getProfile(name: string | undefined): KernelProfile {
  try {
    return resolveKernel(name);
  } catch (e) {
    if (e instanceof KernelSpecError) throw new RangeError(e.message);
    throw e;
  }
}

/** Every version with its default configuration, by name. */
export const PROFILES: Readonly<Record<string, KernelProfile>> = Object.fromEntries(VERSIONS.map((v) => [v.version, resolveKernel(v.version)]));

/** The newest verified profile at or below a release ("6.18" → 6.12); null when it is older than every verified profile. */
export function nearestProfile(release: string, versions: readonly VersionInfo[] = VERSIONS): VersionInfo | null {
  const r = parseRelease(release);
  if (!r) return null;
  let best: VersionInfo | null = null;
  for (const v of versions) {
    if (!v.verified || compareVersions(v.version, r.text) > 0) continue;
    if (!best || compareVersions(v.version, best.version) > 0) best = v;
  }
  return best;
}

/** How a kernel release is modelled: the profile and a sentence saying why. */
export function profileForRelease(release: string, versions: readonly VersionInfo[] = VERSIONS): { version: string; exact: boolean; why: string } {
  const r = parseRelease(release);
  if (!r) return { version: DEFAULT_VERSION, exact: false, why: `"${release}" is not a kernel release; modelled with the ${DEFAULT_VERSION} profile` };
  const exact = versions.find((v) => v.verified && v.version === r.text);
  if (exact) return { version: exact.version, exact: true, why: `Linux ${release} (the ${exact.version} profile)` };
  const near = nearestProfile(r.text, versions);
  if (near) return { version: near.version, exact: false, why: `Linux ${release} (modelled with the ${near.version} profile: the newest verified at or below ${r.text})` };
  const oldest = versions.filter((v) => v.verified).sort((a, b) => compareVersions(a.version, b.version))[0];
  return { version: oldest.version, exact: false, why: `Linux ${release} (modelled with the ${oldest.version} profile: older than every verified profile)` };
}

/** The release a real-kernel trace names (`kernel`, else `kernel_version`, else `kernel_package`); null if none. */
export function traceRelease(trace: { kernel?: unknown; kernel_version?: unknown; kernel_package?: unknown }): string | null {
  for (const f of [trace.kernel, trace.kernel_version]) if (typeof f === "string" && parseRelease(f)) return f.replace(/^Linux version /, "").split(" ")[0];
  if (typeof trace.kernel_package === "string") {
    const m = /^linux-image-(\S+)/.exec(trace.kernel_package);
    if (m && parseRelease(m[1])) return m[1];
  }
  return null;
}
