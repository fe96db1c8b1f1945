/**
 * The driver core's own words (drivers/base/dd.c): what it logs when a
 * driver's probe fails. Every bus the model probes devices on (nd, dax,
 * virtio) goes through here, so the format follows the version's rule
 * `probeFailureDevErr` in one place.
 */
import type { Kernel } from "../kernel.js";
import { ERRNO_NUMBER } from "../errno.js";

/**
 * call_driver_probe() after `drv`'s probe of device `dev` returned `err`
 * (negative): ENODEV and ENXIO are only dev_dbg; any other error is logged,
 * with dev_err() from 6.12 (the device is still bound to the driver then, so
 * the prefix is "driver device:"), with pr_warn() before.
 */
export function reportProbeFailure(k: Kernel, drv: string, dev: string, err: number): void {
  if (err === -ERRNO_NUMBER.ENODEV || err === -ERRNO_NUMBER.ENXIO) return;
  if (k.rules.probeFailureDevErr) k.printk(3, `${drv} ${dev}: probe with driver ${drv} failed with error ${err}`);
  else k.printk(4, `${drv}: probe of ${dev} failed with error ${err}`);
}
