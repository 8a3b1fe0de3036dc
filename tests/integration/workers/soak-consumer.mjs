// Soak consumer (tests/integration/soak.test.ts): drains one queue until END,
// checks every record's type, and posts its counts at the end.
import { workerData, parentPort } from "node:worker_threads";
import { QueueReader } from "../../../dist/ifpx.js";

const r = QueueReader.attach(workerData.handle);
let records = 0, bad = 0, overflows = 0, lost = 0;
for (;;) {
  if (!r.wait(500)) continue;
  r.forEach((view, off) => {
    const t = view.getUint16(off, true);
    records++;
    if (t > 21) bad++;
    if (t === 19) { overflows++; lost += view.getUint32(off + 16, true); }
  });
  if (r.ended) break;
}
r.close();
parentPort.postMessage({ records, bad, overflows, lost });
