/**
 * The web page: the physical address space of a scenario's machine as a
 * zoomable map, stepped through; click to read sysfs and explain, act, edit
 * the scenario, put a real-kernel trace beside it, compare, export.
 * Everything shown is a view of the model state the page computes itself.
 */
import YAML from "yaml";
import { EXAMPLES } from "../scenario/examples.js";
import { DEFAULT_VERSION, PROFILES, VERSIONS } from "../kernel/profile.js";
import { InputError } from "../errors.js";
import { parseAddress, parseSize } from "../kernel/units.js";
import { runScenario } from "../scenario/runner.js";
import { parseDesign } from "../analysis/compare.js";
import { compareTable } from "./compare-table.js";
import { formatBytes } from "./axis.js";
import { MapCanvas, type Hit } from "./map-canvas.js";
import { blockIndexAt, describeBlock } from "./map-view.js";
import { SWATCHES } from "./palette.js";
import { changesOf, mergeRanges, Session, type RunSettings } from "./session.js";
import { actionsFor, blockAttributes, el, explainHit, explanationNode, hitTitle, logText, stepOutcome, stepTitle, ueventText } from "./panels.js";
import { checkInPage, mismatchRange, mismatchText, type ConformanceView } from "./conformance-view.js";
import { decodeState, download, encodeState, mapSvg } from "./exporter.js";
import type { Range } from "./map-draw.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let session: Session | null = null;
let compareSession: Session | null = null;
let cur = 0;
let selected: Hit | null = null;
let conf: { view: ConformanceView; text: string; name: string } | null = null;
let exampleName: string | undefined;
const map = new MapCanvas($<HTMLCanvasElement>("map"));
const map2 = new MapCanvas($<HTMLCanvasElement>("map2"));

function settings(): RunSettings {
  return { profile: $<HTMLSelectElement>("profile").value || undefined, bootRaces: conf?.view.races };
}

function compareSettings(): RunSettings | null {
  const v = $<HTMLSelectElement>("compare").value;
  if (!v) return null;
  if (v.startsWith("profile:")) return { profile: v.slice(8) };
  return { profile: $<HTMLSelectElement>("profile").value || undefined, design: parseDesign(v.slice(7)).design };
}

function setError(msg: string): void {
  $("error").textContent = msg;
}

/** Run the editor's scenario; on bad input keep the last good run and say what is wrong. */
function run(keepStep = false): void {
  const text = $<HTMLTextAreaElement>("scenario").value;
  const t0 = performance.now();
  try {
    session = new Session(text, exampleName ? `example:${exampleName}` : "scenario", settings());
    const cs = compareSettings();
    compareSession = cs ? new Session(text, "scenario", cs) : null;
    $("compare-table").textContent = compareSession ? compareTable(session, compareSession, $<HTMLSelectElement>("compare").value) : "";
  } catch (e) {
    setError(e instanceof InputError ? e.format() : `error: ${(e as Error).message}`);
    return;
  }
  setError("");
  const s = session;
  $("status").textContent = `${s.scenario.name}: ${s.states[0].view.blocks.n.toLocaleString("en")} memory blocks of ${formatBytes(s.states[0].view.blockSize)}, ${s.scenario.steps.length} step(s); model ran in ${Math.round(performance.now() - t0)} ms (Linux ${s.kernelVersion})`;
  buildSteps();
  map.setView(s.states[0].view, keepStep);
  show(keepStep ? Math.min(cur, s.states.length - 1) : 0);
}

/** The `memhp compare` figures of the two runs, side by side. */

function buildSteps(): void {
  const s = session!;
  const tl = $("timeline");
  const list = $("steps");
  tl.replaceChildren();
  list.replaceChildren();
  s.states.forEach((st, i) => {
    const o = stepOutcome(st);
    const v = conf?.view.steps[i];
    const b = el("button", i === 0 ? "boot" : String(i));
    b.title = `${stepTitle(st, i)} — ${o.text}`;
    b.addEventListener("click", () => show(i));
    if (v && !v.pass) b.classList.add("fail");
    tl.append(b);
    const li = el("li", stepTitle(st, i));
    li.tabIndex = 0;
    li.append(el("span", o.text, `badge ${o.ok ? "" : "err"}`));
    if (v) li.append(el("span", v.pass ? "PASS" : `FAIL (${v.mismatches.length})`, `badge ${v.pass ? "pass" : "fail"}`));
    li.addEventListener("click", () => show(i));
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        show(i);
      }
    });
    list.append(li);
  });
}

function show(i: number): void {
  const s = session;
  if (!s) return;
  cur = Math.max(0, Math.min(i, s.states.length - 1));
  const st = s.states[cur];
  const prev = s.states[Math.max(0, cur - 1)];
  Array.from($("timeline").children).forEach((c, j) => c.classList.toggle("cur", j === cur));
  Array.from($("steps").children).forEach((c, j) => c.classList.toggle("cur", j === cur));
  $("steps").children[cur]?.scrollIntoView({ block: "nearest" });
  $("where").textContent = stepTitle(st, cur);
  const o = stepOutcome(st);
  $("outcome").textContent = `result: ${o.text}`;
  $("log").textContent = cur === 0 ? `(boot log: ${st.dmesg.length} lines)` : logText(st);
  $("uevents").textContent = cur === 0 ? `(${st.uevents.length} boot uevents)` : ueventText(st);
  const ch = cur === 0 ? { words: [], ranges: [] as Range[] } : changesOf(prev, st);
  $("changes").textContent = cur === 0 ? "(boot)" : ch.words.join("\n") || "nothing";
  const v = conf?.view.steps[cur];
  const mism: Range[] = [];
  if (v) {
    $("conf").textContent = v.pass ? `PASS: the real kernel (${conf!.name}) agrees at this step` : `FAIL: ${v.mismatches.length} field(s) differ from the real kernel\n${v.mismatches.map(mismatchText).join("\n")}`;
    for (const m of v.mismatches) {
      const r = mismatchRange(m, st.view);
      if (r) mism.push(r);
    }
  } else $("conf").textContent = "Open a real-kernel trace to compare each step with the real kernel.";
  map.setView(st.view, true);
  map.setMarks({ changed: ch.ranges, mismatch: mergeRanges(mism), selected: selected ? { start: selected.start, end: selected.end } : null });
  if (compareSession) {
    const cs = compareSession.states[Math.min(cur, compareSession.states.length - 1)];
    map2.setView(cs.view, true);
    const r = map.visibleRange();
    map2.zoomTo(r.start, r.end, 0, 0);
  }
  if (selected) renderSelection();
  updateInView();
}

function renderSelection(): void {
  const s = session;
  if (!s || !selected) return;
  const sys = s.systemAt(cur);
  $("selected").textContent = hitTitle(selected);
  const attrs = $("attrs");
  attrs.replaceChildren();
  if (selected.kind === "block") {
    const id = Math.floor(selected.start / sys.kernel.geometry.pageSize / sys.kernel.idUnitPages);
    if (sys.kernel.blocks.has(id)) {
      for (const [k, v] of blockAttributes(sys, id)) {
        const tr = el("tr");
        tr.append(el("td", `memory${id}/${k}`), el("td", v));
        attrs.append(tr);
      }
    }
  }
  const ex = explainHit(sys, selected);
  $("explain").replaceChildren(...(ex ? [el("h2", "explain"), explanationNode(ex)] : []));
  const acts = $("actions");
  acts.replaceChildren();
  for (const a of actionsFor(sys, selected, s.scenario.steps)) {
    const b = el("button", a.label);
    b.addEventListener("click", () => addStep(a.step));
    acts.append(b);
  }
}

function select(hit: Hit): void {
  selected = hit;
  map.setMarks({ ...currentMarks(), selected: { start: hit.start, end: hit.end } });
  renderSelection();
}

function currentMarks() {
  return map.getMarks();
}

/** An action: a new step after the current one, written into the scenario and run. */
function addStep(step: Record<string, unknown>): void {
  const ta = $<HTMLTextAreaElement>("scenario");
  const json = ta.value.trimStart().startsWith("{");
  const doc = (json ? JSON.parse(ta.value) : YAML.parse(ta.value)) as { steps?: unknown[] };
  doc.steps = doc.steps ?? [];
  doc.steps.splice(cur, 0, step);
  ta.value = json ? JSON.stringify(doc, null, 1) : YAML.stringify(doc);
  exampleName = undefined;
  conf = null;
  run(true);
  show(cur + 1);
}

function updateInView(): void {
  const s = session;
  if (!s) return;
  const v = s.states[cur].view;
  const r = map.visibleRange();
  const parts = [`In view: ${formatBytes(r.end - r.start)} from 0x${Math.floor(r.start).toString(16)}.`];
  const names = v.iomem.filter((x) => x.end > r.start && x.start < r.end && x.end - x.start >= (r.end - r.start) / 200).slice(0, 12);
  if (names.length) parts.push(`Resources: ${names.map((x) => x.name).join(", ")}.`);
  const ss = v.sectionSize;
  const subs = v.partial.filter((p) => (p.nr + 1) * ss > r.start && p.nr * ss < r.end);
  if (r.end - r.start <= 4 * ss && subs.length) {
    for (const p of subs) {
      const on = p.bits.filter(Boolean).length;
      const dev = p.bits.filter((b, i) => b && v.pgmaps.some((g) => p.nr * ss + i * v.subsectionSize >= g.start && p.nr * ss + i * v.subsectionSize < g.end)).length;
      parts.push(`Sub-section map of section ${p.nr}: ${on} of ${p.bits.length} sub-sections present, ${dev} ZONE_DEVICE.`);
    }
  }
  $("inview").textContent = parts.join(" ");
}

/** memory7, 7, 0x3c000000, 0x3c000000+64M, 0x38000000-0x3fffffff. */
function goTo(text: string): void {
  const s = session;
  if (!s) return;
  const v = s.states[cur].view;
  const t = text.trim();
  try {
    const m = /^(?:memory)?(\d+)$/.exec(t);
    let hit: Hit | null = null;
    if (m) {
      const id = Number(m[1]);
      const b = v.blocks;
      let i = -1;
      for (let j = 0; j < b.n && i < 0; j++) if (b.id[j] === id) i = j;
      if (i < 0) throw new Error(`no block memory${id} at this step`);
      hit = { kind: "block", index: i, start: b.start[i], end: b.start[i] + b.size[i], text: describeBlock(v, i) };
    } else {
      const plus = t.indexOf("+");
      const dash = t.indexOf("-");
      const start = parseAddress(plus > 0 ? t.slice(0, plus) : dash > 0 ? t.slice(0, dash) : t);
      const end = plus > 0 ? start + parseSize(t.slice(plus + 1)) : dash > 0 ? parseAddress(t.slice(dash + 1)) + 1 : start + v.subsectionSize;
      const i = blockIndexAt(v.blocks, start);
      hit = { kind: "range", start, end, name: t, text: t };
      if (i >= 0 && dash < 0 && plus < 0) hit = { kind: "block", index: i, start: v.blocks.start[i], end: v.blocks.start[i] + v.blocks.size[i], text: describeBlock(v, i) };
    }
    setError("");
    map.zoomTo(hit.start, hit.end);
    select(hit);
  } catch (e) {
    setError(`Go to: ${(e as Error).message} (try memory7, 0x3c000000, 0x3c000000+64M or 0x38000000-0x3fffffff)`);
  }
}

function openTrace(text: string, name: string): void {
  try {
    const view = checkInPage(text, name);
    const raw = JSON.parse(text) as { scenario: unknown };
    conf = { view, text, name };
    exampleName = undefined;
    $<HTMLTextAreaElement>("scenario").value = YAML.stringify(raw.scenario);
    run();
    const failed = view.steps.filter((x) => !x.pass).length;
    $("status").textContent += ` — real-kernel trace ${name}: ${failed ? `${failed} step(s) FAIL` : `every step PASS`}`;
  } catch (e) {
    conf = null;
    setError(e instanceof InputError ? e.format() : `${name}: ${(e as Error).message}`);
  }
}

function loadExample(name: string): void {
  const ex = EXAMPLES.find((e) => e.name === name);
  if (!ex) return setError(`no example "${name}"`);
  exampleName = name;
  conf = null;
  $<HTMLSelectElement>("example").value = name;
  $<HTMLTextAreaElement>("scenario").value = YAML.stringify(ex);
  run();
}

function exportView(kind: string): void {
  const s = session;
  if (!s) return;
  const st = s.states[cur];
  const base = `${s.scenario.name}-step${cur}`;
  if (kind === "svg") {
    const ctx = document.createElement("canvas").getContext("2d")!;
    const measure = (t: string, size = 11) => ((ctx.font = `${size}px system-ui, sans-serif`), ctx.measureText(t).width);
    download(`${base}.svg`, mapSvg(map.viewport(), map.axis!, st.view, currentMarks(), measure), "image/svg+xml");
  } else if (kind === "png") map.canvas.toBlob((b) => b && download(`${base}.png`, b));
  else if (kind === "yaml") download(`${s.scenario.name}.yaml`, $<HTMLTextAreaElement>("scenario").value, "text/yaml");
  else if (kind === "json") {
    const t = runScenario(s.scenario, { boot: s.settings.boot ?? "derive", profile: s.settings.profile, bootSnapshot: s.trace?.bootSnapshot, bootDevices: s.trace?.bootDevices, bootRaces: s.settings.bootRaces });
    download(`${s.scenario.name}.trace.json`, JSON.stringify(t, null, 1) + "\n", "application/json");
  } else if (kind === "url") {
    const hash = encodeState({ example: exampleName, text: exampleName ? undefined : $<HTMLTextAreaElement>("scenario").value, step: cur, view: map.visibleRange(), profile: $<HTMLSelectElement>("profile").value });
    history.replaceState(null, "", hash);
    navigator.clipboard?.writeText(location.href).catch(() => undefined);
    $("status").textContent = `link to this view: ${location.href}`;
  }
}

function init(): void {
  const sel = $<HTMLSelectElement>("example");
  for (const e of EXAMPLES) sel.append(new Option(`${e.name} — ${e.description.slice(0, 70)}…`, e.name));
  $<HTMLSelectElement>("profile").append(new Option(`the scenario's (default ${DEFAULT_VERSION})`, ""));
  for (const v of VERSIONS) {
    const label = `Linux ${v.version} — ${v.description.split(":")[0]}${v.verified ? ", verified" : ""}`;
    $<HTMLSelectElement>("profile").append(new Option(label, v.version));
    $<HTMLSelectElement>("compare").append(new Option(`kernel ${v.version}`, `profile:${v.version}`));
  }
  for (const d of ["fixed:2G", "variable", "single-owner"]) $<HTMLSelectElement>("compare").append(new Option(`design ${d}`, `design:${d}`));
  const legend = $("legend");
  for (const sw of SWATCHES.filter((x, i, all) => all.findIndex((y) => y.label === x.label) === i)) {
    const item = el("span");
    const box = el("span", undefined, "sw");
    box.style.background = sw.color;
    item.append(box, sw.label);
    legend.append(item);
  }
  sel.addEventListener("change", () => loadExample(sel.value));
  $("profile").addEventListener("change", () => run(true));
  $("compare").addEventListener("change", () => {
    $("compare-box").style.display = $<HTMLSelectElement>("compare").value ? "block" : "none";
    $("compare-title").textContent = `the same step, ${$<HTMLSelectElement>("compare").selectedOptions[0].text}`;
    run(true);
  });
  $<HTMLInputElement>("collapse").addEventListener("change", (e) => map.setCollapse((e.target as HTMLInputElement).checked));
  let timer = 0;
  $("scenario").addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => ((exampleName = undefined), (conf = null), run(true)), 400);
  });
  $<HTMLInputElement>("goto").addEventListener("keydown", (e) => e.key === "Enter" && goTo((e.target as HTMLInputElement).value));
  $<HTMLInputElement>("tracefile").addEventListener("change", async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) openTrace(await f.text(), f.name);
  });
  for (const k of ["svg", "png", "yaml", "json", "url"]) $(`x-${k}`).addEventListener("click", () => exportView(k));
  const tip = $("tip");
  map.onHover = (hit, x, y) => {
    tip.style.display = hit ? "block" : "none";
    if (hit) {
      tip.textContent = hit.text;
      tip.style.left = `${x + 14}px`;
      tip.style.top = `${y + 14}px`;
    }
  };
  map.onSelect = select;
  let inViewTimer = 0;
  map.onViewChange = () => {
    // The text summary (an aria-live region) follows the view once it settles, not on every frame.
    clearTimeout(inViewTimer);
    inViewTimer = window.setTimeout(updateInView, 120);
    if (compareSession) {
      const r = map.visibleRange();
      map2.zoomTo(r.start, r.end, 0, 0);
    }
  };
  document.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement;
    if (t.tagName === "TEXTAREA" || t.tagName === "INPUT" || t.tagName === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "n" || e.key === "]" || e.key === "PageDown") show(cur + 1);
    else if (e.key === "p" || e.key === "[" || e.key === "PageUp") show(cur - 1);
    else return;
    e.preventDefault();
  });
  const st = decodeState(location.hash);
  if (st.profile && st.profile in PROFILES) $<HTMLSelectElement>("profile").value = st.profile;
  const restore = () => {
    if (st.step !== undefined) show(st.step);
    if (st.view) map.zoomTo(st.view.start, st.view.end, 0, 0);
  };
  if (st.text !== undefined) {
    $<HTMLTextAreaElement>("scenario").value = st.text;
    run();
    return restore();
  }
  if (st.example) {
    loadExample(st.example);
    return restore();
  }
  if (location.protocol.startsWith("http")) {
    fetch("input.json")
      .then((r) => (r.ok ? r.json() : null))
      .then((inp: { kind: string; source: string; text: string; step?: number } | null) => {
        if (!inp) return loadExample("pmem-shared-section");
        if (inp.kind === "trace") openTrace(inp.text, inp.source);
        else {
          $<HTMLTextAreaElement>("scenario").value = inp.text;
          run();
        }
        if (inp.step !== undefined) show(inp.step);
      })
      .catch(() => loadExample("pmem-shared-section"));
  } else loadExample("pmem-shared-section");
}

init();
