/** Reading a scenario (or trace) file from disk (Node only; load.ts stays browser-safe). */
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";
import { parseScenario, type Scenario } from "./load.js";

export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(`cannot read: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : (err.code ?? err.message)}`, { file: path });
  }
  return parseScenario(text, path);
}
