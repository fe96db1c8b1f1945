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
import { kstrtobool, kstrtoull } from "../cmdline.js";
import type { Kernel } from "../kernel.js";
import { EBUSY, ENOMEM, ENOSPC, type Errno, ERRNO_NUMBER } from "../errno.js";
import type { MemoryGroup } from "../memory-block.js";
import { type MemoryAction, type MemoryNotify, setOnlinePageCallback } from "../online.js";
import type { Resource } from "../resource.js";
import { bbmPlugRequest, bbmUnplugRequest } from "./virtio-mem-bbm.js";
import { BbmBlocks, SbmBlocks } from "./virtio-mem-blocks.js";
export type { BbState, SbmState } from "./virtio-mem-blocks.js";
import { adoptPluggedMemory } from "./virtio-mem-import.js";
import { memoryNotifier, onlinePages } from "./virtio-mem-online.js";
import { probe } from "./virtio-mem-probe.js";
import { sendUnplugAllRequest, sendUnplugRequest } from "./virtio-mem-requests.js";
import { sbmPlugRequest, sbmUnplugAnySbRaw, sbmUnplugRequest } from "./virtio-mem-sbm.js";

/** struct virtio_mem_config (include/uapi/linux/virtio_mem.h) as the driver reads it. */
export interface VirtioMemConfig {
  blockSize: number;
  nodeId: number;
  addr: number;
  regionSize: number;
  usableRegionSize: number;
  pluggedSize: number;
  requestedSize: number;
}

/** The device side as the driver sees it: config space and the request queue. */
export interface VirtioMemHost {
  config(): VirtioMemConfig;
  /** Replies: 0 ACK, 1 NACK, 2 BUSY, 3 ERROR. */
  plug(addr: number, nbBlocks: number): number;
  unplug(addr: number, nbBlocks: number): number;
  unplugAll(): number;
}

export const RESP_ACK = 0;
export const RESP_NACK = 1;
export const RESP_BUSY = 2;
export const RESP_ERROR = 3;

/** Module parameters of virtio_mem. */
export interface VirtioMemParams {
  unplugOnline: boolean;
  forceBbm: boolean;
  bbmBlockSize: number;
  bbmSafeUnplug: boolean;
}

export const DEFAULT_VIRTIO_MEM_PARAMS: VirtioMemParams = { unplugOnline: true, forceBbm: false, bbmBlockSize: 0, bbmSafeUnplug: true };

/**
 * The module's parameters as its load sets them from the command line (modprobe passes each
 * "virtio_mem.NAME[=VALUE]" on, in order; the last one wins): bools through kstrtobool() (no value: true),
 * bbm_block_size through kstrtoul() (bytes, no suffix). A value that does not parse fails the whole load, with
 * the line the kernel logs (a64-probe58-uefi-2g-vm-2m-bbm-256m: "virtio_mem: `256M' invalid for parameter
 * `bbm_block_size'", no driver, nothing plugged). A name the version's module does not have (`known`, rule
 * virtioMemModuleParams) is logged and ignored, whatever its value.
 */
export function virtioMemParamsFromCmdline(cmdline: string[], known: readonly string[]): { params: VirtioMemParams; log: { level: number; text: string }[] } | { invalid: string } {
  const params = { ...DEFAULT_VIRTIO_MEM_PARAMS };
  const log: { level: number; text: string }[] = [];
  const bools: Record<string, "unplugOnline" | "forceBbm" | "bbmSafeUnplug"> = { unplug_online: "unplugOnline", force_bbm: "forceBbm", bbm_safe_unplug: "bbmSafeUnplug" };
  for (const w of cmdline) {
    if (!w.startsWith("virtio_mem.")) continue;
    const eq = w.indexOf("=");
    const name = (eq < 0 ? w.slice("virtio_mem.".length) : w.slice("virtio_mem.".length, eq)).replace(/-/g, "_");
    const value = eq < 0 ? null : w.slice(eq + 1);
    const invalid = { invalid: `virtio_mem: \`${value ?? ""}' invalid for parameter \`${name}'` };
    if (!known.includes(name)) {
      log.push({ level: 4, text: `virtio_mem: unknown parameter '${name}' ignored` });
    } else if (name in bools) {
      const b = value === null ? true : kstrtobool(value);
      if (b === null) return invalid;
      params[bools[name]] = b;
    } else if (name === "bbm_block_size") {
      const n = value === null ? null : kstrtoull(value);
      if (typeof n !== "bigint") return invalid;
      // Past 2^53 a number loses its low bits: keep a power of two as it is (exact), anything else as a non-power.
      params.bbmBlockSize = n <= BigInt(Number.MAX_SAFE_INTEGER) || (n & (n - 1n)) === 0n ? Number(n) : Number.MAX_SAFE_INTEGER;
    } else {
      log.push({ level: 4, text: `virtio_mem: unknown parameter '${name}' ignored` });
    }
  }
  return { params, log };
}


/** Errors of the driver's paths (errno names; EAGAIN/ETXTBSY only live inside the driver). */
export type Err = Errno | "EAGAIN" | "ETXTBSY";
export const ERRNUM: Record<string, number> = { ...ERRNO_NUMBER, EAGAIN: 11, ETXTBSY: 26 };

export const DEFAULT_OFFLINE_THRESHOLD = 1024 * 1024 * 1024;
export const NUMA_NO_NODE = -1;

export function hx(x: number): string {
  return `0x${x.toString(16)}`;
}

export { isPowerOf2 } from "../units.js";

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

  /** Sub-block mode bookkeeping (vm->sbm). */
  readonly sbm: SbmBlocks;
  /** Big-block mode bookkeeping (vm->bbm). */
  readonly bbm: BbmBlocks = new BbmBlocks();

  // Workqueue.
  configChanged = false;
  workPending = false;
  wqActive = false;

  constructor(k: Kernel, host: VirtioMemHost, devName: string, params: VirtioMemParams = DEFAULT_VIRTIO_MEM_PARAMS) {
    this.k = k;
    this.host = host;
    this.devName = devName;
    this.params = params;
    this.sbm = new SbmBlocks(k);
  }

  // ------------------------------------------------------------ logging --
  log(level: number, msg: string): void {
    this.k.printk(level, `virtio_mem ${this.devName}: ${msg}`);
  }
  info(msg: string): void {
    this.log(6, msg);
  }
  dbg(msg: string): void {
    this.log(7, msg);
  }
  warn(msg: string): void {
    this.log(4, msg);
  }

  // ----------------------------------------------------------- geometry --
  get mbSize(): number {
    return this.k.blockSize;
  }
  get ps(): number {
    return this.k.geometry.pageSize;
  }
  mbIdToPhys(mb: number): number {
    return mb * this.mbSize;
  }
  physToMbId(addr: number): number {
    return Math.floor(addr / this.mbSize);
  }
  pluggableEnd(): number {
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

  /** offline_size: bytes of this device's memory that is added but offline. */
  offlineSize(): number {
    let bytes = 0;
    for (const b of this.k.blocksIn(this.addr / this.ps, this.regionSize / this.ps)) {
      if (b.state === "offline") bytes += b.nrPages * this.ps;
    }
    return bytes;
  }

  /** virtio_mem_could_add_memory(); `onlining`: bytes being onlined right now (still offline in the block state). */
  couldAddMemory(size: number, onlining = 0): boolean {
    if (size > this.offlineThreshold) return false;
    return this.offlineSize() - onlining + size <= this.offlineThreshold;
  }

  // -------------------------------------------------------- the worker --
  unplugPendingMb(): Err | null {
    if (!this.inSbm) {
      for (const bb of this.bbm.eachBb("PLUGGED")) {
        const rc = sendUnplugRequest(this, this.bbm.bbIdToPhys(bb), this.bbm.bbSize);
        if (rc) return rc;
        this.bbm.bbStates.set(bb, "UNUSED");
      }
      return null;
    }
    for (const mb of this.sbm.eachMb("PLUGGED")) {
      const rc = sbmUnplugAnySbRaw(this, mb, { n: this.sbm.sbsPerMb });
      if (rc) return rc;
    }
    return null;
  }

  /** virtio_mem_refresh_config(). */
  refreshConfig(): void {
    const c = this.host.config();
    if (c.pluggedSize !== this.pluggedSize) this.pluggedSize = c.pluggedSize;
    const endAddr = Math.min(this.addr + c.usableRegionSize - 1, this.pluggableEnd());
    if (this.inSbm) {
      this.sbm.lastUsableMbId = this.physToMbId(endAddr);
      if ((endAddr + 1) % this.mbSize !== 0) this.sbm.lastUsableMbId--;
    } else {
      this.bbm.lastUsableBbId = this.bbm.physToBbId(endAddr);
      if ((endAddr + 1) % this.bbm.bbSize !== 0) this.bbm.lastUsableBbId--;
    }
    this.requestedSize = c.requestedSize;
    this.info(`plugged size: ${hx(this.pluggedSize)}`);
    this.info(`requested size: ${hx(this.requestedSize)}`);
  }

  /** virtio_mem_run_wq(). */
  runWq(): void {
    if (this.broken) return;
    this.wqActive = true;
    for (let guard = 0; guard < 1000; guard++) {
      let rc: Err | null = null;
      if (this.unplugAllRequired) rc = sendUnplugAllRequest(this);
      if (this.configChanged) {
        this.configChanged = false;
        this.refreshConfig();
      }
      if (!rc) rc = this.unplugPendingMb();
      if (!rc && this.requestedSize !== this.pluggedSize) {
        if (this.requestedSize > this.pluggedSize) {
          const diff = this.requestedSize - this.pluggedSize;
          rc = this.inSbm ? sbmPlugRequest(this, diff) : bbmPlugRequest(this, diff);
        } else {
          const diff = this.pluggedSize - this.requestedSize;
          rc = this.inSbm ? sbmUnplugRequest(this, diff) : bbmUnplugRequest(this, diff);
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

  /** virtio_mem_memory_notifier_cb(). */
  memoryNotifier(action: MemoryAction, arg: MemoryNotify): Errno | void {
    return memoryNotifier(this, action, arg);
  }

  /** virtio_mem_online_page(): of [pfn, pfn + nr), the pages that go to the buddy. */
  onlinePages(pfn: number, nr: number): number {
    return onlinePages(this, pfn, nr);
  }

  /**
   * virtio_mem_probe(): read the config, choose SBM/BBM, claim the region,
   * register the group and the callbacks, and queue the first config update.
   * `adopt`: the parent resource already exists (boot state imported from a
   * snapshot); use it instead of requesting a new one.
   */
  probe(adopt?: Resource | null): Err | null {
    return probe(this, adopt);
  }

  get group(): MemoryGroup | undefined {
    return this.k.groups.get(this.mgid);
  }

  /**
   * The boot state came from a snapshot: the device may have plugged memory
   * at boot (requested-size > 0 on the command line). Rebuild the driver's
   * bookkeeping from the blocks the snapshot shows, assuming the plugging
   * order of the driver (lowest sub-blocks / big blocks first).
   */
  adoptPluggedMemory(pluggedBytes: number, markPlugged: (addr: number, size: number) => void): void {
    return adoptPluggedMemory(this, pluggedBytes, markPlugged);
  }

  /** Pages of [pfn, pfn + nr) that are unplugged (PageOffline) in an added block. */
  unpluggedPagesIn(pfn: number, nr: number): number {
    return nr - onlinePages(this, pfn, nr);
  }

}

/** NOTIFY_BAD maps to -EPERM. */
export const EPERM_VETO: Errno = "EPERM";

/** register_virtio_mem_device(): the first device installs the shared online-page callback. */
export function registerVirtioMemDevice(vm: VirtioMemDriver): void {
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
