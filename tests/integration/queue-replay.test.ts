// A full ring never loses data silently: a 4-slot ring nobody reads overflows,
// the reader learns how much was lost (OVERFLOW), asks for a replay, and ends
// up with exactly the kernel's state of the proxy, followed by live events.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx, QueueReader, EventType, EventFlag, type IfpxEvent } from "../../host/index.js";
import { withNetns } from "./helpers/netns.js";

async function readUntil(r: QueueReader, stop: (e: IfpxEvent) => boolean, timeoutMs = 3000): Promise<IfpxEvent[]> {
  const out: IfpxEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const evs = r.dequeueEvents();
    for (const e of evs) { out.push(e); if (stop(e)) return out; }
    if (!evs.length) await r.waitAsync(50);
  }
  throw new Error(`timed out; read ${out.map((e) => e.type).join(" ")}`);
}

test("overflow of a tiny ring is reported, then replay restores the exact state", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
  try {
    const p = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(4, p);
    ns.ip("link", "set", "prx0", "up");
    const q = ifpx.createQueue({ slots: 4 });
    ifpx.queueAdd(q);
    const r = QueueReader.attach(q.handle);
    await ifpx.listen();
    for (let i = 1; i <= 10; i++) ns.ip("addr", "add", `198.51.100.${i}/32`, "dev", "prx0");
    await new Promise((res) => setTimeout(res, 300));
    const first = r.dequeueEvents(64);
    assert.is(first.length, 4, "the ring held 4 records");
    const lost = q.stats().lost;
    assert.ok(lost > 10, `records were lost and counted (${lost})`);

    const replayed = ifpx.replayInto(q);
    const evs = await readUntil(r, (e) => e.type === "REPLAY_DONE");
    await replayed;
    const ov = evs.find((e) => e.type === "OVERFLOW") as Extract<IfpxEvent, { type: "OVERFLOW" }>;
    assert.ok(ov, "an OVERFLOW record tells the consumer");
    assert.is(ov.lost, lost, "with the exact lost count");
    const done = evs.findIndex((e) => e.type === "REPLAY_DONE");
    const snap = evs.slice(0, done).filter((e) => e.flags & EventFlag.INITIAL);
    const addrs = new Set(snap.filter((e) => e.type === "ADDR_ADD").map((e) => (e as any).ip));
    for (let i = 1; i <= 10; i++) assert.ok(addrs.has(`198.51.100.${i}`), `replay has 198.51.100.${i}`);
    assert.is(addrs.size, 10);
    assert.ok(snap.some((e) => e.type === "LINK_CHANGE" && (e as any).isUp), "link state replayed");
    assert.ok(snap.every((e) => e.portId === 4));
    const kernelLocal = ns.ip("route", "show", "table", "local", "dev", "prx0").trim().split("\n").filter(Boolean).length;
    assert.is(snap.filter((e) => e.type === "ROUTE_ADD" && e.flags & EventFlag.LOCAL).length, kernelLocal, "local routes as the kernel has them");

    // live events continue after REPLAY_DONE, through the re-added ring
    ns.ip("addr", "del", "198.51.100.1/32", "dev", "prx0");
    const live = await readUntil(r, (e) => e.type === "ADDR_DEL");
    assert.is((live[live.length - 1] as any).ip, "198.51.100.1");

    ifpx.queueRemove(q);
    const end = await readUntil(r, (e) => e.type === "END");
    assert.is(end[end.length - 1].type, "END");
    assert.is(EventType.END, 21);
  } finally {
    await ifpx.dispose();
  }
}));

test.run();
