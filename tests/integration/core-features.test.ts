// The event model beyond the upstream test, on a real kernel: initial link
// state, 1-to-many bindings, unbind, late binding, default and multipath
// routes, NLM_F_REPLACE, prefix lengths, deletion of a proxy interface, and
// callbacks that call back into the library.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, IfpxError, EventType, EventFlag, type IfpxEvent } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";
import { twoProxies } from "./helpers/proxies.js";

async function session(fn: (ns: Netns, ifpx: Ifpx, c: Collector) => Promise<void>) {
  await withNetns(async (ns) => {
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
    const c = new Collector();
    try { await fn(ns, ifpx, c); } finally { await ifpx.dispose(); }
  });
}

test("initial link state, MTU and MAC are reported at listen, before CFG_DONE", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "prx0" });
  ns.ip("link", "set", "prx0", "up", "mtu", "1400");
  ifpx.bind(1, p);
  c.attach(ifpx);
  await ifpx.listen();
  const done = c.events.findIndex((e) => e.type === "CFG_DONE");
  const link = c.events.findIndex((e) => e.type === "LINK_CHANGE");
  assert.ok(link >= 0 && link < done, "LINK_CHANGE before CFG_DONE");
  const l = c.events[link] as Extract<IfpxEvent, { type: "LINK_CHANGE" }>;
  assert.is(l.isUp, true);
  assert.is(l.carrier, true, "the library holds the tap's fd, so it has carrier");
  assert.ok(l.flags & EventFlag.INITIAL);
  assert.ok(c.find({ type: "MTU_CHANGE", mtu: 1400, portId: 1 }));
  assert.ok(c.find({ type: "MAC_CHANGE", mac: ifpx.info(p).mac, portId: 1 }));
  assert.is(c.events.filter((e) => e.type === "CFG_DONE").length, 1);
}));

test("one proxy, two ports: one copy per port; portsOf count semantics; unbind", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(1, p);
  ifpx.bind(2, p);
  assert.is(ifpx.portsOf(p), 2);
  const out = new Uint16Array(1);
  assert.is(ifpx.portsOf(p, out), 2, "returns the total even when out is smaller");
  assert.ok(out[0] === 1 || out[0] === 2);
  assert.equal(ifpx.ports(p).sort(), [1, 2]);
  assert.is(ifpx.proxyOf(2), p);
  c.attach(ifpx);
  // asking for the ports from inside a callback must not disturb the records still to deliver
  ifpx.registerCallbacks([{ type: EventType.ADDR_ADD, callback: (e) => { assert.equal(ifpx.ports(p).sort(), [1, 2]); c.push(e); return true; } }]);
  await ifpx.listen();
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
  const [a1, a2] = await c.waitFor([{ type: "ADDR_ADD", portId: 1 }, { type: "ADDR_ADD", portId: 2 }]);
  assert.is(a1.seq, a2.seq, "copies of one observation share its sequence number");
  assert.is((a1 as any).prefixLen, 24);
  ifpx.unbind(2);
  assert.is(ifpx.proxyOf(2), undefined);
  try { ifpx.unbind(2); assert.unreachable(); } catch (e) { assert.is((e as IfpxError).code, "ENOENT"); }
  const from = c.events.length;
  ns.ip("addr", "del", "198.51.100.14/24", "dev", "prx0");
  await c.waitFor([{ type: "ADDR_DEL", portId: 1 }], 2000, from);
  await sleep(100);
  assert.not.ok(c.find({ type: "ADDR_DEL", portId: 2 }, from), "an unbound port gets nothing");
}));

test("late binding replays addresses, routes and neighbours, then PORT_DONE", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "prx0" });
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
  ns.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "prx0");
  ns.ip("neigh", "add", "198.51.100.1", "dev", "prx0", "lladdr", "02:00:00:00:00:01", "nud", "permanent");
  c.attach(ifpx);
  await ifpx.listen();
  assert.not.ok(c.find({ type: "ADDR_ADD" }), "nothing is bound yet");
  ifpx.bind(5, p);
  await c.waitFor([
    { type: "LINK_CHANGE", portId: 5, isUp: true },
    { type: "ADDR_ADD", portId: 5, ip: "198.51.100.14", prefixLen: 24 },
    { type: "ROUTE_ADD", portId: 5, ip: "203.0.113.0", depth: 24, gateway: "198.51.100.1" },
    { type: "NEIGH_ADD", portId: 5, ip: "198.51.100.1", mac: "02:00:00:00:00:01" },
    { type: "PORT_DONE", portId: 5 },
  ]);
  const doneAt = c.events.findIndex((e) => e.type === "PORT_DONE");
  assert.ok(c.events.slice(0, doneAt).some((e) => e.type === "ROUTE_ADD"), "state before PORT_DONE");
}));

test("default routes (IPv4 and IPv6) and address prefix lengths", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(1, p);
  c.attach(ifpx);
  await ifpx.listen();
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
  ns.ip("-6", "addr", "add", "2001:db8::14/64", "dev", "prx0", "nodad");
  ns.ip("route", "add", "default", "via", "198.51.100.1", "dev", "prx0");
  ns.ip("-6", "route", "add", "default", "via", "2001:db8::1", "dev", "prx0");
  await c.waitFor([
    { type: "ADDR_ADD", ip: "198.51.100.14", prefixLen: 24 },
    { type: "ADDR6_ADD", ip: "2001:db8::14", prefixLen: 64 },
    { type: "ROUTE_ADD", ip: "0.0.0.0", depth: 0, gateway: "198.51.100.1", table: 254 },
    { type: "ROUTE6_ADD", ip: "::", depth: 0, gateway: "2001:db8::1" },
  ]);
  const local = c.find({ type: "ROUTE_ADD", ip: "198.51.100.14", depth: 32 })!;
  assert.ok(local.flags & EventFlag.LOCAL, "the kernel's local route is marked LOCAL");
  assert.is((local as any).table, 255);
}));

test("multipath route over two proxies: one event per next hop, to each proxy's port", () => session(async (ns, ifpx, c) => {
  const { a } = twoProxies(ns, ifpx, { a: ["198.51.100.2/24"], b: ["198.51.101.2/24"] });
  c.attach(ifpx);
  await ifpx.listen();
  ns.ip("route", "add", "203.0.113.0/24", "nexthop", "via", "198.51.100.1", "dev", "prxa", "weight", "1",
    "nexthop", "via", "198.51.101.1", "dev", "prxb", "weight", "3");
  const [ea, eb] = await c.waitFor([
    { type: "ROUTE_ADD", portId: 1, ip: "203.0.113.0", gateway: "198.51.100.1", weight: 1, nhCount: 2 },
    { type: "ROUTE_ADD", portId: 2, ip: "203.0.113.0", gateway: "198.51.101.1", weight: 3, nhCount: 2 },
  ]);
  assert.ok(ea.flags & EventFlag.MULTIPATH && eb.flags & EventFlag.MULTIPATH);
  // NLM_F_REPLACE: the route now goes only via prxb: port 1 loses it
  const from = c.events.length;
  ns.ip("route", "replace", "203.0.113.0/24", "via", "198.51.101.9", "dev", "prxb");
  await c.waitFor([
    { type: "ROUTE_DEL", portId: 1, ip: "203.0.113.0", gateway: "198.51.100.1" },
    { type: "ROUTE_ADD", portId: 2, ip: "203.0.113.0", gateway: "198.51.101.9" },
  ], 2000, from);
  const add = c.find({ type: "ROUTE_ADD", portId: 2, gateway: "198.51.101.9" }, from)!;
  assert.ok(add.flags & EventFlag.REPLACE);
  assert.is(ifpx.mirrorCount("route", a) >= 0, true);
}));

test("IPv6 multipath: one next hop deleted alone, the other is reported with its new next-hop count; a resync then finds no difference", () => session(async (ns, ifpx, c) => {
  const { a, b } = twoProxies(ns, ifpx, { a: ["2001:db8:a::1/64"], b: ["2001:db8:b::1/64"] });
  c.attach(ifpx);
  await ifpx.listen();
  ns.ip("-6", "route", "add", "2001:db8:100::/48", "nexthop", "via", "2001:db8:a::2", "dev", "prxa",
    "nexthop", "via", "2001:db8:b::2", "dev", "prxb");
  await c.waitFor([
    { type: "ROUTE6_ADD", portId: 1, ip: "2001:db8:100::", gateway: "2001:db8:a::2", nhCount: 2 },
    { type: "ROUTE6_ADD", portId: 2, ip: "2001:db8:100::", gateway: "2001:db8:b::2", nhCount: 2 },
  ]);
  // the kernel announces only the deleted sibling (RTM_DELROUTE via prxa)
  const from = c.events.length;
  ns.ip("-6", "route", "del", "2001:db8:100::/48", "via", "2001:db8:a::2", "dev", "prxa");
  const [, left] = await c.waitFor([
    { type: "ROUTE6_DEL", portId: 1, ip: "2001:db8:100::", gateway: "2001:db8:a::2" },
    { type: "ROUTE6_ADD", portId: 2, ip: "2001:db8:100::", gateway: "2001:db8:b::2", nhCount: 1 },
  ], 2000, from);
  assert.ok(left.flags & EventFlag.REPLACE, "reported as a change");
  assert.not.ok(left.flags & EventFlag.MULTIPATH, "no longer multipath");
  assert.match(ns.ip("-6", "route", "show", "2001:db8:100::/48"), /^2001:db8:100::\/48 via 2001:db8:b::2 dev prxb/);
  const mirrored = ifpx.routes(b).filter((r: any) => r.ip === "2001:db8:100::");
  assert.equal(mirrored.map((r: any) => [r.gateway, r.nhCount]), [["2001:db8:b::2", 1]]);
  assert.is(ifpx.routes(a).filter((r: any) => r.ip === "2001:db8:100::").length, 0);
  // a fresh dump agrees with the mirror: no route added, removed or changed
  const at = c.events.length;
  ifpx.resync();
  const [done] = await c.waitFor([{ type: "RESYNC_DONE" }], 3000, at);
  const routeDiffs = c.events.slice(at).filter((e) => e.type.startsWith("ROUTE"));
  assert.equal(routeDiffs, [], "no route difference");
  assert.is((done as any).changed, 0);
}));

test("IPv4 routes via IPv6 gateways (RFC 5549, as FRR installs BGP unnumbered routes): the gateway is reported, flagged GATEWAY6", () => session(async (ns, ifpx, c) => {
  twoProxies(ns, ifpx);
  c.attach(ifpx);
  await ifpx.listen();
  ns.ip("route", "add", "203.0.113.0/24", "via", "inet6", "fe80::1", "dev", "prxa");
  ns.ip("route", "add", "203.0.114.0/24", "nexthop", "via", "inet6", "fe80::2", "dev", "prxa", "nexthop", "via", "inet6", "fe80::3", "dev", "prxb");
  const [one, a, b] = await c.waitFor([
    { type: "ROUTE_ADD", portId: 1, ip: "203.0.113.0", gateway: "fe80::1" },
    { type: "ROUTE_ADD", portId: 1, ip: "203.0.114.0", gateway: "fe80::2", nhCount: 2 },
    { type: "ROUTE_ADD", portId: 2, ip: "203.0.114.0", gateway: "fe80::3", nhCount: 2 },
  ]) as any[];
  for (const e of [one, a, b]) {
    assert.ok(e.flags & EventFlag.GATEWAY6);
    assert.is(e.gatewayNum, 0);
    assert.is(e.gatewayBytes.length, 16);
  }
  assert.equal(ifpx.routes().filter((r: any) => r.ip === "203.0.114.0").map((r: any) => r.gateway).sort(), ["fe80::2", "fe80::3"]);
  const from = c.events.length;
  ns.ip("route", "del", "203.0.113.0/24");
  await c.waitFor([{ type: "ROUTE_DEL", portId: 1, ip: "203.0.113.0", gateway: "fe80::1" }], 2000, from);
}));

test("ip link del of a proxy: DELs, then PROXY_GONE, and the binding is gone", () => session(async (ns, ifpx, c) => {
  ns.exec("ip", "tuntap", "add", "prxd", "mode", "tap");
  const p = ifpx.adoptProxy("prxd");
  ifpx.bind(3, p);
  ns.ip("link", "set", "prxd", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "prxd");
  c.attach(ifpx);
  await ifpx.listen();
  await c.waitFor([{ type: "ADDR_ADD", portId: 3 }]);
  const from = c.events.length;
  ns.ip("link", "del", "prxd");
  await c.waitFor([{ type: "ADDR_DEL", portId: 3 }, { type: "PROXY_GONE", portId: 3 }], 2000, from);
  await sleep(50);
  assert.is(ifpx.proxyOf(3), undefined, "bindings of a deleted proxy are reported gone");
}));

test("callbacks may destroy the proxy and unregister from inside; a throwing callback does not stop the listener", () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e) });
  try {
    const p = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(1, p);
    const c = new Collector();
    c.attach(ifpx);
    ifpx.registerCallbacks([{ type: EventType.MTU_CHANGE, callback: (e) => { c.push(e); if (!(e.flags & EventFlag.INITIAL)) throw new Error("boom"); return true; } }]);
    ifpx.registerCallbacks([{ type: EventType.ADDR_ADD, callback: (e) => { c.push(e); ifpx.destroyProxy(p); return true; } }]);
    await ifpx.listen();
    ns.ip("link", "set", "prx0", "mtu", "1300");
    await c.waitFor([{ type: "MTU_CHANGE", mtu: 1300 }]);
    await sleep(50);
    assert.is(errors.length, 1, "the throw was reported");
    ns.ip("link", "set", "prx0", "up");
    await c.waitFor([{ type: "LINK_CHANGE", isUp: true }]);
    ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
    await c.waitFor([{ type: "ADDR_ADD" }]);
    await sleep(100);
    assert.is(ifpx.isProxy(p), false, "destroyed from inside its own callback");
    assert.is(ifpx.proxyOf(1), undefined);
  } finally {
    await ifpx.dispose();
  }
}));

test("typed errors: bad ids, not a proxy, EBUSY, unknown interface, bad callbacks", () => session(async (ns, ifpx) => {
  const code = (f: () => unknown) => { try { f(); } catch (e) { assert.instance(e, IfpxError); return (e as IfpxError).code; } return "none"; };
  const p = ifpx.createProxy();
  assert.is(code(() => ifpx.bind(1, 4242)), "EINVAL");
  assert.is(code(() => ifpx.bind(-1, p)), "EINVAL");
  assert.is(code(() => ifpx.bind(1.5, p)), "EINVAL");
  assert.is(code(() => ifpx.bind(p, p)), "EINVAL");
  assert.is(code(() => ifpx.unbind(9)), "ENOENT");
  assert.is(code(() => ifpx.adoptProxy("nosuchif0")), "ENOENT");
  assert.is(code(() => ifpx.adoptProxy("bad name")), "EINVAL");
  assert.is(code(() => ifpx.createProxy({ name: "x".repeat(20) })), "EINVAL");
  assert.is(code(() => ifpx.createProxy({ name: "lo" })), "EEXIST");
  assert.is(code(() => ifpx.registerCallbacks([{ type: 99, callback: () => true }])), "EINVAL");
  assert.is(code(() => ifpx.registerCallbacks([{ type: 1, callback: 5 as any }])), "EINVAL");
  assert.is(code(() => ifpx.info(1234)), "EINVAL");
  assert.is(code(() => ifpx.destroyProxy(3)), "EINVAL");
  await ifpx.listen();
  try { await ifpx.listen(); assert.unreachable(); } catch (e) { assert.is((e as IfpxError).code, "EBUSY"); }
  const bad = new Ifpx({ netns: "ifpx-no-such-namespace" });
  assert.is(code(() => bad.createProxy()), "ENOENT");
  assert.ok(ns.name);
}));

test("families: [4] reads and follows IPv4 only", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name, families: [4] });
  try {
    const p = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(1, p);
    ns.ip("link", "set", "prx0", "up");
    ns.ip("-6", "addr", "add", "2001:db8::1/64", "dev", "prx0", "nodad");
    ns.ip("addr", "add", "198.51.100.1/24", "dev", "prx0");
    const c = new Collector();
    c.attach(ifpx);
    await ifpx.listen();
    assert.ok(c.find({ type: "ADDR_ADD", ip: "198.51.100.1" }), "IPv4 from the dump");
    assert.not.ok(c.find({ type: "ADDR6_ADD" }), "no IPv6 from the dump");
    ns.ip("-6", "route", "add", "2001:db8:1::/48", "dev", "prx0");
    ns.ip("route", "add", "203.0.113.0/24", "dev", "prx0");
    await c.waitFor([{ type: "ROUTE_ADD", ip: "203.0.113.0" }]);
    await sleep(100);
    assert.not.ok(c.find({ type: "ROUTE6_ADD" }), "no IPv6 notification");
    const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as IfpxError).code; } return "none"; };
    assert.is(code(() => new Ifpx({ families: [5 as any] })), "EINVAL");
    assert.is(code(() => new Ifpx({ families: [] })), "EINVAL");
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
