// The main-thread side of the receive thread (host/rx-worker.mjs): it owns
// the control block, starts and stops the worker, and hands filled slots of
// the core's receive buffer to the parser in order. The parse of one batch
// overlaps with the kernel filling the next, instead of following it.
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import type { Core } from "./core.js";

export const RX_SLOTS = 4;
const C = { SLOT0: 0, SEQ: 16, WAITING: 17, FREED: 18, STOP: 19, PAUSE: 20, DGRAMS: 21, SPOOFED: 22, OVERRUNS: 23, TRUNC: 24, ERRNO: 25, ALIVE: 26 };
const CTL_WORDS = 32;

export interface RxCounters { datagrams: number; spoofed: number; overruns: number; truncated: number; errno: number }

function workerUrl(): URL | undefined {
  // sources: host/rx-worker.mjs; bundle: dist/rx-worker.mjs beside dist/ifpx.js;
  // an application bundle: the installed package's copy
  const u = new URL("./rx-worker.mjs", import.meta.url);
  if (existsSync(fileURLToPath(u))) return u;
  try { return pathToFileURL(createRequire(import.meta.url).resolve("ifpx/rx-worker.mjs")); } catch { return undefined; }
}

export class RxThread {
  private readonly worker: Worker;
  private readonly i32: Int32Array;
  private readonly c: number;
  private next = 0; // next slot to parse
  private stopped = false;
  private readonly seen: RxCounters = { datagrams: 0, spoofed: 0, overruns: 0, truncated: 0, errno: 0 };
  readonly slotSize: number;

  /** undefined when the worker entry is not available (a bundle without dist/rx-worker.mjs). */
  static start(core: Core, fd: number, onBatch: () => void): RxThread | undefined {
    const url = workerUrl();
    return url ? new RxThread(core, fd, url, onBatch) : undefined;
  }

  private constructor(private readonly core: Core, fd: number, url: URL, private readonly onBatch: () => void) {
    const ctl = core.x.ring_buf_alloc(CTL_WORDS * 4) >>> 0;
    this.c = ctl >> 2;
    this.i32 = new Int32Array(core.share.memory.buffer);
    this.slotSize = Math.floor(core.rxCap / RX_SLOTS) & ~3;
    this.worker = new Worker(url, {
      workerData: { ifpxRx: true, memory: core.share.memory, fd, ctl, rx: core.rxPtr, slotSize: this.slotSize, slots: RX_SLOTS },
    });
    this.worker.on("error", (e) => { this.stopped = true; this.onError?.(e); });
    // listening keeps the process alive, as the poll handle did (close() ends it)
    void this.waitLoop();
  }

  onError?: (e: unknown) => void;

  /** Filled slots, in order: [offset in rx, length]. Call release() after parsing each. */
  ready(): [number, number] | undefined {
    const len = Atomics.load(this.i32, this.c + C.SLOT0 + this.next);
    return len ? [this.next * this.slotSize, this.next * this.slotSize + len] : undefined;
  }

  release(): void {
    Atomics.store(this.i32, this.c + C.SLOT0 + this.next, 0);
    Atomics.add(this.i32, this.c + C.FREED, 1);
    Atomics.notify(this.i32, this.c + C.FREED);
    this.next = (this.next + 1) % RX_SLOTS;
  }

  /** Counters moved since the last call. */
  deltas(): RxCounters {
    const read = (k: number) => Atomics.load(this.i32, this.c + k);
    const now = { datagrams: read(C.DGRAMS), spoofed: read(C.SPOOFED), overruns: read(C.OVERRUNS), truncated: read(C.TRUNC), errno: read(C.ERRNO) };
    const d = { datagrams: now.datagrams - this.seen.datagrams, spoofed: now.spoofed - this.seen.spoofed,
      overruns: now.overruns - this.seen.overruns, truncated: now.truncated - this.seen.truncated, errno: now.errno };
    Object.assign(this.seen, now);
    return d;
  }

  pause(): void { Atomics.store(this.i32, this.c + C.PAUSE, 1); }
  resume(): void { Atomics.store(this.i32, this.c + C.PAUSE, 0); Atomics.notify(this.i32, this.c + C.PAUSE); }

  /** Stop the worker; resolves once it no longer touches the socket (then the fd may be closed). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.i32, this.c + C.STOP, 1);
    Atomics.store(this.i32, this.c + C.PAUSE, 0);
    Atomics.notify(this.i32, this.c + C.PAUSE);
    Atomics.notify(this.i32, this.c + C.FREED);
    // its poll() has a 50 ms timeout: it sees STOP within that
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { void this.worker.terminate(); resolve(); }, 1000);
      this.worker.once("exit", () => { clearTimeout(t); resolve(); });
    });
  }

  private async waitLoop(): Promise<void> {
    const seqIdx = this.c + C.SEQ, waitIdx = this.c + C.WAITING;
    while (!this.stopped) {
      const seq = Atomics.load(this.i32, seqIdx);
      this.onBatch();
      if (this.stopped) break;
      Atomics.store(this.i32, waitIdx, 1);
      // re-check after announcing: a publish in between would not notify
      if (Atomics.load(this.i32, seqIdx) === seq && !this.ready()) {
        const r = (Atomics as any).waitAsync(this.i32, seqIdx, seq, 1000);
        if (r.async) await r.value;
      }
      Atomics.store(this.i32, waitIdx, 0);
    }
  }
}
