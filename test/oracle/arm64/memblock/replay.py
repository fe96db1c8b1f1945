#!/usr/bin/env python3
"""Replays the memblock=debug log of a boot recording into memblock.reserved
as it stood at reserve_memblock_reserved_regions() (arch_initcall), the
evidence format of this directory.

    replay.py ../traces/a64-mb-16k-1g.sid.json 7.2 > a64-mb-16k-1g.sid.json

The first MEMBLOCK configuration dump gives what was reserved before
memblock=debug was parsed (the device tree, edk2's tables); after it every
memblock_reserve (6.x) or __memblock_reserve (7.x) adds, every
memblock_free / memblock_phys_free takes away, until the initrd or the
kernel's init memory is freed (rootfs_initcall and later). Where the log
lost its first lines (dmesg_lost from 0), the first dump left in it stands
for them; with none left the script says so and exits 2."""
import json, re, sys

RESERVE = re.compile(r"^(?:__)?memblock_reserve: \[0x([0-9a-f]+)-0x([0-9a-f]+)\]")
FREE = re.compile(r"^memblock_(?:phys_)?free: \[0x([0-9a-f]+)-0x([0-9a-f]+)\]")
DUMPED = re.compile(r"^\s*reserved\[0x[0-9a-f]+\]\s+\[0x([0-9a-f]+)-0x([0-9a-f]+)\]")
LATER = ("free_initrd_mem", "free_initmem")


def add(regions, a, b):
    out = []
    for x, y in sorted(regions + [(a, b)]):
        if out and x <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], y))
        else:
            out.append((x, y))
    return out


def take(regions, a, b):
    out = []
    for x, y in regions:
        if y <= a or x >= b:
            out.append((x, y))
            continue
        if x < a:
            out.append((x, a))
        if y > b:
            out.append((b, y))
    return out


def replay(lines):
    regions, dumps = [], 0
    for line in lines:
        if any(w in line for w in LATER):
            break
        if line.startswith("MEMBLOCK configuration"):
            dumps += 1
        m = DUMPED.match(line)
        if m and dumps == 1:
            regions = add(regions, int(m.group(1), 16), int(m.group(2), 16) + 1)
            continue
        m = RESERVE.match(line)
        if m:
            regions = add(regions, int(m.group(1), 16), int(m.group(2), 16) + 1)
            continue
        m = FREE.match(line)
        if m:
            regions = take(regions, int(m.group(1), 16), int(m.group(2), 16) + 1)
    return regions


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: replay.py TRACE.json KERNEL_VERSION\n")
        sys.exit(2)
    path, kernel = sys.argv[1], sys.argv[2]
    try:
        boot = json.load(open(path))["boot"]
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write(f"{path}: not a recording with a boot: {e}\n")
        sys.exit(2)
    if any(lost[0] == 0 for lost in boot.get("dmesg_lost", [])) and not any(l.startswith("MEMBLOCK configuration") for l in boot["dmesg"]):
        sys.stderr.write(f"{path}: boot.dmesg_lost: the log's first lines were lost and no memblock dump came after them\n")
        sys.exit(2)
    reserved = replay(boot["dmesg"])
    out = {
        "trace": "../traces/" + path.split("/")[-1],
        "kernel": kernel,
        "about": "memblock.reserved at reserve_memblock_reserved_regions() (arch_initcall), replayed from the kernel's memblock=debug log of this boot (earlycon) by replay.py; reservations made before memblock=debug is parsed (the device tree) from memblock's first dump",
        "reserved": [[hex(a), hex(b)] for a, b in reserved],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
