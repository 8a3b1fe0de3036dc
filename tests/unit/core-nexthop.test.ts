// Nexthop objects (assembly/nexthops.ts): the core remembers which nexthop ids
// mirrored routes use, and flags the nexthop notifications after which the
// kernel has changed those routes without a route notification (RTM_DELNEXTHOP;
// RTM_NEWNEXTHOP of a group shrunk by a deletion, i.e. without NLM_F_REPLACE).
// Messages are built here in the kernel's layout (struct nhmsg + NHA_ID), as
// captured with `strace ip monitor nexthop` on 6.18.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, T1, nlmsg, attr, rtmsg, u32le, ip4be, concat } from "./helpers/core.ts";

const RTM_NEWROUTE = 24, RTM_NEWNEXTHOP = 104, RTM_DELNEXTHOP = 105, RTA_NH_ID = 30;
const NLM_F_REPLACE = 0x100, NLM_F_CREATE = 0x400, NLM_F_REQUEST = 1, NLM_F_ACK = 4;
const STF_NEXTHOP = 32;

function core(): Core {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(1, 100); c.x.port_bind(2, 101);
  return c;
}
/** 203.0.113.0/24 (+i) using nexthop object `id`, spelled out via gw on oif (compat mode) */
function nhRoute(i: number, id: number, oif: number, compat = true): Uint8Array {
  const base = [attr(15, u32le(254)), attr(1, ip4be(0xcb007100 + (i << 8))), attr(RTA_NH_ID, u32le(id))];
  return nlmsg(RTM_NEWROUTE, 0, rtmsg(2, 24, 254), ...base, ...(compat ? [attr(5, ip4be(0xc6336401)), attr(4, u32le(oif))] : []));
}
/** struct nhmsg { family, scope, protocol, resvd, flags u32 } + NHA_ID */
function nh(type: number, flags: number, id: number): Uint8Array {
  return nlmsg(type, flags, new Uint8Array([2, 0, 3, 0, 0, 0, 0, 0]), attr(1, u32le(id)));
}
function flagged(c: Core, m: Uint8Array): boolean {
  c.feed(m);
  return (c.status().flags & STF_NEXTHOP) !== 0;
}

test("a nexthop a mirrored route uses: deleted -> flagged; replaced (NLM_F_REPLACE: routes re-announced) -> not", () => {
  const c = core();
  const r = c.feed(nhRoute(0, 7, T0));
  assert.equal(r.map((x) => [x.type, x.port, x.gw]), [["ROUTE_ADD", 1, "198.51.100.1"]]);
  assert.not.ok(flagged(c, nh(RTM_NEWNEXTHOP, NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE | NLM_F_CREATE, 7)), "replace");
  assert.ok(flagged(c, nh(RTM_DELNEXTHOP, NLM_F_REQUEST | NLM_F_ACK, 7)), "delete");
  // a group that a route uses, shrunk by the deletion of a member: RTM_NEWNEXTHOP without REPLACE
  c.feed(nhRoute(1, 10, T1));
  assert.not.ok(flagged(c, nh(RTM_DELNEXTHOP, NLM_F_REQUEST | NLM_F_ACK, 2)), "the member itself: no route uses it");
  assert.ok(flagged(c, nh(RTM_NEWNEXTHOP, NLM_F_REQUEST | NLM_F_ACK, 10)), "the group");
  const s = c.stats();
  assert.is(s.nh_msgs, 4);
  assert.is(s.nh_used, 2);
  // nothing is staged for nexthop messages
  assert.equal(c.feed(nh(RTM_DELNEXTHOP, 0, 10)), []);
});

test("nexthops no mirrored route uses are ignored: foreign routes, unknown ids, id 0", () => {
  const c = core();
  c.feed(nhRoute(0, 8, 99)); // oif of no proxy: filtered, its nexthop not remembered
  assert.is(c.stats().filtered, 1);
  for (const id of [8, 9, 0]) assert.not.ok(flagged(c, nh(RTM_DELNEXTHOP, 0, id)), `id ${id}`);
  assert.not.ok(flagged(c, nh(RTM_NEWNEXTHOP, 0, 11)), "a new nexthop");
});

test("a route sync forgets the ids (the dump tells them again); several messages in one datagram", () => {
  const c = core();
  c.feed(nhRoute(0, 7, T0));
  c.x.sync_begin(15, 8);
  assert.not.ok(flagged(c, nh(RTM_DELNEXTHOP, 0, 7)), "forgotten at sync begin");
  // the dump: the route again, then its nexthop deleted in the same datagram
  c.feed(concat([nhRoute(0, 7, T0), nh(RTM_DELNEXTHOP, 0, 7)]));
  assert.ok((c.status().flags & STF_NEXTHOP) !== 0);
});

test("nexthop_compat_mode=0: a route with RTA_NH_ID only is not mirrored, and counted", () => {
  const c = core();
  assert.equal(c.feed(nhRoute(0, 7, T0, false)), []);
  assert.is(c.stats().nh_nocompat, 1);
  assert.is(c.x.mirror_count(4, -1), 0);
});

test("malformed nexthop messages: short nhmsg, bad NHA_ID length, attribute overrun", () => {
  const c = core();
  c.feed(nhRoute(0, 7, T0));
  const m0 = c.stats().malformed;
  c.feed(nlmsg(RTM_DELNEXTHOP, 0, new Uint8Array(4)));
  c.feed(nlmsg(RTM_DELNEXTHOP, 0, new Uint8Array(8), attr(1, new Uint8Array(2))));
  c.feed(nlmsg(RTM_DELNEXTHOP, 0, new Uint8Array(8), new Uint8Array([200, 0, 1, 0, 7, 0, 0, 0])));
  assert.is(c.stats().malformed, m0 + 3);
  assert.is(c.status().flags & STF_NEXTHOP, 0);
});

test.run();
