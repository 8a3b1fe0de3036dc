// Worker of bench scale (queue mode): drain the ring in bursts, count route
// ADD records, answer at CFG_DONE. Reads records in place (no objects).
import { workerData, parentPort } from "node:worker_threads";
import { QueueReader } from "../../dist/ifpx.js";

if (parentPort && workerData?.ptr) {
  const r = QueueReader.attach(workerData);
  parentPort.postMessage("ready");
  let routes = 0, done = false;
  while (!done) {
    const n = r.dequeue();
    if (!n) { r.wait(100); continue; }
    const v = r.view;
    for (let i = 0; i < n; i++) {
      const t = v.getUint16(r.offset(i), true);
      if (t === 7 || t === 9) routes++;
      else if (t === 15 || t === 21) done = true;
      else if (t === 19) console.error(`scale consumer: OVERFLOW, ${v.getUint32(r.offset(i) + 16, true)} records lost`);
    }
  }
  parentPort.postMessage({ routes });
}
