/**
 * JSON Schemas of memhp's input files, generated from the zod schemas the
 * loader validates with (so the two cannot drift apart): scenarios, machine
 * files (`memhp-machine/1`) and traces (`linux-memhp-oracle-trace/1`).
 *
 * A JSON Schema says what a file may look like as written (sizes as "512M"
 * or integers, null for an absent optional field); the rules that relate
 * fields to each other (maxmem at least memory, a NUMA layout adding up, a
 * virtio-mem size a multiple of its block size) stay with the loader, whose
 * messages are located. Editors use the schema through a first line such as
 * `# yaml-language-server: $schema=./scenario.schema.json`. Browser-safe.
 */
import { z } from "zod";
import { MachineSchema, ScenarioFileSchema, StepSchema, TRACE_FORMAT } from "./schema.js";
import { SnapshotSchema, TraceBodySchema } from "./trace-schema.js";

export const SCHEMA_KINDS = ["scenario", "machine", "trace"] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

/** The `format` of a machine file (machine-file.ts reads them; kept here so that this module stays light). */
export const MACHINE_FILE_FORMAT = "memhp-machine/1";

const ABOUT: Record<SchemaKind, { title: string; description: string }> = {
  scenario: {
    title: "memhp scenario",
    description: "A machine and the operations to run on it (the real-kernel recorder's scenario format, with memhp's extensions). Run it with `memhp run FILE`.",
  },
  machine: {
    title: "memhp machine file (memhp-machine/1)",
    description: "A machine imported from a real system or a dump (`memhp import`): its boot state as a snapshot, and steps to run on it.",
  },
  trace: {
    title: "memhp / oracle trace (linux-memhp-oracle-trace/1)",
    description: "A run recorded from a real kernel (or written by `memhp run --trace`): the scenario, the boot state and every step's result, log lines, uevents and state.",
  },
};

const MachineFileSchema = z.strictObject({
  format: z.literal(MACHINE_FILE_FORMAT),
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  machine: MachineSchema,
  snapshot: SnapshotSchema,
  import: z.looseObject({ source: z.string(), inferred: z.array(z.string()) }).optional(),
  steps: z.array(StepSchema).optional(),
});

/** The recorded parts as trace-schema.ts reads them (what conformance and import rely on), and the scenario as the loader reads it. */
const TraceFileSchema = TraceBodySchema.partial({ boot: true, steps: true }).extend({ format: z.literal(TRACE_FORMAT), scenario: ScenarioFileSchema });

const SCHEMAS: Record<SchemaKind, z.ZodType> = { scenario: ScenarioFileSchema, machine: MachineFileSchema, trace: TraceFileSchema };

/** What editors show on hover: fields by their place in a scenario (`machine.numa[].mem`), ops by name (`op:write`). */
const DOCS: Record<string, string> = {
  name: "The scenario's name (default: the file name without extension).",
  machine: "The QEMU machine the kernel boots on (-m, -M, NUMA, devices) and its kernel command line.",
  steps: "The operations, in order: each one QEMU or guest action, as the real-kernel recorder performs it.",
  "machine.type": "pc or q35 (QEMU 7.2 with SeaBIOS), virt (arm64: UEFI/ACPI or device-tree boot), or synthetic (memhp only: bare RAM from address 0, for scale).",
  "machine.acpi": "virt only: false boots from a device tree without firmware (acpi=off).",
  "machine.firmware": "virt only: the firmware image instead of edk2.",
  "machine.cxl": "CXL (q35 only): host bridges, root ports, type-3 memory devices and fixed memory windows.",
  "machine.qemu": 'The QEMU release, "7.2" or "10.0" (its SeaBIOS places PCI differently); default: 10.0 for CXL from Linux 6.12, else 7.2, or what a trace names.',
  "machine.memory": "Boot memory (QEMU -m), default 1G.",
  "machine.maxmem": "End of the hotplug area (QEMU -m maxmem=): room for DIMMs, NVDIMMs and virtio-mem devices.",
  "machine.slots": "Memory slots for DIMMs and NVDIMMs (QEMU -m slots=); needs maxmem.",
  "machine.smp": "Number of CPUs.",
  "machine.cmdline": "Extra kernel command-line words, one per element: memhp_default_state=…, movable_node, memmap=nn!ss, memory_hotplug.*=…",
  "machine.numa": "NUMA nodes (QEMU -numa node,…); their mem must add up to memory.",
  "machine.nvdimms": "NVDIMMs present at boot (QEMU nvdimm devices; needs maxmem and slots).",
  "machine.virtio_mem": "virtio-mem devices present at boot.",
  "machine.block_size": "memhp: force the memory block size (a power of two, at least 128M).",
  "machine.profile": "The older spelling of kernel.",
  "machine.la57": "5-level paging (52-bit physical addresses).",
  "machine.arch": "memhp: the architecture of a synthetic machine.",
  "machine.numa[].nodeid": "Node id (default: the position in the list).",
  "machine.numa[].cpus": 'CPUs of the node: "0", "0-1", "0,2".',
  "machine.numa[].mem": "Boot memory of the node.",
  "machine.nvdimms[].label_size": "Label area carved off the end of the backend (at least 128K); makes the NVDIMM labelled.",
  "machine.virtio_mem[].block_size": "The device block size (default 2M).",
  "machine.virtio_mem[].requested_size": "How much the device asks the guest to plug at boot (default 0).",
  "op:plug-dimm": "QEMU pc-dimm hot-add (backend and device_add); the guest's ACPI driver adds the memory.",
  "op:unplug-dimm": "QEMU device_del: an ACPI eject request; the guest offlines and removes the memory, or refuses.",
  "op:write": 'One write(2) of value (plus a newline unless "newline": false) to a sysfs file, like echo value > path.',
  "op:read": "Read a sysfs file.",
  "op:create-namespace": "ndctl create-namespace with these options.",
  "op:destroy-namespace": "ndctl destroy-namespace -f NAMESPACE.",
  "op:reconfigure-dax": "daxctl reconfigure-device with these options.",
  "op:ndctl": "ndctl with these arguments.",
  "op:daxctl": "daxctl with these arguments.",
  "op:virtio-mem-resize": "QEMU qom-set requested-size on a virtio-mem device.",
  "op:settle": "Wait; no state change expected.",
};

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** Add DOCS descriptions to the properties of `node` (an object schema, or one wrapped in anyOf/oneOf/items) at `path`. */
function describe(node: unknown, path: string): void {
  if (!isJson(node)) return;
  for (const alt of [...((node.anyOf as unknown[]) ?? []), ...((node.oneOf as unknown[]) ?? [])]) describe(alt, path);
  if (node.items) describe(node.items, `${path}[]`);
  const op = isJson(node.properties) && isJson(node.properties.op) ? node.properties.op.const : undefined;
  if (typeof op === "string" && DOCS[`op:${op}`]) node.description ??= DOCS[`op:${op}`];
  if (!isJson(node.properties)) return;
  for (const [key, sub] of Object.entries(node.properties)) {
    const p = path ? `${path}.${key}` : key;
    if (isJson(sub) && DOCS[p]) sub.description = sub.description === undefined ? DOCS[p] : `${DOCS[p]} ${String(sub.description)}`;
    describe(sub, p);
  }
}

/** The JSON Schema (draft-07, which every editor and validator reads) of one kind of input file. */
export function jsonSchema(kind: SchemaKind): Json {
  // A copy with nothing shared, so that each field gets its own description.
  const generated = JSON.parse(JSON.stringify(z.toJSONSchema(SCHEMAS[kind], { target: "draft-07", io: "input", unrepresentable: "any" }))) as Json;
  const { $schema, ...rest } = generated;
  const out: Json = { $schema, ...ABOUT[kind], ...rest };
  if (kind === "trace" && isJson(out.properties)) describe(out.properties.scenario, "");
  else describe(out, "");
  return out;
}
