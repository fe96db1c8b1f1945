/**
 * CXL steps and state: the module loads the oracle performs after the boot
 * modules (cxl_acpi cxl_port cxl_pci cxl_mem cxl_pmem dax_cxl), the `cxl`
 * op (cxl-cli), and the `cxl` part of a snapshot: `cxl list -vvi`, the
 * devices of /sys/bus/cxl and the decoder and region attributes.
 */
import { cxlInit, cxlState } from "../kernel/drivers/cxl-core.js";
import { cxlDevices, registerCxlSysfs } from "../kernel/drivers/cxl-sysfs.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { sysfsRead } from "../kernel/sysfs.js";
import type { System } from "../machine/system.js";
import { cxl } from "../tools/cxl.js";
import { cxlListAll } from "../tools/cxl-list.js";
import { jsoncPretty } from "../tools/cxl-json.js";
import { memoryAddPhysaddrToNid, physToTargetNode } from "../kernel/numa-addr.js";
import type { RawStep } from "./runner.js";

/** Decoder and region attributes the oracle's snapshot reads, by device kind. */
const ROOT_ATTRS = ["cap_pmem", "cap_ram", "cap_type2", "cap_type3", "interleave_ways", "locked", "size", "start", "target_list"];
const SWITCH_ATTRS = ["interleave_ways", "locked", "size", "start", "target_list"];
const EP_ATTRS = ["dpa_resource", "dpa_size", "interleave_ways", "locked", "mode", "size", "start"];
const REGION_ATTRS = ["commit", "interleave_granularity", "interleave_ways", "mode", "resource", "size", "uuid"];

export function initCxl(sys: System, bootDevices?: string[], choices?: Record<string, number>): void {
  const p = sys.layout.cxl;
  if (!p) return;
  registerCxlSysfs();
  const k = sys.kernel;
  cxlInit(k, p, {
    targetNode: (addr) => physToTargetNode(k, addr),
    numaNode: (addr) => memoryAddPhysaddrToNid(k, addr),
    hypervisor: sys.layout.hypervisor,
    memdevIds: memdevIdsOf(bootDevices),
    raceChoice: choices?.["cxl-memdev-ids:cxl_pci"],
    endpointChoice: choices?.["cxl-endpoint-order:cxl_mem"],
    nmemChoice: choices?.["cxl-nmem-order:cxl_pmem"],
    switchPortsChoice: choices?.["cxl-switch-ports:cxl_mem"],
  });
}

/** An imported boot's memdev names by PCI device (".../0000:0e:00.0/mem0"). */
function memdevIdsOf(devices: string[] | undefined): Map<string, number> | undefined {
  if (!devices) return undefined;
  const ids = new Map<string, number>();
  for (const p of devices) {
    const m = /\/([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d)\/mem(\d+)$/.exec(p);
    if (m) ids.set(m[1], Number(m[2]));
  }
  return ids.size ? ids : undefined;
}

export function applyCxlStep(sys: System, step: RawStep): unknown | undefined {
  if (step.op !== "cxl") return undefined;
  const k = sys.kernel;
  const r = cxl(k, ((step.args as unknown[]) ?? []).map(String));
  ndFlush(k);
  if (r.unsupported) return { error: `memhp: ${r.unsupported}`, unsupported: true };
  const out: Record<string, unknown> = { argv: r.argv, rc: r.rc };
  if (r.stdout_json !== undefined) out.stdout_json = r.stdout_json;
  out.stderr = r.stderr;
  return out;
}

/** The snapshot's `cxl` part (uuids hidden as the oracle hides them). */
export function cxlSnapshot(sys: System): Record<string, unknown> | undefined {
  const k = sys.kernel;
  const st = cxlState(k);
  if (!st) return undefined;
  const devs = cxlDevices(st);
  const sysfs: Record<string, string> = {};
  for (const d of devs) {
    const dec = st.ports.flatMap((p) => p.decoders).find((x) => x.name === d.name);
    const attrs = dec ? (dec.kind === "root" ? ROOT_ATTRS : dec.kind === "switch" ? SWITCH_ATTRS : EP_ATTRS) : st.regions.some((r) => r.name === d.name) ? REGION_ATTRS : [];
    const region = st.regions.find((r) => r.name === d.name);
    const names = region ? [...attrs, ...region.targets.map((_, i) => `target${i}`)] : attrs;
    for (const a of names) {
      const v = sysfsRead(k, `/sys/bus/cxl/devices/${d.name}/${a}`);
      if (v.ok) sysfs[`${d.name}/${a}`] = a === "uuid" && !/^[0-]*$/.test(v.value.trim()) ? "<uuid>" : v.value.replace(/\n$/, "");
    }
  }
  const sorted = Object.fromEntries(Object.entries(sysfs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  // The oracle reads `cxl list -vvi 2>&1`: when libcxl complains, the output is no longer JSON.
  const { json, stderr } = cxlListAll(st);
  const list = stderr.length ? { unparsed: [...stderr, ...jsoncPretty(json).split("\n")] } : json;
  return { cxl: { list, devices: devs.map((d) => d.name).sort(), sysfs: sorted } };
}
