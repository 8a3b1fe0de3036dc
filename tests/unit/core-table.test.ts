// Mirror hash tables against a model: random inserts and deletes of IPv4
// routes (tables of any capacity, probing that wraps at the end, backward-shift
// deletion across the wrap, growth and mirror_reserve in between), checked
// through query_*() and through the records each message stages.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, route4, concat, decode } from "./helpers/core.ts";

function listRoutes(c: Core): string[] {
  assert.is(c.x.query_begin(100, 4), 0);
  const out: string[] = [];
  for (let n; (n = c.x.query_step()); ) {
    for (let i = 0; i < n; i++) { const r = decode(c.buf, c.x.query_ptr() + i * 64); out.push(`${r.dst}/${r.depth}`); }
  }
  return out.sort();
}

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

test.run();
