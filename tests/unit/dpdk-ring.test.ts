// rte_ring of ifpx events through the shim, in one process (EAL without
// hugepages). Not run (and says why) when DPDK or the shim is missing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dpdkAvailable, Eal, RteRingQueue, EVENT_SIZE } from "../../host/dpdk/index.js";

const avail = dpdkAvailable();
if (!avail.ok) {
  console.log(`dpdk tests not run: ${avail.reason} (apt-get install libdpdk-dev pkg-config && npm run build:native)`);
} else {
  const cpusBefore = readFileSync("/proc/self/status", "utf8").match(/^Cpus_allowed_list:\s*(\S+)/m)![1];
  const uniq = `${process.pid}`;
  let seq = 0;
  const rname = () => `ifpxu${uniq}_${seq++}`;
  const types = (b: Uint8Array) => Array.from({ length: b.length / EVENT_SIZE }, (_, i) => b[i * EVENT_SIZE] | (b[i * EVENT_SIZE + 1] << 8));
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  /** n records, record i has type t0+i, port `port`, seq i */
  const recs = (n: number, t0 = 0, port = 1) => {
    const b = new Uint8Array(n * EVENT_SIZE);
    for (let i = 0; i < n; i++) {
      const v = new DataView(b.buffer, i * EVENT_SIZE, EVENT_SIZE);
      v.setUint16(0, t0 + i, true); v.setUint16(2, port, true); v.setUint32(12, i, true);
    }
    return b;
  };

  test("EAL init (single process, no hugepages) is idempotent and keeps this thread's CPU set", () => {
    const a = Eal.init({ logLevel: "lib.eal:warning" });
    assert.ok(a.args.includes("--no-huge"));
    assert.is(Eal.init().mode, "single");
    assert.throws(() => Eal.init({ mode: "secondary", filePrefix: "x" }), (e: any) => e.code === "EBUSY");
    assert.is(Eal.processType, "primary");
    const after = readFileSync("/proc/self/status", "utf8").match(/^Cpus_allowed_list:\s*(\S+)/m)![1];
    assert.is(after, cpusBefore, "EAL must not pin the main thread to one CPU");
  });

  test("create: exact capacity in events, lookup by name, duplicate name refused", () => {
    const name = rname();
    const q = RteRingQueue.create(name, 5);
    assert.is(q.capacity, 5);
    assert.is(q.freeCount(), 5);
    assert.is(q.count(), 0);
    const l = RteRingQueue.lookup(name);
    assert.is(l.ring, q.ring);
    assert.is(l.owner, false);
    assert.throws(() => RteRingQueue.create(name, 5), (e: any) => e.code === "EEXIST");
    l.close(); // not the owner: the ring stays
    assert.is(RteRingQueue.lookup(name).ring, q.ring);
    q.close();
    assert.throws(() => RteRingQueue.lookup(name), (e: any) => e.code === "ENOENT");
  });

  test("64-byte records round trip by value, from a view of WebAssembly shared memory", () => {
    const q = RteRingQueue.create(rname(), 64);
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const all = new Uint8Array(mem.buffer);
    all.set(randomBytes(4096));
    const src = all.subarray(1000 - (1000 % 4), 1000 - (1000 % 4) + 10 * EVENT_SIZE); // unaligned to 64, non-zero offset
    const expected = Uint8Array.from(src);
    assert.is(q.publish(src, 10), 10);
    src.fill(0); // records were copied into the ring
    assert.is(q.count(), 10);
    const out = q.dequeue(64);
    assert.is(out.length, 10 * EVENT_SIZE);
    assert.equal(out, expected);
    // dequeue into a view of shared memory too
    assert.is(q.publish(expected, 3), 3);
    const dst = all.subarray(2048 + 16, 2048 + 16 + 3 * EVENT_SIZE);
    assert.is(q.dequeueInto(dst, 3), 3);
    assert.equal(Uint8Array.from(dst), expected.subarray(0, 3 * EVENT_SIZE));
    assert.is(q.lost, 0);
    q.close();
  });

  test("partial room: only whole events go in, the rest are lost and owed an OVERFLOW record", () => {
    const q = RteRingQueue.create(rname(), 4);
    assert.is(q.publish(recs(6, 0), 6), 4);
    assert.is(q.lost, 2);
    assert.ok(q.overflowed);
    assert.is(q.count(), 4); // 16 elements: no half event
    // still full: everything lost, no OVERFLOW yet
    assert.is(q.publish(recs(1, 7), 1), 0);
    assert.is(q.lost, 3);
    assert.equal(types(q.dequeue(10)), [0, 1, 2, 3]);
    // room again: OVERFLOW{lost=3} first, then the records
    assert.is(q.publish(recs(2, 8), 2), 2);
    assert.not.ok(q.overflowed);
    const out = q.dequeue(10);
    assert.equal(types(out), [19, 8, 9]);
    const ov = dv(out.subarray(0, EVENT_SIZE));
    assert.is(ov.getUint16(2, true), 0xffff, "port_id none");
    assert.is(ov.getUint32(16, true), 3, "lost since last OVERFLOW");
    assert.is(q.lost, 3, "lost is cumulative");
    q.close();
  });

  test("room for the OVERFLOW record only: the record is lost and a second OVERFLOW follows", () => {
    const q = RteRingQueue.create(rname(), 2);
    assert.is(q.publish(recs(3, 0), 3), 2); // lost 1
    assert.equal(types(q.dequeue(1)), [0]); // room for one
    assert.is(q.publish(recs(1, 5), 1), 0); // OVERFLOW{1} takes the room; record 5 lost
    assert.is(q.lost, 2);
    assert.ok(q.overflowed);
    const a = q.dequeue(10);
    assert.equal(types(a), [1, 19]);
    assert.is(dv(a).getUint32(EVENT_SIZE + 16, true), 1);
    assert.is(q.publish(recs(1, 6), 1), 1);
    const b = q.dequeue(10);
    assert.equal(types(b), [19, 6]);
    assert.is(dv(b).getUint32(16, true), 1);
    assert.is(q.lost, 2);
    q.close();
  });

  test("publish checks its arguments; a closed queue refuses", () => {
    const q = RteRingQueue.create(rname(), 4);
    assert.is(q.publish(new Uint8Array(0), 0), 0);
    assert.throws(() => q.publish(new Uint8Array(64), 2), (e: any) => e.code === "EINVAL");
    q.close();
    q.close();
    assert.throws(() => q.publish(recs(1), 1), (e: any) => e.code === "EINVAL");
  });

  test("multi-producer ring: bursts still move whole events", () => {
    const q = RteRingQueue.create(rname(), 8, { singleProducer: false, singleConsumer: false });
    assert.is(q.publish(recs(5, 0), 5), 5);
    assert.is(q.publish(recs(5, 5), 5), 3);
    assert.equal(types(q.dequeue(8)), [0, 1, 2, 3, 4, 5, 6, 7]);
    q.close();
  });

  // EAL stays up: it initialises once per process, and other test files run by
  // the same uvu process may use it (same mode); it ends with the process.
  test.run();
}
