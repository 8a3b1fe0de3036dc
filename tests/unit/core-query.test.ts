// Queries of the mirror (query_begin / query_step / query_status / query_ptr),
// pre-sizing (mirror_reserve), and NLM_F_DUMP_INTR in recorded dump bytes.
// t0 and t1 are proxies 100 and 101 bound to ports 1 and 2 (as in core.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, fx, index, T0, T1, F, decode, route4, route6, concat, brief } from "./helpers/core.ts";

function setup(): Core {
  const c = new Core();
  assert.is(c.x.proxy_add(100, T0), 0);
  assert.is(c.x.proxy_add(101, T1), 0);
  assert.is(c.x.port_bind(1, 100), 0);
  assert.is(c.x.port_bind(2, 101), 0);
  for (const d of ["dump-link", "dump-addr", "dump-route", "dump-neigh"]) c.feed(fx(d));
  return c;
}
function feedRange(c: Core, from: string, to: string): void {
  const i = index.steps.findIndex((s: any) => s.name.includes(from));
  const j = index.steps.findIndex((s: any) => s.name.includes(to));
  for (const s of index.steps.slice(i, j + 1)) c.feed(fx(s.name.replace(".bin", "")));
}
/** run a query to the end; returns the records and the number of steps that returned records */
function query(c: Core, proxy: number, kinds: number): { recs: any[]; steps: number } {
  assert.is(c.x.query_begin(proxy, kinds), 0);
  const recs: any[] = [];
  let steps = 0;
  for (let n; (n = c.x.query_step()); steps++) {
    const p = c.x.query_ptr();
    for (let i = 0; i < n; i++) recs.push(decode(c.buf, p + i * 64));
  }
  assert.is(c.x.query_status(), 0);
  return { recs, steps };
}
/** feed many messages, packed into buffers that fit rx */
function feedMsgs(c: Core, msgs: Uint8Array[]): any[] {
  const out: any[] = [];
  const cap = c.x.rx_cap();
  for (let i = 0; i < msgs.length;) {
    let n = 0, j = i;
    while (j < msgs.length && n + msgs[j].length <= cap) n += msgs[j++].length;
    out.push(...c.feed(concat(msgs.slice(i, j))));
    i = j;
  }
  return out;
}
const key = (r: any) => JSON.stringify(brief(r, ["type", "proxy", "ifindex", "family", "ip", "prefixlen", "dst", "gw", "depth", "table", "prio", "rtype", "weight", "nh_count", "mac", "state"]));
const stagedBytes = (c: Core, n: number) => new Uint8Array(c.buf as ArrayBuffer, c.x.staged_ptr(), n * 64).slice();

test("query: a proxy's addresses, routes and neighbours equal a replay of them, port 0xFFFF, entry flags only, no seq taken", () => {
  const c = setup();
  feedRange(c, "s01-up", "x-neigh-change");
  // leave something staged: a query must not touch it
  const staged = c.x.stage_marker(15, 0xffff, 1, 2, 3, 4);
  const before = stagedBytes(c, staged);
  const seq = c.x.seq_last();
  const stats = c.stats();
  for (const proxy of [100, 101]) {
    assert.is(c.x.port_bind(9, proxy), 0);
    const rep = c.replay(proxy, 9).filter((r) => !["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE"].includes(r.type));
    const seq2 = c.x.seq_last();
    c.x.stage_marker(15, 0xffff, 1, 2, 3, 4);
    const { recs } = query(c, proxy, 14);
    assert.equal(recs.map(key), rep.map(key), "same records, same order as a replay");
    assert.ok(recs.every((r) => r.port === 0xffff && r.proxy === proxy && r.seq === seq2 + 1));
    assert.equal(recs.map((r) => r.flags), rep.map((r) => r.flags & ~F.INITIAL));
    assert.is(recs.length, c.x.mirror_count(2, proxy) + c.x.mirror_count(4, proxy) + c.x.mirror_count(8, proxy));
    assert.is(c.x.seq_last(), seq2 + 1, "a query takes no seq");
  }
  assert.ok(seq > 0);
  // kinds, one at a time; -1 = every proxy
  const only = (p: number, k: number) => query(c, p, k).recs.map((r) => r.type);
  assert.ok(only(100, 2).every((t) => t === "ADDR_ADD" || t === "ADDR6_ADD"));
  assert.ok(only(100, 4).every((t) => t === "ROUTE_ADD" || t === "ROUTE6_ADD"));
  assert.is(only(100, 4).length, c.x.mirror_count(4, 100));
  assert.ok(only(101, 8).every((t) => t === "NEIGH_ADD" || t === "NEIGH6_ADD"));
  assert.is(only(101, 8).length, c.x.mirror_count(8, 101));
  const all = query(c, -1, 15).recs;
  assert.is(all.length, c.x.mirror_count(2, -1) + c.x.mirror_count(4, -1) + c.x.mirror_count(8, -1));
  assert.equal(new Set(all.map((r) => r.proxy)), new Set([100, 101]));
  // the mirrored flags: LOCAL (table local), MULTIPATH (nh_count > 1)
  const routes = query(c, -1, 4).recs;
  assert.ok(routes.some((r) => r.flags === F.LOCAL && r.table === 255));
  assert.ok(routes.some((r) => r.flags === F.MULTIPATH && r.nh_count > 1));
  assert.ok(routes.every((r) => ((r.flags & F.LOCAL) !== 0) === (r.table === 255)));
  // no side effects on counters, staging, status
  const s2 = c.stats();
  for (const k of ["messages", "staged", "gen", "n_route4", "n_route6", "n_addr", "n_neigh"]) if (k !== "staged") assert.is(s2[k], stats[k], k);
  c.x.stage_marker(15, 0xffff, 1, 2, 3, 4);
  const mid = stagedBytes(c, 1);
  query(c, -1, 14);
  assert.equal(stagedBytes(c, 1), mid, "staged records survive a query (callable from a callback)");
  assert.equal(before.length, 64);
});

test("query: errors, empty answers, no query running", () => {
  const c = setup();
  assert.is(c.x.query_step(), 0, "no query");
  assert.is(c.x.query_begin(55, 14), -22, "not a proxy");
  assert.is(c.x.query_begin(1, 14), -22, "a port is not a proxy");
  assert.is(c.x.query_begin(100, 16), -22, "unknown kind bit");
  assert.is(c.x.query_begin(-2, 14), -22);
  assert.is(c.x.query_begin(0x10064, 14), -22);
  assert.is(c.x.query_step(), 0);
  assert.equal(query(c, 100, 0).recs, []);
  assert.equal(query(c, 100, 1).recs, [], "link bit: nothing (proxy_info_ptr has it)");
  assert.equal(query(c, 100, 8).recs, [], "t0 has no neighbour yet");
  assert.is(query(c, 101, 14).recs.length, 6);
});

test("query in chunks of at most 4096, interleaved with a replay and during a sync, without disturbing either", () => {
  const c = setup();
  const N = 10000;
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < N; i++) msgs.push(route4(0x0b000000 + i * 256, 24, 0, T0));
  for (let i = 0; i < 300; i++) msgs.push(route6(i, T0));
  feedMsgs(c, msgs);
  assert.is(c.x.mirror_count(4, 100), N + 300);
  const { recs, steps } = query(c, 100, 4);
  assert.is(recs.length, N + 300);
  assert.is(steps, 3);
  assert.is(new Set(recs.map(key)).size, N + 300, "no duplicates");
  assert.is(recs.filter((r) => r.type === "ROUTE6_ADD").length, 300);
  // proxy 101's few entries: found without listing t0's
  assert.is(query(c, 101, 4).recs.length, c.x.mirror_count(4, 101));

  // a replay (staging area) and a query (query area) interleaved step by step
  c.x.replay_begin(100, 1);
  assert.is(c.x.query_begin(100, 14), 0);
  const rep: any[] = [], q: any[] = [];
  for (let i = 0; i < 100; i++) {
    const a = c.x.replay_step();
    rep.push(...c.staged(a));
    const b = c.x.query_step();
    for (let j = 0; j < b; j++) q.push(decode(c.buf, c.x.query_ptr() + j * 64));
    if (!a && !b) break;
  }
  const repEntries = rep.filter((r) => !["LINK_CHANGE", "MTU_CHANGE", "MAC_CHANGE"].includes(r.type));
  assert.equal(q.map(key), repEntries.map(key));
  assert.is(q.length, N + 300 + c.x.mirror_count(2, 100) + c.x.mirror_count(8, 100));

  // during a sync: a query leaves the generations alone, so the sweep is exact
  c.x.sync_begin(4, F.RESYNC);
  c.feed(fx("dump-route"));
  const gen = c.stats().gen;
  assert.is(query(c, -1, 14).recs.length > N, true);
  assert.is(c.stats().gen, gen);
  const swept = c.sweep();
  assert.is(swept.length, N + 300, "exactly the routes missing from the dump");
  assert.ok(swept.every((r) => r.flags === F.RESYNC && r.proxy === 100));
  assert.is(c.x.mirror_count(4, 100), 0);
});

test("query: the mirror changing between two steps ends it with -ESTALE (no duplicates handed out)", () => {
  const c = setup();
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < 9000; i++) msgs.push(route4(0x0b000000 + i * 256, 24, 0, T0));
  feedMsgs(c, msgs);
  assert.is(c.x.query_begin(100, 4), 0);
  assert.is(c.x.query_step(), 4096);
  assert.is(c.x.query_status(), 1);
  c.feed(route4(0x0b000000, 24, 0, T0, 25)); // RTM_DELROUTE: entries shift
  assert.is(c.x.query_step(), 0);
  assert.is(c.x.query_status(), -116);
  assert.is(c.x.query_step(), 0);
  // a new query starts over
  assert.is(query(c, 100, 4).recs.length, 8999);
});

test("mirror_reserve: one growth to the requested size, no doublings while filling; errors", () => {
  const c = setup();
  const N = 100_000;
  const before = query(c, -1, 4).recs.map(key);
  assert.is(c.x.mirror_reserve(4, N + 16), 0);
  assert.equal(query(c, -1, 4).recs.map(key).sort(), before.sort(), "entries kept across the rehash");
  assert.is(c.x.mirror_reserve(16, 5000), 0);
  const g0 = c.stats().grows;
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < N; i++) msgs.push(route4(0x0b000000 + i * 256, 24, 0, T0));
  feedMsgs(c, msgs);
  const six: Uint8Array[] = [];
  for (let i = 0; i < 5000; i++) six.push(route6(i, T0));
  feedMsgs(c, six);
  assert.is(c.x.mirror_count(4, 100), N + 5000);
  assert.is(c.stats().grows, g0, "no doubling after reserve");
  assert.is(c.x.mirror_reserve(4, 10), 0, "never shrinks");
  assert.is(c.x.mirror_reserve(4, N), 0);
  assert.is(c.stats().grows, g0);
  // without reserve the same fill doubles
  const d = setup();
  feedMsgs(d, msgs);
  assert.ok(d.stats().grows >= 2);
  // errors
  assert.is(c.x.mirror_reserve(1, 10), -22);
  assert.is(c.x.mirror_reserve(6, 10), -22, "one kind per call");
  assert.is(c.x.mirror_reserve(3, 10), -22);
  assert.is(c.x.mirror_reserve(16, 0xffffffff), -12);
  assert.is(c.x.mirror_reserve(16, 0x7fffffff), -12, "beyond 4 GiB");
  assert.is(c.x.mirror_reserve(2, 2000), 0);
  assert.is(c.x.mirror_reserve(8, 2000), 0);
  assert.is(c.x.mirror_count(2, 101) + c.x.mirror_count(8, 101), 2, "address and neighbour kept");
});

test("NLM_F_DUMP_INTR in a recorded route dump: status flag and counter, the dump's routes still mirrored", () => {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1); c.x.port_bind(2, 101);
  c.x.sync_begin(15, F.INITIAL);
  for (const d of ["dump-link", "dump-addr"]) c.feed(fx(d));
  const dump = fx("dump-route").slice();
  const dv = new DataView(dump.buffer);
  // mark the third message (the kernel sets it on every message after the change it saw)
  let off = 0, flagged = 0;
  for (let i = 0; off < dump.length; i++) {
    const len = dv.getUint32(off, true);
    if (i >= 2) { dv.setUint16(off + 6, dv.getUint16(off + 6, true) | 0x10, true); flagged++; }
    off += (len + 3) & ~3;
  }
  assert.ok(flagged >= 2);
  const recs = c.feed(dump);
  const st = c.status();
  assert.is(st.flags & 4, 4, "DUMP_INTR");
  assert.is(st.flags & 1, 1, "DONE seen too");
  assert.is(c.stats().dump_intr, flagged);
  assert.is(recs.filter((r) => r.type === "ROUTE_ADD").length, 4);
  assert.is(c.x.mirror_count(4, 101), 4);
  // per call: the next call's status starts clean
  c.feed(fx("dump-neigh"));
  assert.is(c.status().flags & 4, 0);
  // the host restarts the dump (sync_begin again); the repeated dump stages nothing new, sweep is empty
  c.x.sync_begin(15, F.INITIAL);
  for (const d of ["dump-link", "dump-addr", "dump-route", "dump-neigh"]) c.feed(fx(d));
  assert.equal(c.sweep(), []);
  assert.is(c.x.mirror_count(4, 101), 4);
  assert.is(c.x.mirror_count(4, 100), 0);
  // a sweep is skipped only for tables that were empty when the sync began:
  // restarted again, now with the routes gone from the dump, they are swept
  c.x.sync_begin(15, F.INITIAL);
  for (const d of ["dump-link", "dump-addr", "dump-neigh"]) c.feed(fx(d));
  const swept = c.sweep();
  assert.is(swept.filter((r) => r.type === "ROUTE_DEL").length, 4, "the 4 routes missing from the restarted dump are deleted");
  assert.is(c.x.mirror_count(4, 101), 0);
});

test.run();
