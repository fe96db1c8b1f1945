/**
 * `memhp serve`'s input, checked before the server starts (bad input: exit 2,
 * nothing listens) and handed to the page as text it runs itself.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors.js";
import { dumpToSnapshot } from "../abi/dump.js";
import { readDump } from "../abi/dump-read.js";
import { makeMachineFile } from "../scenario/machine-file.js";
import { resolveScenario } from "../scenario/resolve.js";
import type { PageInput } from "./server.js";

export function resolvePageInput(opts: { arg?: string; sysroot?: string; live?: boolean }): PageInput | undefined {
  if (opts.live || opts.sysroot !== undefined) {
    const notes: string[] = [];
    const dump = readDump(opts.live ? { live: true } : opts.sysroot!, { notes });
    const { snapshot, inferred } = dumpToSnapshot(dump);
    const source = opts.live ? "the running machine" : opts.sysroot!;
    const name = opts.live ? "live" : path.basename(opts.sysroot!).replace(/\.(tar(\.(gz|bz2|xz))?|tgz|tbz2?|txz)$/i, "");
    const mf = makeMachineFile(snapshot, { name, source, inferred: [...notes, ...inferred] });
    return { kind: "machine", source, text: JSON.stringify(mf) };
  }
  if (opts.arg === undefined) return undefined;
  // Parse it here, so that bad input is reported on the command line.
  const r = resolveScenario(opts.arg);
  if (r.upTo !== undefined && r.upTo > r.scenario.steps.length) throw new InputError(`@${r.upTo}: the scenario has only ${r.scenario.steps.length} step(s)`, { file: opts.arg });
  let text: string;
  if (r.source.startsWith("example:")) text = JSON.stringify(r.scenario.raw ?? r.scenario, null, 1);
  else text = readFileSync(r.source, "utf8");
  const kind = r.bootMode === "import" ? "machine" : r.trace ? "trace" : "scenario";
  return { kind, source: r.source, text, step: r.upTo };
}
