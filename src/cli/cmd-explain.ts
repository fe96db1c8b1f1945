/** `memhp explain BLOCK|ADDRESS [FILE[@N] | --sysroot DIR] [--json]` */
import { kernelOption, parseKernelFlag } from "./kernel-option.js";
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { explainBlock, explainRange, type ExplainContext, type Explanation, type Verdict } from "../analysis/explain.js";
import type { Kernel } from "../kernel/kernel.js";
import { parseAddress, parseSize, SizeParseError } from "../kernel/units.js";
import { placeDimm } from "../machine/qemu.js";
import type { System } from "../machine/system.js";
import { BOOT_OPTION } from "./options.js";
import { loadState } from "./state.js";

export type ExplainTarget = { kind: "block"; id: number } | { kind: "address"; addr: number } | { kind: "range"; start: number; size: number };

/** `memory32`, `32` (blocks), `0x100000000` (an address), `0x100000000-0x13fffffff` (inclusive), `0x100000000+1G`. */
export function parseTarget(s: string): ExplainTarget {
  const bad = (msg: string) => new InputError(`${msg} (expected memoryN, N, ADDRESS, START-END or START+SIZE)`, { field: "TARGET" });
  const t = s.trim();
  const m = /^(?:memory)?(\d+)$/.exec(t);
  if (m && !/^0\d/.test(m[1])) return { kind: "block", id: Number(m[1]) };
  try {
    const plus = t.indexOf("+");
    if (plus > 0) {
      const start = parseAddress(t.slice(0, plus));
      const size = parseSize(t.slice(plus + 1));
      if (size <= 0) throw bad(`empty range ${JSON.stringify(s)}`);
      return { kind: "range", start, size };
    }
    const dash = t.indexOf("-");
    if (dash > 0) {
      const start = parseAddress(t.slice(0, dash));
      const end = parseAddress(t.slice(dash + 1));
      if (end < start) throw bad(`end below start in ${JSON.stringify(s)}`);
      return { kind: "range", start, size: end - start + 1 };
    }
    return { kind: "address", addr: parseAddress(t) };
  } catch (e) {
    if (e instanceof SizeParseError) throw bad(`${e.message}`);
    throw e;
  }
}

/** What QEMU says about a DIMM at this place, from the machine layer. */
export function explainContext(sys: System): ExplainContext {
  return {
    deviceMemory: sys.layout.deviceMemory,
    dimmCheck: sys.layout.deviceMemory
      ? (addr, size) => {
          const p = placeDimm(sys.layout, sys.spec, sys.devices, { id: "memhp-explain", size, addr });
          return p.ok ? { ok: true, slot: p.slot, node: p.node } : { ok: false, error: p.error.desc };
        }
      : undefined,
    dimms: sys.devices.filter((d) => d.kind === "dimm").map((d) => ({ id: d.id, addr: d.addr, size: d.size })),
  };
}

export function explainTarget(k: Kernel, t: ExplainTarget, ctx: ExplainContext): Explanation[] {
  const ps = k.geometry.pageSize;
  switch (t.kind) {
    case "block": {
      const e = explainBlock(k, t.id);
      if (!e) {
        // A block a plugged DIMM should have given: why the kernel added nothing there.
        const start = t.id * k.blockSize;
        const dimm = ctx.dimms?.find((d) => d.addr <= start && start < d.addr + d.size);
        if (dimm) return [explainRange(k, start, k.blockSize, ctx)];
        const near = k.sortedBlockIds();
        throw new InputError(`no block memory${t.id} in this state (blocks: ${near.length ? `memory${near[0]}..memory${near[near.length - 1]}, ${near.length} in all` : "none"})`, { field: "TARGET" });
      }
      return [e];
    }
    case "address": {
      const b = k.blockAt(Math.floor(t.addr / ps));
      const out: Explanation[] = [];
      if (b) out.push(explainBlock(k, b.id)!);
      out.push(explainRange(k, t.addr, k.hotplugGranule, ctx));
      return out;
    }
    case "range":
      return [explainRange(k, t.start, t.size, ctx)];
  }
}

function renderVerdict(v: Verdict): string {
  const mark = v.ok ? "yes" : v.errno ? `no (${v.errno})` : "no";
  let s = `  ${v.action.padEnd(18)} ${mark}${v.certain ? "" : " (uncertain)"}${v.result ? `: ${v.result}` : ""}\n`;
  s += `      how:  ${v.how}\n`;
  s += `      why:  ${v.reason}\n`;
  s += `      rule: ${v.rule.kernel} [spec ${v.rule.spec}]\n`;
  if (v.rule.version_rule) s += `      version: ${v.rule.version_rule.text}\n`;
  for (const e of v.evidence) s += `      - ${e.what}${e.range && !e.what.includes(e.range) ? ` [${e.range}]` : ""}\n`;
  for (const n of v.notes) s += `      note: ${n}\n`;
  return s;
}

export function renderExplanation(e: Explanation): string {
  let s: string;
  if (e.kind === "block") {
    const where = [
      e.state,
      e.zone ? `zone ${e.zone}` : "no zone",
      `node ${e.node}`,
      e.boot ? "boot memory" : "hot-added",
      e.group ? `${e.group.kind} memory group ${e.group.id} (${e.group.blocks.length} blocks)` : "",
      e.firmware_node ? `ACPI ${e.firmware_node.split("/").pop()}` : "",
      e.vmemmap_pages ? `${e.vmemmap_pages} self-hosted memmap pages` : "",
    ].filter(Boolean);
    s = `${e.name}  ${e.range}  ${where.join(", ")}\n`;
  } else {
    s = `range ${e.range} (${e.size} bytes)${e.blocks.length ? `, blocks: ${e.blocks.map((b) => `memory${b.block} (${b.state})`).join(", ")}` : ""}\n`;
  }
  if (e.resources.length) {
    s += "  iomem:\n";
    for (const r of e.resources) s += `    ${r.range}  ${r.what}\n`;
  }
  for (const v of e.verdicts) s += renderVerdict(v);
  return s;
}

export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description("why a block can or cannot go offline / online / movable / be removed, or why a range can or cannot be hot-added or mapped as device memory (and what dax kmem would do with a dax device in it)")
    .argument("<target>", "memoryN or N (a block), ADDRESS, START-END (inclusive) or START+SIZE")
    .argument("[file]", "scenario, trace or machine file run up to step N (FILE@N; default: to the end)")
    .option("--sysroot <dir>", "a dump of a real machine (directory or tarball) instead of FILE; / for the running machine")
    .addOption(BOOT_OPTION())
    .addOption(kernelOption())
    .option("--json", "print the explanations as JSON")
    .addHelpText(
      "after",
      `
Every answer is a prediction from the state (the kernel's checks in the kernel's
order, nothing changed), with the rule it comes from (kernel function and spec
section) and the evidence (zone spans, iomem System RAM, unmovable ranges,
memory group, node, alignment).

Examples:
  memhp explain memory32 ../shared/conformance/traces/dimm-online-kernel.json@10
  memhp explain 0 example:dimm
  memhp explain 0x140000000+1G example:dimm@1
  memhp explain 0x100000000-0x13fffffff trace.json --json
  memhp explain memory100 --sysroot x86_64-16g.tar.bz2`,
    )
    .action((target: string, file: string | undefined, opts: { sysroot?: string; boot: "derive" | "import"; json?: boolean; kernel?: string }) => {
      const t = parseTarget(target);
      const st = loadState({ arg: file, sysroot: opts.sysroot, boot: opts.boot, kernel: parseKernelFlag(opts.kernel) });
      const ex = explainTarget(st.kernel, t, explainContext(st.sys));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ state: { source: st.source, name: st.name, step: st.step, steps: st.steps, inferred: st.inferred }, target, explanations: ex }, null, 1) + "\n");
        return;
      }
      process.stdout.write(`${st.name}${st.steps ? `, after step ${st.step} of ${st.steps}` : ""} (Linux ${st.kernel.profile})\n\n`);
      process.stdout.write(ex.map(renderExplanation).join("\n"));
      if (st.inferred.length) process.stdout.write(`\nThe state comes from a dump that lacked some files; inferred:\n${st.inferred.map((i) => `  ${i}\n`).join("")}`);
    });
}
