// A replayInto() asked for by a callback between two chunks of an implied-
// deletion job (assembly/implied_deletions.ts: `ip link set X down` removes
// X's IPv4 routes without a message, and ifpx stages their DELs in chunks
// that fit staging). The job's deletes are live changes: every queue must get
// all of them, not only the queue being replayed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/ifpx.ts";
import type { IfpxEvent } from "../../host/record.ts";
import type { QueueReader } from "../../host/queues/queue-reader.ts";
import { FakeKernel, ManualClock, fakePorts } from "./helpers/fake-kernel.ts";
import { T1, nlmsg, attr, u32le, route4, concat } from "./helpers/core.ts";

const RTM_NEWLINK = 16, RTM_NEWROUTE = 24;
const IFLA_IFNAME = 3, IFLA_MTU = 4;
const IFF_BROADCAST = 0x2, IFF_MULTICAST = 0x1000;
const ROUTES = 12000; // more than one staging area (8192 records) of deletes

const ports = fakePorts({ id: 1, ifindex: T1, name: "t1" });

/** RTM_NEWLINK for T1 with IFF_UP clear, as the kernel sends after `ip link set t1 down` */
function linkDown(): Uint8Array {
  const body = new Uint8Array(16);
  const dv = new DataView(body.buffer);
  dv.setUint16(2, 1, true); // ARPHRD_ETHER
  dv.setInt32(4, T1, true);
  dv.setUint32(8, IFF_BROADCAST | IFF_MULTICAST, true);
  dv.setUint32(12, 1, true); // ifi_change: IFF_UP
  return nlmsg(RTM_NEWLINK, 0, body, attr(IFLA_IFNAME, new TextEncoder().encode("t1\0")), attr(IFLA_MTU, u32le(1500)));
}

const turn = () => new Promise((r) => setImmediate(r));

function drain(r: QueueReader, into: IfpxEvent[]): void {
  for (let batch = r.dequeueEvents(4096); batch.length; batch = r.dequeueEvents(4096)) into.push(...batch);
}

test("a replay asked for between chunks of an implied-deletion job: every queue gets all the deletes", async () => {
  const kernel = new FakeKernel(), clock = new ManualClock(), errors: unknown[] = [];
  const ifpx = new Ifpx({ ports, onError: (e) => errors.push(e) }, { openTransport: kernel.open, clock });
  kernel.attach((ifpx as unknown as { core: { bytes: Uint8Array; rxPtr: number } }).core);
  try {
    const proxy = ifpx.adoptProxy("net_tap_fake");
    ifpx.bind(3, proxy);
    const qa = ifpx.createQueue({ slots: 65536 }), qb = ifpx.createQueue({ slots: 65536 });
    ifpx.queueAdd(qa);
    ifpx.queueAdd(qb);
    await ifpx.listen();
    const ra = qa.reader(), rb = qb.reader();

    // live routes via t1 (10.x.y.0/24 via 198.18.0.1), 100 messages per datagram
    const msgs: Uint8Array[] = [];
    for (let i = 0; i < ROUTES; i++) msgs.push(route4((10 << 24) | (i << 8), 24, 0xc6120001, T1, RTM_NEWROUTE, 0));
    for (let i = 0; i < ROUTES; i += 100) kernel.push(concat(msgs.slice(i, i + 100)));
    for (let i = 0; i < 500 && ifpx.mirrorCount("route", proxy) < ROUTES; i++) await turn();
    assert.ok(ifpx.mirrorCount("route", proxy) >= ROUTES, "routes mirrored");
    // what the link going down removes silently: IPv4 routes through t1 except scope host
    const doomed = ifpx.routes(proxy).filter((e) => e.type === "ROUTE_ADD" && e.scope !== 254).length;
    assert.ok(doomed >= ROUTES);
    drain(ra, []);
    drain(rb, []);

    let replay: Promise<void> | undefined;
    ifpx.registerCallbacks([{ type: 2 /* LINK_CHANGE */, callback: (e: IfpxEvent) => {
      if (e.type === "LINK_CHANGE" && !e.isUp && !replay) replay = ifpx.replayInto(qa);
    } }]);
    kernel.push(linkDown());
    const a: IfpxEvent[] = [], b: IfpxEvent[] = [];
    for (let i = 0; i < 500 && !a.some((e) => e.type === "REPLAY_DONE"); i++) {
      await turn();
      drain(ra, a);
      drain(rb, b);
    }
    assert.ok(replay, "the callback asked for a replay");
    await replay;
    drain(rb, b);

    const dels = (evs: IfpxEvent[]) => evs.filter((e) => e.type === "ROUTE_DEL").length;
    assert.is(dels(b), doomed, "the other queue got every delete");
    // the replayed queue: the deletes the job staged after the replay was asked
    // for arrive before its snapshot, which then lists no route through t1
    const done = a.findIndex((e) => e.type === "REPLAY_DONE");
    const snapshotRoutes = a.slice(0, done).filter((e) => e.type === "ROUTE_ADD" && e.scope !== 254);
    assert.is(snapshotRoutes.length, 0, "the snapshot is taken after the job");
    assert.is(ifpx.routes(proxy).filter((e) => e.scope !== 254).length, 0, "mirror: only scope-host routes left");
    assert.equal(errors, []);
  } finally {
    await ifpx.dispose();
  }
});

test.run();
