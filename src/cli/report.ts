/**
 * A readable report of a run: per step what was done, what the kernel said
 * (log lines, uevents, errno) and what changed (blocks, zones, iomem,
 * firmware memmap, MemTotal). Rendered from the trace, like every view.
 */
import { PAGE_ALLOC_RACES } from "../kernel/page-alloc.js";
import type { Snapshot } from "../abi/snapshot.js";
import { formatSize } from "../kernel/units.js";
import type { BootRaceJson, Trace, TraceStep } from "../scenario/runner.js";

function kb(s: string): number {
  return Number(/^(\d+)/.exec(s)?.[1] ?? 0);
}

export function describeStep(step: Record<string, unknown>): string {
  switch (step.op) {
    case "plug-dimm":
      return `plug-dimm ${step.id} ${step.size}${step.addr !== undefined && step.addr !== null ? ` at ${typeof step.addr === "number" ? `0x${step.addr.toString(16)}` : step.addr}` : ""}${step.node !== undefined ? ` node ${step.node}` : ""}`;
    case "unplug-dimm":
      return `unplug-dimm ${step.id}`;
    case "write": {
      const paths = (step.paths as string[] | undefined) ?? [step.path as string];
      const short = paths.map((p) => p.replace("/sys/devices/system/memory/", "").replace("/sys/module/memory_hotplug/parameters/", ""));
      return `echo ${JSON.stringify(step.value)} > ${short.length > 3 ? `${short[0]} … ${short[short.length - 1]} (${short.length} files)` : short.join(", ")}`;
    }
    case "read":
      return `cat ${step.path}`;
    default:
      return `${step.op} ${JSON.stringify(Object.fromEntries(Object.entries(step).filter(([k]) => k !== "op")))}`;
  }
}

export function outcome(step: Pick<TraceStep, "step" | "result">): string {
  const r = step.result as Record<string, unknown>;
  const w = (x: Record<string, unknown>) => (x.ok ? "ok" : `${x.errno}`);
  switch (step.step.op) {
    case "write":
      return Array.isArray(r.writes) ? (r.writes as Record<string, unknown>[]).map(w).join(" ") : w(r);
    case "read":
      return r.ok ? `ok: ${JSON.stringify(r.value)}` : `${r.errno}`;
    case "plug-dimm":
    case "unplug-dimm": {
      const q = (r.device_add ?? r.device_del) as { error?: { desc: string } } | undefined;
      if (q?.error) return `QEMU refused: ${q.error.desc}`;
      const osts = ((r.events as { event: string; data: { info?: { status_name: string } } }[]) ?? [])
        .filter((e) => e.event === "ACPI_DEVICE_OST")
        .map((e) => e.data.info!.status_name);
      return `ok, _OST ${osts.join(" → ")}${r.device_deleted === false ? " (device stays)" : ""}`;
    }
    default: {
      if (r && typeof r === "object" && typeof r.rc === "number") {
        const err = Array.isArray(r.stderr) ? (r.stderr as string[]).filter(Boolean) : [];
        return `rc=${r.rc}${err.length ? `: ${err.join(" / ")}` : ""}`;
      }
      if (r && typeof r === "object" && "size" in r) return `size ${r.size}${r.size_reached === false ? " (requested size not reached)" : ""}`;
      return r && typeof r === "object" && "error" in r ? String(r.error) : "done";
    }
  }
}

function ranges(ids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(i === j ? `memory${ids[i]}` : `memory${ids[i]}–${ids[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}

export function snapshotChanges(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  const before = a.memory.blocks;
  const after = b.memory.blocks;
  const groups = new Map<string, number[]>();
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const x = before[name];
    const y = after[name];
    const fmt = (v: typeof x) => (v ? `${v.state} (${v.valid_zones})` : "absent");
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const key = `${fmt(x)} → ${fmt(y)}`;
    const list = groups.get(key) ?? [];
    list.push(Number(name.slice(6)));
    groups.set(key, list);
  }
  for (const [key, ids] of groups) out.push(`${ranges(ids.sort((p, q) => p - q))}: ${key}`);
  for (const [node, zones] of Object.entries(b.zoneinfo)) {
    for (const [zone, z] of Object.entries(zones)) {
      const o = a.zoneinfo[node]?.[zone];
      if (JSON.stringify(o) === JSON.stringify(z)) continue;
      out.push(`${node} ${zone}: ${z.spanned ? `start_pfn ${z.start_pfn ?? "-"} spanned ${z.spanned} present ${z.present}` : "empty"}`);
    }
  }
  const removed = a.iomem.filter((l) => !b.iomem.includes(l));
  const added = b.iomem.filter((l) => !a.iomem.includes(l));
  for (const l of removed) out.push(`iomem - ${l.trim()}`);
  for (const l of added) out.push(`iomem + ${l.trim()}`);
  const fm = (s: Snapshot) => s.firmware_memmap.map((e) => `${e.index}: ${e.start}-${e.end} ${e.type}`);
  for (const l of fm(a).filter((x) => !fm(b).includes(x))) out.push(`firmware memmap - ${l}`);
  for (const l of fm(b).filter((x) => !fm(a).includes(x))) out.push(`firmware memmap + ${l}`);
  const d = kb(b.meminfo.MemTotal) - kb(a.meminfo.MemTotal);
  if (d) out.push(`MemTotal ${d > 0 ? "+" : ""}${d} kB (${b.meminfo.MemTotal})`);
  for (const [mask, v] of Object.entries(b.node.masks)) if (a.node.masks[mask] !== v) out.push(`node ${mask}: "${a.node.masks[mask]}" → "${v}"`);
  for (const [k, v] of Object.entries(b.memory_hotplug_params)) if (a.memory_hotplug_params[k] !== v) out.push(`${k}: ${a.memory_hotplug_params[k]} → ${v}`);
  if (a.memory.auto_online_blocks !== b.memory.auto_online_blocks) out.push(`auto_online_blocks: ${a.memory.auto_online_blocks} → ${b.memory.auto_online_blocks}`);
  return out;
}

export function summarizeUevents(us: { action: string; devpath: string }[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < us.length) {
    const a = us[i].action;
    const ids: number[] = [];
    const others: string[] = [];
    let j = i;
    while (j < us.length && us[j].action === a) {
      const m = /^\/devices\/system\/memory\/memory(\d+)$/.exec(us[j].devpath);
      if (m) ids.push(Number(m[1]));
      else others.push(us[j].devpath);
      j++;
    }
    out.push(`${a} ${[ids.length ? ranges(ids) : "", ...others].filter(Boolean).join(", ")}${j - i > 1 ? ` (${j - i})` : ""}`);
    i = j;
  }
  return out;
}

function ordinal(n: number): string {
  return `${n}${n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th"}`;
}

/** The races the model meets after the boot (page-alloc.ts PAGE_ALLOC_RACES): the report says "race", not "boot race". */
const RUNTIME_RACES = new Set<string>(PAGE_ALLOC_RACES);

/**
 * An outcome of the unmovable-refill race (page-alloc-pins.ts refillOutcome()): 0
 * none; else 1 + place * 2^n + mask, with two places (after or before user
 * space's movable pages) or three (also after their first chunk) and n
 * stolen pageblocks.
 */
function describeRefill(r: BootRaceJson): string {
  if (r.chosen <= 0) return "no such refill";
  const n = r.outcomes.length - 1;
  const places = n % 3 === 0 ? 3 : 2;
  const masks = n / places;
  const i = r.chosen - 1;
  const at = ["after user space's movable pages", "before user space's movable pages", "after the first chunk of user space's movable pages"][Math.floor(i / masks)] ?? "";
  const kept: number[] = [];
  for (let b = 0, m = i % masks; m > 0; b++, m = Math.floor(m / 2)) if (m % 2 === 1) kept.push(b + 1);
  const of = Math.round(Math.log2(masks));
  const list = kept.length === 1 ? ordinal(kept[0]) : `${kept.slice(0, -1).map(ordinal).join(", ")} and ${ordinal(kept[kept.length - 1])}`;
  return `it comes ${at}, and ${kept.length ? `the ${list} of the ${of} pageblocks it stole ${kept.length === 1 ? "keeps" : "keep"} pages` : "its pages stay free"}`;
}

/** One race the model ran into (at boot, or in the page allocator after it), and the outcome this run took. */
function describeRace(r: BootRaceJson): string {
  switch (r.race) {
    case "disk-order":
      return `the boot disks of ${r.region} take their DISKSEQ in the order their namespaces' async probes attach them, one of ${r.outcomes.length} orders from one boot to the next; this run: order ${r.chosen}${r.chosen === 0 ? " (registration order)" : ""}`;
    case "first-alloc":
      return `the first page of ${r.region}'s newly populated kernel zone is the kernel's (unmovable) or user space's (movable), from one run to the next; this run: ${["the kernel's", "user space's", "user space's, while the plug still ran", "the kernel's, and user space's movable pages came from other nodes"][r.chosen] ?? r.chosen} (page-alloc-pins.ts)`;
    case "reclaimable": {
      const when = ["after user space first read new devices", "deferred to the next time it read new devices", "never, before the unplug", "after user space first read new devices, but freed before the unplug"][r.chosen] ?? `late, at the ${ordinal(r.chosen - 3)} free chunk it found at the head`;
      return `user space's first lasting reclaimable slab page in ${r.region}'s first kernel block comes at a different time from one run to the next (${r.outcomes.length} outcomes); this run: ${when} (page-alloc-pins.ts)`;
    }
    case "unmovable-spill":
      return `the small unmovable pages (page tables, slab) in ${r.region}'s first kernel block move to a new pageblock up to ${r.outcomes.some((o) => o >= 8) ? "three times" : "twice"}, at times that differ from one run to the next; this run: ${["never", "once", "once, and again when user space next reads new devices", "twice, the second time into the chunk after the reclaimable one", "twice, before user space's movable and reclaimable pages", "once, before user space's movable and reclaimable pages", "twice, between user space's movable pages and its reclaimable one", "twice, after the first chunk of user space's movable pages", "three times, twice between user space's movable pages and its reclaimable one, then once more", "once, after the first chunk of user space's movable pages, before the other chunks of its scaled refills", "three times after user space's run, the third into the free half of the chunk the second stole"][r.chosen] ?? r.chosen} (page-alloc-pins.ts)`;
    case "movable-busy":
      return `one of user space's movable pages in ${r.region}'s first kernel block is busy for a moment when virtio-mem first tries to unplug it, in some runs, in one of the pageblocks of the chunks holding them (${r.outcomes.length - 1} here); this run: ${r.chosen >= 1 ? `it is, in the ${r.chosen === 1 ? "first (the first chunk's first pageblock)" : ordinal(r.chosen)}: that attempt fails, and the pass after it takes it where a block was removed meanwhile (otherwise it stays plugged until virtio-mem's 50 s retry timer)` : "it is not"} (page-alloc-unplug.ts)`;
    case "unmovable-freed": {
      const freed: number[] = [];
      for (let b = 0, m = r.chosen; m > 0; b++, m = Math.floor(m / 2)) if (m % 2 === 1) freed.push(b + 1);
      const list = freed.length === 1 ? ordinal(freed[0]) : `${freed.slice(0, -1).map(ordinal).join(", ")} and ${ordinal(freed[freed.length - 1])}`;
      return `the pageblocks of ${r.region}'s first kernel block that user space's small unmovable pages took (page tables, kernel stacks of its processes) may all be freed by the time virtio-mem reaches them, from one run to the next; this run: ${freed.length ? `the ${list} of them ${freed.length === 1 ? "was" : "were"} (no longer pinned)` : "none was"} (page-alloc-unplug.ts)`;
    }
    case "reclaimable-refill":
      return `a reclaimable refill of order 1 to 3 (dentries, inodes) takes a piece of the other pageblock of the chunk a reclaimable steal took in ${r.region}'s first kernel block before the unplug, or not, from one run to the next; this run: ${r.chosen === 1 ? "it does, and that pageblock keeps reclaimable pages" : "not before the unplug"} (page-alloc.ts)`;
    case "movable-refill":
      return `user space's first movable refill in ${r.region}'s newly populated kernel zone is already scaled (6.7+: several chunks of a large zone) or not, from one run to the next; this run: ${r.chosen === 1 ? "not (one chunk)" : "scaled"} (page-alloc-pins.ts)`;
    case "unmovable-refill":
      return `a process on another CPU refills its unmovable per-CPU list with a scaled batch (6.7+) that steals whole chunks of ${r.region}'s first kernel block, in some runs, at a time and with a use of its pages that differ from one run to the next; this run: ${describeRefill(r)} (page-alloc-pins.ts)`;
    case "plug-movable":
      return `user space's first movable page in ${r.region}'s first kernel block comes after a plug's hot-adds or in the middle of them, from one run to the next; this run: ${r.chosen === 0 ? "after them" : `before the ${ordinal(Math.ceil(r.chosen / 2) + 1)} hot-add of the plug, its scaled refills ${r.chosen % 2 === 1 ? "before" : "after"} its reclaimable steal`} (page-alloc-plug.ts)`;
    case "plug-reclaimable":
      return `the hot-adding kworker's reclaimable page steals a chunk of ${r.region}'s first kernel block in the middle of a plug in some runs (user space's reclaimable pages then go there); this run: ${r.chosen === 0 ? "it does not" : `before the ${ordinal(r.chosen + 1)} hot-add of the plug`} (page-alloc-plug.ts)`;
    case "migrated-busy":
      return `one of the pages virtio-mem's unplug migrated into the freed vmemmap chunk of ${r.region}'s first kernel block is busy when it reaches them, in some runs; this run: ${["it is not", "it is: that attempt fails, and the pass after it takes it where a block was removed meanwhile (otherwise it stays plugged until virtio-mem's 50 s retry timer)", "it is, and stays so: the lowest pageblock the removals' freed vmemmaps left, where the migrated pages end, stays plugged"][r.chosen] ?? r.chosen} (page-alloc-unplug.ts)`;
    case "hotadd-slab":
      return `the hot-adds' own slab pages in ${r.region}'s first kernel block take from 0 to some 40 pages of the kernel's small pageblock, so its page-table refills run out of it at one refill or the next, from one run to the next; this run: ${r.chosen === 1 ? "one refill earlier" : "at the model's count"} (page-alloc-pins.ts)`;
    case "kernel-list":
      return `user space's small unmovable pages on the hot-adding CPU take the pages its per-CPU list holds for ${r.region}'s first kernel block up to the next pageblock or one further, from one run to the next; this run: ${r.chosen === 1 ? "one further" : "the next"} (page-alloc-kworker.ts)`;
    case "kernel-split":
      return `on a one-CPU machine, a larger unmovable page of user space takes a piece of the pageblock in ${r.region}'s first kernel block that the kworker's last refill drew partly, in some runs; this run: ${r.chosen === 1 ? "it does" : "it does not"} (page-alloc-kworker.ts)`;
    case "list-decay":
      return `the hot-adding CPU's per-CPU list for ${r.region}'s first kernel block shrinks as its high decays (6.7+), and user space's larger unmovable pages take a piece of the last whole pageblock it gave back, or not before the unplug; this run: ${r.chosen === 1 ? "they do" : r.chosen === 2 ? "they do, the list having decayed a pageblock deeper" : r.chosen === 3 ? "they take pieces of the last two it gave back" : "not before the unplug"} (page-alloc-kworker.ts)`;
    case "boot-pagecache":
      return `while a device plugged at boot is added on ${r.region}, init's page cache or the next block's vmemmap reaches the first kernel block first, from one boot to the next; this run: ${r.chosen === 0 ? "the page cache" : "the vmemmap"} (page-alloc-pins.ts)`;
    case "boot-pcp":
      return `the pageblocks left on the boot probe's per-CPU list (${r.region}) stay free, are used by that CPU, or serve the later hot-adds, from one run to the next; this run: ${["they stay free", "that CPU uses them", "the later hot-adds use them"][r.chosen] ?? r.chosen} (page-alloc-pins.ts)`;
    case "vmemmap-orphan":
      return `a vmemmap pageblock of ${r.region}'s first kernel block that a removal freed while its max-order chunk's other pageblock was still in use stays a lone free pageblock, which user space's next small unmovable refill takes in some runs; this run: ${r.chosen === 1 ? "it does, and it keeps pages" : "it stays free"} (page-alloc-unplug.ts)`;
    case "cxl-endpoint-order":
      return `${r.region} makes the endpoint ports in one of ${r.outcomes.length} orders from one boot to the next, whatever the memdev ids; this run: order ${r.chosen}${r.chosen === 0 ? " (by memdev id)" : ""}`;
    case "cxl-nmem-order":
      return `${r.region} registers the nmems of the endpoints in one of ${r.outcomes.length} orders from one boot to the next; this run: order ${r.chosen}${r.chosen === 0 ? " (the kernel's usual order)" : ""}`;
    case "cxl-switch-ports":
      return `${r.region}'s probes enumerate the CXL switch ports and add the endpoints side by side: a switch's port takes its id right before its first device's endpoint or before every endpoint, from one boot to the next; this run: ${r.chosen >= 1 ? `before every endpoint (order ${r.chosen - 1})` : "right before its first device's endpoint"}`;
    case "cxl-memdev-ids":
      return `${r.region}'s async probes give the memdev ids to the devices in one of ${r.outcomes.length} orders from one boot to the next; this run: order ${r.chosen}${r.chosen === 0 ? " (PCI order)" : ""}`;
    default: {
      const id = r.region.replace(/^region/, "");
      const kind = r.race === "pfn-seed" ? "pfn" : "btt";
      const name = (o: number) => `${kind}${id}.${o}`;
      return `${r.region}'s ${kind} seed is ${r.outcomes.map(name).join(" or ")} from one boot to the next; this run: ${name(r.chosen)}`;
    }
  }
}

export function renderReport(t: Trace, name: string, description?: string): string {
  const lines: string[] = [];
  const b = t.boot.snapshot;
  const blocks = Object.keys(b.memory.blocks).map((n) => Number(n.slice(6)));
  lines.push(`memhp run: ${name}${description ? ` — ${description}` : ""}`);
  if (t.model.kernel_note) lines.push(`kernel: ${t.model.kernel_note}`);
  lines.push(
    `boot (${t.model.boot}, Linux ${t.model.profile}): block size ${formatSize(parseInt(b.memory.block_size_bytes, 16))}, ${blocks.length} memory blocks (${ranges(blocks)}), auto_online_blocks=${b.memory.auto_online_blocks}, MemTotal ${b.meminfo.MemTotal}`,
  );
  for (const [node, zones] of Object.entries(b.zoneinfo)) {
    for (const [zone, z] of Object.entries(zones)) {
      if (z.spanned) lines.push(`  ${node} ${zone.padEnd(7)} start_pfn ${z.start_pfn ?? "-"} spanned ${z.spanned} present ${z.present}`);
    }
  }
  for (const r of t.boot.noisy?.races ?? []) lines.push(`  ${RUNTIME_RACES.has(r.race) ? "race" : "boot race"}: ${describeRace(r)}`);
  let prev = b;
  t.steps.forEach((s, i) => {
    lines.push("");
    lines.push(`step ${i + 1}: ${describeStep(s.step)}`); // steps count from 1, as FILE@N does
    lines.push(`  result: ${outcome(s)}`);
    for (let j = 0; j < s.dmesg.length; j++) lines.push(`  kernel <${s.dmesg_levels[j]}>: ${s.dmesg[j]}`);
    for (const u of summarizeUevents(s.uevents)) lines.push(`  uevent: ${u}`);
    for (const c of snapshotChanges(prev, s.snapshot)) lines.push(`  ${c}`);
    prev = s.snapshot;
  });
  return lines.join("\n") + "\n";
}
