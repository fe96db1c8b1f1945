/**
 * Scale benchmark: a synthetic x86_64 machine with 64 TiB of RAM in 128 MiB
 * blocks (524,288 blocks). Phases: boot; hot-add 1 TiB in 1 GiB DIMMs; online
 * all hot-added blocks; offline them; remove the DIMMs. Then the cost of one
 * block's online/offline on a 1 GiB machine and on the 64 TiB one.
 *
 *   npm run bench -- [--json] [--ram 64T] [--add 1T]
 */
import { performance } from "node:perf_hooks";
import { sysfsWrite } from "../kernel/sysfs.js";
import { GiB, MiB, TiB, parseSize } from "../kernel/units.js";
import type { System } from "../machine/system.js";
import type { MachineSpec } from "../machine/types.js";
import { bootSystem } from "../scenario/runner.js";

interface Phase {
  name: string;
  seconds: number;
  ops: number;
  peak_rss_mib: number;
}

function peakRssMib(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

function machine(ram: number, add: number): MachineSpec {
  const dimms = Math.max(1, Math.ceil(add / GiB));
  return {
    type: "synthetic",
    memory: ram,
    maxmem: ram + add + GiB,
    slots: dimms + 8,
    block_size: 128 * MiB,
    la57: true,
    cmdline: [],
  };
}

function mustWrite(sys: System, path: string, value: string): void {
  const r = sysfsWrite(sys.kernel, path, value + "\n");
  if (!r.ok) throw new Error(`${path} <- ${value}: ${r.errno}`);
}

/** Median seconds of `reps` online+offline cycles of one boot block in the middle of RAM. */
function oneBlockCost(sys: System, reps: number): number {
  const ids = [...sys.kernel.blocks.keys()];
  const id = ids[Math.floor(ids.length / 2)];
  const p = `/sys/devices/system/memory/memory${id}/state`;
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    mustWrite(sys, p, "offline");
    mustWrite(sys, p, "online");
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function runBench(ram: number, add: number, log: (s: string) => void): { phases: Phase[]; one_block: { small_seconds: number; large_seconds: number; ratio: number } } {
  const phases: Phase[] = [];
  const time = (name: string, fn: () => number) => {
    const t0 = performance.now();
    const ops = fn();
    const seconds = (performance.now() - t0) / 1000;
    phases.push({ name, seconds: Math.round(seconds * 1e4) / 1e4, ops, peak_rss_mib: peakRssMib() });
    log(`${name}: ${seconds.toFixed(3)} s, ${ops} ops`);
  };
  let sys!: System;
  time("boot", () => {
    sys = bootSystem(machine(ram, add), { boot: "derive" });
    return sys.kernel.blocks.size;
  });
  const base = sys.layout.deviceMemory!.base;
  const dimms = Math.ceil(add / GiB);
  const added: number[] = [];
  time("hot-add", () => {
    for (let i = 0; i < dimms; i++) {
      const r = sys.plugDimm({ id: `d${i}`, size: GiB, addr: base + i * GiB });
      if ("error" in r.device_add) throw new Error(`plug d${i}: ${r.device_add.error.desc}`);
    }
    const ps = sys.kernel.geometry.pageSize;
    for (const b of sys.kernel.blocksIn(base / ps, (dimms * GiB) / ps)) added.push(b.id);
    return dimms;
  });
  time("online-all", () => {
    for (const id of added) mustWrite(sys, `/sys/devices/system/memory/memory${id}/state`, "online_movable");
    return added.length;
  });
  time("offline-all", () => {
    for (const id of added) mustWrite(sys, `/sys/devices/system/memory/memory${id}/state`, "offline");
    return added.length;
  });
  time("remove-all", () => {
    for (let i = 0; i < dimms; i++) {
      const r = sys.unplugDimm(`d${i}`);
      if (!r.device_deleted) throw new Error(`unplug d${i} refused`);
    }
    return dimms;
  });
  const large = oneBlockCost(sys, 201);
  const small = oneBlockCost(bootSystem({ ...machine(GiB, GiB), type: "synthetic" }, { boot: "derive" }), 201);
  time("one-block-online-offline", () => 2);
  phases.pop();
  return { phases, one_block: { small_seconds: small, large_seconds: large, ratio: Math.round((large / small) * 100) / 100 } };
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? parseSize(args[i + 1]) : dflt;
  };
  const ram = opt("--ram", 64 * TiB);
  const add = opt("--add", TiB);
  const result = runBench(ram, add, (s) => {
    if (!json) console.log(s);
    else process.stderr.write(s + "\n");
  });
  const total = result.phases.reduce((a, p) => a + p.seconds, 0);
  if (json) console.log(JSON.stringify({ ...result, total_seconds: Math.round(total * 1e4) / 1e4 }));
  else {
    console.log(`total ${total.toFixed(3)} s, peak RSS ${peakRssMib()} MiB`);
    console.log(`one block online+offline: ${(result.one_block.small_seconds * 1e6).toFixed(1)} µs at 1 GiB, ${(result.one_block.large_seconds * 1e6).toFixed(1)} µs at ${ram / TiB} TiB (×${result.one_block.ratio})`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
