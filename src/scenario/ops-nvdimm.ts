/**
 * nvdimm / dax / kmem steps (create-namespace, destroy-namespace,
 * reconfigure-dax, ndctl, daxctl), the module loads after boot (libnvdimm
 * nd_btt nd_pmem nd_e820 nfit device_dax dax_pmem kmem, as the oracle's
 * /init does) with the boot-time probe of regions and namespaces, and the
 * `ndctl list -DRNi` / `daxctl list -RDi` parts of a snapshot.
 */
import type { Kernel } from "../kernel/kernel.js";
import { memoryAddPhysaddrToNid, physToTargetNode } from "../kernel/numa-addr.js";
import { walk, removeResource, type Resource } from "../kernel/resource.js";
import { ZONE_DEVICE } from "../kernel/zone.js";
import { daxDriverRegister, daxState } from "../kernel/drivers/dax.js";
import { e820PmemProbe, nfitDriver, nfitProbe } from "../kernel/drivers/nvdimm-nfit.js";
import { allNdDevices, ndDriverLoad, ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { bootDiskOrderRace } from "../kernel/drivers/nvdimm-pmem.js";
import { settleBootBttRace, settleBootPfnRace } from "../kernel/drivers/nvdimm-region.js";
import type { Disk, NdBus } from "../kernel/drivers/nvdimm-core.js";
import { ndState } from "../kernel/drivers/nvdimm-core.js";
import { registerNdSysfs } from "../kernel/drivers/nvdimm-sysfs.js";
import type { System } from "../machine/system.js";
import { daxctl } from "../tools/daxctl.js";
import { daxctlListJson } from "../tools/daxctl-list.js";
import { ndctl } from "../tools/ndctl.js";
import { ndctlListJson } from "../tools/ndctl-list.js";
import { normalizeUuids, type ToolResult } from "../tools/tool-util.js";
import type { RawStep } from "./runner.js";

/** pxm_to_node() of an NFIT SPA proximity domain (QEMU already numbered nvdimm nodes by SRAT order). */
function nfitTargetNode(node: number, k: Kernel): number {
  const fw = k.numaFirmware;
  // arm64 under ACPI: its faked node turned NUMA off, so no domain maps to a node (virt.ts virtAcpiNuma()).
  if (fw.kind !== "acpi") return -1;
  if (!fw.srat.length && !fw.hotplug.length) return -1;
  return k.possibleNodes.includes(node) ? node : -1;
}

const PMEM_CLAIM = /^(namespace|pfn|btt|dax)\d+\.\d+$/;

/**
 * Import: the snapshot's iomem already holds the boot-time claims of the
 * pmem drivers (namespaceX.Y under the Persistent Memory ranges), and its
 * zoneinfo the Device zone they made. Take them out so the module loads
 * below make them again, exactly as in a derived boot.
 */
function forgetImportedClaims(k: Kernel, nfit: { start: number; size: number }[]): void {
  const claims: Resource[] = [];
  walk(k.iomem, (r) => {
    if (r !== k.iomem && (r.desc === "PERSISTENT_MEMORY" || r.desc === "PERSISTENT_MEMORY_LEGACY" || r.name.startsWith("Persistent Memory"))) {
      // An NFIT range of a dump (no NVDIMM of this machine behind it, nothing re-probes it) keeps its namespaces, dax and kmem RAM.
      const legacy = r.desc === "PERSISTENT_MEMORY_LEGACY" || r.name === "Persistent Memory (legacy)";
      const reprobed = legacy || nfit.some((n) => n.start <= r.start && r.start < n.start + n.size);
      if (!reprobed) return false;
      for (const c of r.children) if (PMEM_CLAIM.test(c.name)) claims.push(c);
      return false;
    }
    return true;
  });
  for (const c of claims) removeResource(c);
  for (const n of k.nodes.values()) {
    const z = n.zones[ZONE_DEVICE];
    z.startPfn = 0;
    z.spanned = 0;
  }
}

function moduleEvent(k: Kernel, path: string, subsystem: string): void {
  k.uevent("add", path, subsystem);
}

/**
 * Which btt seed a region got at boot is decided by a race between the
 * region's probe and its namespace's (see markBootBttRace): the model
 * guesses, unless the caller chose an outcome (`choices`, by race key
 * "btt-seed:regionN") or an import's device list names the seed.
 */
function applyBootBttSeeds(k: Kernel, bus: NdBus | null, bootDevices: string[] | undefined, choices: Record<string, number> | undefined): void {
  if (!bus) return;
  for (const r of ndState(k).regions) {
    if (r.bus !== bus) continue;
    const re = new RegExp(`/${r.name}/btt${r.id}\\.(\\d+)$`);
    const rePfn = new RegExp(`/${r.name}/pfn${r.id}\\.(\\d+)$`);
    for (const p of bootDevices ?? []) {
      if (!p.startsWith(bus.parentPath + "/")) continue;
      const m = re.exec(p);
      if (m) settleBootBttRace(r, Number(m[1]));
      const mp = k.rules.bootPfnSeedRace ? rePfn.exec(p) : null;
      if (mp) settleBootPfnRace(r, Number(mp[1]));
    }
    const chosen = choices?.[raceKey({ race: "btt-seed", region: r.name })];
    if (chosen !== undefined) settleBootBttRace(r, chosen);
    const chosenPfn = choices?.[raceKey({ race: "pfn-seed", region: r.name })];
    if (chosenPfn !== undefined) settleBootPfnRace(r, chosenPfn);
  }
}

/** A provider's boot probes (its regions, their namespaces): the disks they attach race for their DISKSEQ (bootDiskOrderRace). */
function flushBootProbes(k: Kernel, bus: NdBus | null, choices: Record<string, number> | undefined): void {
  const from = ndState(k).diskseq;
  ndFlush(k);
  if (!bus) return;
  const disks: Disk[] = [];
  for (const d of allNdDevices(k)) if ((d.kind === "namespace" || d.kind === "pfn" || d.kind === "btt") && d.disk && d.disk.diskseq > from) disks.push(d.disk);
  disks.sort((a, b) => a.diskseq - b.diskseq);
  bootDiskOrderRace(k, bus.name, disks, choices?.[raceKey({ race: "disk-order", region: bus.name })]);
}

/** The key a boot race is chosen by in RunOptions.bootRaces: "btt-seed:region0". */
export function raceKey(r: { race: string; region: string }): string {
  return `${r.race}:${r.region}`;
}

/**
 * Module loads after boot: probe what the machine has. `bootDevices` and
 * `choices`: how to settle boot races, see applyBootBttSeeds.
 */
export function initNvdimm(sys: System, imported: boolean, bootDevices?: string[], choices?: Record<string, number>): void {
  const k = sys.kernel;
  if (imported) forgetImportedClaims(k, sys.layout.nvdimms);
  registerNdSysfs();
  const st = ndState(k);
  // libnvdimm
  for (const [p, s] of [
    ["/bus/nd", "bus"],
    ["/class/nd", "class"],
    ["/bus/nd/drivers/nd_bus", "drivers"],
    ["/bus/nd/drivers/nvdimm", "drivers"],
    ["/bus/nd/drivers/nd_region", "drivers"],
    ["/module/libnvdimm", "module"],
    ["/module/nd_btt", "module"],
  ] as const)
    moduleEvent(k, p, s);
  for (const d of ["nd_bus", "nvdimm", "nd_region"]) ndDriverLoad(k, d);
  ndDriverLoad(k, "nd_pmem");
  moduleEvent(k, "/bus/nd/drivers/nd_pmem", "drivers");
  moduleEvent(k, "/module/nd_pmem", "module");
  // nd_e820
  const e820 = e820PmemProbe(k, (addr) => physToTargetNode(k, addr));
  applyBootBttSeeds(k, e820, bootDevices, choices);
  flushBootProbes(k, e820, choices);
  moduleEvent(k, "/bus/platform/drivers/e820_pmem", "drivers");
  moduleEvent(k, "/module/nd_e820", "module");
  // nfit
  const nfit = nfitProbe(
    k,
    sys.layout.nvdimms.map((n) => ({ slot: n.slot, start: n.start, size: n.size, labelSize: n.labelSize, pxm: n.node })),
    (node) => nfitTargetNode(node, k),
    (addr) => memoryAddPhysaddrToNid(k, addr),
    (addr) => physToTargetNode(k, addr),
  );
  applyBootBttSeeds(k, nfit, bootDevices, choices);
  flushBootProbes(k, nfit, choices);
  moduleEvent(k, nfitDriver(k).driverPath, "drivers");
  moduleEvent(k, "/module/nfit", "module");
  // device_dax, dax_pmem, kmem
  daxDriverRegister(k, "device_dax");
  moduleEvent(k, "/bus/dax/drivers/device_dax", "drivers");
  moduleEvent(k, "/module/device_dax", "module");
  ndDriverLoad(k, "dax_pmem");
  ndFlush(k);
  moduleEvent(k, "/bus/nd/drivers/dax_pmem", "drivers");
  moduleEvent(k, "/module/dax_pmem", "module");
  daxDriverRegister(k, "kmem");
  moduleEvent(k, "/bus/dax/drivers/kmem", "drivers");
  moduleEvent(k, "/module/kmem", "module");
  st.loaded = true;
  sys.bootRaces = () => ndState(k).bootRaces;
  sys.settleHooks.push(() => ndFlush(k));
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

/** The oracle's record of a tool run: random uuids of the JSON hidden, the originals under `noisy`; a run memhp cannot model is a step error. */
function record(r: ToolResult): Record<string, unknown> {
  if (r.unsupported) return { error: `memhp: ${r.unsupported}`, unsupported: true };
  const out: Record<string, unknown> = { argv: r.argv, rc: r.rc };
  const noisy: Record<string, string> = {};
  if (r.stdout_json !== undefined) out.stdout_json = normalizeUuids(r.stdout_json, noisy);
  if (r.stdout !== undefined) out.stdout = r.stdout;
  out.stderr = r.stderr;
  if (Object.keys(noisy).length) out.noisy = { stdout: noisy };
  return out;
}

/** Returns the step result, or undefined when the op is not one of ours. */
export function applyNvdimmStep(sys: System, step: RawStep): unknown | undefined {
  const k = sys.kernel;
  let r: ToolResult;
  switch (step.op) {
    case "create-namespace": {
      const a = ["create-namespace"];
      if (step.namespace) a.push("-e", String(step.namespace));
      if (step.force) a.push("-f");
      if (step.region) a.push("-r", String(step.region));
      a.push("-m", String(step.mode));
      if (str(step.align)) a.push("-a", str(step.align)!);
      if (str(step.size)) a.push("-s", str(step.size)!);
      if (str(step.map)) a.push("-M", str(step.map)!);
      if (Array.isArray(step.extra_args)) a.push(...(step.extra_args as unknown[]).map(String));
      r = ndctl(k, a);
      break;
    }
    case "destroy-namespace":
      r = ndctl(k, ["destroy-namespace", "-f", String(step.namespace)]);
      break;
    case "reconfigure-dax": {
      const a = ["reconfigure-device", "-m", String(step.mode)];
      if (step.movable === true) a.push("--movable");
      if (step.movable === false) a.push("--no-movable");
      if (step.online === false) a.push("--no-online");
      if (step.force) a.push("-f");
      a.push(String(step.dev));
      r = daxctl(k, a);
      break;
    }
    case "ndctl":
      r = ndctl(k, ((step.args as unknown[]) ?? []).map(String));
      break;
    case "daxctl":
      r = daxctl(k, ((step.args as unknown[]) ?? []).map(String));
      break;
    default:
      return undefined;
  }
  ndFlush(k);
  return record(r);
}

/** `ndctl list -DRNi` / `daxctl list -RDi` JSON when the nd or dax bus has devices. */
export function nvdimmSnapshot(sys: System): Record<string, unknown> | undefined {
  const k = sys.kernel;
  ndFlush(k);
  const st = ndState(k);
  const ndDevices = st.buses.some((b) => b.registered);
  const daxDevices = daxState(k).devices.some((d) => d.registered);
  if (!ndDevices && !daxDevices) return undefined;
  const nd = ndctlListJson(k, { dimms: true, regions: true, namespaces: true, idle: true });
  const dax = daxctlListJson(k, { regions: true, devices: true, idle: true });
  const noisy: Record<string, string> = {};
  return {
    ndctl: nd === undefined ? null : normalizeUuids(nd, noisy),
    daxctl: dax === undefined ? null : normalizeUuids(dax, noisy),
  };
}
