/**
 * JSON.stringify(value, null, 1), as a sequence of chunks: the same bytes,
 * but never one string for the whole value. A trace of 120,000 steps is far
 * beyond V8's string limit as one string; as chunks its size is bounded by
 * the disk. The first levels are walked here, deeper values (one step, one
 * snapshot) are stringified natively and re-indented: JSON strings hold no
 * raw newline, so every "\n" in a nested stringify is a line break.
 */

/** Levels walked chunk by chunk; below them one native stringify per value. */
const WALK_DEPTH = 3;

function toJsonValue(v: unknown, key: string): unknown {
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") return (v as { toJSON: (k: string) => unknown }).toJSON(key);
  return v;
}

function* walk(value: unknown, depth: number): Generator<string> {
  if (depth >= WALK_DEPTH || value === null || typeof value !== "object") {
    const s = JSON.stringify(value, null, 1);
    yield depth === 0 ? s : s.replace(/\n/g, `\n${" ".repeat(depth)}`);
    return;
  }
  const pad = " ".repeat(depth + 1);
  const close = " ".repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield "[]";
      return;
    }
    yield "[";
    for (let i = 0; i < value.length; i++) {
      yield `${i ? "," : ""}\n${pad}`;
      const v = toJsonValue(value[i], String(i));
      if (v === undefined || typeof v === "function" || typeof v === "symbol") yield "null";
      else yield* walk(v, depth + 1);
    }
    yield `\n${close}]`;
    return;
  }
  let first = true;
  for (const [k, raw] of Object.entries(value)) {
    const v = toJsonValue(raw, k);
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    yield `${first ? "{" : ","}\n${pad}${JSON.stringify(k)}: `;
    first = false;
    yield* walk(v, depth + 1);
  }
  yield first ? "{}" : `\n${close}}`;
}

/** The chunks of JSON.stringify(value, null, 1) (nothing for undefined). */
export function* jsonChunks(value: unknown): Generator<string> {
  const v = toJsonValue(value, "");
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return;
  yield* walk(v, 0);
}
