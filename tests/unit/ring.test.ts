// Rings and the queue registry in one thread: edges, overflow, END, the TS API.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCore } from "../../host/core/wasm.js";
import { Queue, QueueReader } from "../../host/queues/queue.js";
import { RingHdr } from "../../host/queues/queue-reader.js";
import { EventType, decodeEvent } from "../../host/record.js";

const core = createCore();
const x = core.exports;
const EINVAL = -22, EEXIST = -17, ENOSPC = -28, ENOENT = -2;
const SPSC = 3, MPMC = 0;

function u32() { return new Uint32Array(core.share.memory.buffer); }
function u16() { return new Uint16Array(core.share.memory.buffer); }
/** n records at a fresh buffer: type t, port 1, seq = first + i */
function records(n: number, first = 0, type = 3): number {
  const p = x.ring_buf_alloc(n * 64) >>> 0;
  const m = u32();
  for (let i = 0; i < n; i++) {
    m[(p >> 2) + i * 16] = type | (1 << 16);
    m[(p >> 2) + i * 16 + 3] = first + i;
  }
  return p;
}
function seqs(p: number, n: number) { const m = u32(); return Array.from({ length: n }, (_, i) => m[(p >> 2) + i * 16 + 3]); }
function types(p: number, n: number) { const m = u16(); return Array.from({ length: n }, (_, i) => m[(p >> 1) + i * 32]); }

test("ring_size / ring_init validate slots and flags", () => {
  assert.is(x.ring_hdr_size(), RingHdr.SIZE);
  assert.is(x.ring_size(8), RingHdr.SIZE + 8 * 64);
  assert.is(x.ring_size(6), 0);
  assert.is(x.ring_size(1), 0);
  assert.is(x.ring_size(0), 0);
  const p = x.ring_buf_alloc(x.ring_size(16)) >>> 0;
  assert.is(x.ring_init(p, 16, SPSC), 0);
  assert.ok(x.ring_is(p));
  assert.is(x.ring_capacity(p), 16);
  assert.is(x.ring_init(p, 12, SPSC), EINVAL);
  assert.is(x.ring_init(p, 1, SPSC), EINVAL);
  assert.is(x.ring_init(p, 16, 4), EINVAL);
  assert.is(x.ring_init(p + 16, 16, SPSC), EINVAL); // not 64-byte aligned
  assert.is(x.ring_alloc(3, SPSC), 0);
  const r = x.ring_alloc(4, MPMC) >>> 0;
  assert.is(r % 64, 0);
  assert.is(u32()[(r >> 2) + 1], MPMC);
});

for (const [name, flags] of [["spsc", SPSC], ["mpmc", MPMC]] as const) {
  test(`${name}: full and empty edges, burst and bulk`, () => {
    const r = x.ring_alloc(8, flags) >>> 0;
    const src = records(16), dst = x.ring_buf_alloc(16 * 64) >>> 0;
    assert.is(x.ring_count(r), 0);
    assert.is(x.ring_free(r), 8);
    assert.is(x.ring_dequeue(r, dst, 4), 0, "empty");
    assert.is(x.ring_enqueue(r, src, 0), 0);
    assert.is(x.ring_enqueue(r, src, 5), 5);
    assert.is(x.ring_enqueue_bulk(r, src + 5 * 64, 4), 0, "bulk: all or nothing");
    assert.is(x.ring_enqueue(r, src + 5 * 64, 4), 3, "burst: what fits");
    assert.is(x.ring_count(r), 8);
    assert.is(x.ring_free(r), 0);
    assert.is(x.ring_enqueue(r, src, 1), 0, "full");
    assert.is(x.ring_dequeue_bulk(r, dst, 9), 0);
    assert.is(x.ring_dequeue(r, dst, 1), 1);
    assert.equal(seqs(dst, 1), [0]);
    assert.is(x.ring_dequeue(r, dst, 16), 7);
    assert.equal(seqs(dst, 7), [1, 2, 3, 4, 5, 6, 7]);
    assert.is(x.ring_dequeue(r, dst, 16), 0);
    assert.is(x.ring_enqueued(r), 8);
    assert.is(x.ring_dequeued(r), 8);
  });

  test(`${name}: wrap-around keeps order over many laps`, () => {
    const r = x.ring_alloc(8, flags) >>> 0;
    const src = records(64), dst = x.ring_buf_alloc(64 * 64) >>> 0;
    const m = u32();
    let next = 0, expect = 0;
    for (let lap = 0; lap < 200; lap++) {
      const k = 1 + (lap % 7);
      for (let i = 0; i < k; i++) m[(src >> 2) + i * 16 + 3] = next + i;
      const got = x.ring_enqueue(r, src, k);
      next += got;
      const d = x.ring_dequeue(r, dst, 1 + (lap % 5));
      for (const s of seqs(dst, d)) assert.is(s, expect++);
    }
    const d = x.ring_dequeue(r, dst, 64);
    for (const s of seqs(dst, d)) assert.is(s, expect++);
    assert.is(expect, next);
    assert.ok(next > 200);
  });
}

test("ring: a wrap in the middle of one burst", () => {
  const r = x.ring_alloc(16, SPSC) >>> 0;
  const src = records(16), dst = x.ring_buf_alloc(16 * 64) >>> 0;
  assert.is(x.ring_enqueue(r, src, 10), 10);
  assert.is(x.ring_dequeue(r, dst, 10), 10);
  assert.is(x.ring_enqueue(r, src, 16), 16); // slots 10..15 then 0..9
  assert.is(x.ring_dequeue(r, dst, 16), 16);
  assert.equal(seqs(dst, 16), Array.from({ length: 16 }, (_, i) => i));
  assert.is(x.ring_enqueued(r), 26);
});

test("ring: free-running counters across 2^32", () => {
  const r = x.ring_alloc(4, MPMC) >>> 0;
  const m = u32(), w = r >> 2;
  for (const o of [RingHdr.PROD_HEAD, RingHdr.PROD_TAIL, RingHdr.PROD_CACHE, RingHdr.CONS_HEAD, RingHdr.CONS_TAIL, RingHdr.CONS_CACHE]) m[w + o / 4] = 0xfffffffe;
  const src = records(4), dst = x.ring_buf_alloc(4 * 64) >>> 0;
  assert.is(x.ring_enqueue(r, src, 4), 4);
  assert.is(x.ring_count(r), 4);
  assert.is(x.ring_enqueue(r, src, 1), 0);
  assert.is(x.ring_dequeue(r, dst, 4), 4);
  assert.equal(seqs(dst, 4), [0, 1, 2, 3]);
  assert.is(x.ring_enqueued(r), 2);
});

test("queues_add / remove errors, 64 queues at most", () => {
  const r = x.ring_alloc(4, SPSC) >>> 0;
  assert.is(x.queues_add(0), EINVAL);
  assert.is(x.queues_add(records(1)), EINVAL, "not a ring");
  const before = x.queues_count();
  assert.is(x.queues_add(r), 0);
  assert.is(x.queues_add(r), EEXIST);
  assert.is(x.queues_count(), before + 1);
  assert.is(x.queues_remove(r), 0);
  assert.is(x.queues_remove(r), ENOENT);
  assert.is(x.queues_add(r), EINVAL, "a removed (closed) ring cannot come back");
  const many: number[] = [];
  for (let i = x.queues_count(); i < 64; i++) { const q = x.ring_alloc(2, SPSC) >>> 0; many.push(q); assert.is(x.queues_add(q), 0); }
  assert.is(x.queues_add(x.ring_alloc(2, SPSC)), ENOSPC);
  for (const q of many) assert.is(x.queues_remove(q), 0);
  assert.is(x.queues_count(), before);
});

test("queues_publish copies to every queue; overflow then OVERFLOW with the lost count", () => {
  const a = x.ring_alloc(8, SPSC) >>> 0, b = x.ring_alloc(32, MPMC) >>> 0;
  assert.is(x.queues_add(a), 0);
  assert.is(x.queues_add(b), 0);
  const dst = x.ring_buf_alloc(64 * 64) >>> 0;
  assert.is(x.queues_publish(records(6, 0), 6), 0);
  assert.is(x.queues_publish(records(6, 6), 6), 4, "a took 2 of 6");
  assert.ok(x.ring_overflowed(a));
  assert.is(x.ring_lost(a), 4);
  assert.is(x.queues_publish(records(3, 12), 3), 3, "a still full: all 3 lost");
  assert.is(x.ring_lost(a), 7);
  assert.is(x.ring_total_lost(a), 7);
  assert.is(x.ring_lost(b), 0);
  assert.is(x.ring_dequeue(b, dst, 64), 15);
  assert.equal(seqs(dst, 15), Array.from({ length: 15 }, (_, i) => i));
  // room again in a
  assert.is(x.ring_dequeue(a, dst, 3), 3);
  assert.is(x.queues_publish(records(2, 15), 2), 0);
  assert.not.ok(x.ring_overflowed(a));
  assert.is(x.ring_overflows(a), 1);
  assert.is(x.ring_lost(a), 0);
  assert.is(x.ring_total_lost(a), 7);
  const n = x.ring_dequeue(a, dst, 64);
  assert.is(n, 8);
  assert.equal(types(dst, 8), [3, 3, 3, 3, 3, EventType.OVERFLOW, 3, 3]);
  assert.equal(seqs(dst, 8), [3, 4, 5, 6, 7, 15, 15, 16]);
  const ov = decodeEvent(new DataView(core.share.memory.buffer), dst + 5 * 64);
  assert.is(ov.type, "OVERFLOW");
  assert.is((ov as any).lost, 7);
  assert.is(ov.portId, 0xffff);
  assert.is(x.ring_published(a), 10);
  assert.is(x.ring_published(b), 17);
  x.queues_remove(a); x.queues_remove(b);
});

test("remove gives END (also when the ring was full), and OVERFLOW first if pending", () => {
  const r = x.ring_alloc(4, SPSC) >>> 0, dst = x.ring_buf_alloc(8 * 64) >>> 0;
  x.queues_add(r);
  x.queues_publish(records(6), 6); // 2 lost
  assert.is(x.queues_remove(r), 0);
  assert.ok(x.ring_closed(r));
  assert.is(x.ring_dequeue(r, dst, 8), 4);
  assert.is(x.ring_dequeue(r, dst, 8), 1);
  assert.is(types(dst, 1)[0], EventType.OVERFLOW, "no room for OVERFLOW in the ring: reported when drained");
  assert.is(u32()[(dst >> 2) + 4], 2, "with the lost count");
  assert.is(x.ring_lost(r), 0, "and no longer pending");
  assert.is(x.ring_dequeue(r, dst, 8), 1);
  assert.is(types(dst, 1)[0], EventType.END, "no room for END either: reported after it");
  assert.is(x.ring_dequeue(r, dst, 8), 1, "END is sticky");

  const s = x.ring_alloc(8, SPSC) >>> 0;
  x.queues_add(s);
  x.queues_publish(records(10), 10); // 2 lost
  assert.is(x.ring_dequeue(s, dst, 3), 3);
  x.queues_remove(s);
  assert.is(x.ring_dequeue(s, dst, 8), 7);
  assert.equal(types(dst, 7), [3, 3, 3, 3, 3, EventType.OVERFLOW, EventType.END]);
  assert.is(u32()[(dst >> 2) + 5 * 16 + 4], 2);
});

test("queues_clear closes every queue", () => {
  const a = x.ring_alloc(4, SPSC) >>> 0, b = x.ring_alloc(4, MPMC) >>> 0, dst = x.ring_buf_alloc(64) >>> 0;
  x.queues_clear();
  x.queues_add(a); x.queues_add(b);
  assert.is(x.queues_clear(), 2);
  assert.is(x.queues_count(), 0);
  for (const r of [a, b]) { assert.is(x.ring_dequeue(r, dst, 1), 1); assert.is(types(dst, 1)[0], EventType.END); }
});

test("ring_wait: times out on empty, returns at once when records or closed", () => {
  const r = x.ring_alloc(4, SPSC) >>> 0;
  let t = performance.now();
  assert.is(x.ring_wait(r, 20_000), 0);
  assert.ok(performance.now() - t >= 15);
  x.ring_enqueue(r, records(1), 1);
  assert.is(x.ring_wait(r, 1_000_000), 1);
  x.ring_dequeue(r, x.ring_buf_alloc(64), 1);
  x.ring_close(r);
  t = performance.now();
  assert.is(x.ring_wait(r, 1_000_000), 1);
  assert.ok(performance.now() - t < 100);
});

test("Queue / QueueReader: enqueue, zero-copy view, events, stats, END", () => {
  const q = new Queue(core, { slots: 16, mode: "spsc", burst: 8 });
  assert.throws(() => new Queue(core, { slots: 12 }));
  const h = q.handle;
  assert.equal(Object.keys(structuredClone({ ...h, module: null, memory: null })).sort(),
    ["burst", "claims", "gen", "maxReaders", "memory", "mode", "module", "ptr", "scratch", "slots"]);
  const bytes = new Uint8Array(64 * 20);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < 20; i++) {
    dv.setUint16(i * 64, EventType.MTU_CHANGE, true);
    dv.setUint16(i * 64 + 2, 7, true);
    dv.setUint32(i * 64 + 12, i, true);
    dv.setUint32(i * 64 + 16, 1500 + i, true);
  }
  assert.is(q.enqueue(bytes), 16);
  assert.is(q.count(), 16);
  const rd = q.reader();
  assert.throws(() => q.reader(), /reader slot/);
  assert.is(rd.dequeue(), 8);
  assert.is(rd.length, 8);
  assert.is(rd.view.getUint32(rd.offset(3) + 16, true), 1503);
  assert.is(rd.typeAt(0), EventType.MTU_CHANGE);
  assert.is(rd.bytes(2)[12], 2);
  const evs = rd.dequeueEvents(4);
  assert.equal(evs.map((e) => (e as any).mtu), [1508, 1509, 1510, 1511]);
  assert.is(evs[0].type, "MTU_CHANGE");
  assert.is(evs[0].portId, 7);
  let sum = 0;
  assert.is(rd.forEach((v, off) => { sum += v.getUint32(off + 12, true); }), 4);
  assert.is(sum, 12 + 13 + 14 + 15);
  q.close();
  assert.ok(q.closed);
  const st = rd.stats();
  assert.is(st.read, 16);
  assert.is(st.enqueued, 17);
  assert.ok(st.closed);
  assert.is(rd.dequeue(), 1);
  assert.is(rd.typeAt(0), EventType.END);
  assert.ok(rd.ended);
  assert.is(rd.dequeue(), 0);
  rd.close();
  const again = q.reader();
  again.close();
});

test("async iterator: yields until END without blocking the event loop", async () => {
  const q = new Queue(core, { slots: 8, mode: "mpmc", burst: 4 });
  assert.is(x.queues_add(q.ptr), 0);
  const rd = q.reader();
  const seen: number[] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const consumer = (async () => { for await (const ev of rd) seen.push(ev.seq); })();
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    x.queues_publish(records(3, i * 3, EventType.CFG_DONE), 3);
  }
  await new Promise((r) => setTimeout(r, 10));
  q.close();
  await consumer;
  clearInterval(timer);
  assert.equal(seen, Array.from({ length: 15 }, (_, i) => i));
  assert.ok(ticks > 5, `event loop kept running (${ticks} ticks)`);
  rd.close();
});

test("QueueReader.attach validates the handle", () => {
  const q = new Queue(core, { slots: 4 });
  assert.throws(() => QueueReader.attach({ ...q.handle, ptr: q.handle.scratch }, { exports: x }), (e: any) => e.code === "EINVAL" && /no ring at/.test(e.message));
});

test.run();
