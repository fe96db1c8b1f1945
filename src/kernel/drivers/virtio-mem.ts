/**
 * The virtio-mem guest driver of Linux 6.1 (drivers/virtio/virtio_mem.c):
 * probe (config, sub-block mode vs big-block mode, the `virtioN` parent
 * resource, the dynamic memory group, notifier and online-page callback),
 * the workqueue that follows `requested_size` (plug lowest first, unplug
 * highest first, offline/partial blocks before online ones, Movable before
 * kernel zones), fake-offlining of unplugged sub-blocks of online blocks
 * (PageOffline, not in MemTotal), offline_and_remove_memory() of emptied
 * blocks, and the driver's log lines (dev_info, dev_dbg = level 7).
 *
 * Work runs when the model runs it: a config change or a retry queues the
 * work item; runPendingWork() runs it until nothing is queued (what the
 * oracle's settling observes). The hrtimer retry (50 s and up) is not
 * modelled.
 */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENOMEM, ENOSPC, ERRNO_NUMBER, type Errno } from "../errno.js";
import { addMemory, offlineAndRemoveMemory, removeMemory } from "../hotplug.js";
import { registerDynamicGroup, type MemoryGroup } from "../memory-block.js";
import { maybePinKernelAllocation, registerMemoryNotifier, setOnlinePageCallback, type MemoryAction, type MemoryNotify } from "../online.js";
import { pfnToOnlinePage } from "../pfn.js";
import { requestRegion, type Resource } from "../resource.js";
import { ZONE_MOVABLE, type Zone } from "../zone.js";

/** The device side as the driver sees it: config space and the request queue. */
export interface VirtioMemHost {
  config(): {
    blockSize: number;
    nodeId: number;
    addr: number;
    regionSize: number;
    usableRegionSize: number;
    pluggedSize: number;
    requestedSize: number;
  };
  /** Replies: 0 ACK, 1 NACK, 2 BUSY, 3 ERROR. */
  plug(addr: number, nbBlocks: number): number;
  unplug(addr: number, nbBlocks: number): number;
  unplugAll(): number;
}

const RESP_ACK = 0;
const RESP_NACK = 1;
const RESP_BUSY = 2;
const RESP_ERROR = 3;

/** Module parameters of virtio_mem. */
export interface VirtioMemParams {
  unplugOnline: boolean;
  forceBbm: boolean;
  bbmBlockSize: number;
  bbmSafeUnplug: boolean;
}

export const DEFAULT_VIRTIO_MEM_PARAMS: VirtioMemParams = { unplugOnline: true, forceBbm: false, bbmBlockSize: 0, bbmSafeUnplug: true };

/** Errors of the driver's paths (errno names; EAGAIN/ETXTBSY only live inside the driver). */
type Err = Errno | "EAGAIN" | "ETXTBSY";
const ERRNUM: Record<string, number> = { ...ERRNO_NUMBER, EAGAIN: 11, ETXTBSY: 26 };

type SbmState =
  | "UNUSED"
  | "PLUGGED"
  | "OFFLINE"
  | "OFFLINE_PARTIAL"
  | "KERNEL"
  | "KERNEL_PARTIAL"
  | "MOVABLE"
  | "MOVABLE_PARTIAL";
type BbState = "UNUSED" | "PLUGGED" | "ADDED" | "FAKE_OFFLINE";

const DEFAULT_OFFLINE_THRESHOLD = 1024 * 1024 * 1024;
const NUMA_NO_NODE = -1;

function hx(x: number): string {
  return `0x${x.toString(16)}`;
}

function isPowerOf2(x: number): boolean {
  return x > 0 && Number.isInteger(Math.log2(x));
}

/** All virtio-mem devices of a kernel (they share one online-page callback). */
const devicesOf = new WeakMap<Kernel, VirtioMemDriver[]>();

export class VirtioMemDriver {
  readonly k: Kernel;
  readonly host: VirtioMemHost;
  /** dev_name(): virtioN. */
  readonly devName: string;
  readonly params: VirtioMemParams;

  pluggedSize = 0;
  requestedSize = 0;
  deviceBlockSize = 0;
  nid = NUMA_NO_NODE;
  addr = 0;
  regionSize = 0;
  parentResource: Resource | null = null;
  mgid = -1;
  offlineThreshold = 0;
  inSbm = false;
  unplugAllRequired = false;
  broken = false;

  // Sub-block mode.
  firstMbId = 0;
  lastUsableMbId = 0;
  nextMbId = 0;
  sbSize = 0;
  sbsPerMb = 0;
  /** Plugged sub-blocks per memory block id. */
  private readonly sbPlugged = new Map<number, Uint8Array>();

  // Big-block mode.
  firstBbId = 0;
  lastUsableBbId = 0;
  nextBbId = 0;
  bbSize = 0;
  private readonly bbStates = new Map<number, BbState>();

  // Workqueue.
  private configChanged = false;
  private workPending = false;
  private wqActive = false;

  constructor(k: Kernel, host: VirtioMemHost, devName: string, params: VirtioMemParams = DEFAULT_VIRTIO_MEM_PARAMS) {
    this.k = k;
    this.host = host;
    this.devName = devName;
    this.params = params;
  }

  // ------------------------------------------------------------ logging --
  private log(level: number, msg: string): void {
    this.k.printk(level, `virtio_mem ${this.devName}: ${msg}`);
  }
  private info(msg: string): void {
    this.log(6, msg);
  }
  private dbg(msg: string): void {
    this.log(7, msg);
  }
  private warn(msg: string): void {
    this.log(4, msg);
  }

  // ----------------------------------------------------------- geometry --
  get mbSize(): number {
    return this.k.blockSize;
  }
  private get ps(): number {
    return this.k.geometry.pageSize;
  }
  private mbIdToPhys(mb: number): number {
    return mb * this.mbSize;
  }
  private physToMbId(addr: number): number {
    return Math.floor(addr / this.mbSize);
  }
  private bbIdToPhys(bb: number): number {
    return bb * this.bbSize;
  }
  private physToBbId(addr: number): number {
    return Math.floor(addr / this.bbSize);
  }
  private pluggableEnd(): number {
    // mhp_get_pluggable_range(true): [0, PHYSMEM_END].
    return this.k.physmemEnd;
  }

  /** Does the device region contain [start, start + size)? */
  containsRange(start: number, size: number): boolean {
    return start >= this.addr && start + size <= this.addr + this.regionSize;
  }
  overlapsRange(start: number, size: number): boolean {
    return start < this.addr + this.regionSize && this.addr < start + size;
  }

  // ------------------------------------------------ sub-block bookkeeping --
  private sbs(mb: number): Uint8Array {
    let a = this.sbPlugged.get(mb);
    if (!a) {
      a = new Uint8Array(this.sbsPerMb);
      this.sbPlugged.set(mb, a);
    }
    return a;
  }
  private testSbPlugged(mb: number, sb: number, count: number): boolean {
    const a = this.sbs(mb);
    for (let i = sb; i < sb + count; i++) if (!a[i]) return false;
    return true;
  }
  private testSbUnplugged(mb: number, sb: number, count: number): boolean {
    const a = this.sbs(mb);
    for (let i = sb; i < sb + count; i++) if (a[i]) return false;
    return true;
  }
  private setSb(mb: number, sb: number, count: number, plugged: boolean): void {
    this.sbs(mb).fill(plugged ? 1 : 0, sb, sb + count);
  }
  private firstUnpluggedSb(mb: number): number {
    const a = this.sbs(mb);
    for (let i = 0; i < this.sbsPerMb; i++) if (!a[i]) return i;
    return this.sbsPerMb;
  }

  /** The SBM state of a memory block, as the driver's notifier would have tracked it. */
  private sbmState(mb: number): SbmState {
    const full = this.testSbPlugged(mb, 0, this.sbsPerMb);
    const empty = this.testSbUnplugged(mb, 0, this.sbsPerMb);
    const b = this.k.blockAt(this.mbIdToPhys(mb) / this.ps);
    if (!b) return empty ? "UNUSED" : "PLUGGED";
    if (b.state === "offline") return full ? "OFFLINE" : "OFFLINE_PARTIAL";
    const movable = b.zone?.idx === ZONE_MOVABLE;
    if (movable) return full ? "MOVABLE" : "MOVABLE_PARTIAL";
    return full ? "KERNEL" : "KERNEL_PARTIAL";
  }

  /** Iterate memory blocks in `state`, re-checking each one when it is reached. */
  private *eachMb(state: SbmState, reverse = false): Generator<number> {
    if (reverse) {
      for (let mb = this.nextMbId - 1; mb >= this.firstMbId; mb--) if (this.sbmState(mb) === state) yield mb;
    } else {
      for (let mb = this.firstMbId; mb < this.nextMbId; mb++) if (this.sbmState(mb) === state) yield mb;
    }
  }

  private bbState(bb: number): BbState {
    return this.bbStates.get(bb) ?? "UNUSED";
  }
  private *eachBb(state: BbState, reverse = false): Generator<number> {
    if (reverse) {
      for (let bb = this.nextBbId - 1; bb >= this.firstBbId; bb--) if (this.bbState(bb) === state) yield bb;
    } else {
      for (let bb = this.firstBbId; bb < this.nextBbId; bb++) if (this.bbState(bb) === state) yield bb;
    }
  }

  /** offline_size: bytes of this device's memory that is added but offline. */
  private offlineSize(): number {
    let bytes = 0;
    for (const b of this.k.blocksIn(this.addr / this.ps, this.regionSize / this.ps)) {
      if (b.state === "offline") bytes += b.nrPages * this.ps;
    }
    return bytes;
  }

  /** virtio_mem_could_add_memory(); `onlining`: bytes being onlined right now (still offline in the block state). */
  private couldAddMemory(size: number, onlining = 0): boolean {
    if (size > this.offlineThreshold) return false;
    return this.offlineSize() - onlining + size <= this.offlineThreshold;
  }

  // ----------------------------------------------------- managed pages --
  private zoneOfPfn(pfn: number): Zone | null {
    const pz = pfnToOnlinePage(this.k, pfn);
    return pz ? this.k.node(pz.nid).zones[pz.idx] : null;
  }

  /** adjust_managed_page_count(). */
  private adjustManaged(pfn: number, delta: number, zone?: Zone | null): void {
    const z = zone ?? this.zoneOfPfn(pfn);
    if (z) z.managed += delta;
  }

  /** virtio_mem_fake_offline(): alloc_contig_range() the pages and mark them PageOffline. */
  private fakeOffline(pfn: number, nr: number): Err | null {
    const z = this.zoneOfPfn(pfn);
    const movable = z?.idx === ZONE_MOVABLE;
    for (let retry = 0; retry < 5; retry++) {
      // alloc_contig_range() fails on unmovable pages; free and movable pages are taken.
      const busy = this.k.isUnmovable(pfn, pfn + nr);
      if (busy && !movable) break;
      if (busy) continue;
      this.adjustManaged(pfn, -nr, z);
      return null;
    }
    return EBUSY;
  }

  /** virtio_mem_fake_online(): give PageOffline pages back to the buddy. */
  private fakeOnline(pfn: number, nr: number): void {
    this.adjustManaged(pfn, nr);
  }

  // ---------------------------------------------------- device requests --
  private sendPlugRequest(addr: number, size: number): Err | null {
    const nb = (size / this.deviceBlockSize) & 0xffff;
    if (this.configChanged) return "EAGAIN";
    this.dbg(`plugging memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
    let rc: Err = ENOMEM;
    switch (this.host.plug(addr, nb)) {
      case RESP_ACK:
        this.pluggedSize += size;
        return null;
      case RESP_NACK:
        rc = "EAGAIN";
        break;
      case RESP_BUSY:
        rc = "ETXTBSY";
        break;
      case RESP_ERROR:
        rc = EINVAL;
        break;
    }
    this.dbg(`plugging memory failed: -${ERRNUM[rc]}`);
    return rc;
  }

  private sendUnplugRequest(addr: number, size: number): Err | null {
    const nb = (size / this.deviceBlockSize) & 0xffff;
    if (this.configChanged) return "EAGAIN";
    this.dbg(`unplugging memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
    let rc: Err = ENOMEM;
    switch (this.host.unplug(addr, nb)) {
      case RESP_ACK:
        this.pluggedSize -= size;
        return null;
      case RESP_BUSY:
        rc = "ETXTBSY";
        break;
      case RESP_ERROR:
        rc = EINVAL;
        break;
    }
    this.dbg(`unplugging memory failed: -${ERRNUM[rc]}`);
    return rc;
  }

  private sendUnplugAllRequest(): Err | null {
    this.dbg("unplugging all memory");
    let rc: Err = ENOMEM;
    switch (this.host.unplugAll()) {
      case RESP_ACK:
        this.unplugAllRequired = false;
        this.pluggedSize = 0;
        this.configChanged = true;
        return null;
      case RESP_BUSY:
        rc = "ETXTBSY";
        break;
    }
    this.dbg(`unplugging all memory failed: -${ERRNUM[rc]}`);
    return rc;
  }

  // ------------------------------------------------ add / remove memory --
  private addMemoryRange(addr: number, size: number): Err | null {
    this.dbg(`adding memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
    const r = addMemory(this.k, this.mgid, addr, size, "System RAM (virtio_mem)", { mergeResource: true, nidIsMgid: true });
    if (!r.ok) {
      this.warn(`adding memory failed: -${ERRNUM[r.errno]}`);
      return r.errno;
    }
    return null;
  }

  private removeMemoryRange(addr: number, size: number): Err | null {
    this.dbg(`removing memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
    const r = removeMemory(this.k, addr, size);
    if (r.ok) {
      this.retry();
      return null;
    }
    this.dbg(`removing memory failed: -${ERRNUM[r.errno]}`);
    return r.errno;
  }

  private offlineAndRemoveRange(addr: number, size: number): Err | null {
    this.dbg(`offlining and removing memory: ${hx(addr)} - ${hx(addr + size - 1)}`);
    const r = offlineAndRemoveMemory(this.k, addr, size);
    if (r.ok) {
      this.retry();
      return null;
    }
    this.dbg(`offlining and removing memory failed: -${ERRNUM[r.errno]}`);
    return r.errno;
  }

  // --------------------------------------------------------------- SBM --
  private sbmPlugSb(mb: number, sb: number, count: number): Err | null {
    const rc = this.sendPlugRequest(this.mbIdToPhys(mb) + sb * this.sbSize, count * this.sbSize);
    if (!rc) this.setSb(mb, sb, count, true);
    return rc;
  }

  private sbmUnplugSb(mb: number, sb: number, count: number): Err | null {
    const rc = this.sendUnplugRequest(this.mbIdToPhys(mb) + sb * this.sbSize, count * this.sbSize);
    if (!rc) this.setSb(mb, sb, count, false);
    return rc;
  }

  /** virtio_mem_sbm_unplug_any_sb_raw(): from the top, several adjacent sub-blocks per request. */
  private sbmUnplugAnySbRaw(mb: number, nb: { n: number }): Err | null {
    let sb = this.sbsPerMb - 1;
    while (nb.n) {
      while (sb >= 0 && this.testSbUnplugged(mb, sb, 1)) sb--;
      if (sb < 0) break;
      let count = 1;
      while (count < nb.n && sb > 0 && this.testSbPlugged(mb, sb - 1, 1)) {
        count++;
        sb--;
      }
      const rc = this.sbmUnplugSb(mb, sb, count);
      if (rc) return rc;
      nb.n -= count;
      sb--;
    }
    return null;
  }

  private sbmPrepareNextMb(): { mb: number } | Err {
    if (this.nextMbId > this.lastUsableMbId) return ENOSPC;
    const mb = this.nextMbId++;
    this.sbPlugged.set(mb, new Uint8Array(this.sbsPerMb));
    return { mb };
  }

  /** virtio_mem_sbm_plug_and_add_mb(). */
  private sbmPlugAndAddMb(mb: number, nb: { n: number }): Err | null {
    const count = Math.min(nb.n, this.sbsPerMb);
    if (!count) return EINVAL;
    let rc = this.sbmPlugSb(mb, 0, count);
    if (rc) return rc;
    rc = this.addMemoryRange(this.mbIdToPhys(mb), this.mbSize);
    if (rc) {
      // Try to unplug again; PLUGGED/UNUSED follow from the sub-block state.
      this.sbmUnplugSb(mb, 0, count);
      return rc;
    }
    nb.n -= count;
    return null;
  }

  /** virtio_mem_sbm_plug_any_sb(): plug into an added block, fake-onlining if it is online. */
  private sbmPlugAnySb(mb: number, nb: { n: number }): Err | null {
    const oldState = this.sbmState(mb);
    if (!nb.n) return EINVAL;
    while (nb.n) {
      const sb = this.firstUnpluggedSb(mb);
      if (sb >= this.sbsPerMb) break;
      let count = 1;
      while (count < nb.n && sb + count < this.sbsPerMb && !this.testSbPlugged(mb, sb + count, 1)) count++;
      const rc = this.sbmPlugSb(mb, sb, count);
      if (rc) return rc;
      nb.n -= count;
      if (oldState === "OFFLINE_PARTIAL") continue;
      this.fakeOnline((this.mbIdToPhys(mb) + sb * this.sbSize) / this.ps, (count * this.sbSize) / this.ps);
    }
    return null;
  }

  private sbmPlugRequest(diff: number): Err | null {
    const nb = { n: Math.floor(diff / this.sbSize) };
    if (!nb.n) return null;
    for (const state of ["KERNEL_PARTIAL", "MOVABLE_PARTIAL", "OFFLINE_PARTIAL"] as const) {
      for (const mb of this.eachMb(state)) {
        const rc = this.sbmPlugAnySb(mb, nb);
        if (rc || !nb.n) return rc;
      }
    }
    for (const mb of this.eachMb("UNUSED")) {
      if (!this.couldAddMemory(this.mbSize)) return ENOSPC;
      const rc = this.sbmPlugAndAddMb(mb, nb);
      if (rc || !nb.n) return rc;
    }
    while (nb.n) {
      if (!this.couldAddMemory(this.mbSize)) return ENOSPC;
      const next = this.sbmPrepareNextMb();
      if (typeof next === "string") return next;
      const rc = this.sbmPlugAndAddMb(next.mb, nb);
      if (rc) return rc;
    }
    return null;
  }

  /** virtio_mem_sbm_unplug_any_sb_offline(). */
  private sbmUnplugAnySbOffline(mb: number, nb: { n: number }): Err | null {
    const rc = this.sbmUnplugAnySbRaw(mb, nb);
    if (rc) return rc;
    if (this.testSbUnplugged(mb, 0, this.sbsPerMb)) {
      // Should never fail (BUG_ON in the kernel).
      this.removeMemoryRange(this.mbIdToPhys(mb), this.mbSize);
    }
    return null;
  }

  /** virtio_mem_sbm_unplug_sb_online(). */
  private sbmUnplugSbOnline(mb: number, sb: number, count: number): Err | null {
    const pfn = (this.mbIdToPhys(mb) + sb * this.sbSize) / this.ps;
    const nr = (count * this.sbSize) / this.ps;
    let rc = this.fakeOffline(pfn, nr);
    if (rc) return rc;
    rc = this.sbmUnplugSb(mb, sb, count);
    if (rc) {
      this.fakeOnline(pfn, nr);
      return rc;
    }
    return null;
  }

  /** virtio_mem_sbm_unplug_any_sb_online(). */
  private sbmUnplugAnySbOnline(mb: number, nb: { n: number }): Err | null {
    let done = false;
    if (nb.n >= this.sbsPerMb && this.testSbPlugged(mb, 0, this.sbsPerMb)) {
      const rc = this.sbmUnplugSbOnline(mb, 0, this.sbsPerMb);
      if (!rc) {
        nb.n -= this.sbsPerMb;
        done = true;
      } else if (rc !== EBUSY) return rc;
    }
    if (!done) {
      for (let sb = this.sbsPerMb - 1; sb >= 0 && nb.n; sb--) {
        while (sb >= 0 && !this.testSbPlugged(mb, sb, 1)) sb--;
        if (sb < 0) break;
        const rc = this.sbmUnplugSbOnline(mb, sb, 1);
        if (rc === EBUSY) continue;
        if (rc) return rc;
        nb.n -= 1;
      }
    }
    if (this.testSbUnplugged(mb, 0, this.sbsPerMb)) {
      this.offlineAndRemoveRange(this.mbIdToPhys(mb), this.mbSize);
    }
    return null;
  }

  private sbmUnplugAnySb(mb: number, nb: { n: number }): Err | null {
    switch (this.sbmState(mb)) {
      case "KERNEL_PARTIAL":
      case "KERNEL":
      case "MOVABLE_PARTIAL":
      case "MOVABLE":
        return this.sbmUnplugAnySbOnline(mb, nb);
      case "OFFLINE_PARTIAL":
      case "OFFLINE":
        return this.sbmUnplugAnySbOffline(mb, nb);
      default:
        return EINVAL;
    }
  }

  private sbmUnplugRequest(diff: number): Err | null {
    const states: SbmState[] = ["OFFLINE_PARTIAL", "OFFLINE", "MOVABLE_PARTIAL", "KERNEL_PARTIAL", "MOVABLE", "KERNEL"];
    const nb = { n: Math.floor(diff / this.sbSize) };
    if (!nb.n) return null;
    for (let i = 0; i < states.length; i++) {
      for (const mb of this.eachMb(states[i], true)) {
        const rc = this.sbmUnplugAnySb(mb, nb);
        if (rc || !nb.n) return rc;
      }
      if (!this.params.unplugOnline && i === 1) return null;
    }
    return nb.n ? EBUSY : null;
  }

  // --------------------------------------------------------------- BBM --
  private bbmPlugAndAddBb(bb: number): Err | null {
    if (this.bbState(bb) !== "UNUSED") return EINVAL;
    let rc = this.sendPlugRequest(this.bbIdToPhys(bb), this.bbSize);
    if (rc) return rc;
    this.bbStates.set(bb, "ADDED");
    rc = this.addMemoryRange(this.bbIdToPhys(bb), this.bbSize);
    if (rc) {
      if (!this.sendUnplugRequest(this.bbIdToPhys(bb), this.bbSize)) this.bbStates.set(bb, "UNUSED");
      else this.bbStates.set(bb, "PLUGGED");
      return rc;
    }
    return null;
  }

  private bbmPlugRequest(diff: number): Err | null {
    let nb = Math.floor(diff / this.bbSize);
    if (!nb) return null;
    for (const bb of this.eachBb("UNUSED")) {
      if (!this.couldAddMemory(this.bbSize)) return ENOSPC;
      const rc = this.bbmPlugAndAddBb(bb);
      if (!rc) nb--;
      if (rc || !nb) return rc;
    }
    while (nb) {
      if (!this.couldAddMemory(this.bbSize)) return ENOSPC;
      if (this.nextBbId > this.lastUsableBbId) return ENOSPC;
      const bb = this.nextBbId++;
      const rc = this.bbmPlugAndAddBb(bb);
      if (rc) return rc;
      nb--;
    }
    return null;
  }

  private sectionPfns(bb: number): number[] {
    const start = this.bbIdToPhys(bb) / this.ps;
    const pps = this.k.sparse.pps;
    const out: number[] = [];
    for (let pfn = start; pfn < start + this.bbSize / this.ps; pfn += pps) out.push(pfn);
    return out;
  }

  /** virtio_mem_bbm_offline_remove_and_unplug_bb(). */
  private bbmOfflineRemoveAndUnplugBb(bb: number): Err | null {
    if (this.bbState(bb) !== "ADDED") return EINVAL;
    const pps = this.k.sparse.pps;
    const sections = this.sectionPfns(bb);
    const rollback = (upTo: number): void => {
      for (const pfn of sections) {
        if (pfn >= upTo) break;
        if (pfnToOnlinePage(this.k, pfn)) this.fakeOnline(pfn, pps);
      }
      this.bbStates.set(bb, "ADDED");
    };
    if (this.params.bbmSafeUnplug) {
      this.bbStates.set(bb, "FAKE_OFFLINE");
      for (const pfn of sections) {
        if (!pfnToOnlinePage(this.k, pfn)) continue;
        const rc = this.fakeOffline(pfn, pps);
        if (rc) {
          rollback(pfn);
          return rc;
        }
      }
    }
    let rc = this.offlineAndRemoveRange(this.bbIdToPhys(bb), this.bbSize);
    if (rc) {
      if (this.params.bbmSafeUnplug) rollback(Infinity);
      return rc;
    }
    rc = this.sendUnplugRequest(this.bbIdToPhys(bb), this.bbSize);
    this.bbStates.set(bb, rc ? "PLUGGED" : "UNUSED");
    return rc;
  }

  private bbIsOffline(bb: number): boolean {
    return this.sectionPfns(bb).every((pfn) => !pfnToOnlinePage(this.k, pfn));
  }

  private bbIsMovable(bb: number): boolean {
    return this.sectionPfns(bb).every((pfn) => {
      const pz = pfnToOnlinePage(this.k, pfn);
      return !pz || pz.idx === ZONE_MOVABLE;
    });
  }

  private bbmUnplugRequest(diff: number): Err | null {
    let nb = Math.floor(diff / this.bbSize);
    if (!nb) return null;
    for (let i = 0; i < 3; i++) {
      for (const bb of this.eachBb("ADDED", true)) {
        if (i === 0 && !this.bbIsOffline(bb)) continue;
        if (i === 1 && !this.bbIsMovable(bb)) continue;
        const rc = this.bbmOfflineRemoveAndUnplugBb(bb);
        if (rc === EBUSY) continue;
        if (!rc) nb--;
        if (rc || !nb) return rc;
      }
      if (i === 0 && !this.params.unplugOnline) return null;
    }
    return nb ? EBUSY : null;
  }

  // -------------------------------------------------------- the worker --
  private unplugPendingMb(): Err | null {
    if (!this.inSbm) {
      for (const bb of this.eachBb("PLUGGED")) {
        const rc = this.sendUnplugRequest(this.bbIdToPhys(bb), this.bbSize);
        if (rc) return rc;
        this.bbStates.set(bb, "UNUSED");
      }
      return null;
    }
    for (const mb of this.eachMb("PLUGGED")) {
      const rc = this.sbmUnplugAnySbRaw(mb, { n: this.sbsPerMb });
      if (rc) return rc;
    }
    return null;
  }

  /** virtio_mem_refresh_config(). */
  private refreshConfig(): void {
    const c = this.host.config();
    if (c.pluggedSize !== this.pluggedSize) this.pluggedSize = c.pluggedSize;
    const endAddr = Math.min(this.addr + c.usableRegionSize - 1, this.pluggableEnd());
    if (this.inSbm) {
      this.lastUsableMbId = this.physToMbId(endAddr);
      if ((endAddr + 1) % this.mbSize !== 0) this.lastUsableMbId--;
    } else {
      this.lastUsableBbId = this.physToBbId(endAddr);
      if ((endAddr + 1) % this.bbSize !== 0) this.lastUsableBbId--;
    }
    this.requestedSize = c.requestedSize;
    this.info(`plugged size: ${hx(this.pluggedSize)}`);
    this.info(`requested size: ${hx(this.requestedSize)}`);
  }

  /** virtio_mem_run_wq(). */
  private runWq(): void {
    if (this.broken) return;
    this.wqActive = true;
    for (let guard = 0; guard < 1000; guard++) {
      let rc: Err | null = null;
      if (this.unplugAllRequired) rc = this.sendUnplugAllRequest();
      if (this.configChanged) {
        this.configChanged = false;
        this.refreshConfig();
      }
      if (!rc) rc = this.unplugPendingMb();
      if (!rc && this.requestedSize !== this.pluggedSize) {
        if (this.requestedSize > this.pluggedSize) {
          const diff = this.requestedSize - this.pluggedSize;
          rc = this.inSbm ? this.sbmPlugRequest(diff) : this.bbmPlugRequest(diff);
        } else {
          const diff = this.pluggedSize - this.requestedSize;
          rc = this.inSbm ? this.sbmUnplugRequest(diff) : this.bbmUnplugRequest(diff);
        }
      }
      if (rc === "EAGAIN") continue;
      if (rc && rc !== ENOSPC && rc !== "ETXTBSY" && rc !== EBUSY && rc !== ENOMEM) {
        this.log(3, `unknown error, marking device broken: -${ERRNUM[rc]}`);
        this.broken = true;
      }
      // ETXTBSY/EBUSY/ENOMEM arm the retry timer (50 s and more): not modelled.
      break;
    }
    this.wqActive = false;
  }

  /** virtio_mem_retry(): queue the work item. */
  retry(): void {
    this.workPending = true;
  }

  /** virtio_mem_config_changed(). */
  configChangedCb(): void {
    this.configChanged = true;
    this.retry();
  }

  /** Run the work item until it is no longer queued. */
  runPendingWork(): void {
    for (let guard = 0; this.workPending && guard < 1000; guard++) {
      this.workPending = false;
      this.runWq();
    }
  }

  get hasPendingWork(): boolean {
    return this.workPending;
  }

  // ---------------------------------------------- notifier / callbacks --
  /** virtio_mem_memory_notifier_cb(). */
  memoryNotifier(action: MemoryAction, arg: MemoryNotify): Errno | void {
    const start = arg.startPfn * this.ps;
    const size = arg.nrPages * this.ps;
    if (!this.overlapsRange(start, size)) return;
    let id: number;
    if (this.inSbm) {
      id = this.physToMbId(start);
      if (size !== this.mbSize || start % this.mbSize !== 0) return EPERM_VETO;
    } else {
      id = this.physToBbId(start);
      if (id !== this.physToBbId(start + size - 1)) return EPERM_VETO;
    }
    switch (action) {
      case "GOING_OFFLINE":
        if (this.inSbm) this.sbmGoingOffline(id, arg.zone, 1);
        else if (this.bbState(id) === "FAKE_OFFLINE") this.adjustManaged(arg.startPfn, arg.nrPages, arg.zone);
        return;
      case "CANCEL_OFFLINE":
        if (this.inSbm) this.sbmGoingOffline(id, arg.zone, -1);
        else if (this.bbState(id) === "FAKE_OFFLINE") this.adjustManaged(arg.startPfn, -arg.nrPages, arg.zone);
        return;
      case "GOING_ONLINE":
        if (this.inSbm) {
          const st = this.sbmState(id);
          if (st !== "OFFLINE" && st !== "OFFLINE_PARTIAL") {
            this.warn("memory block onlining denied");
            return EPERM_VETO;
          }
        }
        return;
      case "ONLINE":
        // Start adding more memory once half of the threshold is online again.
        if (!this.wqActive && this.couldAddMemory(this.offlineThreshold / 2, size)) this.retry();
        return;
      case "OFFLINE":
        if (!this.params.unplugOnline) this.retry();
        return;
      default:
        return;
    }
  }

  /** Unplugged sub-blocks of a block going offline: their pages count as managed again (sign -1 undoes). */
  private sbmGoingOffline(mb: number, zone: Zone, sign: 1 | -1): void {
    const nrPerSb = this.sbSize / this.ps;
    let n = 0;
    for (let sb = 0; sb < this.sbsPerMb; sb++) if (!this.testSbPlugged(mb, sb, 1)) n += nrPerSb;
    zone.managed += sign * n;
  }

  /** virtio_mem_online_page(): of [pfn, pfn + nr), the pages that go to the buddy. */
  onlinePages(pfn: number, nr: number): number {
    if (!this.inSbm) {
      const bb = this.physToBbId(pfn * this.ps);
      return this.bbState(bb) === "FAKE_OFFLINE" ? 0 : nr;
    }
    const nrPerSb = this.sbSize / this.ps;
    let online = 0;
    for (let p = pfn; p < pfn + nr; ) {
      const addr = p * this.ps;
      const mb = this.physToMbId(addr);
      const sbStart = this.mbIdToPhys(mb) / this.ps;
      const sb = Math.floor((p - sbStart) / nrPerSb);
      const sbEnd = sbStart + (sb + 1) * nrPerSb;
      const n = Math.min(sbEnd, pfn + nr) - p;
      if (this.testSbPlugged(mb, sb, 1)) online += n;
      p += n;
    }
    return online;
  }

  // -------------------------------------------------------------- probe --
  /**
   * virtio_mem_probe(): read the config, choose SBM/BBM, claim the region,
   * register the group and the callbacks, and queue the first config update.
   * `adopt`: the parent resource already exists (boot state imported from a
   * snapshot); use it instead of requesting a new one.
   */
  probe(adopt?: Resource | null): Err | null {
    const c = this.host.config();
    this.pluggedSize = c.pluggedSize;
    this.deviceBlockSize = c.blockSize;
    this.addr = c.addr;
    this.regionSize = c.regionSize;
    this.nid = this.translateNodeId(c.nodeId);
    if (this.nid === NUMA_NO_NODE) this.nid = this.memoryAddPhysaddrToNid(this.addr);
    this.info(`start address: ${hx(this.addr)}`);
    this.info(`region size: ${hx(this.regionSize)}`);
    this.info(`device block size: ${hx(this.deviceBlockSize)}`);
    if (this.nid !== NUMA_NO_NODE) this.info(`nid: ${this.nid}`);
    const rc = this.initHotplug(adopt ?? null);
    if (rc) return rc;
    // virtio_device_ready(), then the first config update.
    this.configChanged = true;
    this.retry();
    return null;
  }

  /** virtio_mem_translate_node_id(): the ACPI PXM of the device (QEMU offers VIRTIO_MEM_F_ACPI_PXM). */
  private translateNodeId(nodeId: number): number {
    return this.k.possibleNodes.includes(nodeId) ? nodeId : NUMA_NO_NODE;
  }

  /** memory_add_physaddr_to_nid() (x86): the NUMA meminfo block of the address, else the first block's node. */
  private memoryAddPhysaddrToNid(_addr: number): number {
    return this.k.onlineNodes()[0] ?? 0;
  }

  private initHotplug(adopt: Resource | null): Err | null {
    const mb = this.mbSize;
    const end = this.pluggableEnd();
    if (this.addr % mb !== 0) this.warn("The alignment of the physical start address can make some memory unusable.");
    if ((this.addr + this.regionSize) % mb !== 0) this.warn("The alignment of the physical end address can make some memory unusable.");
    if (this.addr + this.regionSize - 1 > end) this.warn("Some device memory is not addressable/pluggable. This can make some memory unusable.");
    this.offlineThreshold = Math.max(2 * mb, DEFAULT_OFFLINE_THRESHOLD);
    // alloc_contig_range() works reliably with pageblock granularity.
    const sbSize = Math.max(this.deviceBlockSize, this.k.geometry.pageblockSize);
    if (sbSize < mb && !this.params.forceBbm) {
      this.inSbm = true;
      this.sbSize = sbSize;
      this.sbsPerMb = mb / sbSize;
      this.firstMbId = this.physToMbId(this.addr + mb - 1);
      this.nextMbId = this.firstMbId;
    } else {
      this.bbSize = Math.max(this.deviceBlockSize, mb);
      const p = this.params.bbmBlockSize;
      if (p) {
        if (!isPowerOf2(p)) this.warn("bbm_block_size is not a power of 2");
        else if (p < this.bbSize) this.warn("bbm_block_size is too small");
        else this.bbSize = p;
      }
      this.firstBbId = this.physToBbId(this.addr + this.bbSize - 1);
      this.nextBbId = this.firstBbId;
      this.offlineThreshold = Math.max(2 * this.bbSize, this.offlineThreshold);
    }
    this.info(`memory block size: ${hx(mb)}`);
    if (this.inSbm) this.info(`subblock size: ${hx(this.sbSize)}`);
    else this.info(`big block size: ${hx(this.bbSize)}`);
    // virtio_mem_create_resource(): IORESOURCE_SYSTEM_RAM | EXCLUSIVE, then not busy.
    if (adopt) {
      this.parentResource = adopt;
    } else {
      const res = requestRegion(this.k.iomem, this.addr, this.regionSize, this.devName, { sysram: true }, this.devName);
      if (!res) {
        this.warn("could not reserve device region");
        this.info("reloading the driver is not supported");
        return EBUSY;
      }
      res.flags.busy = false;
      this.parentResource = res;
    }
    const unitPages = (this.inSbm ? mb : this.bbSize) / this.ps;
    const g = registerDynamicGroup(this.k, this.nid, unitPages);
    if (typeof g !== "number") {
      if (!adopt && this.parentResource) {
        const p = this.parentResource.parent;
        if (p) p.children.splice(p.children.indexOf(this.parentResource), 1);
      }
      this.parentResource = null;
      return g;
    }
    this.mgid = g;
    if (this.pluggedSize) {
      this.unplugAllRequired = true;
      this.info("unplugging all memory is required");
    }
    registerMemoryNotifier(this.k, (a, arg) => this.memoryNotifier(a, arg));
    registerVirtioMemDevice(this);
    return null;
  }

  get group(): MemoryGroup | undefined {
    return this.k.groups.get(this.mgid);
  }

  // ------------------------------------------ import (boot state given) --
  /**
   * The boot state came from a snapshot: the device may have plugged memory
   * at boot (requested-size > 0 on the command line). Rebuild the driver's
   * bookkeeping from the blocks the snapshot shows, assuming the plugging
   * order of the driver (lowest sub-blocks / big blocks first).
   */
  adoptPluggedMemory(pluggedBytes: number, markPlugged: (addr: number, size: number) => void): void {
    if (pluggedBytes <= 0) return;
    if (this.inSbm) {
      let nb = Math.floor(pluggedBytes / this.sbSize);
      for (let mb = this.firstMbId; nb > 0; mb++) {
        if (!this.k.blockAt(this.mbIdToPhys(mb) / this.ps)) break;
        const count = Math.min(nb, this.sbsPerMb);
        this.nextMbId = mb + 1;
        this.setSb(mb, 0, count, true);
        markPlugged(this.mbIdToPhys(mb), count * this.sbSize);
        nb -= count;
      }
    } else {
      let nb = Math.floor(pluggedBytes / this.bbSize);
      for (let bb = this.firstBbId; nb > 0; bb++) {
        if (!this.k.blockAt(this.bbIdToPhys(bb) / this.ps)) break;
        this.nextBbId = bb + 1;
        this.bbStates.set(bb, "ADDED");
        markPlugged(this.bbIdToPhys(bb), this.bbSize);
        nb--;
      }
    }
    this.pluggedSize = this.host.config().pluggedSize;
  }

  /** Pages of [pfn, pfn + nr) that are unplugged (PageOffline) in an added block. */
  unpluggedPagesIn(pfn: number, nr: number): number {
    return nr - this.onlinePages(pfn, nr);
  }

  /** Plugged sub-blocks of a memory block (sub-block mode), for tests and tools. */
  pluggedSubBlocks(mb: number): number {
    const a = this.sbPlugged.get(mb);
    return a ? a.reduce((s, x) => s + x, 0) : 0;
  }
}

/** NOTIFY_BAD maps to -EPERM. */
const EPERM_VETO: Errno = "EPERM";

/** register_virtio_mem_device(): the first device installs the shared online-page callback. */
function registerVirtioMemDevice(vm: VirtioMemDriver): void {
  const k = vm.k;
  let list = devicesOf.get(k);
  if (!list) {
    list = [];
    devicesOf.set(k, list);
  }
  if (list.length === 0) {
    setOnlinePageCallback(k, (pfn, nr) => {
      const ps = k.geometry.pageSize;
      for (const d of devicesOf.get(k) ?? []) {
        if (d.containsRange(pfn * ps, nr * ps)) return d.onlinePages(pfn, nr);
      }
      return nr;
    });
  }
  list.push(vm);
}

/** The virtio-mem devices bound on a kernel. */
export function virtioMemDevices(k: Kernel): VirtioMemDriver[] {
  return devicesOf.get(k) ?? [];
}

/**
 * Boot state imported from a snapshot: blocks the device added at boot were
 * imported as plain boot blocks. Give them to the device's memory group,
 * make their sections present, keep the unplugged sub-blocks of online blocks
 * out of the managed pages (MemTotal anchored so it reads as imported), and
 * let the `System RAM (virtio_mem)` resources merge like freshly added ones.
 */
export function adoptImportedBlocks(vm: VirtioMemDriver): void {
  const k = vm.k;
  const ps = k.geometry.pageSize;
  const g = vm.group;
  const blocks = k.blocksIn(vm.addr / ps, vm.regionSize / ps);
  // Present pages of each zone that are not this device's: a zone with none was populated by the device.
  const others = new Map<string, number>();
  for (const b of blocks) {
    if (b.state !== "online" || !b.zone) continue;
    const key = `${b.zone.nid}/${b.zone.idx}`;
    others.set(key, (others.get(key) ?? k.node(b.zone.nid).zones[b.zone.idx].present) - b.nrPages);
  }
  const seen = new Set<string>();
  for (const b of blocks) {
    if (g && b.group === null) {
      b.group = g.id;
      g.blocks.add(b.id);
      if (b.state === "online" && b.zone) {
        if (b.zone.idx === ZONE_MOVABLE) g.presentMovablePages += b.nrPages;
        else g.presentKernelPages += b.nrPages;
        // Hot-added, not early memory (the import counted every present page as early).
        const z = k.node(b.zone.nid).zones[b.zone.idx];
        z.presentEarly = Math.max(0, z.presentEarly - b.nrPages);
        // The kernel's own allocations, as when this block was onlined (online.ts).
        const key = `${b.zone.nid}/${b.zone.idx}`;
        if (!seen.has(key)) {
          seen.add(key);
          maybePinKernelAllocation(k, z, b.startPfn + b.nrVmemmapPages, b.nrPages - b.nrVmemmapPages, others.get(key) === 0);
        }
      }
    }
    const sec = k.sparse.get(k.sparse.sectionNr(b.startPfn));
    if (!sec?.present) {
      k.sparse.addPages(b.nid >= 0 ? b.nid : vm.nid, b.startPfn, b.nrPages);
      k.sparse.setOnline(b.startPfn, b.nrPages, b.state === "online");
    }
    if (b.state === "online" && b.zone) {
      const unplugged = vm.unpluggedPagesIn(b.startPfn, b.nrPages);
      const z = k.node(b.zone.nid).zones[b.zone.idx];
      z.managed -= unplugged;
      k.memTotalBase.total.managed -= unplugged;
      const pn = k.memTotalBase.perNode[b.zone.nid];
      if (pn) pn.managed -= unplugged;
    }
  }
  for (const c of vm.parentResource?.children ?? []) {
    if (c.name !== "System RAM (virtio_mem)") continue;
    c.flags.driverManaged = true;
    c.flags.mergeable = true;
    // The name object hotplug.ts gives driver-managed resources.
    c.nameId = `${c.name}@${c.name}`;
  }
}
