/**
 * The ports cxl_mem makes as a memdev probes (drivers/cxl/mem.c,
 * core/port.c): the ports of CXL switches between the host bridge and the
 * device, then the memdev's endpoint port with its decoders, and the
 * register claims each makes.
 */
import type { Kernel } from "../kernel.js";
import { claimRegs, decoderEvent, releaseClaims, newDecoder, portEvent, type CxlMemdev, type CxlPort, type CxlState } from "./cxl-core.js";

/**
 * init_hdm_decoder()'s refusal: the first of the device's HDM decoders whose
 * registers say committed with a zero size (a reset on a device that keeps
 * the Committed bit), or -1.
 */
export function committedZeroSizeDecoder(st: CxlState, m: CxlMemdev): number {
  for (let n = 0; n < st.rules.hdmDecoders; n++) {
    const regs = m.hdmRegs?.[n];
    if (regs?.committed && regs.size === 0) return n;
  }
  return -1;
}

/**
 * cxl_mem's probe: the memdev's endpoint port under its host bridge's port,
 * its decoders and register claims; null when cxl_port's probe of it fails
 * (the port added and removed again, the errors logged: the caller's ENXIO).
 */
export function makeEndpoint(k: Kernel, st: CxlState, m: CxlMemdev, probing: readonly CxlMemdev[] = [m]): CxlPort | null {
  const rules = st.rules;
  const rp = st.platform.rootPorts[m.dev.rp];
  const hbPort = st.ports.find((p) => p.kind === "switch" && p.hb === rp.hb)!;
  const dsp = m.dev.dsp === undefined ? undefined : st.platform.downstreamPorts[m.dev.dsp];
  const parent = dsp ? switchPort(k, st, dsp.sw, probing) : hbPort;
  // Ports that enumerate dports on demand add the downstream ports on the memdev's way as it attaches (7.2:
  // cxl-probe101-switch-unbind.sid).
  if (rules.dportsOnlyWithDevices) {
    for (const i of dspChain(st, m)) {
      const d = st.platform.downstreamPorts[i];
      const port = st.ports.find((p) => p.sw === d.sw)!;
      if (port.dports.some((x) => x.name === d.bdf)) continue;
      port.dports.push({ name: d.bdf, id: d.port });
      port.dports.sort((a, b) => a.id - b.id);
    }
  }
  const ep: CxlPort = { name: "", id: st.portIda.get(), kind: "endpoint", parent, depth: parent.depth + 1, host: m.name, dports: [], decoders: [], memdev: m, regs: m.dev.bars[0].start };
  ep.name = `endpoint${ep.id}`;
  m.endpoint = ep;
  st.ports.push(ep);
  portEvent(k, "add", ep);
  const bad = committedZeroSizeDecoder(st, m);
  for (let n = 0; n < rules.hdmDecoders; n++) {
    if (n === bad) {
      k.printk(4, `cxl_port ${ep.name}: decoder${ep.id}.${n}: Committed with zero size`);
      k.printk(3, `cxl_port ${ep.name}: Couldn't enumerate decoders (-6)`);
      k.printk(3, `cxl_mem ${m.name}: ${ep.name} failed probe`);
      for (const d of [...ep.decoders].reverse()) decoderEvent(k, "remove", d);
      portEvent(k, "remove", ep);
      st.ports = st.ports.filter((p) => p !== ep);
      st.portIda.put(ep.id);
      m.endpoint = null;
      return null;
    }
    const d = newDecoder(ep, "endpoint", []);
    const regs = m.hdmRegs?.[n];
    if (regs) {
      d.iw = regs.iw;
      d.ig = regs.ig;
    }
    decoderEvent(k, "add", d);
  }
  portEvent(k, "bind", ep);
  for (const c of rules.endpointClaims(ep.regs, m.dev.bdf)) claimRegs(k, c.start, c.size, c.name === "port" ? ep.name : c.name);
  for (const c of rules.dportClaims((dsp ?? rp).bar0.start)) claimRegs(k, c.start, c.size, c.name === "port" ? parent.name : c.name === "memdev" ? m.name : c.name);
  return ep;
}

/**
 * The switch ports of the memdevs about to probe, in their order, before
 * any endpoint: each memdev's probe enumerates its ports before it adds its
 * endpoint, and the probes run side by side, so a switch's port can take its
 * id before another device's endpoint does (test/oracle/cxl/
 * cxl-probe98-switch-and-direct.sid: port2 for the switch, endpoint3 for
 * the device on a root port; race cxl-switch-ports).
 */
export function makeSwitchPorts(k: Kernel, st: CxlState, memdevs: CxlMemdev[], probing: readonly CxlMemdev[]): void {
  for (const m of memdevs) if (m.dev.dsp !== undefined) switchPort(k, st, st.platform.downstreamPorts[m.dev.dsp].sw, probing);
}

/**
 * devm_cxl_enumerate_ports(): the port of a CXL switch: its uport is the
 * upstream port, its dports the downstream ports (id: the PCIe port number;
 * on 7.2 only those with a device below, rule cxlDportsOnlyWithDevices), its
 * decoders in the upstream port's registers, each targeting dport 0 (none
 * when that port is not listed: cxl-probe98-switch-and-direct.sid,
 * nr_targets 0); the host bridge port maps its root port's registers for it
 * (test/oracle/cxl/cxl-probe97-switch-boot.sid: port2 under port1).
 */
function switchPort(k: Kernel, st: CxlState, swIdx: number, probing: readonly CxlMemdev[]): CxlPort {
  const have = st.ports.find((p) => p.sw === swIdx);
  if (have) return have;
  const rules = st.rules;
  const sw = st.platform.switches[swIdx];
  // The port above: the host bridge's, or the port of the switch whose downstream port this one sits on (made first).
  const rp = st.platform.rootPorts[sw.rp];
  const up = sw.parentDsp === undefined ? undefined : st.platform.downstreamPorts[sw.parentDsp];
  const parent = up ? switchPort(k, st, up.sw, probing) : st.ports.find((p) => p.kind === "switch" && p.hb === rp.hb)!;
  // Downstream ports with a memdev bound or probing below (where dports are enumerated on demand).
  const below = (i: number) => st.memdevs.some((m) => dspChain(st, m).includes(i) && (m.endpoint !== null || probing.includes(m)));
  const dports = sw.dsps.filter((i) => !rules.dportsOnlyWithDevices || below(i)).map((i) => st.platform.downstreamPorts[i]).map((d) => ({ name: d.bdf, id: d.port }));
  const port: CxlPort = { name: "", id: st.portIda.get(), kind: "switch", parent, depth: parent.depth + 1, host: sw.bdf, dports, decoders: [], sw: swIdx, regs: sw.bar0.start };
  port.name = `port${port.id}`;
  st.ports.push(port);
  portEvent(k, "add", port);
  const passthrough = dports.length === 1 && rules.passthroughPorts === "one-dport";
  const def = passthrough ? dports[0] : dports.find((d) => d.id === 0);
  const after = k.rules.cxlPortDecodersAfterBind;
  if (after) portEvent(k, "bind", port);
  for (let n = 0; n < (passthrough ? 1 : rules.hdmDecoders); n++) decoderEvent(k, "add", newDecoder(port, "switch", def ? [def] : []));
  if (!after) portEvent(k, "bind", port);
  if (!passthrough) for (const c of rules.switchClaims(sw.bar0.start)) claimRegs(k, c.start, c.size, port.name);
  // The RAS registers of the port it hangs from (a root port or a downstream port): 7.2's port above maps them for
  // the switch as for a device; 6.12's memdev maps only its own dport's (no claim under the root port:
  // cxl-probe97-switch-boot.trixie).
  for (const c of rules.dportClaims((up ?? rp).bar0.start)) if (c.name === "port") claimRegs(k, c.start, c.size, parent.name);
  return port;
}

/** The switch downstream ports between the host bridge and a memdev, top first (indices into downstreamPorts). */
export function dspChain(st: CxlState, m: CxlMemdev): number[] {
  const out: number[] = [];
  for (let d = m.dev.dsp; d !== undefined; d = st.platform.switches[st.platform.downstreamPorts[d].sw].parentDsp) out.unshift(d);
  return out;
}

/**
 * cxl_detach_ep(): a switch's port goes with the last endpoint below it
 * (its decoders last first, then the port, its register claims with it);
 * the host bridge's port stays (test/oracle/cxl/cxl-probe101-switch-unbind).
 */
export function dropSwitchPortIfIdle(k: Kernel, st: CxlState, port: CxlPort): void {
  if (port.sw === undefined || st.ports.some((p) => p.parent === port)) return;
  const parent = port.parent;
  for (const d of [...port.decoders].reverse()) decoderEvent(k, "remove", d);
  portEvent(k, "unbind", port);
  portEvent(k, "remove", port);
  releaseClaims(k, [port.name]);
  st.ports = st.ports.filter((p) => p !== port);
  st.portIda.put(port.id);
  if (parent) dropSwitchPortIfIdle(k, st, parent);
}
