// IPv4 routes via an IPv6 gateway (RTA_VIA, RFC 5549), built in the kernel's
// layout (struct rtvia: u16 family, then the address; as `ip route add P via
// inet6 fe80::1 dev X` sends and the kernel announces): the gateway is kept
// (assembly/gw6.ts) and records carry it, flagged GW6.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, T1, F, nlmsg, attr, rtmsg, u32le, ip4be, concat } from "./helpers/core.ts";

const RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTA_VIA = 18, RTA_MULTIPATH = 9, NLM_F_REPLACE = 0x100;
const AF_INET = 2, AF_INET6 = 10;

function core(): Core {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(1, 100); c.x.port_bind(2, 101);
  return c;
}
/** struct rtvia for fe80::n (or an IPv4 address with family AF_INET) */
function via6(n: number): Uint8Array {
  const b = new Uint8Array(18);
  new DataView(b.buffer).setUint16(0, AF_INET6, true);
  b[2] = 0xfe; b[3] = 0x80; b[17] = n;
  return b;
}
const dstOf = (i: number) => ip4be(0xcb007100 + (i << 8)); // 203.0.113.0 + i<<8
function route(type: number, flags: number, i: number, ...nh: Uint8Array[]): Uint8Array {
  return nlmsg(type, flags, rtmsg(2, 24, 254), attr(15, u32le(254)), attr(1, dstOf(i)), ...nh);
}
/** struct rtnexthop { u16 len, u8 flags, u8 hops, i32 ifindex } + attributes */
function rtnh(ifindex: number, ...attrs: Uint8Array[]): Uint8Array {
  const body = concat(attrs);
  const b = new Uint8Array(8 + body.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, b.length, true); dv.setInt32(4, ifindex, true);
  b.set(body, 8);
  return b;
}
const brief = (r: any) => [r.type, r.port, r.dst, r.gw, r.nh_count, r.flags];

test("single path via fe80::1: the gateway is reported, flagged GW6; replace, delete", () => {
  const c = core();
  assert.equal(c.feed(route(RTM_NEWROUTE, 0, 0, attr(RTA_VIA, via6(1)), attr(4, u32le(T0)))).map(brief),
    [["ROUTE_ADD", 1, "203.0.113.0", "fe80::1", 1, F.GW6]]);
  assert.equal(c.feed(route(RTM_NEWROUTE, NLM_F_REPLACE, 0, attr(RTA_VIA, via6(9)), attr(4, u32le(T0)))).map(brief), [
    ["ROUTE_DEL", 1, "203.0.113.0", "fe80::1", 1, F.GW6], ["ROUTE_ADD", 1, "203.0.113.0", "fe80::9", 1, F.GW6 | F.REPLACE]]);
  // the mirror keeps it (a late-bound port's replay reads the mirror)
  assert.equal(c.replay(100, 3).filter((r) => r.type === "ROUTE_ADD").map(brief), [["ROUTE_ADD", 3, "203.0.113.0", "fe80::9", 1, F.GW6 | F.INITIAL]]);
  assert.equal(c.feed(route(RTM_DELROUTE, 0, 0, attr(RTA_VIA, via6(9)), attr(4, u32le(T0)))).map(brief),
    [["ROUTE_DEL", 1, "203.0.113.0", "fe80::9", 1, F.GW6]]);
  assert.is(c.x.mirror_count(4, -1), 0);
  assert.is(c.stats().via, 0);
});

test("multipath via two IPv6 gateways on two proxies", () => {
  const c = core();
  const m = route(RTM_NEWROUTE, 0, 1, attr(RTA_MULTIPATH, concat([rtnh(T0, attr(RTA_VIA, via6(2))), rtnh(T1, attr(RTA_VIA, via6(3)))])));
  assert.equal(c.feed(m).map(brief), [
    ["ROUTE_ADD", 1, "203.0.114.0", "fe80::2", 2, F.GW6 | F.MULTIPATH], ["ROUTE_ADD", 2, "203.0.114.0", "fe80::3", 2, F.GW6 | F.MULTIPATH]]);
  assert.equal(c.feed(m), [], "the same again: nothing changed");
});

test("an IPv4 gateway whose value equals a gateway id is another next hop", () => {
  const c = core();
  c.feed(route(RTM_NEWROUTE, 0, 0, attr(RTA_VIA, via6(1)), attr(4, u32le(T0))));   // interned as id 1
  // 0.0.0.1 as an IPv4 gateway of the same route (append): a second next hop, not the same
  assert.equal(c.feed(route(RTM_NEWROUTE, 0, 0, attr(5, ip4be(1)), attr(4, u32le(T0)))).map(brief),
    [["ROUTE_ADD", 1, "203.0.113.0", "0.0.0.1", 1, 0]]);
  assert.is(c.x.mirror_count(4, -1), 2);
  assert.equal(c.feed(route(RTM_DELROUTE, 0, 0, attr(RTA_VIA, via6(1)), attr(4, u32le(T0)))).map(brief),
    [["ROUTE_DEL", 1, "203.0.113.0", "fe80::1", 1, F.GW6]]);
  assert.is(c.x.mirror_count(4, -1), 1);
});

test("RTA_VIA that is not an IPv6 gateway of an IPv4 route: counted, gateway 0", () => {
  const c = core();
  const v4via = new Uint8Array(6); new DataView(v4via.buffer).setUint16(0, AF_INET, true); v4via.set([198, 51, 100, 1], 2);
  assert.equal(c.feed(route(RTM_NEWROUTE, 0, 2, attr(RTA_VIA, v4via), attr(4, u32le(T0)))).map(brief),
    [["ROUTE_ADD", 1, "203.0.115.0", "0.0.0.0", 1, 0]]);
  assert.is(c.stats().via, 1);
});

test.run();
