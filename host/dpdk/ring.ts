// RteRingQueue: an rte_ring of ifpx event records (native/include/ifpx_event.h:
// one 64-byte record = four 16-byte ring elements, always moved whole).
// It implements ExternalQueue, the interface ifpx's delivery code publishes to.
//
// Full ring (upstream gap 2 fixed): the records that do not fit are counted in
// `lost` and the queue is marked overflowed; the next publish that finds room
// first enqueues one OVERFLOW record (type 19, port_id 0xFFFF, u32 lost at
// offset 16 = records lost since the previous OVERFLOW) and then resumes.
import { dpdk, DpdkError } from "./lib.js";
import { requireEal } from "./eal.js";

import { EVENT_SIZE, EventType, PORT_NONE, writeOverflowRecord } from "../record.js";

export { EVENT_SIZE, PORT_NONE };
export const EV_OVERFLOW = EventType.OVERFLOW;
/** rte_ring flags */
export const RING_F_SP_ENQ = 0x1;
export const RING_F_SC_DEQ = 0x2;
export const SOCKET_ID_ANY = -1;

import type { ExternalQueue } from "../queues/external-queue.js";
export type { ExternalQueue };

export interface RingCreateOptions {
  /** single producer (default true: ifpx is the one producer of a queue) */
  singleProducer?: boolean;
  /** single consumer (default true) */
  singleConsumer?: boolean;
  socketId?: number;
}

export class RteRingQueue implements ExternalQueue {
  /** struct rte_ring * (koffi 3: BigInt) */
  readonly ring: bigint;
  readonly name: string;
  /** capacity in events */
  readonly capacity: number;
  /** whether close() frees the ring (true for rings this object created) */
  readonly owner: boolean;
  private lostTotal = 0;
  private pending = 0; // lost since the last OVERFLOW record was enqueued
  private closed = false;
  private readonly overflowRec = new Uint8Array(EVENT_SIZE);
  private readonly ovView = new DataView(this.overflowRec.buffer);

  private constructor(ring: bigint, name: string, owner: boolean) {
    this.ring = ring;
    this.name = name;
    this.owner = owner;
    this.capacity = dpdk().ring_capacity(ring);
  }

  /** A new ring named `name` that holds `events` records (exactly). */
  static create(name: string, events: number, opts: RingCreateOptions = {}): RteRingQueue {
    requireEal("RteRingQueue.create");
    const lib = dpdk();
    const flags = (opts.singleProducer ?? true ? RING_F_SP_ENQ : 0) | (opts.singleConsumer ?? true ? RING_F_SC_DEQ : 0);
    const r = lib.ring_create(name, events, opts.socketId ?? SOCKET_ID_ANY, flags);
    if (!r) throw new DpdkError(`rte_ring_create_elem(${name}, 16 B x ${events * 4})`, lib.errno());
    return new RteRingQueue(r, name, true);
  }

  /** An existing ring (e.g. created by a DPDK primary) of 16-byte elements, 4 per record. */
  static lookup(name: string): RteRingQueue {
    requireEal("RteRingQueue.lookup");
    const lib = dpdk();
    const r = lib.ring_lookup(name);
    if (!r) throw new DpdkError(`rte_ring_lookup(${name})`, lib.errno());
    return new RteRingQueue(r, name, false);
  }

  get lost(): number { return this.lostTotal; }
  /** records lost since the last OVERFLOW record (one is owed when > 0) */
  get overflowed(): boolean { return this.pending > 0; }

  publish(records: Uint8Array, n: number): number {
    if (this.closed) throw new DpdkError(`queue ${this.name} is closed`, 22);
    if (n <= 0) return 0;
    if (records.byteLength < n * EVENT_SIZE) throw new DpdkError(`publish: ${n} records need ${n * EVENT_SIZE} bytes, got ${records.byteLength}`, 22);
    const lib = dpdk();
    // the owed OVERFLOW record goes first; while it does not fit, nothing does
    if (!this.flushOverflow()) {
      this.pending += n;
      this.lostTotal += n;
      return 0;
    }
    const k = lib.enqueue_burst(this.ring, records, n);
    if (k < n) {
      this.pending += n - k;
      this.lostTotal += n - k;
    }
    return k;
  }

  /** Enqueue the owed OVERFLOW record if the consumer made room; true when none is owed. */
  flushOverflow(): boolean {
    if (this.closed || this.pending === 0) return true;
    writeOverflowRecord(this.ovView, 0, this.pending);
    if (dpdk().enqueue_bulk(this.ring, this.overflowRec, 1) !== 1) return false;
    this.pending = 0;
    return true;
  }

  /** The lost count not yet reported by an OVERFLOW record; the caller reports it (replayInto). */
  takeOverflow(): number {
    const p = this.pending;
    this.pending = 0;
    return p;
  }

  /** Enqueue whole records that fit, counting nothing lost (replayInto feeds what did not fit later). */
  tryPublish(records: Uint8Array, n: number): number {
    if (this.closed) throw new DpdkError(`queue ${this.name} is closed`, 22);
    return n > 0 ? dpdk().enqueue_burst(this.ring, records, n) : 0;
  }

  /** Up to `max` records, copied out (tests, or a Node consumer). */
  dequeue(max: number): Uint8Array {
    const out = new Uint8Array(max * EVENT_SIZE);
    const k = this.dequeueInto(out, max);
    return out.subarray(0, k * EVENT_SIZE);
  }

  /** Up to `max` records into `out` (no allocation); returns the count. */
  dequeueInto(out: Uint8Array, max: number): number {
    if (this.closed) throw new DpdkError(`queue ${this.name} is closed`, 22);
    if (out.byteLength < max * EVENT_SIZE) throw new DpdkError("dequeueInto: buffer too small", 22);
    return dpdk().dequeue_burst(this.ring, out, max);
  }

  /** events in the ring */
  count(): number { return dpdk().ring_count(this.ring); }
  /** whole events that fit now */
  freeCount(): number { return dpdk().ring_free_count(this.ring); }

  /** Stop using the ring; a ring this object created is freed (rte_ring_free). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owner) dpdk().ring_free(this.ring);
  }
}
