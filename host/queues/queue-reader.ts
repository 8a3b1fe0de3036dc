// Consumer side of an ifpx queue, usable in any thread: attach to the handle a
// Queue made on the main thread (through postMessage/workerData or directly),
// dequeue records into this reader's own scratch area in the shared memory and
// read them in place (DataView / typed views), or decode them to objects.
//
// Waiting follows the protocol in assembly/ring.ts: announce in the ring's
// waiters word, re-check, then Atomics.wait / Atomics.waitAsync on prod.tail;
// the producer notifies only when waiters != 0.
import { attachCore, type CoreShare } from "../core/wasm.js";
import { decodeEvent, EventType, EVENT_SIZE, type IfpxEvent } from "../record.js";
import { RingHdr } from "./ring-layout.js";
import { checkQueueHandle, type QueueHandle } from "./ring-handle.js";
import { IfpxError } from "../errors.js";
import type { CoreExports } from "../core/exports.js";

export { RingHdr, RING_SPSC, RING_MPMC, type QueueMode } from "./ring-layout.js";
export type { QueueHandle } from "./ring-handle.js";

export interface RingStats {
  /** records enqueued / dequeued on the ring, all producers / consumers (mod 2^32) */
  enqueued: number;
  dequeued: number;
  /** records in the ring now */
  count: number;
  /** lost since the last OVERFLOW record, and ever */
  lost: number;
  totalLost: number;
  /** OVERFLOW records emitted */
  overflows: number;
  /** records the queue registry delivered to this ring */
  published: number;
  overflowed: boolean;
  closed: boolean;
}

export interface ReaderStats extends RingStats {
  /** records this reader dequeued (END included) */
  read: number;
}

const exportsCache = new WeakMap<WebAssembly.Memory, CoreExports>();

/** Use these core exports for readers attached in this thread to that memory
 *  (Queue registers the main instance, so main-thread readers add no instance). */
export function registerCoreExports(memory: WebAssembly.Memory, exports: CoreExports): void {
  exportsCache.set(memory, exports);
}

function coreFor(share: CoreShare): CoreExports {
  let e = exportsCache.get(share.memory);
  if (!e) {
    try {
      e = attachCore({ module: share.module, memory: share.memory });
    } catch (err) {
      throw Object.assign(new IfpxError("EINVAL", "not a valid queue: handle.module is not the ifpx core"), { cause: err });
    }
    exportsCache.set(share.memory, e);
  }
  return e;
}

export function ringStats(e: CoreExports, ptr: number): RingStats {
  return {
    enqueued: e.ring_enqueued(ptr) >>> 0,
    dequeued: e.ring_dequeued(ptr) >>> 0,
    count: e.ring_count(ptr) >>> 0,
    lost: e.ring_lost(ptr) >>> 0,
    totalLost: e.ring_total_lost(ptr),
    overflows: e.ring_overflows(ptr) >>> 0,
    published: e.ring_published(ptr),
    overflowed: !!e.ring_overflowed(ptr),
    closed: !!e.ring_closed(ptr),
  };
}

export class QueueReader implements AsyncIterable<IfpxEvent> {
  readonly handle: QueueHandle;
  readonly ptr: number;
  /** DataView over the whole shared memory: records are at offset(i). */
  readonly view: DataView;
  /** byte offset of this reader's scratch area (record i at base + 64 i) */
  readonly base: number;
  readonly burst: number;
  private readonly e: CoreExports;
  private readonly i32: Int32Array;
  private readonly slot: number;
  private last = 0;
  private read = 0;
  private done = false;
  private released = false;

  /** Attach in this thread. opts.exports: reuse an instance over the same memory.
   *  A handle that does not describe a queue of its memory: IfpxError EINVAL. */
  static attach(handle: QueueHandle, opts: { exports?: CoreExports } = {}): QueueReader {
    const h = checkQueueHandle(handle);
    const own = opts?.exports;
    if (own) registerCoreExports(h.memory, own);
    return new QueueReader(h, own ?? coreFor(h));
  }

  private constructor(handle: QueueHandle, e: CoreExports) {
    this.handle = handle;
    this.ptr = handle.ptr;
    this.e = e;
    const buf = handle.memory.buffer as unknown as SharedArrayBuffer;
    this.i32 = new Int32Array(buf);
    if (!e.ring_is(handle.ptr)) throw new IfpxError("EINVAL", "not a valid queue: handle.ptr is not a ring");
    let slot = -1;
    for (let i = 0; i < handle.maxReaders; i++) {
      if (Atomics.compareExchange(this.i32, (handle.claims >> 2) + i, 0, 1) === 0) { slot = i; break; }
    }
    if (slot < 0) throw new IfpxError("EBUSY", `no free reader slot (maxReaders=${handle.maxReaders}): close() a reader first`);
    this.slot = slot;
    this.burst = handle.burst;
    this.base = handle.scratch + slot * handle.burst * EVENT_SIZE;
    this.view = new DataView(buf);
  }

  /** Move up to max (<= burst) records into this reader's area; returns how many.
   *  They stay readable at offset(i) until the next dequeue. After END: 0. */
  dequeue(max: number = this.burst): number {
    if (this.done) return (this.last = 0);
    // never more than the scratch area holds (NaN: a burst; below 1: none)
    let m = this.burst;
    if (max < m) m = max >= 1 ? Math.floor(max) : 0;
    const n = this.e.ring_dequeue(this.ptr, this.base, m) >>> 0;
    this.last = n;
    if (n > 0) {
      this.read += n;
      // END is always the last record a ring delivers
      if (this.view.getUint16(this.base + (n - 1) * EVENT_SIZE, true) === EventType.END) this.done = true;
    }
    return n;
  }

  /** Records of the last dequeue. */
  get length(): number { return this.last; }
  /** Byte offset in `view` (and memory.buffer) of record i of the last dequeue. */
  offset(i: number): number { return this.base + i * EVENT_SIZE; }
  /** Record i of the last dequeue as a zero-copy byte view. */
  bytes(i: number): Uint8Array { return new Uint8Array(this.view.buffer, this.offset(i), EVENT_SIZE); }
  /** Type id of record i of the last dequeue. */
  typeAt(i: number): number { return this.view.getUint16(this.offset(i), true); }
  /** Record i of the last dequeue decoded. */
  event(i: number): IfpxEvent { return decodeEvent(this.view, this.offset(i)); }

  /** Dequeue up to max records and call fn(view, offset, i) on each, in place. */
  forEach(fn: (view: DataView, offset: number, index: number) => void, max: number = this.burst): number {
    const n = this.dequeue(max);
    for (let i = 0; i < n; i++) fn(this.view, this.base + i * EVENT_SIZE, i);
    return n;
  }

  /** Dequeue up to max records decoded to objects. */
  dequeueEvents(max: number = this.burst): IfpxEvent[] {
    const n = this.dequeue(max);
    const out: IfpxEvent[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = decodeEvent(this.view, this.base + i * EVENT_SIZE);
    return out;
  }

  /** True once END was dequeued by this reader. */
  get ended(): boolean { return this.done; }

  private ready(): boolean {
    const p = this.ptr >> 2;
    return Atomics.load(this.i32, p + (RingHdr.PROD_TAIL >> 2)) !== Atomics.load(this.i32, p + (RingHdr.CONS_HEAD >> 2)) ||
      Atomics.load(this.i32, p + (RingHdr.CLOSED >> 2)) !== 0;
  }

  /** Block this thread until records are available or the ring is closed (true),
   *  or timeoutMs passes (false). For workers (it blocks the event loop). */
  wait(timeoutMs: number = Infinity): boolean {
    if (this.done) return true;
    if (this.ready()) return true;
    const p = this.ptr >> 2, w = p + (RingHdr.WAITERS >> 2), t = p + (RingHdr.PROD_TAIL >> 2);
    Atomics.add(this.i32, w, 1);
    try {
      const seen = Atomics.load(this.i32, t);
      if (this.ready()) return true;
      Atomics.wait(this.i32, t, seen, timeoutMs);
    } finally {
      Atomics.sub(this.i32, w, 1);
    }
    return this.ready();
  }

  /** Like wait() without blocking: resolves true (records or closed) or false (timeout). */
  async waitAsync(timeoutMs: number = Infinity): Promise<boolean> {
    if (this.done || this.ready()) return true;
    const p = this.ptr >> 2, w = p + (RingHdr.WAITERS >> 2), t = p + (RingHdr.PROD_TAIL >> 2);
    Atomics.add(this.i32, w, 1);
    try {
      const seen = Atomics.load(this.i32, t);
      if (this.ready()) return true;
      const r = (Atomics as any).waitAsync(this.i32, t, seen, timeoutMs);
      if (r.async) await r.value;
    } finally {
      Atomics.sub(this.i32, w, 1);
    }
    return this.ready();
  }

  /** Events until END (END itself is not yielded); never blocks the event loop. */
  async *[Symbol.asyncIterator](): AsyncIterator<IfpxEvent> {
    while (!this.done) {
      const n = this.dequeue();
      if (n === 0) { await this.waitAsync(1000); continue; }
      const evs = new Array<IfpxEvent>(n);
      for (let i = 0; i < n; i++) evs[i] = decodeEvent(this.view, this.base + i * EVENT_SIZE);
      for (const ev of evs) {
        if (ev.typeId === EventType.END) return;
        yield ev;
      }
    }
  }

  stats(): ReaderStats {
    return { ...ringStats(this.e, this.ptr), read: this.read };
  }

  /** Give the reader slot back (the ring is untouched). */
  close(): void {
    if (this.released) return;
    this.released = true;
    Atomics.store(this.i32, (this.handle.claims >> 2) + this.slot, 0);
  }
}
