/**
 * The build configuration, an input of its own beside the version: the
 * Kconfig options that change what memory hotplug does, and the presets of
 * the distributions the real-kernel traces come from, one per version and
 * architecture (and arm64 page size). A scenario picks a preset (by default
 * the one of its version and machine architecture) and overrides single
 * options (machine.kernel.config). Each preset's options are the lines of
 * the distribution's own config file, kept in test/kernel-configs/ (checked
 * by config.test.ts).
 * Add an option: one entry in CONFIG_OPTIONS (and the field in KernelConfig);
 * add a preset: one entry in PRESETS (and its config excerpt).
 */
import type { OnlineType } from "../kernel.js";
import type { ArchFamily } from "./rule.js";
import { compareVersions } from "./version.js";

export interface KernelConfig {
  /** CONFIG_MHP_DEFAULT_ONLINE_TYPE_* (v6.14; before: CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE, online or offline): auto_online_blocks at boot. */
  readonly MHP_DEFAULT_ONLINE_TYPE: OnlineType;
  /** CONFIG_MHP_MEMMAP_ON_MEMORY (v5.13): the memory_hotplug.memmap_on_memory parameter exists. */
  readonly MHP_MEMMAP_ON_MEMORY: boolean;
  /** CONFIG_ZONE_DEVICE: memremap_pages() (fsdax/devdax namespaces, dax kmem on NVDIMMs). */
  readonly ZONE_DEVICE: boolean;
  /** CONFIG_ACPI_HOTPLUG_MEMORY: the ACPI memory device driver (PNP0C80). */
  readonly ACPI_HOTPLUG_MEMORY: boolean;
  /** CONFIG_FIRMWARE_MEMMAP: /sys/firmware/memmap. */
  readonly FIRMWARE_MEMMAP: boolean;
  /** arm64 only: CONFIG_ARM64_{4K,16K,64K}_PAGES (the machine's arch must match). */
  readonly ARM64_PAGES?: Arm64Pages;
}

export type Arm64Pages = "4K" | "16K" | "64K";

export type ConfigKey = keyof KernelConfig;

export interface ConfigOption {
  readonly key: ConfigKey;
  readonly doc: string;
  /** Kconfig symbols that set it: `CONFIG_X: value`, or for a choice `CONFIG_X_CHOICE: y`. */
  readonly symbols: readonly string[];
  /** Parse a value given for `symbol` (null: not a valid value; the message says what is). */
  parse(symbol: string, v: unknown): { value: KernelConfig[ConfigKey] } | { error: string };
  /** Why this value cannot exist on `version` (null: it can). */
  impossible(value: KernelConfig[ConfigKey], version: string): string | null;
}

function yesNo(v: unknown): boolean | null {
  if (v === true || v === "y" || v === "Y" || v === "yes" || v === 1) return true;
  if (v === false || v === "n" || v === "N" || v === "no" || v === 0 || v === "not set") return false;
  return null;
}

const ONLINE_CHOICES: Record<string, OnlineType> = {
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE: "offline",
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO: "online",
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_KERNEL: "online_kernel",
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_MOVABLE: "online_movable",
};
const ONLINE_TYPES: OnlineType[] = ["offline", "online", "online_kernel", "online_movable"];

/** A y/n option, set by every preset. */
const yesNoOption = (key: "ZONE_DEVICE" | "ACPI_HOTPLUG_MEMORY" | "FIRMWARE_MEMMAP", doc: string): ConfigOption => ({
  key,
  doc,
  symbols: [`CONFIG_${key}`],
  parse(_symbol, v) {
    const b = yesNo(v);
    return b === null ? { error: "expected y or n" } : { value: b };
  },
  impossible: () => null,
});

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  yesNoOption("ZONE_DEVICE", "ZONE_DEVICE and memremap_pages(): fsdax/devdax namespaces, dax kmem on NVDIMMs (Debian arm64: from 6.12)"),
  yesNoOption("ACPI_HOTPLUG_MEMORY", "the ACPI memory device driver (PNP0C80): DIMMs hot-add memory (Debian arm64: never)"),
  yesNoOption("FIRMWARE_MEMMAP", "/sys/firmware/memmap (Debian arm64: not set)"),
  {
    key: "ARM64_PAGES",
    doc: "arm64 page size, a Kconfig choice: CONFIG_ARM64_4K_PAGES, _16K_ or _64K_ (machine.arch arm64-4k, arm64-16k, arm64-64k must match)",
    symbols: ["CONFIG_ARM64_4K_PAGES", "CONFIG_ARM64_16K_PAGES", "CONFIG_ARM64_64K_PAGES"],
    parse(symbol, v) {
      const b = yesNo(v);
      if (b === null) return { error: "expected y or n" };
      if (!b) return { error: "a Kconfig choice is selected with y; pick the page size you mean" };
      return { value: symbol.slice("CONFIG_ARM64_".length, -"_PAGES".length) as Arm64Pages };
    },
    impossible: () => null,
  },
  {
    key: "MHP_DEFAULT_ONLINE_TYPE",
    doc: "the online type of hot-added memory (auto_online_blocks at boot): offline, online, online_kernel, online_movable",
    symbols: ["CONFIG_MHP_DEFAULT_ONLINE_TYPE", ...Object.keys(ONLINE_CHOICES), "CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE"],
    parse(symbol, v) {
      if (symbol === "CONFIG_MHP_DEFAULT_ONLINE_TYPE") {
        const t = ONLINE_TYPES.find((o) => o === v);
        return t ? { value: t } : { error: `expected one of ${ONLINE_TYPES.join(", ")}` };
      }
      const b = yesNo(v);
      if (b === null) return { error: "expected y or n" };
      if (symbol === "CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE") return { value: b ? "online" : "offline" };
      if (!b) return { error: "a Kconfig choice is selected with y; pick the one you mean" };
      return { value: ONLINE_CHOICES[symbol] };
    },
    impossible(value, version) {
      if ((value === "online_kernel" || value === "online_movable") && compareVersions(version, "6.14") < 0)
        return `the build-time default online type ${value} exists from Linux 6.14 on (before, CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE gives only online or offline)`;
      return null;
    },
  },
  {
    key: "MHP_MEMMAP_ON_MEMORY",
    doc: "memory_hotplug.memmap_on_memory is built (y) or absent (n)",
    symbols: ["CONFIG_MHP_MEMMAP_ON_MEMORY"],
    parse(_symbol, v) {
      const b = yesNo(v);
      return b === null ? { error: "expected y or n" } : { value: b };
    },
    impossible(value, version) {
      if (value === true && compareVersions(version, "5.13") < 0) return "CONFIG_MHP_MEMMAP_ON_MEMORY exists from Linux 5.13 on";
      return null;
    },
  },
];

export interface Preset {
  readonly name: string;
  readonly description: string;
  /** The kernel version the distribution ships. */
  readonly version: string;
  /** The architecture the build is for. */
  readonly arch: ArchFamily;
  readonly config: KernelConfig;
  /** Where the values come from: the distribution's config file (its hotplug lines are in test/kernel-configs/FILE), and traces that show them. */
  readonly evidence: string;
}

/** Every hotplug option of the amd64 builds is set. */
const AMD64 = { ZONE_DEVICE: true, ACPI_HOTPLUG_MEMORY: true, FIRMWARE_MEMMAP: true } as const;
/** Debian's arm64 builds: no ACPI memory hotplug driver, no firmware memmap (ZONE_DEVICE per version). */
const ARM64 = { ACPI_HOTPLUG_MEMORY: false, FIRMWARE_MEMMAP: false } as const;

export const PRESETS: readonly Preset[] = [
  {
    name: "debian-11",
    description: "Debian 11 (bullseye), linux-image-5.10.0-46-amd64",
    version: "5.10",
    arch: "x86_64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: false, ...AMD64 },
    evidence: "config-5.10.0-46-amd64",
  },
  {
    name: "debian-12",
    description: "Debian 12 (bookworm), linux-image-6.1.0-56-amd64 and -57",
    version: "6.1",
    arch: "x86_64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: true, ...AMD64 },
    evidence: "config-6.1.0-57-amd64",
  },
  {
    name: "debian-13",
    description: "Debian 13 (trixie), linux-image-6.12.118+deb13-amd64 (CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO=y)",
    version: "6.12",
    arch: "x86_64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true, ...AMD64 },
    evidence: "config-6.12.118+deb13-amd64",
  },
  {
    name: "debian-unstable",
    description: "Debian unstable (sid/forky), linux-image-7.2.13+deb14-amd64 (CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO=y)",
    version: "7.2",
    arch: "x86_64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true, ...AMD64 },
    evidence: "config-7.2.13+deb14-amd64",
  },
  {
    name: "debian-12-arm64",
    description: "Debian 12 (bookworm), linux-image-6.1.0-57-arm64: no ZONE_DEVICE, no ACPI memory hotplug",
    version: "6.1",
    arch: "arm64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: true, ZONE_DEVICE: false, ...ARM64, ARM64_PAGES: "4K" },
    evidence:
      "config-6.1.0-57-arm64; ../shared/conformance/arm64/traces/6.1: dax_pmem absent (boot.modprobe_errors), no Device zone, raw namespace only (arm64-nvdimm-kmem), a DIMM adds nothing (arm64-dimm-online-movable)",
  },
  {
    name: "debian-13-arm64",
    description: "Debian 13 (trixie), linux-image-6.12.118+deb13-arm64: ZONE_DEVICE, no ACPI memory hotplug",
    version: "6.12",
    arch: "arm64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true, ZONE_DEVICE: true, ...ARM64, ARM64_PAGES: "4K" },
    evidence: "config-6.12.118+deb13-arm64; ../shared/conformance/arm64/traces/6.12: devdax and kmem (arm64-nvdimm-kmem), a DIMM adds nothing (arm64-dimm-online-movable)",
  },
  {
    name: "debian-13-arm64-16k",
    description: "Debian 13 (trixie), linux-image-6.12.118+deb13-arm64-16k: 16K pages",
    version: "6.12",
    arch: "arm64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true, ZONE_DEVICE: true, ...ARM64, ARM64_PAGES: "16K" },
    evidence: "config-6.12.118+deb13-arm64-16k",
  },
  {
    name: "debian-unstable-arm64",
    description: "Debian unstable (sid/forky), linux-image-7.2.13+deb14-arm64",
    version: "7.2",
    arch: "arm64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true, ZONE_DEVICE: true, ...ARM64, ARM64_PAGES: "4K" },
    evidence: "config-7.2.13+deb14-arm64",
  },
  {
    name: "debian-unstable-arm64-16k",
    description: "Debian unstable (sid/forky), linux-image-7.2.13+deb14-arm64-16k: 16K pages",
    version: "7.2",
    arch: "arm64",
    config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true, ZONE_DEVICE: true, ...ARM64, ARM64_PAGES: "16K" },
    evidence: "config-7.2.13+deb14-arm64-16k",
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/**
 * The distribution build of a version for an architecture (arm64: with that
 * page size; default 4K); undefined when no distribution builds it.
 * Architectures without presets of their own (ppc64, s390x: synthetic
 * machines only) take the amd64 build.
 */
export function defaultPreset(version: string, arch: ArchFamily = "x86_64", pages?: Arm64Pages): Preset | undefined {
  const family = arch === "arm64" ? "arm64" : "x86_64";
  return PRESETS.find((p) => p.version === version && p.arch === family && (family !== "arm64" || p.config.ARM64_PAGES === (pages ?? "4K")));
}

/** Is the kernel built with `opt`? */
export function built(k: { config: KernelConfig }, opt: "ZONE_DEVICE" | "ACPI_HOTPLUG_MEMORY" | "FIRMWARE_MEMMAP"): boolean {
  return k.config[opt];
}

/** The option a Kconfig symbol (with or without CONFIG_) sets. */
export function optionOfSymbol(symbol: string): { option: ConfigOption; symbol: string } | undefined {
  const s = symbol.startsWith("CONFIG_") ? symbol : `CONFIG_${symbol}`;
  const option = CONFIG_OPTIONS.find((o) => o.symbols.includes(s));
  return option ? { option, symbol: s } : undefined;
}
