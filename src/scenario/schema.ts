/**
 * The scenario format (the oracle's, ../shared/conformance/README.md and
 * ../shared/oracle/README.md, plus memhp's extensions) as zod schemas, and the
 * parsed types: sizes and addresses converted to numbers of bytes, defaults
 * filled in, every step keeping the object as written (`raw`, which traces echo).
 *
 * Browser-safe: no I/O. Locating errors in the source text is load.ts's job;
 * the schemas only say what is wrong and under which path.
 */
import { z } from "zod";
import { KiB, MiB, formatSize, INT_LITERAL_SOURCE, parseAddress, parseSize, SizeParseError, isPowerOfTwo } from "../kernel/units.js";
import { KernelField } from "./kernel-schema.js";
import type { MachineSpec, NumaNodeSpec, NvdimmSpec, VirtioMemSpec } from "../machine/types.js";
import { CxlSchema } from "./schema-cxl.js";
import { virtMachineIssues, virtStepIssues } from "./virt-checks.js";

/** x86_64 physical addresses stop at 2^52: no size or address may exceed it. */
export const MAX_SIZE = 2 ** 52;
/** QEMU's ACPI_MAX_RAM_SLOTS (pc and q35). */
export const MAX_SLOTS = 256;
/** QEMU's MAX_NODES. */
export const MAX_NUMA_NODES = 128;
/** The message of a required field that is absent (load.ts locates it at the enclosing object). */
export const MISSING = "missing required field";

export const TRACE_FORMAT = "linux-memhp-oracle-trace/1";

/** A step as written in the file (what traces echo). */
export type RawStep = { op: string } & Record<string, unknown>;

// ---------------------------------------------------------------- helpers --

/** A short description of a value for messages: `"12Q"`, `-5`, `true`, `null`, `a list`, `an object`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return typeof v;
}

type Ctx = { issues: { push(issue: { code: "custom"; message: string; input: unknown; path?: PropertyKey[] }): void } };

function fail(ctx: Ctx, message: string, input: unknown): typeof z.NEVER {
  ctx.issues.push({ code: "custom", message, input });
  return z.NEVER;
}

/** Optional field: absent or null (the oracle treats null as absent) gives undefined. */
function opt<T extends z.ZodType>(s: T) {
  return s.nullish().transform((v): z.output<T> | undefined => v ?? undefined);
}

/** Drop keys whose value is undefined (optional fields that were absent or null). */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Parse a size ("512M", "0x1000", 4096) or an address (any-base integer, no suffix) to bytes; a message on failure. */
export function sizeOrMessage(v: unknown, kind: "size" | "address"): number | string {
  if (typeof v === "number") {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return `${kind} is not an integer: ${v}`;
    if (v < 0) return `negative ${kind}: ${v}`;
    if (v > MAX_SIZE) return `${kind} too large: ${v} (more than 2^52, the x86_64 physical address limit)`;
    return v === 0 ? 0 : v; // not -0
  }
  if (typeof v === "string") {
    let n: number;
    try {
      n = kind === "size" ? parseSize(v) : parseAddress(v);
    } catch (e) {
      if (e instanceof SizeParseError) return /out of range/.test(e.message) ? `${kind} too large: ${describeValue(v)} (more than 2^52, the x86_64 physical address limit)` : e.message;
      throw e;
    }
    if (n > MAX_SIZE) return `${kind} too large: ${describeValue(v)} (more than 2^52, the x86_64 physical address limit)`;
    return n;
  }
  const eg = kind === "size" ? `"512M" or 536870912` : `"0x100000000" or 4294967296`;
  return `expected a ${kind} (e.g. ${eg}), got ${describeValue(v)}`;
}

type SizeCheck = (n: number) => string | undefined;

/** What a size or an address field accepts as written, as JSON Schema (for `memhp schema` and editors). */
const AS_WRITTEN = {
  size: {
    description: 'A size in bytes: "512M", "524416K", "0x8000000" (binary K/M/G/T/P/E suffixes), or an integer.',
    anyOf: [
      { type: "integer", minimum: 0, maximum: MAX_SIZE },
      { type: "string", pattern: `^\\s*\\+?\\s*${INT_LITERAL_SOURCE}\\s*[kKmMgGtTpPeE]?(?:[iI]?[bB])?\\s*$` },
    ],
  },
  address: {
    description: 'A physical address: an integer in any base as Python\'s int(x, 0) reads it ("0x100000000", "0o…", "0b…", decimal), or an integer.',
    anyOf: [
      { type: "integer", minimum: 0, maximum: MAX_SIZE },
      { type: "string", pattern: `^\\s*\\+?${INT_LITERAL_SOURCE}\\s*$` },
    ],
  },
};

function sizeField(kind: "size" | "address", check?: SizeCheck) {
  return z
    .unknown()
    .transform((v, ctx): number => {
      if (v === undefined) return fail(ctx, MISSING, v);
      const r = sizeOrMessage(v, kind);
      if (typeof r === "string") return fail(ctx, r, v);
      const bad = check?.(r);
      return bad ? fail(ctx, bad, v) : r;
    })
    .meta(AS_WRITTEN[kind]);
}

function optSizeField(kind: "size" | "address", check?: SizeCheck) {
  return z
    .unknown()
    .transform((v, ctx): number | undefined => {
      if (v === undefined || v === null) return undefined;
      const r = sizeOrMessage(v, kind);
      if (typeof r === "string") return fail(ctx, r, v);
      const bad = check?.(r);
      return bad ? fail(ctx, bad, v) : r;
    })
    .meta({ ...AS_WRITTEN[kind], anyOf: [...AS_WRITTEN[kind].anyOf, { type: "null" }] })
    .optional();
}

const positive: SizeCheck = (n) => (n > 0 ? undefined : "must be greater than 0");

/** A size: "512M", "524416K", "0x8000000", or a JSON integer; non-negative, at most 2^52. */
export const Size = sizeField("size");
/** An address: an integer in any base as Python's int(x, 0) takes it ("0x100000000", "0o…", "0b…", decimal), or a JSON integer. */
export const Address = sizeField("address");

const NonNegInt = z.number().int().min(0);
const Seconds = z.number().positive();
const Id = z.string().min(1);
const Args = z.array(z.string());

/** A sysfs path: absolute, under /sys/, no `.`/`..` components. */
export const SysfsPath = z.string().superRefine((s, ctx) => {
  if (!s.startsWith("/sys/")) ctx.addIssue({ code: "custom", message: `not an absolute path under /sys/: ${describeValue(s)}` });
  else if (s.split("/").some((c) => c === "." || c === "..")) ctx.addIssue({ code: "custom", message: `path must not contain "." or ".." components: ${describeValue(s)}` });
  else if (/[\0\n]/.test(s)) ctx.addIssue({ code: "custom", message: `path contains a NUL or newline: ${describeValue(s)}` });
});

/** A CPU list as QEMU's -numa cpus= takes it: "0", "0-1", "0,2"; a JSON integer is taken as one CPU. */
const CpuList = z.unknown().transform((v, ctx): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === "string" && /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) return v;
  return fail(ctx, `not a CPU list (e.g. "0", "0-1", "0,2"): ${describeValue(v)}`, v);
})
  .meta({ description: 'CPUs as QEMU\'s -numa cpus= takes them: "0", "0-1", "0,2", or one CPU number.', anyOf: [{ type: "integer", minimum: 0 }, { type: "string", pattern: "^\\d+(-\\d+)?(,\\d+(-\\d+)?)*$" }, { type: "null" }] })
  .optional();

/** One kernel command-line word. */
const CmdlineWord = z.string().superRefine((s, ctx) => {
  if (s === "") ctx.addIssue({ code: "custom", message: "empty command-line word" });
  else if (/\s/.test(s)) ctx.addIssue({ code: "custom", message: `one command-line word per list element (no spaces): ${describeValue(s)}` });
});

/** `profile: 6.1`, the older spelling of `kernel: "6.1"` (a version with its default configuration). */
const Profile = KernelField;

// ---------------------------------------------------------------- machine --

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

/** Keys the oracle accepts in `machine` that only concern the host or QEMU's command line: accepted, not used. */
export const IGNORED_MACHINE_KEYS = ["ram_noreserve", "machine_options", "extra_qemu_args"] as const;

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
    ram_noreserve: z.unknown().optional(),
    machine_options: z.unknown().optional(),
    extra_qemu_args: z.unknown().optional(),
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
    if (m.cxl && type !== "q35") issue(["cxl"], `CXL needs type: q35 (QEMU's cxl=on), not ${type}`);
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
        if (first !== undefined) issue([key, i, "id"], `duplicate device id "${d.id}" (also ${first})`);
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
        cxl: m.cxl,
      }),
  );

// ------------------------------------------------------------------ steps --

export type NamespaceMode = "raw" | "fsdax" | "devdax" | "sector";

export interface PlugDimmStep {
  op: "plug-dimm";
  id: string;
  size: number;
  addr?: number;
  node?: number;
  slot?: number;
  timeout?: number;
}
export interface UnplugDimmStep {
  op: "unplug-dimm";
  id: string;
  delete_backend?: boolean;
  timeout?: number;
}
export interface WriteStep {
  op: "write";
  /** Exactly one of `path` and `paths` is present (the result's shape differs). */
  path?: string;
  paths?: string[];
  value: string;
  /** Append "\n" (like echo); default true. */
  newline: boolean;
  timeout?: number;
}
export interface ReadStep {
  op: "read";
  path: string;
}
export interface CreateNamespaceStep {
  op: "create-namespace";
  region?: string;
  namespace?: string;
  force?: boolean;
  mode: NamespaceMode;
  align?: number;
  size?: number;
  map?: "mem" | "dev";
  extra_args?: string[];
}
export interface DestroyNamespaceStep {
  op: "destroy-namespace";
  namespace: string;
}
export interface ReconfigureDaxStep {
  op: "reconfigure-dax";
  dev: string;
  mode: "system-ram" | "devdax";
  movable?: boolean;
  online?: boolean;
  force?: boolean;
  extra_args?: string[];
}
export interface NdctlStep {
  op: "ndctl";
  args: string[];
}
export interface DaxctlStep {
  op: "daxctl";
  args: string[];
}
export interface VirtioMemResizeStep {
  op: "virtio-mem-resize";
  id: string;
  requested_size: number;
  timeout?: number;
}
export interface CxlStep {
  op: "cxl";
  args: string[];
  timeout?: number;
}
export interface SettleStep {
  op: "settle";
  seconds?: number;
  timeout?: number;
}

/** An oracle shell command: only in a trace (its recorded output stands; the model does not run it). */
export interface ShellStep {
  op: "shell";
  cmd: string;
  timeout?: number;
}

export type StepBody =
  | PlugDimmStep
  | UnplugDimmStep
  | WriteStep
  | ReadStep
  | CreateNamespaceStep
  | DestroyNamespaceStep
  | ReconfigureDaxStep
  | NdctlStep
  | DaxctlStep
  | VirtioMemResizeStep
  | SettleStep
  | CxlStep
  | ShellStep;

/** A parsed step: typed fields (sizes in bytes), and the step as written. */
export type Step = StepBody & { raw: RawStep };

export type Op = StepBody["op"];

const PlugDimm = z.strictObject({
  op: z.literal("plug-dimm"),
  id: Id,
  size: Size,
  addr: optSizeField("address"),
  node: opt(NonNegInt),
  slot: opt(NonNegInt),
  timeout: opt(Seconds),
});

const UnplugDimm = z.strictObject({
  op: z.literal("unplug-dimm"),
  id: Id,
  delete_backend: opt(z.boolean()),
  timeout: opt(Seconds),
});

const Write = z.strictObject({
  op: z.literal("write"),
  path: opt(SysfsPath),
  paths: opt(z.array(SysfsPath).min(1)),
  value: z.string(),
  newline: opt(z.boolean()),
  timeout: opt(Seconds),
});

const Read = z.strictObject({ op: z.literal("read"), path: SysfsPath });

const CreateNamespace = z.strictObject({
  op: z.literal("create-namespace"),
  region: opt(Id),
  namespace: opt(Id),
  force: opt(z.boolean()),
  mode: z.enum(["raw", "fsdax", "devdax", "sector"]),
  align: optSizeField("size", positive),
  size: optSizeField("size", positive),
  map: opt(z.enum(["mem", "dev"])),
  extra_args: opt(Args),
});

const DestroyNamespace = z.strictObject({ op: z.literal("destroy-namespace"), namespace: Id });

const ReconfigureDax = z.strictObject({
  op: z.literal("reconfigure-dax"),
  dev: Id,
  mode: z.enum(["system-ram", "devdax"]),
  movable: opt(z.boolean()),
  online: opt(z.boolean()),
  force: opt(z.boolean()),
  extra_args: opt(Args),
});

const Ndctl = z.strictObject({ op: z.literal("ndctl"), args: Args.min(1) });
const Daxctl = z.strictObject({ op: z.literal("daxctl"), args: Args.min(1) });
const Cxl = z.strictObject({ op: z.literal("cxl"), args: Args.min(1), timeout: opt(Seconds) });

const VirtioMemResize = z.strictObject({
  op: z.literal("virtio-mem-resize"),
  id: Id,
  requested_size: Size,
  timeout: opt(Seconds),
});

const Settle = z.strictObject({
  op: z.literal("settle"),
  seconds: opt(z.number().min(0)),
  timeout: opt(Seconds),
});

const Shell = z.strictObject({
  op: z.literal("shell"),
  cmd: z.string(),
  timeout: opt(Seconds),
});

/** Each op's schema (without the `raw` field). */
export const STEP_SCHEMAS = {
  "plug-dimm": PlugDimm,
  "unplug-dimm": UnplugDimm,
  write: Write,
  read: Read,
  "create-namespace": CreateNamespace,
  "destroy-namespace": DestroyNamespace,
  "reconfigure-dax": ReconfigureDax,
  ndctl: Ndctl,
  daxctl: Daxctl,
  "virtio-mem-resize": VirtioMemResize,
  settle: Settle,
  cxl: Cxl,
} as const;

export const OPS = Object.keys(STEP_SCHEMAS) as Op[];

/** Ops the oracle has that a model cannot run. */
export const ORACLE_ONLY_OPS: Record<string, string> = {
  shell: "an oracle escape hatch (a shell command in the guest)",
  qmp: "an oracle escape hatch (a raw QMP command)",
};

/** One step, discriminated on `op`; the output has sizes in bytes and no absent optional fields (`raw` is added by the loader). */
export const StepSchema = z
  .discriminatedUnion("op", [PlugDimm, UnplugDimm, Write, Read, CreateNamespace, DestroyNamespace, ReconfigureDax, Ndctl, Daxctl, VirtioMemResize, Settle, Cxl, Shell])
  .superRefine((s, ctx) => {
    if (s.op === "write") {
      if (s.path !== undefined && s.paths !== undefined) ctx.addIssue({ code: "custom", path: ["paths"], message: 'give either "path" or "paths", not both' });
      if (s.path === undefined && s.paths === undefined) ctx.addIssue({ code: "custom", path: ["path"], message: `${MISSING} (or "paths")` });
    }
  })
  .transform((s): StepBody => {
    const c = compact(s);
    return c.op === "write" ? { ...c, newline: c.newline ?? true } : (c as StepBody);
  });

// --------------------------------------------------------------- scenario --

/** Top-level keys the oracle uses that do not change what the guest sees: accepted, not used. */
export const IGNORED_TOP_KEYS = ["dyndbg", "boot_timeout"] as const;

/** The scenario object as the file holds it (before `name` defaults to the file name and `raw` is attached). */
export const ScenarioFileSchema = z
  .strictObject({
    name: opt(z.string().min(1)),
    description: opt(z.string()),
    machine: MachineSchema,
    steps: opt(z.array(StepSchema)),
    dyndbg: z.unknown().optional(),
    boot_timeout: z.unknown().optional(),
  })
  .superRefine((sc, ctx) => {
    if (sc.machine.type === "virt") virtStepIssues(sc.machine, sc.steps ?? [], (path, message) => ctx.addIssue({ code: "custom", path, message }));
  });

export interface Scenario {
  /** The file's `name`, or its base name without extension (as the oracle does). */
  name: string;
  description?: string;
  machine: MachineSpec;
  steps: Step[];
  /** The scenario object as written (with `name` filled in when it was absent): what a trace echoes. */
  raw: Record<string, unknown>;
}

/** The keys an object at this place may have (for "did you mean" hints); `op` picks a step's schema. */
export function allowedKeys(where: "top" | "machine" | "numa" | "nvdimms" | "virtio_mem" | "step", op?: unknown): string[] {
  const shapeOf = (s: { shape: Record<string, unknown> }) => Object.keys(s.shape);
  switch (where) {
    case "top":
      return Object.keys(ScenarioFileSchema.shape);
    case "machine":
      return Object.keys(MachineSchema.in.shape);
    case "numa":
      return shapeOf(NumaNodeSchema);
    case "nvdimms":
      return Object.keys(NvdimmSchema.in.shape);
    case "virtio_mem":
      return Object.keys(VirtioMemSchema.in.shape);
    case "step":
      return typeof op === "string" && op in STEP_SCHEMAS ? shapeOf(STEP_SCHEMAS[op as keyof typeof STEP_SCHEMAS]) : [];
  }
}
