/**
 * virtio-mem's block-mode bookkeeping (the `sbm` and `bbm` parts of struct
 * virtio_mem in drivers/virtio/virtio_mem.c): in sub-block mode, which
 * sub-blocks of each memory block are plugged and the state of each block
 * as the driver's notifier tracks it; in big-block mode, the state of each
 * big block. The driver itself (config, requests, the worker) is
 * virtio-mem.ts.
 */
import type { Kernel } from "../kernel.js";
import { ZONE_MOVABLE } from "../zone.js";

export type SbmState =
  | "UNUSED"
  | "PLUGGED"
  | "OFFLINE"
  | "OFFLINE_PARTIAL"
  | "KERNEL"
  | "KERNEL_PARTIAL"
  | "MOVABLE"
  | "MOVABLE_PARTIAL";

export type BbState = "UNUSED" | "PLUGGED" | "ADDED" | "FAKE_OFFLINE";

/** Sub-block mode: memory blocks of the device region, split into device-block-sized sub-blocks. */
export class SbmBlocks {
  firstMbId = 0;
  lastUsableMbId = 0;
  nextMbId = 0;
  sbSize = 0;
  sbsPerMb = 0;
  /** Plugged sub-blocks per memory block id. */
  readonly sbPlugged = new Map<number, Uint8Array>();

  constructor(private readonly k: Kernel) {}

  sbs(mb: number): Uint8Array {
    let a = this.sbPlugged.get(mb);
    if (!a) {
      a = new Uint8Array(this.sbsPerMb);
      this.sbPlugged.set(mb, a);
    }
    return a;
  }
  testSbPlugged(mb: number, sb: number, count: number): boolean {
    const a = this.sbs(mb);
    for (let i = sb; i < sb + count; i++) if (!a[i]) return false;
    return true;
  }
  testSbUnplugged(mb: number, sb: number, count: number): boolean {
    const a = this.sbs(mb);
    for (let i = sb; i < sb + count; i++) if (a[i]) return false;
    return true;
  }
  setSb(mb: number, sb: number, count: number, plugged: boolean): void {
    this.sbs(mb).fill(plugged ? 1 : 0, sb, sb + count);
  }
  firstUnpluggedSb(mb: number): number {
    const a = this.sbs(mb);
    for (let i = 0; i < this.sbsPerMb; i++) if (!a[i]) return i;
    return this.sbsPerMb;
  }

  /** The SBM state of a memory block, as the driver's notifier would have tracked it. */
  sbmState(mb: number): SbmState {
    const full = this.testSbPlugged(mb, 0, this.sbsPerMb);
    const empty = this.testSbUnplugged(mb, 0, this.sbsPerMb);
    const b = this.k.blockAt((mb * this.k.blockSize) / this.k.geometry.pageSize);
    if (!b) return empty ? "UNUSED" : "PLUGGED";
    if (b.state === "offline") return full ? "OFFLINE" : "OFFLINE_PARTIAL";
    const movable = b.zone?.idx === ZONE_MOVABLE;
    if (movable) return full ? "MOVABLE" : "MOVABLE_PARTIAL";
    return full ? "KERNEL" : "KERNEL_PARTIAL";
  }

  /** Iterate memory blocks in `state`, re-checking each one when it is reached. */
  *eachMb(state: SbmState, reverse = false): Generator<number> {
    if (reverse) {
      for (let mb = this.nextMbId - 1; mb >= this.firstMbId; mb--) if (this.sbmState(mb) === state) yield mb;
    } else {
      for (let mb = this.firstMbId; mb < this.nextMbId; mb++) if (this.sbmState(mb) === state) yield mb;
    }
  }

  /** Plugged sub-blocks of a memory block, for tests and tools. */
  pluggedSubBlocks(mb: number): number {
    const a = this.sbPlugged.get(mb);
    return a ? a.reduce((s, x) => s + x, 0) : 0;
  }
}

/** Big-block mode: big blocks of the device region (one or more memory blocks each), added and removed whole. */
export class BbmBlocks {
  firstBbId = 0;
  lastUsableBbId = 0;
  nextBbId = 0;
  bbSize = 0;
  readonly bbStates = new Map<number, BbState>();

  bbIdToPhys(bb: number): number {
    return bb * this.bbSize;
  }
  physToBbId(addr: number): number {
    return Math.floor(addr / this.bbSize);
  }
  bbState(bb: number): BbState {
    return this.bbStates.get(bb) ?? "UNUSED";
  }
  *eachBb(state: BbState, reverse = false): Generator<number> {
    if (reverse) {
      for (let bb = this.nextBbId - 1; bb >= this.firstBbId; bb--) if (this.bbState(bb) === state) yield bb;
    } else {
      for (let bb = this.firstBbId; bb < this.nextBbId; bb++) if (this.bbState(bb) === state) yield bb;
    }
  }
}
