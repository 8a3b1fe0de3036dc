// Worker side of examples/queue-worker.ts: the README's consumer loop.
import { workerData } from "node:worker_threads";
import { QueueReader, decodeEvent, formatEvent } from "ifpx";

const r = QueueReader.attach(workerData);
for (;;) {
  if (!r.wait(1000)) continue;                            // Atomics.wait; false on timeout
  r.forEach((view, off) => {                              // dequeues a burst, visits each record in place
    console.log(`worker: ${formatEvent(decodeEvent(view, off))}`);
  });
  if (r.ended) break;                                     // END: queue removed or listener closed
}
r.close();
