// Mirror hash tables against a model: random inserts and deletes of IPv4
// routes (tables of any capacity, probing that wraps at the end, backward-shift
// deletion across the wrap, growth and mirror_reserve in between), checked
// through query_*() and through the records each message stages.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, route4, concat, decode } from "./helpers/core.ts";

function listRoutes(c: Core, sorted = true): string[] {
  assert.is(c.x.query_begin(100, 4), 0);
  const out: string[] = [];
  for (let n; (n = c.x.query_step()); ) {
    for (let i = 0; i < n; i++) { const r = decode(c.buf, c.x.query_ptr() + i * 64); out.push(`${r.dst}/${r.depth}`); }
  }
  return sorted ? out.sort() : out;
}
const key24 = (d: number) => { const v = d >>> 0; return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/24`; };

test("random inserts/deletes: mirror equals the model, every DEL finds its entry (wrap-around, growth, reserve)", () => {
  const c = new Core();
  c.x.proxy_add(100, T0);
  c.x.port_bind(1, 100);
  let seed = 99;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  const model = new Set<number>();
  const key = (d: number) => { const v = d >>> 0; return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/24`; };
  // dsts from a small space so deletes hit; 60k live at most in 65536 initial slots -> growth
  const SPACE = 90_000;
  for (let round = 0; round < 12; round++) {
    if (round === 5) assert.is(c.x.mirror_reserve(4, 140_001), 0); // an odd capacity
    const msgs: Uint8Array[] = [];
    const expect = { add: 0, del: 0 };
    const seen = new Set<number>();
    for (let i = 0; i < 4000; i++) {
      const d = (0x0b000000 + rnd(SPACE) * 256) >>> 0;
      if (seen.has(d)) continue; // one message per dst per batch keeps the expectation simple
      seen.add(d);
      const del = model.has(d) ? rnd(3) !== 0 : rnd(4) === 0;
      msgs.push(route4(d, 24, 0, T0, del ? 25 : 24));
      if (del && model.has(d)) { model.delete(d); expect.del++; }
      else if (!del && !model.has(d)) { model.add(d); expect.add++; }
    }
    const recs = c.feed(concat(msgs));
    assert.is(recs.filter((r) => r.type === "ROUTE_ADD").length, expect.add, `round ${round} adds`);
    assert.is(recs.filter((r) => r.type === "ROUTE_DEL").length, expect.del, `round ${round} dels`);
    assert.is(c.x.mirror_count(4, 100), model.size);
  }
  assert.equal(listRoutes(c), [...model].map(key).sort());
  // delete everything: each DEL finds exactly its entry
  const all = [...model];
  for (let i = 0; i < all.length; i += 4000) {
    const recs = c.feed(concat(all.slice(i, i + 4000).map((d) => route4(d, 24, 0, T0, 25))));
    assert.is(recs.length, Math.min(4000, all.length - i));
  }
  assert.is(c.x.mirror_count(4, -1), 0);
  assert.equal(listRoutes(c), []);
});

// table.ts's e_hash for an IPv4 route of route4(): dst_len 24, tos 0, table
// 254, priority 0 (r_mix: u64 multiply-xorshift-multiply, top 32 bits)
function hashR4(dst: number): number {
  const M = (1n << 64n) - 1n;
  const a = (BigInt(dst >>> 0) << 32n) | BigInt(24 << 8), b = 254n;
  let x = (a ^ ((b * 0x9e3779b97f4a7c15n) & M));
  x ^= x >> 29n;
  x = (x * 0xbf58476d1ce4e5b9n) & M;
  x ^= x >> 32n;
  return Number(((x * 0x94d049bb133111ebn) & M) >> 32n);
}
const home = (dst: number, cap: number) => Number((BigInt(hashR4(dst)) * BigInt(cap)) >> 32n);

test("in-place growth: probe runs that wrap at the end, before and after doubling; growth with blocks after the table", () => {
  const c = new Core();
  c.x.proxy_add(100, T0);
  c.x.port_bind(1, 100);
  const CAP = 65536; // the IPv4 route table's first capacity
  // 6 dsts whose home is the last slot now, and 6 more whose home is the last
  // slot after one doubling: probe runs that wrap, in the old and the new table
  const pick = (cap: number, n: number, from: number) => {
    const out: number[] = [];
    for (let i = from; out.length < n; i++) { const d = (0x0c000000 + i * 256) >>> 0; if (home(d, cap) === cap - 1) out.push(d); }
    return out;
  };
  const wrapOld = pick(CAP, 6, 0), wrapNew = pick(2 * CAP, 6, 1 << 20);
  c.feed(concat(wrapOld.map((d) => route4(d, 24, 0, T0))));
  // the hash port is right: the first of them sits in the last slot, the 5 others wrapped to slots 0..4
  assert.equal(listRoutes(c, false).slice(0, 5), wrapOld.slice(1).map(key24), "query order = slot order: wrapped entries first");
  c.feed(concat(wrapNew.map((d) => route4(d, 24, 0, T0))));
  const all = [...wrapOld, ...wrapNew];
  // fill past 0.7 x CAP: a doubling (in place: the table is the last heap block
  // after its first growth, so grow once, then allocate a block after it and grow again)
  let next = 0x40000000; // apart from the dsts picked above
  const fill = (n: number) => {
    const batch: number[] = [];
    for (let i = 0; i < n; i++) { batch.push(next); next += 256; }
    for (let i = 0; i < batch.length; i += 4000) c.feed(concat(batch.slice(i, i + 4000).map((d) => route4(d, 24, 0, T0))));
    all.push(...batch);
  };
  const grows0 = c.stats().grows;
  fill(50_000);                       // 65536 -> 131072
  assert.is(c.stats().grows, grows0 + 1);
  c.x.ring_buf_alloc(4096);          // a heap block after the table: the next growth copies it first
  fill(50_000);                       // -> 262144
  fill(90_000);                       // -> 524288, in place again
  assert.is(c.stats().grows, grows0 + 3);
  assert.is(c.x.mirror_count(4, 100), all.length);
  assert.equal(listRoutes(c), all.map(key24).sort(), "every entry listed once");
  // every entry is found by its key: each DEL removes exactly one
  for (let i = 0; i < all.length; i += 4000) {
    const recs = c.feed(concat(all.slice(i, i + 4000).map((d) => route4(d, 24, 0, T0, 25))));
    assert.is(recs.filter((r) => r.type === "ROUTE_DEL").length, Math.min(4000, all.length - i));
  }
  assert.is(c.x.mirror_count(4, -1), 0);
});

test.run();
