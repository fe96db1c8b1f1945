/**
 * The attribute texts of a dump, read as the kernel writes them: one line
 * per sysfs attribute, hexadecimal numbers, node lists, and a memory block
 * directory's attributes into a block of the snapshot. Bad texts are
 * InputErrors naming the file. Pure (browser-safe).
 */
import { quoteValue } from "./quote.js";
import { InputError } from "../errors.js";
import { ZONE_NAMES } from "../kernel/zone.js";
import type { DumpBlock, DumpFile } from "./dump.js";
import type { BlockSnapshot } from "./snapshot.js";

const SECTION = 128 * 1024 * 1024;
const ZONES = ZONE_NAMES as readonly string[];

export function bad(f: DumpFile, message: string, line?: number): InputError {
  return new InputError(message, line === undefined ? { file: f.file } : { file: f.file, line });
}

/** The single line of a sysfs attribute (one trailing newline); empty or multi-line files are errors. */
export function oneLine(f: DumpFile, what: string): string {
  if (f.text === "") throw bad(f, `empty ${what} (truncated dump?)`);
  const t = f.text.endsWith("\n") ? f.text.slice(0, -1) : f.text;
  if (t.includes("\n")) throw bad(f, `${what}: expected one line, got ${t.split("\n").length}`);
  return t;
}

export function hexNumber(f: DumpFile, what: string, prefix: boolean): number {
  const t = oneLine(f, what).trim();
  const m = (prefix ? /^0x([0-9a-f]+)$/i : /^(?:0x)?([0-9a-f]+)$/i).exec(t);
  if (!m) throw bad(f, `${what}: not a ${prefix ? "0x-prefixed " : ""}hexadecimal number: ${quoteValue(t)}`);
  const v = parseInt(m[1], 16);
  if (!Number.isSafeInteger(v)) throw bad(f, `${what}: ${t} is out of range`);
  return v;
}

export function nodeListOk(f: DumpFile, what: string): string {
  const t = f.text.endsWith("\n") ? f.text.slice(0, -1) : f.text;
  if (t !== "" && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t)) throw bad(f, `${what}: not a node list (like 0-1,3): ${quoteValue(t)}`);
  return t;
}

/** A node mask as the kernel prints it (`%*pbl`). */
export { nodeList as nodeListOf } from "../kernel/sysfs.js";

export interface ParsedBlock {
  id: number;
  snap: BlockSnapshot;
  src: DumpBlock;
}

export function parseBlock(b: DumpBlock, blockSize: number, sectionSize = SECTION): ParsedBlock {
  const m = /^memory(\d+)$/.exec(b.name);
  if (!m) throw new InputError(`not a memory block directory name`, { file: b.dir });
  const id = Number(m[1]);
  const attr = (name: string) => b.attrs[name];
  const stateF = attr("state");
  if (!stateF) throw new InputError("missing state (truncated dump?)", { file: `${b.dir}/state` });
  const state = oneLine(stateF, "state");
  if (!["online", "offline", "going-offline"].includes(state)) throw bad(stateF, `state: expected online, offline or going-offline, got ${quoteValue(state)}`);
  let online = state === "offline" ? "0" : "1";
  if (attr("online")) {
    online = oneLine(attr("online"), "online");
    if (online !== "0" && online !== "1") throw bad(attr("online"), `online: expected 0 or 1, got ${quoteValue(online)}`);
  }
  const sectionsPerBlock = blockSize / sectionSize;
  let physIndex = id.toString(16).padStart(8, "0");
  if (attr("phys_index")) {
    const v = hexNumber(attr("phys_index"), "phys_index", false);
    if (v !== id) throw bad(attr("phys_index"), `phys_index ${v.toString(16)} does not match ${b.name} (block ${id}; ${sectionsPerBlock} sections per block)`);
    physIndex = oneLine(attr("phys_index"), "phys_index");
  }
  let physDevice = "0";
  if (attr("phys_device")) {
    physDevice = oneLine(attr("phys_device"), "phys_device");
    if (!/^\d+$/.test(physDevice)) throw bad(attr("phys_device"), `phys_device: not a decimal number: ${quoteValue(physDevice)}`);
  }
  let removable = "1";
  if (attr("removable")) {
    removable = oneLine(attr("removable"), "removable");
    if (removable !== "0" && removable !== "1") throw bad(attr("removable"), `removable: expected 0 or 1, got ${quoteValue(removable)}`);
  }
  let validZones = "";
  if (attr("valid_zones")) {
    validZones = oneLine(attr("valid_zones"), "valid_zones");
    for (const w of validZones.split(" ")) {
      if (w !== "none" && !ZONES.includes(w)) throw bad(attr("valid_zones"), `valid_zones: unknown zone ${quoteValue(w)}`);
    }
  }
  const snap: BlockSnapshot = {
    phys_index: physIndex,
    state,
    online,
    phys_device: physDevice,
    removable,
    valid_zones: validZones,
    nodes: [...b.nodes].sort((x, y) => x - y).map((n) => `node${n}`),
  };
  if (b.firmwareNode) snap.firmware_node = b.firmwareNode;
  return { id, snap, src: b };
}
