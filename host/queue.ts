// Producer-side handle of an ifpx queue (main thread): a ring of 64-byte
// records in the core's shared memory, allocated by the main (allocating)
// instance, plus reader scratch areas so that readers in any thread can
// dequeue without allocating. `queue.handle` goes to workers by postMessage
// or workerData; `QueueReader.attach(handle)` consumes it.
import type { CoreShare } from "./wasm.js";
import {
  QueueReader, registerCoreExports, ringStats, RING_MPMC, RING_SPSC,
  type QueueHandle, type QueueMode, type RingStats,
} from "./queue-reader.js";
import { EVENT_SIZE } from "./record.js";

export { QueueReader, type QueueHandle, type QueueMode, type RingStats } from "./queue-reader.js";

export interface QueueOptions {
  /** ring slots, a power of two >= 2 (default 1024) */
  slots?: number;
  /** 'spsc' (default): one reader at a time; 'mpmc': several readers (and producers) */
  mode?: QueueMode;
  /** max records per dequeue (default 64) */
  burst?: number;
  /** readers that may be attached at once (default 1 for spsc, 8 for mpmc; max 16) */
  maxReaders?: number;
}

export interface CoreLike { share: CoreShare; exports: any }

export class Queue {
  readonly handle: QueueHandle;
  readonly ptr: number;
  readonly slots: number;
  readonly mode: QueueMode;
  private readonly e: any;
  private readonly staging: number;
  private readonly memory: WebAssembly.Memory;

  static create(core: CoreLike, opts: QueueOptions = {}): Queue { return new Queue(core, opts); }

  constructor(core: CoreLike, opts: QueueOptions = {}) {
    const slots = opts.slots ?? 1024;
    const mode: QueueMode = opts.mode ?? "spsc";
    if (mode !== "spsc" && mode !== "mpmc") throw new RangeError(`ifpx: queue mode ${mode}`);
    if (!Number.isInteger(slots) || slots < 2 || (slots & (slots - 1)) !== 0 || slots > 1 << 26) {
      throw new RangeError(`ifpx: queue slots must be a power of two >= 2 (got ${slots})`);
    }
    const burst = opts.burst ?? 64;
    const maxReaders = opts.maxReaders ?? (mode === "spsc" ? 1 : 8);
    if (!(burst >= 1 && burst <= 65536)) throw new RangeError("ifpx: burst");
    if (!(maxReaders >= 1 && maxReaders <= 16)) throw new RangeError("ifpx: maxReaders must be 1..16");
    const e = core.exports;
    this.e = e;
    this.memory = core.share.memory;
    registerCoreExports(core.share.memory, e);
    const ptr = e.ring_alloc(slots, mode === "spsc" ? RING_SPSC : RING_MPMC) >>> 0;
    if (ptr === 0) throw new Error("ifpx: ring_alloc failed");
    // 64 B claim words | producer staging (burst) | reader scratch (maxReaders x burst)
    const rec = burst * EVENT_SIZE;
    const aux = e.ring_buf_alloc(64 + rec + maxReaders * rec) >>> 0;
    this.ptr = ptr;
    this.slots = slots;
    this.mode = mode;
    this.staging = aux + 64;
    this.handle = {
      module: core.share.module, memory: core.share.memory,
      ptr, slots, mode, burst, claims: aux, scratch: aux + 64 + rec, maxReaders,
    };
  }

  /** Enqueue whole 64-byte records (producer side; one producer for spsc).
   *  Returns how many were enqueued (fewer when the ring is full). */
  enqueue(records: Uint8Array): number {
    const n = Math.floor(records.length / EVENT_SIZE);
    const burst = this.handle.burst;
    const mem = new Uint8Array(this.memory.buffer);
    let done = 0;
    while (done < n) {
      const k = Math.min(burst, n - done);
      mem.set(records.subarray(done * EVENT_SIZE, (done + k) * EVENT_SIZE), this.staging);
      const got = this.e.ring_enqueue(this.ptr, this.staging, k) >>> 0;
      done += got;
      if (got < k) break;
    }
    return done;
  }

  count(): number { return this.e.ring_count(this.ptr) >>> 0; }
  free(): number { return this.e.ring_free(this.ptr) >>> 0; }
  get closed(): boolean { return !!this.e.ring_closed(this.ptr); }
  stats(): RingStats { return ringStats(this.e, this.ptr); }

  /** A reader in this thread (uses the main instance). */
  reader(): QueueReader { return QueueReader.attach(this.handle, { exports: this.e }); }

  /** Unregister (if registered) and close: readers get END, waiters wake. */
  close(): void {
    this.e.queues_remove(this.ptr);
    this.e.ring_close(this.ptr);
  }
}
