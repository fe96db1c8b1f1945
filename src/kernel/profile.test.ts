import { test } from "node:test";
import assert from "node:assert/strict";
import { KernelSpecError, nearestProfile, profileForRelease, resolveKernel, resolveRules, ruleSource, traceRelease, RULES, VERSIONS } from "./profile.js";
import { compareVersions, parseRelease } from "./profiles/version.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../testing/paths.js";

test("versions compare numerically, releases parse to major.minor", () => {
  assert.ok(compareVersions("5.10", "5.2") > 0);
  assert.ok(compareVersions("6.12", "6.1") > 0);
  assert.equal(compareVersions("6.1", "6.1.0"), 0);
  assert.equal(parseRelease("6.12.118+deb13-amd64")?.text, "6.12");
  assert.equal(parseRelease("Linux version 5.10.0-46-amd64 (debian-kernel@…)")?.text, "5.10");
  assert.equal(parseRelease("7.2")?.text, "7.2");
  assert.equal(parseRelease("vmlinuz"), null);
  assert.equal(parseRelease("6"), null);
});

test("nearest profile: the newest verified version at or below the release", () => {
  // The rule, on a fixed set of versions (which ones are verified changes as traces pass).
  const vs = ["5.2", "5.10", "6.1", "6.12", "7.2"].map((version) => ({ version, verified: version !== "5.2", whatIf: version === "5.2", preset: null, description: "" }));
  assert.equal(nearestProfile("6.18.44", vs)?.version, "6.12");
  assert.equal(nearestProfile("6.12.1", vs)?.version, "6.12");
  assert.equal(nearestProfile("6.11", vs)?.version, "6.1");
  assert.equal(nearestProfile("6.0", vs)?.version, "5.10");
  assert.equal(nearestProfile("8.0", vs)?.version, "7.2");
  // 5.2 is a what-if, never picked for a real release.
  assert.equal(nearestProfile("5.4", vs)?.version ?? null, null);
  const r = profileForRelease("6.18.44-cloud", vs);
  assert.deepEqual([r.version, r.exact], ["6.12", false]);
  assert.match(r.why, /Linux 6\.18\.44-cloud \(modelled with the 6\.12 profile: the newest verified at or below 6\.18\)/);
  assert.deepEqual([profileForRelease("6.1.0-56-amd64", vs).version, profileForRelease("6.1.0-56-amd64", vs).exact], ["6.1", true]);
  assert.equal(profileForRelease("4.19.0", vs).version, "5.10");
  // With the real table: 6.1 is verified, so 6.1.x is exact.
  assert.equal(profileForRelease("6.1.0-57-amd64").exact, true);
});

test("a trace's release comes from kernel, else kernel_version, else kernel_package", () => {
  assert.equal(traceRelease({ kernel: "6.12.118+deb13-amd64" }), "6.12.118+deb13-amd64");
  assert.equal(traceRelease({ kernel_version: "Linux version 5.10.0-46-amd64 (x) #1" }), "5.10.0-46-amd64");
  assert.equal(traceRelease({ kernel_package: "linux-image-7.2.13+deb14-amd64 7.2.13-1" }), "7.2.13+deb14-amd64");
  assert.equal(traceRelease({}), null);
});

test("rules resolve to the newest change at or below the version", () => {
  assert.equal(resolveRules("5.2").subsectionHotplug, false);
  assert.equal(resolveRules("5.10").subsectionHotplug, true);
  assert.equal(resolveRules("5.10").onlinePolicies, false);
  assert.equal(resolveRules("6.1").onlinePolicies, true);
  assert.equal(ruleSource("onlinePolicies", "5.10"), null);
  assert.equal(ruleSource("onlinePolicies", "6.12")?.since, "5.15");
  for (const [name, def] of Object.entries(RULES)) {
    assert.ok(def.doc && def.evidence, `${name} has a doc and evidence`);
    for (const c of def.changes) assert.ok(c.evidence && parseRelease(c.since), `${name} since ${c.since} has evidence`);
  }
});

test("configuration: the version's preset, overrides per option, impossible builds refused with a path", () => {
  assert.equal(resolveKernel(undefined).version, "6.1");
  assert.equal(resolveKernel(undefined).config.MHP_DEFAULT_ONLINE_TYPE, "offline");
  assert.equal(resolveKernel("6.12").config.MHP_DEFAULT_ONLINE_TYPE, "online");
  assert.equal(resolveKernel("6.12").preset, "debian-13");
  assert.equal(resolveKernel({ preset: "debian-11" }).version, "5.10");
  const o = resolveKernel({ version: "7.2", config: { CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE: "y", MHP_MEMMAP_ON_MEMORY: "n" } });
  assert.deepEqual(o.config, { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: false, ZONE_DEVICE: true, ACPI_HOTPLUG_MEMORY: true, FIRMWARE_MEMMAP: true });
  assert.deepEqual(o.overrides, { MHP_DEFAULT_ONLINE_TYPE: "offline", MHP_MEMMAP_ON_MEMORY: false });
  assert.equal(resolveKernel({ version: "6.12", config: { CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE: "n" } }).config.MHP_DEFAULT_ONLINE_TYPE, "offline");
  const err = (spec: Parameters<typeof resolveKernel>[0]) => {
    try {
      resolveKernel(spec);
    } catch (e) {
      assert.ok(e instanceof KernelSpecError);
      return { path: e.path, message: e.message };
    }
    assert.fail("no error");
  };
  assert.deepEqual(err("6.18").path, ["version"]);
  assert.match(err("6.18").message, /unknown kernel version "6\.18".*nearest profile at or below it is 6\.12/);
  assert.deepEqual(err({ version: "6.1", config: { CONFIG_NOPE: "y" } }).path, ["config", "CONFIG_NOPE"]);
  assert.deepEqual(err({ version: "5.10", config: { CONFIG_MHP_MEMMAP_ON_MEMORY: "y" } }).path, ["config", "CONFIG_MHP_MEMMAP_ON_MEMORY"]);
  assert.match(err({ version: "5.10", config: { CONFIG_MHP_MEMMAP_ON_MEMORY: "y" } }).message, /5\.13/);
  assert.deepEqual(err({ version: "6.12", config: { CONFIG_MHP_DEFAULT_ONLINE_TYPE: "online_movable" } }).path, ["config", "CONFIG_MHP_DEFAULT_ONLINE_TYPE"]);
  assert.deepEqual(err({ version: "5.10", preset: "debian-12" }).path, ["preset"]);
  assert.deepEqual(err({ preset: "fedora" }).path, ["preset"]);
  assert.deepEqual(err({ version: "6.1", config: { CONFIG_MHP_MEMMAP_ON_MEMORY: "maybe" } }).path, ["config", "CONFIG_MHP_MEMMAP_ON_MEMORY"]);
  assert.ok(VERSIONS.every((v) => resolveKernel(v.version).version === v.version));
});

test("docs/KERNELS.md's table of version differences names every rule", () => {
  const doc = readFileSync(join(REPO_ROOT, "docs", "KERNELS.md"), "utf8");
  const rows = new Set([...doc.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]));
  const missing = Object.keys(RULES).filter((name) => !rows.has(name));
  assert.deepEqual(missing, [], "rules without a row in docs/KERNELS.md");
});
