/** Every file (its contents) and symlink (`-> target`) under a directory, by relative path (tests only). */
import * as fs from "node:fs";
import * as path from "node:path";

export function treeOf(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (rel: string) => {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) out.set(rel, `-> ${fs.readlinkSync(p)}`);
    else if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(rel ? `${rel}/${e}` : e);
    else out.set(rel, fs.readFileSync(p, "utf8"));
  };
  visit("");
  return out;
}
