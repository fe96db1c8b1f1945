/**
 * QEMU 7.2's virtio-mem device (hw/virtio/virtio-mem.c), as the guest and
 * QMP see it: the device config (block size, node, region, usable region,
 * requested and plugged size), the plug/unplug/unplug-all/state requests of
 * the guest-request virtqueue with their ACK/NACK/BUSY/ERROR replies, the
 * `requested-size` QOM property (validation, usable-region growth, config
 * change notification), and its query-memory-devices entry.
 */
import type { VirtioMemConfig } from "../kernel/drivers/virtio-mem.js";
import { alignUp } from "../kernel/units.js";

export const VIRTIO_MEM_RESP_ACK = 0;
export const VIRTIO_MEM_RESP_NACK = 1;
export const VIRTIO_MEM_RESP_BUSY = 2;
export const VIRTIO_MEM_RESP_ERROR = 3;
export type VirtioMemResp = 0 | 1 | 2 | 3;

export const VIRTIO_MEM_STATE_PLUGGED = 0;
export const VIRTIO_MEM_STATE_UNPLUGGED = 1;
export const VIRTIO_MEM_STATE_MIXED = 2;

/** VIRTIO_MEM_USABLE_EXTENT on x86: twice the 128 MiB section size. */
const USABLE_EXTENT = 2 * 128 * 1024 * 1024;
/** QEMU's default block size on an x86_64 host with THP (the THP size). */
export const DEFAULT_BLOCK_SIZE = 2 * 1024 * 1024;

export type { VirtioMemConfig };

export type QomReply = { return: Record<string, never> } | { error: { class: string; desc: string } };


function hex(x: number): string {
  return x.toString(16);
}

export class VirtioMemDevice {
  readonly id: string;
  /** memaddr: guest physical start of the device region. */
  readonly addr: number;
  /** The memory backend's size (max-size). */
  readonly regionSize: number;
  readonly blockSize: number;
  readonly node: number;
  requestedSize: number;
  /** Plugged size (QOM `size`). */
  size = 0;
  usableRegionSize = 0;
  /** One entry per device block: plugged or not. */
  private readonly bitmap: Uint8Array;
  /** virtio_notify_config(): the guest driver's config_changed callback. */
  onConfigChanged: (() => void) | null = null;

  constructor(p: { id: string; addr: number; regionSize: number; blockSize?: number; requestedSize: number; node: number }) {
    this.id = p.id;
    this.addr = p.addr;
    this.regionSize = p.regionSize;
    this.blockSize = p.blockSize || DEFAULT_BLOCK_SIZE;
    this.node = p.node;
    this.requestedSize = p.requestedSize;
    this.bitmap = new Uint8Array(Math.floor(this.regionSize / this.blockSize));
    // realize(): the usable region follows the requested size.
    this.resizeUsableRegion(this.requestedSize, true);
  }

  /** virtio_mem_resize_usable_region(). */
  private resizeUsableRegion(requested: number, canShrink: boolean): void {
    let n = Math.min(this.regionSize, requested + USABLE_EXTENT);
    n = alignUp(n, this.blockSize);
    if (!requested) n = 0;
    if (n < this.usableRegionSize && !canShrink) return;
    this.usableRegionSize = n;
  }

  config(): VirtioMemConfig {
    return {
      blockSize: this.blockSize,
      nodeId: this.node,
      addr: this.addr,
      regionSize: this.regionSize,
      usableRegionSize: this.usableRegionSize,
      pluggedSize: this.size,
      requestedSize: this.requestedSize,
    };
  }

  /** QMP qom-set requested-size (on the realized device). */
  setRequestedSize(value: number): QomReply {
    const name = "requested-size";
    if (value % this.blockSize !== 0) {
      return { error: { class: "GenericError", desc: `'${name}' has to be multiples of 'block-size' (0x${hex(this.blockSize)})` } };
    }
    if (value > this.regionSize) {
      return { error: { class: "GenericError", desc: `'${name}' cannot exceed the memory backend size(0x${hex(this.regionSize)})` } };
    }
    if (value !== this.requestedSize) {
      this.resizeUsableRegion(value, false);
      this.requestedSize = value;
    }
    // The config change is signalled even if nothing changed.
    this.onConfigChanged?.();
    return { return: {} };
  }

  private validRange(gpa: number, size: number): boolean {
    if (gpa % this.blockSize !== 0) return false;
    if (!size) return false;
    if (gpa < this.addr || gpa >= this.addr + this.usableRegionSize) return false;
    return gpa + size <= this.addr + this.usableRegionSize;
  }

  private bits(gpa: number, size: number): [number, number] {
    const first = (gpa - this.addr) / this.blockSize;
    return [first, first + size / this.blockSize];
  }

  private rangeIs(gpa: number, size: number, plugged: boolean): boolean {
    const [a, b] = this.bits(gpa, size);
    for (let i = a; i < b; i++) if (!!this.bitmap[i] !== plugged) return false;
    return true;
  }

  /** virtio_mem_state_change_request(). */
  private stateChange(gpa: number, nbBlocks: number, plug: boolean): VirtioMemResp {
    const size = nbBlocks * this.blockSize;
    if (!this.validRange(gpa, size)) return VIRTIO_MEM_RESP_ERROR;
    if (plug && this.size + size > this.requestedSize) return VIRTIO_MEM_RESP_NACK;
    if (!this.rangeIs(gpa, size, !plug)) return VIRTIO_MEM_RESP_ERROR;
    const [a, b] = this.bits(gpa, size);
    this.bitmap.fill(plug ? 1 : 0, a, b);
    this.size += plug ? size : -size;
    return VIRTIO_MEM_RESP_ACK;
  }

  /** VIRTIO_MEM_REQ_PLUG. */
  plug(gpa: number, nbBlocks: number): VirtioMemResp {
    return this.stateChange(gpa, nbBlocks, true);
  }

  /** VIRTIO_MEM_REQ_UNPLUG. */
  unplug(gpa: number, nbBlocks: number): VirtioMemResp {
    return this.stateChange(gpa, nbBlocks, false);
  }

  /** VIRTIO_MEM_REQ_UNPLUG_ALL. */
  unplugAll(): VirtioMemResp {
    this.bitmap.fill(0);
    this.size = 0;
    this.resizeUsableRegion(this.requestedSize, true);
    return VIRTIO_MEM_RESP_ACK;
  }

  /** VIRTIO_MEM_REQ_STATE: [response, state]. */
  state(gpa: number, nbBlocks: number): [VirtioMemResp, number] {
    const size = nbBlocks * this.blockSize;
    if (!this.validRange(gpa, size)) return [VIRTIO_MEM_RESP_ERROR, 0];
    if (this.rangeIs(gpa, size, true)) return [VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_PLUGGED];
    if (this.rangeIs(gpa, size, false)) return [VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_UNPLUGGED];
    return [VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_MIXED];
  }

  /** Mark device blocks plugged without a request (rebuilding state from an imported snapshot). */
  setPluggedRaw(gpa: number, size: number): void {
    const [a, b] = this.bits(gpa, size);
    for (let i = a; i < b; i++) {
      if (!this.bitmap[i]) this.size += this.blockSize;
      this.bitmap[i] = 1;
    }
  }

  /** query-memory-devices entry. */
  info(): { type: "virtio-mem"; data: Record<string, unknown> } {
    return {
      type: "virtio-mem",
      data: {
        memdev: `/objects/mem-${this.id}`,
        memaddr: this.addr,
        "block-size": this.blockSize,
        size: this.size,
        node: this.node,
        "max-size": this.regionSize,
        "requested-size": this.requestedSize,
        id: this.id,
      },
    };
  }
}
