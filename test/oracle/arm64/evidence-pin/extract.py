#!/usr/bin/env python3
"""Decodes the shell dumps of a pin-evidence trace: writes STEM.stepN.ftrace
(the kmem tracepoint log) and prints the kpageflags/pagetypeinfo parts."""
import json, sys, base64, gzip, pathlib
t = json.loads(pathlib.Path(sys.argv[1]).read_text())
stem = pathlib.Path(sys.argv[1]).with_suffix("")
for i, s in enumerate(t["steps"]):
    if s["step"]["op"] != "shell":
        print(f"--- step {i}: {s['step']} size={s['result'].get('size')}")
        continue
    out = "\n".join(s["result"].get("stdout", [])) + "\n"
    if "== trace" not in out:
        print(f"--- step {i}: shell rc={s['result'].get('rc')} {out.strip()[:200]} {s['result'].get('stderr')}")
        continue
    b64, rest = out.split("== trace (gzip, base64)\n", 1)[1].split("== kpageflags", 1)
    text = gzip.decompress(base64.b64decode(b64)).decode()
    p = pathlib.Path(f"{stem}.step{i}.ftrace"); p.write_text(text)
    print(f"--- step {i}: {p} ({len(text.splitlines())} lines)")
    print("== kpageflags" + rest.split("== pagetypeinfo")[0])
    if "-v" in sys.argv: print(rest.split("== pagetypeinfo")[1])
