// Queue mode against the real kernel: records go from netlink through the
// core's shared-memory rings to consumer worker threads (QueueReader.attach in
// the worker, blocking wait(), decoded records posted back here).
//  - the upstream if_proxy_autotest, phase 2: no callbacks, one 16-slot ring
//  - two queues, mixed callback/queue delivery, 1-to-many, close() wakes a
//    blocked reader with END, overflow accounting of a ring nobody reads.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { Ifpx, EventType, PORT_NONE, type IfpxEvent, type Queue, type QueueHandle } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, sleep, type Match } from "./helpers/collector.js";

const PORT = 7;
const M1 = "02:11:22:33:44:55";
const M2 = "02:66:77:88:99:aa";
const WORKER = fileURLToPath(new URL("./workers/queue-consumer.mjs", import.meta.url));

interface EndMsg { stats: any; waits: number; timeouts: number }

/** A worker consuming one queue; its events land in `c`. */
class Consumer {
  readonly c = new Collector();
  readonly worker: Worker;
  readonly attached: Promise<void>;
  readonly ended: Promise<EndMsg>;
  readonly exited: Promise<number>;
  endedAt = 0;

  constructor(handle: QueueHandle, opts: { waitMs?: number; gate?: SharedArrayBuffer } = {}) {
    this.worker = new Worker(WORKER, { workerData: { handle, ...opts } });
    let onAttached!: () => void, onEnd!: (m: EndMsg) => void, onErr!: (e: unknown) => void;
    this.attached = new Promise<void>((res) => { onAttached = res; });
    this.ended = new Promise<EndMsg>((res, rej) => { onEnd = res; onErr = rej; });
    this.ended.catch(() => {}); // observed by whoever awaits it
    this.exited = new Promise<number>((res) => this.worker.once("exit", res));
    this.worker.on("message", (m) => {
      if (m.attached) onAttached();
      else if (m.events) for (const e of m.events as IfpxEvent[]) this.c.push(e);
      else if (m.end) { this.endedAt = Date.now(); onEnd(m); }
    });
    this.worker.on("error", (e) => onErr(e));
    this.worker.once("exit", (code) => onErr(new Error(`consumer exited (${code}) before END`)));
  }

  get events(): IfpxEvent[] { return this.c.events; }
  count(type: string): number { return this.events.filter((e) => e.type === type).length; }

  /** The END message (the worker read END) and the worker gone, within ms. */
  async finish(ms = 2000): Promise<EndMsg> {
    const m = await within(this.ended, ms, "the consumer did not read END");
    await within(this.exited, ms, "the consumer did not exit");
    return m;
  }
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what} within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

/** Number of consumers blocked (or about to block) in wait() on a ring. */
function waiters(q: Queue): number {
  return Atomics.load(new Int32Array(q.handle.memory.buffer as unknown as SharedArrayBuffer), (q.ptr + 192) >> 2);
}

async function session(fn: (ns: Netns, ifpx: Ifpx, consumers: Consumer[]) => Promise<void>) {
  await withNetns(async (ns) => {
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
    const consumers: Consumer[] = [];
    try {
      await fn(ns, ifpx, consumers);
    } finally {
      await ifpx.dispose(); // every queue gets END: consumers leave
      await Promise.all(consumers.map((k) => within(k.exited, 3000, "consumer exit").catch(() => k.worker.terminate())));
    }
  });
}

function consume(consumers: Consumer[], q: Queue, opts?: { waitMs?: number; gate?: SharedArrayBuffer }): Consumer {
  const k = new Consumer(q.handle, opts);
  consumers.push(k);
  return k;
}

const STEPS = (mtu: number): [string[], Match[]][] => [
  [["link", "set", "dev", "prx0", "up"], [{ type: "LINK_CHANGE", isUp: true }]],
  [["link", "set", "dev", "prx0", "address", M1], [{ type: "MAC_CHANGE", mac: M1 }]],
  [["link", "set", "dev", "prx0", "mtu", String(mtu + 100)], [{ type: "MTU_CHANGE", mtu: mtu + 100 }]],
  [["addr", "add", "198.51.100.14", "dev", "prx0"],
    [{ type: "ADDR_ADD", ip: "198.51.100.14", prefixLen: 32 }, { type: "ROUTE_ADD", ip: "198.51.100.14", depth: 32 }]],
  [["addr", "del", "198.51.100.14/32", "dev", "prx0"],
    [{ type: "ADDR_DEL", ip: "198.51.100.14" }, { type: "ROUTE_DEL", ip: "198.51.100.14", depth: 32 }]],
  [["route", "add", "198.51.100.0/24", "dev", "prx0"], [{ type: "ROUTE_ADD", ip: "198.51.100.0", depth: 24, gatewayNum: 0 }]],
  [["route", "del", "198.51.100.0/24", "dev", "prx0"], [{ type: "ROUTE_DEL", ip: "198.51.100.0", depth: 24 }]],
  [["neigh", "add", "198.51.100.14", "dev", "prx0", "lladdr", M2, "nud", "noarp"], [{ type: "NEIGH_ADD", ip: "198.51.100.14", mac: M2 }]],
  [["neigh", "del", "198.51.100.14", "dev", "prx0"], [{ type: "NEIGH_DEL", ip: "198.51.100.14" }]],
  [["addr", "add", "2001:db8::dead:beef", "dev", "prx0"],
    [{ type: "ADDR6_ADD", ip: "2001:db8::dead:beef", prefixLen: 128 }, { type: "ROUTE6_ADD", ip: "2001:db8::dead:beef", depth: 128 }]],
  [["addr", "del", "2001:db8::dead:beef/128", "dev", "prx0"],
    [{ type: "ADDR6_DEL", ip: "2001:db8::dead:beef" }, { type: "ROUTE6_DEL", ip: "2001:db8::dead:beef", depth: 128 }]],
  // the kernel masks the destination to its prefix: 2001:db8::dead:0/96 is 2001:db8::/96
  [["route", "add", "2001:db8::dead:0/96", "dev", "prx0"], [{ type: "ROUTE6_ADD", ip: "2001:db8::", depth: 96 }]],
  [["route", "del", "2001:db8::dead:0/96", "dev", "prx0"], [{ type: "ROUTE6_DEL", ip: "2001:db8::", depth: 96 }]],
  [["neigh", "add", "2001:db8::dead:beef", "dev", "prx0", "lladdr", M2, "nud", "noarp"], [{ type: "NEIGH6_ADD", ip: "2001:db8::dead:beef", mac: M2 }]],
  [["neigh", "del", "2001:db8::dead:beef", "dev", "prx0"], [{ type: "NEIGH6_DEL", ip: "2001:db8::dead:beef" }]],
  [["link", "set", "dev", "prx0", "down"], [{ type: "LINK_CHANGE", isUp: false }]],
];

test("upstream phase 2: 16 steps through one 16-slot queue to a worker, no callbacks; END on queueRemove", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(PORT, proxy);
  const q = ifpx.createQueue({ slots: 16 });
  ifpx.queueAdd(q);
  const k = consume(consumers, q);
  await k.attached;
  const t0 = Date.now();
  await ifpx.listen();
  await k.c.waitFor([{ type: "CFG_DONE", portId: PORT_NONE }], Math.max(1, 2000 - (Date.now() - t0)));
  const info = ifpx.info(PORT);
  assert.is(info.name, "prx0");
  const mtu = info.mtu;
  assert.is(mtu, 1500);
  ns.ip("link", "set", "dev", "prx0", "down");

  for (const [args, expect] of STEPS(mtu)) {
    const from = k.events.length;
    const t = Date.now();
    ns.ip(...args);
    const got = await k.c.waitFor(expect.map((e) => ({ portId: PORT, ...e }) as Match), Math.max(1, 2000 - (Date.now() - t)), from);
    for (const e of got) assert.is(e.proxyId, proxy);
  }
  assert.is(ifpx.info(PORT).mtu, mtu + 100, "info follows the observed MTU");

  ifpx.queueRemove(q);
  const end = await k.finish(2000);
  const evs = k.events;
  assert.is(evs[evs.length - 1].type, "END", "END is the last record");
  assert.is(k.count("CFG_DONE"), 1);
  assert.is(k.count("OVERFLOW"), 0, "a reading worker keeps up with 16 slots");
  for (const e of evs) {
    if (e.type === "CFG_DONE" || e.type === "END") assert.is(e.portId, PORT_NONE);
    else assert.is(e.portId, PORT, `${e.type} carries the bound port's id`);
  }
  assert.is(end.stats.read, evs.length, "the reader counted what it read");
  assert.is(Number(end.stats.totalLost), 0);
  // (end.stats.closed may still be false: ring_close enqueues END before it sets closed)
  assert.ok(q.closed);
  const dump = () => evs.map((e) => `${e.type}:${e.seq}:${e.flags}:${(e as any).ip ?? ""}`).join("\n");
  for (let i = 1; i < evs.length - 1; i++) assert.ok(evs[i].seq >= evs[i - 1].seq, `records in observation order:\n${dump()}`);
}));

test("two queues: both get every record (same seq), CFG_DONE once in each", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(3, proxy);
  const qa = ifpx.createQueue({ slots: 256 });
  const qb = ifpx.createQueue({ slots: 256 });
  ifpx.queueAdd(qa);
  ifpx.queueAdd(qb);
  const ka = consume(consumers, qa), kb = consume(consumers, qb);
  await Promise.all([ka.attached, kb.attached]);
  await ifpx.listen();
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
  ns.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "prx0");
  ns.ip("neigh", "add", "198.51.100.1", "dev", "prx0", "lladdr", M2, "nud", "permanent");
  ns.ip("-6", "addr", "add", "2001:db8::1/64", "dev", "prx0", "nodad");
  const last: Match = { type: "ADDR6_ADD", ip: "2001:db8::1", portId: 3 };
  await Promise.all([ka.c.waitFor([last]), kb.c.waitFor([last])]);
  await sleep(100);
  ifpx.queueRemove(qa);
  ifpx.queueRemove(qb);
  await Promise.all([ka.finish(), kb.finish()]);
  const key = (e: IfpxEvent) => `${e.type} ${e.seq} ${e.portId} ${(e as any).ip ?? ""}/${(e as any).depth ?? (e as any).prefixLen ?? ""}`;
  assert.equal(ka.events.map(key), kb.events.map(key), "the same records, in the same order");
  assert.ok(ka.events.length > 8, `enough records to compare (${ka.events.length})`);
  assert.is(ka.count("CFG_DONE"), 1);
  assert.is(kb.count("CFG_DONE"), 1);
  for (const t of ["LINK_CHANGE", "ADDR_ADD", "ROUTE_ADD", "NEIGH_ADD", "ADDR6_ADD"]) assert.ok(ka.count(t) > 0, t);
  assert.is(ka.count("OVERFLOW") + kb.count("OVERFLOW"), 0);
}));

test("mixed mode: false from a callback also queues, true consumes, types without callbacks are queued", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(4, proxy);
  const q = ifpx.createQueue({ slots: 256 });
  ifpx.queueAdd(q);
  const k = consume(consumers, q);
  await k.attached;
  const cb = new Collector();
  ifpx.registerCallbacks([
    { type: EventType.ADDR_ADD, callback: (e) => { cb.push(e); return false; } },
    { type: EventType.ROUTE_ADD, callback: (e) => { cb.push(e); return true; } },
    { type: EventType.NEIGH_ADD, callback: (e) => { cb.push(e); return undefined; } },
    { type: EventType.MTU_CHANGE, callback: (e) => { cb.push(e); return 1; } },
  ]);
  await ifpx.listen();
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "198.51.100.14/32", "dev", "prx0");
  ns.ip("route", "add", "203.0.113.0/24", "dev", "prx0");
  ns.ip("neigh", "add", "198.51.100.1", "dev", "prx0", "lladdr", M2, "nud", "permanent");
  ns.ip("link", "set", "prx0", "mtu", "1400");
  ns.ip("link", "set", "prx0", "address", M1); // sentinel: MAC_CHANGE has no callback
  await cb.waitFor([
    { type: "ADDR_ADD", ip: "198.51.100.14" }, { type: "ROUTE_ADD", ip: "198.51.100.14", depth: 32 },
    { type: "ROUTE_ADD", ip: "203.0.113.0", depth: 24 }, { type: "NEIGH_ADD", ip: "198.51.100.1" }, { type: "MTU_CHANGE", mtu: 1400 },
  ]);
  await k.c.waitFor([{ type: "MAC_CHANGE", mac: M1, portId: 4 }]);
  ifpx.queueRemove(q);
  await k.finish();
  const a = cb.find({ type: "ADDR_ADD", ip: "198.51.100.14" })!;
  assert.ok(k.c.find({ type: "ADDR_ADD", ip: "198.51.100.14", seq: a.seq, portId: 4 }), "false: the callback ran and the record was queued");
  assert.ok(k.c.find({ type: "NEIGH_ADD", ip: "198.51.100.1", portId: 4 }), "undefined (falsy): queued");
  assert.is(k.count("ROUTE_ADD"), 0, "true: consumed, never queued");
  assert.not.ok(k.c.find({ type: "MTU_CHANGE", mtu: 1400 }), "1 (truthy): consumed");
  assert.ok(k.c.find({ type: "LINK_CHANGE", isUp: true, portId: 4 }), "no callback: queued");
  assert.ok(k.c.find({ type: "CFG_DONE" }), "CFG_DONE (no callback) is queued");
  assert.is(cb.events.filter((e) => e.type === "LINK_CHANGE" || e.type === "MAC_CHANGE").length, 0);
}));

test("1-to-many: one proxy, two ports, two queues: each queue gets one copy per port with its id", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(1, proxy);
  ifpx.bind(2, proxy);
  const qa = ifpx.createQueue({ slots: 256 }), qb = ifpx.createQueue({ slots: 256, mode: "mpmc" });
  ifpx.queueAdd(qa);
  ifpx.queueAdd(qb);
  const ka = consume(consumers, qa), kb = consume(consumers, qb);
  await Promise.all([ka.attached, kb.attached]);
  await ifpx.listen();
  ns.ip("link", "set", "prx0", "up");
  ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
  ns.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "prx0");
  const want: Match[] = [1, 2].flatMap((portId) => [
    { type: "ADDR_ADD", ip: "198.51.100.14", prefixLen: 24, portId },
    { type: "ROUTE_ADD", ip: "203.0.113.0", depth: 24, gateway: "198.51.100.1", portId },
  ]);
  await Promise.all([ka.c.waitFor(want), kb.c.waitFor(want)]);
  await sleep(100);
  ifpx.queueRemove(qa);
  ifpx.queueRemove(qb);
  await Promise.all([ka.finish(), kb.finish()]);
  for (const k of [ka, kb]) {
    assert.is(k.count("CFG_DONE"), 1, "CFG_DONE once per queue, not per port");
    const bySeq = new Map<string, number[]>();
    for (const e of k.events) {
      if (e.type === "CFG_DONE" || e.type === "END") { assert.is(e.portId, PORT_NONE); continue; }
      assert.is(e.proxyId, proxy);
      const key = `${e.seq} ${e.type} ${(e as any).ip ?? ""}/${(e as any).depth ?? ""}`;
      bySeq.set(key, [...(bySeq.get(key) ?? []), e.portId]);
    }
    assert.ok(bySeq.size >= 4, `records (${bySeq.size})`);
    for (const [key, ports] of bySeq) assert.equal(ports.sort(), [1, 2], `one copy per port of ${key}`);
  }
}));

test("close() of the listener wakes a worker blocked in wait() with END", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(1, proxy);
  const q = ifpx.createQueue({ slots: 64 });
  ifpx.queueAdd(q);
  const k = consume(consumers, q, { waitMs: 60_000 });
  await k.attached;
  await ifpx.listen();
  await k.c.waitFor([{ type: "CFG_DONE" }]);
  const deadline = Date.now() + 2000;
  while (waiters(q) === 0 && Date.now() < deadline) await sleep(10);
  assert.is(waiters(q), 1, "the worker is blocked in wait()");
  await sleep(50);
  const t = Date.now();
  await ifpx.close();
  const end = await k.finish(2000);
  assert.ok(k.endedAt - t < 1000, `woken by END, not by its 60 s timeout (${k.endedAt - t} ms)`);
  assert.is(end.timeouts, 0);
  assert.is(k.events[k.events.length - 1].type, "END");
  assert.ok(q.closed);
}));

test("overflow end to end: a 4-slot ring nobody reads keeps 4, then OVERFLOW with the exact loss; no silent loss", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(9, proxy);
  ns.ip("link", "set", "prx0", "up");
  // reference: a big queue read all along
  const ref = ifpx.createQueue({ slots: 1024 });
  ifpx.queueAdd(ref);
  const kr = consume(consumers, ref);
  await kr.attached;
  await ifpx.listen();
  await kr.c.waitFor([{ type: "CFG_DONE" }]);
  await sleep(300); // IPv6 link-local set-up of the new link settles
  // the tiny ring joins now; its reader is held back by a gate
  const tiny = ifpx.createQueue({ slots: 4 });
  const gate = new SharedArrayBuffer(4);
  const kt = consume(consumers, tiny, { gate });
  await kt.attached;
  const from = kr.events.length;
  ifpx.queueAdd(tiny);
  const N = 10;
  for (let i = 0; i < N; i++) ns.ip("addr", "add", `198.51.100.${10 + i}/32`, "dev", "prx0");
  await kr.c.waitFor(Array.from({ length: N }, (_, i) => ({ type: "ROUTE_ADD", ip: `198.51.100.${10 + i}`, depth: 32 })), 2000, from);
  await sleep(200);
  const burst = kr.events.slice(from);
  assert.ok(burst.length >= 2 * N, `ADDR_ADD + local ROUTE_ADD per address (${burst.length})`);
  const dropped = burst.length - 4;
  const s1 = tiny.stats();
  assert.is(s1.count, 4, "the ring is full");
  assert.is(Number(s1.published), 4);
  assert.is(s1.lost, dropped, "lost since the last OVERFLOW record");
  assert.is(Number(s1.totalLost), dropped);
  assert.ok(s1.overflowed);

  // now read: what fit, and the OVERFLOW record once the producer has room
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  await kt.c.waitFor([{ type: "ADDR_ADD" }]);
  const deadline = Date.now() + 2000;
  while (kt.events.length < 4 && Date.now() < deadline) await sleep(10);
  assert.is(kt.events.length, 4);
  assert.equal(kt.events.map((e) => `${e.type} ${e.seq}`), burst.slice(0, 4).map((e) => `${e.type} ${e.seq}`), "the first 4 records, intact");
  ns.ip("link", "set", "prx0", "mtu", "1400"); // the next record finds room: OVERFLOW goes first
  const [ovf, mtu] = await kt.c.waitFor([{ type: "OVERFLOW" }, { type: "MTU_CHANGE", mtu: 1400, portId: 9 }]);
  await kr.c.waitFor([{ type: "MTU_CHANGE", mtu: 1400 }], 2000, from);
  assert.is((ovf as any).lost, dropped, "OVERFLOW.lost equals what was dropped");
  assert.ok(kt.events.indexOf(ovf) < kt.events.indexOf(mtu), "OVERFLOW before the next record");
  ifpx.queueRemove(tiny);
  const end = await kt.finish();
  assert.is(Number(end.stats.totalLost), dropped);
  assert.is(end.stats.lost, 0, "reported, so nothing pending");
  assert.is(end.stats.overflows, 1);
  assert.not.ok(end.stats.overflowed);
  const lostInRecords = kt.events.filter((e) => e.type === "OVERFLOW").reduce((s, e) => s + (e as any).lost, 0);
  const data = kt.events.filter((e) => e.type !== "OVERFLOW" && e.type !== "END").length;
  // everything published while tiny was registered, up to the MTU_CHANGE
  const refTotal = kr.events.findIndex((e, i) => i >= from && e.type === "MTU_CHANGE" && (e as any).mtu === 1400) + 1 - from;
  assert.is(data + lostInRecords, refTotal, "records read + OVERFLOW.lost == records produced");
  assert.is(end.stats.read, kt.events.length);
}));

test("overflow: a full ring removed before anyone read it reports the loss (OVERFLOW) then END", () => session(async (ns, ifpx, consumers) => {
  const proxy = ifpx.createProxy({ name: "prx0" });
  ifpx.bind(9, proxy);
  ns.ip("link", "set", "prx0", "up");
  await ifpx.listen();
  await sleep(300);
  const ref = ifpx.createQueue({ slots: 1024 });
  const tiny = ifpx.createQueue({ slots: 4 });
  const gate = new SharedArrayBuffer(4);
  const kr = consume(consumers, ref), kt = consume(consumers, tiny, { gate });
  await Promise.all([kr.attached, kt.attached]);
  ifpx.queueAdd(ref);
  ifpx.queueAdd(tiny);
  for (let i = 0; i < 10; i++) ns.ip("addr", "add", `198.51.100.${10 + i}/32`, "dev", "prx0");
  await kr.c.waitFor(Array.from({ length: 10 }, (_, i) => ({ type: "ROUTE_ADD", ip: `198.51.100.${10 + i}` })));
  await sleep(200);
  ifpx.queueRemove(tiny); // full: no room for OVERFLOW nor END
  ifpx.queueRemove(ref);
  await kr.finish();
  const produced = kr.events.filter((e) => e.type !== "END").length;
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  const end = await kt.finish();
  const evs = kt.events;
  assert.is(evs[evs.length - 1].type, "END", "the reader still gets END");
  const data = evs.filter((e) => e.type !== "OVERFLOW" && e.type !== "END");
  assert.is(data.length, 4);
  const inRecords = evs.filter((e) => e.type === "OVERFLOW").reduce((s, e) => s + (e as any).lost, 0);
  // No room for OVERFLOW at close: the reader reports it from the ring's
  // counters, after the 4 records and before END.
  assert.is(evs[evs.length - 2].type, "OVERFLOW", "OVERFLOW right before END");
  assert.is(inRecords, produced - 4, "OVERFLOW.lost == dropped");
  assert.is(end.stats.lost, 0, "nothing left unreported");
  assert.is(Number(end.stats.totalLost), produced - 4);
}));

test.run();
