/** `memhp examples` */
import type { Command } from "commander";
import { EXAMPLES } from "../scenario/examples.js";

export function registerExamples(program: Command): void {
  program
    .command("examples")
    .description("list the built-in example scenarios (use them as example:NAME)")
    .option("--json", "machine-readable list")
    .addHelpText(
      "after",
      `
Examples:
  memhp examples
  memhp run example:dimm
  memhp lsmem example:dimm@2`,
    )
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        process.stdout.write(JSON.stringify(EXAMPLES.map((e) => ({ name: e.name, description: e.description })), null, 1) + "\n");
        return;
      }
      const w = Math.max(...EXAMPLES.map((e) => e.name.length));
      for (const e of EXAMPLES) process.stdout.write(`example:${e.name.padEnd(w)}  ${e.description}\n`);
    });
}
