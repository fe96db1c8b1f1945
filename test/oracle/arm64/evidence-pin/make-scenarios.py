#!/usr/bin/env python3
"""Writes the pin-evidence scenarios: a recorded scenario plus shell steps that
trace the page allocator (kmem tracepoints, with stacks for non-movable
allocations) in the first block of a virtio-mem device and summarize
/proc/kpageflags per pageblock of that block. With --boot, the kernel command
line also enables mm_page_alloc_extfrag (every pfn, with stacks) from boot, and
a first dump shows the boot's steals and the block as the boot left it."""
import json, sys, pathlib

def setup(lo, hi, size=True):
    f = f"pfn >= {lo:#x} && pfn < {hi:#x}"
    return "\n".join([
        "T=/sys/kernel/tracing; [ -e $T/trace ] || mount -t tracefs nodev $T 2>/dev/null; [ -e $T/trace ] || T=/sys/kernel/debug/tracing",
        "echo 0 > $T/tracing_on" + ("; echo 32768 > $T/buffer_size_kb" if size else ""),
        f"for e in mm_page_alloc mm_page_alloc_zone_locked mm_page_alloc_extfrag mm_page_free mm_page_free_batched mm_page_pcpu_drain; do echo '{f}' > $T/events/kmem/$e/filter && echo 1 > $T/events/kmem/$e/enable || echo FAIL $e; done",
        f"echo 'stacktrace if {f} && migratetype != 1' > $T/events/kmem/mm_page_alloc/trigger || echo FAIL trigger",
        f"echo 'stacktrace if {f}' > $T/events/kmem/mm_page_alloc_extfrag/trigger || echo FAIL trigger2",
        "echo > $T/trace; echo 1 > $T/tracing_on; echo traced",
    ])

def dump(lo, hi, pb):
    n = hi - lo
    return "\n".join([
        "T=/sys/kernel/tracing; [ -e $T/trace ] || mount -t tracefs nodev $T 2>/dev/null; [ -e $T/trace ] || T=/sys/kernel/debug/tracing",
        "echo 0 > $T/tracing_on",
        "echo '== trace (gzip, base64)'; cat $T/trace | gzip -9 | base64",
        "echo '== kpageflags per pageblock: pb slab pgtable buddyhead lru reserved otherflags zero'",
        f"dd if=/proc/kpageflags bs=8 skip={lo} count={n} 2>/dev/null | od -A n -t u8 -v | tr -s ' ' '\\n' | grep . | "
        f"awk -v pb={pb} '{{i=NR-1; b=int(i/pb); v=$1; if(and(v,128))s[b]++; else if(and(v,67108864))p[b]++; else if(and(v,1024))h[b]++; else if(and(v,32))l[b]++; else if(and(rshift(v,32),1))r[b]++; else if(v>0)o[b]++; else z[b]++}} END{{for(b=0;b<{n}/pb;b++)print b, s[b]+0, p[b]+0, h[b]+0, l[b]+0, r[b]+0, o[b]+0, z[b]+0}}'",
        "echo '== pagetypeinfo'; cat /proc/pagetypeinfo",
        "echo > $T/trace; echo 1 > $T/tracing_on",
    ])

# The ring buffer is sized on the command line, so it is allocated at boot, before any hot-add: resizing it
# later (setup's buffer_size_kb) would take its pages from a block already online (a64-pin-trace-boot-two.disturbed).
BOOT_TRACE = ("trace_event=kmem:mm_page_alloc_extfrag", "trace_options=stacktrace", "trace_buf_size=32M")

def make(src, out, lo, hi, pb, extra_cmdline=(), dump_after=None, boot=False):
    s = json.loads(pathlib.Path(src).read_text())
    s["name"] = pathlib.Path(out).stem
    s["description"] = "pin evidence (issue 14): " + s.get("description", "") + "; kmem tracepoints and kpageflags of the first block"
    s["machine"]["cmdline"] = list(s["machine"].get("cmdline", [])) + list(extra_cmdline) + (list(BOOT_TRACE) if boot else [])
    steps = [{"op": "shell", "cmd": dump(lo, hi, pb)}] if boot else []
    steps.append({"op": "shell", "cmd": ("echo 0 > /sys/kernel/tracing/options/stacktrace 2>/dev/null\n" if boot else "") + setup(lo, hi, not boot)})
    for i, st in enumerate(s["steps"]):
        steps.append(st)
        if dump_after is None or i in dump_after:
            steps.append({"op": "shell", "cmd": dump(lo, hi, pb)})
    s["steps"] = steps
    pathlib.Path(out).write_text(json.dumps(s, indent=2) + "\n")

if __name__ == "__main__":
    boot = "--boot" in sys.argv  # also trace the boot's fallback steals (every pfn) and dump them first
    args = [a for a in sys.argv[1:] if a != "--boot"]
    src, out, lo, hi = args[:4]
    pb = int(args[4]) if len(args) > 4 else 512
    make(src, out, int(lo, 0), int(hi, 0), pb, boot=boot)
