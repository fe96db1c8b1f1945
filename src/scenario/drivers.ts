/**
 * Steps that go through device drivers and their user-space tools (ndctl,
 * daxctl, virtio-mem resizes), and the module loads the oracle performs after
 * boot (libnvdimm nd_btt nd_pmem nd_e820 nfit device_dax dax_pmem kmem
 * virtio_pci virtio_mem, in that order).
 */
import type { System } from "../machine/system.js";
import type { RawStep } from "./runner.js";
import { applyNvdimmStep, initNvdimm, nvdimmSnapshot } from "./ops-nvdimm.js";
import { applyVirtioMemStep, initVirtioMem } from "./ops-virtio-mem.js";
import { applyCxlStep, cxlSnapshot, initCxl } from "./ops-cxl.js";
import { memoryTiersInit } from "../kernel/memory-tier.js";

/** Module loads after boot: probe what the machine has. `imported`: the boot state came from a snapshot. */
export function initDrivers(sys: System, imported: boolean, bootDevices?: string[], raceChoices?: Record<string, number>): void {
  memoryTiersInit(sys.kernel);
  initNvdimm(sys, imported, bootDevices, raceChoices);
  initVirtioMem(sys, imported);
  initCxl(sys, imported ? bootDevices : undefined, raceChoices);
  sys.driverSnapshot = () => {
    const nd = nvdimmSnapshot(sys);
    const c = cxlSnapshot(sys);
    return nd || c ? { ...nd, ...c } : undefined;
  };
}

export function applyDriverStep(sys: System, step: RawStep): unknown {
  const r = applyNvdimmStep(sys, step) ?? applyVirtioMemStep(sys, step) ?? applyCxlStep(sys, step);
  if (r !== undefined) return r;
  return { error: `memhp: op "${step.op}" is not modelled`, unsupported: true };
}
