// A live deletion that reaches ifpx BEFORE a dump datagram still listing the
// entry (the kernel filled the datagram, dropped its locks, and queued it after
// another CPU queued the notification; no NLM_F_DUMP_INTR): the sync must not
// bring the entry back (assembly/tombstones.ts). A whole Ifpx on the fake
// kernel (helpers/fake-kernel.ts): the notifications are queued in the dump's
// reply, ahead of the datagram with the stale entry.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/ifpx.ts";
import { EventType, type IfpxEvent, type Route6Event } from "../../host/record.ts";
import { FakeKernel, ManualClock, restamp, NLM_F_MULTI, fakePorts } from "./helpers/fake-kernel.ts";
import { T1, nlmsg, attr, rtmsg, u32le, route4, route6, concat } from "./helpers/core.ts";

const RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_DELROUTE = 25,
  RTM_GETROUTE = 26, RTM_NEWNEIGH = 28, RTM_DELNEIGH = 29, RTM_GETNEIGH = 30;
// what fib_table_insert / ip6_route_add notify a new route with: NLM_F_CREATE | NLM_F_EXCL (no NLM_F_MULTI)
const LIVE_NEW = 0x600;
const ports = fakePorts({ id: 1, ifindex: T1, name: "t1" });

function setup() {
  const kernel = new FakeKernel(), clock = new ManualClock(), errors: unknown[] = [], events: IfpxEvent[] = [];
  const ifpx = new Ifpx({ ports, onError: (e) => errors.push(e) }, { openTransport: kernel.open, clock });
  kernel.attach((ifpx as unknown as { core: { bytes: Uint8Array; rxPtr: number } }).core);
  const proxy = ifpx.adoptProxy("net_tap_fake");
  ifpx.bind(9, proxy); // records go to bound ports
  ifpx.registerCallbacks(Object.values(EventType).map((type) => ({ type, callback: (e: IfpxEvent) => { events.push(e); } })));
  return { kernel, clock, ifpx, proxy, errors, events };
}
type Bed = ReturnType<typeof setup>;
const turn = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await turn();
  assert.ok(cond(), what);
}

/** a copy of message m as another type with other netlink flags (nlmsg_seq 0, as notifications) */
function as(m: Uint8Array, type: number, flags: number): Uint8Array {
  const c = restamp(m, 0), dv = new DataView(c.buffer);
  dv.setUint16(4, type, true); dv.setUint16(6, flags, true);
  return c;
}

// The entries raced, each as its RTM_NEW* message (any flags: `as` sets them) and the dump that lists it.
interface Entry { name: string; msg: Uint8Array; del: number; get: number; add: string; rm: string; ip: string;
  list: (b: Bed) => IfpxEvent[] }
const routes = (b: Bed) => b.ifpx.routes(b.proxy);
const ROUTE4: Entry = { name: "IPv4 route", msg: route4(0xc612_6300, 24, 0xc612_000e, T1), del: RTM_DELROUTE, get: RTM_GETROUTE,
  add: "ROUTE_ADD", rm: "ROUTE_DEL", ip: "198.18.99.0", list: routes };
const ROUTE6: Entry = { name: "IPv6 route", msg: route6(0x77, T1), del: RTM_DELROUTE, get: RTM_GETROUTE,
  add: "ROUTE6_ADD", rm: "ROUTE6_DEL", ip: "2001:db8:0:77::", list: routes };
function addrMsg(ip: Uint8Array, prefix: number): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = ip.length === 4 ? 2 : 10; b[1] = prefix;
  new DataView(b.buffer).setUint32(4, T1, true);
  return nlmsg(RTM_NEWADDR, 0, b, attr(1 /* IFA_ADDRESS */, ip));
}
const addrs = (b: Bed) => b.ifpx.addresses(b.proxy);
const ADDR4: Entry = { name: "IPv4 address", msg: addrMsg(new Uint8Array([198, 18, 77, 1]), 24), del: RTM_DELADDR, get: RTM_GETADDR,
  add: "ADDR_ADD", rm: "ADDR_DEL", ip: "198.18.77.1", list: addrs };
const ADDR6: Entry = { name: "IPv6 address", msg: addrMsg(new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 64),
  del: RTM_DELADDR, get: RTM_GETADDR, add: "ADDR6_ADD", rm: "ADDR6_DEL", ip: "2001:db8:77::1", list: addrs };
function neighMsg(ip: Uint8Array): Uint8Array {
  const b = new Uint8Array(12), dv = new DataView(b.buffer);
  b[0] = ip.length === 4 ? 2 : 10; dv.setInt32(4, T1, true); dv.setUint16(8, 0x02 /* REACHABLE */, true); b[11] = 1; // RTN_UNICAST
  return nlmsg(RTM_NEWNEIGH, 0, b, attr(1 /* NDA_DST */, ip), attr(2 /* NDA_LLADDR */, new Uint8Array([2, 0xaa, 0, 0, 0, 1])));
}
const neighs = (b: Bed) => b.ifpx.neighbours(b.proxy);
const NEIGH4: Entry = { name: "IPv4 neighbour", msg: neighMsg(new Uint8Array([198, 18, 0, 77])), del: RTM_DELNEIGH, get: RTM_GETNEIGH,
  add: "NEIGH_ADD", rm: "NEIGH_DEL", ip: "198.18.0.77", list: neighs };
const NEIGH6: Entry = { name: "IPv6 neighbour", msg: neighMsg(new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77])),
  del: RTM_DELNEIGH, get: RTM_GETNEIGH, add: "NEIGH6_ADD", rm: "NEIGH6_DEL", ip: "2001:db8:77::77", list: neighs };

const newType = (x: Entry) => x.del - 1;
const liveAdd = (x: Entry) => as(x.msg, newType(x), x === ROUTE4 || x === ROUTE6 ? LIVE_NEW : 0);
const liveDel = (x: Entry) => as(x.msg, x.del, 0);
const dumped = (x: Entry, seq: number) => restamp(as(x.msg, newType(x), NLM_F_MULTI), seq);
const about = (x: Entry, evs: IfpxEvent[]) => evs.filter((e) => (e.type === x.add || e.type === x.rm) && (e as { ip: string }).ip === x.ip);
const present = (b: Bed, x: Entry) => x.list(b).some((e) => (e as { ip: string }).ip === x.ip);

/** listen (recorded dumps), then the entry added by a notification */
async function withEntry(x: Entry): Promise<Bed> {
  const b = setup();
  await b.ifpx.listen();
  b.kernel.push(liveAdd(x));
  await until(() => present(b, x), `${x.name} added`);
  return b;
}

/**
 * A resync whose dump of x's kind answers: the notifications `live`, then a
 * datagram listing x (unless !listed), then the recorded dump. Returns the
 * events from the resync on, up to RESYNC_DONE.
 */
async function resync(b: Bed, x: Entry, live: Uint8Array[], listed = true): Promise<IfpxEvent[]> {
  const nth = b.kernel.sent.filter((s) => s.type === x.get).length;
  b.kernel.script = (type, seq, n) => (type === x.get && n === nth
    ? [...live, ...(listed ? [dumped(x, seq)] : []), ...b.kernel.fixtureDump(type, seq)] : undefined);
  const from = b.events.length;
  b.ifpx.resync();
  await until(() => b.events.slice(from).some((e) => e.type === "RESYNC_DONE"), "resync done");
  b.kernel.script = undefined;
  return b.events.slice(from);
}

test("IPv4 route: a live DELROUTE before the dump datagram still listing it: gone, one ROUTE_DEL, no re-add", async () => {
  const b = await withEntry(ROUTE4);
  const evs = await resync(b, ROUTE4, [liveDel(ROUTE4)]);
  assert.equal(about(ROUTE4, evs).map((e) => e.type), ["ROUTE_DEL"]);
  assert.not.ok(present(b, ROUTE4), "not in the mirror");
  assert.equal(b.errors, []);
  await b.ifpx.dispose();
});

test("IPv4 route: deleted and added again live before the stale dump datagram: present, DEL then ADD", async () => {
  const b = await withEntry(ROUTE4);
  const evs = await resync(b, ROUTE4, [liveDel(ROUTE4), liveAdd(ROUTE4)]);
  assert.equal(about(ROUTE4, evs).map((e) => e.type), ["ROUTE_DEL", "ROUTE_ADD"]);
  assert.ok(present(b, ROUTE4), "in the mirror");
  await b.ifpx.dispose();
});

for (const x of [ROUTE6, ADDR4, ADDR6, NEIGH4, NEIGH6]) {
  test(`${x.name}: a live delete before the dump datagram still listing it: gone, no re-add; re-added live: present`, async () => {
    const b = await withEntry(x);
    const evs = await resync(b, x, [liveDel(x)]);
    assert.equal(about(x, evs).map((e) => e.type), [x.rm]);
    assert.not.ok(present(b, x), "not in the mirror");
    b.kernel.push(liveAdd(x));
    await until(() => present(b, x), "added again");
    const again = await resync(b, x, [liveDel(x), liveAdd(x)]);
    assert.equal(about(x, again).map((e) => e.type), [x.rm, x.add]);
    assert.ok(present(b, x), "in the mirror");
    assert.equal(b.errors, []);
    await b.ifpx.dispose();
  });
}

test("tombstones end with their sync: a later dump listing the entry adds it", async () => {
  for (const x of [ROUTE4, ROUTE6, ADDR4, NEIGH6]) {
    const b = await withEntry(x);
    await resync(b, x, [liveDel(x)]);
    assert.not.ok(present(b, x), `${x.name}: gone`);
    const evs = await resync(b, x, []);
    assert.equal(about(x, evs).map((e) => e.type), [x.add], `${x.name}: the next dump adds it`);
    assert.ok((about(x, evs)[0].flags & 8) !== 0, "flagged RESYNC");
    assert.ok(present(b, x), `${x.name}: present`);
    await b.ifpx.dispose();
  }
});

test("the initial dump: a delete notification ahead of the datagram listing the entry keeps it out", async () => {
  for (const x of [ROUTE6, ADDR4, NEIGH4]) {
    const b = setup();
    b.kernel.script = (type, seq) => (type === x.get ? [liveDel(x), dumped(x, seq), ...b.kernel.fixtureDump(type, seq)] : undefined);
    await b.ifpx.listen();
    assert.equal(about(x, b.events), [], `${x.name}: no event`);
    assert.not.ok(present(b, x), `${x.name}: not mirrored`);
    await b.ifpx.dispose();
  }
});

// IPv6 multipath 2001:db8:0:88::/64 via fe80::a and fe80::b, both on t1 (RTA_MULTIPATH), and its one next hop via `gw`
const gw6 = (last: number) => { const g = new Uint8Array(16); g[0] = 0xfe; g[1] = 0x80; g[15] = last; return g; };
function rtnh(gw: Uint8Array): Uint8Array {
  const a = attr(5 /* RTA_GATEWAY */, gw), h = new Uint8Array(8 + a.length), dv = new DataView(h.buffer);
  dv.setUint16(0, h.length, true); dv.setInt32(4, T1, true); h.set(a, 8);
  return h;
}
function mp6(type: number, flags: number, gws: Uint8Array[]): Uint8Array {
  const dst = new Uint8Array(16); dst.set([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0x88]);
  const nh = gws.length === 1 ? [attr(5, gws[0]), attr(4 /* RTA_OIF */, u32le(T1))] : [attr(9 /* RTA_MULTIPATH */, concat(gws.map(rtnh)))];
  return restamp(nlmsg(type, flags, rtmsg(10, 64, 254), attr(15, u32le(254)), attr(1, dst), attr(6, u32le(1024)), ...nh), 0);
}

test("IPv6 multipath: one next hop deleted live before the dump datagram listing both: the other stays, its nh_count lowered", async () => {
  const b = setup();
  await b.ifpx.listen();
  const A = gw6(0xa), B = gw6(0xb);
  b.kernel.push(mp6(RTM_NEWROUTE, LIVE_NEW, [A, B]));
  const mine = () => routes(b).filter((e) => (e as { ip: string }).ip === "2001:db8:0:88::") as Route6Event[];
  await until(() => mine().length === 2, "both next hops");
  const nth = b.kernel.sent.filter((s) => s.type === RTM_GETROUTE).length;
  b.kernel.script = (type, seq, n) => (type === RTM_GETROUTE && n === nth
    ? [mp6(RTM_DELROUTE, 0, [A]), restamp(mp6(RTM_NEWROUTE, NLM_F_MULTI, [A, B]), seq), ...b.kernel.fixtureDump(type, seq)] : undefined);
  const from = b.events.length;
  b.ifpx.resync();
  await until(() => b.events.slice(from).some((e) => e.type === "RESYNC_DONE"), "resync done");
  const evs = b.events.slice(from).filter((e) => (e as { ip?: string }).ip === "2001:db8:0:88::") as Route6Event[];
  // the DEL, then the sibling reported with one next hop (as a dump would show it); nothing from the stale datagram
  assert.equal(evs.map((e) => [e.type, e.gateway, e.nhCount]), [["ROUTE6_DEL", "fe80::a", 2], ["ROUTE6_ADD", "fe80::b", 1]]);
  assert.equal(mine().map((e) => [e.gateway, e.nhCount]), [["fe80::b", 1]]);
  await b.ifpx.dispose();
});

test("a dump entry with no deletion before it is still mirrored (the resync repairs a missed add)", async () => {
  const b = setup();
  await b.ifpx.listen();
  const evs = await resync(b, ROUTE6, [liveDel(ROUTE4)]); // another route's delete
  assert.equal(about(ROUTE6, evs).map((e) => e.type), ["ROUTE6_ADD"]);
  assert.ok(present(b, ROUTE6));
  await b.ifpx.dispose();
});

test("more live deletions during a sync than tombstones: once it is over, a resync removes what came back", async () => {
  const b = await withEntry(ADDR4);
  // 6000 deletions of other addresses of t1 (over the 8192-slot set's 0.7 load), then ours
  const many: Uint8Array[] = [];
  for (let i = 0; i < 6000; i++) many.push(as(addrMsg(new Uint8Array([10, 77, i >> 8, i & 255]), 32), RTM_DELADDR, 0));
  const burst = concat(many); // one datagram
  const nth = b.kernel.sent.filter((s) => s.type === RTM_GETADDR).length;
  b.kernel.script = (type, seq, n) => (type === RTM_GETADDR && n === nth
    ? [burst, liveDel(ADDR4), dumped(ADDR4, seq), ...b.kernel.fixtureDump(type, seq)] : undefined);
  const from = b.events.length, sent = b.kernel.sent.length;
  const done = () => b.events.slice(from).filter((e) => e.type === "RESYNC_DONE").length;
  b.ifpx.resync();
  await until(() => done() === 2, "two resyncs done");
  b.kernel.script = undefined;
  // the first sync ends (its dump brought the entry back), the second (the entry absent) sweeps it
  assert.equal(b.kernel.sent.slice(sent).map((s) => s.type), [RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH,
    RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH]);
  assert.is(b.ifpx.stats().tombstoneResyncs, 1);
  assert.equal(about(ADDR4, b.events.slice(from)).map((e) => e.type), ["ADDR_DEL", "ADDR_ADD", "ADDR_DEL"]);
  assert.not.ok(present(b, ADDR4), "not in the mirror");
  for (let i = 0; i < 5; i++) await turn();
  assert.is(done(), 2, "no third sync");
  await b.ifpx.dispose();
});

test.run();
