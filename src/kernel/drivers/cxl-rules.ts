/**
 * What differs in the CXL bus between the kernels (and the QEMU each needs)
 * as named rules with their evidence: ../shared/conformance/cxl/traces/
 * {6.1,6.12,7.2}. 6.1 runs under QEMU 7.2, 6.12 and 7.2 need QEMU 10.0
 * (cxl_pci wants event interrupts), whose HDM decoders come four to a
 * component block where QEMU 7.2 has one.
 */
import { KiB } from "../units.js";

export interface RegClaim {
  start: number;
  size: number;
  /** "port": the port's name; "memdev": the memdev's; else the name itself. */
  name: string;
}

export interface CxlRules {
  /** HDM decoders per host bridge / device (QEMU 7.2: 1; QEMU 10.0: 4). Evidence: decoder1.0-1.3 in 6.12/7.2 traces. */
  hdmDecoders: number;
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
  /** Committing a region needs cpu_cache_invalidate_memregion() (6.2+): refused under a hypervisor. */
  commitNeedsCacheInvalidate: boolean;
  /** Ram regions become dax regions through dax_cxl (6.3+). */
  daxCxl: boolean;
}

const HDM = { off: 0x1128, size: 0x90 };
const RAS = { off: 0x1080, size: 0x58 };

/** Linux 6.1 (Debian 6.1.0-57) on QEMU 7.2: whole 64 KiB component blocks claimed by the port. */
const V6_1: CxlRules = {
  hdmDecoders: 1,
  rootDportIsPciHost: false,
  dportsOnlyWithDevices: false,
  bridgeWithoutPmem: false,
  componentClaims: (b) => [{ start: b, size: 64 * KiB, name: "port" }],
  endpointClaims: (b) => [{ start: b, size: 64 * KiB, name: "port" }],
  dportClaims: () => [],
  commitNeedsCacheInvalidate: false,
  daxCxl: false,
};

/** Linux 6.12 on QEMU 10.0: per-capability claims (HDM by the port, RAS by the PCI device / memdev). */
const V6_12: CxlRules = {
  ...V6_1,
  hdmDecoders: 4,
  rootDportIsPciHost: true,
  componentClaims: (b) => [{ start: b + HDM.off, size: HDM.size, name: "port" }],
  endpointClaims: (b, bdf) => [
    { start: b + RAS.off, size: RAS.size, name: bdf },
    { start: b + HDM.off, size: HDM.size, name: "port" },
  ],
  dportClaims: (b) => [{ start: b + RAS.off, size: RAS.size, name: "memdev" }],
  commitNeedsCacheInvalidate: true,
  daxCxl: true,
};

/** Linux 7.2 on QEMU 10.0: RAS claimed by the ports, dports enumerated when a device appears below. */
const V7_2: CxlRules = {
  ...V6_12,
  dportsOnlyWithDevices: true,
  bridgeWithoutPmem: true,
  endpointClaims: (b) => [
    { start: b + RAS.off, size: RAS.size, name: "port" },
    { start: b + HDM.off, size: HDM.size, name: "port" },
  ],
  dportClaims: (b) => [{ start: b + RAS.off, size: RAS.size, name: "port" }],
};

/** The rules of a kernel profile, or null for kernels before CXL regions (v6.0). */
export function cxlRules(profile: string): CxlRules | null {
  if (profile === "5.2" || profile === "5.10") return null;
  if (profile === "7.2") return V7_2;
  if (profile === "6.12") return V6_12;
  return V6_1;
}
