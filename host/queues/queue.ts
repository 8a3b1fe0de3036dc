// Producer-side handle of an ifpx queue (main thread): a ring of 64-byte
// records in the core's shared memory, allocated by the main (allocating)
// instance, plus reader scratch areas so that readers in any thread can
// dequeue without allocating. `queue.handle` goes to workers by postMessage
// or workerData; `QueueReader.attach(handle)` consumes it.
import type { CoreShare } from "../core/wasm.js";
import { QueueReader, registerCoreExports, ringStats, type RingStats } from "./queue-reader.js";
import { RING_MPMC, RING_SPSC, RingHdr, MAX_BURST, MAX_READERS, type QueueMode } from "./ring-layout.js";
import type { QueueHandle } from "./ring-handle.js";
import { IfpxError } from "../errors.js";
import { callCore } from "../core/core-call.js";
import { EVENT_SIZE } from "../record.js";
import type { CoreExports } from "../core/exports.js";

export { QueueReader, type QueueHandle, type QueueMode, type RingStats } from "./queue-reader.js";

export interface QueueOptions {
  /** ring slots, a power of two from 2 to 2^23 (default 1024); the memory must have room (else ENOSPC) */
  slots?: number;
  /** 'spsc' (default): one reader at a time; 'mpmc': several readers (and producers) */
  mode?: QueueMode;
  /** max records per dequeue, 1..65536 (default 64) */
  burst?: number;
  /** readers that may be attached at once (default 1 for spsc, 8 for mpmc; max 16) */
  maxReaders?: number;
}

export interface CoreLike { share: CoreShare; exports: CoreExports }

export class Queue {
  readonly handle: QueueHandle;
  readonly ptr: number;
  readonly slots: number;
  readonly mode: QueueMode;
  private readonly e: CoreExports;
  private readonly staging: number;
  private readonly memory: WebAssembly.Memory;

  static create(core: CoreLike, opts: QueueOptions = {}): Queue { return new Queue(core, opts); }

  constructor(core: CoreLike, opts: QueueOptions = {}) {
    const o = readOptions(opts);
    const e = core.exports;
    this.e = e;
    this.memory = core.share.memory;
    registerCoreExports(core.share.memory, e);
    const max = e.ring_max_slots() >>> 0;
    if (o.slots > max) throw new IfpxError("EINVAL", `queue slots must be at most ${max} (2^${Math.log2(max)}), got ${o.slots}`);
    // a refused memory.grow traps inside the core's allocator (before it changed anything)
    const ptr = callCore(() => e.queue_alloc(o.slots, o.mode === "spsc" ? RING_SPSC : RING_MPMC, o.burst, o.maxReaders) >>> 0, "ENOSPC",
      `no memory for a queue of ${o.slots} slots`);
    const bytes = o.slots * EVENT_SIZE + (o.maxReaders + 1) * o.burst * EVENT_SIZE;
    if (ptr === 0) throw new IfpxError("ENOSPC", `no room in the core's memory (at most 4 GiB, shared by all queues and the mirror) for a queue of ${o.slots} slots and ${o.maxReaders} readers of ${o.burst} (${bytes} bytes)`);
    const dv = new DataView(this.memory.buffer);
    const hdr = (off: number) => dv.getUint32(ptr + off, true);
    this.ptr = ptr;
    this.slots = o.slots;
    this.mode = o.mode;
    this.staging = hdr(RingHdr.CLAIMS) + 64;
    this.handle = {
      module: core.share.module, memory: core.share.memory,
      ptr, slots: o.slots, mode: o.mode, burst: o.burst, claims: hdr(RingHdr.CLAIMS), scratch: hdr(RingHdr.SCRATCH),
      maxReaders: o.maxReaders, gen: hdr(RingHdr.GEN),
    };
  }

  /** Enqueue whole 64-byte records (producer side; one producer for spsc).
   *  Returns how many were enqueued (fewer when the ring is full). */
  enqueue(records: Uint8Array): number {
    if (!(records instanceof Uint8Array)) throw new IfpxError("EINVAL", "enqueue takes a Uint8Array of 64-byte records");
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

function isPow2(n: number): boolean { return Number.isInteger(n) && n >= 2 && n <= 2 ** 31 && (n & (n - 1)) === 0; }

/** The options read once each (a throwing getter's error passes through), defaults applied, EINVAL when out of range. */
function readOptions(opts: QueueOptions | undefined): Required<QueueOptions> {
  if (opts === undefined || opts === null) opts = {};
  if (typeof opts !== "object") throw new IfpxError("EINVAL", "queue options must be an object");
  const slots = opts.slots ?? 1024, mode = opts.mode ?? "spsc", burst = opts.burst ?? 64;
  const maxReaders = opts.maxReaders ?? (mode === "spsc" ? 1 : 8);
  if (mode !== "spsc" && mode !== "mpmc") throw new IfpxError("EINVAL", `queue mode must be "spsc" or "mpmc", got ${String(mode)}`);
  if (!isPow2(slots as number)) throw new IfpxError("EINVAL", `queue slots must be a power of two >= 2, got ${String(slots)}`);
  if (!Number.isInteger(burst) || burst < 1 || burst > MAX_BURST) throw new IfpxError("EINVAL", `queue burst must be an integer 1..${MAX_BURST}, got ${String(burst)}`);
  if (!Number.isInteger(maxReaders) || maxReaders < 1 || maxReaders > MAX_READERS) throw new IfpxError("EINVAL", `queue maxReaders must be an integer 1..${MAX_READERS}, got ${String(maxReaders)}`);
  return { slots, mode, burst, maxReaders };
}
