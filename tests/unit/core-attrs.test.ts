// The attribute walker (assembly/attrs.ts) as every parser uses it: one
// length-checked walk per message (and per RTA_MULTIPATH entry) before any
// state is touched; a bad attribute anywhere makes the message malformed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, T1, nlmsg, attr, rtmsg, u32le, ip4be } from "./helpers/core.ts";

const RTM_NEWLINK = 16, RTM_NEWADDR = 20, RTM_NEWROUTE = 24, RTM_NEWNEIGH = 28, RTM_DELNEXTHOP = 105;
const le32 = (v: number) => Array.from(u32le(v));

function core(): Core {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(1, 100); c.x.port_bind(2, 101);
  return c;
}
const mal = (c: Core) => c.stats().malformed;

// one valid message of each kind about proxy T0, built from its attributes
const kinds: Record<string, (...a: Uint8Array[]) => Uint8Array> = {
  link: (...a) => nlmsg(RTM_NEWLINK, 0, new Uint8Array([0, 0, 1, 0, ...le32(T0), 0x43, 0x10, 1, 0, 0, 0, 0, 0]), attr(4, u32le(1400)), ...a),
  addr: (...a) => nlmsg(RTM_NEWADDR, 0, new Uint8Array([2, 24, 0, 0, ...le32(T0)]), attr(2, ip4be(0xc0000201)), ...a),
  route: (...a) => nlmsg(RTM_NEWROUTE, 0, rtmsg(2, 24, 254), attr(1, ip4be(0x0a000000)), attr(4, u32le(T0)), ...a),
  neigh: (...a) => nlmsg(RTM_NEWNEIGH, 0, new Uint8Array([2, 0, 0, 0, ...le32(T0), 2, 0, 0, 1]), attr(1, ip4be(0xc0000202)), ...a),
  nexthop: (...a) => nlmsg(RTM_DELNEXTHOP, 0, new Uint8Array(8), attr(1, u32le(7)), ...a),
};
const zero = new Uint8Array(8);                                  // rta_len 0: would never advance
const short = new Uint8Array([3, 0, 1, 0, 0, 0, 0, 0]);          // rta_len < 4
const past = new Uint8Array([200, 0, 1, 0, 10, 0, 0, 0]);        // runs past the message
const truncated = new Uint8Array([8, 0]);                        // not even a header left

test("every parser: zero, short, overrunning and truncated attributes are malformed, after valid ones too", () => {
  for (const [kind, make] of Object.entries(kinds)) {
    const c = core();
    const m0 = mal(c);
    c.feed(make());
    assert.is(mal(c), m0, `${kind}: the valid message`);
    for (const bad of [zero, short, past, truncated]) {
      const before = mal(c);
      assert.equal(c.feed(make(bad)), [], `${kind}: nothing staged`);
      assert.is(mal(c), before + 1, `${kind}: counted once`);
    }
  }
});

test("a bad attribute after good ones leaves the state untouched (the walk ends before any update)", () => {
  const c = core();
  c.feed(kinds.link());
  assert.is(c.info(100)!.mtu, 1400);
  const m = nlmsg(RTM_NEWLINK, 0, new Uint8Array([0, 0, 1, 0, ...le32(T0), 0x43, 0x10, 1, 0, 0, 0, 0, 0]), attr(4, u32le(9000)), zero);
  c.feed(m);
  assert.is(c.info(100)!.mtu, 1400);
  assert.is(c.x.mirror_count(4, -1), 0);
  c.feed(kinds.route(attr(5, ip4be(1)), past));
  assert.is(c.x.mirror_count(4, -1), 0);
});

test("policy: every occurrence of a type is checked, the last one is used", () => {
  const c = core();
  // RTA_DST of the wrong size, then a right one: malformed (as the kernel's nla_policy would say)
  const m0 = mal(c);
  c.feed(nlmsg(RTM_NEWROUTE, 0, rtmsg(2, 24, 254), attr(1, new Uint8Array(3)), attr(1, ip4be(0x0a000000)), attr(4, u32le(T0))));
  assert.is(mal(c), m0 + 1);
  // two RTA_OIF: the last one decides
  const r = c.feed(nlmsg(RTM_NEWROUTE, 0, rtmsg(2, 24, 254), attr(1, ip4be(0x0a000000)), attr(4, u32le(T0)), attr(4, u32le(T1))));
  assert.is(r.length, 1);
  assert.is(r[0].port, 2);
});

test("types beyond the table are skipped unchecked; NLA_F_NESTED / NET_BYTEORDER bits are masked", () => {
  const c = core();
  const m0 = mal(c);
  assert.is(c.feed(kinds.route(attr(60, new Uint8Array(3)))).length, 1);
  const nh = (oif: number) => new Uint8Array([8, 0, 0, 0, ...le32(oif)]);
  const mp = attr(9 | 0x8000, new Uint8Array([...nh(T0), ...nh(T1)]));
  const r = c.feed(nlmsg(RTM_NEWROUTE, 0, rtmsg(2, 24, 254), attr(1, ip4be(0x0b000000)), mp));
  assert.is(r.length, 2);
  assert.is(mal(c), m0);
});

test("nested walk (RTA_MULTIPATH): an attribute past its rtnexthop, a bad gateway, an entry past the attribute", () => {
  const c = core();
  const body = rtmsg(2, 24, 254);
  const entry = (len: number, oif: number, ...a: Uint8Array[]) => {
    const inner = a.reduce((x, y) => new Uint8Array([...x, ...y]), new Uint8Array(0));
    return new Uint8Array([len & 0xff, len >> 8, 0, 0, ...le32(oif), ...inner]);
  };
  const gw = attr(5, ip4be(0xc0000203));
  const cases = [
    // rtnh_len 12 covers only half of the 8-byte RTA_GATEWAY that follows (inside the message)
    entry(12, T0, gw),
    // RTA_GATEWAY of 2 bytes
    entry(16, T0, attr(5, new Uint8Array(2)), new Uint8Array(4)),
    // second entry's rtnh_len beyond the attribute
    new Uint8Array([...entry(16, T0, gw), ...entry(40, T1, gw)]),
  ];
  for (const mp of cases) {
    const m0 = mal(c);
    assert.equal(c.feed(nlmsg(RTM_NEWROUTE, 0, body, attr(1, ip4be(0x0c000000)), attr(9, mp))), []);
    assert.is(mal(c), m0 + 1);
  }
  // the same entries, well formed: both next hops mirrored with their gateway
  const ok = c.feed(nlmsg(RTM_NEWROUTE, 0, body, attr(1, ip4be(0x0c000000)), attr(9, new Uint8Array([...entry(16, T0, gw), ...entry(16, T1, gw)]))));
  assert.is(ok.length, 2);
  assert.is(c.x.mirror_count(4, -1), 2);
});

test.run();
