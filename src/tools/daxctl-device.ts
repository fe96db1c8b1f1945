/** reconfigure-device, online-memory, offline-memory, enable-device, disable-device. Models daxctl/device.c. */
import type { Kernel } from "../kernel/kernel.js";
import { daxDriverBind, daxDriverIdStore, daxDriverUnbind, type DevDax } from "../kernel/drivers/dax.js";
import { ndFlush } from "../kernel/drivers/nvdimm-bus.js";
import { neg, parseCommand, strerror, type ToolResult } from "./tool-util.js";
import { type DeviceAction, DEVICE_TABLES } from "./daxctl-options.js";
import { Ctx, daxctlRegions, daxDevFilter, daxRegionFilter, EBUSY, EINVAL, enabled, ENXIO, isSystemRam, memoryOp, numOnline, numSections, readAttr, result, usage } from "./daxctl-lib.js";
import { daxDevJson } from "./daxctl-list.js";

interface Params {
  mode?: string;
  noOnline: boolean;
  noMovable: boolean;
  force: boolean;
  verbose: boolean;
  region?: string;
}

function devEnable(c: Ctx, d: DevDax, mode: "devdax" | "system-ram"): number {
  if (enabled(d)) return 0;
  const drv = mode === "devdax" ? "device_dax" : "kmem";
  // daxctl_bind(): new_id (which attaches), then bind; both quiet.
  daxDriverIdStore(c.k, drv, "new_id", d.name);
  const b = daxDriverBind(c.k, drv, d.name);
  if (!enabled(d)) {
    c.lib("daxctl_dev_enable", `${d.name}: failed to enable\n`);
    return b ? neg(b) : ENXIO;
  }
  return 0;
}

function devDisable(c: Ctx, d: DevDax): number {
  if (!enabled(d)) return 0;
  const drv = d.driver!;
  daxDriverIdStore(c.k, drv, "remove_id", d.name);
  daxDriverUnbind(c.k, drv, d.name);
  if (enabled(d)) {
    c.lib("daxctl_dev_disable", `${d.name}: failed to disable\n`);
    return EBUSY;
  }
  return 0;
}

function willAutoOnline(k: Kernel): boolean {
  return (readAttr(k, "/sys/devices/system/memory/auto_online_blocks") ?? "").startsWith("online");
}

/** The memory object of a system-ram device, its section count and how many are online (dev_online_memory() and dev_offline_memory() both start so). */
function memorySections(c: Ctx, d: DevDax): { sections: number; on: number } | { rc: number } {
  if (!isSystemRam(d)) {
    c.err.write(`${d.name}: failed to get the memory object\n`);
    return { rc: ENXIO };
  }
  const sections = numSections(c.k, d);
  if (sections < 0) {
    c.err.write(`${d.name}: failed to get number of memory sections\n`);
    return { rc: sections };
  }
  const on = checkedNumOnline(c, d);
  return on < 0 ? { rc: on } : { sections, on };
}

/** daxctl_memory_num_sections_online(), saying so when it fails. */
function checkedNumOnline(c: Ctx, d: DevDax): number {
  const on = numOnline(c.k, d);
  if (on < 0) c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
  return on;
}

function devOnlineMemory(c: Ctx, p: Params, d: DevDax): number {
  const m = memorySections(c, d);
  if ("rc" in m) return m.rc;
  const { sections } = m;
  let on = m.on;
  if (on)
    c.err.write(
      `${d.name}:\n  WARNING: detected a race while onlining memory\n  Some memory may not be in the expected zone. It is\n  recommended to disable any other onlining mechanisms,\n  and retry. If onlining is to be left to other agents,\n  use the --no-online option to suppress this warning\n`,
    );
  if (on === sections) {
    c.err.write(`${d.name}: all memory sections (${on}) already online\n`);
    return 1;
  }
  if (on > 0) c.err.write(`${d.name}: ${on} memory section${on === 1 ? "" : "s"} already online\n`);
  const rc = memoryOp(c.k, d, p.noMovable ? "online" : "online_movable", c.err);
  if (rc < 0) {
    c.err.write(`${d.name}: failed to online memory: ${strerror(rc)}\n`);
    return rc;
  }
  if (p.verbose) c.err.write(`${d.name}: ${rc} memory section${rc === 1 ? "" : "s"} onlined\n`);
  on = checkedNumOnline(c, d);
  if (on < 0) return on;
  if (on < sections) {
    c.err.write(`${d.name}: failed to online ${sections - on} memory sections\n`);
    return ENXIO;
  }
  return 0;
}

function devOfflineMemory(c: Ctx, p: Params, d: DevDax): number {
  const m = memorySections(c, d);
  if ("rc" in m) return m.rc;
  const { sections } = m;
  let on = m.on;
  const off = sections - on;
  if (off === sections) {
    c.err.write(`${d.name}: all memory sections (${off}) already offline\n`);
    return 1;
  }
  if (off) c.err.write(`${d.name}: ${off} memory section${off === 1 ? "" : "s"} already offline\n`);
  const rc = memoryOp(c.k, d, "offline", c.err);
  if (rc < 0) {
    c.err.write(`${d.name}: failed to offline memory: ${strerror(rc)}\n`);
    return rc;
  }
  if (p.verbose) c.err.write(`${d.name}: ${rc} memory section${rc === 1 ? "" : "s"} offlined\n`);
  on = checkedNumOnline(c, d);
  if (on < 0) return on;
  if (on) {
    c.err.write(`${d.name}: failed to offline ${on} memory sections\n`);
    return ENXIO;
  }
  return 0;
}

function reconfigSystemRam(c: Ctx, p: Params, d: DevDax): number {
  if (p.noOnline || !p.noMovable) {
    if (!p.force && willAutoOnline(c.k)) {
      c.err.write(`${d.name}: error: kernel policy will auto-online memory, aborting\n`);
      return EBUSY;
    }
  }
  let skipEnable = false;
  if (enabled(d)) {
    if (isSystemRam(d)) {
      c.err.write(`${d.name} was already in system-ram mode\n`);
      skipEnable = true;
    } else {
      const rc = devDisable(c, d);
      if (rc) {
        c.err.write(`${d.name}: disable failed: ${strerror(rc)}\n`);
        return rc;
      }
    }
  }
  if (!skipEnable) {
    const rc = devEnable(c, d, "system-ram");
    if (rc) return rc;
  }
  if (p.noOnline) return 0;
  return devOnlineMemory(c, p, d);
}

function reconfigDevdax(c: Ctx, p: Params, d: DevDax): number {
  if (enabled(d)) {
    if (!isSystemRam(d)) {
      c.err.write(`${d.name} was already in devdax mode\n`);
      return 1;
    }
    if (p.force) {
      const rc = devOfflineMemory(c, p, d);
      if (rc < 0) return rc;
    }
    const on = numOnline(c.k, d);
    if (on < 0) {
      c.err.write(`${d.name}: failed to determine online state: ${strerror(on)}\n`);
      return on;
    }
    if (on > 0) {
      if (p.verbose) {
        c.err.write(`${d.name}: found ${on} memory sections online\n`);
        c.err.write(`${d.name}: refusing to change modes\n`);
      }
      return EBUSY;
    }
    const rc = devDisable(c, d);
    if (rc) {
      c.err.write(`${d.name}: disable failed: ${strerror(rc)}\n`);
      return rc;
    }
  }
  return devEnable(c, d, "devdax");
}

type Action = DeviceAction;

function doDevice(c: Ctx, p: Params, d: DevDax, action: Action): number {
  switch (action) {
    case "reconfigure": {
      let rc: number;
      if (p.mode === "system-ram") rc = reconfigSystemRam(c, p, d);
      else if (p.mode === "devdax") rc = reconfigDevdax(c, p, d);
      else {
        c.err.write(`${d.name}: unknown mode requested: 0\n`);
        rc = EINVAL;
      }
      if (rc < 0) return rc;
      c.json = c.json ?? [];
      c.json.push(daxDevJson(c.k, d, { human: c.human }));
      return 0;
    }
    case "online":
    case "offline":
      if (!isSystemRam(d)) {
        c.err.write(`${d.name}: memory operations are not applicable in devdax mode\n`);
        return ENXIO;
      }
      return action === "online" ? devOnlineMemory(c, p, d) : devOfflineMemory(c, p, d);
    case "enable":
    case "disable": {
      if (isSystemRam(d)) {
        c.err.write(`${d.name}: status operations are only applicable in devdax mode\n`);
        return ENXIO;
      }
      const rc = action === "enable" ? devEnable(c, d, "devdax") : devDisable(c, d);
      if (rc) c.err.write(`${d.name}: ${action} failed: ${strerror(rc)}\n`);
      return rc;
    }
  }
}

export function cmdDevice(k: Kernel, argv: string[], action: DeviceAction): ToolResult {
  const c = new Ctx(k);
  const table = DEVICE_TABLES[action];
  const po = parseCommand(argv, table);
  if ("error" in po) return usage(argv, c, table, po);
  let bad = false;
  if (po.args.length === 0) {
    // cmd_enable_device() parses its options as ACTION_DISABLE.
    const what = { reconfigure: "reconfigure", online: "online memory for", offline: "offline memory for", enable: "disable", disable: "disable" }[action];
    c.err.write(`specify a device to ${what}, or "all"\n`);
    bad = true;
  }
  for (let i = 1; i < po.args.length; i++) {
    c.err.write(`unknown extra parameter "${po.args[i]}"\n`);
    bad = true;
  }
  if (bad) return usage(argv, c, table);
  const device = po.args[0].replace(/^.*\//, "");
  const o = po.opts;
  c.human = o.human === true;
  const p: Params = {
    mode: typeof o.mode === "string" ? o.mode : undefined,
    noOnline: o.noOnline === true,
    noMovable: o.noMovable === true,
    force: o.force === true,
    verbose: o.verbose === true,
    region: typeof o.region === "string" ? o.region : undefined,
  };
  const unmodelled = (what: string): ToolResult => ({ argv: ["daxctl", ...argv], rc: 1, stderr: [], unsupported: `daxctl ${argv[0]} ${what} is not modelled` });
  if (o.check === true) {
    if (p.mode !== undefined || p.noOnline || p.noMovable) {
      c.err.write(`${device}: -C cannot be used with --mode, --(no-)movable, or --(no-)online\n`);
      return usage(argv, c, table);
    }
    return unmodelled("-C (the parameters from daxctl's config files)");
  }
  if (action === "reconfigure") {
    const resize = o.size !== undefined || o.align !== undefined;
    if (p.mode === undefined && !resize) {
      c.err.write("error: a 'align', 'mode' or 'size' option is required\n");
      return usage(argv, c, table);
    }
    // A size or align takes the place of the mode: do_reconfig() resizes the device or sets its align.
    if (resize) return unmodelled("-s/-a (resizing a device, setting its align)");
    if (p.mode === "devdax" && p.noOnline) {
      c.err.write("--no-online is incompatible with --mode=devdax\n");
      return usage(argv, c, table);
    }
  }
  ndFlush(k);
  let rc = ENXIO;
  let processed = 0;
  for (const r of daxctlRegions(k)) {
    if (!daxRegionFilter(r, p.region)) continue;
    for (const d of r.devices) {
      if (!daxDevFilter(d, device)) continue;
      rc = doDevice(c, p, d, action);
      if (rc === 0) processed++;
    }
  }
  ndFlush(k);
  const verb = { reconfigure: ["reconfiguring devices", "reconfigured"], online: ["onlining memory", "onlined memory for"], offline: ["offlining memory", "offlined memory for"], enable: ["enabling device", "enabled"], disable: ["disabling device", "disabled"] }[action];
  if (rc < 0) c.err.write(`error ${verb[0]}: ${strerror(rc)}\n`);
  c.err.write(`${verb[1]} ${processed} device${processed === 1 ? "" : "s"}\n`);
  return result(argv, rc, c);
}
