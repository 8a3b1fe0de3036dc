// The TS record mirror agrees with native/include/ifpx_event.h and
// assembly/record.ts, and decodeEvent reads every type from hand-built bytes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import {
  decodeEvent, EventType, EVENT_TYPE_NAMES, EVENT_TYPE_COUNT, Off, EventFlag, ipv6ToString, ipv4ToString,
  type IfpxEvent,
} from "../../host/record.js";
import { formatEvent } from "../../host/format.js";

const root = new URL("../../", import.meta.url);

test("EventType matches the C enum and assembly/record.ts", () => {
  const h = readFileSync(new URL("native/include/ifpx_event.h", root), "utf8");
  const c = [...h.matchAll(/IFPX_([A-Z0-9_]+) = (\d+),/g)].filter((m) => m[1] !== "EVENT_TYPE_COUNT");
  assert.is(c.length, 25);
  for (const [, name, v] of c) assert.is((EventType as any)[name], Number(v), name);
  assert.is(EVENT_TYPE_COUNT, 25);
  assert.is(EVENT_TYPE_NAMES.length, 25);
  EVENT_TYPE_NAMES.forEach((n, i) => assert.is(EventType[n], i));
  const as = readFileSync(new URL("assembly/record.ts", root), "utf8");
  for (const [, name, v] of as.matchAll(/export const EV_([A-Z0-9_]+): u16 = (\d+);/g)) {
    if (name === "TYPE_COUNT") assert.is(Number(v), 25);
    else assert.is((EventType as any)[name], Number(v), name);
  }
  for (const [, name, v] of h.matchAll(/#define IFPX_F_([A-Z]+)\s+(0x[0-9a-f]+)/g)) {
    assert.is((EventFlag as any)[name], Number(v), name);
  }
});

test("record offsets match assembly/record.ts", () => {
  const as = readFileSync(new URL("assembly/record.ts", root), "utf8");
  const offs = [...as.matchAll(/export const R_([A-Z0-9_]+): u32 = (\d+);/g)];
  assert.ok(offs.length >= 30);
  assert.is(Object.keys(Off).length, offs.length, "every assembly offset mirrored");
  for (const [, name, v] of offs) assert.is((Off as any)[name], Number(v), name);
});

// builders
function rec(type: number, f: (v: DataView) => void = () => {}): DataView {
  const buf = new ArrayBuffer(64 + 32); // record at offset 32 to check `off` is honoured
  const v = new DataView(buf);
  v.setUint16(32, type, true);
  v.setUint16(34, 3, true);     // port
  v.setUint16(36, 9, true);     // proxy
  v.setUint8(38, EventFlag.INITIAL | EventFlag.MULTIPATH);
  v.setUint8(39, 2);            // AF_INET
  v.setUint32(40, 0x01020304, true);
  v.setUint32(44, 4000000000, true);
  f(new DataView(buf, 32, 64));
  return v;
}
const dec = (v: DataView) => decodeEvent(v, 32) as any;
const v6 = (s: number[]) => (v: DataView, off: number) => s.forEach((b, i) => v.setUint8(off + i, b));
const IP6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef];
const GW6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

function checkHeader(e: IfpxEvent, type: string) {
  assert.is(e.type, type);
  assert.is(e.typeId, (EventType as any)[type]);
  assert.is(e.portId, 3);
  assert.is(e.proxyId, 9);
  assert.is(e.flags, 0x11);
  assert.is(e.family, 2);
  assert.is(e.ifindex, 0x01020304);
  assert.is(e.seq, 4000000000);
}

test("MAC_CHANGE, MTU_CHANGE, LINK_CHANGE", () => {
  let e = dec(rec(0, (v) => [0x02, 0xab, 0, 0x0f, 0x10, 0xff].forEach((b, i) => v.setUint8(16 + i, b))));
  checkHeader(e, "MAC_CHANGE");
  assert.is(e.mac, "02:ab:00:0f:10:ff");
  e = dec(rec(1, (v) => v.setUint32(16, 9000, true)));
  checkHeader(e, "MTU_CHANGE");
  assert.is(e.mtu, 9000);
  e = dec(rec(2, (v) => { v.setUint8(16, 1); v.setUint8(17, 0); v.setUint8(18, 6); v.setUint32(20, 0x11043, true); }));
  checkHeader(e, "LINK_CHANGE");
  assert.equal([e.isUp, e.carrier, e.operstate, e.ifFlags], [true, false, 6, 0x11043]);
});

test("ADDR_ADD/DEL and ADDR6_ADD/DEL", () => {
  for (const [t, name] of [[3, "ADDR_ADD"], [4, "ADDR_DEL"]] as const) {
    const e = dec(rec(t, (v) => { v.setUint32(16, 0xc633640e, true); v.setUint8(32, 24); v.setUint8(33, 0); v.setUint32(36, 0x80, true); }));
    checkHeader(e, name);
    assert.equal([e.ip, e.ipNum, e.prefixLen, e.scope, e.ifaFlags], ["198.51.100.14", 0xc633640e, 24, 0, 0x80]);
  }
  for (const [t, name] of [[5, "ADDR6_ADD"], [6, "ADDR6_DEL"]] as const) {
    const e = dec(rec(t, (v) => { v6(IP6)(v, 16); v.setUint8(32, 128); v.setUint8(33, 253); }));
    checkHeader(e, name);
    assert.is(e.ip, "2001:db8::dead:beef");
    assert.equal(Array.from(e.ipBytes), IP6);
    assert.ok(e.ipBytes instanceof Uint8Array);
    assert.equal([e.prefixLen, e.scope], [128, 253]);
  }
});

test("ROUTE_ADD/DEL and ROUTE6_ADD/DEL", () => {
  const tail = (v: DataView) => {
    v.setUint8(48, 24); v.setUint8(49, 1); v.setUint8(50, 4); v.setUint8(51, 0);
    v.setUint32(52, 254, true); v.setUint32(56, 100, true);
    v.setUint8(60, 2); v.setUint8(61, 3); v.setUint8(62, 0x10);
  };
  for (const [t, name] of [[7, "ROUTE_ADD"], [8, "ROUTE_DEL"]] as const) {
    const e = dec(rec(t, (v) => { v.setUint32(16, 0xc6336400, true); v.setUint32(32, 0xc6336401, true); tail(v); }));
    checkHeader(e, name);
    assert.equal([e.ip, e.ipNum, e.gateway, e.gatewayNum], ["198.51.100.0", 0xc6336400, "198.51.100.1", 0xc6336401]);
    assert.equal([e.depth, e.routeType, e.protocol, e.scope, e.table, e.priority, e.weight, e.nhCount, e.tos],
      [24, 1, 4, 0, 254, 100, 2, 3, 0x10]);
  }
  const e0 = dec(rec(7, (v) => { v.setUint8(48, 0); }));
  assert.equal([e0.ip, e0.gateway, e0.gatewayNum, e0.depth], ["0.0.0.0", "0.0.0.0", 0, 0]);
  for (const [t, name] of [[9, "ROUTE6_ADD"], [10, "ROUTE6_DEL"]] as const) {
    const e = dec(rec(t, (v) => { v6(IP6)(v, 16); v6(GW6)(v, 32); tail(v); }));
    checkHeader(e, name);
    assert.equal([e.ip, e.gateway], ["2001:db8::dead:beef", "fe80::1"]);
    assert.equal(Array.from(e.gatewayBytes), GW6);
    assert.equal([e.depth, e.routeType, e.protocol, e.table, e.priority, e.weight, e.nhCount], [24, 1, 4, 254, 100, 2, 3]);
  }
  assert.is(dec(rec(9)).gateway, "::");
  // an IPv4 route via an IPv6 gateway (flag GATEWAY6): 16 gateway bytes, gatewayNum 0; printed with it
  const via = dec(rec(7, (v) => { v.setUint32(16, 0xcb007100, true); v6(GW6)(v, 32); tail(v); v.setUint8(6, EventFlag.GATEWAY6); }));
  assert.equal([via.ip, via.gateway, via.gatewayNum, Array.from(via.gatewayBytes)], ["203.0.113.0", "fe80::1", 0, GW6]);
  assert.match(formatEvent(via), /^ROUTE_ADD\s+port 3\s+203\.0\.113\.0\/24 via fe80::1 table main .*\[gateway6\]$/);
  assert.not.match(formatEvent(e0), / via /);
});

test("NEIGH_ADD/DEL and NEIGH6_ADD/DEL", () => {
  const mac = (v: DataView) => [0xde, 0xad, 0xbe, 0xef, 0, 1].forEach((b, i) => v.setUint8(32 + i, b));
  for (const [t, name] of [[11, "NEIGH_ADD"], [12, "NEIGH_DEL"]] as const) {
    const e = dec(rec(t, (v) => { v.setUint32(16, 0xc633640e, true); mac(v); v.setUint16(38, 0x40, true); v.setUint8(40, 0x80); v.setUint8(41, 1); }));
    checkHeader(e, name);
    assert.equal([e.ip, e.ipNum, e.mac, e.state, e.ntfFlags, e.ndmType], ["198.51.100.14", 0xc633640e, "de:ad:be:ef:00:01", 0x40, 0x80, 1]);
  }
  for (const [t, name] of [[13, "NEIGH6_ADD"], [14, "NEIGH6_DEL"]] as const) {
    const e = dec(rec(t, (v) => { v6(IP6)(v, 16); mac(v); v.setUint16(38, 2, true); }));
    checkHeader(e, name);
    assert.equal([e.ip, e.mac, e.state], ["2001:db8::dead:beef", "de:ad:be:ef:00:01", 2]);
    assert.equal(Array.from(e.ipBytes), IP6);
  }
});

test("markers, OVERFLOW, RESYNC_DONE, unknown", () => {
  for (const name of ["CFG_DONE", "PROXY_GONE", "PORT_DONE", "REPLAY_DONE", "END"] as const) {
    checkHeader(dec(rec(EventType[name])), name);
  }
  const o = dec(rec(19, (v) => v.setUint32(16, 4242, true)));
  checkHeader(o, "OVERFLOW");
  assert.is(o.lost, 4242);
  const r = dec(rec(18, (v) => { v.setUint32(16, 1, true); v.setUint32(20, 2, true); v.setUint32(24, 3, true); v.setUint32(28, 4, true); }));
  checkHeader(r, "RESYNC_DONE");
  assert.equal([r.added, r.removed, r.changed, r.reason], [1, 2, 3, 4]);
  const u = dec(rec(99));
  assert.is(u.type, "UNKNOWN");
  assert.is(u.typeId, 99);
});

test("SUBIF_ADD/DEL and MASTER_CHANGE", () => {
  const name = (v: DataView, off: number, t: string) => [...t].forEach((c, i) => v.setUint8(off + i, c.charCodeAt(0)));
  for (const type of ["SUBIF_ADD", "SUBIF_DEL"] as const) {
    const e = dec(rec(EventType[type], (v) => {
      v.setUint16(16, 0x8001, true); v.setUint16(18, 7, true); v.setUint32(20, 12, true);
      v.setUint16(24, 300, true); v.setUint16(26, 0x8100, true); v.setUint16(28, 200, true); v.setUint16(30, 0x88a8, true);
      name(v, 32, "dp0.200.300");
    }));
    checkHeader(e, type);
    assert.equal([e.parentProxy, e.rootProxy, e.parentIfindex, e.vlanId, e.vlanProto, e.outerVlanId, e.outerVlanProto, e.name],
      [0x8001, 7, 12, 300, 0x8100, 200, 0x88a8, "dp0.200.300"]);
  }
  const m = dec(rec(EventType.MASTER_CHANGE, (v) => {
    v.setUint32(16, 44, true); v.setUint32(20, 1010, true); v.setUint8(24, 1); name(v, 32, "vrf-blue");
  }));
  checkHeader(m, "MASTER_CHANGE");
  assert.equal([m.master, m.vrfTable, m.masterKind, m.masterKindId, m.masterName], [44, 1010, "vrf", 1, "vrf-blue"]);
  // a full 16-byte name without its NUL stops at the field's end
  const f = dec(rec(EventType.MASTER_CHANGE, (v) => { v.setUint8(24, 9); name(v, 32, "abcdefghijklmnopq"); }));
  assert.equal([f.masterKind, f.masterName], ["other", "abcdefghijklmnop"]);
});

test("address text", () => {
  assert.is(ipv4ToString(0xffffffff), "255.255.255.255");
  const b = (a: number[]) => Uint8Array.from(a);
  assert.is(ipv6ToString(new Uint8Array(16)), "::");
  assert.is(ipv6ToString(b([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])), "::1");
  assert.is(ipv6ToString(b([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])), "2001:db8:0:1::1");
  assert.is(ipv6ToString(b([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])), "2001:db8::1:0:0:1");
  assert.is(ipv6ToString(b([0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1])), "2001:db8:1:0:1:1:1:1");
  assert.is(ipv6ToString(b([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1])), "::ffff:192.0.2.1");
});

test("decoding over shared memory copies the IPv6 bytes", () => {
  const sab = new SharedArrayBuffer(128);
  const v = new DataView(sab);
  v.setUint16(64, 5, true);
  IP6.forEach((x, i) => v.setUint8(64 + 16 + i, x));
  const e = decodeEvent(v, 64) as any;
  v.setUint8(64 + 16, 0);
  assert.is(e.ipBytes[0], 0x20);
  assert.ok(!(e.ipBytes.buffer instanceof SharedArrayBuffer));
});

test.run();
