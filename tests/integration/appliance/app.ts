// The application the appliance-bundle tests bundle with `ifpx bundle` and run
// (natively for linux-x64, under qemu-aarch64-static for linux-arm64): an
// adopted interface on port 0, a tap proxy on port 1, a queue read by a worker
// (worker.mjs, a second entry of the bundle). Events reach the callbacks and
// (not consumed) the queue. One JSON object per line on stdout:
//   {"kind":"event", type, portId, line}   a callback's event
//   {"kind":"worker", type, portId, line}  a record the worker dequeued
//   {"kind":"error", code, errno, message} onError
//   {"kind":"listening", ms, stats}        listen() resolved after ms
//   {"kind":"stats", stats}                on "stats" from stdin
//   {"kind":"bye"}                         on "quit": disposed, worker gone
//   node app.mjs NETNS ADOPT_IFNAME TAP_NAME
import { Worker } from "node:worker_threads";
import { createInterface } from "node:readline";
import { Ifpx, EventType, formatEvent, type IfpxEvent } from "ifpx";

const [netns, adopt, tapName] = process.argv.slice(2);
const out = (o: object) => process.stdout.write(JSON.stringify(o) + "\n");

const ifpx = new Ifpx({
  netns,
  onError: (e) => { const x = e as { code?: string; errno?: number; message?: string }; out({ kind: "error", code: x.code, errno: x.errno, message: x.message }); },
});
ifpx.bind(0, ifpx.adoptProxy(adopt));
ifpx.bind(1, ifpx.createProxy({ name: tapName }));
const q = ifpx.createQueue({ slots: 1024 });
ifpx.queueAdd(q);
const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: q.handle });
worker.on("message", (m) => out({ kind: "worker", ...m }));
const exited = new Promise((resolve) => worker.once("exit", resolve));

ifpx.registerCallbacks(Object.values(EventType).map((type) => ({
  type,
  callback: (e: IfpxEvent) => { out({ kind: "event", type: e.type, portId: e.portId, line: formatEvent(e) }); return false; },
})));
const t0 = performance.now();
await ifpx.listen();
out({ kind: "listening", ms: Math.round(performance.now() - t0), stats: ifpx.stats() });

createInterface({ input: process.stdin }).on("line", async (cmd) => {
  if (cmd === "stats") out({ kind: "stats", stats: ifpx.stats() });
  if (cmd === "quit") {
    await ifpx.dispose();
    await exited;
    out({ kind: "bye" });
    process.exit(0);
  }
});
