#!/usr/bin/env python3
"""Condenses a kmem-tracepoint log of one memory block: the order in which
pageblocks were first taken (steals, i.e. mm_page_alloc_extfrag, and the first
allocation of each migratetype in each pageblock), with the task and gfp."""
import re, sys
base = int(sys.argv[2], 0); pb = int(sys.argv[3]) if len(sys.argv) > 3 else 512
seen = set()
ev = re.compile(r"^\s*(\S+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)$")
for line in open(sys.argv[1]):
    m = ev.match(line)
    if not m: continue
    task, ts, name, rest = m.groups()
    f = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
    if "pfn" not in f: continue
    pfn = int(f["pfn"], 0); b = (pfn - base) // pb
    if name == "mm_page_alloc_extfrag":
        print(f"{ts} STEAL pb{b} pfn={pfn:#x} order={f['alloc_order']} mt={f['alloc_migratetype']} from {f['fallback_migratetype']} fb_order={f['fallback_order']} own={f['change_ownership']} by {task}")
    elif name in ("mm_page_alloc", "mm_page_alloc_zone_locked"):
        key = (b, f.get("migratetype"), name, f.get("order"))
        if key in seen: continue
        seen.add(key)
        print(f"{ts} {name[8:]} pb{b} pfn={pfn:#x} order={f['order']} mt={f.get('migratetype')} gfp={f.get('gfp_flags','')} by {task}")
    elif name == "mm_page_free" and int(f.get("order", 0)) >= 9:
        print(f"{ts} free pb{b} pfn={pfn:#x} order={f['order']} by {task}")
