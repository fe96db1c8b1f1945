/**
 * Steps that go through device drivers and their user-space tools (ndctl,
 * daxctl, virtio-mem resizes), and the module loads the oracle performs after
 * boot. The persistent-memory work plugs its drivers in here.
 */
import type { System } from "../machine/system.js";
import type { RawStep } from "./runner.js";

/** Module loads after boot (libnvdimm, nd_e820, nfit, dax, kmem, virtio_mem): probe what the machine has. */
export function initDrivers(_sys: System, _imported: boolean): void {}

export function applyDriverStep(_sys: System, step: RawStep): unknown {
  return { error: `memhp: op "${step.op}" is not modelled yet`, unsupported: true };
}
