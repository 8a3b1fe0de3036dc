// Sub-interfaces (option subinterfaces) through a whole Ifpx on the fake
// kernel: VLAN and QinQ devices on a proxy, their RTM_NEWLINK/DELLINK encoded
// as the kernel encodes them (helpers/rtnl-messages.ts), since this machine's
// kernel has no 802.1Q (the real-kernel tests are tests/vm/subif.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, type IfpxOptions, type SubinterfaceInfo } from "../../host/ifpx.ts";
import { EventType, decodeEvent, type IfpxEvent, type SubifEvent } from "../../host/record.ts";
import { formatEvent, formatEventBody } from "../../host/format.ts";
import { FakeKernel, ManualClock, ENOBUFS, restamp, fakePorts } from "./helpers/fake-kernel.ts";
import { T1, route4, concat, Core } from "./helpers/core.ts";
import { vlanLink, addr4, neigh4, RTM_DELLINK, RTM_DELADDR, NLM_F_MULTI, ETH_P_8021Q, ETH_P_8021AD } from "./helpers/rtnl-messages.ts";

const RTM_GETLINK = 18, RTM_GETADDR = 22;
const ROOT = 1, ROOT_PORT = 7, SUB_BASE = 0xf000;
const ports = fakePorts({ id: ROOT, ifindex: T1, name: "t1" });
const ip = (s: string) => s.split(".").reduce((a, x) => (a << 8) | Number(x), 0) >>> 0;
const V100 = { ifindex: 900, name: "t1.100", link: T1, id: 100 };
const V200 = { ifindex: 901, name: "t1.200", link: T1, id: 200, proto: ETH_P_8021AD };
const V300 = { ifindex: 902, name: "t1.200.300", link: 901, id: 300 };

function setup(subinterfaces: IfpxOptions["subinterfaces"], opts: { callbacks?: number[] } = {}) {
  const kernel = new FakeKernel(), clock = new ManualClock(), errors: unknown[] = [], events: IfpxEvent[] = [];
  const ifpx = new Ifpx({ ports, dumpThread: false, onError: (e) => errors.push(e), subinterfaces }, { openTransport: kernel.open, clock });
  kernel.attach((ifpx as unknown as { core: { bytes: Uint8Array; rxPtr: number } }).core);
  const proxy = ifpx.adoptProxy("net_tap_fake");
  ifpx.bind(ROOT_PORT, proxy);
  const types = opts.callbacks ?? Object.values(EventType);
  ifpx.registerCallbacks(types.map((type) => ({ type, callback: (e: IfpxEvent) => { events.push(e); } })));
  /** events for a port, as [type, flags] or with a projection */
  const of = (port: number) => events.filter((e) => e.portId === port);
  return { kernel, clock, ifpx, proxy, errors, events, of };
}
const turn = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 200 && !cond(); i++) await turn();
  assert.ok(cond(), what);
}
const subifs = (es: IfpxEvent[]) => es.filter((e): e is SubifEvent => e.type === "SUBIF_ADD" || e.type === "SUBIF_DEL");
const brief = (e: SubifEvent) => ({ type: e.type, proxy: e.proxyId, ifindex: e.ifindex, name: e.name, parent: e.parentProxy, root: e.rootProxy,
  parentIfindex: e.parentIfindex, vlan: e.vlanId, proto: e.vlanProto, outer: e.outerVlanId, outerProto: e.outerVlanProto, flags: e.flags });

// one datagram: the VLAN's creation and what follows it at once
const createV100 = () => concat([vlanLink(V100), addr4(900, ip("10.100.0.1"), 24, "t1.100"),
  route4(ip("10.200.0.0"), 16, ip("10.100.0.2"), 900, 24, 0x600), neigh4(900, ip("10.100.0.2"), "02:00:00:00:00:99")]);

test("VLAN on a proxy: SUBIF_ADD to the root's port, the callback's port gets its whole state (nothing of the same batch lost)", async () => {
  const given: SubinterfaceInfo[] = [];
  const { kernel, ifpx, of, errors } = setup({ port: (s) => { given.push(s); return 200; } });
  await ifpx.listen();
  kernel.push(createV100());
  await until(() => of(200).some((e) => e.type === "PORT_DONE"), "the sub-port's replay ended");
  const id = SUB_BASE;
  assert.equal(subifs(of(ROOT_PORT)).map(brief), [{ type: "SUBIF_ADD", proxy: id, ifindex: 900, name: "t1.100", parent: ROOT, root: ROOT,
    parentIfindex: T1, vlan: 100, proto: ETH_P_8021Q, outer: 0, outerProto: 0, flags: 0 }]);
  assert.equal(given, [{ proxyId: id, ifindex: 900, name: "t1.100", parentProxy: ROOT, rootProxy: ROOT, vlanId: 100, vlanProto: ETH_P_8021Q,
    outerVlanId: 0, outerVlanProto: 0 }]);
  assert.equal(of(200).map((e) => e.type), ["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE", "ADDR_ADD", "ROUTE_ADD", "NEIGH_ADD", "PORT_DONE"]);
  assert.ok(of(200).every((e) => e.proxyId === id && (e.type === "PORT_DONE" || e.ifindex === 900)));
  assert.ok(of(ROOT_PORT).every((e) => e.type === "SUBIF_ADD" || e.ifindex === T1), "the root port sees none of the VLAN's state");
  assert.ok(ifpx.isProxy(id));
  assert.equal(ifpx.ports(id), [200]);
  assert.is(ifpx.proxyOf(200), id);
  assert.equal({ name: ifpx.info(id).name, ifindex: ifpx.info(id).ifindex, mtu: ifpx.info(id).mtu }, { name: "t1.100", ifindex: 900, mtu: 1500 });
  assert.is(ifpx.addresses(id).length, 1);

  // live changes now go to the sub-port
  kernel.push(addr4(900, ip("10.100.1.1"), 24, "t1.100"));
  await until(() => of(200).filter((e) => e.type === "ADDR_ADD").length === 2, "live ADDR_ADD");
  assert.is((of(200).at(-1) as IfpxEvent).flags, 0);

  // deletion: the sub-port loses everything, then PROXY_GONE; the root port gets SUBIF_DEL
  kernel.push(vlanLink({ ...V100, up: false }), vlanLink({ ...V100, up: false }, RTM_DELLINK));
  await until(() => of(ROOT_PORT).some((e) => e.type === "SUBIF_DEL"), "SUBIF_DEL");
  const tail = of(200).slice(of(200).findIndex((e) => e.type === "LINK_CHANGE" && !(e as { isUp: boolean }).isUp));
  assert.equal(tail.map((e) => e.type).sort(), ["ADDR_DEL", "ADDR_DEL", "LINK_CHANGE", "NEIGH_DEL", "PROXY_GONE", "ROUTE_DEL"].sort());
  assert.is(tail.at(-1)!.type, "PROXY_GONE");
  assert.equal(subifs(of(ROOT_PORT)).map((e) => [e.type, e.proxyId, e.vlanId]), [["SUBIF_ADD", id, 100], ["SUBIF_DEL", id, 100]]);
  assert.is(ifpx.isProxy(id), false, "the registry forgot it");
  assert.is(ifpx.proxyOf(200), undefined);
  assert.equal(errors, []);
  await ifpx.dispose();
});

test("QinQ 200.300 (802.1ad outer): outer tag from the parent; parent and child deleted in the kernel's order", async () => {
  const given: SubinterfaceInfo[] = [];
  const { kernel, ifpx, of, errors } = setup({ port: (s) => { given.push(s); return s.vlanId; } });
  await ifpx.listen();
  kernel.push(concat([vlanLink(V200), vlanLink(V300), addr4(902, ip("10.30.0.1"), 24, "t1.200.300")]));
  await until(() => of(300).some((e) => e.type === "PORT_DONE"), "the QinQ port's replay");
  const outer = SUB_BASE, inner = SUB_BASE + 1;
  assert.equal(subifs(of(ROOT_PORT)).map(brief), [
    { type: "SUBIF_ADD", proxy: outer, ifindex: 901, name: "t1.200", parent: ROOT, root: ROOT, parentIfindex: T1, vlan: 200, proto: ETH_P_8021AD, outer: 0, outerProto: 0, flags: 0 },
    { type: "SUBIF_ADD", proxy: inner, ifindex: 902, name: "t1.200.300", parent: outer, root: ROOT, parentIfindex: 901, vlan: 300, proto: ETH_P_8021Q, outer: 200, outerProto: ETH_P_8021AD, flags: 0 },
  ]);
  assert.equal(given.map((g) => [g.proxyId, g.vlanId, g.outerVlanId]), [[outer, 200, 0], [inner, 300, 200]]);
  assert.equal(of(300).filter((e) => e.type === "ADDR_ADD").map((e) => (e as { ip: string }).ip), ["10.30.0.1"]);
  assert.equal(ifpx.ports(inner), [300]);
  assert.equal(ifpx.ports(outer), [200]);
  // a VLAN on the QinQ device (a third tag) is not followed
  kernel.push(vlanLink({ ifindex: 903, name: "t1.200.300.4", link: 902, id: 4 }), addr4(903, ip("10.40.0.1"), 24, "x"));
  for (let i = 0; i < 5; i++) await turn();
  assert.is(ifpx.isProxy(SUB_BASE + 2), false);
  assert.is(subifs(of(ROOT_PORT)).length, 2);
  // `ip link del t1.200`: the kernel deletes the child first (vlan_device_event
  // unregisters the VLANs of a device before that device's own RTM_DELLINK)
  kernel.push(vlanLink(V300, RTM_DELLINK), vlanLink(V200, RTM_DELLINK));
  await until(() => subifs(of(ROOT_PORT)).length === 4, "two SUBIF_DEL");
  assert.equal(subifs(of(ROOT_PORT)).slice(2).map((e) => [e.type, e.proxyId]), [["SUBIF_DEL", inner], ["SUBIF_DEL", outer]]);
  assert.equal(of(300).slice(-2).map((e) => e.type), ["ADDR_DEL", "PROXY_GONE"]);
  assert.equal(of(200).at(-1)!.type, "PROXY_GONE");
  assert.is(ifpx.isProxy(inner) || ifpx.isProxy(outer), false);
  assert.equal(errors, []);
  await ifpx.dispose();
});

test("a VLAN that exists before listen(), dumped before its parent: SUBIF_ADD flagged INITIAL, its addresses in the initial state", async () => {
  const { kernel, ifpx, of, events } = setup({ port: () => 100 });
  kernel.script = (type, seq) => {
    if (type === RTM_GETLINK) return [restamp(vlanLink(V100, undefined, NLM_F_MULTI), seq), ...kernel.fixtureDump(type, seq)];
    if (type === RTM_GETADDR) return [restamp(addr4(900, ip("10.100.0.1"), 24, "t1.100", undefined, NLM_F_MULTI), seq), ...kernel.fixtureDump(type, seq)];
    return undefined;
  };
  await ifpx.listen();
  await until(() => of(100).some((e) => e.type === "PORT_DONE"), "the sub-port's replay");
  const add = subifs(of(ROOT_PORT));
  assert.equal(add.map((e) => [e.type, e.vlanId, e.flags & 1]), [["SUBIF_ADD", 100, 1]]);
  const cfg = events.findIndex((e) => e.type === "CFG_DONE");
  assert.ok(cfg > 0 && events.indexOf(add[0]) < cfg, "reported in the initial state, before CFG_DONE");
  // bound during the dump: the address dump reaches the port at once, the
  // replay after the sync repeats it (Listener.lateBind: ADDs are upserts)
  assert.equal(of(100).map((e) => e.type), ["ADDR_ADD", "LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE", "ADDR_ADD", "PORT_DONE"]);
  assert.ok(of(100).every((e) => e.type === "PORT_DONE" || e.flags & 1), "all INITIAL");
  await ifpx.dispose();
});

test("a port bound to the root later, and a ring replay, get SUBIF_ADD (INITIAL) of its sub-interfaces", async () => {
  const { kernel, ifpx, of } = setup(true);
  await ifpx.listen();
  kernel.push(concat([vlanLink(V200), vlanLink(V300)]));
  await until(() => subifs(of(ROOT_PORT)).length === 2, "both announced");
  assert.equal(ifpx.ports(SUB_BASE), [], "no callback: bound to no port");
  ifpx.bind(8, ROOT);
  await until(() => of(8).some((e) => e.type === "PORT_DONE"), "late bind replay");
  assert.equal(subifs(of(8)).map((e) => [e.type, e.proxyId, e.flags & 1]), [["SUBIF_ADD", SUB_BASE, 1], ["SUBIF_ADD", SUB_BASE + 1, 1]]);
  assert.ok(of(8).every((e) => e.type === "PORT_DONE" || e.type.startsWith("SUBIF") || e.ifindex === T1));
  // the application binds a sub-interface itself: its state replays to that port
  ifpx.bind(30, SUB_BASE + 1);
  await until(() => of(30).some((e) => e.type === "PORT_DONE"), "sub-port replay");
  assert.equal(of(30).map((e) => e.type), ["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE", "PORT_DONE"]);
  // ring replay: SUBIF_ADD of each before that sub-interface's own state
  const q = ifpx.createQueue({ slots: 1024 });
  ifpx.queueAdd(q);
  ifpx.unregisterAllCallbacks();
  await ifpx.replayInto(q);
  const reader = q.reader();
  const got: IfpxEvent[] = [];
  for (let e = reader.dequeueEvents(256); e.length; e = reader.dequeueEvents(256)) got.push(...e);
  const seq = got.filter((e) => e.proxyId === SUB_BASE + 1 || e.type === "SUBIF_ADD").map((e) => [e.type, e.portId, e.proxyId]);
  assert.equal(seq.slice(0, 4), [
    ["SUBIF_ADD", ROOT_PORT, SUB_BASE], ["SUBIF_ADD", 8, SUB_BASE],
    ["SUBIF_ADD", ROOT_PORT, SUB_BASE + 1], ["SUBIF_ADD", 8, SUB_BASE + 1],
  ]);
  assert.equal(seq.slice(4).map((x) => x[0]), ["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE"]);
  assert.ok(got.filter((e) => e.type === "SUBIF_ADD").every((e) => e.flags & 1));
  await ifpx.dispose();
});

test("a resync that no longer finds the VLAN: SUBIF_DEL flagged RESYNC, the registry forgets it", async () => {
  const { kernel, ifpx, of } = setup({ port: () => 100 });
  await ifpx.listen();
  kernel.push(createV100());
  await until(() => of(100).some((e) => e.type === "PORT_DONE"), "bound");
  kernel.push({ errno: ENOBUFS });
  await until(() => subifs(of(ROOT_PORT)).length === 2, "swept");
  assert.equal(subifs(of(ROOT_PORT)).map((e) => [e.type, e.flags & 8]), [["SUBIF_ADD", 0], ["SUBIF_DEL", 8]]);
  assert.is(of(100).at(-1)!.type, "PROXY_GONE");
  await until(() => !ifpx.isProxy(SUB_BASE), "forgotten");
  await ifpx.dispose();
});

test("not made proxies: option off, a VLAN whose lower device is in another namespace, a macvlan, a VLAN on a non-proxy", async () => {
  const off = setup(undefined);
  await off.ifpx.listen();
  const before = off.ifpx.stats().core.filtered;
  off.kernel.push(createV100());
  await until(() => off.ifpx.stats().core.filtered >= before + 4, "filtered");
  assert.is(off.ifpx.isProxy(SUB_BASE), false);
  assert.equal(subifs(off.events), []);
  await off.ifpx.dispose();

  const on = setup(true);
  await on.ifpx.listen();
  const f0 = on.ifpx.stats().core.filtered;
  on.kernel.push(concat([
    vlanLink({ ...V100, linkNetnsid: 3 }), // IFLA_LINK is T1's number in another namespace
    vlanLink({ ifindex: 905, name: "mv0", link: T1, id: 0, kind: "macvlan" }),
    vlanLink({ ifindex: 906, name: "x.5", link: 4242, id: 5 }),
  ]));
  await until(() => on.ifpx.stats().core.filtered >= f0 + 3, "filtered");
  assert.equal(subifs(on.events), []);
  assert.is(on.ifpx.isProxy(SUB_BASE), false);
  await on.ifpx.dispose();
});

test("SUBIF records are not wanted (no callback, no queue): the sub-interface is still followed and handed to port()", async () => {
  const { kernel, ifpx, of } = setup({ port: () => 100 }, { callbacks: [EventType.ADDR_ADD, EventType.PORT_DONE] });
  await ifpx.listen();
  kernel.push(createV100());
  await until(() => of(100).some((e) => e.type === "PORT_DONE"), "bound and replayed");
  assert.equal(of(100).map((e) => e.type), ["ADDR_ADD", "PORT_DONE"]);
  assert.ok(ifpx.isProxy(SUB_BASE));
  await ifpx.dispose();
});

test("a throwing port() or an invalid port goes to onError; the sub-interface stays a proxy", async () => {
  const { kernel, ifpx, errors } = setup({ port: (s) => { if (s.vlanId === 200) throw new Error("boom"); return ROOT; } });
  await ifpx.listen();
  kernel.push(concat([vlanLink(V200), vlanLink(V300)]));
  await until(() => errors.length === 2, "two errors");
  assert.match(String(errors[0]), /boom/);
  assert.match(String(errors[1]), /is a proxy/);
  assert.ok(ifpx.isProxy(SUB_BASE) && ifpx.isProxy(SUB_BASE + 1));
  await ifpx.dispose();
});

test("watch's human line: tags outer first, their protocols, the parent by name when known", () => {
  const base = { typeId: 22, portId: 0, flags: 0, family: 0, seq: 1, parentProxy: 1, rootProxy: 1, parentIfindex: 3 };
  const v100 = { ...base, type: "SUBIF_ADD", proxyId: 61440, ifindex: 900, name: "dp0.100", vlanId: 100, vlanProto: 0x8100, outerVlanId: 0, outerVlanProto: 0 } as IfpxEvent;
  assert.is(formatEvent(v100, "dp0"), "SUBIF_ADD    port 0     proxy 61440 dp0.100 vlan 100 (802.1Q) on dp0");
  assert.is(formatEvent(v100), "SUBIF_ADD    port 0     proxy 61440 dp0.100 vlan 100 (802.1Q) on ifindex 3");
  const qinq = { ...base, type: "SUBIF_DEL", proxyId: 61442, ifindex: 902, name: "dp0.200.300", parentProxy: 61441, parentIfindex: 901,
    vlanId: 300, vlanProto: 0x8100, outerVlanId: 200, outerVlanProto: 0x88a8, flags: 8 } as IfpxEvent;
  assert.is(formatEvent(qinq, "dp0.200"), "SUBIF_DEL    port 0     proxy 61442 dp0.200.300 vlan 200.300 (802.1ad/802.1Q) on dp0.200 [resync]");
  assert.is(formatEventBody({ ...v100, vlanProto: 0x9100 } as IfpxEvent), "proxy 61440 dp0.100 vlan 100 (0x9100) on ifindex 3");
});

test("the core alone: ids skip bound ports and go round robin; a full proxy table filters; subif_next/subif_info", () => {
  const c = new Core();
  c.x.proxy_add(1, T1);
  c.x.set_wanted(0xffffffff);
  assert.is(c.x.subif_next(-1), -1);
  c.feed(vlanLink(V100));
  assert.is(c.x.subif_next(-1), -1, "option off: nothing made");
  c.x.set_subinterfaces(1);
  c.x.port_bind(SUB_BASE, 1); // an application port with the first sub-interface id
  const before = c.x.subif_changes();
  c.feed(vlanLink(V100));
  assert.is(c.x.subif_next(-1), SUB_BASE + 1, "the bound port's id skipped");
  assert.is(c.x.subif_next(SUB_BASE + 1), -1);
  assert.is(c.x.subif_changes(), before + 1);
  assert.is(c.x.subif_info(1), 0, "a plain proxy is no sub-interface");
  assert.is(c.x.subif_info(SUB_BASE), 0);
  const rec = decodeEvent(new DataView(c.buf as ArrayBuffer), c.x.subif_info(SUB_BASE + 1) >>> 0) as SubifEvent;
  assert.equal([rec.type, rec.proxyId, rec.ifindex, rec.name, rec.vlanId, rec.parentIfindex], ["SUBIF_ADD", SUB_BASE + 1, 900, "t1.100", 100, T1]);
  c.feed(vlanLink(V100, RTM_DELLINK));
  assert.is(c.x.subif_next(-1), -1, "freed");
  assert.is(c.x.is_proxy(SUB_BASE + 1), 0);
  assert.is(c.x.subif_changes(), before + 2);
  c.feed(vlanLink(V100));
  assert.is(c.x.subif_next(-1), SUB_BASE + 2, "not the id just freed");
  // the proxy table full (256 slots): a further VLAN stays filtered
  for (let i = 0; c.x.proxy_add(0x100 + i, 2000 + i) === 0; i++);
  const filtered = c.stats().filtered;
  c.feed(vlanLink({ ifindex: 901, name: "t1.101", link: T1, id: 101 }));
  assert.is(c.stats().filtered, filtered + 1);
});

test("option check", () => {
  assert.throws(() => new Ifpx({ subinterfaces: 1 as unknown as boolean }), /subinterfaces must be/);
  assert.throws(() => new Ifpx({ subinterfaces: { port: 5 as unknown as () => number } }), /subinterfaces.port must be a function/);
});

test.run();
