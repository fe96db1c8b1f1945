/**
 * The build configuration, an input of its own beside the version: the
 * Kconfig options that change what memory hotplug does, and the presets of
 * the distributions the real-kernel traces come from. A scenario picks a
 * preset and overrides single options (machine.kernel.config).
 * Add an option: one entry in CONFIG_OPTIONS (and the field in KernelConfig);
 * add a preset: one entry in PRESETS.
 */
import type { OnlineType } from "../kernel.js";
import { compareVersions } from "./version.js";

export interface KernelConfig {
  /** CONFIG_MHP_DEFAULT_ONLINE_TYPE_* (v6.14; before: CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE, online or offline): auto_online_blocks at boot. */
  readonly MHP_DEFAULT_ONLINE_TYPE: OnlineType;
  /** CONFIG_MHP_MEMMAP_ON_MEMORY (v5.13): the memory_hotplug.memmap_on_memory parameter exists. */
  readonly MHP_MEMMAP_ON_MEMORY: boolean;
  /** CONFIG_ZONE_DEVICE, CONFIG_ACPI_HOTPLUG_MEMORY, CONFIG_FIRMWARE_MEMMAP: absent, the architecture's Debian build decides (kernel/arch-config.ts). */
  readonly ZONE_DEVICE?: boolean;
  readonly ACPI_HOTPLUG_MEMORY?: boolean;
  readonly FIRMWARE_MEMMAP?: boolean;
}

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

/** A y/n option whose default is the architecture's Debian build (arch-config.ts). */
const archOption = (key: "ZONE_DEVICE" | "ACPI_HOTPLUG_MEMORY" | "FIRMWARE_MEMMAP", doc: string): ConfigOption => ({
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
  archOption("ZONE_DEVICE", "ZONE_DEVICE and memremap_pages(): fsdax/devdax namespaces, dax kmem on NVDIMMs (Debian arm64: from 6.12)"),
  archOption("ACPI_HOTPLUG_MEMORY", "the ACPI memory device driver (PNP0C80): DIMMs hot-add memory (Debian arm64: never)"),
  archOption("FIRMWARE_MEMMAP", "/sys/firmware/memmap (Debian arm64: not set)"),
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
  readonly config: KernelConfig;
}

export const PRESETS: readonly Preset[] = [
  { name: "debian-11", description: "Debian 11 (bullseye), linux-image-5.10.0-46-amd64", version: "5.10", config: { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: false } },
  { name: "debian-12", description: "Debian 12 (bookworm), linux-image-6.1.0-56-amd64", version: "6.1", config: { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: true } },
  { name: "debian-13", description: "Debian 13 (trixie), linux-image-6.12.118+deb13-amd64 (CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE=y)", version: "6.12", config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true } },
  { name: "debian-unstable", description: "Debian unstable (sid/forky), linux-image-7.2.13+deb14-amd64 (CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO=y)", version: "7.2", config: { MHP_DEFAULT_ONLINE_TYPE: "online", MHP_MEMMAP_ON_MEMORY: true } },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/** The option a Kconfig symbol (with or without CONFIG_) sets. */
export function optionOfSymbol(symbol: string): { option: ConfigOption; symbol: string } | undefined {
  const s = symbol.startsWith("CONFIG_") ? symbol : `CONFIG_${symbol}`;
  const option = CONFIG_OPTIONS.find((o) => o.symbols.includes(s));
  return option ? { option, symbol: s } : undefined;
}
