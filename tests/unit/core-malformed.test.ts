// Malformed and hostile input: every length is checked before a read; bad
// messages are counted as malformed and skipped, never trap, and the outcome
// never depends on bytes beyond `len` (which would reveal an out-of-bounds read).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, fx, fxNames, T0, T1, nlmsg, attr, rtmsg, u32le, ip4be, route4, concat, brief } from "./helpers/core.ts";

function core(): Core {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(1, 100); c.x.port_bind(2, 101);
  return c;
}
const mal = (c: Core) => c.stats().malformed;

test("truncated header, nlmsg_len < 16, nlmsg_len beyond the buffer", () => {
  const c = core();
  assert.equal(c.feed(new Uint8Array(10)), []);
  assert.is(mal(c), 1);
  assert.is(c.status().next_off, 10);
  const m = route4(0x0a000000, 8, 0, T0);
  const short = m.slice(); new DataView(short.buffer).setUint32(0, 8, true);
  assert.equal(c.feed(short), []);
  assert.is(mal(c), 2);
  const long = m.slice(); new DataView(long.buffer).setUint32(0, 4096, true);
  assert.equal(c.feed(long), []);
  assert.is(mal(c), 3);
  // a valid message followed by a broken one: the first is kept
  assert.is(c.feed(concat([m, new Uint8Array([1, 2, 3])])).length, 1);
  assert.is(mal(c), 4);
  assert.is(c.stats().messages, 1);
});

test("attributes: rta_len < 4, zero, overrunning, wrong address sizes", () => {
  const c = core();
  const body = rtmsg(2, 8, 254);
  const bad = (a: Uint8Array) => nlmsg(24, 0, body, attr(4, u32le(T0)), a);
  const zero = new Uint8Array(8); // rta_len 0: would loop forever without the check
  const two = new Uint8Array([2, 0, 1, 0, 0, 0, 0, 0]);
  const over = new Uint8Array([200, 0, 1, 0, 10, 0, 0, 0]);
  for (const a of [zero, two, over, attr(1, new Uint8Array(3)), attr(5, new Uint8Array(16)), attr(4, new Uint8Array(2))]) {
    const m0 = mal(c);
    assert.equal(c.feed(bad(a)), []);
    assert.is(mal(c), m0 + 1);
  }
  // rtm_dst_len beyond 32
  assert.equal(c.feed(nlmsg(24, 0, rtmsg(2, 33, 254), attr(4, u32le(T0)))), []);
  // multipath: rtnh_len 0, rtnh_len beyond the attribute, nested attribute overrun
  for (const nh of [new Uint8Array(8), new Uint8Array([64, 0, 0, 0, T0, 0, 0, 0]), new Uint8Array([16, 0, 0, 0, T0, 0, 0, 0, 9, 0, 5, 0, 1, 2, 3, 4])]) {
    const m0 = mal(c);
    assert.equal(c.feed(nlmsg(24, 0, body, attr(9, nh))), []);
    assert.is(mal(c), m0 + 1);
  }
  // short bodies for each kind
  for (const t of [16, 17, 20, 21, 24, 25, 28, 29, 2]) {
    const m0 = mal(c);
    c.feed(nlmsg(t, 0, new Uint8Array(2)));
    assert.is(mal(c), m0 + 1, `type ${t}`);
  }
  // address: no IFA_ADDRESS / IFA_LOCAL; wrong length; prefixlen > 32
  const ifa = (plen: number) => new Uint8Array([2, plen, 0, 0, T0, 0, 0, 0]);
  for (const m of [nlmsg(20, 0, ifa(24)), nlmsg(20, 0, ifa(24), attr(2, new Uint8Array(16))), nlmsg(20, 0, ifa(40), attr(2, ip4be(1)))]) {
    const m0 = mal(c);
    assert.equal(c.feed(m), []);
    assert.is(mal(c), m0 + 1);
  }
  assert.is(c.x.mirror_count(4, -1) + c.x.mirror_count(2, -1), 0);
});

test("NLMSG_ERROR / DONE / ACK / DUMP_INTR / NOOP in the status block", () => {
  const c = core();
  const err = nlmsg(2, 0, new Uint8Array([0xef, 0xff, 0xff, 0xff, ...new Uint8Array(16)])); // -17
  new DataView(err.buffer).setUint32(8, 77, true);
  const ack = nlmsg(2, 0, new Uint8Array(20));
  const noop = nlmsg(1, 0, new Uint8Array(0));
  const intr = nlmsg(3, 0x10, new Uint8Array(4));
  c.feed(concat([noop, err]));
  assert.equal([c.status().flags, c.status().error, c.status().seq], [2, -17, 77]);
  c.feed(ack);
  assert.is(c.status().flags, 8);
  c.feed(intr);
  assert.is(c.status().flags, 1 | 4);
  assert.is(c.stats().dump_intr, 1);
  assert.is(c.stats().other, 1);
});

test("garbage buffers never trap", () => {
  const c = core();
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(1 + Math.floor(rnd() * 4096));
    for (let j = 0; j < b.length; j++) b[j] = (rnd() * 256) | 0;
    c.feed(b);
  }
  assert.ok(mal(c) > 0);
});

test("fuzz: 10k mutated fixtures, no trap, result independent of the bytes after len", () => {
  // Two cores see the same inputs; rx beyond len is zero in one and 0xff in the
  // other. Any read past len would make them diverge.
  const a = core(), b = core();
  const names = fxNames().filter((n) => !n.includes("create") && !n.includes("preconf")).map((n) => n.replace(".bin", ""));
  const bufs = names.map((n) => fx(n)).filter((x) => x.length > 0);
  let seed = 987654321;
  const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296;
  const run = (c: Core, bytes: Uint8Array, fill: number) => {
    const rx = new Uint8Array(c.buf as ArrayBuffer, c.x.rx_ptr(), c.x.rx_cap());
    rx.fill(fill, 0, Math.min(rx.length, bytes.length + 4096));
    rx.set(bytes);
    const out: any[] = [];
    let off = 0;
    for (let i = 0; i < 10000; i++) {
      const n = c.x.process(off, bytes.length);
      out.push(...c.staged(n).map((r) => brief(r)));
      off = c.status().next_off;
      if (off >= bytes.length) break;
    }
    return out;
  };
  for (let i = 0; i < 10000; i++) {
    const src = bufs[(rnd() * bufs.length) | 0];
    let m = src.slice();
    const kind = (rnd() * 4) | 0;
    const nmut = 1 + ((rnd() * 4) | 0);
    for (let j = 0; j < nmut; j++) {
      const at = (rnd() * m.length) | 0;
      if (kind === 0) m[at] = (rnd() * 256) | 0;
      else if (kind === 1 && at + 2 <= m.length) new DataView(m.buffer).setUint16(at, (rnd() * 65536) | 0, true);
      else if (kind === 2 && at + 4 <= m.length) new DataView(m.buffer).setUint32(at, (rnd() * 2 ** 32) >>> 0, true);
      else m = m.slice(0, at);
    }
    const ra = run(a, m, 0), rb = run(b, m, 0xff);
    if (JSON.stringify(ra) !== JSON.stringify(rb)) assert.unreachable(`diverged on mutation ${i}`);
  }
  assert.ok(mal(a) > 100);
  assert.equal(a.stats().malformed, b.stats().malformed);
  // the cores still work
  assert.ok(a.x.proxy_add(300, 999) === 0);
});

test("any export with hostile arguments returns an error, never traps", () => {
  const c = core();
  const x = c.x;
  const big = [0, 1, 0xfffe, 0xffff, 0x10000, 0x7fffffff, -1, -0x80000000];
  for (const v of big) {
    x.proxy_add(v, v); x.proxy_remove(v); x.proxy_set_ifindex(v, v); x.proxy_info_ptr(v); x.is_proxy(v);
    x.port_bind(v, v); x.port_unbind(v); x.proxy_of_port(v); x.ports_of_proxy(100, v, v); x.mirror_count(v, v);
    x.process(v, v); x.stage_marker(v, v, 1, 2, 3, 4); x.replay_begin(v, v); x.replay_step(); x.sync_begin(v, v); c.sweep();
  }
  assert.ok(true);
});

test.run();
