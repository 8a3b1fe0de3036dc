// ifpx side of `npm run bench` (see the RUNNER INTERFACE in bench/run.ts). Run
// inside the bench namespace; prints one JSON line last.
//   dump    PROXY FAMILY [callbacks|mirror]   listen() until CFG_DONE; routes of FAMILY via PROXY
//   scale   PROXY MODE RESERVE4 RESERVE6      full table: listen() until CFG_DONE is delivered
//           MODE mirror (no consumer) | callbacks (ROUTE_ADD/ROUTE6_ADD) | queue (a worker drains a ring)
//   drain   PROXY RCVBUF COUNT IDLE_MS        subscribe, "ready", wait for stdin, then drain
//   latency PROXY COUNT PREFIXHI              send RTM_NEWROUTE/DELROUTE, time to the callback
import { Ifpx, EventType, type IfpxEvent } from "../host/index.js";
import { NetlinkSocket } from "../host/netlink/socket.js";
import { resolveInterface } from "../host/tap.js";

const [mode, proxyName, ...rest] = process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1e9;

async function dump(family: number, how: string) {
  // only the family asked for, as the C reader and ip do
  const ifpx = new Ifpx({ onError: (e) => { throw e; }, families: [family === 6 ? 6 : 4], dumpThread: process.env.IFPX_BENCH_DUMP_THREAD !== "0" });
  const p = ifpx.adoptProxy(proxyName);
  ifpx.bind(0, p);
  let routes = 0;
  const add = family === 4 ? EventType.ROUTE_ADD : EventType.ROUTE6_ADD;
  if (how === "callbacks") ifpx.registerCallbacks([{ type: add, callback: (_e: IfpxEvent) => { routes++; return true; } }]);
  const t0 = now();
  await ifpx.listen();
  const seconds = now() - t0;
  if (how !== "callbacks") { const c = ifpx.stats().core; routes = family === 4 ? c.mirror_route4 : c.mirror_route6; }
  console.log(JSON.stringify({ routes, seconds, how, stats: ifpx.stats() }));
  await ifpx.close();
  process.exit(0);
}

async function scale(how: string, r4: number, r6: number) {
  const ifpx = new Ifpx({ onError: (e) => { throw e; }, reserve: r4 || r6 ? { routes4: r4, routes6: r6 } : undefined });
  const p = ifpx.adoptProxy(proxyName);
  ifpx.bind(0, p);
  let delivered = 0, lost = 0;
  let consumer: Promise<{ routes: number }> | undefined;
  let queue: ReturnType<Ifpx["createQueue"]> | undefined;
  if (how === "callbacks") {
    ifpx.registerCallbacks([EventType.ROUTE_ADD, EventType.ROUTE6_ADD].map((type) => ({ type, callback: () => { delivered++; return true; } })));
  } else if (how === "queue") {
    const { Worker } = await import("node:worker_threads");
    queue = ifpx.createQueue({ slots: 1 << 16, burst: 256 });
    ifpx.queueAdd(queue);
    // bench/workers/ from sources (bench/) and from the bundle (bench/out/)
    const w = new Worker(new URL(`${import.meta.url.includes("/out/") ? "../" : "./"}workers/scale-consumer.mjs`, import.meta.url), { workerData: queue.handle });
    await new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); }); // attached
    consumer = new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); });
  }
  const t0 = now();
  await ifpx.listen();
  const listenSeconds = now() - t0;
  if (consumer) {
    delivered = (await consumer).routes;
    lost = queue!.stats().totalLost;
  }
  const seconds = now() - t0; // until the consumer has seen CFG_DONE (queue mode)
  const c = ifpx.stats().core;
  const memMiB = ifpx.coreHandle.share.memory.buffer.byteLength / 2 ** 20;
  console.log(JSON.stringify({ how, seconds, listenSeconds, routes4: c.mirror_route4, routes6: c.mirror_route6, delivered, lost, wasmMiB: memMiB, messages: c.messages }));
  process.exit(0);
}

async function drain(rcvbuf: number, count: number, idleMs: number) {
  const ifpx = new Ifpx({ rcvbuf, onError: (e) => { throw e; } });
  const p = ifpx.adoptProxy(proxyName);
  ifpx.bind(0, p);
  let events = 0, t0 = 0, last = 0;
  ifpx.registerCallbacks([EventType.ROUTE_ADD, EventType.ROUTE_DEL].map((type) => ({ type, callback: () => { events++; last = now(); return true; } })));
  await ifpx.listen();
  ifpx.pause();
  console.log("ready");
  process.stdin.once("data", () => {
    t0 = now();
    last = t0;
    ifpx.resume();
    const timer = setInterval(() => {
      if (events >= count || now() - last > idleMs / 1000) {
        clearInterval(timer);
        const seconds = last - t0;
        console.log(JSON.stringify({ events, seconds, eventsPerSec: events / seconds, stats: ifpx.stats() }));
        process.exit(0);
      }
    }, 5);
  });
}

// RTM_NEWROUTE / RTM_DELROUTE for hi.(i>>8).(i&255).0/24 dev ifindex, main table
function routeMsg(type: number, flags: number, seq: number, dst: number, ifindex: number): Uint8Array {
  const b = new Uint8Array(16 + 12 + 8 + 8);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true); v.setUint16(4, type, true); v.setUint16(6, flags, true); v.setUint32(8, seq, true);
  b[16] = 2; b[17] = 24; b[20] = 254; b[21] = 4 /* RTPROT_STATIC */; b[22] = 0 /* universe */; b[23] = 1 /* unicast */;
  v.setUint16(28, 8, true); v.setUint16(30, 1 /* RTA_DST */, true); v.setUint32(32, dst, false);
  v.setUint16(36, 8, true); v.setUint16(38, 4 /* RTA_OIF */, true); v.setUint32(40, ifindex, true);
  return b;
}

async function latency(count: number, hi: number) {
  const ifpx = new Ifpx({ onError: (e) => { throw e; } });
  const { ifindex } = resolveInterface(proxyName, undefined);
  const p = ifpx.adoptProxy(proxyName);
  ifpx.bind(0, p);
  const writer = new NetlinkSocket({});
  let pending: { dst: number; t: bigint; resolve: () => void } | undefined;
  const samples: number[] = [];
  ifpx.registerCallbacks([EventType.ROUTE_ADD, EventType.ROUTE_DEL].map((type) => ({ type, callback: (e: IfpxEvent) => {
    if (pending && (e as any).ipNum === pending.dst) { samples.push(Number(process.hrtime.bigint() - pending.t) / 1000); const r = pending.resolve; pending = undefined; r(); }
    return true;
  } })));
  await ifpx.listen();
  let lost = 0;
  for (let i = 0; i < count; i++) {
    const dst = ((hi << 24) | ((i >> 8) << 16) | ((i & 255) << 8)) >>> 0;
    for (const [type, flags] of [[24, 0x1 | 0x400 | 0x200], [25, 0x1]] as const) {
      const done = new Promise<void>((resolve) => { pending = { dst, t: process.hrtime.bigint(), resolve }; });
      writer.send(routeMsg(type, flags, i * 2 + 1, dst, ifindex));
      const ok = await Promise.race([done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
      if (!ok) { lost++; pending = undefined; }
    }
  }
  samples.sort((a, b) => a - b);
  const q = (f: number) => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))];
  console.log(JSON.stringify({ samples: samples.length, p50Us: q(0.5), p99Us: q(0.99), lost }));
  process.exit(0);
}

if (mode === "dump") await dump(Number(rest[0]), rest[1] ?? "mirror");
else if (mode === "scale") await scale(rest[0], Number(rest[1] ?? 0), Number(rest[2] ?? 0));
else if (mode === "drain") await drain(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else if (mode === "latency") await latency(Number(rest[0]), Number(rest[1]));
else { console.error("usage: ifpx-child dump|drain|latency ..."); process.exit(2); }
