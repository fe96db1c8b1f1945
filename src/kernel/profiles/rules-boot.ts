/**
 * What a version's boot shows that the model derives: the Debian build's
 * kernel image resources, platform resource names in /proc/iomem.
 */
import { rule } from "./rule.js";

export interface ImageResource {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

const image = (code: number, rodata: [number, number], data: [number, number], bss: [number, number]): ImageResource[] => [
  { name: "Kernel code", start: 0x01000000, end: code },
  { name: "Kernel rodata", start: rodata[0], end: rodata[1] },
  { name: "Kernel data", start: data[0], end: data[1] },
  { name: "Kernel bss", start: bss[0], end: bss[1] },
];

export const BOOT_RULES = {
  kernelImage: rule<readonly ImageResource[]>(
    "the kernel image's resources in /proc/iomem (Debian amd64 build, nokaslr): constants of the build",
    image(0x01c023f1, [0x01e00000, 0x0257afff], [0x02600000, 0x0287c3ff], [0x02ec0000, 0x03ffffff]),
    "bullseye/*.json boot iomem (linux-image-5.10.0-46-amd64)",
    [
      { since: "6.1", value: image(0x01e01d31, [0x02000000, 0x028eafff], [0x02a00000, 0x02c4897f], [0x03310000, 0x043fffff]), evidence: "traces/*.json boot iomem (linux-image-6.1.0-56-amd64, -57 the same)" },
      { since: "6.12", value: image(0x01ffffff, [0x02000000, 0x02b8ffff], [0x02c00000, 0x02e70d7f], [0x0373c000, 0x03bfffff]), evidence: "trixie/*.json boot iomem (linux-image-6.12.118+deb13-amd64)" },
      { since: "7.2", value: image(0x022ca8df, [0x02400000, 0x03162fff], [0x03200000, 0x0355b8ff], [0x03e50000, 0x041fffff]), evidence: "sid/*.json boot iomem (linux-image-7.2.13+deb14-amd64)" },
    ],
  ),
  arm64Build: rule<"6.1" | "6.12" | "7.2">(
    "which Debian arm64 build's boot data applies on QEMU virt (EFI stub image placement, initrd size, edk2 allocations, the kernel's early memblock allocations): machine/arm64-builds.ts ARM64_BUILDS",
    "6.1",
    "conformance/arm64/traces/6.1 and test/oracle/arm64 (linux-image-6.1.0-57-arm64)",
    [
      { since: "6.12", arch: "arm64", value: "6.12", evidence: "conformance/arm64/traces/6.12 (linux-image-6.12.118+deb13-arm64)" },
      { since: "7.2", arch: "arm64", value: "7.2", evidence: "test/oracle/arm64/memblock/*.sid.json and the arm64-*.sid recordings (linux-image-7.2.13+deb14-arm64)" },
    ],
  ),
  crashkernelReserve: rule<"x86-6.1" | "generic">(
    "how x86's reserve_crashkernel() searches for crashkernel= (kernel/crash-reserve.ts reserveCrashkernel()): its own code (a plain request below 4 GiB, then anywhere; ,high anywhere; @offset 1 MiB-aligned) or reserve_crashkernel_generic() (,high above 4 GiB first, then below; @offset 16 MiB-aligned)",
    "x86-6.1",
    "traces/x-probe11-crashkernel.json and x-probe53-crashkernel-*.json boot iomem (linux-image-6.1.0-57-amd64)",
    [{ since: "6.7", arch: "x86_64", value: "generic", evidence: "commit 9c08a2a139fe (x86: kdump: use generic interface to simplify crashkernel reservation code), v6.7; kernels/trixie and kernels/sid/x-probe53-crashkernel-*.json reproduce, though on those machines (no RAM above 4 GiB) both searches place the same ranges" }],
  ),
  localApicResource: rule("/proc/iomem has the Local APIC's \"fee00000-fee00fff : Local APIC\" resource", true, "traces/boot-1g.json boot iomem", [
    { since: "6.12", value: false, evidence: "trixie/boot-1g.json boot iomem: no Local APIC line" },
  ]),
  ecamResourceName: rule<string>("the name of the PCI MMCONFIG/ECAM area in /proc/iomem (q35)", "PCI MMCONFIG", "traces/boot-4g-q35.json boot iomem", [
    { since: "6.12", value: "PCI ECAM", evidence: "trixie/boot-4g-q35.json boot iomem: \"PCI ECAM 0000 [bus 00-ff]\"" },
  ]),
  pnpSystemResourceNames: rule<"pnp" | "acpi">(
    "the name the motherboard-resources driver (PNP0C01/PNP0C02) gives the regions it reserves: \"pnp 00:05\" (PNP device) or \"PNP0C01:00\" (ACPI device)",
    "pnp",
    "traces/boot-4g-q35.json and trixie/boot-4g-q35.json: \"pnp 00:05\"",
    [{ since: "7.2", value: "acpi", evidence: "sid/boot-4g-q35.json boot iomem: \"PNP0C01:00\"" }],
  ),
  iomemMaxDepth: rule("how deep /proc/iomem indents (r_show()'s MAX_IORES_LEVEL): deeper resources print at this depth", 5, "kernel/resource.c (6.1, 6.12: MAX_IORES_LEVEL = 5); test/oracle/cxl/cxl-probe103-cascaded-switches.trixie (a device below two switches printed at depth 5)", [
    { since: "7.2", value: 8, evidence: "test/oracle/cxl/cxl-probe103-cascaded-switches.sid (depth 7 under two switches); kernel/resource.c in 7.1 (MAX_IORES_LEVEL = 8)" },
  ]),
  nodeMemoryFailureEntry: rule("a node directory holds a memory_failure entry (memory failure statistics) beside its memoryN links", false, "traces/boot-1g.json boot node links", [
    { since: "6.12", value: true, evidence: "trixie/boot-1g.json and sid/boot-1g.json boot: node0 lists memory_failure" },
  ]),
} as const;
