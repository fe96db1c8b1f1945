/**
 * libsmartcols, the subset lsmem uses: column widths as
 * __scols_calculate() computes them on a non-terminal stream, and the
 * human, raw, pairs (export) and JSON (lib/jsonwrt.c) printers.
 * Pure: no node:* imports.
 */

export type ScolsFormat = "human" | "raw" | "export" | "json";
export type JsonFormat = "pretty" | "compact" | "lines";

export interface ScolsColumn {
  name: string;
  /** width hint: >= 1 absolute width (below 1 relative, only used on terminals) */
  whint: number;
  right: boolean;
  json: "string" | "number" | "boolean";
  annotation?: string;
}

export interface ScolsTable {
  name?: string;
  format: ScolsFormat;
  noheadings: boolean;
  jsonFormat: JsonFormat;
  columns: ScolsColumn[];
  /**
   * A width hint applies only when the data is wider than the header (from
   * util-linux 2.42); false: also when exactly as wide. Default true.
   */
  hintOnlyWhenWider?: boolean;
  /** one array per line; index = column; undefined/null = no data */
  lines: (string | null | undefined)[][];
}

/** fputs_nonblank(): raw-format cell encoding. */
function rawEncode(s: string): string {
  let o = "";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === " " || ch === "\t" || ch === "\\" || c < 0x20 || c === 0x7f) o += `\\x${c.toString(16).padStart(2, "0")}`;
    else o += ch;
  }
  return o;
}

/** fputs_quoted(): pairs-format value encoding. */
function exportQuote(s: string): string {
  let o = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\" || ch === "`" || ch === "$" || c < 0x20 || c === 0x7f) o += `\\x${c.toString(16).padStart(2, "0")}`;
    else o += ch;
  }
  return o + '"';
}

/** fputs_quoted_case_json() */
function jsonQuote(s: string, lower = false): string {
  let o = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\") o += "\\" + ch;
    else if (c >= 0x20) o += lower && c <= 127 ? ch.toLowerCase() : ch;
    else if (ch === "\b") o += "\\b";
    else if (ch === "\t") o += "\\t";
    else if (ch === "\n") o += "\\n";
    else if (ch === "\f") o += "\\f";
    else if (ch === "\r") o += "\\r";
    else o += `\\u00${c.toString(16).padStart(2, "0")}`;
  }
  return o + '"';
}

/** lib/jsonwrt.c */
class JsonWriter {
  out = "";
  indent = 0;
  afterClose = false;
  constructor(readonly fmt: JsonFormat) {}
  private ind(): void {
    this.out += "   ".repeat(this.indent);
  }
  private printName(name: string | null): void {
    if (this.afterClose) {
      if (this.fmt === "lines") this.out += this.indent === 0 ? "\n" : ",";
      else if (this.fmt === "compact") this.out += ",";
      else this.out += name !== null ? ",\n" : ",";
    }
    if (this.fmt === "pretty" && (name !== null || !this.afterClose)) this.ind();
    if (name !== null) this.out += jsonQuote(name, true);
  }
  open(name: string | null, type: "object" | "array" | "value"): void {
    this.printName(name);
    let s: string;
    if (type === "object") {
      if (this.fmt === "lines") s = "{";
      else if (this.fmt === "compact") s = this.indent === 2 ? (name !== null ? ":{" : "\n{") : "{";
      else s = name !== null ? ": {\n" : "{\n";
      this.indent++;
    } else if (type === "array") {
      if (this.fmt === "lines" || this.fmt === "compact") s = name !== null ? ":[" : "[";
      else s = name !== null ? ": [\n" : "[\n";
      this.indent++;
    } else {
      if (this.fmt === "pretty") s = name !== null ? ": " : " ";
      else s = name !== null ? ":" : "";
    }
    this.out += s;
    this.afterClose = false;
  }
  close(type: "object" | "array" | "value"): void {
    if (type === "value") {
      this.afterClose = true;
      return;
    }
    this.indent--;
    if (this.fmt === "compact" && this.indent === 1) this.out += "\n";
    if (this.fmt === "pretty") {
      this.out += "\n";
      this.ind();
    }
    this.out += type === "object" ? "}" : "]";
    if (this.fmt !== "lines" && this.indent === 0) this.out += "\n";
    this.afterClose = true;
  }
  valueString(name: string, data: string): void {
    this.open(name, "value");
    this.out += data ? jsonQuote(data) : "null";
    this.close("value");
  }
  valueRaw(name: string, data: string): void {
    this.open(name, "value");
    this.out += data ? data : "null";
    this.close("value");
  }
  valueBoolean(name: string, v: boolean): void {
    this.open(name, "value");
    this.out += v ? "true" : "false";
    this.close("value");
  }
}

/** scols_print_table() on a non-terminal stream; "" when the table has no columns (libsmartcols returns -EINVAL). */
export function scolsPrintTable(tb: ScolsTable): string {
  const cols = tb.columns;
  if (cols.length === 0) return "";
  if (tb.lines.length === 0) {
    if (tb.format !== "json") return "";
    const j = new JsonWriter(tb.jsonFormat);
    if (tb.jsonFormat !== "lines") {
      j.open(null, "object");
      j.open(tb.name ?? "", "array");
      j.close("array");
      j.close("object");
    }
    return j.out;
  }
  const cell = (ln: (string | null | undefined)[], i: number): string => ln[i] ?? "";
  const lastIdx = cols.length - 1;

  if (tb.format === "json") {
    const j = new JsonWriter(tb.jsonFormat);
    if (tb.jsonFormat !== "lines") {
      j.open(null, "object");
      j.open(tb.name ?? "", "array");
    }
    for (const ln of tb.lines) {
      j.open(null, "object");
      cols.forEach((cl, i) => {
        const data = cell(ln, i);
        if (cl.json === "string") j.valueString(cl.name, data);
        else if (cl.json === "number") j.valueRaw(cl.name, data);
        else j.valueBoolean(cl.name, !(data === "" || data[0] === "0" || data[0] === "N" || data[0] === "n"));
      });
      j.close("object");
    }
    if (tb.jsonFormat !== "lines") {
      j.close("array");
      j.close("object");
    } else j.out += "\n";
    return j.out;
  }

  const rows: string[] = [];
  if (tb.format === "raw") {
    if (!tb.noheadings) rows.push(cols.map((c) => rawEncode(c.name)).join(" "));
    for (const ln of tb.lines) rows.push(cols.map((_, i) => rawEncode(cell(ln, i))).join(" "));
    return rows.join("\n") + "\n";
  }
  if (tb.format === "export") {
    for (const ln of tb.lines) rows.push(cols.map((c, i) => `${c.name}=${exportQuote(cell(ln, i))}`).join(" "));
    return rows.join("\n") + "\n";
  }

  // human: __scols_calculate() for a non-terminal (nothing is reduced)
  const widths = cols.map((cl, i) => {
    let widthMin = tb.noheadings ? 0 : cl.name.length;
    const noHeader = tb.noheadings;
    if (!widthMin) widthMin = 1;
    let widthMax = 0;
    for (const ln of tb.lines) widthMax = Math.max(widthMax, cell(ln, i).length);
    let width = widthMax;
    if (tb.hintOnlyWhenWider === false ? width < widthMin : width <= widthMin) width = widthMin;
    else if (cl.whint >= 1 && width < Math.floor(cl.whint) && widthMin < Math.floor(cl.whint)) width = Math.floor(cl.whint);
    if (widthMax === 0 && noHeader && widthMin === 1 && width <= 1) width = 0;
    return width;
  });
  const printRow = (data: string[], header: boolean): string => {
    let o = "";
    cols.forEach((cl, i) => {
      const isLast = i === lastIdx;
      const d = data[i];
      let len = d.length;
      let width = widths[i];
      if (isLast && len < width && !cl.right) width = len;
      if (d) {
        if (cl.right) {
          o += " ".repeat(Math.max(0, width - len));
          len = Math.max(len, width);
        }
        if (header && cl.annotation) o += `\x1b]8;;${cl.annotation}\x1b\\${d}\x1b]8;;\x1b\\`;
        else o += d;
      }
      if (isLast) return;
      o += " ".repeat(Math.max(0, width - len));
      o += " ";
    });
    return o;
  };
  if (!tb.noheadings) rows.push(printRow(cols.map((c) => c.name), true));
  for (const ln of tb.lines) rows.push(printRow(cols.map((_, i) => cell(ln, i)), false));
  return rows.join("\n") + "\n";
}
