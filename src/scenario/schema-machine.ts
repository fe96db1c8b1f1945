/**
 * `machine` in a scenario: the QEMU machine (type, -m, maxmem, slots, CPUs,
 * NUMA nodes, NVDIMMs, virtio-mem devices, CXL), its kernel command line and
 * the kernel to model, as zod schemas with the checks QEMU makes on them.
 * Browser-safe: no I/O.
 */
import { z } from "zod";
import { KiB, MiB, formatSize, isPowerOfTwo } from "../kernel/units.js";
import type { MachineSpec, NumaNodeSpec, NvdimmSpec, VirtioMemSpec } from "../machine/types.js";
import { KernelField } from "./kernel-schema.js";
import { QEMU_VERSIONS, type QemuVersion } from "../machine/qemu-version.js";
import { CxlSchema } from "./schema-cxl.js";
import { cxlBusIssues, cxlSwitchIssues, withSwitches } from "./schema-cxl-switch.js";
import { virtMachineIssues } from "./virt-checks.js";
import { machineKernelIssues } from "./machine-kernel.js";
import { MAX_SLOTS, MAX_NUMA_NODES, opt, compact, sizeField, optSizeField, positive, NonNegInt, Id, CpuList, CmdlineWord } from "./schema-values.js";

/** `profile: 6.1`, the older spelling of `kernel: "6.1"` (a version with its default configuration). */
const Profile = KernelField;

export const NumaNodeSchema = z.strictObject({
  nodeid: opt(NonNegInt.max(MAX_NUMA_NODES - 1)),
  cpus: CpuList,
  mem: optSizeField("size"),
});

export const NvdimmSchema = z
  .strictObject({
    id: Id,
    size: sizeField("size", positive),
    addr: optSizeField("address"),
    label_size: optSizeField("size", (n) => (n >= 128 * KiB ? undefined : "label_size must be at least 128K (QEMU's minimum)")),
    node: opt(NonNegInt),
    slot: opt(NonNegInt),
  })
  .superRefine((d, ctx) => {
    if (d.label_size !== undefined && d.label_size >= d.size)
      ctx.addIssue({ code: "custom", path: ["label_size"], message: "label_size leaves no room for PMEM: it must be less than size (QEMU carves it off the end of the backend)" });
  })
  .transform((d): NvdimmSpec => compact(d));

export const VirtioMemSchema = z
  .strictObject({
    id: Id,
    size: sizeField("size", positive),
    block_size: optSizeField("size", (n) => (isPowerOfTwo(n) && n >= MiB ? undefined : "block_size must be a power of two of at least 1M")),
    requested_size: optSizeField("size"),
    node: opt(NonNegInt),
    addr: optSizeField("address"),
  })
  .superRefine((d, ctx) => {
    const bs = d.block_size ?? 2 * MiB;
    if (d.size % bs !== 0) ctx.addIssue({ code: "custom", path: ["size"], message: `size is not a multiple of block_size (${formatSize(bs)})` });
    const req = d.requested_size ?? 0;
    if (req > d.size) ctx.addIssue({ code: "custom", path: ["requested_size"], message: "requested_size is larger than size" });
    else if (req % bs !== 0) ctx.addIssue({ code: "custom", path: ["requested_size"], message: `requested_size is not a multiple of block_size (${formatSize(bs)})` });
    if (d.addr !== undefined && d.addr % bs !== 0) ctx.addIssue({ code: "custom", path: ["addr"], message: `addr is not a multiple of block_size (${formatSize(bs)})` });
  })
  .transform((d): VirtioMemSpec => compact({ ...d, block_size: d.block_size ?? 2 * MiB, requested_size: d.requested_size ?? 0 }));

/** `qemu: "10.0"` (YAML's 7.2 and 10.0 are numbers: taken as the release they spell). */
const QemuField = z
  .unknown()
  .transform((v, ctx): QemuVersion => {
    const text = typeof v === "number" ? (Number.isInteger(v) ? v.toFixed(1) : String(v)) : v;
    if (typeof text === "string" && (QEMU_VERSIONS as readonly string[]).includes(text)) return text as QemuVersion;
    ctx.addIssue({ code: "custom", message: `QEMU ${JSON.stringify(v)} is not modelled (releases: ${QEMU_VERSIONS.map((x) => `"${x}"`).join(", ")})` });
    return z.NEVER;
  })
  .meta({ anyOf: [{ type: "string", enum: [...QEMU_VERSIONS] }, { type: "number", enum: [7.2, 10] }] });

/** Keys the oracle accepts in `machine` that only concern the host or QEMU's command line: accepted, not used. */
export const IGNORED_MACHINE_KEYS = ["ram_noreserve", "machine_options"] as const;

export const MachineSchema = z
  .strictObject({
    type: opt(z.enum(["pc", "q35", "synthetic", "virt"])),
    memory: optSizeField("size", positive),
    maxmem: optSizeField("size"),
    slots: opt(NonNegInt),
    smp: opt(z.number().int().min(1)),
    cpu: z.unknown().optional(),
    acpi: opt(z.boolean()),
    firmware: z.union([z.string().min(1), z.null()]).optional(),
    cmdline: opt(z.array(CmdlineWord)),
    numa: opt(z.array(NumaNodeSchema)),
    nvdimms: opt(z.array(NvdimmSchema)),
    virtio_mem: opt(z.array(VirtioMemSchema)),
    block_size: optSizeField("size", (n) => (isPowerOfTwo(n) && n >= 128 * MiB ? undefined : "block_size must be a power of two of at least 128M (the section size)")),
    profile: Profile.optional(),
    kernel: KernelField.optional(),
    la57: opt(z.boolean()),
    arch: opt(z.enum(["x86_64", "arm64-4k", "arm64-16k", "arm64-64k", "ppc64", "ppc64-4k", "s390x"])),
    cxl: opt(CxlSchema),
    qemu: opt(QemuField),
    ram_noreserve: z.unknown().optional(),
    machine_options: z.unknown().optional(),
    extra_qemu_args: opt(
      z.array(z.string()).meta({
        description:
          "QEMU arguments the oracle appends after machine.cxl's devices: memhp reads CXL switches here (-device cxl-upstream / cxl-downstream / cxl-type3, -object memory-backend-ram / memory-backend-file) and refuses anything else.",
      }),
    ),
  })
  .superRefine((m, ctx) => {
    const type = m.type ?? "pc";
    const memory = m.memory ?? 1024 * MiB;
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (m.maxmem !== undefined && m.maxmem < memory) issue(["maxmem"], `maxmem (${formatSize(m.maxmem)}) is less than memory (${formatSize(memory)})`);
    if (m.slots !== undefined && m.slots > 0 && m.maxmem === undefined) issue(["slots"], "slots needs maxmem (the size of the hotplug area)");
    if (m.slots !== undefined && m.slots > 0 && m.maxmem === memory) issue(["maxmem"], "memory slots were given but maxmem equals memory (no room to hot-add)");
    if (m.profile !== undefined && m.kernel !== undefined) issue(["profile"], "give the kernel once: machine.kernel (profile is its older spelling)");
    if ((type === "pc" || type === "q35") && m.arch !== undefined && m.arch !== "x86_64") issue(["arch"], `arch ${m.arch} needs type: synthetic or virt (QEMU pc and q35 are x86_64)`);
    if (type === "virt") virtMachineIssues(m, issue);
    else for (const k of ["acpi", "firmware"] as const) if (m[k] !== undefined) issue([k], `${k} is a virt (arm64) machine option; this machine is ${type}`);
    if (m.arch === undefined || (type === "virt") === m.arch.startsWith("arm64") || type === "synthetic") machineKernelIssues({ type, arch: m.arch, kernel: m.kernel, profile: m.profile }, issue);
    if (type !== "synthetic" && m.slots !== undefined && m.slots > MAX_SLOTS) issue(["slots"], `at most ${MAX_SLOTS} slots (QEMU's ACPI_MAX_RAM_SLOTS)`);
    const numa = m.numa ?? [];
    const seen = new Map<number, number>();
    numa.forEach((n, i) => {
      const id = n.nodeid ?? i;
      const first = seen.get(id);
      if (first !== undefined) issue(n.nodeid === undefined ? ["numa", i] : ["numa", i, "nodeid"], `duplicate NUMA node id ${id} (also machine.numa[${first}])`);
      else seen.set(id, i);
    });
    if (type !== "synthetic" && numa.length) {
      const total = numa.reduce((s, n) => s + (n.mem ?? 0), 0);
      if (total !== memory) issue(["numa"], `the NUMA nodes' mem adds up to ${formatSize(total)}, not memory (${formatSize(memory)}): QEMU refuses to start`);
    }
    if (m.qemu !== undefined && type !== "pc" && type !== "q35") issue(["qemu"], `qemu names the QEMU of a pc or q35 machine; this machine is ${type}`);
    if (m.cxl && type !== "q35") issue(["cxl"], `CXL needs type: q35 (QEMU's cxl=on), not ${type}`);
    cxlSwitchIssues(m.cxl, m.extra_qemu_args, issue);
    cxlBusIssues(withSwitches(m.cxl, m.extra_qemu_args), issue);
    // pxb_dev_realize_common(): a host bridge's numa_node must be below the number of NUMA nodes.
    m.cxl?.host_bridges.forEach((h, i) => {
      if (h.numa_node !== undefined && h.numa_node >= numa.length) {
        issue(["cxl", "host_bridges", i, "numa_node"], `QEMU refuses the host bridge: Illegal numa node ${h.numa_node} (machine.numa has ${numa.length} node${numa.length === 1 ? "" : "s"})`);
      }
    });
    const hotplug = m.maxmem !== undefined && m.maxmem > memory;
    if (m.nvdimms?.length && !hotplug) issue(["nvdimms"], "NVDIMMs need maxmem greater than memory (QEMU's device memory region)");
    if (m.virtio_mem?.length && !hotplug) issue(["virtio_mem"], "virtio-mem devices need maxmem greater than memory (QEMU's device memory region)");
    if (m.nvdimms?.length && hotplug && m.nvdimms.length > (m.slots ?? 1)) issue(["nvdimms"], `${m.nvdimms.length} NVDIMMs but only ${m.slots ?? 1} memory slot(s)`);
    const ids = new Map<string, string>();
    for (const [list, key] of [
      [m.nvdimms ?? [], "nvdimms"],
      [m.virtio_mem ?? [], "virtio_mem"],
    ] as const) {
      list.forEach((d, i) => {
        const where = `machine.${key}[${i}]`;
        const first = ids.get(d.id);
        // id_wellformed(): QEMU names the device (and the QOM child, see machine/qom-order.ts) by it.
        if (type !== "synthetic" && !/^[A-Za-z][A-Za-z0-9._-]*$/.test(d.id)) {
          issue([key, i, "id"], `QEMU refuses the device id "${d.id}": Parameter 'id' expects an identifier (letters, digits, '-', '.', '_', starting with a letter)`);
        } else if (first !== undefined) issue([key, i, "id"], `duplicate device id "${d.id}" (also ${first})`);
        else ids.set(d.id, where);
      });
    }
  })
  .transform(
    (m): MachineSpec =>
      compact({
        type: m.type ?? "pc",
        memory: m.memory ?? 1024 * MiB,
        maxmem: m.maxmem,
        slots: m.slots,
        smp: m.smp,
        cpu: typeof m.cpu === "string" ? m.cpu : undefined,
        acpi: m.acpi,
        firmware: m.firmware,
        cmdline: m.cmdline ?? [],
        numa: m.numa?.map((n, i): NumaNodeSpec => compact({ nodeid: n.nodeid ?? i, cpus: n.cpus, mem: n.mem })),
        nvdimms: m.nvdimms,
        virtio_mem: m.virtio_mem,
        block_size: m.block_size,
        kernel: m.kernel ?? m.profile,
        la57: m.la57,
        arch: m.arch ?? (m.type === "virt" ? "arm64-4k" : undefined),
        cxl: withSwitches(m.cxl, m.extra_qemu_args),
        qemu: m.qemu,
      }),
  );
