// A fake kernel behind the transport seam (host/netlink/transport.ts), the
// analogue of mdlayher/netlink's nltest: dump requests are answered with the
// recorded datagrams of tests/fixtures (their nlmsg_seq rewritten), or with a
// scripted sequence; notifications and errnos are queued by the test. Reads
// happen on setImmediate wake-ups, like poll; no socket, no root.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, index } from "./core.ts";
import type { NetlinkTransport, BatchResult, RecvResult, TransportOptions, PoolReceiver, DumpBatch, DumpDatagram } from "../../../host/netlink/transport.ts";
import type { Clock, Timer } from "../../../host/sync/clock.ts";

export const NLMSG_ERROR = 2, NLMSG_DONE = 3, NLM_F_MULTI = 2, NLM_F_DUMP_INTR = 0x10;
export const ENOBUFS = 105;
/** A datagram, a failed receive (errno), or the end of what one read finds (the next wake-up reads on). */
export type Item = Uint8Array | { errno: number } | typeof GAP;
export const GAP = { gap: true } as const;

/** The recorded datagrams of a dump fixture (e.g. "dump-link"), split as recorded. */
export function dumpDatagrams(name: string): Uint8Array[] {
  const s = index.steps.find((x: { name: string }) => x.name.includes(name) && !x.name.includes("dump6"));
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, s.name)));
  const out: Uint8Array[] = [];
  let off = 0;
  for (const len of s.datagrams as number[]) { out.push(bytes.slice(off, off + len)); off += len; }
  return out;
}

/** Every message of a datagram: set nlmsg_seq, or more flags. */
export function restamp(d: Uint8Array, seq: number, addFlags = 0): Uint8Array {
  const c = d.slice(), dv = new DataView(c.buffer);
  for (let p = 0; p + 16 <= c.length;) {
    const len = dv.getUint32(p, true);
    dv.setUint32(p + 8, seq, true);
    dv.setUint16(p + 6, dv.getUint16(p + 6, true) | addFlags, true);
    if (len < 16) break;
    p += (len + 3) & ~3;
  }
  return c;
}

export function doneMsg(seq: number): Uint8Array {
  const b = new Uint8Array(20), dv = new DataView(b.buffer);
  dv.setUint32(0, 20, true); dv.setUint16(4, NLMSG_DONE, true); dv.setUint16(6, NLM_F_MULTI, true); dv.setUint32(8, seq, true);
  return b;
}

export function errorMsg(seq: number, errno: number): Uint8Array {
  const b = new Uint8Array(36), dv = new DataView(b.buffer);
  dv.setUint32(0, 36, true); dv.setUint16(4, NLMSG_ERROR, true); dv.setUint32(8, seq, true); dv.setInt32(16, -errno, true);
  return b;
}

const FIXTURE_OF: Record<number, string> = { 18: "dump-link", 22: "dump-addr", 26: "dump-route", 30: "dump-neigh" };

export class FakeKernel implements NetlinkTransport {
  readonly refusedGroups: { bit: number; errno: number }[] = [];
  readonly portId = 4242;
  readonly sent: { type: number; seq: number; family: number }[] = [];
  opened: TransportOptions | undefined;
  closed = false;
  /** answer a dump request: items to queue (default: the fixture with this seq) */
  script: ((type: number, seq: number, nth: number) => Item[] | undefined) | undefined;
  private readonly queue: Item[] = [];
  private onReadable: ((status: number) => void) | undefined;
  private watching = false;
  private core: { bytes: Uint8Array; rxPtr: number } | undefined;

  /** The Ifpx's core (the receive buffer datagrams are written into). */
  attach(core: { bytes: Uint8Array; rxPtr: number }): void { this.core = core; }

  open = (opts: TransportOptions): NetlinkTransport => { this.opened = opts; this.closed = false; return this; };

  fixtureDump(type: number, seq: number, addFlags = 0): Item[] {
    return dumpDatagrams(FIXTURE_OF[type]).map((d) => restamp(d, seq, addFlags));
  }

  push(...items: Item[]): void { this.queue.push(...items); this.kick(); }

  dropGroups(): number { return 0; }

  sendDump(type: number, seq: number, family: number): void {
    const nth = this.sent.filter((s) => s.type === type).length;
    this.sent.push({ type, seq, family });
    this.push(...(this.script?.(type, seq, nth) ?? this.fixtureDump(type, seq)));
  }

  watch(onReadable: (status: number) => void): void { this.onReadable = onReadable; this.watching = true; this.kick(); }
  unwatch(): void { this.watching = false; }

  private kick(): void {
    setImmediate(() => { if (this.watching && !this.closed && this.queue.length) this.onReadable!(0); });
  }

  receiveBatch(): BatchResult {
    const r: BatchResult = { bytes: 0, datagrams: 0, spoofed: 0, truncated: 0, errno: 0 };
    const head = this.queue[0];
    if (head === GAP) { this.queue.shift(); this.kick(); return r; }
    if (head && !(head instanceof Uint8Array)) { this.queue.shift(); r.errno = head.errno; return r; }
    while (r.datagrams < 32 && this.queue[0] instanceof Uint8Array) {
      const d = this.queue.shift() as Uint8Array;
      this.core!.bytes.set(d, this.core!.rxPtr + r.bytes);
      r.bytes += (d.length + 3) & ~3;
      r.datagrams++;
    }
    return r;
  }

  receiveOne(off: number): RecvResult {
    const head = this.queue.shift();
    if (!head || head === GAP) { if (head) this.kick(); return { bytes: 0, errno: 0, spoofed: false, truncated: false }; }
    if (!(head instanceof Uint8Array)) return { bytes: 0, errno: head.errno, spoofed: false, truncated: false };
    this.core!.bytes.set(head, this.core!.rxPtr + off);
    return { bytes: head.length, errno: 0, spoofed: false, truncated: false };
  }

  /** With `pool`, dumps are read by calls that complete on a later turn, as on libuv's pool. */
  pool: FakePool | undefined;
  usePool(): this { this.pool = new FakePool(this); return this; }
  poolReceiver(): PoolReceiver | undefined { return this.pool; }

  /** Up to `max` datagrams for a pool call (stops at a gap or an errno, which it returns). */
  take(max: number): { datagrams: Uint8Array[]; errno: number } {
    const datagrams: Uint8Array[] = [];
    while (datagrams.length < max && this.queue.length) {
      const head = this.queue[0];
      if (head === GAP) { if (!datagrams.length) this.queue.shift(); break; }
      if (!(head instanceof Uint8Array)) { if (datagrams.length) break; this.queue.shift(); return { datagrams, errno: head.errno }; }
      datagrams.push(this.queue.shift() as Uint8Array);
    }
    if (this.queue.length) this.kick();
    return { datagrams, errno: 0 };
  }

  get rx() { return this.core!; }

  async close(): Promise<void> {
    this.watching = false;
    // as the kernel transport: a pool call in flight ends before the socket closes
    await this.pool?.idle();
    this.closed = true;
  }
}

const SLOTS = 16, SLOT = 64 << 10;

/** The pool receiver's fake: one call at a time, 16 slots of 64 KiB per bank, two banks. */
export class FakePool implements PoolReceiver {
  inFlight = false;
  calls = 0;
  private next = 0;
  private lens: number[][] = [[], []];
  private settled: Promise<void> = Promise.resolve();
  constructor(private readonly k: FakeKernel) {}
  receive(done: (batch: DumpBatch) => void): void {
    if (this.inFlight) throw new Error("a call is already in flight");
    this.inFlight = true;
    this.calls++;
    const bank = this.next;
    this.next ^= 1;
    let settle!: () => void;
    this.settled = new Promise((r) => { settle = r; });
    setImmediate(() => {
      const { datagrams, errno } = this.k.closed ? { datagrams: [], errno: 9 } : this.k.take(SLOTS);
      this.lens[bank] = datagrams.map((d) => d.length);
      datagrams.forEach((d, i) => this.k.rx.bytes.set(d, this.k.rx.rxPtr + (bank * SLOTS + i) * SLOT));
      this.inFlight = false;
      settle();
      done({ bank, n: errno ? -1 : datagrams.length, errno });
    });
  }
  datagram(bank: number, i: number): DumpDatagram {
    const off = (bank * SLOTS + i) * SLOT;
    return { off, end: off + this.lens[bank][i], spoofed: false, truncated: false };
  }
  idle(): Promise<void> { return this.inFlight ? this.settled : Promise.resolve(); }
}

/** A clock that moves only when told: the sync watchdog fires on advance(). */
export class ManualClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; every: number; fn: () => void; live: boolean }[] = [];
  now(): number { return this.t; }
  after(ms: number, fn: () => void): Timer { return this.add(ms, 0, fn); }
  every(ms: number, fn: () => void): Timer { return this.add(ms, ms, fn); }
  private add(ms: number, every: number, fn: () => void): Timer {
    const e = { at: this.t + ms, every, fn, live: true };
    this.timers.push(e);
    return { cancel: () => { e.live = false; } };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((e) => e.live && e.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      if (due.every) due.at += due.every; else due.live = false;
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((e) => e.live);
  }
}

/**
 * A DPDK-mode port backend with one proxy, "devarg" adoption only: what the
 * fake-kernel tests adopt instead of a tap (the interface is the fixtures' t1
 * unless told otherwise).
 */
export function fakePorts(proxy: { id: number; ifindex: number; name: string }) {
  return {
    kind: "fake",
    createProxy: (): never => { throw new Error("no taps here"); },
    createProxyByDevarg: () => ({ ...proxy }),
    destroyProxy: () => {},
    isValidPort: () => true,
  };
}
