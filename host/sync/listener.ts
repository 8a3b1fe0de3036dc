// One listen(): the transport, the receiver that reads it, the core that
// parses what it reads, and the sync state machine that drives the dumps.
// bytes (receiver) -> core process() -> staged records (delivery) and status
// flags (sync machine).
import { Kind, Status, type Core } from "../core/core.js";
import { IfpxError } from "../errors.js";
import { EventType } from "../record.js";
import { guarded, type Reporter } from "../safe-timer.js";
import { watchNetnsName, type NetnsWatch } from "../netns-watch.js";
import type { FollowedKinds } from "../followed-kinds.js";
import type { Delivery } from "../delivery/delivery.js";
import type { NetlinkTransport, OpenTransport } from "../netlink/transport.js";
import { Receiver, type ReceiverEvents } from "../netlink/receiver.js";
import { SyncMachine, type DumpRequest } from "./sync-machine.js";
import type { Clock } from "./clock.js";

export interface ListenerCounters {
  datagrams: number; spoofed: number; overruns: number; resyncs: number; nexthopResyncs: number; routeResyncs: number; tombstoneResyncs: number;
  dumpRetries: number; syncStalls: number; dumpThreadDatagrams: number;
}

export interface ListenerSetup {
  core: Core;
  delivery: Delivery;
  followed: FollowedKinds;
  dumps: readonly DumpRequest[];
  groups: number;
  rcvbuf: number;
  netns: string | undefined;
  dumpThread: boolean;
  openTransport: OpenTransport;
  clock: Clock;
  counters: ListenerCounters;
  report: Reporter;
  /** the listener stopped by itself (the socket could not be watched) */
  onBroken(): void;
}

export class Listener {
  readonly sync: SyncMachine;
  private readonly transport: NetlinkTransport;
  private readonly receiver: Receiver;
  private netnsWatch: NetnsWatch | undefined;
  private waiter: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  readonly started: Promise<void>;

  constructor(private readonly s: ListenerSetup) {
    // Subscribing before the first dump request means nothing that changes
    // during the dump is missed: it arrives as a notification after it.
    this.transport = s.openTransport({ groups: s.followed.groups(s.groups), rcvbuf: s.rcvbuf, netns: s.netns });
    this.receiver = new Receiver(this.transport, this.events, s.counters, s.core.rxCap, s.dumpThread);
    try {
      this.receiver.start();
    } catch (e) {
      void this.transport.close().catch(() => { /* the socket is closed regardless */ });
      throw Object.assign(new IfpxError("EIO", "cannot poll the netlink socket"), { cause: e });
    }
    s.followed.refuseGroups(this.transport.refusedGroups);
    this.sync = new SyncMachine({
      core: s.core, followed: s.followed, dumps: s.dumps, clock: s.clock, report: s.report, counters: s.counters,
      send: (current, failed) => this.receiver.whenSafeToSend(() => this.send(current, failed)),
      dropKind: (kind) => { this.transport.dropGroups(s.followed.groupsOf(kind) & s.groups); },
      deliverStaged: (n) => s.delivery.deliverStaged(n),
      marker: (type, port, a, b, c, d) => s.delivery.marker(type, port, a, b, c, d),
      initialDone: () => { const w = this.waiter; this.waiter = undefined; w?.resolve(); },
    });
    if (s.netns) this.netnsWatch = watchNetnsName(s.netns, guarded(() => s.report(new IfpxError("ENOENT",
      `network namespace "${s.netns}" was deleted (or its name now points to another): ifpx keeps watching the old one, which lives on while ifpx holds it; close() to let go`)), s.report));
    this.started = new Promise<void>((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  /** Begin the initial sync; resolves (started) once CFG_DONE was delivered. */
  begin(): void {
    this.sync.start("initial");
  }

  get open(): boolean { return this.receiver.open; }
  get portId(): number { return this.transport.portId; }
  get poolState(): "off" | "ready" | "active" { return this.receiver.poolState; }

  /** Reject a listen() still waiting for CFG_DONE. */
  abandon(e: unknown): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  async stop(): Promise<void> {
    this.netnsWatch?.close();
    this.netnsWatch = undefined;
    this.sync.stop();
    try {
      await this.receiver.stop();
    } catch (e) {
      this.s.report(e);
    }
    this.sync.stop();
  }

  pause(): void { this.receiver.pause(); }
  resume(): void { this.receiver.resume(); }

  /** Everything again: restart the sync in progress, or start one once delivery is idle. */
  resyncAll(): void {
    if (this.sync.restartAll()) return;
    this.s.delivery.whenIdle(() => { if (!this.sync.dumping && this.open) this.sync.start("resync", Kind.ALL); });
  }

  /**
   * A port bound while listening gets its proxy's state from the mirror, then
   * PORT_DONE. A dump in progress would leave the mirror incomplete: replay
   * once it is over. The port may then see an entry twice (from the dump and
   * from the replay); ADDs are upserts, and PORT_DONE still means "all state
   * delivered".
   */
  lateBind(proxy: number, port: number): void {
    this.sync.whenSynced(() => this.replay(proxy, port));
  }

  private replay(proxy: number, port: number): void {
    const x = this.s.core.x;
    if (!this.open || x.proxy_of_port(port) !== proxy) return;
    x.replay_begin(proxy, port);
    for (let n = x.replay_step() >>> 0; n; n = x.replay_step() >>> 0) this.s.delivery.deliverStaged(n);
    this.s.delivery.marker(EventType.PORT_DONE, port);
  }

  private send(current: () => { request: DumpRequest; seq: number } | undefined, failed: (errno: number) => void): void {
    const c = current();
    if (!c || !this.open) return;
    try {
      this.transport.sendDump(c.request[0], c.seq, c.request[1]);
      this.receiver.requestSent();
    } catch (e) {
      failed((e as IfpxError).errno ?? 0);
    }
  }

  private readonly events: ReceiverEvents = {
    syncing: () => this.sync.dumping,
    parse: (start, end) => this.parse(start, end),
    overrun: () => { this.s.counters.overruns++; this.sync.resync(Kind.ALL); },
    unreadable: (errno) => this.s.followed.unreadableReceive(errno),
    failed: (e) => this.recoverFrom(e),
    idle: () => this.sync.startWanted(),
    broken: (e) => this.broken(e),
    report: (e) => this.s.report(e),
  };

  /**
   * The socket can no longer be read: stop listening (listen() may be called
   * again); a listen() still waiting for CFG_DONE rejects with the error, and
   * onError hears it.
   */
  private broken(e: unknown): void {
    this.abandon(e);
    this.s.report(e);
    this.s.onBroken();
  }

  /**
   * Receiving or parsing failed part-way: the datagrams read are gone, so the
   * mirror may now miss what they said. Report, and read the kernel's state
   * again (as after an overrun) so that nothing stays lost.
   */
  private recoverFrom(e: unknown): void {
    this.s.report(e);
    if (!this.open) return;
    try {
      this.sync.resync(Kind.ALL);
      if (!this.receiver.callInFlight) this.sync.startWanted();
    } catch (again) {
      this.s.report(again);
    }
  }

  private parse(start: number, len: number): void {
    const core = this.s.core, x = core.x, c = this.s.counters;
    this.sync.progress();
    let p = start;
    let job = false;
    while ((p < len || job) && this.open) {
      const n = x.process(p, len) >>> 0;
      const st = core.status();
      // A kernel-silent deletion (e.g. IPv4 routes of a link that went down)
      // may need more staging room than one call has: call again to finish it.
      job = (st.flags & Status.JOB) !== 0;
      this.s.delivery.deliverStaged(n);
      const dumping = this.sync.dumping;
      if (dumping && (st.flags & Status.DUMP_INTR)) this.sync.status(Status.DUMP_INTR, 0, 0);
      // A nexthop object that mirrored routes use was deleted or changed: the
      // kernel changed or deleted those routes without a route notification
      // (assembly/nexthops.ts). Dump the routes again (nothing else changed).
      if (st.flags & Status.NEXTHOP) { c.nexthopResyncs++; this.sync.resync(Kind.ROUTE); }
      // An IPv4 change whose outcome the kernel's messages leave open: a
      // replace or delete among routes sharing an identity, a proxy down under
      // a multipath route with next hops elsewhere (assembly/implied_deletions.ts).
      if (st.flags & Status.ROUTES) { c.routeResyncs++; this.sync.resync(Kind.ROUTE); }
      // More live deletions during the sync than the core could remember
      // (assembly/tombstones.ts): its dump may bring some back; once it is
      // over, dump again.
      if (st.flags & Status.SYNC_AGAIN) { c.tombstoneResyncs++; this.sync.again(); }
      if (dumping && (st.flags & (Status.DONE | Status.ERROR))) this.sync.status(st.flags & (Status.DONE | Status.ERROR), st.error, st.seq);
      if (st.nextOff <= p && !job) break; // the core could not advance: never spin
      p = st.nextOff;
    }
  }
}
