// A whole Ifpx driven by the fake kernel (helpers/fake-kernel.ts): the sync
// paths of host/sync and host/netlink without root or a socket.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/ifpx.ts";
import { EventType, type IfpxEvent } from "../../host/record.ts";
import { FakeKernel, ManualClock, doneMsg, errorMsg, ENOBUFS, GAP, NLM_F_DUMP_INTR, fakePorts } from "./helpers/fake-kernel.ts";
import { T1 } from "./helpers/core.ts";

const RTM_GETLINK = 18, RTM_GETADDR = 22, RTM_GETROUTE = 26;
const ports = fakePorts({ id: 1, ifindex: T1, name: "t1" });

function setup(opts: { pool?: boolean } = {}) {
  const kernel = new FakeKernel(), clock = new ManualClock(), errors: unknown[] = [], events: IfpxEvent[] = [];
  if (opts.pool) kernel.usePool();
  const ifpx = new Ifpx({ ports, dumpThread: opts.pool === true, onError: (e) => errors.push(e) }, { openTransport: kernel.open, clock });
  kernel.attach((ifpx as unknown as { core: { bytes: Uint8Array; rxPtr: number } }).core);
  const proxy = ifpx.adoptProxy("net_tap_fake");
  ifpx.registerCallbacks(Object.values(EventType).map((type) => ({ type, callback: (e: IfpxEvent) => { events.push(e); } })));
  const types = () => events.map((e) => e.type);
  return { kernel, clock, ifpx, proxy, errors, events, types };
}
const turn = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 200 && !cond(); i++) await turn();
  assert.ok(cond(), what);
}

test("initial sync from recorded dumps: the mirror, then CFG_DONE", async () => {
  const { kernel, ifpx, proxy, types, errors } = setup();
  await ifpx.listen();
  assert.equal(kernel.sent.map((s) => s.type), [18, 22, 26, 30]);
  assert.is(types().at(-1), "CFG_DONE");
  assert.ok(ifpx.addresses(proxy).some((a) => (a as { ip: string }).ip === "198.18.0.14"), "t1's address mirrored");
  assert.is(ifpx.stats().syncing, false);
  assert.equal(errors, []);
  await ifpx.dispose();
});

test("ENOBUFS in the middle of a dump: the sync restarts, everything dumped again", async () => {
  const { kernel, ifpx, types } = setup();
  kernel.script = (type, seq, nth) => (type === RTM_GETADDR && nth === 0 ? [{ errno: ENOBUFS }, ...kernel.fixtureDump(type, seq)] : undefined);
  await ifpx.listen();
  assert.is(ifpx.stats().overruns, 1);
  assert.ok(ifpx.stats().dumpRetries >= 1);
  assert.equal(kernel.sent.map((s) => s.type), [18, 22, 18, 22, 26, 30]);
  assert.is(types().filter((t) => t === "CFG_DONE").length, 1);
  await ifpx.dispose();
});

test("a dump answered with ERROR ENOBUFS: wait for its DONE (a later read), then dump again", async () => {
  const { kernel, ifpx } = setup();
  // the ACK is queued when the request comes; the dump runs at a later recvmsg
  kernel.script = (type, seq, nth) => (type === RTM_GETROUTE && nth === 0 ? [errorMsg(seq, ENOBUFS), GAP, ...kernel.fixtureDump(type, seq)] : undefined);
  await ifpx.listen();
  assert.is(ifpx.stats().overruns, 1);
  assert.equal(kernel.sent.map((s) => s.type), [18, 22, 26, 18, 22, 26, 30]);
  await ifpx.dispose();
});

test("ERROR ENOBUFS and the dump's DONE in one read: dump again at once", async () => {
  const { kernel, ifpx } = setup();
  kernel.script = (type, seq, nth) => (type === RTM_GETROUTE && nth === 0 ? [errorMsg(seq, ENOBUFS), ...kernel.fixtureDump(type, seq)] : undefined);
  await ifpx.listen();
  assert.is(ifpx.stats().syncStalls, 0, "no wait for the stall watchdog");
  assert.is(ifpx.stats().overruns, 1);
  assert.equal(kernel.sent.map((s) => s.type), [18, 22, 26, 18, 22, 26, 30]);
  await ifpx.dispose();
});

test("DUMP_INTR: the dump is interrupted and begins again", async () => {
  const { kernel, ifpx } = setup();
  kernel.script = (type, seq, nth) => (type === RTM_GETLINK && nth === 0 ? kernel.fixtureDump(type, seq, NLM_F_DUMP_INTR) : undefined);
  await ifpx.listen();
  assert.equal(kernel.sent.map((s) => s.type), [18, 18, 22, 26, 30]);
  assert.is(ifpx.stats().dumpRetries, 1);
  await ifpx.dispose();
});

test("a stalled dump (its DONE dropped) is dumped again after the watchdog's silence", async () => {
  const { kernel, clock, ifpx, types } = setup();
  kernel.script = (type, seq, nth) => (type === RTM_GETADDR && nth === 0 ? kernel.fixtureDump(type, seq).slice(0, -1) : undefined);
  const listening = ifpx.listen();
  await until(() => kernel.sent.length === 2, "address dump sent");
  for (let i = 0; i < 5; i++) await turn();
  assert.ok(!types().includes("CFG_DONE"));
  clock.advance(1000);
  assert.is(ifpx.stats().syncStalls, 0, "not yet");
  clock.advance(1500);
  assert.is(ifpx.stats().syncStalls, 1);
  await listening;
  assert.equal(kernel.sent.map((s) => s.type), [18, 22, 18, 22, 26, 30]);
  await ifpx.dispose();
});

test("bind after listen: the proxy's state replayed to the port, then PORT_DONE", async () => {
  const { ifpx, proxy, events } = setup();
  await ifpx.listen();
  events.length = 0;
  ifpx.bind(7, proxy);
  assert.ok(events.length > 1);
  assert.ok(events.slice(0, -1).every((e) => e.portId === 7));
  assert.is(events.at(-1)!.type, "PORT_DONE");
  assert.is(events.at(-1)!.portId, 7);
  await ifpx.dispose();
});

test("replay into a full ring: fed as the consumer makes room, REPLAY_DONE last", async () => {
  const { ifpx, proxy } = setup();
  ifpx.bind(3, proxy);
  const q = ifpx.createQueue({ slots: 8 });
  ifpx.queueAdd(q);
  await ifpx.listen();
  const r = q.reader();
  assert.ok(r.stats().overflowed || r.stats().count === 8, "the ring filled");
  const replayed = ifpx.replayInto(q);
  const seen: string[] = [];
  for (let i = 0; i < 500 && !seen.includes("REPLAY_DONE"); i++) {
    for (const e of r.dequeueEvents(64)) seen.push(e.type);
    await new Promise((res) => setTimeout(res, 1));
  }
  await replayed;
  assert.ok(seen.includes("REPLAY_DONE"));
  await ifpx.dispose();
});

test("close during a dump: listen() rejects ECLOSED, the transport is closed", async () => {
  const { kernel, ifpx } = setup();
  kernel.script = (type) => (type === RTM_GETROUTE ? [] : undefined);
  const listening = ifpx.listen();
  await until(() => kernel.sent.length === 3, "route dump sent");
  await ifpx.close();
  await listening.then(() => assert.unreachable("resolved"), (e) => assert.is(e.code, "ECLOSED"));
  assert.ok(kernel.closed);
  assert.is(ifpx.stats().syncing, false);
  await ifpx.dispose();
});

test("callbacks re-entering the API: bind and resync from CFG_DONE", async () => {
  const { kernel, ifpx, proxy, types } = setup();
  ifpx.registerCallbacks([{ type: EventType.CFG_DONE, callback: () => { ifpx.bind(9, proxy); ifpx.resync(); } }]);
  await ifpx.listen();
  await until(() => types().includes("RESYNC_DONE"), "resync done");
  assert.ok(types().includes("PORT_DONE"));
  assert.is(kernel.sent.length, 8);
  assert.is(ifpx.stats().resyncs, 1);
  kernel.push(doneMsg(12345)); // a stray DONE of no dump: ignored
  await turn();
  assert.is(ifpx.stats().syncing, false);
  await ifpx.dispose();
});

test("dumps read by pool calls: the same state, CFG_DONE, then live reads on poll again", async () => {
  const { kernel, ifpx, proxy, types, errors } = setup({ pool: true });
  await ifpx.listen();
  assert.ok(kernel.pool!.calls >= 4, "pool calls read the dumps");
  assert.ok(ifpx.stats().dumpThreadDatagrams > 0);
  assert.is(types().at(-1), "CFG_DONE");
  assert.ok(ifpx.addresses(proxy).length > 0);
  await until(() => ifpx.stats().dumpThread === "ready", "back on poll");
  assert.equal(errors, []);
  await ifpx.dispose();
});

test("pool: ENOBUFS from a call and a request sent while a call is in flight", async () => {
  const { kernel, ifpx } = setup({ pool: true });
  kernel.script = (type, seq, nth) => (type === RTM_GETADDR && nth === 0 ? [...kernel.fixtureDump(type, seq).slice(0, 1), { errno: ENOBUFS }, ...kernel.fixtureDump(type, seq).slice(1)] : undefined);
  await ifpx.listen();
  assert.is(ifpx.stats().overruns, 1);
  assert.equal(kernel.sent.map((s) => s.type), [18, 22, 18, 22, 26, 30]);
  await ifpx.dispose();
});

test("pool: close while a call is in flight waits for it before the socket closes", async () => {
  const { kernel, ifpx } = setup({ pool: true });
  // the route dump never answers; empty reads keep a call in flight now and then
  kernel.script = (type) => (type === RTM_GETROUTE ? [GAP, GAP, GAP] : undefined);
  const listening = ifpx.listen().catch((e) => e);
  await until(() => kernel.sent.length === 3 && kernel.pool!.inFlight, "a pool call in flight during the route dump");
  assert.is(ifpx.stats().syncing, true);
  await ifpx.close();
  assert.ok(kernel.closed);
  assert.is(kernel.pool!.inFlight, false);
  assert.is((await listening).code, "ECLOSED");
  await ifpx.dispose();
});

test.run();
