// Runs inside the test VM (tests/vm/README.md): its kernel has what this machine's kernel
// lacks. Proves that 802.1Q VLAN, 802.1ad QinQ and VRF devices can be made there in a
// namespace, and that ifpx (Node, koffi, the WASM core) runs on them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { Ifpx } from "../../host/index.js";
import { withNetns, type Netns } from "../integration/helpers/netns.js";
import { Collector } from "../integration/helpers/collector.js";

function links(ns: Netns): Map<string, any> {
  const all = JSON.parse(ns.ip("-d", "-j", "link", "show")) as any[];
  return new Map(all.map((l) => [l.ifname, l]));
}

// One `ip -batch` instead of a process per command: starting a process costs a lot under TCG.
function vlanTopology(ns: Netns): void {
  const lines = [
    "link add dp0 type veth peer name dp0p",
    "link add link dp0 name dp0.100 type vlan id 100",
    "link add link dp0 name dp0.200 type vlan proto 802.1ad id 200",
    "link add link dp0.200 name dp0.200.300 type vlan id 300",
    "link add vrf-blue type vrf table 10",
    "link set dp0 master vrf-blue",
    ...["dp0p", "dp0", "dp0.100", "dp0.200", "dp0.200.300", "vrf-blue"].map((l) => `link set ${l} up`),
  ];
  execFileSync("ip", ["-n", ns.name, "-batch", "-"], { input: lines.join("\n") + "\n", stdio: ["pipe", "ignore", "pipe"] });
}

test("in the VM's kernel: VLAN 100, QinQ 802.1ad 200 with 802.1Q 300 inside, VRF table 10 with dp0 enslaved", () => withNetns((ns) => {
  assert.is(process.env.IFPX_IN_VM, "1", "runs inside scripts/vm/run.sh");
  vlanTopology(ns);
  const l = links(ns);
  const v100 = l.get("dp0.100")!;
  assert.is(v100.linkinfo.info_kind, "vlan");
  assert.equal([v100.link, v100.linkinfo.info_data.protocol, v100.linkinfo.info_data.id], ["dp0", "802.1Q", 100]);
  const s200 = l.get("dp0.200")!;
  assert.equal([s200.link, s200.linkinfo.info_data.protocol, s200.linkinfo.info_data.id], ["dp0", "802.1ad", 200]);
  const c300 = l.get("dp0.200.300")!;
  assert.equal([c300.link, c300.linkinfo.info_data.protocol, c300.linkinfo.info_data.id], ["dp0.200", "802.1Q", 300]);
  const vrf = l.get("vrf-blue")!;
  assert.equal([vrf.linkinfo.info_kind, vrf.linkinfo.info_data.table], ["vrf", 10]);
  assert.is(l.get("dp0")!.master, "vrf-blue");
  assert.is(l.get("dp0")!.linkinfo.info_slave_kind, "vrf");
}));

test("ifpx in the VM: a VLAN sub-interface adopted as a proxy, its address and a route in the VRF's table 10", () => withNetns(async (ns) => {
  vlanTopology(ns);
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
  try {
    ifpx.bind(1, ifpx.adoptProxy("dp0.100"));
    ifpx.bind(2, ifpx.adoptProxy("dp0"));
    const c = new Collector();
    c.attach(ifpx);
    await ifpx.listen();
    ns.ip("addr", "add", "198.51.100.14/24", "dev", "dp0.100");
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "dp0");
    ns.ip("route", "add", "203.0.113.0/24", "via", "192.0.2.2", "dev", "dp0", "table", "10");
    // TCG runs Node several times slower than the host: generous timeouts
    await c.waitFor([
      { type: "ADDR_ADD", portId: 1, ip: "198.51.100.14" },
      { type: "ADDR_ADD", portId: 2, ip: "192.0.2.1" },
      { type: "ROUTE_ADD", portId: 2, ip: "203.0.113.0", table: 10, gateway: "192.0.2.2" },
    ], 20_000);
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
