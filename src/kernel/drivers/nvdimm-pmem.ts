/** The nd_pmem driver: probe of a namespace, pfn or btt device, and its gendisk. Models drivers/nvdimm/pmem.c. */
import type { Kernel } from "../kernel.js";
import { EBUSY, ENODEV, ENXIO } from "../errno.js";
import { type DevPagemap, memremapPages, memunmapPages } from "../memremap.js";
import { removeResource, requestRegion } from "../resource.js";
import { hex0x10 } from "../units.js";
import { type Disk, diskPath, diskUevent, type NdBtt, type NdNamespace, type NdPfn, type NdRegion, ndState, type ProbeResult } from "./nvdimm-core.js";
import { attachBtt, bttProbe } from "./nvdimm-btt.js";
import { err, OK } from "./nvdimm-bus.js";
import { claimProbe, namespaceCommonProbe } from "./nvdimm-claim.js";
import { pmemShouldMapPages } from "./nvdimm-namespace.js";
import { driverOf, nvdimmSetupPfn } from "./nvdimm-pfn.js";

/** nd_pmem_probe(). */
export function ndPmemProbe(k: Kernel, d: NdNamespace | NdBtt | NdPfn): ProbeResult {
  const c = namespaceCommonProbe(k, d);
  if (!c.ok) return c;
  const ns = c.ns;
  if (d.kind === "btt") return attachBtt(k, d, ns);
  if (d.kind === "pfn") return pmemAttachDisk(k, d, ns);
  if (d.kind === "ndax") return err(ENODEV);
  // Raw namespace: look for btt / pfn / dax info blocks first.
  let r = bttProbe(k, ns);
  if (r.ok) return err(ENXIO);
  r = claimProbe(k, ns, "pfn");
  if (r.ok) return err(ENXIO);
  if (r.errno === "EOPNOTSUPP") return r;
  r = claimProbe(k, ns, "ndax");
  if (r.ok) return err(ENXIO);
  if (r.errno === "EOPNOTSUPP") return r;
  return pmemAttachDisk(k, ns, ns);
}

/** nvdimm_has_flush() < 0: regions without DIMM mappings (e820) cannot flush. */
function hasNoFlush(r: NdRegion): boolean {
  return r.mappings.length === 0;
}

/** nvdimm_namespace_disk_name(). */
export function diskName(ns: NdNamespace, dev: NdNamespace | NdPfn | NdBtt): string {
  const suffix = dev.kind === "btt" ? "s" : "";
  const idx = ns.nstype === "pmem" ? ns.id : 0;
  return idx ? `pmem${ns.region.id}.${idx}${suffix}` : `pmem${ns.region.id}${suffix}`;
}

/** pmem_attach_disk(). */
function pmemAttachDisk(k: Kernel, dev: NdNamespace | NdPfn, ns: NdNamespace): ProbeResult {
  let pgmap: DevPagemap | null = null;
  if (dev.kind === "pfn") {
    const s = nvdimmSetupPfn(k, dev);
    if (!s.ok) return s;
    pgmap = s.pgmap;
  }
  if (hasNoFlush(ns.region)) k.printk(4, `${driverOf(dev)} ${dev.name}: unable to guarantee persistence of writes`);
  const res = requestRegion(k.iomem, ns.start, ns.size, ns.name, {});
  if (!res) {
    k.printk(4, `${driverOf(dev)} ${dev.name}: could not reserve region [mem ${hex0x10(ns.start)}-${hex0x10(ns.start + ns.size - 1)}]`);
    return err(EBUSY);
  }
  dev.devres.push(() => removeResource(res));
  if (!pgmap && dev.kind === "namespace" && pmemShouldMapPages(k, ns)) {
    pgmap = { type: "FS_DAX", ranges: [{ start: ns.start, end: ns.start + ns.size - 1 }], owner: dev.name, mapped: 0, nid: -1 };
  }
  if (pgmap) {
    const m = memremapPages(k, pgmap, ns.region.numaNode >= 0 ? ns.region.numaNode : -1);
    if (!m.ok) return m;
    const mapped = pgmap;
    dev.pgmap = mapped;
    dev.devres.push(() => {
      memunmapPages(k, mapped);
      dev.pgmap = null;
    });
  }
  const disk = addDisk(k, diskName(ns, dev), dev);
  dev.disk = disk;
  dev.devres.push(() => {
    delDisk(k, disk);
    dev.disk = null;
  });
  return OK;
}

/** device_add_disk(): a new diskseq, a minor, uevent `add`. */
export function addDisk(k: Kernel, name: string, parent: NdNamespace | NdPfn | NdBtt): Disk {
  const st = ndState(k);
  st.diskseq++;
  const disk: Disk = { name, diskseq: st.diskseq, minor: st.diskMinors.get(), parent };
  diskUevent(k, "add", disk);
  return disk;
}

export function delDisk(k: Kernel, disk: Disk): void {
  diskUevent(k, "remove", disk);
  ndState(k).diskMinors.put(disk.minor);
}

/** Boot disks of one bus whose attach order the model enumerates as a race (n! outcomes). */
const MAX_ORDER_RACE = 4;

/**
 * The boot-time disk order race. At module load every region's namespaces
 * are registered from nd_async_domain work, which runs on an unbound
 * workqueue: one worker per item, all at once, so the namespace probes of
 * different regions attach their disks in any order, and a disk's DISKSEQ
 * (and block minor) is its place in that order. Recorded on one arm64 6.12
 * machine with four NVDIMMs, four boots, four orders
 * (test/oracle/arm64/traces/a64-nvdimm-4-diskseq*). The model's own probe
 * order (registration order) is outcome 0; outcome i is the i-th
 * permutation of the values handed out. `disks` were attached by one
 * bus's boot probes, in the model's order.
 */
export function bootDiskOrderRace(k: Kernel, bus: string, disks: Disk[], choice: number | undefined): void {
  // Before DISKSEQ (5.15) the order shows only in the block minors, which the oracle keeps as noise.
  if (disks.length < 2 || disks.length > MAX_ORDER_RACE || !k.rules.diskseqUevent) return;
  const perms = permutations(disks.length);
  const chosen = choice !== undefined && perms[choice] ? choice : 0;
  ndState(k).bootRaces.push({ race: "disk-order", region: bus, outcomes: perms.map((_, i) => i), chosen });
  if (chosen === 0) return;
  const values = disks.map((d) => ({ diskseq: d.diskseq, minor: d.minor, path: diskPath(d) }));
  disks.forEach((d, i) => {
    const v = values[perms[chosen][i]];
    // The uevents the disk sent at its probe carry its values too.
    for (const e of k.uevents) {
      if (e.subsystem !== "block" || e.devpath !== values[i].path) continue;
      e.vars = e.vars?.map(([n, x]) => (n === "DISKSEQ" ? [n, String(v.diskseq)] : [n, x]));
      e.noisy = e.noisy?.map(([n, x]) => (n === "MINOR" ? [n, String(v.minor)] : [n, x]));
    }
    d.diskseq = v.diskseq;
    d.minor = v.minor;
  });
}

function permutations(n: number): number[][] {
  const go = (xs: number[]): number[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => go([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
  return go([...Array(n).keys()]);
}
