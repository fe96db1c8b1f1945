/**
 * An endpoint decoder's device-physical address space (drivers/cxl/core/hdm.c):
 * the memdev's ram and pmem partitions, and dpa_size's allocation and release,
 * which a port does in decoder order.
 */
import { EBUSY, EINVAL, type Errno } from "../errno.js";
import type { CxlDecoder, CxlPort, CxlState } from "./cxl-core.js";
import { SZ_256M } from "./cxl-region.js";

/** The endpoint decoders' memdev partition sizes (pmem after ram). */
export function partition(st: CxlState, d: CxlDecoder): { ram: number; pmem: number } {
  const dev = d.port.memdev!.dev;
  return dev.volatile ? { ram: dev.size, pmem: 0 } : { ram: 0, pmem: dev.size };
}

/**
 * dpa_size_store(): the size must be 256 MiB aligned; the decoder's DPA is
 * freed first, then (unless the size is 0) allocated again from its mode's
 * partition after what the device's other decoders hold. A port allocates
 * and frees DPA in decoder order (hdm_end): only its last allocation can be
 * freed, only the next decoder can allocate (EBUSY otherwise).
 */
export function setDpaSize(st: CxlState, d: CxlDecoder, size: number): Errno | null {
  if (size % SZ_256M !== 0) return EINVAL;
  const e = dpaFree(d);
  if (e || size === 0) return e;
  return dpaAlloc(st, d, size);
}

/** port->hdm_end: the last endpoint decoder of the port holding DPA (-1: none). */
function hdmEnd(port: CxlPort): number {
  return port.decoders.reduce((end, x) => (x.dpaSize ? Math.max(end, x.id) : end), -1);
}

/** cxl_dpa_free(). */
function dpaFree(d: CxlDecoder): Errno | null {
  if (!d.dpaSize) return null;
  if (d.region || d.committed) return EBUSY;
  // test/oracle/cxl/cxl-probe85-list-two-devices: decoder2.0 cannot give its DPA back while decoder2.1 holds some.
  if (d.id !== hdmEnd(d.port)) return EBUSY;
  d.dpaStart = -1;
  d.dpaSize = 0;
  return null;
}

/** cxl_dpa_alloc(). */
function dpaAlloc(st: CxlState, d: CxlDecoder, size: number): Errno | null {
  if (d.region || d.committed) return EBUSY;
  // No mode: "mode not set" (EINVAL); from 7.2 no partition, EBUSY (test/oracle/cxl/cxl-probe91-sysfs-region-errors.sid).
  if (d.mode === "none") return st.rules.decoderPartitions ? EBUSY : EINVAL;
  const p = partition(st, d);
  const base = d.mode === "ram" ? 0 : p.ram;
  const end = d.mode === "ram" ? p.ram : p.ram + p.pmem;
  let at = base;
  for (const o of d.port.decoders) if (o !== d && o.dpaSize && o.dpaStart >= base && o.dpaStart < end) at = Math.max(at, o.dpaStart + o.dpaSize);
  if (size > end - at) return "ENOSPC" as Errno;
  if (hdmEnd(d.port) + 1 !== d.id) return EBUSY;
  d.dpaStart = at;
  d.dpaSize = size;
  return null;
}
