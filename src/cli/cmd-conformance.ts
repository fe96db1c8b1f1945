/** `memhp conformance [--boot derive|import|both] [--json] TRACE…` */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Option, type Command } from "commander";
import { InputError } from "../errors.js";
import { checkTrace, type ConformanceResult } from "../scenario/check.js";
import { formatMismatch } from "../scenario/conformance.js";
import { statusLine } from "./io.js";

export function registerConformance(program: Command): void {
  program
    .command("conformance")
    .description("run real-kernel traces on the model and compare everything the conformance README says must match")
    .argument("<trace...>", "trace files recorded by the oracle")
    .addOption(new Option("--boot <mode>", "derive the boot state from the machine, import it from the trace, or both").choices(["derive", "import", "both"]).default("derive"))
    .option("--json", "print every mismatch as JSON")
    .addHelpText(
      "after",
      `
Prints one line per trace (PASS name, or FAIL name: step N, field, expected …, got …),
then "N passed, M failed". Exit 1 on any failure.

Where the real boot ran into a race whose outcome the kernel leaves to
chance (libnvdimm numbering a region's btt seed 0 or 1; which boot pmem disk
gets which DISKSEQ when several regions probe at once; after the boot, in a
kernel zone's first block, whether the kernel's or user space's first page
lands first (first-alloc), when user space's first lasting reclaimable page
comes (reclaimable), whether, when and how often small unmovable pages
outgrow their pageblock (unmovable-spill: up to three moves with three CPUs
or more), whether a movable page is busy at the first unplug attempt, and in
which pageblock (movable-busy), or a page the unplug migrated is
(migrated-busy), whether the pageblocks user space's small unmovable pages
took are free again by the unplug (unmovable-freed), whether a later
reclaimable refill splits the reclaimable chunk's other pageblock
(reclaimable-refill), whether user space's first movable refill is already
scaled (movable-refill), whether a scaled unmovable refill steals chunks,
when, and which of their pageblocks keep pages (unmovable-refill), whether
user space's first movable page comes in the middle of a plug
(plug-movable), whether the kworker's reclaimable page steals a chunk then
(plug-reclaimable), whether the hot-adds' slab pages fill the kernel's first
pageblock a refill early (hotadd-slab), how far user space's pages reach
along the hot-adding CPU's list (kernel-list), whether on one CPU a larger
page takes the rest of the kworker's last pageblock (kernel-split), whether
that list's high decays and how deep, giving pageblocks back to other CPUs
(list-decay), whether user space's small pages take a vmemmap pageblock a
shrink freed alone (vmemmap-orphan), and for a device plugged at boot
whether init's page cache comes before the vmemmap (boot-pagecache) and who
uses the probing CPU's per-CPU pageblocks (boot-pcp)), the line names the
outcome that reproduced the trace: "(boot race: btt-seed:region0=1,
disk-order:ndbus0=8)". The outcomes are tried in every combination, or, past
512, up to five departures from the model's own (past two, those that
explain what fewer left different, or races only such a run met; the runs
one log line from the trace by every departure), at most 16,384 runs a trace
(on a terminal, a status line on stderr counts them while a search takes
more than a second). Uevents sent from asynchronous work (libnvdimm device
registration) may come later than the model sends them, and the
unregistrations of a region's seeds come in the order their async
registration finished, as in the kernel; everything else must match in
order.

Examples:
  memhp conformance ../shared/conformance/traces/*.json
  memhp conformance --boot both --json ../shared/conformance/traces/dimm-online-kernel.json`,
    )
    .action(async (files: string[], opts: { boot: "derive" | "import" | "both"; json?: boolean }) => {
      const modes: ("derive" | "import")[] = opts.boot === "both" ? ["derive", "import"] : [opts.boot];
      const results: ConformanceResult[] = [];
      for (const f of files) {
        let text: string;
        try {
          text = readFileSync(f, "utf8");
        } catch (e) {
          throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: f });
        }
        for (const mode of modes) {
          // A trace the model's own outcomes do not reproduce can take seconds of search: say so on a terminal.
          const status = statusLine();
          const label = modes.length > 1 ? `${basename(f)} [${mode}]` : basename(f);
          const r = checkTrace(text, f, mode, (runs, most) => status.show(`${label}: trying other outcomes of its races, run ${runs} of at most ${most}`));
          status.clear();
          results.push(r);
          if (!opts.json) {
            const name = modes.length > 1 ? `${r.name} [${mode}]` : r.name;
            const raced = r.races.length ? ` (boot race: ${r.races.map((x) => `${x.key}=${x.outcome}`).join(", ")})` : "";
            process.stdout.write(r.mismatches.length === 0 ? `PASS ${name}${raced}\n` : `${formatMismatch(name, r.mismatches[0])}${raced}\n`);
          }
        }
        // Between traces, let a closed stdout (EPIPE) or a signal end the program at once.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const failed = results.filter((r) => r.mismatches.length > 0).length;
      if (opts.json) {
        process.stdout.write(
          JSON.stringify(
            { results: results.map((r) => ({ name: r.name, file: basename(r.file), boot: r.boot, pass: r.mismatches.length === 0, boot_races: r.races, mismatches: r.mismatches })), passed: results.length - failed, failed },
            null,
            1,
          ) + "\n",
        );
      } else {
        process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
      }
      if (failed) process.exitCode = 1;
    });
}
