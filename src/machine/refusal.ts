/**
 * A machine QEMU (or, for synthetic machines, the architecture) refuses to
 * start: bad input, reported in QEMU's own words (`qemu-system-x86_64: …`,
 * as QEMU prints it before exiting 1) and located at the machine field at
 * fault. The scenario loader turns `path` into a file line; library callers
 * get the field as `machine.…`.
 */
import { InputError } from "../errors.js";

export type MachinePath = (string | number)[];

function fieldOf(path: MachinePath): string {
  let s = "machine";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : `.${p}`;
  return s;
}

export class MachineRefused extends InputError {
  /** The field at fault, relative to the machine object (e.g. ["nvdimms", 0, "size"]). */
  readonly path: MachinePath;
  constructor(message: string, path: MachinePath = []) {
    super(message, { field: fieldOf(path) });
    this.name = "MachineRefused";
    this.path = path;
  }
}

/** The QEMU binary that runs a machine type: qemu-system-aarch64 for virt, else qemu-system-x86_64. */
export function qemuBinary(type?: string | null): string {
  return type === "virt" ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

/** QEMU's refusal: its error_report() text as the process prints it (prefixed with the binary that runs `type`). */
export function qemuRefuses(message: string, path: MachinePath = [], type?: string | null): MachineRefused {
  return new MachineRefused(`QEMU refuses to start: ${qemuBinary(type)}: ${message}`, path);
}
