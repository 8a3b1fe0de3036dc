// The README's queue example as a program: a tap proxy bound to port 0, an
// SPSC queue in the core's shared memory, a worker thread consuming it
// (examples/queue-consumer.mjs), listen. Configure the proxy from another
// shell (`ip addr add 198.51.100.14/24 dev dp0`, ...); the worker prints.
//   node --import tsx examples/queue-worker.ts [--netns NS] [--once]
// --once: close after the initial state (the worker reads END and exits).
import { Worker } from "node:worker_threads";
import { Ifpx } from "ifpx";

const args = process.argv.slice(2);
const netns = args.includes("--netns") ? args[args.indexOf("--netns") + 1] : undefined;
const ifpx = new Ifpx({ netns });
ifpx.bind(0, ifpx.createProxy({ name: "dp0" }));
const q = ifpx.createQueue({ slots: 1024 });              // SPSC ring in the core's shared memory
ifpx.queueAdd(q);
const worker = new Worker(new URL("./queue-consumer.mjs", import.meta.url), { workerData: q.handle });
const exited = new Promise((resolve) => worker.once("exit", resolve));
await ifpx.listen();
if (args.includes("--once")) {
  await ifpx.dispose();                                   // queues get END: the worker returns
  await exited;
} else {
  process.once("SIGINT", () => { void ifpx.dispose().then(() => exited).then(() => process.exit(0)); });
}
