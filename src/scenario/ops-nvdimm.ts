/** nvdimm / dax / kmem steps (create-namespace, destroy-namespace, reconfigure-dax, ndctl, daxctl). Placeholder. */
import type { System } from "../machine/system.js";
import type { RawStep } from "./runner.js";

export function initNvdimm(_sys: System, _imported: boolean): void {}

/** Returns the step result, or undefined when the op is not one of ours. */
export function applyNvdimmStep(_sys: System, _step: RawStep): unknown | undefined {
  return undefined;
}

/** `ndctl list -DRNi` / `daxctl list -RDi` JSON when those buses have devices. */
export function nvdimmSnapshot(_sys: System): Record<string, unknown> | undefined {
  return undefined;
}
