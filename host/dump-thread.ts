// The main thread's side of the dump thread (host/dump-worker.ts). During a
// dump (initial or resync) the worker owns the netlink socket: it sends the
// dump requests this side asks for and receives into slots of the core's
// receive buffer; this side parses the slots in order and frees them. Between
// dumps the socket is back with the main thread's poll handle, and the worker
// sleeps.
//
// Control block: Int32 words in the core's memory (LAYOUT below). Each word
// has one writer: MODE, REQ_*, SLOT_STATE=0 and FREED are the main thread's;
// READY, ACK, SENT_ID, SEND_ERRNO, PUB, SLOT_STATE=1, SLOT_LEN, SLOT_EV and
// the counters are the worker's.
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type { Core } from "./core.js";
import { REQ_BODY } from "./netlink-socket.js";
import { dumpWorkerMain } from "./dump-worker.js";

const SLOTS = 4;
const LAYOUT = {
  READY: 0, MODE: 1, ACK: 2, REQ_ID: 3, REQ_TYPE: 4, REQ_FAMILY: 5, REQ_SEQ: 6, REQ_BODY: 7,
  SENT_ID: 8, SEND_ERRNO: 9, PUB: 10, FREED: 11, DGRAMS: 12, SPOOFED: 13, TRUNC: 14, OVERRUNS: 15, ERRNO: 16,
  SLOT_STATE: 32, SLOT_LEN: 32 + SLOTS, SLOT_EV: 32 + 2 * SLOTS,
  // MODE / ACK values
  IDLE: 0, ACTIVE: 1, STOP: 2,
  // SLOT_EV bits: seen before or among the slot's datagrams
  EV_OVERRUN: 1, EV_TRUNC: 2, EV_ERROR: 4,
};
const CTL_BYTES = 64 * 4;
// a dump datagram is at most 32 KiB here (the kernel caps its skb at 32 KiB)
const MIN_ROOM = 33 * 1024;

export interface DumpSlot {
  /** offsets in the core's receive buffer: parse rx[off..end) */
  off: number;
  end: number;
  /** ENOBUFS was reported: notifications were lost */
  overrun: boolean;
  /** a datagram did not fit and was dropped */
  truncated: boolean;
  /** recv failed with errno (see errno()); the worker stopped reading */
  failed: boolean;
}

export interface DumpThreadCounters { datagrams: number; spoofed: number }

export class DumpThread {
  private readonly worker: Worker;
  private readonly i32: Int32Array;
  private readonly c: number;
  private readonly slotSize: number;
  private next = 0;
  private dead = false;
  private stopping = false;
  private seen = { datagrams: 0, spoofed: 0 };
  /** called once if the worker exits or fails unexpectedly */
  onExit?: (err?: unknown) => void;

  /** undefined when the core's receive buffer is too small for the slots */
  static start(core: Core, fd: number): DumpThread | undefined {
    const slotSize = Math.floor(core.rxCap / SLOTS) & ~63;
    if (slotSize < 2 * MIN_ROOM) return undefined;
    return new DumpThread(core, fd, slotSize);
  }

  private constructor(core: Core, fd: number, slotSize: number) {
    this.slotSize = slotSize;
    const ctl = core.x.ring_buf_alloc(CTL_BYTES) >>> 0;
    this.c = ctl >> 2;
    this.i32 = new Int32Array(core.share.memory.buffer);
    const koffiPath = createRequire(import.meta.url).resolve("koffi");
    // esbuild (tsx, bundles with keepNames) may wrap the body's inner functions
    // in its __name helper: the eval'd source gets a harmless one
    const source = `"use strict"; var __name = (f) => f;\n(${dumpWorkerMain.toString()})(require(${JSON.stringify(koffiPath)}), require("node:worker_threads"));`;
    this.worker = new Worker(source, {
      eval: true,
      workerData: { memory: core.share.memory, fd, ctl, rx: core.rxPtr, slots: SLOTS, slotSize, minRoom: MIN_ROOM, layout: LAYOUT },
    });
    // an idle worker does not keep the process alive; an active one does (activate)
    this.worker.unref();
    this.worker.on("error", (e) => this.died(e));
    this.worker.on("exit", () => this.died());
  }

  private died(err?: unknown): void {
    if (this.dead) return;
    this.dead = true;
    if (!this.stopping) this.onExit?.(err);
  }

  private word(w: number): number { return Atomics.load(this.i32, this.c + w); }

  /** the worker has loaded koffi and waits for work */
  get ready(): boolean { return !this.dead && !this.stopping && this.word(LAYOUT.READY) === 1; }

  /** Hand the socket to the worker. The caller has stopped reading it. */
  activate(): void {
    this.worker.ref();
    Atomics.store(this.i32, this.c + LAYOUT.MODE, LAYOUT.ACTIVE);
    Atomics.notify(this.i32, this.c + LAYOUT.MODE);
  }

  /** Ask the worker to send a dump request (it sends before its next recv). */
  request(type: number, family: number, seq: number): void {
    const i = this.i32, c = this.c;
    Atomics.store(i, c + LAYOUT.REQ_TYPE, type);
    Atomics.store(i, c + LAYOUT.REQ_FAMILY, family);
    Atomics.store(i, c + LAYOUT.REQ_SEQ, seq | 0);
    Atomics.store(i, c + LAYOUT.REQ_BODY, REQ_BODY[type]);
    Atomics.add(i, c + LAYOUT.REQ_ID, 1);
    Atomics.notify(i, c + LAYOUT.REQ_ID);
  }

  private failedReq = 0;

  /** errno of the last request if the worker could not send it, once per request; 0 otherwise */
  takeRequestError(): number {
    const id = this.word(LAYOUT.REQ_ID);
    if (this.word(LAYOUT.SENT_ID) !== id || id === this.failedReq) return 0;
    const e = this.word(LAYOUT.SEND_ERRNO);
    if (e) this.failedReq = id;
    return e;
  }

  /** errno of the recv that stopped the worker (a slot with `failed`) */
  errno(): number { return this.word(LAYOUT.ERRNO); }

  /** The next slot in order, if the worker has published it. release() it after parsing. */
  peek(): DumpSlot | undefined {
    const s = this.next;
    if (Atomics.load(this.i32, this.c + LAYOUT.SLOT_STATE + s) !== 1) return undefined;
    const len = this.word(LAYOUT.SLOT_LEN + s), ev = this.word(LAYOUT.SLOT_EV + s);
    const off = s * this.slotSize;
    return { off, end: off + len, overrun: (ev & LAYOUT.EV_OVERRUN) !== 0, truncated: (ev & LAYOUT.EV_TRUNC) !== 0, failed: (ev & LAYOUT.EV_ERROR) !== 0 };
  }

  release(): void {
    Atomics.store(this.i32, this.c + LAYOUT.SLOT_STATE + this.next, 0);
    Atomics.add(this.i32, this.c + LAYOUT.FREED, 1);
    Atomics.notify(this.i32, this.c + LAYOUT.FREED);
    this.next = (this.next + 1) % SLOTS;
  }

  /**
   * Take the socket back. Blocks until the worker has stopped reading (it
   * checks MODE between system calls, none of which blocks) and has published
   * what it received, then returns true; false if it did not answer in time
   * (it is then stopped for good). Publishing may wait for a free slot, so the
   * caller parses and releases published slots while waiting: `drainSlot`.
   */
  deactivate(drainSlot: () => void, timeoutMs = 500): boolean {
    const i = this.i32, c = this.c;
    Atomics.store(i, c + LAYOUT.MODE, LAYOUT.IDLE);
    Atomics.notify(i, c + LAYOUT.MODE);
    Atomics.notify(i, c + LAYOUT.REQ_ID);
    const until = performance.now() + timeoutMs;
    while (!this.dead && Atomics.load(i, c + LAYOUT.ACK) !== LAYOUT.IDLE) {
      if (performance.now() > until) { void this.stop(); return false; }
      if (this.peek()) { drainSlot(); continue; }
      Atomics.wait(i, c + LAYOUT.ACK, LAYOUT.ACTIVE, 1);
    }
    this.worker.unref();
    return !this.dead;
  }

  /**
   * Block the calling thread until a slot may have been published, at most
   * timeoutMs. For the main thread while a dump streams in: the next slot is
   * normally a millisecond away, and a futex wake-up is immediate.
   */
  waitPublishedSync(timeoutMs: number): void {
    if (this.peek() || this.dead) return;
    const seen = this.word(LAYOUT.PUB);
    if (this.peek()) return;
    Atomics.wait(this.i32, this.c + LAYOUT.PUB, seen, timeoutMs);
  }

  /** Counters moved since the last call. */
  deltas(): DumpThreadCounters {
    const now = { datagrams: this.word(LAYOUT.DGRAMS), spoofed: this.word(LAYOUT.SPOOFED) };
    const d = { datagrams: now.datagrams - this.seen.datagrams, spoofed: now.spoofed - this.seen.spoofed };
    this.seen = now;
    return d;
  }

  /** Stop the worker; resolves once it no longer touches the socket (the fd may then be closed). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.dead) return;
    const i = this.i32, c = this.c;
    Atomics.store(i, c + LAYOUT.MODE, LAYOUT.STOP);
    for (const w of [LAYOUT.MODE, LAYOUT.REQ_ID, LAYOUT.FREED]) Atomics.notify(i, c + w);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { void this.worker.terminate().finally(resolve); }, 1000);
      this.worker.once("exit", () => { clearTimeout(t); resolve(); });
    });
    this.dead = true;
  }
}
