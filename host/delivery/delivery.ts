// Records -> consumers. The upstream rule for each staged record: the type's
// callback first (a truthy return consumes it), otherwise every queue gets a
// copy. Types without a callback go to the queues in bursts without ever
// becoming JS objects. Queues: WASM rings (published by the core in one call),
// external queues (DPDK rte_rings), and queues being refilled by a replay
// (their backlog, replay.ts).
import type { Core } from "../core/core.js";
import { RECORD_SIZE } from "../core/core.js";
import { IfpxError, shown } from "../errors.js";
import { decodeEvent, EventType, EVENT_TYPE_COUNT, type IfpxEvent } from "../record.js";
import { consumes } from "../callback-result.js";
import { guarded, type Reporter } from "../safe-timer.js";
import type { ExternalQueue } from "../queues/external-queue.js";

/** A truthy return consumes the event; a Promise does not (README, Callbacks): its rejection goes to onError. */
export type Callback = (event: IfpxEvent) => boolean | void | undefined | number | PromiseLike<unknown>;
export interface CallbackRegistration { type: number; callback: Callback }
/** A WASM ring made by `ifpx.createQueue()` (host/queues/queue.ts). */
export interface RingQueue { readonly ptr: number; end?(): void }
export type AnyQueue = RingQueue | ExternalQueue;

export function isExternal(q: AnyQueue): q is ExternalQueue {
  return typeof (q as ExternalQueue).publish === "function";
}

/** A queue being refilled by replayInto(): records wait here, in order, until it has room. */
export interface Backlog {
  queue: AnyQueue;
  chunks: Uint8Array[];
  head: number; // bytes of chunks[0] already enqueued
  timer?: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  resolve: () => void;
  /** the replay cannot go on: the promise rejects with this error */
  reject: (error: unknown) => void;
}

export class Delivery {
  readonly callbacks: (Callback | undefined)[] = new Array(EVENT_TYPE_COUNT).fill(undefined);
  // each ring with the pointer checked when it was added (a getter cannot change it later)
  readonly rings = new Map<RingQueue, number>();
  readonly externals = new Set<ExternalQueue>();
  readonly backlogs = new Map<AnyQueue, Backlog>();
  readonly counters = { delivered: 0, callbackErrors: 0 };
  /** set once the instance is closed: a delivery in progress stops */
  closed = false;
  private dispatching = 0;
  /** work asked from inside a callback, run once the dispatch is over (the staging area is in use) */
  private readonly deferred: (() => void)[] = [];
  private overflowTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly core: Core, private readonly report: Reporter) {}

  /** One callback per type; a later registration replaces. */
  register(list: CallbackRegistration[]): void {
    if (!Array.isArray(list)) throw new IfpxError("EINVAL", "registerCallbacks takes an array of {type, callback}");
    for (const r of list) {
      if (!r || typeof r !== "object" || !isType(r.type) || typeof r.callback !== "function") {
        throw new IfpxError("EINVAL", `bad callback registration: type must be an EventType (0..${EVENT_TYPE_COUNT - 1}) and callback a function`);
      }
    }
    // the checked values: getters are read once
    const checked = list.map((r) => [r.type, r.callback] as const);
    if (checked.some(([t, cb]) => !isType(t) || typeof cb !== "function")) throw new IfpxError("EINVAL", "a callback registration changed while it was read");
    for (const [t, cb] of checked) this.callbacks[t] = cb;
    this.updateWanted();
  }

  unregister(type: number): void {
    if (!isType(type)) throw new IfpxError("EINVAL", `not an event type: ${shown(type)}`);
    this.callbacks[type] = undefined;
    this.updateWanted();
  }

  unregisterAll(): void {
    this.callbacks.fill(undefined);
    this.updateWanted();
  }

  /** Run now, or after the current dispatch when called from inside a callback. */
  whenIdle(fn: () => void): void {
    if (this.dispatching) this.deferred.push(fn);
    else fn();
  }

  /** Deliver the n records the core just staged. */
  deliverStaged(n: number): void {
    if (n) this.deliver(this.core.stagedPtr, n);
    this.afterStaged?.();
  }

  /** Run after each core call's records were delivered (sub-interfaces the call made or freed: ifpx.ts). */
  afterStaged: (() => void) | undefined;

  /** Stage a marker record (CFG_DONE, PORT_DONE, RESYNC_DONE...) and deliver it. */
  marker(type: number, port: number, a = 0, b = 0, c = 0, d = 0): void {
    this.deliverStaged(this.core.x.stage_marker(type, port, a, b, c, d) >>> 0);
  }

  /**
   * Tell the core which event types anyone consumes: with a queue added,
   * every type (queues get what callbacks do not consume); otherwise the types
   * with a callback. The core then builds no record nobody would see (the
   * mirror is kept regardless).
   */
  updateWanted(): void {
    let mask = 0;
    if (this.rings.size || this.externals.size || this.backlogs.size) mask = 0xffffffff;
    else for (let t = 0; t < EVENT_TYPE_COUNT; t++) if (this.callbacks[t]) mask |= 1 << t;
    this.core.x.set_wanted(mask >>> 0);
  }

  deliver(ptr: number, n: number): void {
    this.dispatching++;
    try {
      const dv = this.core.view;
      let run = -1;
      for (let i = 0; i < n; i++) {
        const rec = ptr + i * RECORD_SIZE;
        const cb = this.callbacks[dv.getUint16(rec, true)];
        if (!cb) { if (run < 0) run = i; continue; }
        if (run >= 0) { this.publish(ptr + run * RECORD_SIZE, i - run); run = -1; }
        let consumed = false;
        try {
          consumed = consumes(cb(decodeEvent(dv, rec)), this.onCallbackRejected);
        } catch (e) {
          this.counters.callbackErrors++;
          this.report(e);
        }
        if (!consumed) this.publish(rec, 1);
        if (this.closed) return;
      }
      if (run >= 0) this.publish(ptr + run * RECORD_SIZE, n - run);
      this.counters.delivered += n;
    } finally {
      this.dispatching--;
    }
    if (!this.dispatching) {
      // a deferred step (a late bind's replay) that fails must not cancel the others
      while (this.deferred.length) {
        const fn = this.deferred.shift()!;
        try { fn(); } catch (e) { this.report(e); }
      }
    }
  }

  private publish(ptr: number, n: number): void {
    if (this.rings.size && this.core.x.queues_publish(ptr, n) !== 0) this.watchOverflow();
    if (this.backlogs.size) {
      const copy = this.core.bytes.slice(ptr, ptr + n * RECORD_SIZE);
      for (const b of this.backlogs.values()) b.chunks.push(copy);
    }
    if (this.externals.size) {
      const view = this.core.bytes.subarray(ptr, ptr + n * RECORD_SIZE);
      for (const q of this.externals) {
        try {
          if (q.publish(view, n) < n && q.flushOverflow) this.watchOverflow();
        } catch (e) {
          this.dropBrokenQueue(q, e);
        }
      }
    }
  }

  /**
   * A ring lost records: its OVERFLOW record goes out as soon as its consumer
   * makes room, even if no further event comes to carry it.
   */
  private watchOverflow(): void {
    if (this.overflowTimer) return;
    // a failure is reported and ends this round; the next lost record starts another
    const tick = guarded(() => {
      this.overflowTimer = undefined;
      if (this.closed) return;
      let pending = this.rings.size ? this.core.x.queues_flush(this.core.x.seq_last()) : 0;
      for (const q of this.externals) {
        try {
          if (q.flushOverflow && !q.flushOverflow()) pending++;
        } catch (e) {
          this.dropBrokenQueue(q, e);
        }
      }
      if (pending > 0) this.overflowTimer = setTimeout(tick, 1).unref();
    }, this.report);
    this.overflowTimer = setTimeout(tick, 1).unref();
  }

  /**
   * An external queue threw (a closed DPDK ring, a consumer's bug): it leaves
   * delivery at once, so that one broken queue neither stops the others nor
   * floods onError, and onError is told why (EIO, with its error as cause).
   */
  private dropBrokenQueue(q: ExternalQueue, e: unknown): void {
    if (!this.externals.delete(q)) return;
    this.updateWanted();
    this.report(Object.assign(new IfpxError("EIO", "an external queue threw and was removed from delivery (queueAdd it again once it works)"), { cause: e }));
  }

  // a callback's promise rejected (host/callback-result.ts)
  private readonly onCallbackRejected = (e: unknown): void => {
    this.counters.callbackErrors++;
    this.report(e);
  };
}

function isType(t: unknown): t is number {
  return Number.isInteger(t) && (t as number) >= 0 && (t as number) < EVENT_TYPE_COUNT;
}
