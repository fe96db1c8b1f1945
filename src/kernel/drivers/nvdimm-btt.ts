/** BTT (sector mode): btt devices, layout, info block, attach. Models drivers/nvdimm/btt_devs.c and btt.c. */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, ENOMEM, ENXIO, type Errno } from "../errno.js";
import { removeResource, requestRegion } from "../resource.js";
import { alignUp, hex0x10, MiB } from "../units.js";
import { type BttInfo, type ClaimClass, type NdBtt, type NdNamespace, type NdRegion, ndState, NULL_UUID, type ProbeResult } from "./nvdimm-core.js";
import { err, ndDeviceRegister, ndFlush, OK } from "./nvdimm-bus.js";
import { attachNs, claimNamespaceStore, detachNs, ndUuidStore } from "./nvdimm-claim.js";
import { nsUuid } from "./nvdimm-namespace.js";
import { driverOf, SZ_16M, SZ_4K } from "./nvdimm-pfn.js";
import { addDisk, delDisk, diskName } from "./nvdimm-pmem.js";

/** nd_btt_alloc(): a btt device of region `r`, not registered yet. */
function bttAlloc(r: NdRegion): NdBtt {
  const b: NdBtt = { kind: "btt", region: r, id: r.bttIda.get(), name: "", ns: null, uuid: null, lbasize: 0, disk: null, size: 0, registered: false, killed: false, driver: null, devres: [] };
  b.name = `btt${r.id}.${b.id}`;
  return b;
}

export function bttCreate(k: Kernel, r: NdRegion): NdBtt {
  const b = bttAlloc(r);
  ndDeviceRegister(k, b);
  return b;
}

const BTT_PG_SIZE = 4096;
const ARENA_MIN_SIZE = 16 * MiB;
const ARENA_MAX_SIZE = 2 ** 39;
const BTT_DEFAULT_NFREE = 256;
const LOG_GRP_SIZE = 64;
const MAP_ENT_SIZE = 4;
const INT_LBASIZE_ALIGNMENT = 64;
export const BTT_LBASIZE_SUPPORTED = [512, 520, 528, 4096, 4104, 4160, 4224];

/** btt_claim_class(): BTT v1.1 for label-less or v1.1 labels, v2.0 (btt2) for v1.2 labels or DIMMs without an index yet. */
export function bttClaimClass(r: NdRegion): ClaimClass | null {
  let mask = 0;
  for (const m of r.mappings) {
    const ndd = m.dimm.ndd;
    if (!ndd) {
      mask = 0;
      break;
    }
    const idx = m.dimm.labelArea.index;
    if (!idx) mask |= 1;
    else mask |= idx.version === "1.1" ? 2 : 4;
  }
  if (mask === 0 || mask === 2) return "btt";
  if (mask === 1 || mask === 4) return "btt2";
  return null;
}

/** nd_btt_version(): where the info block lives and which version it must have. */
function bttLayout(ns: NdNamespace): { initialOffset: number; major: number; minor: number } {
  return ns.claimClass === "btt2" ? { initialOffset: 0, major: 2, minor: 0 } : { initialOffset: SZ_4K, major: 1, minor: 1 };
}

/** nd_btt_arena_is_valid() of the block at the namespace's BTT info offset. */
function readBttInfo(k: Kernel, ns: NdNamespace): BttInfo | undefined {
  const l = bttLayout(ns);
  const b = ndState(k).media.get(ns.start + l.initialOffset);
  if (!b || b.sig !== "BTT") return undefined;
  if (b.parentUuid !== NULL_UUID && b.parentUuid !== nsUuid(ns)) return undefined;
  if (b.versionMajor !== l.major || b.versionMinor !== l.minor) return undefined;
  return b;
}

/** create_arenas()/alloc_arena(): the external LBAs of a fresh BTT over rawsize bytes. */
export function bttExternalNlba(rawsize: number, lbasize: number): number {
  let remaining = rawsize;
  let nlba = 0;
  while (remaining) {
    const arenaSize = Math.min(ARENA_MAX_SIZE, remaining);
    remaining -= arenaSize;
    if (arenaSize < ARENA_MIN_SIZE) break;
    const internalLbasize = alignUp(lbasize, INT_LBASIZE_ALIGNMENT);
    let available = arenaSize - (arenaSize % BTT_PG_SIZE);
    available -= 2 * BTT_PG_SIZE;
    available -= alignUp(BTT_DEFAULT_NFREE * LOG_GRP_SIZE, BTT_PG_SIZE);
    const internalNlba = Math.floor((available - BTT_PG_SIZE) / (internalLbasize + MAP_ENT_SIZE));
    nlba += internalNlba - BTT_DEFAULT_NFREE;
  }
  return nlba;
}

/** nd_btt_probe() on a raw namespace: a BTT info block makes a btt device that claims it. */
export function bttProbe(k: Kernel, ns: NdNamespace): ProbeResult {
  if (ns.forceRaw) return err(ENODEV);
  if (!["none", "btt", "btt2"].includes(ns.claimClass)) return err(ENODEV);
  const r = ns.region;
  const b = bttAlloc(r);
  if (!attachNs(b, ns)) {
    r.bttIda.put(b.id);
    return err(ENOMEM);
  }
  const release = (e: Errno): ProbeResult => {
    detachNs(b);
    r.bttIda.put(b.id);
    return err(e);
  };
  if (ns.size < SZ_16M) return release(ENXIO);
  const info = readBttInfo(k, ns);
  if (!info) return release(ENODEV);
  b.lbasize = info.externalLbasize;
  b.uuid = info.uuid;
  ndDeviceRegister(k, b);
  return OK;
}

/** nvdimm_namespace_attach_btt() + btt_init(): find or create the arenas, then the pmemXs disk. */
export function attachBtt(k: Kernel, b: NdBtt, ns: NdNamespace): ProbeResult {
  if (!b.uuid || !b.lbasize) return err(ENODEV);
  // devm_namespace_enable() for the whole life of the btt: the namespace range stays claimed.
  const claim = requestRegion(k.iomem, ns.start, ns.size, ns.name, {});
  if (!claim) {
    k.printk(4, `${driverOf(b)} ${b.name}: could not reserve region [mem ${hex0x10(ns.start)}-${hex0x10(ns.start + ns.size - 1)}]`);
    return err(EBUSY);
  }
  b.devres.push(() => removeResource(claim));
  const l = bttLayout(ns);
  const rawsize = ns.size - l.initialOffset;
  if (rawsize < ARENA_MIN_SIZE) return err(ENXIO);
  const sectorSize = b.lbasize >= 4096 ? 4096 : 512;
  let info = readBttInfo(k, ns);
  if (!info) {
    k.printk(6, `${driverOf(b)} ${b.name}: No existing arenas`);
    if (ns.region.ro) {
      k.printk(4, `${driverOf(b)} ${b.name}: ${ns.region.name} is read-only, unable to init btt metadata`);
      return err(ENOMEM);
    }
    info = {
      sig: "BTT",
      uuid: b.uuid,
      parentUuid: nsUuid(ns),
      externalLbasize: b.lbasize,
      nlba: bttExternalNlba(rawsize, b.lbasize),
      versionMajor: l.major,
      versionMinor: l.minor,
    };
    ndState(k).media.set(ns.start + l.initialOffset, info);
  }
  b.size = info.nlba * sectorSize;
  const disk = addDisk(k, diskName(ns, b), b);
  b.disk = disk;
  b.devres.push(() => {
    delDisk(k, disk);
    b.disk = null;
    b.size = 0;
  });
  return OK;
}

/** Writes to a btt device attribute (uuid, sector_size, namespace). */
export function bttStore(k: Kernel, b: NdBtt, attr: string, buf: string): Errno | null {
  ndFlush(k);
  const v = buf.replace(/\n$/, "");
  switch (attr) {
    case "uuid":
      return ndUuidStore(b, v);
    case "sector_size": {
      if (b.driver) return EBUSY;
      const n = Number(v);
      if (!BTT_LBASIZE_SUPPORTED.includes(n)) return EINVAL;
      b.lbasize = n;
      return null;
    }
    case "namespace":
      return claimNamespaceStore(k, b, buf);
  }
  return "EACCES";
}
