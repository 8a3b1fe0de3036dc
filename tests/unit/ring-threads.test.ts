// Rings across worker threads: 10 million sequenced records, none lost, none
// duplicated, per-producer order kept; SPSC and MPMC (2 producers x 2
// consumers), bursts of 1 and 32; a consumer blocked in wait() gets END when
// its queue is removed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { runRingCase, type RingCase } from "../../bench/ring.js";
import { createCore } from "../../host/core/wasm.js";
import { Queue } from "../../host/queues/queue.js";
import { EventType } from "../../host/record.js";

const workerUrl = new URL("./workers/ring-worker.mjs", import.meta.url);
const TOTAL = 10_000_000;

const cases: RingCase[] = [
  { impl: "as", mode: "spsc", burst: 1, total: TOTAL },
  { impl: "as", mode: "spsc", burst: 32, total: TOTAL },
  { impl: "as", mode: "mpmc", burst: 1, total: TOTAL / 2, producers: 2, consumers: 2 },
  { impl: "as", mode: "mpmc", burst: 32, total: TOTAL / 2, producers: 2, consumers: 2 },
  { impl: "as", mode: "mpmc", burst: 7, total: 500_000, producers: 1, consumers: 2, slots: 64 },
];

for (const c of cases) {
  const p = c.producers ?? 1, q = c.consumers ?? 1;
  test(`${c.mode} ${p}x${q} burst ${c.burst}: ${p * c.total} records, no loss, no duplicate, in order`, async () => {
    // few tries before sleeping: the producer's sleeps on a full ring and the
    // consumer's futex waits on an empty one happen thousands of times
    const r = await runRingCase({ spinFull: 64, spinEmpty: 128, ...c, workerUrl });
    assert.is(r.records, p * c.total);
    assert.is(r.lost, 0, "lost");
    assert.is(r.dups, 0, "duplicated");
    assert.is(r.orderErrors, 0, "out of order");
    assert.is(r.bad, 0, "corrupt");
    assert.is(r.received, r.records);
    assert.ok(r.ok);
    if (process.env.RING_VERBOSE) console.log(`  ${r.mode} ${p}x${q} b${c.burst}: ${r.mrps.toFixed(1)} M/s`);
  });
}

test("the plain-JS baseline ring passes the same check", async () => {
  const r = await runRingCase({ impl: "js", mode: "mpmc", burst: 32, total: 1_000_000, producers: 2, consumers: 2, workerUrl });
  assert.ok(r.ok, JSON.stringify(r));
});

function runReader(handle: any, timeoutMs = 10000) {
  const w = new Worker(fileURLToPath(new URL("./workers/queue-reader-worker.mjs", import.meta.url)), { workerData: { handle, timeoutMs } });
  const attached = new Promise<void>((res) => w.once("message", () => res()));
  const result = new Promise<any>((res, rej) => {
    w.on("message", (m) => { if (!m.attached) res(m); });
    w.on("error", rej);
  });
  return { w, attached, result };
}

test("queues_remove wakes a consumer blocked in wait() with END", async () => {
  const core = createCore();
  const x = core.exports;
  const q = new Queue(core, { slots: 64, mode: "spsc" });
  assert.is(x.queues_add(q.ptr), 0);
  const { attached, result } = runReader(q.handle);
  await attached;
  await new Promise((r) => setTimeout(r, 150)); // the reader is asleep in Atomics.wait
  const src = x.ring_buf_alloc(3 * 64) >>> 0;
  const dv = new DataView(core.share.memory.buffer);
  for (let i = 0; i < 3; i++) { dv.setUint16(src + i * 64, EventType.LINK_CHANGE, true); dv.setUint32(src + i * 64 + 12, 10 + i, true); }
  assert.is(x.queues_publish(src, 3), 0);
  await new Promise((r) => setTimeout(r, 100));
  const t = performance.now();
  assert.is(x.queues_remove(q.ptr), 0);
  const m = await result;
  assert.ok(performance.now() - t < 1000, "woken, not timed out");
  assert.equal(m.types, [2, 2, 2, EventType.END]);
  assert.equal(m.seqs.slice(0, 3), [10, 11, 12]);
  assert.is(m.timeouts, 0);
  assert.ok(m.waits >= 2);
});

test("close of a full ring still ends every MPMC consumer", async () => {
  const core = createCore();
  const x = core.exports;
  const q = new Queue(core, { slots: 4, mode: "mpmc", maxReaders: 2, burst: 2 });
  assert.is(x.queues_add(q.ptr), 0);
  const src = x.ring_buf_alloc(8 * 64) >>> 0;
  assert.is(x.queues_publish(src, 8), 4);
  const a = runReader(q.handle, 30000), b = runReader(q.handle, 30000);
  await Promise.all([a.attached, b.attached]);
  q.close();
  const [ra, rb] = await Promise.all([a.result, b.result]);
  const all = [...ra.types, ...rb.types];
  assert.is(all.filter((t: number) => t === EventType.END).length, 2, "each reader ends");
  // 4 records fit; OVERFLOW and END found no room and END is reported when drained
  assert.is(all.filter((t: number) => t === 0).length, 4);
  assert.is(ra.timeouts + rb.timeouts, 0);
});

test.run();
