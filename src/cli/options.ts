/** Options shared by several commands. */
import { Option } from "commander";

export const BOOT_OPTION = (): Option =>
  new Option("--boot <mode>", "how to build the boot state: derive (from the machine description) or import (from a trace's boot snapshot)")
    .choices(["derive", "import"])
    .default("derive");
