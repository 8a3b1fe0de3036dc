// Consumer of bench/e2e.ts: attaches to an ifpx queue (QueueReader.attach),
// blocks in wait() when the ring is empty, reads records in place and counts
// the burst's ROUTE_ADD records (IPv4, /24, not part of the initial snapshot),
// timing the first and the last one. Plain .mjs registering tsx (TS worker
// entries do not load under tsx on Node 20).
//
// workerData: { handle, ctl: SharedArrayBuffer, target: number }
// ctl (Int32Array): [0] burst ROUTE_ADDs seen  [1] 1 once CFG_DONE was read
//                   [2] OVERFLOW records  [3] sum of their `lost`
// messages: { attached } then, after END or `target` records, { done, ... }
import { workerData, parentPort, isMainThread } from "node:worker_threads";

// (a test runner may import this file in the main thread: do nothing there)
if (!isMainThread && workerData?.handle) await main(workerData);

async function main(d) {
  const { register } = await import("tsx/esm/api");
  register();
  const { QueueReader } = await import("../../host/queues/queue-reader.ts");
  const T_ROUTE_ADD = 7, T_CFG_DONE = 15, T_OVERFLOW = 19, T_END = 21, F_INITIAL = 1, AF_INET = 2;
  const rd = QueueReader.attach(d.handle);
  const ctl = new Int32Array(d.ctl);
  const view = rd.view, base = rd.base;
  const now = () => performance.timeOrigin + performance.now();
  parentPort.postMessage({ attached: true });
  let count = 0, other = 0, records = 0, waits = 0, dequeues = 0;
  let first = 0, last = 0;
  for (;;) {
    const n = rd.dequeue();
    if (n === 0) {
      if (rd.ended) break;
      waits++;
      rd.wait(100);
      continue;
    }
    dequeues++;
    records += n;
    const before = count;
    for (let i = 0; i < n; i++) {
      const o = base + i * 64;
      const t = view.getUint16(o, true);
      if (t === T_ROUTE_ADD && view.getUint8(o + 48) === 24 && view.getUint8(o + 7) === AF_INET && (view.getUint8(o + 6) & F_INITIAL) === 0) count++;
      else if (t === T_CFG_DONE) Atomics.store(ctl, 1, 1);
      else if (t === T_OVERFLOW) { Atomics.add(ctl, 2, 1); Atomics.add(ctl, 3, view.getUint32(o + 16, true)); }
      else if (t !== T_END) other++;
    }
    if (count !== before) {
      const ts = now();
      if (before === 0) first = ts;
      last = ts;
      Atomics.store(ctl, 0, count);
    }
    if (rd.ended || count >= d.target) break;
  }
  const stats = rd.stats();
  rd.close();
  parentPort.postMessage({ done: true, count, other, records, waits, dequeues, first, last, ended: rd.ended, stats });
}
