import { test } from "node:test";
import assert from "node:assert/strict";
import { outcomeOf } from "./conformance.js";

test("a failed write whose errno the recorder could not name is compared by the message's strerror text", () => {
  // a64-probe56-uefi-2g-vm-128m-hwpoison-offline: the recorder knows no name for errno 133.
  const real = { path: "/sys/devices/system/memory/hard_offline_page", value: "0xc0201000", ok: false, errno: null, error: "dd: error writing '/sys/devices/system/memory/hard_offline_page': Memory page has hardware error" };
  assert.deepEqual(outcomeOf("write", real), { ok: false, errno: "EHWPOISON" });
  assert.deepEqual(outcomeOf("write", { ok: false, errno: null, error: "Bus error" }), { ok: false, errno: null }, "no strerror text: still unnamed");
  assert.deepEqual(outcomeOf("write", { ok: false, errno: "EBUSY", error: "…: Device or resource busy" }), { ok: false, errno: "EBUSY" });
});
