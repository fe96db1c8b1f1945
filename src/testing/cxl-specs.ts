/**
 * The CXL topology of test/oracle/cxl/cxl-probe78-ram-4g.trixie (one pxb-cxl
 * with two root ports, a 1 GiB volatile device behind the first, a 4 GiB
 * window), shared by the machine layer's tests.
 */
import { GiB } from "../kernel/units.js";
import type { CxlSpec } from "../machine/cxl-platform.js";
import type { MachineSpec } from "../machine/types.js";

export const CXL_ONE_VOLATILE: CxlSpec = {
  host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
  root_ports: [
    { id: "rp0", bus: "cxl.1", port: 0 },
    { id: "rp1", bus: "cxl.1", port: 1 },
  ],
  type3: [{ id: "vmem0", bus: "rp0", size: GiB, volatile: true }],
  windows: [{ targets: ["cxl.1"], size: 4 * GiB }],
};

/** One 1 GiB persistent device with a label area on a one-root-port bridge, 4 GiB window: the cxl_mem and DPA tests' machine on 7.2. */
export const CXL_ONE_PMEM_MACHINE: MachineSpec = {
  type: "q35",
  memory: GiB,
  cpu: "qemu64,hypervisor=off",
  kernel: { version: "7.2" },
  cmdline: ["memhp_default_state=offline"],
  cxl: {
    host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
    root_ports: [{ id: "rp0", bus: "cxl.1", port: 0 }],
    type3: [{ id: "pmem0", bus: "rp0", size: GiB, lsa_size: 256 * 1024, sn: 1 }],
    windows: [{ targets: ["cxl.1"], size: 4 * GiB }],
  },
};
