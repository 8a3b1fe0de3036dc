// Callbacks that return promises (README, Callbacks): a promise never consumes
// its event (the queues still get it), a rejection reaches onError and is
// counted, a promise that never settles holds nothing up, callbacks start in
// kernel order whatever their promises do, and nothing is ever unhandled.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, EventType, type IfpxEvent } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";
import { sleep } from "./helpers/collector.js";

const unhandled: unknown[] = [];
process.on("unhandledRejection", (e) => unhandled.push(e));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

test("resolve, reject, never settle, throwing thenables: events still queued, rejections in onError, order kept", () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e) });
  try {
    const proxy = ifpx.createProxy({ name: "prxa" });
    ifpx.bind(1, proxy);
    const q = ifpx.createQueue({ slots: 4096 });
    ifpx.queueAdd(q);
    const r = q.reader();
    const queued: IfpxEvent[] = [];
    const drain = () => { for (let n = r.dequeue(); n; n = r.dequeue()) for (let i = 0; i < n; i++) queued.push(r.event(i)); };
    const started: string[] = [];
    const finished: string[] = [];
    const reject = new Error("rejected on purpose");
    let mtuCalls = 0; // the initial state reports the MTU too
    ifpx.registerCallbacks([
      // resolves true later: NOT a consumption
      { type: EventType.ADDR_ADD, callback: async (e) => { started.push(`add ${(e as any).ip}`); await sleep(30); finished.push(`add ${(e as any).ip}`); return true; } },
      // rejects
      { type: EventType.ADDR_DEL, callback: async (e) => { started.push(`del ${(e as any).ip}`); await sleep(1); throw reject; } },
      // never settles
      { type: EventType.ROUTE_ADD, callback: () => new Promise(() => { /* never */ }) },
      // a thenable whose then throws
      { type: EventType.MTU_CHANGE, callback: () => { mtuCalls++; return ({ then() { throw reject; } }) as any; } },
      // a plain true consumes, as before
      { type: EventType.MAC_CHANGE, callback: () => true },
    ]);
    await ifpx.listen();
    ns.ip("link", "set", "prxa", "up");
    for (let i = 1; i <= 5; i++) ns.ip("addr", "add", `198.51.100.${i}/24`, "dev", "prxa");
    ns.ip("link", "set", "prxa", "mtu", "1400");
    ns.ip("link", "set", "prxa", "address", "02:00:00:00:00:42");
    // secondaries first: deleting the primary would take them along
    for (let i = 5; i >= 1; i--) ns.ip("addr", "del", `198.51.100.${i}/24`, "dev", "prxa");
    await until(() => { drain(); return queued.filter((e) => e.typeId === EventType.ADDR_DEL).length === 5; }, "5 ADDR_DEL queued");
    await until(() => errors.length >= 5 + mtuCalls && finished.length === 5, "rejections reported, resolutions done");
    // every ADDR_ADD (async callback resolving true) reached the queue anyway
    const adds = queued.filter((e) => e.typeId === EventType.ADDR_ADD).map((e) => (e as any).ip);
    assert.equal(adds, ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5"]);
    // the never-settling ROUTE_ADD callbacks held nothing up: routes were queued and later events came
    assert.ok(queued.some((e) => e.typeId === EventType.ROUTE_ADD));
    assert.ok(queued.some((e) => e.typeId === EventType.MTU_CHANGE && (e as any).mtu === 1400), "a thenable whose then throws does not consume");
    assert.not.ok(queued.some((e) => e.typeId === EventType.MAC_CHANGE), "plain true consumes");
    // callbacks started in kernel order, before earlier promises settled
    assert.equal(started, [1, 2, 3, 4, 5].map((i) => `add 198.51.100.${i}`).concat([5, 4, 3, 2, 1].map((i) => `del 198.51.100.${i}`)));
    // five rejections and each throwing then: all in onError, all counted
    assert.ok(mtuCalls >= 1);
    assert.is(errors.filter((e) => e === reject).length, 5 + mtuCalls);
    assert.is(ifpx.stats().callbackErrors, 5 + mtuCalls);
    await sleep(20);
    assert.equal(unhandled, []);
    r.close();
  } finally {
    await ifpx.dispose();
  }
}));

test("onError that throws, and a callback rejecting with undefined: reported, process alive, nothing unhandled", () => withNetns(async (ns) => {
  let calls = 0;
  const ifpx = new Ifpx({ netns: ns.name, onError: () => { calls++; throw new Error("onError throws"); } });
  const origError = console.error;
  const logged: unknown[][] = [];
  console.error = (...a: unknown[]) => { logged.push(a); };
  try {
    const proxy = ifpx.createProxy({ name: "prxb" });
    ifpx.bind(2, proxy);
    let seen = 0;
    ifpx.registerCallbacks([{ type: EventType.ADDR_ADD, callback: () => { seen++; return Promise.reject(undefined); } }]);
    await ifpx.listen();
    ns.ip("link", "set", "prxb", "up");
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "prxb");
    ns.ip("addr", "add", "192.0.2.2/24", "dev", "prxb");
    await until(() => calls >= 2, "both rejections reported");
    assert.is(seen, 2);
    assert.ok(logged.some((a) => String(a[0]).includes("onError threw")), "the throw of onError went to console.error");
    await sleep(20);
    assert.equal(unhandled, []);
  } finally {
    console.error = origError;
    await ifpx.dispose();
  }
}));

test.run();
