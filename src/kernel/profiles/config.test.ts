import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../testing/paths.js";
import { CONFIG_OPTIONS, defaultPreset, optionOfSymbol, PRESETS, type KernelConfig } from "./config.js";
import { KernelSpecError, resolveKernel, VERSIONS } from "../profile.js";

const CONFIGS = join(REPO_ROOT, "test", "kernel-configs");

/** What a distribution config file says of memhp's options: `CONFIG_X=y|m|value` and `# CONFIG_X is not set` lines. */
function readConfig(file: string): Partial<KernelConfig> {
  const set = new Map<string, string>();
  for (const line of readFileSync(join(CONFIGS, file), "utf8").split("\n")) {
    const on = /^(CONFIG_\w+)=(.*)$/.exec(line);
    const off = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (on) set.set(on[1], on[2]);
    else if (off) set.set(off[1], "n");
  }
  const out: Record<string, unknown> = {};
  for (const [symbol, value] of set) {
    const o = optionOfSymbol(symbol);
    if (!o) continue;
    // A choice is given by its one selected symbol; the unselected ones say nothing.
    const isChoice = o.option.symbols.length > 1 && symbol !== "CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE";
    if (isChoice && value === "n") continue;
    const r = o.option.parse(symbol, value === "m" ? "y" : value);
    assert.ok(!("error" in r), `${file}: ${symbol}=${value}`);
    out[o.option.key] = (r as { value: unknown }).value;
  }
  // An option the file does not mention does not exist in that version (CONFIG_MHP_MEMMAP_ON_MEMORY before 5.13).
  if (!("MHP_MEMMAP_ON_MEMORY" in out)) out.MHP_MEMMAP_ON_MEMORY = false;
  return out as Partial<KernelConfig>;
}

test("every preset is its distribution's config file, option by option (test/kernel-configs)", () => {
  const files = readdirSync(CONFIGS).filter((f) => f.startsWith("config-"));
  assert.ok(files.length >= 9);
  for (const p of PRESETS) {
    const file = p.evidence.split(";")[0];
    assert.ok(files.includes(file), `${p.name}: evidence ${file} is in test/kernel-configs`);
    const fromFile = readConfig(file);
    for (const o of CONFIG_OPTIONS) assert.deepEqual(p.config[o.key], fromFile[o.key], `${p.name} ${o.key} (${file})`);
    assert.equal(p.arch === "arm64", file.includes("-arm64"), `${p.name}: arch ${p.arch} and ${file}`);
    assert.ok(file.includes(p.version === "6.1" ? "-6.1.0-" : `-${p.version}.`), `${p.name}: version ${p.version} and ${file}`);
  }
  for (const f of files) assert.ok(PRESETS.some((p) => p.evidence.startsWith(f)), `${f} is some preset's evidence`);
});

test("arm64 presets: Debian builds no ACPI memory hotplug and no firmware memmap; ZONE_DEVICE from 6.12", () => {
  const arm = PRESETS.filter((p) => p.arch === "arm64");
  assert.deepEqual(
    arm.map((p) => p.name),
    ["debian-12-arm64", "debian-13-arm64", "debian-13-arm64-16k", "debian-unstable-arm64", "debian-unstable-arm64-16k"],
  );
  for (const p of arm) assert.equal(p.config.ACPI_HOTPLUG_MEMORY || p.config.FIRMWARE_MEMMAP, false, p.name);
  assert.deepEqual(
    arm.map((p) => p.config.ZONE_DEVICE),
    [false, true, true, true, true],
  );
  for (const p of PRESETS.filter((x) => x.arch === "x86_64")) assert.ok(p.config.ZONE_DEVICE && p.config.ACPI_HOTPLUG_MEMORY && p.config.FIRMWARE_MEMMAP, p.name);
});

test("the preset is chosen from the machine's architecture, page size and the version", () => {
  assert.equal(resolveKernel("6.1", "arm64", { pages: "4K" }).preset, "debian-12-arm64");
  assert.equal(resolveKernel("6.12", "arm64").preset, "debian-13-arm64");
  assert.equal(resolveKernel("6.12", "arm64", { pages: "16K" }).preset, "debian-13-arm64-16k");
  assert.equal(resolveKernel("7.2", "arm64", { pages: "16K" }).preset, "debian-unstable-arm64-16k");
  assert.equal(resolveKernel("6.12", "x86_64").preset, "debian-13");
  // No version given: 6.1, or for 16K pages the first version Debian builds them for.
  assert.equal(resolveKernel(undefined, "arm64", { pages: "4K" }).version, "6.1");
  assert.equal(resolveKernel(undefined, "arm64", { pages: "16K" }).version, "6.12");
  // A synthetic machine's idealised kernel: the amd64 build whatever the geometry.
  assert.equal(resolveKernel("6.1", "arm64", { buildArch: "x86_64", pages: "64K" }).preset, "debian-12");
  for (const v of VERSIONS) if (defaultPreset(v.version, "arm64")) assert.equal(defaultPreset(v.version, "arm64")!.config.ARM64_PAGES, "4K");
});

test("arm64 builds are overridable option by option; a page size or arch without a build is refused", () => {
  const dimm = resolveKernel({ version: "6.1", config: { CONFIG_ACPI_HOTPLUG_MEMORY: "y" } }, "arm64", { pages: "4K" });
  assert.equal(dimm.preset, "debian-12-arm64");
  assert.equal(dimm.config.ACPI_HOTPLUG_MEMORY, true);
  assert.equal(dimm.config.ZONE_DEVICE, false);
  assert.deepEqual(dimm.overrides, { ACPI_HOTPLUG_MEMORY: true });
  const own64k = resolveKernel({ version: "6.12", config: { CONFIG_ARM64_64K_PAGES: "y" } }, "arm64", { pages: "64K" });
  assert.equal(own64k.preset, "debian-13-arm64");
  assert.equal(own64k.config.ARM64_PAGES, "64K");
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof KernelSpecError);
      return { path: e.path, message: e.message };
    }
    assert.fail("no error");
  };
  const p16 = err(() => resolveKernel("6.1", "arm64", { pages: "16K" }));
  assert.deepEqual(p16.path, []);
  assert.match(p16.message, /no arm64 build of Linux 6\.1 with 16K pages is modelled \(Debian builds 16K pages for 6\.12, 7\.2;/);
  assert.match(err(() => resolveKernel("6.12", "arm64", { pages: "64K" })).message, /no Debian arm64 kernel has 64K pages.*CONFIG_ARM64_64K_PAGES: y/);
  const old = err(() => resolveKernel("5.10", "arm64", { pages: "4K" }));
  assert.deepEqual(old.path, ["version"]);
  assert.match(old.message, /no arm64 build of Linux 5\.10 is modelled.*SECTION_SIZE_BITS 30/);
  assert.deepEqual(err(() => resolveKernel({ preset: "debian-13" }, "arm64", { pages: "4K" })).path, ["preset"]);
  assert.deepEqual(err(() => resolveKernel({ preset: "debian-13-arm64" }, "x86_64")).path, ["preset"]);
  assert.match(err(() => resolveKernel({ preset: "debian-13-arm64-16k" }, "arm64", { pages: "4K" })).message, /has 16K pages, the machine's arch has 4K/);
  assert.deepEqual(err(() => resolveKernel({ version: "6.12", config: { CONFIG_ARM64_16K_PAGES: "y" } }, "x86_64")).path, ["config", "CONFIG_ARM64_16K_PAGES"]);
  assert.match(err(() => resolveKernel({ version: "6.12", config: { CONFIG_ARM64_16K_PAGES: "n" } }, "arm64")).message, /Kconfig choice is selected with y/);
});
