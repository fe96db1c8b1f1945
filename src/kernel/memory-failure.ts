/**
 * mm/memory-failure.c as the memory sysfs reaches it: soft_offline_page()
 * and memory_failure() behind /sys/devices/system/memory/soft_offline_page
 * and hard_offline_page (the stores parse a physical address with
 * kstrtoull(buf, 0) and shift it to a pfn). Either marks the page
 * PG_hwpoison (Kernel.hwpoisoned): it stays out of use, nothing the
 * snapshots show changes (MemTotal included), the block still goes offline
 * and online (offline_pages() skips such pages), but alloc_contig_range()
 * cannot take it, so virtio-mem cannot unplug what holds it (oracle traces
 * robust-sysfs-edges, a64-probe55-uefi-2g-vm-128m-soft-offline,
 * a64-probe56-*-hwpoison-*). soft_offline_page() is silent on a page it
 * takes; memory_failure() reports on the pages it is given: a free page is
 * recovered, a boot reservation (PG_reserved) is not handled. The model
 * knows where the kernel's pages are, not user space's: an online page
 * outside the boot reservations is taken to be free.
 */
import type { Kernel } from "./kernel.js";
import { getDevPagemap } from "./memremap.js";
import { EBUSY, EHWPOISON, EINVAL, EIO, ENXIO, type Errno } from "./errno.js";
import { kstrtoull } from "./cmdline.js";
import { hex0x } from "./units.js";

/** The pfn a store's buffer names, or the errno the store returns for it. */
function storePfn(k: Kernel, buf: string): number | Errno {
  const addr = kstrtoull(buf);
  // kstrtoull()'s own error (-ERANGE included) is returned as -EINVAL by the stores.
  if (typeof addr !== "bigint") return EINVAL;
  const pfnBig = addr / BigInt(k.geometry.pageSize);
  if (pfnBig > BigInt(Number.MAX_SAFE_INTEGER)) return ENXIO;
  return Number(pfnBig);
}

/** A page get_hwpoison_page() cannot handle: a boot reservation (PG_reserved), not a page of an activated CMA area. */
function unhandlable(k: Kernel, pfn: number): boolean {
  return k.isUnmovable(pfn, pfn + 1) !== null && !k.cmaAreas.some((a) => pfn >= a.start && pfn < a.end);
}

/** pfn_to_online_page(): a valid pfn in an online section. */
function onlinePfn(k: Kernel, pfn: number): boolean {
  if (!k.sparse.pfnValid(pfn)) return false;
  return k.sparse.get(k.sparse.sectionNr(pfn))?.online === true;
}

/** soft_offline_page_store(): ok, or the errno the write returns. */
export function softOfflinePageStore(k: Kernel, buf: string): { ok: true } | { ok: false; errno: Errno } {
  const pfn = storePfn(k, buf);
  if (typeof pfn !== "number") return { ok: false, errno: pfn };
  // soft_offline_page(): pfn_valid(), then pfn_to_online_page() (not ZONE_DEVICE, the section online).
  if (!k.sparse.pfnValid(pfn)) return { ok: false, errno: ENXIO };
  // Only online pages: ZONE_DEVICE ones are not (a64-probe65-nv-devdax-hard-offline: EIO, silently).
  if (!onlinePfn(k, pfn)) return { ok: false, errno: EIO };
  if (k.hwpoisoned.has(pfn)) {
    k.printk(6, k.rules.memoryFailureTexts.softAlreadyPoisoned.replace("%#lx", hex0x(pfn)));
    return { ok: true };
  }
  // get_hwpoison_page() gives up on a PG_reserved page: EIO, and the page is not marked
  // (a64-probe65-uefi-2g-soft-offline-reserved).
  if (unhandlable(k, pfn)) {
    k.printk(3, `Memory failure: ${hex0x(pfn)}: unhandlable page.`);
    return { ok: false, errno: EIO };
  }
  // take_page_off_buddy(): even 5.10 takes a free page out (x-probe68-vm-128m-hwpoison.bullseye: its block stays plugged).
  k.hwpoisoned.add(pfn);
  return { ok: true };
}

/** hard_offline_page_store() → memory_failure(pfn, MF_SW_SIMULATED): ok, or the errno the write returns. */
export function hardOfflinePageStore(k: Kernel, buf: string): { ok: true } | { ok: false; errno: Errno } {
  const pfn = storePfn(k, buf);
  if (typeof pfn !== "number") return { ok: false, errno: pfn };
  const t = k.rules.memoryFailureTexts;
  const report = (text: string) => k.printk(3, `Memory failure: ${hex0x(pfn)}: ${text}`);
  if (!onlinePfn(k, pfn)) {
    // memory_failure_dev_pagemap(): a device-dax page (MEMORY_DEVICE_GENERIC) cannot be recovered
    // (a64-probe65-nv-devdax-hard-offline on 6.12 and 7.2). Other device pages are not modelled here.
    if (k.sparse.pfnValid(pfn) && getDevPagemap(k, pfn)?.type === "GENERIC") {
      report("recovery action for dax page: Failed");
      return { ok: false, errno: EBUSY };
    }
    // No struct page, or an offline section.
    report(t.noStructPage.text);
    return { ok: false, errno: t.noStructPage.errno };
  }
  if (k.hwpoisoned.has(pfn)) {
    report(t.alreadyPoisoned);
    return t.alreadyPoisonedErrno ? { ok: false, errno: t.alreadyPoisonedErrno } : { ok: true };
  }
  // TestSetPageHWPoison() comes first: the page stays poisoned whatever the report.
  k.hwpoisoned.add(pfn);
  if (unhandlable(k, pfn)) {
    // get_hwpoison_page() gives up on a PG_reserved page.
    report("unhandlable page.");
    report(`recovery action for ${t.unhandlable}: Ignored`);
    return { ok: false, errno: EBUSY };
  }
  if (!k.rules.memoryFailureTakesFreePage) {
    // 5.10: a free page is left where it is, in the buddy (x-probe68-vm-2m-hwpoison-unplug.bullseye).
    k.hwpoisonedFree.add(pfn);
    report("recovery action for free buddy page: Delayed");
    return { ok: true };
  }
  report("recovery action for free buddy page: Recovered");
  return { ok: true };
}

/** clear_hwpoisoned_pages() (sparse_remove_section()): removed memory takes its poison marks with it. */
export function clearHwpoisonedPages(k: Kernel, pfn: number, nr: number): void {
  for (const p of [...k.hwpoisoned]) {
    if (p >= pfn && p < pfn + nr) {
      k.hwpoisoned.delete(p);
      k.hwpoisonedFree.delete(p);
    }
  }
}
