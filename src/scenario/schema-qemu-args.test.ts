/**
 * machine.extra_qemu_args read as CXL switch topologies: what it builds, and
 * each refusal with its place (the switch recordings in test/oracle/cxl/
 * cxl-probe97-* and cxl-probe98-* check what the machines then do).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MiB } from "../kernel/units.js";
import { parseCxlQemuArgs } from "./schema-qemu-args.js";
import { cxlBusIssues, cxlSwitchIssues, withSwitches } from "./schema-cxl-switch.js";
import type { CxlSpec } from "../machine/cxl-platform.js";

const CXL: CxlSpec = {
  host_bridges: [{ id: "cxl.1", bus_nr: 12 }],
  root_ports: [
    { id: "rp0", bus: "cxl.1", port: 0 },
    { id: "rp1", bus: "cxl.1", port: 1 },
  ],
  type3: [{ id: "direct", bus: "rp1", size: 512 * MiB }],
  windows: [{ targets: ["cxl.1"], size: 4096 * MiB }],
};

const SWITCH = [
  "-device", "cxl-upstream,bus=rp0,id=us0",
  "-device", "cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4",
  "-device", "cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5",
  "-object", "memory-backend-file,id=pm0,mem-path=/dev/shm/x.img,size=512M,share=on",
  "-object", "memory-backend-file,id=lsa0,mem-path=/dev/shm/l.img,size=256K,share=on",
  "-device", "cxl-type3,bus=swport0,persistent-memdev=pm0,lsa=lsa0,id=dev0,sn=0x11",
  "-object", "memory-backend-ram,id=vm1,size=1G",
  "-device", "cxl-type3,bus=swport1,volatile-memdev=vm1,id=dev1",
];

function issues(cxl: CxlSpec | undefined, args: unknown): string[] {
  const out: string[] = [];
  cxlSwitchIssues(cxl, args, (path, message) => out.push(`${path.join(".")}: ${message}`));
  return out;
}

test("a switch with two downstream ports and a device on each: the switch, its ports in order, the devices after machine.cxl's", () => {
  assert.deepEqual(issues(CXL, SWITCH), []);
  const spec = withSwitches(CXL, SWITCH)!;
  assert.deepEqual(spec.switches, [{ id: "us0", bus: "rp0", downstream: [{ id: "swport0", port: 0, chassis: 0, slot: 4 }, { id: "swport1", port: 1, chassis: 0, slot: 5 }] }]);
  assert.deepEqual(spec.type3, [
    { id: "direct", bus: "rp1", size: 512 * MiB },
    { id: "dev0", bus: "swport0", size: 512 * MiB, lsa_size: 256 * 1024, sn: 0x11 },
    { id: "dev1", bus: "swport1", size: 1024 * MiB, volatile: true },
  ]);
  // No CXL device in the arguments: the machine is unchanged.
  assert.equal(withSwitches(CXL, ["-object", "memory-backend-ram,id=x,size=1G"]), CXL);
  assert.equal(parseCxlQemuArgs(undefined, () => assert.fail()), null);
});

test("refusals name the argument: other flags and devices, a missing value, a device without its backend, sizes, ports given twice", () => {
  const one = (args: unknown) => issues(CXL, args);
  assert.deepEqual(one(["-m", "4G"]), ['extra_qemu_args.0: memhp reads -device and -object arguments here (CXL switches and their devices), not "-m"']);
  assert.deepEqual(one(["-device"]), ["extra_qemu_args.0: -device needs a value"]);
  assert.deepEqual(one("-device x"), ["extra_qemu_args: expected a list of QEMU arguments (strings)"]);
  assert.deepEqual(one(["-device", "e1000,id=n0,bus=pcie.0"]), ["extra_qemu_args.1: device e1000 is not modelled here (cxl-upstream, cxl-downstream, cxl-type3 are)"]);
  assert.deepEqual(one(["-device", "cxl-upstream,bus=rp0,id=us0,multifunction=on", "-device", "cxl-downstream,port=0,bus=us0,id=d0"]), [
    "extra_qemu_args.1: cxl-upstream property multifunction is not modelled (bus, id, sn are)",
  ]);
  const typeArgs = (dev: string, obj = "memory-backend-ram,id=m,size=300M") => ["-device", "cxl-upstream,bus=rp0,id=us0", "-device", "cxl-downstream,port=0,bus=us0,id=d0", "-object", obj, "-device", dev];
  assert.deepEqual(one(typeArgs("cxl-type3,bus=d0,id=t,volatile-memdev=m")), ["extra_qemu_args.7: the device's size must be a non-zero multiple of 256M (CXL decoders map 256 MiB units), got 300M"]);
  assert.deepEqual(one(typeArgs("cxl-type3,bus=d0,id=t,volatile-memdev=nope")), ['extra_qemu_args.7: no memory backend "nope" (give it with -object before)']);
  assert.deepEqual(one(typeArgs("cxl-type3,bus=d0,id=t")), ["extra_qemu_args.7: cxl-type3 needs one backend: volatile-memdev= or persistent-memdev= (memdev= on QEMU 7.2); memhp models a device of one kind"]);
  assert.deepEqual(one(["-device", "cxl-upstream,bus=rp0,id=us0", "-device", "cxl-downstream,port=0,bus=us0,id=a", "-device", "cxl-downstream,port=0,bus=us0,id=b"]), ['extra_qemu_args.5: port 0 is already a downstream port of "us0"']);
});

test("the switch must sit on a free root port of machine.cxl, have a downstream port, and machine.cxl must be there", () => {
  assert.deepEqual(issues(undefined, SWITCH), ["extra_qemu_args: CXL switch devices need machine.cxl (the host bridge, the root port the switch sits on, a window)"]);
  assert.deepEqual(issues(CXL, ["-device", "cxl-upstream,bus=rp1,id=us0", "-device", "cxl-downstream,port=0,bus=us0,id=d0"]), ['extra_qemu_args: cxl-upstream "us0": root port "rp1" already has a device']);
  assert.deepEqual(issues(CXL, ["-device", "cxl-upstream,bus=rp7,id=us0", "-device", "cxl-downstream,port=0,bus=us0,id=d0"]), ['extra_qemu_args: cxl-upstream "us0": bus "rp7" is not a root port of machine.cxl or a cxl-downstream port given before it']);
  assert.deepEqual(issues(CXL, ["-device", "cxl-upstream,bus=rp0,id=us0"]), ['extra_qemu_args: cxl-upstream "us0" has no cxl-downstream port']);
  assert.deepEqual(issues(CXL, ["-device", "cxl-upstream,bus=rp0,id=direct", "-device", "cxl-downstream,port=0,bus=direct,id=d0"]), ['extra_qemu_args: duplicate device id "direct" (also in machine.cxl)']);
});

test("a switch below a switch: on a downstream port given before it, free of a device", () => {
  const nested = ["-device", "cxl-upstream,bus=rp0,id=us0", "-device", "cxl-downstream,port=0,bus=us0,id=a", "-device", "cxl-upstream,bus=a,id=us1", "-device", "cxl-downstream,port=0,bus=us1,id=b"];
  assert.deepEqual(issues(CXL, nested), []);
  assert.deepEqual(withSwitches(CXL, nested)!.switches, [
    { id: "us0", bus: "rp0", downstream: [{ id: "a", port: 0 }] },
    { id: "us1", bus: "a", downstream: [{ id: "b", port: 0 }] },
  ]);
  const withDevice = [...nested.slice(0, 4), "-object", "memory-backend-ram,id=m,size=256M", "-device", "cxl-type3,bus=a,volatile-memdev=m,id=t", ...nested.slice(4)];
  assert.deepEqual(issues(CXL, withDevice), ['extra_qemu_args: cxl-upstream "us1": downstream port "a" already has a device']);
});

test("bus numbers and slots QEMU and SeaBIOS cannot give: past bus 255, into the next host bridge, more than 32 ports on a bus", () => {
  const bus = (cxl: CxlSpec) => {
    const out: string[] = [];
    cxlBusIssues(cxl, (path, message) => out.push(`${path.join(".")}: ${message}`));
    return out;
  };
  const spec = withSwitches(CXL, SWITCH)!;
  // rp0 13, the switch 14, its ports 15 and 16, rp1 17.
  assert.deepEqual(bus(spec), []);
  assert.deepEqual(bus({ ...spec, host_bridges: [{ id: "cxl.1", bus_nr: 250 }] }), []);
  assert.deepEqual(bus({ ...spec, host_bridges: [{ id: "cxl.1", bus_nr: 251 }] }), ['cxl.host_bridges.0.bus_nr: the buses behind host bridge "cxl.1" (bus_nr 251) would run to 256, past bus 255: give it a lower bus_nr']);
  const two = { ...spec, host_bridges: [{ id: "cxl.1", bus_nr: 12 }, { id: "cxl.2", bus_nr: 17 }] };
  assert.deepEqual(bus(two), ['cxl.host_bridges.0.bus_nr: the buses behind host bridge "cxl.1" (bus_nr 12) would run to 17, into host bridge "cxl.2"\'s bus_nr 17: leave room between them']);
  const wide = { ...spec, switches: [{ ...spec.switches![0], downstream: Array.from({ length: 33 }, (_, i) => ({ id: `p${i}`, port: i })) }] };
  assert.deepEqual(bus(wide), ['extra_qemu_args: cxl-upstream "us0" has 33 cxl-downstream ports: QEMU has no slot for more than 32 on its bus']);
});
