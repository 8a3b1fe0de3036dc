// Reads the transport and hands byte ranges of the core's receive buffer to
// the listener. Three ways in, one receiver:
//   live     poll wake-ups, bursts of small notifications (receiveBatch)
//   dump     on libuv's pool while a sync runs (PoolReceiver): the poll handle
//            stops, calls follow one another, the next issued before this
//            batch is parsed, so the kernel builds datagrams while we parse
//   dump     on the main thread (option dumpThread: false, or no pool):
//            one datagram per recv() until rx is nearly full, then parse
// Rule of the pool: nothing is sent on the socket while a pool thread is inside
// recvmsg() on it (dump-receiver.ts), so a dump request waits for the call.
import * as libc from "../libc.js";
import { IfpxError } from "../errors.js";
import type { NetlinkTransport, PoolReceiver, DumpBatch } from "./transport.js";

// Keep this much room for one datagram: dump skbs are at most 32 KiB here.
const RECV_SLACK = 64 << 10;
// Datagram batches handled per wake-up before yielding to the event loop.
const MAX_ROUNDS_PER_WAKEUP = 32;

/** What the receiver tells the listener. */
export interface ReceiverEvents {
  /** a sync (dump) is running: read dumps, not live bursts */
  syncing(): boolean;
  /** parse rx[start..end) */
  parse(start: number, end: number): void;
  /** notifications were lost (ENOBUFS, a truncated datagram) */
  overrun(): void;
  /** a receive failed with an errno an emulator gives for a datagram it could not translate: skip it */
  unreadable(errno: number): boolean;
  /** receiving or parsing failed part-way */
  failed(error: unknown): void;
  /** the receiver is between reads: a wanted resync may start */
  idle(): void;
  /** the socket can no longer be watched */
  broken(error: unknown): void;
  report(error: unknown): void;
}

export interface ReceiverCounters { datagrams: number; spoofed: number; dumpThreadDatagrams: number }

/** Who reads the socket: the poll handle's wake-ups, or pool calls during a dump. */
type Reader = "poll" | "pool" | "closed";

/** A dump request and the pool: none; waiting for the call in flight; sent, its answer due. */
type Request = { state: "none" } | { state: "waiting"; send: () => void } | { state: "answer-due" };

export class Receiver {
  private reader: Reader = "poll";
  private request: Request = { state: "none" };
  private paused = false;
  private pool: PoolReceiver | undefined;

  constructor(
    private readonly transport: NetlinkTransport,
    private readonly events: ReceiverEvents,
    private readonly counters: ReceiverCounters,
    private readonly rxCap: number,
    private readonly usePool: boolean,
  ) {}

  /** Start reading (throws if the socket cannot be watched). */
  start(): void {
    this.transport.watch(this.onReadable);
  }

  get open(): boolean { return this.reader !== "closed"; }

  /** "active" while pool calls read a dump */
  get poolState(): "off" | "ready" | "active" {
    return !this.usePool ? "off" : this.reader === "pool" ? "active" : "ready";
  }

  /** Send a dump request now, or once the pool's call in flight is over. */
  whenSafeToSend(send: () => void): void {
    if (this.pool?.inFlight) this.request = { state: "waiting", send };
    else send();
  }

  /** A dump request went out: its answer is already queued, so the pool goes on even after an empty call. */
  requestSent(): void {
    this.request = { state: "answer-due" };
  }

  get callInFlight(): boolean { return this.pool?.inFlight ?? false; }

  pause(): void {
    this.paused = true;
    this.transport.unwatch();
  }

  resume(): void {
    this.paused = false;
    this.rearm();
  }

  async stop(): Promise<void> {
    if (this.reader === "closed") return;
    this.reader = "closed";
    this.request = { state: "none" };
    await this.transport.close();
  }

  // read the socket again (the poll handle); while a pool call is in flight its completion decides
  private rearm(): void {
    if (this.paused || !this.open || this.pool?.inFlight) return;
    try {
      this.transport.watch(this.onReadable);
    } catch (e) {
      this.events.broken(Object.assign(new IfpxError("EIO", "cannot poll the netlink socket any more: the listener stopped (call listen() again)"), { cause: e }));
    }
  }

  private readonly onReadable = (status: number): void => {
    try {
      this.drain();
    } catch (e) {
      this.events.failed(e);
    }
    // An overrun sets the socket error: poll() reports POLLERR, and libuv
    // then STOPS the handle and calls back with a negative status. drain()
    // has read the ENOBUFS (which clears the error); start polling again or
    // the listener would go deaf after its first overrun.
    try {
      if (status < 0 && this.open) this.rearm();
    } catch (e) {
      this.events.report(e);
    }
  };

  private drain(): void {
    const t = this.transport, c = this.counters;
    for (let round = 0; round < MAX_ROUNDS_PER_WAKEUP && this.open; round++) {
      if (!this.events.syncing()) {
        // live: small datagrams, many per system call
        const b = t.receiveBatch();
        c.spoofed += b.spoofed;
        if (b.errno) {
          if (this.skippable(b.errno)) continue;
          throw new IfpxError("EIO", "netlink receive failed", b.errno);
        }
        if (b.truncated) this.events.overrun();
        c.datagrams += b.datagrams;
        if (b.bytes) this.events.parse(0, b.bytes);
        else if (!b.spoofed && !b.truncated) break;
        continue;
      }
      // a dump: received on the pool while the main thread parses
      if (this.startPool()) return;
      let off = 0;
      while (this.rxCap - off >= RECV_SLACK && this.open) {
        const r = t.receiveOne(off, this.rxCap - off);
        if (r.spoofed) { c.spoofed++; continue; }
        if (r.errno) {
          if (this.skippable(r.errno)) continue;
          throw new IfpxError("EIO", "netlink receive failed", r.errno);
        }
        if (r.truncated) { this.events.overrun(); continue; }
        if (r.bytes === 0) break;
        c.datagrams++;
        off += (r.bytes + 3) & ~3;
      }
      if (off === 0) break;
      this.events.parse(0, off);
    }
    if (this.open) this.events.idle();
  }

  /** EINTR: again; ENOBUFS: an overrun, then go on; an unreadable datagram: skip. */
  private skippable(errno: number): boolean {
    if (errno === libc.EINTR) return true;
    if (errno === libc.ENOBUFS) { this.events.overrun(); return true; }
    return this.events.unreadable(errno);
  }

  /** Take over reading for a dump (the poll handle stops). False: stay on the main thread. */
  private startPool(): boolean {
    if (!this.usePool || !this.open) return false;
    if (this.pool?.inFlight) return true; // its completion goes on
    this.pool ??= this.transport.poolReceiver();
    if (!this.pool) return false;
    this.transport.unwatch();
    this.reader = "pool";
    this.pool.receive(this.onPoolBatch);
    return true;
  }

  // One call's datagrams. The next call is issued before they are parsed, so
  // the kernel builds the next datagrams while this thread parses these.
  private readonly onPoolBatch = (batch: DumpBatch): void => {
    const pool = this.pool!, c = this.counters;
    if (!this.open) return; // closed meanwhile
    try {
      if (batch.errno === libc.ENOBUFS) this.events.overrun();
      else if (batch.errno && batch.errno !== libc.EINTR && !this.events.unreadable(batch.errno)) this.events.report(new IfpxError("EIO", "netlink receive failed", batch.errno));
      const req = this.request;
      if (req.state === "waiting") { this.request = { state: "none" }; req.send(); }
      if (this.events.syncing() && !this.paused && (batch.n > 0 || this.request.state === "answer-due")) {
        this.request = { state: "none" };
        pool.receive(this.onPoolBatch);
      }
      for (let i = 0; i < batch.n && this.open; i++) {
        const d = pool.datagram(batch.bank, i);
        if (d.spoofed) { c.spoofed++; continue; }
        if (d.truncated) { this.events.overrun(); continue; }
        c.datagrams++;
        c.dumpThreadDatagrams++;
        this.events.parse(d.off, d.end);
      }
    } catch (e) {
      this.events.failed(e);
    } finally {
      // whatever happened above, someone must read the socket next
      try { this.afterPoolBatch(); } catch (e) { this.events.report(e); }
    }
  };

  private afterPoolBatch(): void {
    const pool = this.pool!;
    if (pool.inFlight || !this.open) return;
    // Nothing in flight: go on if a request was just sent (its answer is
    // already queued); otherwise (nothing to read, the sync over, or paused)
    // the poll handle reads again, and brings us back here for the next dump.
    const answerDue = this.request.state === "answer-due";
    this.request = { state: "none" };
    if (this.events.syncing() && !this.paused && answerDue) { pool.receive(this.onPoolBatch); return; }
    this.reader = "poll";
    this.rearm();
    this.events.idle();
  }
}
