/**
 * Bad input (scenario files, dumps, CLI arguments) is reported with an
 * InputError that says where: file, line (1-based, when known) and field.
 * The CLI catches it once, prints `memhp: FILE:LINE: FIELD: MESSAGE` and exits 2.
 * Kernel-level failures are never InputErrors: they are modelled results.
 */
export interface InputLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted/indexed path of the offending field, e.g. `steps[3].size`. */
  field?: string;
}

export class InputError extends Error {
  readonly location: InputLocation;
  constructor(message: string, location: InputLocation = {}) {
    super(message);
    this.name = "InputError";
    this.location = location;
  }

  /** `file:line:col: field: message`, leaving out the parts that are unknown. */
  format(): string {
    const { file, line, column, field } = this.location;
    let where = file ?? "";
    if (line !== undefined) where += `${where ? ":" : "line "}${line}`;
    if (line !== undefined && column !== undefined) where += `:${column}`;
    const parts = [where, field].filter((p) => p !== undefined && p !== "");
    return parts.length ? `${parts.join(": ")}: ${this.message}` : this.message;
  }
}
