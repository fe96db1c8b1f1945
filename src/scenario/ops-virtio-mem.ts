/** virtio-mem steps (virtio-mem-resize). Placeholder. */
import type { System } from "../machine/system.js";
import type { RawStep } from "./runner.js";

export function initVirtioMem(_sys: System, _imported: boolean): void {}

/** Returns the step result, or undefined when the op is not one of ours. */
export function applyVirtioMemStep(_sys: System, _step: RawStep): unknown | undefined {
  return undefined;
}
