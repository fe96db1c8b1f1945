/**
 * The CXL bus's view of the version rules (profiles/rules-cxl.ts, with
 * their evidence): which register blocks a kernel claims in /proc/iomem,
 * how many HDM decoders the guest sees, how ports list their dports.
 */
import { KiB } from "../units.js";
import type { Kernel } from "../kernel.js";
import type { CxlRegClaims } from "../profiles/rules-cxl.js";

export interface RegClaim {
  start: number;
  size: number;
  /** "port": the port's name; "memdev": the memdev's; else the name itself. */
  name: string;
}

export interface CxlRules {
  /** HDM decoders per host bridge / device (QEMU 7.2: 1; QEMU 10.0: 4). Evidence: decoder1.0-1.3 in 6.12/7.2 traces. */
  hdmDecoders: number;
  /** Which host bridge ports get one passthrough decoder (profiles/rules-cxl.ts cxlPassthroughPorts). */
  passthroughPorts: "one-dport" | "no-hdm";
  /** cxl_mem owns the memdev's nvdimm (profiles/rules-cxl.ts cxlMemOwnsNvdimm). */
  memOwnsNvdimm: boolean;
  /** Endpoint decoders pick a DPA partition (profiles/rules-cxl.ts cxlDecoderPartitions). */
  decoderPartitions: boolean;
  /** The root port's dports are the PCI host bridges (pci0000:0c, alias ACPI0016:00). Evidence: 6.12 `cxl list` dports. */
  rootDportIsPciHost: boolean;
  /** A host bridge port lists only the root ports with a device below (7.2: nr_dports 1 of 2). */
  dportsOnlyWithDevices: boolean;
  /** The nvdimm bridge registers its nd bus even with no persistent device (7.2 ram trace). */
  bridgeWithoutPmem: boolean;
  /** iomem claims of a host bridge's component registers. */
  componentClaims(base: number): RegClaim[];
  /** iomem claims of an endpoint's component registers (BAR0). */
  endpointClaims(base: number, bdf: string): RegClaim[];
  /** iomem claims in the root port's component registers (its RAS capability, mapped for the dport). */
  dportClaims(base: number): RegClaim[];
  /** iomem claims of a CXL switch's upstream port registers (BAR0) by its port (test/oracle/cxl/cxl-probe97-switch-*). */
  switchClaims(base: number): RegClaim[];
  /** Committing a region needs cpu_cache_invalidate_memregion() (6.2+): refused under a hypervisor. */
  commitNeedsCacheInvalidate: boolean;
  /** Ram regions become dax regions through dax_cxl (6.3+). */
  daxCxl: boolean;
  /** cxl_dax_region probes asynchronously: after the region's bind. */
  daxCxlAsync: boolean;
}

const HDM = { off: 0x1128, size: 0x90 };
const RAS = { off: 0x1080, size: 0x58 };

const CLAIMS: Record<CxlRegClaims, Pick<CxlRules, "componentClaims" | "endpointClaims" | "dportClaims" | "switchClaims">> = {
  // Whole 64 KiB component blocks claimed by the port.
  "component-block": {
    componentClaims: (b) => [{ start: b, size: 64 * KiB, name: "port" }],
    endpointClaims: (b) => [{ start: b, size: 64 * KiB, name: "port" }],
    dportClaims: () => [],
    switchClaims: (b) => [{ start: b, size: 64 * KiB, name: "port" }],
  },
  // Per capability: HDM by the port, RAS by the PCI device (endpoint) and the memdev (its root port).
  "capabilities-ras-by-device": {
    componentClaims: (b) => [{ start: b + HDM.off, size: HDM.size, name: "port" }],
    endpointClaims: (b, bdf) => [
      { start: b + RAS.off, size: RAS.size, name: bdf },
      { start: b + HDM.off, size: HDM.size, name: "port" },
    ],
    dportClaims: (b) => [{ start: b + RAS.off, size: RAS.size, name: "memdev" }],
    // The switch port maps its HDM decoders only.
    switchClaims: (b) => [{ start: b + HDM.off, size: HDM.size, name: "port" }],
  },
  // Per capability, RAS claimed by the ports.
  "capabilities-ras-by-port": {
    componentClaims: (b) => [{ start: b + HDM.off, size: HDM.size, name: "port" }],
    endpointClaims: (b) => [
      { start: b + RAS.off, size: RAS.size, name: "port" },
      { start: b + HDM.off, size: HDM.size, name: "port" },
    ],
    dportClaims: (b) => [{ start: b + RAS.off, size: RAS.size, name: "port" }],
    switchClaims: (b) => [
      { start: b + RAS.off, size: RAS.size, name: "port" },
      { start: b + HDM.off, size: HDM.size, name: "port" },
    ],
  },
};

/** The CXL rules of a kernel (profiles/rules-cxl.ts), or null for kernels before CXL regions (v6.0). */
export function cxlRules(k: Kernel): CxlRules | null {
  const r = k.rules;
  if (!r.cxlRegions) return null;
  return {
    hdmDecoders: r.cxlHdmDecoders,
    passthroughPorts: r.cxlPassthroughPorts,
    decoderPartitions: r.cxlDecoderPartitions,
    memOwnsNvdimm: r.cxlMemOwnsNvdimm,
    rootDportIsPciHost: r.cxlRootDportIsPciHost,
    dportsOnlyWithDevices: r.cxlDportsOnlyWithDevices,
    bridgeWithoutPmem: r.cxlBridgeWithoutPmem,
    commitNeedsCacheInvalidate: r.cxlCommitInvalidatesCaches,
    daxCxl: r.cxlRamRegions,
    daxCxlAsync: r.cxlDaxRegionAsyncProbe,
    ...CLAIMS[r.cxlRegClaims],
  };
}
