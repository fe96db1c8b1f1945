/**
 * mm/memory-failure.c as the memory sysfs reaches it: soft_offline_page()
 * behind /sys/devices/system/memory/soft_offline_page (6.1: the store
 * parses a physical address with kstrtoull(buf, 0), shifts it to a pfn and
 * calls soft_offline_page(pfn, 0)). A valid, online page is taken out of use
 * (freed pages off the buddy lists, in-use ones migrated first) without a
 * log line, and nothing the snapshots show changes (oracle trace
 * robust-sysfs-edges: MemTotal and the block stay as they were, and the
 * block still goes offline).
 */
import type { Kernel } from "./kernel.js";
import { EINVAL, EIO, ENXIO, ERANGE, type Errno } from "./errno.js";

/** kstrtoull(s, 0) with one trailing newline allowed, as a BigInt. */
function kstrtoull(s: string): bigint | Errno {
  const t = s.endsWith("\n") ? s.slice(0, -1) : s;
  const m = /^\+?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(t);
  if (!m) return EINVAL;
  const lit = m[1];
  const v = /^0x/i.test(lit) ? BigInt(lit) : lit.length > 1 && lit[0] === "0" ? BigInt(`0o${lit.slice(1)}`) : BigInt(lit);
  return v > 0xffffffffffffffffn ? ERANGE : v;
}

/** soft_offline_page_store(): ok, or the errno the write returns. */
export function softOfflinePageStore(k: Kernel, buf: string): { ok: true } | { ok: false; errno: Errno } {
  const addr = kstrtoull(buf);
  // kstrtoull()'s own error (-ERANGE included) is returned as -EINVAL by the store.
  if (typeof addr !== "bigint") return { ok: false, errno: EINVAL };
  const pfnBig = addr / BigInt(k.geometry.pageSize);
  if (pfnBig > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, errno: ENXIO };
  const pfn = Number(pfnBig);
  // soft_offline_page(): pfn_valid(), then pfn_to_online_page() (not ZONE_DEVICE, the section online).
  if (!k.sparse.pfnValid(pfn)) return { ok: false, errno: ENXIO };
  const s = k.sparse.get(k.sparse.sectionNr(pfn));
  if (!s || !s.online) return { ok: false, errno: EIO };
  return { ok: true };
}
