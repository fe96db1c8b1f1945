/**
 * The page's text panels, rendered from the session and the live state:
 * a step (what was done, result, errno, log lines, uevents, changes — as
 * text, never JSON), a selected block or range (sysfs attributes, explain's
 * verdicts) and the actions offered on it. Builds DOM nodes with textContent
 * only (no HTML from data).
 */
import { describeStep, outcome, summarizeUevents } from "../cli/report.js";
import { explainBlock, explainRange, type Explanation, type Verdict } from "../analysis/explain.js";
import { sysfsRead } from "../kernel/sysfs.js";
import { placeDimm } from "../machine/qemu.js";
import type { System } from "../machine/system.js";
import type { RawStep } from "../scenario/runner.js";
import { formatBytes, hex, hexRange } from "./axis.js";
import type { Hit } from "./map-canvas.js";
import type { PageStep } from "./session.js";

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

export function stepTitle(s: PageStep, i: number): string {
  return s.step ? `step ${i}: ${describeStep(s.step)}` : "boot"; // steps count from 1, as the CLI and FILE@N do
}

export function stepOutcome(s: PageStep): { text: string; ok: boolean } {
  if (!s.step) return { text: "booted", ok: true };
  const text = outcome({ step: s.step, result: s.result });
  const ok = /^(ok|done|rc=0|size)/.test(text);
  return { text, ok };
}

export function logText(s: PageStep): string {
  return s.dmesg.map((l, j) => `<${s.levels[j]}> ${l}`).join("\n") || "(no kernel log lines)";
}

export function ueventText(s: PageStep): string {
  if (!s.uevents.length) return "(no uevents)";
  const lines = summarizeUevents(s.uevents);
  return lines.join("\n");
}

/** The sysfs attributes of a memory block, read through the model's sysfs. */
export function blockAttributes(sys: System, id: number): [string, string][] {
  const dir = `/sys/devices/system/memory/memory${id}`;
  const out: [string, string][] = [];
  for (const a of ["state", "online", "phys_index", "phys_device", "removable", "valid_zones"]) {
    const r = sysfsRead(sys.kernel, `${dir}/${a}`);
    out.push([a, r.ok ? r.value.replace(/\n$/, "") : `<${r.errno}>`]);
  }
  const b = sys.kernel.blocks.get(id);
  if (b) out.push(["nodes", b.nodeLinks.map((n) => `node${n}`).join(" ") || "-"]);
  if (b?.firmwareNode) out.push(["firmware_node", b.firmwareNode]);
  return out;
}

/** explain's answers for what was selected. */
export function explainHit(sys: System, hit: Hit): Explanation | null {
  const k = sys.kernel;
  if (hit.kind === "block") {
    const id = Math.floor(hit.start / k.geometry.pageSize / k.idUnitPages);
    return explainBlock(k, id) ?? null;
  }
  const ctx = {
    deviceMemory: sys.layout.deviceMemory,
    dimmCheck: sys.layout.deviceMemory
      ? (addr: number, size: number) => {
          const p = placeDimm(sys.layout, sys.spec, sys.devices, { id: "memhp-web", size, addr });
          return p.ok ? { ok: true as const, slot: p.slot, node: p.node } : { ok: false as const, error: p.error.desc };
        }
      : undefined,
  };
  const size = Math.max(hit.end - hit.start, k.hotplugGranule);
  return explainRange(k, hit.start, size, ctx);
}

function verdictNode(v: Verdict): HTMLElement {
  const li = el("li", undefined, v.ok ? "yes" : "no");
  const head = el("div");
  head.append(el("b", `${v.action}: ${v.ok ? "yes" : `no${v.errno ? ` (${v.errno})` : ""}`}${v.certain ? "" : " (uncertain)"}`));
  if (v.result) head.append(` — ${v.result}`);
  li.append(head, el("div", `why: ${v.reason}`), el("div", `how: ${v.how}`), el("div", `rule: ${v.rule.kernel} [spec ${v.rule.spec}]`, "rule"));
  if (v.evidence.length || v.notes.length) {
    const ul = el("ul");
    for (const e of v.evidence) ul.append(el("li", `${e.what}${e.range && !e.what.includes(e.range) ? ` [${e.range}]` : ""}`));
    for (const n of v.notes) ul.append(el("li", `note: ${n}`));
    li.append(ul);
  }
  return li;
}

export function explanationNode(e: Explanation): HTMLElement {
  const box = el("div", undefined, "explain");
  if (e.kind === "block") {
    const where = [e.state, e.zone ? `zone ${e.zone}` : "no zone", `node ${e.node}`, e.boot ? "boot memory" : "hot-added", e.group ? `${e.group.kind} group ${e.group.id} (${e.group.blocks.length} blocks)` : ""];
    box.append(el("p", `${e.name} ${e.range}: ${where.filter(Boolean).join(", ")}`));
  } else {
    box.append(el("p", `range ${e.range} (${formatBytes(e.size)})${e.blocks.length ? `, blocks ${e.blocks.map((b) => `memory${b.block} (${b.state})`).join(", ")}` : ""}`));
  }
  if (e.resources.length) box.append(el("p", `iomem: ${e.resources.map((r) => `${r.what}`).join("; ")}`));
  const ul = el("ul", undefined, "verdicts");
  for (const v of e.verdicts) ul.append(verdictNode(v));
  box.append(ul);
  return box;
}

export interface Action {
  label: string;
  step: RawStep;
}

/** Actions on what was selected, as scenario steps. */
export function actionsFor(sys: System, hit: Hit, stepsSoFar: RawStep[]): Action[] {
  const k = sys.kernel;
  const out: Action[] = [];
  if (hit.kind === "block") {
    const id = Math.floor(hit.start / k.geometry.pageSize / k.idUnitPages);
    const path = `/sys/devices/system/memory/memory${id}/state`;
    for (const value of ["online", "online_movable", "offline"]) out.push({ label: `echo ${value} > memory${id}/state`, step: { op: "write", path, value } });
  }
  const dimm = sys.devices.find((d) => d.kind === "dimm" && hit.start < d.addr + d.size && d.addr < hit.end);
  if (dimm) out.push({ label: `unplug DIMM ${dimm.id}`, step: { op: "unplug-dimm", id: dimm.id } });
  const dm = sys.layout.deviceMemory;
  if (dm && hit.start >= dm.base && hit.start < dm.base + dm.size && !dimm) {
    const size = Math.max(k.blockSize, 128 * 2 ** 20);
    const addr = Math.floor(hit.start / size) * size;
    const used = new Set([...sys.devices.map((d) => d.id), ...stepsSoFar.map((s) => String(s.id ?? ""))]);
    let n = 1;
    while (used.has(`d${n}`)) n++;
    out.push({ label: `plug a ${formatBytes(size)} DIMM at ${hex(addr)}`, step: { op: "plug-dimm", id: `d${n}`, size: formatBytes(size).replace(/ (.)iB$/, "$1"), addr: hex(addr) } });
  }
  return out;
}

export function hitTitle(hit: Hit): string {
  return hit.kind === "block" ? hit.text : `${hit.kind === "range" ? hit.name : "gap"} ${hexRange(hit.start, hit.end)}`;
}
