/**
 * The web page: pick a built-in example or paste a scenario, run it on the
 * model in the browser, step through it. Thin: everything shown is a view of
 * the trace the library computes.
 */
import { EXAMPLES } from "../scenario/examples.js";
import { toRunnable } from "../scenario/resolve-text.js";
import { runScenario, type Trace } from "../scenario/runner.js";
import { InputError } from "../errors.js";
import { addressMapSvg } from "./address-map.js";
import { snapshotChanges } from "../cli/report.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let trace: Trace | null = null;

function show(i: number): void {
  if (!trace) return;
  const snap = i === 0 ? trace.boot.snapshot : trace.steps[i - 1].snapshot;
  const prev = i <= 1 ? trace.boot.snapshot : trace.steps[i - 2].snapshot;
  const step = i === 0 ? null : trace.steps[i - 1];
  $("where").textContent = i === 0 ? "boot" : `step ${i - 1}: ${JSON.stringify(step!.step)}`;
  $("map").innerHTML = addressMapSvg(snap, Math.max(600, $("map").clientWidth || 1000));
  $("result").textContent = step ? JSON.stringify(step.result, null, 1) : "";
  $("log").textContent = step ? step.dmesg.map((l, j) => `<${step.dmesg_levels[j]}> ${l}`).join("\n") : "";
  $("uevents").textContent = step ? step.uevents.map((u) => `${u.action} ${u.devpath}`).join("\n") : "";
  $("changes").textContent = step ? snapshotChanges(prev, snap).join("\n") : "";
  $("iomem").textContent = snap.iomem.join("\n");
  $("blocks").textContent = Object.entries(snap.memory.blocks)
    .map(([n, b]) => `${n.padEnd(10)} ${b.state.padEnd(8)} ${b.valid_zones.padEnd(15)} ${b.nodes.join(",")}`)
    .join("\n");
}

function run(): void {
  $("error").textContent = "";
  try {
    const { scenario } = toRunnable($<HTMLTextAreaElement>("scenario").value, "scenario");
    trace = runScenario(scenario, { boot: "derive", profile: $<HTMLSelectElement>("profile").value });
  } catch (e) {
    trace = null;
    $("error").textContent = e instanceof InputError ? e.format() : String((e as Error).message);
    return;
  }
  const slider = $<HTMLInputElement>("step");
  slider.max = String(trace.steps.length);
  slider.value = "0";
  show(0);
}

function init(): void {
  const sel = $<HTMLSelectElement>("example");
  for (const e of EXAMPLES.filter((x) => x.name !== "64t")) {
    const o = document.createElement("option");
    o.value = e.name;
    o.textContent = `${e.name} — ${e.description.slice(0, 80)}…`;
    sel.appendChild(o);
  }
  const load = () => {
    const ex = EXAMPLES.find((e) => e.name === sel.value)!;
    $<HTMLTextAreaElement>("scenario").value = JSON.stringify(ex, null, 1);
  };
  sel.addEventListener("change", () => {
    load();
    run();
  });
  $("run").addEventListener("click", run);
  $<HTMLInputElement>("step").addEventListener("input", (e) => show(Number((e.target as HTMLInputElement).value)));
  load();
  run();
  // Under `memhp serve`, the input the command was given.
  if (location.protocol.startsWith("http")) {
    fetch("input.json")
      .then((r) => (r.ok ? r.json() : null))
      .then((inp: { text: string; step?: number } | null) => {
        if (!inp) return;
        $<HTMLTextAreaElement>("scenario").value = inp.text;
        run();
        if (inp.step !== undefined) {
          $<HTMLInputElement>("step").value = String(inp.step);
          show(inp.step);
        }
      })
      .catch(() => undefined);
  }
}

init();
