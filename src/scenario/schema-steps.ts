/**
 * The steps of a scenario (the oracle's ops: QEMU actions, sysfs reads and
 * writes, ndctl/daxctl/cxl-cli commands, waits) as zod schemas, one per op,
 * and their parsed types. Browser-safe: no I/O.
 */
import { z } from "zod";
import { MISSING, opt, compact, optSizeField, positive, Size, NonNegInt, Seconds, Id, Args, SysfsPath } from "./schema-values.js";

/** A step as written in the file (what traces echo). */
export type RawStep = { op: string } & Record<string, unknown>;

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
