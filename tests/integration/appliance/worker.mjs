// Worker of tests/integration/appliance/app.ts: reads the queue until END and
// posts each record to the main thread.
import { workerData, parentPort } from "node:worker_threads";
import { QueueReader, decodeEvent, formatEvent } from "ifpx";

const r = QueueReader.attach(workerData);
for (;;) {
  if (!r.wait(1000)) continue;
  r.forEach((view, off) => {
    const e = decodeEvent(view, off);
    parentPort.postMessage({ type: e.type, portId: e.portId, line: formatEvent(e) });
  });
  if (r.ended) break;
}
r.close();
