// Each path ifpx runs on its own (the poll callback, dump completions on
// libuv's pool, the overflow timer, the sync watchdog, the dump-request retry
// timer, replay feeding, a late bind's deferred replay, the first dump of
// listen) made to fail on purpose: the failure must reach onError, the process
// must live, the listener must carry on (and recover what it lost), and
// nothing may be left unhandled. Failures are injected by wrapping the core's
// exports or the transport of the instance under test (private fields, on purpose).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventType, type IfpxEvent, type ExternalQueue } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";

const unhandled: unknown[] = [];
process.on("unhandledRejection", (e) => unhandled.push(e));
process.on("uncaughtException", (e) => unhandled.push(e));

class Injected extends Error {}

/** The next `times` calls of core export `name` throw an Injected error (after `skip` calls pass). */
function injectCore(ifpx: Ifpx, name: string, times = 1, skip = 0): { hits: () => number } {
  const core = (ifpx as any).core;
  const orig = core.x;
  let hits = 0, seen = 0;
  core.x = new Proxy(orig, {
    get(t, k) {
      const v = t[k];
      if (k !== name || typeof v !== "function") return v;
      return (...a: unknown[]) => {
        if (seen++ >= skip && hits < times) { hits++; throw new Injected(`injected failure in ${name}`); }
        return v(...a);
      };
    },
  });
  return { hits: () => hits };
}

async function until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

/** A listening instance with proxy prxa bound to port 1, every event collected. */
async function setup(ns: Netns, opts: { dumpThread?: boolean } = {}) {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e), dumpThread: opts.dumpThread });
  const c = new Collector();
  const proxy = ifpx.createProxy({ name: "prxa" });
  ifpx.bind(1, proxy);
  c.attach(ifpx);
  await ifpx.listen();
  ns.ip("link", "set", "prxa", "up");
  return { ifpx, c, errors, proxy, injected: () => errors.filter((e) => e instanceof Injected).length };
}

function hasAddr(ifpx: Ifpx, proxy: number, ip: string): boolean {
  return ifpx.addresses(proxy).some((e: IfpxEvent) => (e as any).ip === ip);
}

const scenario = (name: string, fn: (ns: Netns) => Promise<void>) => test(name, () => withNetns(async (ns) => {
  await fn(ns);
  await sleep(10);
  assert.equal(unhandled, [], "nothing unhandled");
}));

scenario("poll callback: parsing throws; reported, then a resync recovers the lost change", async (ns) => {
  const s = await setup(ns);
  try {
    const inj = injectCore(s.ifpx, "process");
    ns.ip("addr", "add", "198.51.100.1/24", "dev", "prxa");
    await until(() => inj.hits() === 1 && s.injected() === 1, "the failure reported");
    await s.c.waitFor([{ type: "RESYNC_DONE" }], 5000);
    assert.ok(hasAddr(s.ifpx, s.proxy, "198.51.100.1"), "the mirror has the address after the resync");
    assert.ok(s.c.find({ type: "ADDR_ADD", ip: "198.51.100.1" }), "the port got the change");
  } finally { await s.ifpx.dispose(); }
});

scenario("dump completion on the pool: parsing throws mid-resync; reported, the resync still completes", async (ns) => {
  const s = await setup(ns);
  try {
    ns.ip("addr", "add", "198.51.100.2/24", "dev", "prxa");
    await s.c.waitFor([{ type: "ADDR_ADD", ip: "198.51.100.2" }]);
    const inj = injectCore(s.ifpx, "process");
    s.ifpx.resync();
    await until(() => inj.hits() === 1, "process failed during the resync");
    await s.c.waitFor([{ type: "RESYNC_DONE" }], 8000);
    assert.is(s.injected(), 1);
    assert.ok(hasAddr(s.ifpx, s.proxy, "198.51.100.2"));
    assert.ok(s.ifpx.stats().dumpThreadDatagrams > 0, "the dump was received on the pool");
  } finally { await s.ifpx.dispose(); }
});

scenario("overflow timer: the flush throws; reported, the next loss flushes again", async (ns) => {
  const s = await setup(ns);
  try {
    const q = s.ifpx.createQueue({ slots: 2 });
    s.ifpx.queueAdd(q);
    s.ifpx.unregisterAllCallbacks(); // everything to the queue
    const inj = injectCore(s.ifpx, "queues_flush");
    for (let i = 1; i <= 4; i++) ns.ip("addr", "add", `198.51.100.${10 + i}/24`, "dev", "prxa");
    await until(() => inj.hits() === 1 && s.injected() === 1, "the flush failure reported");
    const r = q.reader();
    const types: number[] = [];
    const drain = () => { for (let n = r.dequeue(); n; n = r.dequeue()) for (let i = 0; i < n; i++) types.push(r.typeAt(i)); };
    drain();
    ns.ip("addr", "add", "198.51.100.30/24", "dev", "prxa");
    await until(() => { drain(); return types.includes(EventType.OVERFLOW); }, "an OVERFLOW record once there was room");
    assert.ok(r.stats().overflows >= 1);
    r.close();
  } finally { await s.ifpx.dispose(); }
});

scenario("sync watchdog: a stalled resync whose restart throws; reported, the next tick restarts it", async (ns) => {
  const s = await setup(ns);
  try {
    const sock = (s.ifpx as any).listener.transport;
    const send = sock.sendDump.bind(sock);
    let dropped = 0;
    sock.sendDump = (...a: unknown[]) => { if (dropped++ === 0) return; return send(...a); }; // the first request "lost"
    const inj = injectCore(s.ifpx, "sync_begin", 1, 1); // the resync's own begin passes, the watchdog's restart throws
    s.ifpx.resync();
    await until(() => inj.hits() === 1 && s.injected() === 1, "the watchdog's restart failed and was reported", 10000);
    await s.c.waitFor([{ type: "RESYNC_DONE" }], 10000);
    assert.ok(s.ifpx.stats().syncStalls >= 2, `stalls ${s.ifpx.stats().syncStalls}`);
    assert.not.ok(s.ifpx.stats().syncing);
  } finally { await s.ifpx.dispose(); }
});

scenario("dump request retry timer: sendto fails twice; reported, retried, the resync completes", async (ns) => {
  const s = await setup(ns);
  try {
    const sock = (s.ifpx as any).listener.transport;
    const send = sock.sendDump.bind(sock);
    let fails = 2;
    sock.sendDump = (...a: unknown[]) => { if (fails-- > 0) throw Object.assign(new Error("ENOBUFS"), { errno: 105 }); return send(...a); };
    s.ifpx.resync();
    await s.c.waitFor([{ type: "RESYNC_DONE" }], 5000);
    const eio = s.errors.filter((e: any) => e?.code === "EIO" && /dump request failed/.test(e.message));
    assert.is(eio.length, 2);
    assert.ok(s.ifpx.stats().dumpRetries >= 2);
  } finally { await s.ifpx.dispose(); }
});

scenario("replay feeding timer: the queue throws while being refilled; replayInto rejects, onError hears, delivery goes on", async (ns) => {
  const s = await setup(ns);
  try {
    s.ifpx.unregisterAllCallbacks();
    const got: number[] = [];
    const boom = new Injected("tryPublish failed");
    let tries = 0;
    const ext: ExternalQueue = {
      lost: 0,
      publish(recs, n) { for (let i = 0; i < n; i++) got.push(new DataView(recs.buffer, recs.byteOffset).getUint16(i * 64, true)); return n; },
      close() {},
      takeOverflow: () => 0,
      tryPublish: () => { if (tries++ === 0) return 0; throw boom; }, // full, then broken
    };
    s.ifpx.queueAdd(ext);
    const p = s.ifpx.replayInto(ext);
    let rejected: unknown;
    await p.catch((e) => { rejected = e; });
    assert.is(rejected, boom);
    assert.ok(s.errors.includes(boom));
    ns.ip("addr", "add", "198.51.100.40/24", "dev", "prxa");
    await until(() => got.includes(EventType.ADDR_ADD), "the queue gets live events again");
  } finally { await s.ifpx.dispose(); }
});

scenario("an external queue whose publish throws: removed from delivery, reported once, the others go on", async (ns) => {
  const s = await setup(ns);
  try {
    s.ifpx.unregisterAllCallbacks();
    const boom = new Injected("publish failed");
    let calls = 0;
    s.ifpx.queueAdd({ lost: 0, publish: () => { calls++; throw boom; }, close() {} });
    const q = s.ifpx.createQueue({ slots: 256 });
    s.ifpx.queueAdd(q);
    const r = q.reader();
    const ips: string[] = [];
    const drain = () => { for (let n = r.dequeue(); n; n = r.dequeue()) for (let i = 0; i < n; i++) { const e: any = r.event(i); if (e.typeId === EventType.ADDR_ADD) ips.push(e.ip); } };
    for (let i = 1; i <= 3; i++) ns.ip("addr", "add", `198.51.100.${60 + i}/24`, "dev", "prxa");
    await until(() => { drain(); return ips.length === 3; }, "the ring got every event");
    assert.is(calls, 1, "the broken queue was called once");
    const reports = s.errors.filter((e: any) => e?.code === "EIO" && e.cause === boom);
    assert.is(reports.length, 1);
    assert.is(s.ifpx.stats().resyncs, 0, "no resync was needed");
    r.close();
  } finally { await s.ifpx.dispose(); }
});

scenario("late bind inside a callback: its deferred replay throws; reported, other work goes on", async (ns) => {
  const s = await setup(ns);
  try {
    let bound = false;
    s.ifpx.registerCallbacks([{ type: EventType.ADDR_ADD, callback: (e) => { s.c.push(e); if (!bound) { bound = true; s.ifpx.bind(9, s.proxy); } return true; } }]);
    const inj = injectCore(s.ifpx, "replay_begin");
    ns.ip("addr", "add", "198.51.100.50/24", "dev", "prxa");
    await until(() => inj.hits() === 1 && s.injected() === 1, "the replay failure reported");
    ns.ip("addr", "add", "198.51.100.51/24", "dev", "prxa");
    await s.c.waitFor([{ type: "ADDR_ADD", ip: "198.51.100.51", portId: 1 }, { type: "ADDR_ADD", ip: "198.51.100.51", portId: 9 }]);
    s.ifpx.bind(10, s.proxy); // a later late bind replays normally
    await s.c.waitFor([{ type: "PORT_DONE", portId: 10 }]);
  } finally { await s.ifpx.dispose(); }
});

scenario("the poll handle cannot be restarted: the listener stops with EIO to onError; listen() again works", async (ns) => {
  const s = await setup(ns);
  try {
    const transport = (s.ifpx as any).listener.transport;
    const poll = transport.poll; // koffi's handle is frozen: stand in front of it
    transport.poll = { start() { throw new Injected("poll start"); }, stop: () => poll.stop(), close: () => poll.close() };
    s.ifpx.pause();
    s.ifpx.resume();
    // (a pool call may still be in flight: its completion restarts the handle then)
    await until(() => s.errors.some((e: any) => e?.code === "EIO" && e.cause instanceof Injected), "reported as EIO with the cause");
    await until(() => s.ifpx.netlinkPortId === 0, "the listener stopped");
    s.c.clear();
    await s.ifpx.listen();
    ns.ip("addr", "add", "198.51.100.70/24", "dev", "prxa");
    await s.c.waitFor([{ type: "ADDR_ADD", ip: "198.51.100.70" }]);
  } finally { await s.ifpx.dispose(); }
});

scenario("listen: the first dump cannot start; listen rejects, a second listen works", async (ns) => {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e) });
  try {
    ifpx.createProxy({ name: "prxa" });
    injectCore(ifpx, "sync_begin");
    let rejected: unknown;
    const p = ifpx.listen();
    assert.instance(p, Promise);
    await p.catch((e) => { rejected = e; });
    assert.instance(rejected, Injected);
    await sleep(20);
    await ifpx.listen();
    assert.ok(ifpx.netlinkPortId > 0);
  } finally { await ifpx.dispose(); }
});

test.run();
