/**
 * Parse /proc/iomem text (as root) into resource specs, inferring the flags
 * the text does not show from the names (busy, System RAM, desc).
 */
import { quoteValue } from "./quote.js";
import { InputError } from "../errors.js";
import type { IomemSpec } from "../machine/types.js";
import { MiB } from "../kernel/units.js";

const LINE = /^( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$/;
const ZERO = /^ *0+-0+ : /;

/** Flags of a resource from its name, the way the kernel set them. */
export function inferFlags(name: string, start: number, hasChildren: boolean): Pick<IomemSpec, "busy" | "sysram" | "desc"> {
  if (name === "System RAM" || name.startsWith("Kernel ")) return { busy: true, sysram: true };
  if (/^System RAM \(.+\)$/.test(name)) return { busy: true, sysram: true };
  if (/^virtio\d+$/.test(name)) return { busy: false, sysram: true };
  if (/^dax\d+\.\d+$/.test(name)) return hasChildren ? { busy: false, sysram: true } : { busy: true };
  if (name === "Persistent Memory (legacy)") return { busy: false, desc: "PERSISTENT_MEMORY_LEGACY" };
  if (name === "Persistent Memory") return { busy: false, desc: "PERSISTENT_MEMORY" };
  if (name === "Soft Reserved") return { busy: false, desc: "SOFT_RESERVED" };
  if (name === "Reserved") return { busy: start < 1 * MiB, desc: "RESERVED" };
  if (name.startsWith("PCI Bus") || name.startsWith("PCI MMCONFIG") || name.startsWith("PCI ECAM")) return { busy: false };
  // CXL windows (cxl_acpi) and regions (region.c allocate the HPA without IORESOURCE_BUSY).
  if (/^CXL Window \d+$/.test(name) || /^region\d+$/.test(name)) return { busy: false };
  return { busy: !hasChildren };
}

export function parseIomem(lines: string[], file = "/proc/iomem"): IomemSpec[] {
  const roots: IomemSpec[] = [];
  const stack: { depth: number; spec: IomemSpec }[] = [];
  const parsed: { depth: number; spec: IomemSpec }[] = [];
  // Unprivileged readers see every address as zero; one zero-sized line among real ones is a resource
  // older kernels register empty (`00000000-00000000 : Crash kernel` without a crashkernel= reservation).
  const allZero = lines.every((l) => l.trim() === "" || ZERO.test(l));
  lines.forEach((line, i) => {
    const raw = line.replace(/\r$/, "");
    if (raw.trim() === "") return;
    if (ZERO.test(raw) && !allZero) return;
    const m = LINE.exec(raw);
    if (!m) throw new InputError(`not an iomem line: ${quoteValue(raw)}`, { file, line: i + 1 });
    if (m[1].length % 2 !== 0) throw new InputError("odd indentation", { file, line: i + 1 });
    const start = parseInt(m[2], 16);
    const end = parseInt(m[3], 16);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
      throw new InputError(`bad range ${m[2]}-${m[3]}`, { file, line: i + 1 });
    }
    if (allZero && i > 0) throw new InputError("addresses are all zero: read /proc/iomem as root", { file, line: i + 1 });
    const depth = m[1].length / 2;
    const spec: IomemSpec = { start, end, name: m[4], busy: true, children: [] };
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    if (depth > 0) {
      const parent = stack[stack.length - 1];
      if (!parent || parent.depth !== depth - 1) throw new InputError("indentation skips a level", { file, line: i + 1 });
      if (start < parent.spec.start || end > parent.spec.end) throw new InputError("child outside its parent", { file, line: i + 1 });
      parent.spec.children!.push(spec);
    } else {
      roots.push(spec);
    }
    stack.push({ depth, spec });
    parsed.push({ depth, spec });
  });
  for (const { spec } of parsed) {
    Object.assign(spec, inferFlags(spec.name, spec.start, (spec.children ?? []).length > 0));
  }
  return roots;
}
