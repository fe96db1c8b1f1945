#!/usr/bin/env python3
"""Evidence for src/machine/qom-order.ts: the iteration order of the system's
real GLib GHashTable (g_str_hash/g_str_equal, what QEMU's object property
tables are) after inserting keys in a given order, for QEMU-like device ids and
random ones (up to 200 keys: several resizes). Writes JSON, one case a line:
  python3 scripts/glib-hash-order.py > test/qemu/glib-2.74-hash-order.json
Recorded with Debian 12's libglib2.0-0 2.74.6 (what QEMU 7.2 links)."""
import ctypes, json, random, sys
g = ctypes.CDLL("libglib-2.0.so.0")
g.g_hash_table_new.restype = ctypes.c_void_p
g.g_hash_table_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
g.g_hash_table_insert.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
g.g_hash_table_foreach.argtypes = [ctypes.c_void_p, CB, ctypes.c_void_p]
hashf = ctypes.cast(g.g_str_hash, ctypes.c_void_p).value
eqf = ctypes.cast(g.g_str_equal, ctypes.c_void_p).value
def order(keys):
    t = g.g_hash_table_new(hashf, eqf)
    bufs = [ctypes.create_string_buffer(k.encode()) for k in keys]
    for b in bufs: g.g_hash_table_insert(t, ctypes.addressof(b), ctypes.addressof(b))
    out = []
    cb = CB(lambda k, v, u: out.append(ctypes.string_at(k).decode()))
    g.g_hash_table_foreach(t, cb, None)
    return out
rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
cases = [["nv1", "nv2"], ["nv1", "nv2", "vser0", "agentcon0"]]
alpha = "abcdefghijklmnopqrstuvwxyz0123456789-_."
for n in list(range(1, 40)) + [60, 100, 200]:
    for _ in range(3):
        ks = []
        while len(ks) < n:
            k = rng.choice("abcdefghijklmnopqrstuvwxyz") + "".join(rng.choice(alpha) for _ in range(rng.randint(0, 8)))
            if k not in ks:
                ks.append(k)
        cases.append(ks)
for n in range(1, 20):
    cases.append(["nv%d" % i for i in range(1, n + 1)])
    cases.append(["dimm%d" % i for i in range(n)])
ver = [ctypes.c_uint.in_dll(g, n).value for n in ("glib_major_version", "glib_minor_version", "glib_micro_version")]
print('{"glib": "%d.%d.%d", "cases": [' % tuple(ver))
print(",\n".join(json.dumps({"insert": c, "order": order(c)}) for c in cases))
print("]}")
