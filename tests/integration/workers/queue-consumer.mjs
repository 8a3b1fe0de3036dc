// Consumer thread for tests/integration/queues*.test.ts: attaches to an ifpx
// queue with QueueReader.attach(handle), blocks in wait(), decodes every record
// it dequeues and posts the batch to the main thread; on END it posts its
// reader stats and exits. Plain .mjs that registers tsx itself (TS worker
// entries do not load under tsx on Node 20).
//
// workerData: { handle, waitMs?: number (per wait() call, default 500),
//               gate?: SharedArrayBuffer (Int32Array[0]: do not read until != 0) }
// messages:   { attached: true } | { events: IfpxEvent[], at: ms } |
//             { end: true, stats, waits, timeouts }
import { workerData, parentPort, isMainThread } from "node:worker_threads";

// uvu imports every file under tests/integration: run only as a worker
if (!isMainThread && workerData?.handle) await main(workerData);

async function main(d) {
  const { register } = await import("tsx/esm/api");
  register();
  const { QueueReader } = await import("../../../host/queues/queue-reader.ts");
  const rd = QueueReader.attach(d.handle);
  parentPort.postMessage({ attached: true });
  if (d.gate) {
    const g = new Int32Array(d.gate);
    while (Atomics.load(g, 0) === 0) Atomics.wait(g, 0, 0, 1000);
  }
  const waitMs = d.waitMs ?? 500;
  let waits = 0, timeouts = 0;
  while (!rd.ended) {
    const evs = rd.dequeueEvents();
    if (evs.length === 0) {
      waits++;
      if (!rd.wait(waitMs)) timeouts++;
      continue;
    }
    parentPort.postMessage({ events: evs, at: Date.now() });
  }
  const stats = rd.stats();
  rd.close();
  parentPort.postMessage({ end: true, stats, waits, timeouts });
}
