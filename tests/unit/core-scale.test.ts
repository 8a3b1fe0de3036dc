// Staging limits (stop early at a message boundary and resume), chunked purges,
// and the mirror at full-table scale (1M IPv4 + 100k IPv6 routes), with the
// throughput printed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, T1, nlmsg, route4, route6, concat, attr, ip4be } from "./helpers/core.ts";

function core(ports: number[]): Core {
  const c = new Core();
  c.x.proxy_add(100, T0); c.x.proxy_add(101, T1);
  for (const p of ports) assert.is(c.x.port_bind(p, 100), 0);
  return c;
}

/** n IPv4 routes 10.x.y.0/24 starting at index `from`, packed into buffers that fit rx */
function* routeChunks(c: Core, from: number, n: number, v6 = false): Generator<Uint8Array> {
  const tpl = v6 ? route6(0, T0) : route4(0x0a000000, 24, 0xc6336401, T0);
  const size = tpl.length;
  const per = Math.floor(c.x.rx_cap() / size);
  const dstOff = v6 ? 16 + 12 + 8 + 4 + 4 : 16 + 12 + 8 + 4;
  for (let i = 0; i < n; i += per) {
    const k = Math.min(per, n - i);
    const buf = new Uint8Array(k * size);
    const dv = new DataView(buf.buffer);
    for (let j = 0; j < k; j++) {
      buf.set(tpl, j * size);
      const idx = from + i + j;
      if (v6) dv.setUint32(j * size + dstOff, idx, false);
      else dv.setUint32(j * size + dstOff, 0x0a000000 + idx * 256, false);
    }
    yield buf;
  }
}

test("staging full: process() stops at a message boundary and resumes without loss or duplicates", () => {
  const c = core([1, 2, 3, 4]);
  const [buf] = [...routeChunks(c, 0, 4000)];
  new Uint8Array(c.buf as ArrayBuffer, c.x.rx_ptr(), buf.length).set(buf);
  const n1 = c.x.process(0, buf.length);
  const st = c.status();
  assert.ok(st.next_off < buf.length && st.next_off > 0, "stopped early");
  assert.is(st.next_off % 60, 0, "at a message boundary");
  assert.ok(n1 <= 8192 && n1 >= 8000, `staged ${n1}`);
  assert.is(n1 % 4, 0, "never half of a message's copies");
  const seen = new Set<string>();
  for (const r of c.staged(n1)) seen.add(`${r.port}/${r.dst}`);
  let off = st.next_off, calls = 1;
  while (off < buf.length) {
    const n = c.x.process(off, buf.length);
    for (const r of c.staged(n)) { const k = `${r.port}/${r.dst}`; assert.not.ok(seen.has(k), k); seen.add(k); }
    off = c.status().next_off;
    calls++;
  }
  assert.is(seen.size, 16000);
  assert.is(calls, 2);
});

test("RTM_DELLINK of a proxy with 20k routes: DELs in chunks, PROXY_GONE, then the next message exactly once", () => {
  const c = core([1]);
  for (const b of routeChunks(c, 0, 20000)) c.feed(b);
  assert.is(c.x.mirror_count(4, 100), 20000);
  const ifi = new Uint8Array(16); new DataView(ifi.buffer).setInt32(4, T0, true);
  const del = nlmsg(17, 0, ifi);
  const addr = nlmsg(20, 0, new Uint8Array([2, 24, 0, 0, T1, 0, 0, 0]), attr(2, ip4be(0xc0000201)));
  c.x.port_bind(2, 101);
  const buf = concat([del, addr]);
  new Uint8Array(c.buf as ArrayBuffer, c.x.rx_ptr(), buf.length).set(buf);
  const recs: any[] = [];
  let off = 0, calls = 0;
  while (off < buf.length && calls < 100) {
    const n = c.x.process(off, buf.length);
    recs.push(...c.staged(n));
    if (calls === 0) { assert.is(c.status().next_off, 0, "left on the DELLINK"); assert.is(c.status().flags & 16, 16); }
    off = c.status().next_off;
    calls++;
  }
  assert.ok(calls >= 3);
  assert.is(recs.filter((r) => r.type === "ROUTE_DEL").length, 20000);
  assert.equal(recs.slice(-2).map((r) => [r.type, r.port]), [["PROXY_GONE", 1], ["ADDR_ADD", 2]]);
  assert.is(c.x.mirror_count(4, 100), 0);
  assert.is(c.stats().messages, 20002);
});

test("scale: 1M IPv4 + 100k IPv6 routes in the mirror; throughput; resync and purge at scale", () => {
  const c = core([1]);
  const chunks4 = [...routeChunks(c, 0, 1_000_000)];
  const chunks6 = [...routeChunks(c, 0, 100_000, true)];
  const rx = () => new Uint8Array(c.buf as ArrayBuffer, c.x.rx_ptr(), c.x.rx_cap());
  const feedTimed = (chunks: Uint8Array[]) => {
    let t = 0, recs = 0;
    for (const b of chunks) {
      rx().set(b);
      let off = 0;
      const t0 = process.hrtime.bigint();
      while (off < b.length) { recs += c.x.process(off, b.length); off = c.status().next_off; }
      t += Number(process.hrtime.bigint() - t0);
    }
    return { ms: t / 1e6, recs };
  };
  const a = feedTimed(chunks4);
  const b = feedTimed(chunks6);
  assert.is(a.recs, 1_000_000);
  assert.is(b.recs, 100_000);
  assert.is(c.x.mirror_count(4, -1), 1_100_000);
  assert.is(c.stats().n_route4, 1_000_000);
  assert.is(c.stats().n_route6, 100_000);
  // the same dump again (a resync): nothing staged, nothing swept
  c.x.sync_begin(4, 8);
  const r = feedTimed(chunks4);
  const r6 = feedTimed(chunks6);
  assert.is(r.recs + r6.recs, 0);
  const t1 = process.hrtime.bigint();
  let swept = 0;
  for (let n; (n = c.x.sync_end_step()); ) swept += n;
  const sweepMs = Number(process.hrtime.bigint() - t1) / 1e6;
  assert.is(swept, 0);
  // resync against a dump missing 10k routes: exactly those are swept
  c.x.sync_begin(4, 8);
  feedTimed(chunks4.map((x) => x)); // all IPv4
  feedTimed(chunks6.slice(1));      // IPv6 minus the first chunk
  let swept2 = 0;
  for (let n; (n = c.x.sync_end_step()); ) swept2 += n;
  assert.is(swept2, chunks6[0].length / route6(0, T0).length);
  // DELLINK purge of everything, in chunks
  const ifi = new Uint8Array(16); new DataView(ifi.buffer).setInt32(4, T0, true);
  const del = nlmsg(17, 0, ifi);
  rx().set(del);
  const t2 = process.hrtime.bigint();
  let dels = 0, off = 0, calls = 0;
  while (off < del.length) { dels += c.x.process(off, del.length); off = c.status().next_off; calls++; }
  const purgeMs = Number(process.hrtime.bigint() - t2) / 1e6;
  assert.is(dels, 1_100_000 - swept2 + 1);
  assert.is(c.x.mirror_count(4, -1), 0);
  console.log(`    process(): ${(1e6 / a.ms * 1000 / 1e6).toFixed(2)} M IPv4 route msgs/s (1M new, ${a.ms.toFixed(0)} ms), ` +
    `${(1e5 / b.ms * 1000 / 1e6).toFixed(2)} M IPv6/s; identical re-dump ${(1e6 / r.ms * 1000 / 1e6).toFixed(2)} M/s; ` +
    `empty sweep of 1.1M ${sweepMs.toFixed(0)} ms; purge 1.1M in ${calls} calls ${purgeMs.toFixed(0)} ms; ` +
    `memory ${(c.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`);
});

test.run();
