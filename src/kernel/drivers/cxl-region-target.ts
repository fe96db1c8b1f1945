/**
 * A CXL region's targets (drivers/cxl/core/region.c): target%d_store(),
 * cxl_region_attach() with its position checks, each port taking the region
 * (cxl_port_attach_region()), the switch decoders set up once every
 * position is filled (cxl_region_setup_targets()), and detaching again
 * (cxl_region_detach(), cxl_region_teardown_targets()).
 */
import type { Kernel } from "../kernel.js";
import { EBUSY, EINVAL, ENODEV, ENXIO, ERRNO_NUMBER, type Errno } from "../errno.js";
import { hex0x, isPowerOf2 } from "../units.js";
import type { CxlDecoder, CxlDport, CxlPort, CxlState } from "./cxl-core.js";
import { dspChain } from "./cxl-port.js";
import type { CxlRegion } from "./cxl-region.js";

/**
 * cxl_port_setup_targets(): a switch decoder's granularity from its parent's
 * (the root's: the region's granularity and the root's ways; a port's: its
 * decoder's), rule cxlBridgeGranularityTimesRootWays.
 */
function bridgeGranularity(k: Kernel, parentIg: number, parentWays: number, ways: number): number {
  if (k.rules.cxlBridgeGranularityTimesRootWays) return parentIg * parentWays;
  if (parentWays > 1 && ways > 1) {
    const peig = Math.log2(parentIg / 256);
    const peiw = Math.log2(parentWays);
    const eiw = Math.log2(ways);
    return 256 * 2 ** (Math.max(peig + peiw, eiw + peig) - eiw + 1);
  }
  return parentIg;
}

/** cxl_rr->nr_targets: how many of the port's dports the region's targets go through. */
function targetCount(st: CxlState, r: CxlRegion, p: CxlPort): number {
  return new Set(r.targets.filter((x) => x && pathPorts(x.port).includes(p)).map((x) => dportToward(st, p, x!.port))).size;
}

/** The dport of port `p` on the way down to the endpoint `ep`: a root port, or a switch's downstream port. */
function dportToward(st: CxlState, p: CxlPort, ep: CxlPort): string {
  const dev = ep.memdev!.dev;
  if (p.sw !== undefined) return st.platform.downstreamPorts[dspChain(st, ep.memdev!).find((i) => st.platform.downstreamPorts[i].sw === p.sw)!].bdf;
  return st.platform.rootPorts[dev.rp].bdf;
}

/** enum cxl_decoder_mode as region.c prints it. */
const MODE_NUMBER: Record<string, number> = { none: 0, ram: 1, pmem: 2 };

/** dev_name(port->uport):dev_name(port) as region.c prints a port. */
function portLabel(p: CxlPort): string {
  return `${p.host}:${p.name}`;
}

/** The ports from the host bridge down to the endpoint's parent (the switch ports a region crosses). */
export function pathPorts(ep: CxlPort): CxlPort[] {
  const out: CxlPort[] = [];
  for (let p = ep.parent; p && p.kind !== "root"; p = p.parent) out.unshift(p);
  return out;
}

/** target%d_store(): attach an endpoint decoder at a position, or detach with "". */
export function setTarget(k: Kernel, st: CxlState, r: CxlRegion, pos: number, buf: string): Errno | null {
  const name = buf.replace(/\n$/, "");
  if (pos >= r.iw) return ENXIO;
  if (name === "") {
    if (r.state === "commit") return EBUSY;
    const d = r.targets[pos];
    if (d) detach(st, r, pos);
    return null;
  }
  const d = st.ports.flatMap((p) => p.decoders).find((x) => x.name === name && x.kind === "endpoint");
  if (!d) return ENODEV;
  const e = attachTarget(k, st, r, d, pos);
  // attach_target() (7.2): every refusal is also a warning on the endpoint port
  // (test/oracle/cxl/cxl-probe87-two-hb-hdm.sid: "cxl_port endpoint4: failed to attach decoder4.0 to region0: -6").
  if (e && k.rules.cxlAttachFailureWarns) k.printk(4, `cxl_port ${d.port.name}: failed to attach ${d.name} to ${r.name}: -${ERRNO_NUMBER[e]}`);
  return e;
}

/** cxl_region_attach(): the decoder takes the position, and the ports above it take the region. */
function attachTarget(k: Kernel, st: CxlState, r: CxlRegion, d: CxlDecoder, pos: number): Errno | null {
  // dev_dbg() on the region names its driver once bound (test/oracle/cxl/cxl-probe90-ram-two-hb-numa.trixie:
  // "cxl_region region0: region already active").
  const label = `${r.driver ? "cxl_region" : "cxl"} ${r.name}`;
  // The decoder's mode (partition from 7.2) against the region's, first (test/oracle/cxl/cxl-probe91-sysfs-region-errors).
  if (k.rules.cxlDecoderPartitions && d.mode === "none") {
    k.printk(7, `${label}: ${d.name} dead`);
    return ENODEV;
  }
  if (d.mode !== r.mode) {
    k.printk(7, `${label}: ${d.name} region mode: ${MODE_NUMBER[r.mode]} mismatch: ${MODE_NUMBER[d.mode]}`);
    return EINVAL;
  }
  if (r.state === "active" || r.state === "commit") {
    k.printk(7, `${label}: region already active`);
    return EBUSY;
  }
  if (!r.res) {
    k.printk(7, `${label}: interleave config missing`);
    return ENXIO;
  }
  if (r.targets[pos]) return EBUSY;
  // cxl_region_validate_position(): the memdev already at another position.
  const at = r.targets.findIndex((t) => t && t.port.memdev === d.port.memdev);
  if (at >= 0) {
    k.printk(7, `${label}: ${d.port.memdev!.name} already specified at position ${pos} via: ${r.targets[at]!.name}`);
    return EBUSY;
  }
  if (d.region) return EBUSY;
  if (!r.res) return ENXIO;
  if (d.dpaSize === 0) return ENXIO;
  if (d.dpaSize * r.iw !== r.size) return EINVAL;
  const ep = d.port;
  const mem = ep.memdev!;
  const hbIdx = st.platform.rootPorts[mem.dev.rp].hb;
  const win = r.root.window!;
  if (!win.targets.includes(hbIdx)) {
    k.printk(7, `cxl ${r.name}: ${mem.name}:${d.name} invalid target for ${r.root.name}`);
    return ENXIO;
  }
  // cxl_region_attach_position(): the root decoder's target at this position must be the endpoint's host bridge
  // (test/oracle/cxl/cxl-probe87-two-hb-hdm: mem0 under the window's second bridge cannot be target0).
  if (win.targets[pos % win.targets.length] !== hbIdx) {
    k.printk(7, `cxl ${r.name}: ${mem.name}:${d.name} invalid target position for ${r.root.name}`);
    return ENXIO;
  }
  r.targets[pos] = d;
  d.region = r;
  // cxl_port_attach_region(): the endpoint port first (its own counts), then each port up to the host bridge.
  k.printk(7, `cxl ${r.name}: ${mem.name}:${ep.name} ${d.name} add: ${mem.name}:${d.name} @ ${pos} next: none nr_eps: 1 nr_targets: 1`);
  const path = pathPorts(ep);
  for (const p of [...path].reverse()) {
    const sd = p.decoders.find((x) => x.region === r) ?? p.decoders.find((x) => !x.region && !x.committed);
    if (!sd) {
      k.printk(7, `cxl ${r.name}: ${p.name}: no decoder available`);
      r.targets[pos] = null;
      d.region = null;
      return EBUSY;
    }
    sd.region = r;
    const eps = r.targets.filter((t): t is CxlDecoder => t !== null && pathPorts(t.port).includes(p));
    const dports = new Set(eps.map((t) => dportToward(st, p, t.port)));
    // "next": the device below the port on the way down (the next port's uport, or the memdev).
    const below = path[path.indexOf(p) + 1];
    k.printk(7, `cxl ${r.name}: ${portLabel(p)} ${sd.name} add: ${mem.name}:${d.name} @ ${pos} next: ${below ? below.host : mem.name} nr_eps: ${eps.length} nr_targets: ${dports.size}`);
  }
  // The decoder takes the region's interleave and range once attached; when it completes the region, only once
  // the ports' targets are set up (a failure there leaves it as it was: cxl-probe99-two-switches-x4.trixie).
  const take = () => {
    d.start = r.res!.start;
    d.size = r.size;
    d.iw = r.iw;
    d.ig = r.ig;
  };
  if (!r.targets.every((t) => t)) take();
  else {
    // cxl_region_setup_targets(): position by position, each port from the host bridge down; a port's
    // interleave is set the first time (its granularity the region's times the root's ways), then each
    // position adds its dport to the port's targets (the "target[n]" printed is the last slot filled).
    const rootWays = isPowerOf2(r.root.iw) ? r.root.iw : r.root.iw / 3;
    const filled = new Map<CxlPort, CxlDport[]>();
    const label = (t: CxlDecoder) => `${t.port.memdev!.name}:${t.name}`;
    const failed = ((): boolean => {
      for (const [i, t] of r.targets.entries()) {
        const m = t!.port.memdev!;
        let parentIg = r.ig;
        let parentWays = rootWays;
        const path = pathPorts(t!.port);
        for (const p of path) {
          const sd = p.decoders.find((x) => x.region === r)!;
          const toward = dportToward(st, p, t!.port);
          const dp = p.dports.find((x) => x.name === toward);
          let set = filled.get(p);
          if (set && set.some((x) => x.name === toward)) {
            // check_last_peer(): a position sharing a dport must be `distance` after a peer on that dport, the
            // distance being the product of the target counts from this port up, times the root's ways.
            const distance = path.slice(0, path.indexOf(p) + 1).reduce((a, q) => a * targetCount(st, r, q), r.root.iw);
            if (i < distance) {
              k.printk(7, `cxl ${r.name}: ${portLabel(p)}: cannot host ${label(t!)} at ${i}`);
              return true;
            }
            const peer = r.targets[i - distance]!;
            if (dportToward(st, p, peer.port) !== toward) {
              k.printk(7, `cxl ${r.name}: ${portLabel(p)}: ${label(t!)} pos ${i} mismatched peer ${label(peer)}`);
              return true;
            }
          } else {
            if (!set) {
              sd.start = r.res!.start;
              sd.size = r.size;
              sd.iw = targetCount(st, r, p);
              sd.ig = bridgeGranularity(k, parentIg, parentWays, sd.iw);
              k.printk(7, `cxl ${r.name}: ${portLabel(p)} iw: ${sd.iw} ig: ${sd.ig}`);
              set = [];
              filled.set(p, set);
            }
            if (set.length === sd.iw) {
              k.printk(7, `cxl ${r.name}: ${portLabel(p)}: targets full trying to add ${label(t!)} at ${i}`);
              return true;
            }
            if (dp) set.push(dp);
          }
          parentIg = sd.ig;
          parentWays = sd.iw;
          k.printk(7, `cxl ${r.name}: ${portLabel(p)} target[${set.length - 1}] = ${toward} for ${m.name}:${t!.name} @ ${i}`);
        }
      }
      return false;
    })();
    for (const [p, set] of filled) p.decoders.find((x) => x.region === r)!.targets = set;
    if (failed) {
      // cxl_region_teardown_targets(): the switch decoders lose their ranges but keep the targets set so far;
      // the endpoint decoders stay attached.
      for (const p of filled.keys()) {
        const sd = p.decoders.find((x) => x.region === r)!;
        sd.start = 0;
        sd.size = 0;
      }
      return ENXIO;
    }
    take();
    const posField = k.rules.cxlInterleavePosDebug;
    if (posField) {
      r.targets.forEach((t, i) => {
        const m = t!.port.memdev!;
        k.printk(7, `cxl_mem ${m.name}: decoder:${t!.name} parent:${m.dev.bdf} port:${t!.port.name} range:${hex0x(r.res!.start)}-${hex0x(r.res!.end)} pos:${i}`);
        k.printk(7, `cxl ${t!.name}: Test cxl_calc_interleave_pos(): success test_pos:${i} ${posField}->pos:${i}`);
      });
    }
    r.state = "active";
  }
  return null;
}

/**
 * cxl_region_detach(): the endpoint leaves each port's region reference (the
 * last endpoint through a port frees it: the port's decoder is no longer the
 * region's but keeps its HPA range); then a region that had all its targets
 * tears them down (cxl_region_teardown_targets()), and every port decoder
 * still referenced loses its range. So a one-way port keeps its range and
 * one shared with another target loses it (6.1's cxl-pmem-interleave; on
 * two host bridges, test/oracle/cxl/cxl-probe86-two-hb-interleave: decoder1.0
 * reset, decoder2.0 kept).
 */
export function detach(st: CxlState, r: CxlRegion, pos: number): void {
  const d = r.targets[pos]!;
  d.region = null;
  d.start = 0;
  d.size = 0;
  for (const p of pathPorts(d.port)) {
    const sd = p.decoders.find((x) => x.region === r);
    if (sd && !r.targets.some((t, i) => i !== pos && t && pathPorts(t.port).includes(p))) sd.region = null;
  }
  if (r.state === "active") {
    for (const t of r.targets) {
      if (!t) continue;
      for (const p of pathPorts(t.port)) {
        const sd = p.decoders.find((x) => x.region === r);
        if (sd) {
          sd.start = 0;
          sd.size = 0;
        }
      }
    }
  }
  r.targets[pos] = null;
  r.state = "idle";
  void st;
}
