// NEIGH_DEL carries the MAC the mirror knew (the kernel's DELNEIGH, and the
// FAILED NEWNEIGH before it, carry none), on crafted messages: after a MAC
// change, when the DEL itself carries a MAC, for an entry that never had one,
// for IPv6, and when a resync's sweep deletes the entry.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, nlmsg, attr } from "./helpers/core.ts";

const RTM_NEWNEIGH = 28, RTM_DELNEIGH = 29, NDA_DST = 1, NDA_LLADDR = 2;
const REACHABLE = 0x02, FAILED = 0x20, INCOMPLETE = 0x01;
const ZERO = "00:00:00:00:00:00", A = "02:aa:00:00:00:01", B = "02:bb:00:00:00:02", C = "02:cc:00:00:00:03";

function ndmsg(family: number, state: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  b[0] = family; dv.setInt32(4, T0, true); dv.setUint16(8, state, true); b[11] = 1; // RTN_UNICAST
  return b;
}
const macBytes = (m: string) => new Uint8Array(m.split(":").map((x) => parseInt(x, 16)));
function neigh(type: number, dst: Uint8Array, state: number, mac?: string): Uint8Array {
  const family = dst.length === 4 ? 2 : 10;
  return mac ? nlmsg(type, 0, ndmsg(family, state), attr(NDA_DST, dst), attr(NDA_LLADDR, macBytes(mac)))
    : nlmsg(type, 0, ndmsg(family, state), attr(NDA_DST, dst));
}
const V4 = new Uint8Array([198, 51, 100, 9]);
const V6 = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);

function core(): Core {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.port_bind(1, 100); c.x.set_wanted(0xffffffff);
  return c;
}
const seen = (c: Core, m: Uint8Array) => c.feed(m).map((r: any) => [r.type, r.mac, r.state]);

test("ip neigh del: FAILED NEIGH_ADD without MAC, then NEIGH_DEL with the mirrored MAC", () => {
  for (const dst of [V4, V6]) {
    const c = core();
    const T = dst.length === 4 ? "NEIGH" : "NEIGH6";
    assert.equal(seen(c, neigh(RTM_NEWNEIGH, dst, REACHABLE, A)), [[`${T}_ADD`, A, REACHABLE]]);
    assert.equal(seen(c, neigh(RTM_NEWNEIGH, dst, FAILED)), [[`${T}_ADD`, ZERO, FAILED]]);
    assert.equal(seen(c, neigh(RTM_DELNEIGH, dst, FAILED)), [[`${T}_DEL`, A, FAILED]]);
  }
});

test("the last MAC wins; a MAC in the DEL itself is reported; an entry that never had one reports zero", () => {
  const c = core();
  seen(c, neigh(RTM_NEWNEIGH, V4, REACHABLE, A));
  seen(c, neigh(RTM_NEWNEIGH, V4, REACHABLE, B));
  assert.equal(seen(c, neigh(RTM_DELNEIGH, V4, REACHABLE)), [["NEIGH_DEL", B, REACHABLE]]);
  seen(c, neigh(RTM_NEWNEIGH, V4, REACHABLE, A));
  assert.equal(seen(c, neigh(RTM_DELNEIGH, V4, REACHABLE, C)), [["NEIGH_DEL", C, REACHABLE]]);
  seen(c, neigh(RTM_NEWNEIGH, V4, INCOMPLETE));
  assert.equal(seen(c, neigh(RTM_DELNEIGH, V4, FAILED)), [["NEIGH_DEL", ZERO, INCOMPLETE]]);
});

test("a resync's sweep reports the mirrored MAC of an entry gone FAILED", () => {
  const c = core();
  seen(c, neigh(RTM_NEWNEIGH, V4, REACHABLE, A));
  seen(c, neigh(RTM_NEWNEIGH, V4, FAILED));
  c.x.sync_begin(8, 8); // neighbours, a resync: the dump does not show the entry
  const swept = c.sweep().filter((r: any) => r.type === "NEIGH_DEL").map((r: any) => r.mac);
  assert.equal(swept, [A]);
});

test.run();
