// The sync state machine: dumps (the initial one at listen(), every resync)
// and their mark-and-sweep in the core (assembly/sync.ts). One dump at a time
// on one socket (a second one fails with EBUSY), one kind after another.
//
//   idle ──resync wanted──▶ wanted ──receiver between reads──▶ dumping
//   dumping: send dump[step] ─▶ DONE/ERROR of its seq ─▶ step+1 … ─▶ sweep ─▶ idle
//            DUMP_INTR / lost notifications / a stall ─▶ restart from step 0
//
// Notifications keep arriving between dump chunks; the core marks everything
// it sees during the sync, so nothing a notification added is swept at the
// end. Only the kinds dumped are swept.
import { IfpxError } from "../errors.js";
import * as libc from "../libc.js";
import { EventFlag, EventType } from "../record.js";
import { Kind, Status, readCoreStats, type Core } from "../core/core.js";
import type { FollowedKinds } from "../followed-kinds.js";
import type { Reporter } from "../safe-timer.js";
import type { Clock, Timer } from "./clock.js";

export type SyncReason = "initial" | "resync";

/** A dump request: message type and address family (0: all). */
export type DumpRequest = [type: number, family: number];

export type SyncState =
  | { phase: "idle" }
  /** a resync of these kinds starts as soon as the receiver is between reads */
  | { phase: "wanted"; kinds: number }
  | {
    phase: "dumping";
    reason: SyncReason;
    /** Kind bits dumped and swept (all but after a nexthop change: routes) */
    kinds: number;
    /** the dump requests of those kinds, in order */
    dumps: DumpRequest[];
    step: number;
    seq: number;
    /** begin again from the first step once the current dump is over (DUMP_INTR, lost notifications) */
    restart: boolean;
  };
type Dumping = Extract<SyncState, { phase: "dumping" }>;

/** What the sync needs from the rest of the listener. */
export interface SyncPorts {
  core: Core;
  followed: FollowedKinds;
  /** the four dump requests (link, address, route, neighbour) for the families followed */
  dumps: readonly DumpRequest[];
  /**
   * Send the request `current()` names when the socket allows it (not while a
   * pool call is in flight; undefined by then: nothing to send); `failed`
   * gets the errno of a request the kernel would not take.
   */
  send(current: () => { request: DumpRequest; seq: number } | undefined, failed: (errno: number) => void): void;
  /** a refused kind's notification groups are left */
  dropKind(kind: number): void;
  deliverStaged(n: number): void;
  marker(type: number, port: number, a?: number, b?: number, c?: number, d?: number): void;
  /** the initial sync is over (CFG_DONE delivered) */
  initialDone(): void;
  counters: { resyncs: number; dumpRetries: number; syncStalls: number; overruns: number };
  clock: Clock;
  report: Reporter;
}

// the Kind bit of each entry of `dumps`
const DUMP_KINDS = [Kind.LINK, Kind.ADDR, Kind.ROUTE, Kind.NEIGH];
const EBUSY = 16;
// A sync that sees no datagram for this long is stuck (a reply dropped by a
// full socket, or a pending dump nobody's recvmsg resumes): dump again. The
// longest silence inside a healthy dump is far below it (bench/README.md,
// Measurements behind design choices).
export const SYNC_STALL_MS = 2000;
const RETRY_BUSY_MS = 10;
const RETRY_SEND_MS = 100;

export class SyncMachine {
  state: SyncState = { phase: "idle" };
  private seq = 0;
  /** kinds to resync once the running sync is over (again()) */
  private againKinds = 0;
  private progressAt = 0;
  private watchdog: Timer | undefined;
  /** work that needs the mirror complete (late binds' replays): run when the sync is over */
  private readonly afterSync: (() => void)[] = [];

  constructor(private readonly p: SyncPorts) {}

  get dumping(): boolean { return this.state.phase === "dumping"; }
  /** a dump runs or is wanted */
  get busy(): boolean { return this.state.phase !== "idle"; }

  start(reason: SyncReason, kinds: number = Kind.ALL): void {
    kinds &= this.p.followed.bits;
    this.watch();
    if (reason === "resync") this.p.counters.resyncs++;
    const s: Dumping = { phase: "dumping", reason, kinds, dumps: this.dumpsOf(kinds), step: 0, seq: 0, restart: false };
    this.state = s;
    this.p.core.x.sync_begin(kinds, syncFlags(reason));
    this.send(s);
  }

  /** Dump `kinds` again: restart the sync in progress (widened to them), or want one. */
  resync(kinds: number): void {
    const s = this.state;
    if (s.phase === "dumping") { s.restart = true; s.kinds |= kinds; }
    else this.state = { phase: "wanted", kinds: (s.phase === "wanted" ? s.kinds : 0) | kinds };
  }

  /**
   * The running sync's kinds again once it is over (its sweep done and
   * CFG_DONE / RESYNC_DONE delivered): a resync, not a restart, so that
   * deletions outpacing the core's tombstones (assembly/tombstones.ts) can
   * delay a correction, never the end of a sync.
   */
  again(): void {
    if (this.state.phase === "dumping") this.againKinds |= this.state.kinds;
  }

  /** Everything again, from the first step if a sync is running (an adopted interface, resync()). */
  restartAll(): boolean {
    const s = this.state;
    if (s.phase !== "dumping") return false;
    s.restart = true;
    s.kinds = Kind.ALL;
    return true;
  }

  /** The receiver is between reads: start a wanted resync. */
  startWanted(): void {
    if (this.state.phase === "wanted") this.start("resync", this.state.kinds);
  }

  /** Run `fn` once no dump runs or is wanted (now if none). */
  whenSynced(fn: () => void): void {
    if (this.busy) this.afterSync.push(fn);
    else fn();
  }

  /** A datagram arrived during the sync. */
  progress(): void {
    if (this.dumping) this.progressAt = this.p.clock.now();
  }

  /** What process() saw: a DUMP_INTR, or the DONE/ERROR ending a dump. */
  status(flags: number, error: number, seq: number): void {
    const s = this.state;
    if (s.phase !== "dumping") return;
    if (flags & Status.DUMP_INTR) s.restart = true;
    if ((flags & (Status.DONE | Status.ERROR)) && seq === s.seq) this.dumpFinished(s, flags, error);
  }

  stop(): void {
    this.state = { phase: "idle" };
    this.againKinds = 0;
    this.afterSync.length = 0;
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private watch(): void {
    this.progressAt = this.p.clock.now();
    if (this.watchdog) return;
    this.watchdog = this.p.clock.every(SYNC_STALL_MS / 4, () => {
      const s = this.state;
      if (s.phase !== "dumping") { this.watchdog?.cancel(); this.watchdog = undefined; return; }
      if (this.p.clock.now() - this.progressAt < SYNC_STALL_MS) return;
      this.progressAt = this.p.clock.now();
      this.p.counters.syncStalls++;
      this.restart(s);
    }, this.p.report);
  }

  private dumpsOf(kinds: number): DumpRequest[] {
    return this.p.dumps.filter((_, i) => (kinds & DUMP_KINDS[i]) !== 0);
  }

  private send(s: Dumping): void {
    s.seq = this.seq = (this.seq + 1) >>> 0 || 1;
    this.p.send(() => (this.state === s ? { request: s.dumps[s.step], seq: s.seq } : undefined), (errno) => {
      if (!this.dumpRefused(s, errno)) this.requestFailed(s, errno);
    });
  }

  /**
   * The kernel refused the current dump (host/followed-kinds.ts): go on
   * without its kind. The initial sync just leaves the step out (the mirror
   * has nothing of that kind yet to sweep); a resync begins again without the
   * kind, or its sweep would remove what earlier syncs mirrored.
   */
  private dumpRefused(s: Dumping, errno: number): boolean {
    if (this.state !== s) return false;
    const kind = this.p.followed.refuseDump(s.dumps[s.step][0], errno);
    if (!kind) return false;
    // its notifications would keep coming (under qemu-user: as unreadable datagrams)
    this.p.dropKind(kind);
    if (s.reason === "resync" || s.restart) { this.restart(s); return true; }
    s.kinds &= ~kind;
    s.dumps.splice(s.step, 1);
    if (s.step < s.dumps.length) this.send(s);
    else this.finish(s);
    return true;
  }

  /** sendto() of a dump request failed (ENOBUFS under memory pressure): report it, ask again soon */
  private requestFailed(s: Dumping, errno: number): void {
    this.p.report(new IfpxError("EIO", "netlink dump request failed; retrying in 100 ms", errno));
    this.p.counters.dumpRetries++;
    this.p.clock.after(RETRY_SEND_MS, () => { if (this.state === s) this.send(s); }, this.p.report);
  }

  private dumpFinished(s: Dumping, flags: number, error: number): void {
    if (flags & Status.ERROR) {
      if (-error === EBUSY || -error === libc.EINTR) {
        this.p.counters.dumpRetries++;
        this.p.clock.after(RETRY_BUSY_MS, () => { if (this.state === s) this.send(s); }, this.p.report);
        return;
      }
      if (-error === libc.ENOBUFS) {
        // The dump could not start: the socket was full when the request came.
        // This is the request's ACK, not the end of the dump: the kernel keeps
        // the dump pending (cb_running) and runs it on our next successful
        // recvmsg, ending with a DONE of this same seq. Sending a new request
        // now would meet EBUSY, and under a storm that ACK can be dropped too,
        // leaving the sync waiting forever. Wait for the DONE, then dump again
        // (notifications were lost meanwhile).
        this.p.counters.overruns++;
        s.restart = true;
        s.kinds = Kind.ALL;
        return;
      } else if (this.dumpRefused(s, -error)) {
        return;
      } else {
        this.p.report(new IfpxError("EIO", `netlink dump ${s.dumps[s.step][0]} failed`, -error));
      }
    }
    if (s.restart) {
      // Interrupted (NLM_F_DUMP_INTR) or notifications lost meanwhile: begin again.
      this.restart(s);
      return;
    }
    if (++s.step < s.dumps.length) { this.send(s); return; }
    this.finish(s);
  }

  /** Dump everything again from the first step (a new seq: a DONE of the old dump is ignored). */
  private restart(s: Dumping): void {
    this.p.counters.dumpRetries++;
    s.restart = false;
    this.againKinds = 0; // (this round dumps them again)
    s.step = 0;
    s.kinds &= this.p.followed.bits;
    s.dumps = this.dumpsOf(s.kinds);
    this.p.core.x.sync_begin(s.kinds, syncFlags(s.reason));
    this.send(s);
  }

  private finish(s: Dumping): void {
    const x = this.p.core.x;
    for (let n = x.sync_end_step() >>> 0; n; n = x.sync_end_step() >>> 0) this.p.deliverStaged(n);
    if (this.state === s) this.state = { phase: "idle" };
    if (this.againKinds) { this.resync(this.againKinds); this.againKinds = 0; }
    if (s.reason === "initial") {
      this.p.marker(EventType.CFG_DONE, 0xffff);
      this.p.initialDone();
    } else {
      const st = readCoreStats(this.p.core);
      this.p.marker(EventType.RESYNC_DONE, 0xffff, st.sync_added, st.sync_removed, st.sync_changed, 1);
    }
    if (this.state.phase === "wanted") { this.startWanted(); return; }
    for (const fn of this.afterSync.splice(0)) fn();
  }
}

/** The flags the records of a sync carry (assembly/sync.ts) */
function syncFlags(reason: SyncReason): number {
  return reason === "initial" ? EventFlag.INITIAL : EventFlag.RESYNC;
}
