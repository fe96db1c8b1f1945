/**
 * `machine.cxl` as the oracle takes it (../shared/oracle/README.md, "CXL"):
 * host bridges, root ports, type-3 devices and fixed memory windows, with
 * the checks that make a bad topology a located error (exit 2) instead of
 * a machine QEMU would refuse or a kernel that can never use the device.
 */
import { z } from "zod";
import { formatSize, GiB, parseSize, SizeParseError } from "../kernel/units.js";
import { CFMWS_ALIGN, type CxlSpec } from "../machine/cxl-platform.js";

const MAX = 2 ** 52;

function size(required: boolean) {
  return z.unknown().transform((v, ctx): number | undefined => {
    if (v === undefined || v === null) {
      if (required) ctx.addIssue({ code: "custom", message: "missing required field" });
      return undefined;
    }
    let n: number;
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) n = v;
    else if (typeof v === "string") {
      try {
        n = parseSize(v);
      } catch (e) {
        if (e instanceof SizeParseError) {
          ctx.addIssue({ code: "custom", message: e.message });
          return z.NEVER;
        }
        throw e;
      }
    } else {
      ctx.addIssue({ code: "custom", message: `expected a size (e.g. "256M"), got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (n > MAX) ctx.addIssue({ code: "custom", message: `size too large: ${JSON.stringify(v)}` });
    return n;
  });
}

const Id = z.string().min(1);
const Int = z.number().int().min(0);
const nullish = <T extends z.ZodType>(s: T) => s.nullish().transform((v): z.output<T> | undefined => v ?? undefined);

/** numa_node: pxb-cxl's NUMA node (its _PXM), one of machine.numa's nodes. */
const HostBridge = z.strictObject({ id: Id, bus_nr: Int.max(255), numa_node: nullish(Int) });
const RootPort = z.strictObject({ id: Id, bus: Id, port: Int.max(255), chassis: nullish(Int), slot: nullish(Int) });
/** A serial number: a JSON integer or a string in any base ("0x1"). */
const Serial = z.union([Int, z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, "not a serial number (e.g. \"0x1\")")]).transform((v) => Number(v));
const Type3 = z.strictObject({
  id: Id,
  bus: Id,
  size: size(true),
  lsa_size: size(false).optional(),
  volatile: nullish(z.boolean()),
  sn: nullish(Serial),
});
const Window = z.strictObject({
  targets: z.array(Id).min(1),
  size: size(true),
  // A number or a size as the oracle reads it ("1K").
  interleave_granularity: size(false)
    .refine((n) => n === undefined || [256, 512, 1024, 2048, 4096, 8192, 16384].includes(n), "interleave_granularity must be a power of two from 256 to 16384")
    .optional(),
});

export const CxlSchema = z
  .strictObject({
    host_bridges: z.array(HostBridge).min(1),
    root_ports: z.array(RootPort),
    type3: nullish(z.array(Type3)),
    windows: nullish(z.array(Window)),
    modules: z.unknown().optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const ids = new Map<string, string>();
    const seen = (id: string, where: string, path: PropertyKey[]) => {
      const first = ids.get(id);
      if (first !== undefined) issue(path, `duplicate device id "${id}" (also ${first})`);
      else ids.set(id, where);
    };
    const buses = new Map<number, number>();
    c.host_bridges.forEach((h, i) => {
      seen(h.id, `cxl.host_bridges[${i}]`, ["host_bridges", i, "id"]);
      const other = buses.get(h.bus_nr);
      if (other !== undefined) issue(["host_bridges", i, "bus_nr"], `bus_nr ${h.bus_nr} is also cxl.host_bridges[${other}]'s`);
      buses.set(h.bus_nr, i);
    });
    const hbIds = new Set(c.host_bridges.map((h) => h.id));
    c.root_ports.forEach((r, i) => {
      seen(r.id, `cxl.root_ports[${i}]`, ["root_ports", i, "id"]);
      if (!hbIds.has(r.bus)) issue(["root_ports", i, "bus"], `no host bridge "${r.bus}" (cxl.host_bridges has ${[...hbIds].map((x) => `"${x}"`).join(", ")})`);
    });
    const rpIds = new Map(c.root_ports.map((r) => [r.id, r]));
    const rpUsed = new Map<string, number>();
    (c.type3 ?? []).forEach((d, i) => {
      seen(d.id, `cxl.type3[${i}]`, ["type3", i, "id"]);
      if (!rpIds.has(d.bus)) issue(["type3", i, "bus"], `no root port "${d.bus}" (cxl.root_ports has ${c.root_ports.length ? c.root_ports.map((x) => `"${x.id}"`).join(", ") : "none"})`);
      const other = rpUsed.get(d.bus);
      if (other !== undefined) issue(["type3", i, "bus"], `root port "${d.bus}" already has cxl.type3[${other}] (one device per root port)`);
      rpUsed.set(d.bus, i);
      if (d.size !== undefined && (d.size === 0 || d.size % CFMWS_ALIGN !== 0)) issue(["type3", i, "size"], `size must be a non-zero multiple of 256M (CXL decoders map 256 MiB units), got ${formatSize(d.size)}`);
    });
    (c.windows ?? []).forEach((w, i) => {
      w.targets.forEach((t, j) => {
        if (!hbIds.has(t)) issue(["windows", i, "targets", j], `no host bridge "${t}"`);
      });
      if (new Set(w.targets).size !== w.targets.length) issue(["windows", i, "targets"], "a host bridge appears twice in targets");
      if (![1, 2, 4, 8, 16, 3, 6, 12].includes(w.targets.length)) issue(["windows", i, "targets"], `${w.targets.length} targets: CXL interleaves 1, 2, 3, 4, 6, 8, 12 or 16 ways`);
      if (w.size !== undefined && (w.size === 0 || w.size % (CFMWS_ALIGN * w.targets.length) !== 0))
        issue(["windows", i, "size"], `size must be a non-zero multiple of ${formatSize(CFMWS_ALIGN * w.targets.length)} (256M per target), got ${formatSize(w.size)}`);
    });
    // A device no window of its host bridge can hold can never be mapped.
    (c.type3 ?? []).forEach((d, i) => {
      const rp = rpIds.get(d.bus);
      if (!rp || d.size === undefined) return;
      const wins = (c.windows ?? []).map((w, j) => ({ w, j })).filter(({ w }) => w.targets.includes(rp.bus));
      if (wins.length === 0) return;
      const fits = wins.some(({ w }) => w.size !== undefined && w.size / w.targets.length >= d.size!);
      if (!fits) {
        const { w, j } = wins[0];
        issue(["type3", i, "size"], `device "${d.id}" (${formatSize(d.size)}) is larger than every window of host bridge "${rp.bus}" (cxl.windows[${j}]: ${formatSize(w.size ?? 0)} over ${w.targets.length} target(s))`);
      }
    });
    const total = (c.windows ?? []).reduce((a, w) => a + (w.size ?? 0), 0);
    if (total > 1024 * GiB) issue(["windows"], `windows add up to ${formatSize(total)}: more than QEMU q35's 40-bit address space leaves`);
  })
  .transform(
    (c): CxlSpec => ({
      host_bridges: c.host_bridges,
      root_ports: c.root_ports.map((r) => ({ id: r.id, bus: r.bus, port: r.port, ...(r.chassis !== undefined ? { chassis: r.chassis } : {}), ...(r.slot !== undefined ? { slot: r.slot } : {}) })),
      type3: (c.type3 ?? []).map((d) => ({
        id: d.id,
        bus: d.bus,
        size: d.size!,
        ...(d.lsa_size !== undefined ? { lsa_size: d.lsa_size } : {}),
        ...(d.volatile ? { volatile: true } : {}),
        ...(d.sn !== undefined ? { sn: d.sn } : {}),
      })),
      windows: (c.windows ?? []).map((w) => ({ targets: w.targets, size: w.size!, ...(w.interleave_granularity !== undefined ? { interleave_granularity: w.interleave_granularity } : {}) })),
    }),
  );
