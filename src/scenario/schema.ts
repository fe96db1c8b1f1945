/**
 * The scenario format (the oracle's, ../shared/conformance/README.md and
 * ../shared/oracle/README.md, plus memhp's extensions) as zod schemas, and the
 * parsed types: sizes and addresses converted to numbers of bytes, defaults
 * filled in, every step keeping the object as written (`raw`, which traces echo).
 *
 * The parts: field types in schema-values.ts, the machine in
 * schema-machine.ts (CXL in schema-cxl.ts, the kernel in kernel-schema.ts),
 * the steps in schema-steps.ts; this module is the scenario as a whole and
 * re-exports them. Browser-safe: no I/O. Locating errors in the source text
 * is load.ts's job; the schemas only say what is wrong and under which path.
 */
import { z } from "zod";
import type { MachineSpec } from "../machine/types.js";
import { MachineSchema } from "./schema-machine.js";
import { StepSchema, type Step } from "./schema-steps.js";
import { virtStepIssues } from "./virt-checks.js";
import { opt } from "./schema-values.js";

export { Address, describeValue, MAX_NUMA_NODES, MAX_SIZE, MAX_SLOTS, MISSING, Size, sizeOrMessage, SysfsPath } from "./schema-values.js";
export * from "./schema-machine.js";
export * from "./schema-steps.js";

export const TRACE_FORMAT = "linux-memhp-oracle-trace/1";

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
