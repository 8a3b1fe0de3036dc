// A consumer thread using the TypeScript QueueReader (tsx registered here:
// TS worker entries do not load under tsx on Node 20). It blocks in wait()
// until END and reports the record types it read.
import { workerData, parentPort, isMainThread } from "node:worker_threads";
import { register } from "tsx/esm/api";

// uvu also imports the files under tests/unit: run only as a worker
if (!isMainThread && workerData?.handle) await main();

async function main() {
register();
const { QueueReader } = await import("../../../host/queues/queue-reader.ts");
const rd = QueueReader.attach(workerData.handle);
parentPort.postMessage({ attached: true });
const types = [];
const seqs = [];
let waits = 0, timeouts = 0;
const t0 = performance.now();
while (!rd.ended) {
  const n = rd.dequeue();
  if (n === 0) {
    waits++;
    if (!rd.wait(workerData.timeoutMs ?? 10000)) timeouts++;
    continue;
  }
  for (let i = 0; i < n; i++) { types.push(rd.typeAt(i)); seqs.push(rd.event(i).seq); }
}
rd.close();
parentPort.postMessage({ types, seqs, waits, timeouts, ms: performance.now() - t0 });
}
