// Property-based fuzz of the public API against a listening instance: thousands
// of calls with hostile arguments (seeded: IFPX_FUZZ_SEED=n repeats a run,
// IFPX_FUZZ_CALLS=n sets how many). After every batch a real change made with
// `ip` must still arrive, correctly, in a queue and in the mirror; no call may
// end with anything but an IfpxError (or the caller's own exception), the
// async ones never throw synchronously, and nothing is left unhandled.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, IfpxError, EventType, type IfpxEvent } from "../../host/index.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { sleep } from "./helpers/collector.js";
import { prng, hostileValues, randomCall, runCall, strayQueues, describe, acceptableError, SENTINEL } from "./helpers/hostile.js";

const SEED = Number(process.env.IFPX_FUZZ_SEED ?? 0x1f2e3d4c);
const CALLS = Number(process.env.IFPX_FUZZ_CALLS ?? 3000);
const BATCH = 100;

const unhandled: unknown[] = [];
process.on("unhandledRejection", (e) => unhandled.push(e));
process.on("uncaughtException", (e) => unhandled.push(e));

/** Make a change with ip and wait for its ADDR_ADD on port 1 in the reader; then it must be in the mirror. */
async function realChangeArrives(ns: Netns, ifpx: Ifpx, next: () => IfpxEvent[], proxy: number, i: number): Promise<void> {
  const ip = `10.${(i >> 8) & 255}.${i & 255}.7`;
  ns.ip("addr", "add", `${ip}/32`, "dev", "prxa");
  const deadline = Date.now() + 5000;
  for (;;) {
    const evs = next();
    if (evs.some((e) => e.typeId === EventType.ADDR_ADD && e.portId === 1 && (e as any).ip === ip && (e as any).prefixLen === 32)) break;
    if (Date.now() > deadline) throw new Error(`ADDR_ADD ${ip} did not arrive after batch ${i} (seed ${SEED})`);
    await sleep(5);
  }
  assert.ok(ifpx.addresses(proxy).some((e) => (e as any).ip === ip), `${ip} in the mirror`);
  ns.ip("addr", "del", `${ip}/32`, "dev", "prxa");
}

test(`public API under ${CALLS} hostile calls (seed ${SEED})`, () => withNetns(async (ns) => {
  const errors: unknown[] = [];
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => errors.push(e) });
  const other = new Ifpx();
  try {
    const proxy = ifpx.createProxy({ name: "prxa" });
    ifpx.bind(1, proxy);
    ns.ip("link", "set", "prxa", "up");
    const q = ifpx.createQueue({ slots: 1 << 14 });
    ifpx.queueAdd(q);
    const reader = q.reader();
    let overflows = 0;
    const next = () => {
      const out: IfpxEvent[] = [];
      for (let n = reader.dequeue(); n; n = reader.dequeue()) {
        for (let i = 0; i < n; i++) { const e = reader.event(i); if (e.typeId === EventType.OVERFLOW) overflows++; out.push(e); }
      }
      return out;
    };
    await ifpx.listen();
    const rnd = prng(SEED);
    const pool = hostileValues(strayQueues(ifpx, other));
    const side = ifpx.createQueue({ slots: 64, burst: 4 }); // Queue/QueueReader calls, not added
    const problems: string[] = [];
    const counts = new Map<string, number>();
    for (let i = 0; i < CALLS; i++) {
      const c = randomCall(ifpx, rnd, pool, side);
      counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      const p = await runCall(c);
      if (p) problems.push(`#${i}: ${p}`);
      ifpx.resume(); // a random pause() is undone: the check below needs the socket read
      if (problems.length > 5) break;
      if (i % BATCH === BATCH - 1) {
        next();
        await realChangeArrives(ns, ifpx, next, proxy, i / BATCH);
      }
    }
    assert.equal(problems, [], problems.join("\n"));
    // constructor and options
    for (const o of [null, 5, "x", { netns: 5 }, { netns: "" }, { rcvbuf: -1 }, { rcvbuf: 1.5 }, { onError: 1 }, { families: [5] },
      { families: "4" }, { reserve: 5 }, { reserve: { routes4: -1 } }, { reserve: { routes4: 2 ** 40 } }, { ports: {} }, { dumpThread: "no" },
      new Proxy({}, { get() { throw SENTINEL; } })]) {
      try {
        const x = new Ifpx(o as any);
        await x.dispose();
        if (o !== null) problems.push(`new Ifpx(${describe(o)}) was accepted`);
      } catch (e) {
        if (!acceptableError(e)) problems.push(`new Ifpx(${describe(o)}) threw ${e}`);
      }
    }
    assert.equal(problems, [], problems.join("\n"));
    // every method was called
    assert.ok(counts.size >= 30, `methods called: ${[...counts.keys()].join(" ")}`);
    // the instance still works after everything, and nothing escaped
    next();
    await realChangeArrives(ns, ifpx, next, proxy, 0xffff);
    await sleep(50);
    assert.equal(unhandled, [], `unhandled: ${unhandled.map(String).join("; ")}`);
    // only typed errors or the callbacks' own reached onError
    const odd = errors.filter((e) => !(e instanceof IfpxError) && e !== SENTINEL);
    assert.equal(odd.map(String), [], "onError got only typed errors and the callbacks' own");
    console.log(`fuzz: ${CALLS} calls, seed ${SEED}, ${errors.length} reports to onError, ${overflows} overflows`);
    reader.close();
  } finally {
    await ifpx.dispose();
    await other.dispose();
  }
}));

test.run();
