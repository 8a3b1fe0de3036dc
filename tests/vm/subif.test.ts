// Sub-interfaces on a real kernel with 802.1Q (runs inside the test VM,
// tests/vm/README.md, scripts/vm/run.sh; this machine's kernel has no VLANs).
// A VLAN 100 and a QinQ 200.300 (802.1ad outer) created with `ip` on a proxy:
// SUBIF_ADD to the root's port, then the sub-interface's address, route and
// neighbour on the port the option's callback named, and its deletion; the
// same with the VLANs created before listen(). Kept simple: every step waits
// for the event it causes (TCG runs Node several times slower: long timeouts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventType, type IfpxEvent, type SubinterfaceInfo } from "../../host/index.js";
import { withNetns, type Netns } from "../integration/helpers/netns.js";
import { Collector } from "../integration/helpers/collector.js";
import { spawn } from "node:child_process";
import { join } from "node:path";

const T = 30_000;
const ROOT_PORT = 1;
// every type: Collector's default (ALL_TYPES) stops at END, before SUBIF_ADD/DEL
const TYPES = Object.values(EventType);
// the sub-port of each VLAN: its innermost id
const portOf = (s: SubinterfaceInfo) => s.vlanId;

function topology(ns: Netns): void {
  ns.ip("link", "add", "dp0", "type", "veth", "peer", "name", "dp0p");
  ns.ip("link", "set", "dp0", "up");
  ns.ip("link", "set", "dp0p", "up");
}
function createVlans(ns: Netns): void {
  ns.ip("link", "add", "link", "dp0", "name", "dp0.100", "type", "vlan", "id", "100");
  ns.ip("link", "add", "link", "dp0", "name", "dp0.200", "type", "vlan", "proto", "802.1ad", "id", "200");
  ns.ip("link", "add", "link", "dp0.200", "name", "dp0.200.300", "type", "vlan", "id", "300");
  for (const l of ["dp0.100", "dp0.200", "dp0.200.300"]) ns.ip("link", "set", l, "up");
}
const ifindexOf = (ns: Netns, name: string) => Number(JSON.parse(ns.ip("-j", "link", "show", name))[0].ifindex);

/** address, route and neighbour on each sub-interface, and their events on its sub-port */
async function configure(ns: Netns, c: Collector): Promise<void> {
  ns.ip("addr", "add", "198.51.100.1/24", "dev", "dp0.100");
  ns.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.2", "dev", "dp0.100");
  ns.ip("neigh", "add", "198.51.100.2", "lladdr", "02:00:00:00:01:02", "dev", "dp0.100");
  ns.ip("addr", "add", "192.0.2.1/24", "dev", "dp0.200.300");
  ns.ip("route", "add", "10.30.0.0/16", "via", "192.0.2.2", "dev", "dp0.200.300");
  ns.ip("neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:03:02", "dev", "dp0.200.300");
  await c.waitFor([
    { type: "ADDR_ADD", portId: 100, ip: "198.51.100.1" },
    { type: "ROUTE_ADD", portId: 100, ip: "203.0.113.0", gateway: "198.51.100.2" },
    { type: "NEIGH_ADD", portId: 100, ip: "198.51.100.2", mac: "02:00:00:00:01:02" },
    { type: "ADDR_ADD", portId: 300, ip: "192.0.2.1" },
    { type: "ROUTE_ADD", portId: 300, ip: "10.30.0.0", gateway: "192.0.2.2" },
    { type: "NEIGH_ADD", portId: 300, ip: "192.0.2.2", mac: "02:00:00:00:03:02" },
  ], T);
}

function checkAnnounced(ns: Netns, c: Collector, ifpx: Ifpx, root: number, initial: boolean): void {
  const adds = c.events.filter((e): e is Extract<IfpxEvent, { type: "SUBIF_ADD" }> => e.type === "SUBIF_ADD");
  const byName = new Map(adds.map((e) => [e.name, e]));
  const v100 = byName.get("dp0.100")!, s200 = byName.get("dp0.200")!, q300 = byName.get("dp0.200.300")!;
  assert.ok(v100 && s200 && q300, `SUBIF_ADD for each: ${JSON.stringify(adds.map((e) => [e.name, e.portId, e.proxyId]))}`);
  for (const e of [v100, s200, q300]) {
    assert.is(e.portId, ROOT_PORT);
    assert.is(e.rootProxy, root);
    assert.is(e.ifindex, ifindexOf(ns, e.name));
    assert.is(!!(e.flags & 1), initial, `${e.name} flagged INITIAL: ${initial}`);
    assert.ok(ifpx.isProxy(e.proxyId));
  }
  assert.equal([v100.vlanId, v100.vlanProto, v100.outerVlanId, v100.parentProxy], [100, 0x8100, 0, root]);
  assert.equal([s200.vlanId, s200.vlanProto, s200.outerVlanId, s200.parentProxy], [200, 0x88a8, 0, root]);
  assert.equal([q300.vlanId, q300.vlanProto, q300.outerVlanId, q300.outerVlanProto, q300.parentProxy, q300.parentIfindex],
    [300, 0x8100, 200, 0x88a8, s200.proxyId, ifindexOf(ns, "dp0.200")]);
  assert.equal(ifpx.ports(v100.proxyId), [100]);
  assert.equal(ifpx.ports(q300.proxyId), [300]);
}

/** `configured`: dp0.100 has a route and a neighbour (configure()) besides its address */
async function deleteAll(ns: Netns, c: Collector, ifpx: Ifpx, configured: boolean): Promise<void> {
  const from = c.events.length;
  ns.ip("link", "del", "dp0.100");
  await c.waitFor([{ type: "SUBIF_DEL", portId: ROOT_PORT, name: "dp0.100" }, { type: "PROXY_GONE", portId: 100 }], T, from);
  const gone100 = c.events.slice(from).filter((e) => e.portId === 100).map((e) => e.type);
  for (const t of configured ? ["ADDR_DEL", "ROUTE_DEL", "NEIGH_DEL"] : ["ADDR_DEL"]) assert.ok(gone100.includes(t), `dp0.100's ${t} before PROXY_GONE`);
  assert.is(gone100.at(-1), "PROXY_GONE");
  // deleting the outer VLAN deletes the inner one with it
  const from2 = c.events.length;
  ns.ip("link", "del", "dp0.200");
  const [inner, outer] = await c.waitFor([
    { type: "SUBIF_DEL", portId: ROOT_PORT, name: "dp0.200.300" }, { type: "SUBIF_DEL", portId: ROOT_PORT, name: "dp0.200" },
    { type: "PROXY_GONE", portId: 300 },
  ], T, from2);
  assert.ok(c.events.indexOf(inner) < c.events.indexOf(outer), "the inner sub-interface goes first");
  assert.ok(!ifpx.isProxy(inner.proxyId) && !ifpx.isProxy(outer.proxyId), "the registry forgot them");
}

test("VLAN 100 and QinQ 200.300 created on a proxy while listening", () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  topology(ns);
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e), subinterfaces: { port: portOf } });
  try {
    const root = ifpx.adoptProxy("dp0");
    ifpx.bind(ROOT_PORT, root);
    const c = new Collector();
    c.attach(ifpx, TYPES);
    await ifpx.listen();
    createVlans(ns);
    await c.waitFor([{ type: "PORT_DONE", portId: 100 }, { type: "PORT_DONE", portId: 200 }, { type: "PORT_DONE", portId: 300 }], T);
    checkAnnounced(ns, c, ifpx, root, false);
    await configure(ns, c);
    await deleteAll(ns, c, ifpx, true);
    assert.equal(errors, []);
  } finally {
    await ifpx.dispose();
  }
}));

test("VLAN 100 and QinQ 200.300 created and configured before listen(): in the initial state", () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  topology(ns);
  createVlans(ns);
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e), subinterfaces: { port: portOf } });
  try {
    const root = ifpx.adoptProxy("dp0");
    ifpx.bind(ROOT_PORT, root);
    const c = new Collector();
    c.attach(ifpx, TYPES);
    ns.ip("addr", "add", "198.51.100.1/24", "dev", "dp0.100");
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "dp0.200.300");
    await ifpx.listen();
    await c.waitFor([{ type: "PORT_DONE", portId: 100 }, { type: "PORT_DONE", portId: 300 }], T);
    checkAnnounced(ns, c, ifpx, root, true);
    const done100 = c.find({ type: "PORT_DONE", portId: 100 })!;
    const addr100 = c.find({ type: "ADDR_ADD", portId: 100, ip: "198.51.100.1" });
    assert.ok(addr100 && (addr100.flags & 1) && c.events.indexOf(addr100) < c.events.indexOf(done100), "dp0.100's address before its PORT_DONE");
    assert.ok(c.find({ type: "ADDR_ADD", portId: 300, ip: "192.0.2.1" }), "dp0.200.300's address");
    await deleteAll(ns, c, ifpx, false);
    assert.equal(errors, []);
  } finally {
    await ifpx.dispose();
  }
}));

test("ifpx watch --subinterfaces: SUBIF_ADD lines name the tags and the parent; the sub-interface's events on the next port", () => withNetns(async (ns) => {
  topology(ns);
  // the repository's directory (this file runs bundled elsewhere in the VM)
  const child = spawn(process.execPath, [join(process.cwd(), "dist/cli.js"), "watch", "--subinterfaces", "--netns", ns.name, "dp0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const until = async (what: string, re: RegExp) => {
    const end = Date.now() + T;
    while (!re.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`${what}: not seen; stdout:\n${out}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await until("CFG_DONE", /^CFG_DONE/m);
    ns.ip("link", "add", "link", "dp0", "name", "dp0.100", "type", "vlan", "id", "100");
    await until("SUBIF_ADD dp0.100", /^SUBIF_ADD +port 0 +proxy \d+ dp0\.100 vlan 100 \(802\.1Q\) on dp0$/m);
    ns.ip("link", "set", "dp0.100", "up");
    ns.ip("addr", "add", "198.51.100.1/24", "dev", "dp0.100");
    await until("dp0.100's address on port 1", /^ADDR_ADD +port 1 +198\.51\.100\.1\/24 scope global$/m);
    ns.ip("link", "add", "link", "dp0", "name", "dp0.200", "type", "vlan", "proto", "802.1ad", "id", "200");
    ns.ip("link", "add", "link", "dp0.200", "name", "dp0.200.300", "type", "vlan", "id", "300");
    await until("SUBIF_ADD dp0.200.300", /^SUBIF_ADD +port 0 +proxy \d+ dp0\.200\.300 vlan 200\.300 \(802\.1ad\/802\.1Q\) on dp0\.200$/m);
    ns.ip("link", "del", "dp0.100");
    await until("SUBIF_DEL dp0.100", /^SUBIF_DEL +port 0 +proxy \d+ dp0\.100 vlan 100 \(802\.1Q\) on dp0$/m);
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (c) => r(c))));
    assert.is(code, 0, err);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}));

test.run();
