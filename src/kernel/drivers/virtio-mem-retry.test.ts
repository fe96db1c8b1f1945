/**
 * When virtio-mem tries a sub-block again after fake-offlining it failed
 * (drivers/virtio/virtio_mem.c, 6.1 to 7.2): virtio_mem_fake_offline()
 * returns -EBUSY and queues nothing; a pass that ends with -EBUSY arms the
 * retry timer (VIRTIO_MEM_RETRY_TIMER_MIN_MS, 50 s, longer than the oracle
 * waits for a resize that stopped making progress: 10 s); the work item runs
 * again at once only when the pass offlined and removed a block
 * (virtio_mem_offline_and_remove_memory() and virtio_mem_remove_memory()
 * call virtio_mem_retry()) or the device's config changed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkTrace } from "../../scenario/check.js";
import { toRunnable } from "../../scenario/resolve-text.js";
import { runScenario } from "../../scenario/runner.js";
import { REPO_ROOT } from "../../testing/paths.js";

/** A 1 GiB one-CPU UEFI guest whose virtio-mem device plugs `plug` into the first block of its Normal zone, then unplugs all. */
function plugThenUnplug(plug: string, movableBusy: number): { size: number; unplugged: string[] } {
  const scenario = {
    name: "retry",
    machine: { type: "virt", memory: "1G", maxmem: "8G", slots: 1, cmdline: ["memhp_default_state=online"], virtio_mem: [{ id: "vm0", size: "1G", block_size: "2M", requested_size: "0" }] },
    steps: [
      { op: "virtio-mem-resize", id: "vm0", requested_size: plug },
      { op: "virtio-mem-resize", id: "vm0", requested_size: "0" },
    ],
  };
  const run = runScenario(toRunnable(JSON.stringify(scenario), "retry.json").scenario, { boot: "derive", profile: "6.12", bootRaces: { "movable-busy:node0": movableBusy } });
  const last = run.steps[1];
  return {
    size: (last.result as { size: number }).size,
    unplugged: last.dmesg.flatMap((l) => /unplugging memory: (0x[0-9a-f]+)/.exec(l)?.[1] ?? []),
  };
}

test("a sub-block busy for a moment, in a pass that removes no block, stays plugged: nothing queues the work again before the 50 s timer", () => {
  const calm = plugThenUnplug("64M", 0);
  const busy = plugThenUnplug("64M", 1);
  const MiB = 1 << 20;
  // The kernel's own pages keep 4 MiB of the block either way; the busy sub-block (user space's first movable
  // pages) is one more, never tried again.
  assert.equal(busy.size, calm.size + 2 * MiB);
  const missing = calm.unplugged.filter((a) => !busy.unplugged.includes(a));
  assert.equal(missing.length, 1);
  assert.equal(new Set(busy.unplugged).size, busy.unplugged.length, "each sub-block's line once");
});

test("in a pass that removes blocks, the busy sub-block is tried again at once and its line comes after the others (recorded)", () => {
  // 512M, 256M, 0 on one CPU (7.2): the blocks above the first are offlined and removed, so the work runs again.
  const file = join(REPO_ROOT, "test", "oracle", "arm64", "traces", "a64-probe30-uefi-1cpu-vm-2m-online-512m.sid.json");
  const r = checkTrace(readFileSync(file, "utf8"), file, "derive");
  assert.deepEqual(r.mismatches, []);
  assert.ok(r.races.some((x) => x.key === "movable-busy:node0" && x.outcome === 1));
  const big = plugThenUnplug("512M", 1);
  const calm = plugThenUnplug("512M", 0);
  assert.equal(big.size, calm.size, "the busy sub-block is unplugged in the second pass");
  assert.notDeepEqual(big.unplugged, calm.unplugged, "later than in the run where it was not busy");
});
