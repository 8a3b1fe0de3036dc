// Queue sizes and handles at the core's boundary: every accepted size from the
// smallest to the largest is usable to its last slot without touching the
// rings around it; sizes past the limit, and memory that cannot hold another
// ring, are typed errors; forged and stale handles are EINVAL, never a WASM trap.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCore } from "../../host/core/wasm.js";
import { Queue, QueueReader } from "../../host/queues/queue.js";
import { RingHdr } from "../../host/queues/ring-layout.js";
import { IfpxError } from "../../host/errors.js";
import { Ifpx } from "../../host/ifpx.js";

const REC = 64;

/** n records with a marker word at 8 and a sequence at 12 */
function recs(n: number, marker: number, first = 0): Uint8Array {
  const b = new Uint8Array(n * REC);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) {
    dv.setUint16(i * REC, 3, true);
    dv.setUint32(i * REC + 8, marker, true);
    dv.setUint32(i * REC + 12, first + i, true);
  }
  return b;
}

/** the ring's header bytes and every record in it, dequeued through a reader, as a comparable snapshot */
function header(q: Queue): number[] {
  const dv = new DataView(q.handle.memory.buffer);
  return Array.from({ length: RingHdr.SIZE / 4 }, (_, i) => dv.getUint32(q.ptr + 4 * i, true));
}

function expectCode(fn: () => unknown, code: string, what: string): IfpxError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, IfpxError, `${what}: ${e}`);
    assert.is((e as IfpxError).code, code, `${what}: ${(e as Error).message}`);
    return e as IfpxError;
  }
  throw new assert.Assertion({ message: `${what}: did not throw`, operator: "throws", generated: true, expects: code, actual: "" } as any);
}

test("layout: the host's ring header offsets are the core's", () => {
  const core = createCore();
  assert.is(core.exports.ring_hdr_size() >>> 0, RingHdr.SIZE);
  const q = new Queue(core, { slots: 8, mode: "mpmc", burst: 5, maxReaders: 3 });
  const dv = new DataView(core.share.memory.buffer);
  const at = (o: number) => dv.getUint32(q.ptr + o, true);
  assert.is(at(RingHdr.MAGIC), 0x52504649);
  assert.is(at(RingHdr.SLOTS), 8);
  assert.is(at(RingHdr.MASK), 7);
  assert.is(at(RingHdr.HDR), RingHdr.SIZE);
  assert.is(at(RingHdr.FLAGS), 0);
  assert.ok(at(RingHdr.GEN) > 0);
  assert.is(at(RingHdr.GEN), q.handle.gen);
  assert.is(at(RingHdr.CLAIMS), q.handle.claims);
  assert.is(at(RingHdr.SCRATCH), q.handle.scratch);
  assert.is(at(RingHdr.SCRATCH), q.handle.claims + 64 + 5 * REC);
  assert.is(at(RingHdr.BURST), 5);
  assert.is(at(RingHdr.READERS), 3);
  const q2 = new Queue(core, { slots: 8 });
  assert.is.not(q2.handle.gen, q.handle.gen, "each ring its own generation");
});

test("every accepted size: filled through its last slot, neighbours intact", () => {
  const max = createCore().exports.ring_max_slots() >>> 0;
  assert.is(max, 1 << 23);
  for (let slots = 2; slots <= max; slots *= 2) {
    const core = createCore(); // a fresh memory per size: the big ones are given back
    const before = new Queue(core, { slots: 4 });
    const q = new Queue(core, { slots, burst: 256 });
    const after = new Queue(core, { slots: 4 });
    assert.is(before.enqueue(recs(4, 0xbbbbbbbb)), 4);
    assert.is(after.enqueue(recs(4, 0xaaaaaaaa)), 4);
    const hb = header(before), ha = header(after);
    // more than fit: exactly `slots` are taken, the rest refused
    const extra = 3;
    let taken = 0;
    const chunk = Math.min(slots + extra, 1 << 16);
    for (let first = 0; first < slots + extra; first += chunk) {
      taken += q.enqueue(recs(Math.min(chunk, slots + extra - first), 0x51515151, first));
    }
    assert.is(taken, slots, `slots ${slots}`);
    assert.is(q.count(), slots);
    assert.is(q.free(), 0);
    assert.equal(header(before), hb, `ring before the ${slots}-slot ring`);
    assert.equal(header(after), ha, `ring after the ${slots}-slot ring`);
    // every record comes out in order, the last slot included
    const r = q.reader();
    let seen = 0;
    for (;;) {
      const n = r.dequeue();
      if (!n) break;
      for (let i = 0; i < n; i++) {
        const o = r.offset(i);
        if (r.view.getUint32(o + 12, true) !== seen || r.view.getUint32(o + 8, true) !== 0x51515151) assert.unreachable(`slots ${slots}: record ${seen} wrong`);
        seen++;
      }
    }
    assert.is(seen, slots);
    r.close();
    // the neighbours still read back what was put in them
    for (const [nb, marker] of [[before, 0xbbbbbbbb], [after, 0xaaaaaaaa]] as const) {
      const rd = nb.reader();
      assert.is(rd.dequeue(), 4);
      for (let i = 0; i < 4; i++) {
        assert.is(rd.view.getUint32(rd.offset(i) + 8, true), marker);
        assert.is(rd.view.getUint32(rd.offset(i) + 12, true), i);
      }
      rd.close();
    }
  }
});

test("sizes past the limit or malformed: EINVAL with the limit; no abort, no trap", () => {
  const core = createCore();
  const max = core.exports.ring_max_slots() >>> 0;
  for (const slots of [max * 2, 1 << 25, 1 << 26, 2 ** 31, 2 ** 32, 2 ** 53]) {
    const e = expectCode(() => new Queue(core, { slots }), "EINVAL", `slots ${slots}`);
    if (slots <= 2 ** 31) assert.match(e.message, String(max));
  }
  for (const slots of [0, 1, 3, 6, -2, -(2 ** 31), 1.5, NaN, Infinity, -Infinity, "8", null, 8n, {}, []] as unknown[]) {
    if (slots === null) continue; // null means the default
    expectCode(() => new Queue(core, { slots: slots as number }), "EINVAL", `slots ${String(slots)}`);
  }
  for (const burst of [0, -1, 1.5, 65537, NaN, 2 ** 32, "64"] as unknown[]) expectCode(() => new Queue(core, { burst: burst as number }), "EINVAL", `burst ${String(burst)}`);
  for (const maxReaders of [0, -1, 1.5, 17, NaN, 2 ** 31] as unknown[]) expectCode(() => new Queue(core, { maxReaders: maxReaders as number }), "EINVAL", `maxReaders ${String(maxReaders)}`);
  expectCode(() => new Queue(core, { mode: "spmc" as any }), "EINVAL", "mode");
  expectCode(() => new Queue(core, 5 as any), "EINVAL", "options not an object");
  // the allocation exports refuse what the runtime would abort on
  for (const bytes of [2 ** 30, 2 ** 31, 2 ** 32 - 1]) assert.is(core.exports.ring_buf_alloc(bytes) >>> 0, 0, `ring_buf_alloc(${bytes})`);
  // the core still works
  const q = new Queue(core, { slots: 4 });
  assert.is(q.enqueue(recs(2, 1)), 2);
});

test("memory that cannot hold another ring: ENOSPC, earlier rings intact", () => {
  const core = createCore();
  const max = core.exports.ring_max_slots() >>> 0;
  const small = new Queue(core, { slots: 8 });
  small.enqueue(recs(8, 0x77777777));
  const h = header(small);
  const big: Queue[] = [];
  let err: unknown;
  for (let i = 0; i < 16 && !err; i++) {
    try { big.push(new Queue(core, { slots: max })); } catch (e) { err = e; }
  }
  assert.ok(err, "the 4 GiB address space ran out");
  assert.instance(err, IfpxError);
  assert.is((err as IfpxError).code, "ENOSPC", (err as Error).message);
  assert.ok(big.length >= 2 && big.length <= 8, `${big.length} rings of 512 MiB fit`);
  assert.equal(header(small), h);
  // smaller ones still fit where a big one did not
  const q = new Queue(core, { slots: 1024 });
  assert.is(q.enqueue(recs(1024, 5)), 1024);
  assert.equal(header(small), h);
  assert.is(big[big.length - 1].enqueue(recs(3, 9)), 3);
});

test("forged and stale handles: EINVAL, never a trap", () => {
  const core = createCore();
  const q = new Queue(core, { slots: 16, burst: 8, maxReaders: 2 });
  q.enqueue(recs(3, 0x12121212));
  const h = q.handle;
  const size = core.share.memory.buffer.byteLength;
  const other = createCore();
  new Queue(other, { slots: 64 }); // the next ring of that memory lies elsewhere than h.ptr
  const qo = new Queue(other, { slots: 16, burst: 8, maxReaders: 2 });
  assert.is.not(qo.ptr, h.ptr);
  let bomb = 0;
  const getterThrows = Object.defineProperty({ ...h }, "ptr", { get() { bomb++; throw new Error("getter"); } });
  const forged: [string, unknown][] = [
    ["ptr top of the address space", { ...h, ptr: 0xffffffc0 }],
    ["ptr negative", { ...h, ptr: -64 }],
    ["ptr past the memory", { ...h, ptr: size }],
    ["ptr at the last header's room", { ...h, ptr: size - 64 }],
    ["ptr unaligned", { ...h, ptr: h.ptr + 4 }],
    ["ptr 0", { ...h, ptr: 0 }],
    ["ptr NaN", { ...h, ptr: NaN }],
    ["ptr a string", { ...h, ptr: String(h.ptr) }],
    ["ptr a heap block", { ...h, ptr: h.scratch & ~63 }],
    ["scratch elsewhere", { ...h, scratch: 64 }],
    ["scratch outside memory", { ...h, scratch: 0xfffff000 }],
    ["claims outside memory", { ...h, claims: 0xfffffff0 }],
    ["burst absurd", { ...h, burst: 1 << 30 }],
    ["burst negative", { ...h, burst: -1 }],
    ["burst fractional", { ...h, burst: 1.5 }],
    ["maxReaders absurd", { ...h, maxReaders: 1e9 }],
    ["maxReaders another valid", { ...h, maxReaders: 1 }],
    ["slots lie", { ...h, slots: 1 << 20 }],
    ["mode lie", { ...h, mode: "mpmc" }],
    ["generation lie", { ...h, gen: h.gen + 1 }],
    ["no generation", { ...h, gen: undefined }],
    ["another memory's ring pointer in this memory", { ...qo.handle, memory: h.memory }],
    ["this ring in another memory", { ...h, memory: other.share.memory }],
    ["memory not a Memory", { ...h, memory: {} }],
    ["memory unshared", { ...h, memory: new WebAssembly.Memory({ initial: 1 }) }],
    ["module not a Module", { ...h, module: {} }],
    ["null", null],
    ["a number", 42],
    ["empty", {}],
  ];
  for (const [what, handle] of forged) {
    for (const exportsOpt of [undefined, { exports: core.exports }]) {
      try {
        QueueReader.attach(handle as any, exportsOpt);
        assert.unreachable(`${what}: attached`);
      } catch (e) {
        if (e instanceof assert.Assertion) throw e;
        assert.instance(e, IfpxError, `${what}: ${e}`);
        assert.is((e as IfpxError).code, "EINVAL", what);
      }
    }
  }
  // a throwing getter: its own error reaches the caller inside an EINVAL
  const e = expectCode(() => QueueReader.attach(getterThrows as any), "EINVAL", "getter");
  assert.is(((e as any).cause as Error).message, "getter");
  assert.ok(bomb >= 1);
  // a closed queue's handle stays valid: it reads what was left, then END
  q.close();
  const r = QueueReader.attach(structuredClone(h), { exports: core.exports });
  const got: number[] = [];
  for (let n = r.dequeue(); n; n = r.dequeue()) for (let i = 0; i < n; i++) got.push(r.typeAt(i));
  assert.equal(got, [3, 3, 3, 21]);
  assert.ok(r.ended);
  // hostile dequeue counts never write past the reader's area
  const q2 = new Queue(core, { slots: 8, burst: 2 });
  q2.enqueue(recs(8, 1));
  const r2 = q2.reader();
  for (const m of [-1, 0, NaN, 1.5, 2 ** 32, -(2 ** 31), Infinity]) assert.ok(r2.dequeue(m) <= 2, `dequeue(${m})`);
});

test("Ifpx.queueAdd: forged pointers, foreign and closed queues are EINVAL; the instance's rings untouched", async () => {
  const ifpx = new Ifpx();
  const other = new Ifpx();
  try {
    const q = ifpx.createQueue({ slots: 8 });
    ifpx.queueAdd(q);
    const h = header(q);
    const closed = ifpx.createQueue({ slots: 8 });
    closed.close();
    const size = q.handle.memory.buffer.byteLength;
    for (const [what, bad] of [
      ["top of the address space", { ptr: 0xffffffc0 }], ["negative", { ptr: -64 }], ["past the memory", { ptr: size }],
      ["unaligned", { ptr: q.ptr + 8 }], ["inside a ring's slots", { ptr: q.ptr + RingHdr.SIZE }], ["NaN", { ptr: NaN }],
      ["a string", { ptr: String(q.ptr) }], ["a closed queue", closed], ["another instance's queue", other.createQueue({ slots: 8 })],
      ["a handle of another memory", { ptr: q.ptr, handle: { memory: other.coreHandle.share.memory } }],
    ] as [string, any][]) {
      expectCode(() => ifpx.queueAdd(bad), "EINVAL", what);
    }
    expectCode(() => ifpx.queueAdd(q), "EEXIST", "twice");
    expectCode(() => ifpx.queueAdd({ ptr: q.ptr }), "EEXIST", "the same ring through another object");
    assert.equal(header(q), h);
    // createQueue past the limits: typed
    expectCode(() => ifpx.createQueue({ slots: 1 << 26 }), "EINVAL", "2^26 slots");
    expectCode(() => ifpx.createQueue({ slots: 1 << 25 }), "EINVAL", "2^25 slots");
  } finally {
    await ifpx.dispose();
    await other.dispose();
  }
});

test.run();
