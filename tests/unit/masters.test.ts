// MASTER_CHANGE: a whole Ifpx on the fake kernel (helpers/fake-kernel.ts)
// fed RTM_NEWLINK/DELLINK built as rtnl_fill_ifinfo lays them out (IFLA_MASTER
// u32 among the link attributes; a VRF's IFLA_LINKINFO { IFLA_INFO_KIND "vrf",
// IFLA_INFO_DATA { IFLA_VRF_TABLE u32 } }; an enslaved device's IFLA_LINKINFO
// { IFLA_INFO_KIND of its own, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA }).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/ifpx.ts";
import { EventType, EventFlag, type IfpxEvent, type MasterChangeEvent } from "../../host/record.ts";
import { formatEvent } from "../../host/format.ts";
import { FakeKernel, ManualClock, doneMsg, restamp, NLM_F_MULTI, fakePorts } from "./helpers/fake-kernel.ts";
import { T1, attr, nlmsg, rtmsg, u32le, ip4be, concat } from "./helpers/core.ts";

const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_NEWROUTE = 24, RTM_GETROUTE = 26, AF_INET6 = 10;
const IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_MASTER = 10, IFLA_TXQLEN = 13,
  IFLA_OPERSTATE = 16, IFLA_LINKMODE = 17, IFLA_LINKINFO = 18, IFLA_GROUP = 27, IFLA_CARRIER = 33;
const IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, IFLA_INFO_SLAVE_KIND = 4, IFLA_INFO_SLAVE_DATA = 5;
const IFLA_VRF_TABLE = 1, IFLA_VRF_PORT_TABLE = 1;
const IFF_UP = 1, IFF_MASTER = 0x400, IFF_SLAVE = 0x800, IFF_LOWER_UP = 0x10000;

const str = (s: string) => new TextEncoder().encode(s + "\0");
const u8 = (v: number) => new Uint8Array([v]);

/** ifinfomsg: family AF_UNSPEC, type ARPHRD_ETHER */
function ifinfo(ifindex: number, flags: number): Uint8Array {
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  dv.setUint16(2, 1, true); dv.setInt32(4, ifindex, true); dv.setUint32(8, flags, true);
  return b;
}

/** a link message in rtnl_fill_ifinfo's attribute order */
function link(o: { ifindex: number; name: string; master?: number; linkinfo?: Uint8Array; type?: number; flags?: number }): Uint8Array {
  const attrs = [attr(IFLA_IFNAME, str(o.name)), attr(IFLA_TXQLEN, u32le(1000)), attr(IFLA_OPERSTATE, u8(6)),
    attr(IFLA_LINKMODE, u8(0)), attr(IFLA_MTU, u32le(1500)), attr(IFLA_GROUP, u32le(0))];
  if (o.master) attrs.push(attr(IFLA_MASTER, u32le(o.master)));
  attrs.push(attr(IFLA_CARRIER, u8(1)), attr(IFLA_ADDRESS, new Uint8Array([2, 0, 0, 0, 0, o.ifindex])),
    attr(IFLA_BROADCAST, new Uint8Array([255, 255, 255, 255, 255, 255])));
  if (o.linkinfo) attrs.push(attr(IFLA_LINKINFO, o.linkinfo));
  let flags = o.flags ?? (IFF_UP | IFF_LOWER_UP);
  if (o.master) flags |= IFF_SLAVE;
  return nlmsg(o.type ?? RTM_NEWLINK, 0, ifinfo(o.ifindex, flags), ...attrs);
}

function vrf(ifindex: number, name: string, table: number, type = RTM_NEWLINK): Uint8Array {
  const li = concat([attr(IFLA_INFO_KIND, str("vrf")), attr(IFLA_INFO_DATA, attr(IFLA_VRF_TABLE, u32le(table)))]);
  return link({ ifindex, name, linkinfo: li, type, flags: IFF_UP | IFF_LOWER_UP | IFF_MASTER });
}
function bridge(ifindex: number, name: string): Uint8Array {
  return link({ ifindex, name, linkinfo: attr(IFLA_INFO_KIND, str("bridge")), flags: IFF_UP | IFF_MASTER });
}
/** the proxy (a tun device): its own kind, and the master's slave kind and data when enslaved */
function proxy(master = 0, slave?: { kind: string; table?: number }): Uint8Array {
  const li = [attr(IFLA_INFO_KIND, str("tun"))];
  if (slave) {
    li.push(attr(IFLA_INFO_SLAVE_KIND, str(slave.kind)));
    if (slave.table !== undefined) li.push(attr(IFLA_INFO_SLAVE_DATA, attr(IFLA_VRF_PORT_TABLE, u32le(slave.table))));
  }
  return link({ ifindex: T1, name: "dp0", master, linkinfo: concat(li) });
}
const enslaved = (master: number, table?: number) => proxy(master, table === undefined ? { kind: "bridge" } : { kind: "vrf", table });

const ports = fakePorts({ id: 1, ifindex: T1, name: "dp0" });

/** an IPv4 route through the proxy (RTN_UNICAST scope universe, or RTN_LOCAL scope host), proto kernel */
function route(dst: number, len: number, table: number, local = false): Uint8Array {
  return nlmsg(RTM_NEWROUTE, 0, rtmsg(2, len, table < 256 ? table : 252, local ? 2 : 1, local ? 254 : 0, 2),
    attr(15, u32le(table)), attr(1, ip4be(dst)), attr(4, u32le(T1)));
}

/** an Ifpx whose link dumps are `links()` (in this order), IPv4 route dumps `routes()`, other dumps empty */
function setup(links: () => Uint8Array[], routes: () => Uint8Array[] = () => []) {
  const kernel = new FakeKernel(), clock = new ManualClock(), errors: unknown[] = [], events: IfpxEvent[] = [];
  kernel.script = (type, seq) => {
    const msgs = type === RTM_GETLINK ? links() : type === RTM_GETROUTE && kernel.sent.at(-1)!.family !== AF_INET6 ? routes() : [];
    return [...(msgs.length ? [restamp(concat(msgs), seq, NLM_F_MULTI)] : []), doneMsg(seq)];
  };
  const ifpx = new Ifpx({ ports, onError: (e) => errors.push(e) }, { openTransport: kernel.open, clock });
  kernel.attach((ifpx as unknown as { core: { bytes: Uint8Array; rxPtr: number } }).core);
  const id = ifpx.adoptProxy("net_tap_fake");
  ifpx.bind(0, id);
  ifpx.registerCallbacks(Object.values(EventType).map((type) => ({ type, callback: (e: IfpxEvent) => { events.push(e); } })));
  const masters = () => events.filter((e): e is MasterChangeEvent => e.type === "MASTER_CHANGE");
  /** a live notification (seq 0) and the turns it takes to be delivered */
  const live = async (...msgs: Uint8Array[]) => { kernel.push(...msgs.map((m) => restamp(m, 0))); for (let i = 0; i < 5; i++) await turn(); };
  return { kernel, ifpx, id, errors, events, masters, live };
}
const turn = () => new Promise((r) => setImmediate(r));
const brief = (e: MasterChangeEvent) => ({ port: e.portId, master: e.master, kind: e.masterKind, table: e.vrfTable, name: e.masterName, flags: e.flags });

test("initial state, the VRF dumped after the proxy (higher ifindex): one complete MASTER_CHANGE, before CFG_DONE", async () => {
  const { ifpx, id, events, masters, errors } = setup(() => [proxy(10, { kind: "vrf", table: 10 }), vrf(10, "vrf-blue", 10)]);
  await ifpx.listen();
  assert.equal(masters().map(brief), [{ port: 0, master: 10, kind: "vrf", table: 10, name: "vrf-blue", flags: EventFlag.INITIAL }]);
  const types = events.map((e) => e.type);
  assert.ok(types.indexOf("MASTER_CHANGE") > types.indexOf("MAC_CHANGE"), "after the proxy's link state");
  assert.is(types.at(-1), "CFG_DONE");
  assert.equal(ifpx.info(id).master, { ifindex: 10, name: "vrf-blue", kind: "vrf", vrfTable: 10 });
  assert.is(formatEvent(masters()[0]), "MASTER_CHANGE port 0     proxy 1 master vrf-blue (vrf, table 10) [initial]");
  assert.equal(errors, []);
  await ifpx.dispose();
});

test("initial state, the bridge dumped before the proxy; a proxy without master: no MASTER_CHANGE", async () => {
  const a = setup(() => [bridge(2, "br0"), enslaved(2)]);
  await a.ifpx.listen();
  assert.equal(a.masters().map(brief), [{ port: 0, master: 2, kind: "bridge", table: 0, name: "br0", flags: EventFlag.INITIAL }]);
  assert.equal(a.ifpx.info(a.id).master, { ifindex: 2, name: "br0", kind: "bridge", vrfTable: 0 });
  await a.ifpx.dispose();
  const b = setup(() => [bridge(2, "br0"), proxy()]);
  await b.ifpx.listen();
  assert.equal(b.masters(), []);
  assert.is(b.ifpx.info(b.id).master, undefined);
  await b.ifpx.dispose();
});

test("a live enslave overtaking the master's dump message is held too: one complete MASTER_CHANGE", async () => {
  const { kernel, ifpx, masters } = setup(() => []);
  // (a later link dump, if any, shows the state after the enslave)
  kernel.script = (type, seq, nth) => type !== RTM_GETLINK ? [doneMsg(seq)]
    : nth > 0 ? [restamp(concat([enslaved(10, 10), vrf(10, "vrf-blue", 10)]), seq, NLM_F_MULTI), doneMsg(seq)]
    : [restamp(proxy(), seq, NLM_F_MULTI), restamp(enslaved(10, 10), 0), restamp(vrf(10, "vrf-blue", 10), seq, NLM_F_MULTI), doneMsg(seq)];
  await ifpx.listen();
  for (let i = 0; i < 20; i++) await turn();
  assert.equal(masters().map(brief), [{ port: 0, master: 10, kind: "vrf", table: 10, name: "vrf-blue", flags: EventFlag.INITIAL }]);
  // joined a master of a kind not known yet: whether its routes were flushed is open, so they are dumped again
  assert.is(ifpx.stats().routeResyncs, 1);
  await ifpx.dispose();
});

test("initial state, a master of a kind not kept (team) dumped after the proxy: reported once, kind other", async () => {
  const team = link({ ifindex: 10, name: "team0", linkinfo: attr(IFLA_INFO_KIND, str("team")), flags: IFF_UP | IFF_MASTER });
  const { ifpx, id, masters } = setup(() => [proxy(10, { kind: "team" }), team]);
  await ifpx.listen();
  assert.equal(masters().map(brief), [{ port: 0, master: 10, kind: "other", table: 0, name: "", flags: EventFlag.INITIAL }]);
  assert.equal(ifpx.info(id).master, { ifindex: 10, name: "", kind: "other", vrfTable: 0 });
  await ifpx.dispose();
});

test("live: enslave, move to another VRF, an unrelated change, release", async () => {
  const { ifpx, id, masters, live } = setup(() => [proxy()]);
  await ifpx.listen();
  await live(vrf(10, "vrf-blue", 10), vrf(11, "vrf-red", 1011));
  assert.equal(masters(), [], "VRFs alone are no proxy's business");
  await live(enslaved(10, 10));
  await live(enslaved(11, 1011));
  await live(enslaved(11, 1011)); // e.g. a carrier change: same master
  assert.equal(masters().map(brief), [
    { port: 0, master: 10, kind: "vrf", table: 10, name: "vrf-blue", flags: 0 },
    { port: 0, master: 11, kind: "vrf", table: 1011, name: "vrf-red", flags: 0 },
  ]);
  assert.equal(ifpx.info(id).master, { ifindex: 11, name: "vrf-red", kind: "vrf", vrfTable: 1011 });
  await live(proxy());
  assert.equal(brief(masters().at(-1)!), { port: 0, master: 0, kind: "none", table: 0, name: "", flags: 0 });
  assert.is(formatEvent(masters().at(-1)!), "MASTER_CHANGE port 0     proxy 1 nomaster");
  assert.is(ifpx.info(id).master, undefined);
  await ifpx.dispose();
});

test("a VRF deleted: the kernel releases the proxy first (MASTER_CHANGE 0), then the VRF's DELLINK; its ifindex forgotten", async () => {
  const { ifpx, id, masters, live } = setup(() => [proxy(10, { kind: "vrf", table: 10 }), vrf(10, "vrf-blue", 10)]);
  await ifpx.listen();
  await live(proxy(), vrf(10, "vrf-blue", 10, RTM_DELLINK));
  assert.equal(masters().map((e) => e.master), [10, 0]);
  assert.is(ifpx.info(id).master, undefined);
  // a master the table does not know (deleted, or a kind it does not keep): reported at once, kind other, no name
  await live(proxy(10, { kind: "team" }));
  assert.equal(brief(masters().at(-1)!), { port: 0, master: 10, kind: "other", table: 0, name: "", flags: 0 });
  assert.is(formatEvent(masters().at(-1)!), "MASTER_CHANGE port 0     proxy 1 master ifindex 10 (other)");
  await ifpx.dispose();
});

test("joining or leaving a VRF: the proxy's IPv4 routes flushed as the kernel does it silently, local ones too; a bridge flushes nothing", async () => {
  const main = () => [route(0x0a010000, 24, 254), route(0x0a010001, 32, 255, true), route(0x0a090000, 24, 100)];
  const routeDels = (events: IfpxEvent[]) => events.filter((e) => e.type === "ROUTE_DEL").map((e: any) => `${e.table}|${e.ip}/${e.depth}`).sort();

  const a = setup(() => [proxy(), vrf(10, "vrf-blue", 10), bridge(11, "br0")], main);
  await a.ifpx.listen();
  assert.is(a.ifpx.routes(a.id).length, 3);
  a.events.length = 0;
  await a.live(enslaved(11));
  assert.equal(a.masters().map((e) => e.master), [11]);
  assert.equal(routeDels(a.events), [], "a bridge port keeps its routes");
  await a.live(enslaved(10, 10)); // from the bridge into the VRF
  assert.equal(a.masters().map((e) => e.master), [11, 10]);
  assert.equal(routeDels(a.events), ["100|10.9.0.0/24", "254|10.1.0.0/24", "255|10.1.0.1/32"]);
  assert.is(a.events.findIndex((e) => e.type === "MASTER_CHANGE" && (e as MasterChangeEvent).master === 10) < a.events.findIndex((e) => e.type === "ROUTE_DEL"), true, "MASTER_CHANGE first");
  assert.equal(a.ifpx.routes(a.id), []);
  await a.ifpx.dispose();

  // released: the routes in the VRF's table go the same way
  const b = setup(() => [vrf(2, "vrf-blue", 10), proxy(2, { kind: "vrf", table: 10 })], () => [route(0x0a010000, 24, 10), route(0x0a010001, 32, 10, true)]);
  await b.ifpx.listen();
  b.events.length = 0;
  await b.live(proxy());
  assert.equal(routeDels(b.events), ["10|10.1.0.0/24", "10|10.1.0.1/32"]);
  assert.equal(b.ifpx.routes(b.id), []);
  await b.ifpx.dispose();
});

test("a master renamed: its proxies get MASTER_CHANGE again with the new name", async () => {
  const { ifpx, id, masters, live } = setup(() => [vrf(2, "vrf-blue", 10), proxy(2, { kind: "vrf", table: 10 })]);
  await ifpx.listen();
  await live(vrf(2, "vrf-blue", 10)); // the VRF's own carrier or flags: nothing for the proxy
  assert.is(masters().length, 1);
  await live(vrf(2, "vrf-green", 10));
  assert.equal(brief(masters().at(-1)!), { port: 0, master: 2, kind: "vrf", table: 10, name: "vrf-green", flags: 0 });
  assert.is(masters().length, 2);
  assert.is(ifpx.info(id).master!.name, "vrf-green");
  await ifpx.dispose();
});

test("resync after a missed change: enslaved to a VRF created meanwhile (dumped after the proxy), flagged RESYNC", async () => {
  let links = [proxy()];
  const { ifpx, id, masters, events } = setup(() => links);
  await ifpx.listen();
  assert.equal(masters(), []);
  // the VRF's creation and the enslaving were lost (ENOBUFS); the next dump shows them
  links = [proxy(12, { kind: "vrf", table: 42 }), vrf(12, "vrf-lost", 42)];
  ifpx.resync();
  for (let i = 0; i < 100 && !events.some((e) => e.type === "RESYNC_DONE"); i++) await turn();
  assert.equal(masters().map(brief), [{ port: 0, master: 12, kind: "vrf", table: 42, name: "vrf-lost", flags: EventFlag.RESYNC }]);
  const done = events.find((e) => e.type === "RESYNC_DONE") as IfpxEvent & { changed: number };
  assert.ok(done.changed >= 1, "counted as a changed link");
  assert.equal(ifpx.info(id).master, { ifindex: 12, name: "vrf-lost", kind: "vrf", vrfTable: 42 });
  // and released while missed: MASTER_CHANGE 0 by the next resync
  links = [proxy(), vrf(12, "vrf-lost", 42)];
  events.length = 0;
  ifpx.resync();
  for (let i = 0; i < 100 && !events.some((e) => e.type === "RESYNC_DONE"); i++) await turn();
  assert.equal(masters().map((e) => [e.master, e.flags]), [[0, EventFlag.RESYNC]]);
  await ifpx.dispose();
});

test("replays: a late bind and a ring replay carry MASTER_CHANGE next to the link state, flagged INITIAL", async () => {
  const { ifpx, id, events } = setup(() => [proxy(10, { kind: "vrf", table: 10 }), vrf(10, "vrf-blue", 10)]);
  await ifpx.listen();
  events.length = 0;
  ifpx.bind(7, id);
  const to7 = events.filter((e) => e.portId === 7).map((e) => e.type);
  assert.equal(to7.slice(0, 4), ["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE", "MASTER_CHANGE"]);
  assert.is(to7.at(-1), "PORT_DONE");
  const m = events.find((e) => e.type === "MASTER_CHANGE") as MasterChangeEvent;
  assert.equal(brief(m), { port: 7, master: 10, kind: "vrf", table: 10, name: "vrf-blue", flags: EventFlag.INITIAL });

  const q = ifpx.createQueue({ slots: 64 });
  ifpx.queueAdd(q);
  const r = q.reader();
  await ifpx.replayInto(q);
  const got = r.dequeueEvents(64).filter((e): e is MasterChangeEvent => e.type === "MASTER_CHANGE");
  assert.equal(got.map(brief).sort((a, b) => a.port - b.port), [
    { port: 0, master: 10, kind: "vrf", table: 10, name: "vrf-blue", flags: EventFlag.INITIAL },
    { port: 7, master: 10, kind: "vrf", table: 10, name: "vrf-blue", flags: EventFlag.INITIAL },
  ]);
  await ifpx.dispose();
});

test("no master: replays carry no MASTER_CHANGE", async () => {
  const { ifpx, id, events } = setup(() => [proxy()]);
  await ifpx.listen();
  events.length = 0;
  ifpx.bind(7, id);
  assert.ok(events.length > 1);
  assert.not.ok(events.some((e) => e.type === "MASTER_CHANGE"));
  await ifpx.dispose();
});

test.run();
