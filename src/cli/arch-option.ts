/** `--arch` values: an architecture name as memhp knows it (arch.ts), "arm64" meaning 4K pages. */
import { InputError } from "../errors.js";
import type { ArchName } from "../kernel/arch.js";

const ACCEPTED: Record<string, ArchName> = {
  x86_64: "x86_64",
  amd64: "x86_64",
  arm64: "arm64-4k",
  aarch64: "arm64-4k",
  "arm64-4k": "arm64-4k",
  "arm64-16k": "arm64-16k",
  "arm64-64k": "arm64-64k",
};

export function parseArchOption(v: string, field = "--arch"): ArchName {
  const a = ACCEPTED[v.toLowerCase()];
  if (!a) throw new InputError(`unknown architecture ${JSON.stringify(v)} (expected ${Object.keys(ACCEPTED).join(", ")})`, { field });
  return a;
}
