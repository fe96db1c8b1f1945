/**
 * Machine files (`memhp-machine/1`): a machine imported from a real system or
 * a dump (`memhp import`), that `memhp run` boots by import and then applies
 * further steps to ("what if I hot-add a DIMM here?").
 *
 *   {"format": "memhp-machine/1",
 *    "name": "…", "description": "…",
 *    "machine": {"type": "pc", "memory": "16G", "maxmem": "…", "slots": …, "cmdline": […]},
 *    "snapshot": { …the boot state, in the trace snapshot format… },
 *    "import": {"source": "…", "inferred": ["…what the dump lacked and how it was filled in…"]},
 *    "steps": [ …scenario steps… ]}
 *
 * `machine` is a scenario machine: QEMU's side (the device memory region for
 * DIMMs: maxmem, slots) and extra kernel command line words (movable_node);
 * the kernel's boot state comes from `snapshot`. Browser-safe.
 */
import type { ArchName } from "../kernel/arch.js";
import { InputError } from "../errors.js";
import type { Snapshot } from "../abi/snapshot.js";
import { isPowerOfTwo } from "../kernel/units.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import { formatPath, locationOf, offsetOf, type LocatedDocument, type PathKey } from "./located.js";
import { parseLocated, runnableScenario, scenarioFromDocument } from "./load.js";
import type { RawStep, RunnableScenario } from "./runner.js";

export const MACHINE_FORMAT = "memhp-machine/1";

export interface MachineFile {
  format: typeof MACHINE_FORMAT;
  name: string;
  description?: string;
  machine: Record<string, unknown>;
  snapshot: Snapshot;
  import?: { source: string; inferred: string[] };
  /** The kernel release the machine ran (uname -r); the model picks the newest verified profile at or below it. */
  kernel?: string;
  steps: RawStep[];
}

/** Does this text look like a machine file (before parsing it properly)? */
export function isMachineFileText(text: string): boolean {
  return /["']?format["']?\s*:\s*["']?memhp-machine\/1/.test(text);
}

const MiB = 1024 * 1024;
/** QEMU virt's RAM base (machine/virt.ts). */
const VIRT_RAM_BASE = 0x40000000;

/** A machine file for a snapshot: a QEMU pc whose `memory` is the RAM of the present blocks. */
export function makeMachineFile(
  snapshot: Snapshot,
  opts: { name: string; source: string; inferred: string[]; maxmem?: number; slots?: number; cmdline?: string[]; arch?: ArchName; kernel?: string },
): MachineFile {
  const bs = parseInt(snapshot.memory.block_size_bytes, 16);
  const arm64 = opts.arch !== undefined && opts.arch.startsWith("arm64");
  // arm64 machines are QEMU virt ones: RAM from 0x40000000 (blocks below it hold firmware memory such as edk2's flash).
  const ids = Object.keys(snapshot.memory.blocks).map((n) => Number(n.replace(/^memory/, "")));
  const blocks = arm64 ? ids.filter((id) => id * bs >= VIRT_RAM_BASE).length : ids.length;
  const memory = Math.max(1, Math.ceil((blocks * bs) / MiB));
  const machine: Record<string, unknown> = arm64 ? { type: "virt", arch: opts.arch, memory: `${memory}M` } : { type: "pc", memory: `${memory}M` };
  if (opts.maxmem !== undefined) machine.maxmem = `${Math.ceil(opts.maxmem / MiB)}M`;
  if (opts.slots !== undefined) machine.slots = opts.slots;
  machine.cmdline = opts.cmdline ?? [];
  return {
    format: MACHINE_FORMAT,
    name: opts.name,
    description: `imported from ${opts.source}`,
    machine,
    snapshot,
    import: { source: opts.source, inferred: opts.inferred },
    ...(opts.kernel ? { kernel: opts.kernel } : {}),
    steps: [],
  };
}

/** Where a value of the document is (line and column), for messages. */
function locate(doc: LocatedDocument, path: readonly PathKey[]): { line?: number; column?: number } {
  return locationOf(doc, offsetOf(doc, path));
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Check the parts of a snapshot that booting from it relies on; a located InputError otherwise. */
export function validateSnapshot(doc: LocatedDocument, file: string, base: PathKey[]): void {
  const fail = (path: PathKey[], message: string): never => {
    throw new InputError(message, { file, ...locate(doc, [...base, ...path]), field: formatPath([...base, ...path]) });
  };
  let s: unknown = doc.value;
  for (const k of base) s = (s as Record<PathKey, unknown>)?.[k];
  if (!isObj(s)) fail([], "expected a snapshot object (iomem, memory, zoneinfo, node, firmware_memmap, memory_hotplug_params)");
  const snap = s as Record<string, unknown>;
  const str = (v: unknown, path: PathKey[], re?: RegExp, what?: string): string => {
    if (typeof v !== "string") fail(path, v === undefined ? "missing required field" : `expected a string, got ${JSON.stringify(v)}`);
    if (re && !re.test(v as string)) fail(path, `expected ${what}, got ${JSON.stringify(v)}`);
    return v as string;
  };
  const obj = (v: unknown, path: PathKey[]): Record<string, unknown> => {
    if (!isObj(v)) fail(path, v === undefined ? "missing required field" : "expected an object");
    return v as Record<string, unknown>;
  };
  if (!Array.isArray(snap.iomem)) fail(["iomem"], snap.iomem === undefined ? "missing required field" : "expected a list of /proc/iomem lines");
  (snap.iomem as unknown[]).forEach((l, i) => str(l, ["iomem", i], /^( *)[0-9a-f]+-[0-9a-f]+ : .*$/, "a /proc/iomem line (START-END : NAME)"));
  const mem = obj(snap.memory, ["memory"]);
  const bs = parseInt(str(mem.block_size_bytes, ["memory", "block_size_bytes"], /^[0-9a-f]+$/, "the block size in hex (no 0x)"), 16);
  if (!isPowerOfTwo(bs) || bs < 128 * MiB) fail(["memory", "block_size_bytes"], `block size 0x${bs.toString(16)} is not a power of two of at least 0x8000000`);
  if (mem.auto_online_blocks !== undefined) str(mem.auto_online_blocks, ["memory", "auto_online_blocks"], /^(offline|online|online_kernel|online_movable)$/, "offline, online, online_kernel or online_movable");
  const blocks = obj(mem.blocks, ["memory", "blocks"]);
  for (const [name, b] of Object.entries(blocks)) {
    const p: PathKey[] = ["memory", "blocks", name];
    if (!/^memory\d+$/.test(name)) fail(p, `expected memoryN, got ${JSON.stringify(name)}`);
    const bo = obj(b, p);
    str(bo.state, [...p, "state"], /^(online|offline|going-offline)$/, "online or offline");
    if (bo.online !== undefined) str(bo.online, [...p, "online"], /^[01]$/, "0 or 1");
    if (bo.valid_zones !== undefined) str(bo.valid_zones, [...p, "valid_zones"], new RegExp(`^((${ZONE_NAMES.join("|")}|none)( |$))+$`), "zone names");
    if (bo.nodes !== undefined) {
      if (!Array.isArray(bo.nodes)) fail([...p, "nodes"], "expected a list like [\"node0\"]");
      (bo.nodes as unknown[]).forEach((n, i) => str(n, [...p, "nodes", i], /^node\d+$/, "nodeN"));
    }
    for (const f of ["phys_index", "removable", "phys_device", "firmware_node"]) if (bo[f] !== undefined) str(bo[f], [...p, f]);
  }
  if (snap.zoneinfo !== undefined) {
    for (const [node, zones] of Object.entries(obj(snap.zoneinfo, ["zoneinfo"]))) {
      if (!/^node\d+$/.test(node)) fail(["zoneinfo", node], `expected nodeN, got ${JSON.stringify(node)}`);
      for (const [zone, z] of Object.entries(obj(zones, ["zoneinfo", node]))) {
        const p: PathKey[] = ["zoneinfo", node, zone];
        if (!(ZONE_NAMES as readonly string[]).includes(zone)) fail(p, `unknown zone ${JSON.stringify(zone)}`);
        const zo = obj(z, p);
        for (const f of ["spanned", "present"]) if (!Number.isSafeInteger(zo[f]) || (zo[f] as number) < 0) fail([...p, f], `expected a page count, got ${JSON.stringify(zo[f])}`);
        if (zo.start_pfn !== null && zo.start_pfn !== undefined && (!Number.isSafeInteger(zo.start_pfn) || (zo.start_pfn as number) < 0)) fail([...p, "start_pfn"], "expected a pfn or null");
      }
    }
  }
  if (snap.firmware_memmap !== undefined) {
    if (!Array.isArray(snap.firmware_memmap)) fail(["firmware_memmap"], "expected a list");
    (snap.firmware_memmap as unknown[]).forEach((e, i) => {
      const eo = obj(e, ["firmware_memmap", i]);
      if (!Number.isSafeInteger(eo.index)) fail(["firmware_memmap", i, "index"], "expected an entry number");
      str(eo.start, ["firmware_memmap", i, "start"], /^0x[0-9a-f]+$/, "0x…");
      str(eo.end, ["firmware_memmap", i, "end"], /^0x[0-9a-f]+$/, "0x…");
      str(eo.type, ["firmware_memmap", i, "type"]);
    });
  }
  if (snap.node !== undefined) {
    const node = obj(snap.node, ["node"]);
    if (node.masks !== undefined) for (const [k, v] of Object.entries(obj(node.masks, ["node", "masks"]))) str(v, ["node", "masks", k], /^(\d+(-\d+)?(,\d+(-\d+)?)*)?$/, "a node list");
  }
  if (snap.imported_from !== undefined) str(snap.imported_from, ["imported_from"]);
  if (snap.extra_files !== undefined) for (const [k, v] of Object.entries(obj(snap.extra_files, ["extra_files"]))) str(v, ["extra_files", k], /^[^\0]*$/, "file contents");
  if (snap.memory_hotplug_params !== undefined) for (const [k, v] of Object.entries(obj(snap.memory_hotplug_params, ["memory_hotplug_params"]))) str(v, ["memory_hotplug_params", k]);
}

const TOP_KEYS = ["format", "name", "description", "machine", "snapshot", "import", "kernel", "steps"];

/** Parse a machine file into a runnable scenario plus the snapshot to boot from. */
export function parseMachineFile(text: string, file: string): { scenario: RunnableScenario; bootSnapshot: Snapshot; raw: unknown } {
  const doc = parseLocated(text, file);
  const root = doc.value;
  if (!isObj(root)) throw new InputError("expected a machine file object", { file, ...locate(doc, []) });
  if (root.format !== MACHINE_FORMAT) throw new InputError(`expected "format": "${MACHINE_FORMAT}"`, { file, ...locate(doc, ["format"]), field: "format" });
  for (const k of Object.keys(root)) {
    if (!TOP_KEYS.includes(k)) throw new InputError(`unknown key "${k}" (a machine file has: ${TOP_KEYS.join(", ")})`, { file, ...locate(doc, [k]), field: k });
  }
  if (root.snapshot === undefined) throw new InputError("missing required field", { file, ...locate(doc, []), field: "snapshot" });
  validateSnapshot(doc, file, ["snapshot"]);
  // The scenario part, validated by the scenario loader with the file's own locations.
  const sub: Record<string, unknown> = { machine: root.machine, steps: root.steps ?? [] };
  if (root.name !== undefined) sub.name = root.name;
  if (root.description !== undefined) sub.description = root.description;
  const locs = doc.locs.get(root);
  if (locs) doc.locs.set(sub, locs);
  const scenario = runnableScenario(scenarioFromDocument({ ...doc, value: sub }, file));
  return { scenario, bootSnapshot: root.snapshot as Snapshot, raw: root };
}
