// The queues of one instance: adding and removing them, and replayInto(), which
// brings a ring back to the truth after an OVERFLOW through a backlog fed as
// its consumer makes room. Delivery (delivery.ts) publishes to them.
import { RECORD_SIZE, CoreErrno, type Core } from "../core/core.js";
import { IfpxError } from "../errors.js";
import { EventType, writeOverflowRecord } from "../record.js";
import { checkRing } from "../queues/ring-handle.js";
import type { Reporter } from "../safe-timer.js";
import { isExternal, type AnyQueue, type Backlog, type Delivery, type RingQueue } from "./delivery.js";

// records moved into a ring per enqueue while a backlog drains
const BURST = 256;

export class QueueSet {
  private scratch = 0;

  constructor(private readonly core: Core, private readonly d: Delivery, private readonly report: Reporter) {}

  add(q: AnyQueue): void {
    const d = this.d;
    if (!q || typeof q !== "object") throw new IfpxError("EINVAL", "queueAdd needs a queue");
    if (isExternal(q)) {
      if (typeof q.close !== "function") throw new IfpxError("EINVAL", "queueAdd: an external queue needs publish() and close()");
      if (d.externals.has(q)) throw new IfpxError("EEXIST", "this queue is already added");
      d.externals.add(q);
      d.updateWanted();
      return;
    }
    // a Queue of another instance lives in another memory: its pointer means nothing here
    const mem = (q as { handle?: { memory?: unknown } }).handle?.memory;
    if (mem !== undefined && mem !== this.core.share.memory) throw new IfpxError("EINVAL", "queueAdd: this queue belongs to another Ifpx instance (createQueue of this one)");
    const ptr = q.ptr;
    checkRing(this.core.share.memory, ptr);
    if (d.rings.has(q)) throw new IfpxError("EEXIST", "this queue is already added");
    const r = this.core.x.queues_add(ptr);
    if (r === CoreErrno.EEXIST) throw new IfpxError("EEXIST", "this queue (or another object for the same ring) is already added");
    this.core.check(r, "cannot add queue");
    d.rings.set(q, ptr);
    d.updateWanted();
  }

  remove(q: AnyQueue): void {
    const d = this.d;
    if (q && isExternal(q)) {
      if (!d.externals.delete(q) && !this.dropBacklog(q)) throw new IfpxError("ENOENT", "this queue was not added");
      d.updateWanted();
      return;
    }
    if (!q || !d.rings.has(q as RingQueue)) throw new IfpxError("ENOENT", "this queue was not added");
    this.endRing(q as RingQueue);
    d.rings.delete(q as RingQueue);
    d.updateWanted();
  }

  /** Every queue leaves (close()): rings get END. */
  clear(): void {
    for (const q of this.d.rings.keys()) this.endRing(q);
    this.d.rings.clear();
    this.d.externals.clear();
  }

  private endRing(q: RingQueue): void {
    // detached while replaying: close it directly (END), drop what was pending
    const ptr = this.d.rings.get(q)!;
    if (this.dropBacklog(q)) this.core.x.ring_close(ptr);
    else this.core.x.queues_remove(ptr);
  }

  private dropBacklog(q: AnyQueue): boolean {
    const b = this.d.backlogs.get(q);
    if (!b) return false;
    if (b.timer) clearTimeout(b.timer);
    this.d.backlogs.delete(q);
    b.resolve();
    return true;
  }

  /** replayInto (README): the lost count, the state of every proxy for every bound port, REPLAY_DONE. */
  replay(q: AnyQueue): Promise<void> {
    const d = this.d;
    const ext = q && isExternal(q);
    if (!q || !(ext ? d.externals.has(q) || d.backlogs.has(q) : d.rings.has(q as RingQueue))) {
      return Promise.reject(new IfpxError("ENOENT", "replayInto: this queue was not added"));
    }
    if (ext && (!q.tryPublish || !q.takeOverflow)) return Promise.reject(new IfpxError("EINVAL", "replayInto: this queue cannot be replayed into"));
    const existing = d.backlogs.get(q);
    if (existing) return existing.done;
    let resolve!: () => void, reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    const b: Backlog = { queue: q, chunks: [], head: 0, done, resolve: () => resolve(), reject: (e) => reject(e) };
    const x = this.core.x;
    // out of the delivery set: live records go to the backlog, after the snapshot
    if (ext) d.externals.delete(q);
    else this.core.check(x.queues_detach(d.rings.get(q as RingQueue)!), "replayInto: cannot detach the queue");
    d.backlogs.set(q, b);
    let lost: number;
    try {
      lost = ext ? q.takeOverflow!() : x.queue_take_overflow(d.rings.get(q as RingQueue)!) >>> 0;
    } catch (e) {
      this.fail(b, e);
      return b.done;
    }
    if (lost) {
      const rec = new Uint8Array(RECORD_SIZE);
      writeOverflowRecord(new DataView(rec.buffer), 0, lost);
      b.chunks.push(rec);
    }
    // The snapshot is taken at once (the core's replay iterator must not
    // interleave with process()); only the copying into the queue waits.
    d.whenIdle(() => {
      if (d.backlogs.get(q) !== b) return;
      const take = (n: number) => { const p = this.core.stagedPtr; b.chunks.push(this.core.bytes.slice(p, p + n * RECORD_SIZE)); };
      // A callback may ask for the replay between two chunks of an implied-
      // deletion job: its deletes are live changes for every consumer (this
      // queue gets them as live records too), so finish it first.
      for (let n = x.job_step() >>> 0; n; n = x.job_step() >>> 0) d.deliverStaged(n);
      if (d.backlogs.get(q) !== b) return;
      x.replay_begin(-1, -1);
      for (let n = x.replay_step() >>> 0; n; n = x.replay_step() >>> 0) take(n);
      take(x.stage_marker(EventType.REPLAY_DONE, 0xffff, 0, 0, 0, 0) >>> 0);
      this.feed(b);
    });
    return b.done;
  }

  private feed(b: Backlog): void {
    try {
      this.feedNow(b);
    } catch (e) {
      this.fail(b, e);
    }
  }

  /**
   * A replay that cannot go on (its queue threw, or the ring could not be put
   * back): its promise rejects, onError hears of it, and the queue is handed
   * back to ordinary delivery if that is still possible.
   */
  private fail(b: Backlog, e: unknown): void {
    const d = this.d;
    if (d.backlogs.get(b.queue) !== b) return;
    if (b.timer) clearTimeout(b.timer);
    d.backlogs.delete(b.queue);
    const q = b.queue;
    try {
      if (isExternal(q)) d.externals.add(q);
      else if (this.core.x.queues_add(d.rings.get(q)!) < 0) {
        // it cannot be delivered to any more: its consumer reads END rather than silence
        this.core.x.ring_close(d.rings.get(q)!);
        d.rings.delete(q);
      }
    } catch { /* reported below */ }
    d.updateWanted();
    b.reject(e);
    this.report(e);
  }

  private feedNow(b: Backlog): void {
    const d = this.d;
    b.timer = undefined;
    const q = b.queue;
    if (d.backlogs.get(q) !== b) return;
    const x = this.core.x;
    if (!this.scratch) this.scratch = x.ring_buf_alloc(BURST * RECORD_SIZE) >>> 0;
    while (b.chunks.length) {
      const c = b.chunks[0];
      const n = Math.min(BURST, (c.length - b.head) / RECORD_SIZE);
      const recs = c.subarray(b.head, b.head + n * RECORD_SIZE);
      let k: number;
      if (isExternal(q)) {
        k = q.tryPublish!(recs, n);
      } else {
        this.core.bytes.set(recs, this.scratch);
        k = x.ring_enqueue(d.rings.get(q)!, this.scratch, n) >>> 0;
      }
      b.head += k * RECORD_SIZE;
      if (b.head === c.length) { b.chunks.shift(); b.head = 0; }
      if (k < n) { b.timer = setTimeout(() => this.feed(b), 1); return; }
    }
    d.backlogs.delete(q);
    if (isExternal(q)) d.externals.add(q);
    else this.core.check(x.queues_add(d.rings.get(q)!), "replayInto: cannot re-add the queue");
    b.resolve();
  }
}
