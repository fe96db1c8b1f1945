/** `memhp schema [scenario|machine|trace]`: the JSON Schema of an input file format. */
import type { Command } from "commander";
import { InputError } from "../errors.js";

const KINDS = ["scenario", "machine", "trace"] as const;

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of scenario files, machine files (memhp import) or traces, for editors and validators")
    .argument("[kind]", `${KINDS.join(" | ")}`, "scenario")
    .addHelpText(
      "after",
      `
The schema is generated from the rules memhp itself loads files with; it
describes each field as written (sizes as "512M" or integers). Rules that
relate fields (maxmem at least memory, NUMA memory adding up) are checked
when memhp loads the file, with the line and field of the problem.

Examples:
  memhp schema > scenario.schema.json
  memhp schema trace > trace.schema.json

In a YAML scenario, a first line such as
  # yaml-language-server: $schema=./scenario.schema.json
gives completion and checking in editors that use the YAML language server
(VS Code's YAML extension, Neovim, Helix, Zed).
`,
    )
    .action(async (kind: string) => {
      if (!(KINDS as readonly string[]).includes(kind)) throw new InputError(`unknown schema "${kind}": one of ${KINDS.join(", ")}`, { field: "kind" });
      const { jsonSchema } = await import("../scenario/json-schema.js");
      process.stdout.write(`${JSON.stringify(jsonSchema(kind as (typeof KINDS)[number]), null, 2)}\n`);
    });
}
