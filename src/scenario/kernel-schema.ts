/**
 * `machine.kernel` in a scenario: which kernel runs it, as a version, or as
 * `{version, preset, config: {CONFIG_…: value}}` (profile.ts). Validated here
 * against the profiles so that an unknown version, an unknown option or a
 * build that cannot exist is a located error at load time.
 */
import { z } from "zod";
import { KernelSpecError, resolveKernel, VERSIONS, type KernelSpec } from "../kernel/profile.js";
import { PRESETS } from "../kernel/profiles/config.js";

type Issue = { code: "custom"; message: string; input: unknown; path?: PropertyKey[] };
type Ctx = { issues: { push(issue: Issue): void } };

const KEYS = ["version", "preset", "config"];

/** YAML reads `5.10` as the number 5.1: say so rather than naming a version nobody wrote. */
function versionText(v: unknown, ctx: Ctx, path: PropertyKey[]): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) {
    const s = String(v);
    if (VERSIONS.some((x) => x.version === s)) return s;
    const padded = VERSIONS.find((x) => x.version.startsWith(s) && x.version.length > s.length);
    if (padded) ctx.issues.push({ code: "custom", message: `the number ${s} is not a kernel version: quote it ("${padded.version}"), YAML reads ${padded.version} as ${s}`, input: v, path });
    else ctx.issues.push({ code: "custom", message: `unknown kernel version ${s} (known: ${VERSIONS.map((x) => x.version).join(", ")}); write versions as strings`, input: v, path });
    return undefined;
  }
  ctx.issues.push({ code: "custom", message: `a kernel version is a string such as "6.12", not ${v === null ? "null" : typeof v}`, input: v, path });
  return undefined;
}

/** Parse and check a `kernel` value; issues are pushed with paths relative to it. */
export function parseKernelField(v: unknown, ctx: Ctx): KernelSpec | undefined {
  if (v === undefined || v === null) return undefined;
  let spec: KernelSpec;
  if (typeof v === "string" || typeof v === "number") {
    const version = versionText(v, ctx, []);
    if (version === undefined) return undefined;
    spec = { version };
  } else if (typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    let bad = false;
    for (const k of Object.keys(o)) {
      if (!KEYS.includes(k)) {
        ctx.issues.push({ code: "custom", message: `unknown key "${k}" in kernel (known: ${KEYS.join(", ")})`, input: o[k], path: [k] });
        bad = true;
      }
    }
    spec = {};
    if (o.version !== undefined && o.version !== null) {
      const version = versionText(o.version, ctx, ["version"]);
      if (version === undefined) bad = true;
      else spec.version = version;
    }
    if (o.preset !== undefined && o.preset !== null) {
      if (typeof o.preset !== "string") {
        ctx.issues.push({ code: "custom", message: "preset is a name such as debian-13", input: o.preset, path: ["preset"] });
        bad = true;
      } else spec.preset = o.preset;
    }
    if (o.config !== undefined && o.config !== null) {
      if (typeof o.config !== "object" || Array.isArray(o.config)) {
        ctx.issues.push({ code: "custom", message: "config is a map of Kconfig options to values, e.g. {CONFIG_MHP_MEMMAP_ON_MEMORY: n}", input: o.config, path: ["config"] });
        bad = true;
      } else spec.config = { ...(o.config as Record<string, unknown>) };
    }
    if (bad) return undefined;
  } else {
    ctx.issues.push({ code: "custom", message: 'kernel is a version ("6.12") or {version, preset, config}', input: v });
    return undefined;
  }
  try {
    // The machine's architecture is checked with the machine (machine-kernel.ts).
    resolveKernel(spec, "x86_64", { buildArch: "x86_64" });
  } catch (e) {
    if (!(e instanceof KernelSpecError)) throw e;
    ctx.issues.push({ code: "custom", message: e.message, input: v, path: e.path });
    return undefined;
  }
  return spec;
}

const VERSION_AS_WRITTEN = { anyOf: [{ type: "string", enum: VERSIONS.map((v) => v.version) }, { type: "number" }] };

/** What the field may look like as written (for the JSON Schemas, json-schema.ts). */
const AS_WRITTEN = {
  description: `memhp: the kernel to model — a version (${VERSIONS.map((v) => v.version).join(", ")}; default 6.1) or {version, preset, config}: a build configuration preset (${PRESETS.map((p) => p.name).join(", ")}; default: the version's distribution build) and Kconfig options over it (e.g. {CONFIG_MHP_DEFAULT_ONLINE_TYPE: online, CONFIG_MHP_MEMMAP_ON_MEMORY: n}).`,
  anyOf: [
    VERSION_AS_WRITTEN.anyOf[0],
    VERSION_AS_WRITTEN.anyOf[1],
    {
      type: "object",
      additionalProperties: false,
      properties: {
        version: VERSION_AS_WRITTEN,
        preset: { type: "string", enum: PRESETS.map((p) => p.name) },
        config: { type: "object", additionalProperties: { anyOf: [{ type: "string" }, { type: "boolean" }, { type: "integer" }] } },
      },
    },
    { type: "null" },
  ],
};

export const KernelField = z
  .unknown()
  .transform((v, ctx) => parseKernelField(v, ctx))
  .meta(AS_WRITTEN);
