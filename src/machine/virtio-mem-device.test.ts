/** QEMU 7.2's virtio-mem device: QOM requested-size, usable region, request replies. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtioMemDevice, VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_RESP_ERROR, VIRTIO_MEM_RESP_NACK } from "./virtio-mem-device.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BASE = 4 * GiB;

function dev(requested = 0): VirtioMemDevice {
  return new VirtioMemDevice({ id: "vm0", addr: BASE, regionSize: GiB, blockSize: 2 * MiB, requestedSize: requested, node: 0 });
}

test("requested-size: alignment and backend size are checked, the guest is notified even without a change", () => {
  const d = dev();
  let notified = 0;
  d.onConfigChanged = () => notified++;
  assert.deepEqual(d.setRequestedSize(MiB), { error: { class: "GenericError", desc: "'requested-size' has to be multiples of 'block-size' (0x200000)" } });
  assert.deepEqual(d.setRequestedSize(2 * GiB), { error: { class: "GenericError", desc: "'requested-size' cannot exceed the memory backend size(0x40000000)" } });
  assert.equal(notified, 0);
  assert.deepEqual(d.setRequestedSize(0), { return: {} });
  assert.equal(notified, 1);
});

test("usable region: requested size + 256 MiB, capped by the backend, never shrinking on resize", () => {
  const d = dev();
  assert.equal(d.config().usableRegionSize, 0);
  d.setRequestedSize(300 * MiB);
  assert.equal(d.config().usableRegionSize, 556 * MiB);
  d.setRequestedSize(64 * MiB);
  assert.equal(d.config().usableRegionSize, 556 * MiB);
  d.setRequestedSize(GiB);
  assert.equal(d.config().usableRegionSize, GiB);
});

test("plug/unplug requests: NACK beyond the requested size, ERROR outside the usable region or on a mixed range", () => {
  const d = dev(8 * MiB);
  assert.equal(d.plug(BASE, 2), VIRTIO_MEM_RESP_ACK);
  assert.equal(d.size, 4 * MiB);
  assert.equal(d.plug(BASE, 1), VIRTIO_MEM_RESP_ERROR);
  assert.equal(d.plug(BASE + 4 * MiB, 4), VIRTIO_MEM_RESP_NACK);
  assert.equal(d.plug(BASE + 512 * MiB, 1), VIRTIO_MEM_RESP_ERROR);
  assert.equal(d.unplug(BASE, 3), VIRTIO_MEM_RESP_ERROR);
  assert.equal(d.unplug(BASE + 2 * MiB, 1), VIRTIO_MEM_RESP_ACK);
  assert.equal(d.size, 2 * MiB);
  assert.equal(d.unplugAll(), VIRTIO_MEM_RESP_ACK);
  assert.equal(d.size, 0);
  assert.deepEqual(d.info().data["requested-size"], 8 * MiB);
});
