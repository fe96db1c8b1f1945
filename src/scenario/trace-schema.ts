/**
 * What memhp reads of a trace (`linux-memhp-oracle-trace/1`, the oracle's
 * format) and of a machine file's snapshot, as zod schemas: a wrong-typed
 * field (dmesg lines as numbers, a step as a string, null uevents) is bad
 * input named by its path, never a crash further in. Fields memhp does not
 * read are let through as they are. Browser-safe: no I/O.
 */
import { z } from "zod";
import { describeValue } from "./schema.js";

const Str = z.string();
const Int = z.number().int();
const Count = z.number().int().min(0);
const Obj = z.looseObject({});

/** A hexadecimal string as sysfs prints it (block_size_bytes, phys_index). */
const Hex = z.string().regex(/^(0x)?[0-9a-fA-F]+$/, "expected a hexadecimal number");
const NodeName = z.string().regex(/^node\d+$/, 'expected "nodeN"');

const BlockSchema = z.looseObject({
  phys_index: Str.optional(),
  state: Str,
  online: Str.optional(),
  phys_device: Str.optional(),
  removable: Str.optional(),
  valid_zones: Str.optional(),
  nodes: z.array(NodeName).optional(),
  firmware_node: Str.optional(),
});

const ZoneSchema = z.looseObject({ start_pfn: Count.nullable(), spanned: Count, present: Count });

export const SnapshotSchema = z.looseObject({
  iomem: z.array(z.string().regex(/^( {2})*[0-9a-f]+-[0-9a-f]+ : .*$/, "expected a /proc/iomem line (START-END : NAME)")),
  meminfo: z.looseObject({ MemTotal: Str }),
  zoneinfo: z.record(NodeName, z.record(Str, ZoneSchema)).optional(),
  memory: z.looseObject({
    block_size_bytes: Hex,
    auto_online_blocks: Str.optional(),
    blocks: z.record(z.string().regex(/^memory\d+$/, 'expected "memoryN"'), BlockSchema),
  }),
  node: z
    .looseObject({
      masks: z.record(Str, Str).optional(),
      nodes: z.record(NodeName, z.looseObject({ memory: z.array(Str).optional(), MemTotal: Str.optional() })).optional(),
    })
    .optional(),
  firmware_memmap: z.array(z.looseObject({ index: Int.optional(), start: Hex, end: Hex, type: Str })).optional(),
  memory_hotplug_params: z.record(Str, Str).optional(),
  imported_from: Str.optional(),
  extra_files: z.record(Str, Str).optional(),
});

const Uevents = z.array(Obj);
const Dmesg = z.array(Str);
const Levels = z.array(Int);

/** A QMP reply: `{"return": …}` or `{"error": {"class", "desc"}}`. */
const Reply = z.looseObject({ error: Obj.optional() }).optional();

/** The parts of a step's result that conformance compares (the rest is let through). */
const ResultSchema = z.looseObject({
  writes: z.array(Obj).optional(),
  events: z.array(z.looseObject({ event: Str, data: Obj })).optional(),
  device_add: Reply,
  device_del: Reply,
  "qom-set": Reply,
});

const StepSchema = z.looseObject({
  step: z.looseObject({ op: Str }),
  result: ResultSchema,
  dmesg: Dmesg,
  dmesg_levels: Levels,
  uevents: Uevents,
  snapshot: SnapshotSchema,
});

export const TraceBodySchema = z.looseObject({
  boot: z.looseObject({
    snapshot: SnapshotSchema,
    dmesg: Dmesg.optional(),
    dmesg_levels: Levels.optional(),
    uevents: Uevents.optional(),
    noisy: Obj.optional(),
  }),
  steps: z.array(StepSchema),
});

export interface TraceProblem {
  path: (string | number)[];
  message: string;
}

/** The first problem zod finds, with a message that names what was found. */
export function firstProblem(schema: z.ZodType, value: unknown): TraceProblem | null {
  const r = schema.safeParse(value);
  if (r.success) return null;
  const iss = r.error.issues[0];
  const path = iss.path.map((p) => (typeof p === "number" ? p : String(p)));
  let at: unknown = value;
  for (const p of path) at = at !== null && typeof at === "object" ? (at as Record<string | number, unknown>)[p] : undefined;
  const message =
    iss.code === "invalid_type"
      ? at === undefined
        ? "missing required field"
        : `expected ${iss.expected === "array" ? "a list" : iss.expected === "object" ? "an object" : `a ${iss.expected}`}, got ${describeValue(at)}`
      : `${iss.message}${at !== undefined && typeof at !== "object" ? `, got ${describeValue(at)}` : ""}`;
  return { path, message };
}
