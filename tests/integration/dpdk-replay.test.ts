// A full rte_ring is accounted for as a shared-memory ring is: the loss is
// counted, an OVERFLOW record reports it as soon as the C consumer makes room,
// and replayInto() refills the ring with the current state, then REPLAY_DONE.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, decodeEvent, EventFlag, type IfpxEvent } from "../../host/index.js";
import { dpdkAvailable, Eal, RteRingQueue, EVENT_SIZE } from "../../host/dpdk/index.js";
import { withNetns } from "./helpers/netns.js";

const avail = dpdkAvailable();
const reason = !avail.ok ? avail.reason : process.getuid?.() !== 0 ? "needs root (namespaces)" : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function drain(ring: RteRingQueue): IfpxEvent[] {
  const buf = new Uint8Array(64 * EVENT_SIZE), dv = new DataView(buf.buffer), out: IfpxEvent[] = [];
  for (let k; (k = ring.dequeueInto(buf, 64)) > 0;) for (let i = 0; i < k; i++) out.push(decodeEvent(dv, i * EVENT_SIZE));
  return out;
}

if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  test("rte_ring overflow: counted, reported when room returns, then replayInto restores the state", () => withNetns(async (ns) => {
    Eal.init();
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
    const ring = RteRingQueue.create(`ifpxrp${process.pid}`, 4);
    try {
      const p = ifpx.createProxy({ name: "prx0" });
      ifpx.bind(6, p);
      ns.ip("link", "set", "prx0", "up");
      ifpx.queueAdd(ring);
      await ifpx.listen();
      const seen = drain(ring); // the initial state
      for (let i = 1; i <= 10; i++) ns.ip("addr", "add", `198.51.100.${i}/32`, "dev", "prx0");
      await sleep(300);
      const lost = ring.lost;
      assert.ok(lost >= 16, `lost counted (${lost})`);
      const first = drain(ring);
      assert.is(first.length, 4, "what fit");
      await sleep(50); // the flush timer sees the room
      const ov = drain(ring);
      assert.is(ov.length, 1);
      assert.is(ov[0].type, "OVERFLOW", "reported without waiting for another event");
      const reported = [...seen, ...first, ...ov].filter((e) => e.type === "OVERFLOW").reduce((n, e: any) => n + e.lost, 0);
      assert.is(reported, lost, "every lost record reported by OVERFLOW records");

      const replayed = ifpx.replayInto(ring);
      const got: IfpxEvent[] = [];
      for (let t = Date.now(); Date.now() - t < 3000 && !got.some((e) => e.type === "REPLAY_DONE");) { got.push(...drain(ring)); await sleep(2); }
      await replayed;
      const addrs = new Set(got.filter((e) => e.type === "ADDR_ADD" && e.flags & EventFlag.INITIAL).map((e: any) => e.ip));
      assert.is(addrs.size, 10, "every address replayed");
      assert.ok(got.every((e) => e.type === "REPLAY_DONE" || e.portId === 6));
      ns.ip("addr", "del", "198.51.100.1/32", "dev", "prx0");
      await sleep(200);
      assert.ok(drain(ring).some((e) => e.type === "ADDR_DEL" && (e as any).ip === "198.51.100.1"), "live events follow");
    } finally {
      await ifpx.dispose();
      ring.close();
    }
  }));
  test.run();
}
