import type { Uevent } from "../kernel/kernel.js";

/** A uevent as the oracle records it: action, devpath, subsystem, then the other variables. */
export interface UeventJson {
  action: string;
  devpath: string;
  subsystem: string;
  [k: string]: string | Record<string, string>;
}

export function ueventJson(u: Uevent): UeventJson {
  const o: UeventJson = { action: u.action, devpath: u.devpath, subsystem: u.subsystem };
  for (const [key, v] of u.vars ?? []) o[key] = v;
  if (u.noisy) o.noisy = Object.fromEntries(u.noisy);
  return o;
}
