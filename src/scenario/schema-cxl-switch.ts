/**
 * CXL switches in a machine: `extra_qemu_args` (schema-qemu-args.ts) read
 * against `machine.cxl`, whose root ports the switches sit on, and merged
 * into the CXL spec the platform is built from.
 */
import type { CxlSpec } from "../machine/cxl-platform.js";
import { parseCxlQemuArgs } from "./schema-qemu-args.js";

type Issue = (path: PropertyKey[], message: string) => void;

/** Problems of extra_qemu_args and of the switches it builds on machine.cxl, located. */
export function cxlSwitchIssues(cxl: CxlSpec | undefined, args: unknown, issue: Issue): void {
  const at = (path: PropertyKey[], message: string) => issue(["extra_qemu_args", ...path], message);
  const parsed = parseCxlQemuArgs(args, at);
  if (!parsed) return;
  if (!cxl) {
    issue(["extra_qemu_args"], "CXL switch devices need machine.cxl (the host bridge, the root port the switch sits on, a window)");
    return;
  }
  const ids = new Set([...cxl.host_bridges.map((h) => h.id), ...cxl.root_ports.map((r) => r.id), ...cxl.type3.map((t) => t.id)]);
  const own = [...parsed.switches.flatMap((s) => [s.id, ...s.downstream.map((d) => d.id)]), ...parsed.type3.map((t) => t.id)];
  for (const id of own) if (ids.has(id)) issue(["extra_qemu_args"], `duplicate device id "${id}" (also in machine.cxl)`);
  const rps = new Set(cxl.root_ports.map((r) => r.id));
  // A switch sits on a root port of machine.cxl or on a downstream port of a switch given before it.
  const dsps = new Set<string>();
  const taken = new Set<string>([...cxl.type3.map((t) => t.bus), ...parsed.type3.map((t) => t.bus)]);
  for (const s of parsed.switches) {
    if (!rps.has(s.bus) && !dsps.has(s.bus)) issue(["extra_qemu_args"], `cxl-upstream "${s.id}": bus "${s.bus}" is not a root port of machine.cxl or a cxl-downstream port given before it`);
    else if (taken.has(s.bus)) issue(["extra_qemu_args"], `cxl-upstream "${s.id}": ${rps.has(s.bus) ? "root" : "downstream"} port "${s.bus}" already has a device`);
    taken.add(s.bus);
    for (const d of s.downstream) dsps.add(d.id);
    if (s.downstream.length === 0) issue(["extra_qemu_args"], `cxl-upstream "${s.id}" has no cxl-downstream port`);
  }
}

/** machine.cxl with the switches and switch-attached devices of extra_qemu_args. */
export function withSwitches(cxl: CxlSpec | undefined, args: unknown): CxlSpec | undefined {
  if (!cxl) return cxl;
  const parsed = parseCxlQemuArgs(args, () => {});
  if (!parsed) return cxl;
  return { ...cxl, switches: parsed.switches, type3: [...cxl.type3, ...parsed.type3] };
}

/** Devices a PCI bus holds (device numbers 0-31): root ports on a host bridge, downstream ports on a switch. */
const PCI_SLOTS = 32;

/**
 * Topologies QEMU and SeaBIOS cannot number (checked on machine.cxl with its
 * switches): more than 32 ports on one bus, or buses behind a host bridge
 * that run past 0xff or into the next host bridge's bus_nr.
 */
export function cxlBusIssues(cxl: CxlSpec | undefined, issue: Issue): void {
  if (!cxl) return;
  const switches = cxl.switches ?? [];
  const busesBelow = (portId: string): number => {
    const sw = switches.find((s) => s.bus === portId);
    return sw ? 1 + sw.downstream.reduce((n, d) => n + 1 + busesBelow(d.id), 0) : 0;
  };
  for (const s of switches) {
    if (s.downstream.length > PCI_SLOTS) issue(["extra_qemu_args"], `cxl-upstream "${s.id}" has ${s.downstream.length} cxl-downstream ports: QEMU has no slot for more than ${PCI_SLOTS} on its bus`);
  }
  const hbs = cxl.host_bridges.map((h, i) => ({ h, i })).sort((a, b) => a.h.bus_nr - b.h.bus_nr);
  hbs.forEach(({ h, i }, k) => {
    const rps = cxl.root_ports.filter((r) => r.bus === h.id);
    if (rps.length > PCI_SLOTS) issue(["cxl", "host_bridges", i], `host bridge "${h.id}" has ${rps.length} root ports: QEMU has no slot for more than ${PCI_SLOTS} on its bus`);
    const last = h.bus_nr + rps.reduce((n, r) => n + 1 + busesBelow(r.id), 0);
    const next = hbs[k + 1]?.h;
    if (last > 0xff) issue(["cxl", "host_bridges", i, "bus_nr"], `the buses behind host bridge "${h.id}" (bus_nr ${h.bus_nr}) would run to ${last}, past bus 255: give it a lower bus_nr`);
    else if (next && last >= next.bus_nr) issue(["cxl", "host_bridges", i, "bus_nr"], `the buses behind host bridge "${h.id}" (bus_nr ${h.bus_nr}) would run to ${last}, into host bridge "${next.id}"'s bus_nr ${next.bus_nr}: leave room between them`);
  });
}
