// The public API: proxies, bindings, callbacks, queues and the listener.
// Each method has an rte_ifpx_* counterpart with the same semantics (README).
// A facade: the work is done by the parts, one concern each (docs/design.md):
//   netlink/   bytes from the kernel (transport, receiver)
//   core/      the WASM core that parses them into records (typed exports, layouts)
//   sync/      the listener and the sync state machine (dumps, resyncs)
//   delivery/  records to callbacks and queues (replay backlogs)
//   proxies/   the proxy registry, port -> proxy sync (carrier, MAC, MTU)
import { Core, CoreErrno, readCoreStats } from "./core/core.js";
import type { CoreExports } from "./core/exports.js";
import { KernelTransport } from "./netlink/kernel-transport.js";
import type { OpenTransport } from "./netlink/transport.js";
import { createTap, resolveInterface } from "./tap.js";
import { IfpxError, shown } from "./errors.js";
import { inNetns } from "./netns.js";
import * as libc from "./libc.js";
import { decodeEvent, EventType, EVENT_TYPE_COUNT, type IfpxEvent } from "./record.js";
import { Queue, type QueueOptions } from "./queues/queue.js";
import { FollowedKinds } from "./followed-kinds.js";
import { reserveMirror, walkMirror, mirrorKind } from "./core/mirror.js";
import { checkOptions } from "./options-check.js";
import { reportSafely } from "./safe-timer.js";
import { Delivery, type AnyQueue, type CallbackRegistration } from "./delivery/delivery.js";
import { QueueSet } from "./delivery/queue-set.js";
import { ProxyRegistry, MAX_PORT_ID, readProxyInfo } from "./proxies/registry.js";
import { PortSync, DEFAULT_LINK_POLL_MS, type PortLink } from "./proxies/port-sync.js";
import { Subinterfaces } from "./proxies/subinterfaces.js";
import { Listener, type ListenerCounters } from "./sync/listener.js";
import type { DumpRequest } from "./sync/sync-machine.js";
import { checkFamilies, planDumps } from "./sync/dump-plan.js";
import { systemClock, type Clock } from "./sync/clock.js";
import type { IfpxOptions, IfpxStats, MirrorKind, ProxyInfo } from "./options.js";

export type { Callback, RingQueue, AnyQueue } from "./delivery/delivery.js";
export type { ExternalQueue } from "./queues/external-queue.js";
export type { IfpxOptions, IfpxStats, MirrorKind, ProxyInfo, ProxyMaster, PortBackend, SubinterfaceInfo } from "./options.js";
export { MAX_PORT_ID, readProxyInfo };
export type { CallbackRegistration } from "./delivery/delivery.js";
export type { PortLink } from "./proxies/port-sync.js";

/**
 * Seams for tests (tests/unit/helpers/fake-kernel.ts): the transport a listen()
 * opens and the clock of the sync watchdog. Not part of the public API.
 * @internal
 */
export interface IfpxSeams { openTransport?: OpenTransport; clock?: Clock }

const DEFAULT_RCVBUF = 64 << 20;

export class Ifpx {
  readonly netns: string | undefined;
  private readonly core = new Core();
  private readonly opts: IfpxOptions;
  private readonly proxies: ProxyRegistry;
  private readonly portSync: PortSync;
  private readonly delivery: Delivery;
  private readonly queues: QueueSet;
  private listener: Listener | undefined;
  private closed = false;
  private readonly counters: ListenerCounters = { datagrams: 0, spoofed: 0, overruns: 0, resyncs: 0, nexthopResyncs: 0, routeResyncs: 0, tombstoneResyncs: 0, dumpRetries: 0, syncStalls: 0, dumpThreadDatagrams: 0 };
  private readonly dumps: DumpRequest[];
  private readonly groups: number;
  private readonly followed: FollowedKinds;
  private readonly openTransport: OpenTransport;
  private readonly clock: Clock;

  constructor(options: IfpxOptions = {}, seams: IfpxSeams = {}) {
    const opts = this.opts = checkOptions(options);
    this.netns = opts.netns;
    this.openTransport = seams.openTransport ?? ((o) => new KernelTransport(this.core, o));
    this.clock = seams.clock ?? systemClock;
    this.proxies = new ProxyRegistry(this.core);
    this.portSync = new PortSync({ core: this.core, proxies: this.proxies, netns: this.netns,
      backend: opts.ports, auto: opts.portSync !== false, report: this.reporter });
    this.delivery = new Delivery(this.core, this.reporter);
    this.queues = new QueueSet(this.core, this.delivery, this.reporter);
    const families = checkFamilies(opts.families);
    this.followed = new FollowedKinds(opts.kinds, (e) => this.report(e));
    ({ dumps: this.dumps, groups: this.groups } = planDumps(families, this.followed));
    reserveMirror(this.core, opts.reserve);
    this.delivery.updateWanted();
    if (opts.subinterfaces) {
      const port = typeof opts.subinterfaces === "object" ? opts.subinterfaces.port : undefined;
      const subs = new Subinterfaces(this.core, this.proxies, port, (p, proxy) => this.bind(p, proxy), this.reporter);
      this.core.x.set_subinterfaces(1);
      this.delivery.afterStaged = () => subs.reconcile();
    }
  }
  // ---- proxies --------------------------------------------------------------

  /** rte_ifpx_proxy_create: a tap the library holds (so it has carrier), its proxy id. */
  createProxy(opts: { name?: string } = {}): number {
    this.assertOpen();
    if (opts !== undefined && opts !== null && typeof opts !== "object") throw new IfpxError("EINVAL", "createProxy takes { name? }");
    const name = opts?.name;
    if (name !== undefined && typeof name !== "string") throw new IfpxError("EINVAL", "createProxy: name must be a string");
    if (this.opts.ports) {
      // net_tap creates its tap in the namespace of the calling thread
      const ports = this.opts.ports;
      const p = inNetns(this.netns, () => ports.createProxy({ name }));
      return this.proxies.add({ id: p.id, ifindex: p.ifindex, name: p.name, owned: true });
    }
    const tap = createTap(name, this.netns);
    try {
      return this.proxies.add({ id: this.proxies.freeId(), ifindex: tap.ifindex, name: tap.name, tap, owned: true });
    } catch (e) {
      libc.close(tap.fd);
      throw e;
    }
  }

  /**
   * rte_ifpx_proxy_create_by_devarg: in DPDK mode a devarg (e.g. "net_tap1,iface=x");
   * in plain mode an existing interface (name or ifindex) becomes a proxy. The
   * interface is not deleted by destroyProxy.
   */
  adoptProxy(nameOrIndexOrDevarg: string | number): number {
    this.assertOpen();
    const v = nameOrIndexOrDevarg;
    if (!(typeof v === "string" && v.length > 0 && v.length <= 4096 && !v.includes("\0")) && !(Number.isInteger(v) && (v as number) > 0 && (v as number) <= 0x7fffffff)) {
      throw new IfpxError("EINVAL", "adoptProxy takes an interface name, a positive ifindex or (DPDK mode) a devarg");
    }
    if (this.opts.ports && typeof nameOrIndexOrDevarg === "string") {
      const ports = this.opts.ports;
      const p = inNetns(this.netns, () => ports.createProxyByDevarg(nameOrIndexOrDevarg));
      if (!p.ifindex) {
        // upstream: a port can be a proxy only if the system sees it (if_index != 0)
        ports.destroyProxy(p.id);
        throw new IfpxError("EINVAL", `${nameOrIndexOrDevarg} has no kernel interface (if_index 0): it cannot act as a proxy`);
      }
      return this.proxies.add({ id: p.id, ifindex: p.ifindex, name: p.name, owned: true });
    }
    const { ifindex, name } = resolveInterface(nameOrIndexOrDevarg, this.netns);
    const id = this.proxies.add({ id: this.proxies.freeId(), ifindex, name, owned: false });
    // The mirror holds state of proxies only: an interface adopted while
    // listening has to be read from the kernel once.
    this.listener?.resyncAll();
    return id;
  }

  /** rte_ifpx_proxy_destroy: clears its bindings; deletes the tap if the library made it. */
  destroyProxy(id: number): void {
    this.checkId(id, "proxy id");
    const p = this.proxies.remove(id);
    this.portSync.forget(id);
    if (!p.tap && p.owned && this.opts.ports) this.opts.ports.destroyProxy(id);
  }

  // ---- bindings -------------------------------------------------------------

  /** rte_ifpx_port_bind. Binding after listen replays the proxy's state to the port, then PORT_DONE. */
  bind(port: number, proxy: number): void {
    this.assertOpen();
    this.checkId(port, "port id");
    this.checkId(proxy, "proxy id");
    if (!this.proxies.has(proxy)) throw new IfpxError("EINVAL", `${shown(proxy)} is not a proxy`);
    if (this.proxies.has(port)) throw new IfpxError("EINVAL", `${port} is a proxy; a proxy cannot be bound to a proxy`);
    // a sub-interface's port is a logical id of the application's choosing (no ethdev of its own)
    if (this.opts.ports && !this.proxies.get(proxy)!.subinterface && !this.opts.ports.isValidPort(port)) throw new IfpxError("EINVAL", `${port} is not a valid ${this.opts.ports.kind} port`);
    this.core.check(this.core.x.port_bind(port, proxy), `cannot bind port ${port} to proxy ${proxy}`);
    this.portSync.bound(port, proxy);
    const l = this.listener;
    if (l) this.delivery.whenIdle(() => l.lateBind(proxy, port));
  }

  /** rte_ifpx_port_unbind */
  unbind(port: number): void {
    this.checkId(port, "port id");
    const r = this.core.x.port_unbind(port);
    if (r === CoreErrno.ENOENT) throw new IfpxError("ENOENT", `port ${port} is not bound`);
    this.core.check(r, `cannot unbind port ${port}`);
  }

  /** rte_ifpx_proxy_get: the proxy of a port, or undefined. */
  proxyOf(port: number): number | undefined {
    this.checkId(port, "port id");
    const r = this.core.x.proxy_of_port(port);
    return r < 0 ? undefined : r;
  }

  /** rte_ifpx_port_get: fills `out` with up to out.length port ids and returns the TOTAL count. */
  portsOf(proxy: number, out?: Uint16Array | number[]): number {
    this.checkId(proxy, "proxy id");
    if (!this.proxies.has(proxy)) throw new IfpxError("EINVAL", `${shown(proxy)} is not a proxy`);
    if (out !== undefined && !(out instanceof Uint16Array) && !Array.isArray(out)) throw new IfpxError("EINVAL", "portsOf: out must be a Uint16Array or an array");
    return this.proxies.portsOf(proxy, out);
  }

  /** All ports bound to a proxy (convenience over portsOf). */
  ports(proxy: number): number[] {
    const out: number[] = new Array(this.portsOf(proxy)).fill(0);
    this.portsOf(proxy, out);
    return out;
  }

  /** rte_ifpx_is_proxy */
  isProxy(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id <= MAX_PORT_ID && this.proxies.has(id);
  }

  /** rte_ifpx_info_get: for a proxy, or for a port (its proxy's info). */
  info(id: number): ProxyInfo {
    this.checkId(id, "id");
    let proxy = id;
    if (!this.proxies.has(id)) {
      const r = this.core.x.proxy_of_port(id);
      if (r < 0) throw new IfpxError("EINVAL", `${id} is neither a proxy nor a bound port`);
      proxy = r;
    }
    return this.proxies.info(proxy, this.netns);
  }

  // ---- port -> proxy sync ---------------------------------------------------

  /**
   * The proxy's carrier (IFF_LOWER_UP) on or off, as the port's link is: for a
   * proxy, or for a port (its proxy). The admin state (IFF_UP) is never
   * touched. EOPNOTSUPP when the interface's driver has no carrier control
   * (veth), EPERM for carrier on of a tap nobody holds open (README "Port -> proxy sync").
   */
  setCarrier(portOrProxy: number, on: boolean): void {
    this.assertOpen();
    this.checkId(portOrProxy, "port or proxy id");
    this.portSync.setCarrier(this.portSync.proxyFor(portOrProxy, "setCarrier"), on);
  }

  /**
   * Copy a port's link onto its proxy: `mac` ("aa:bb:cc:dd:ee:ff"), `mtu`,
   * `carrier`, each if given, in that order; every argument is checked before
   * anything is written. What bind() does by itself in DPDK mode.
   */
  setPortLink(portOrProxy: number, link: PortLink): void {
    this.assertOpen();
    this.checkId(portOrProxy, "port or proxy id");
    this.portSync.setLink(this.portSync.proxyFor(portOrProxy, "setPortLink"), link);
  }

  // ---- callbacks ------------------------------------------------------------

  /** rte_ifpx_callbacks_register: one callback per type; a later registration replaces. */
  registerCallbacks(list: CallbackRegistration[]): void {
    this.delivery.register(list);
  }

  /** rte_ifpx_callbacks_unregister */
  unregisterCallback(type: number): void {
    this.delivery.unregister(type);
  }

  /** rte_ifpx_callbacks_unregister_all */
  unregisterAllCallbacks(): void {
    this.delivery.unregisterAll();
  }

  // ---- queues ---------------------------------------------------------------

  /** rte_ifpx_queue_add: a ring made by createQueue (host/queues/queue.ts) or a DPDK RteRingQueue. */
  queueAdd(q: AnyQueue): void {
    this.assertOpen();
    this.queues.add(q);
  }

  /** rte_ifpx_queue_remove: the consumer then reads END. */
  queueRemove(q: AnyQueue): void {
    this.queues.remove(q);
  }

  /**
   * After an OVERFLOW, bring one ring back to the truth: the lost count (if
   * not reported yet), then the current state of every proxy for every bound
   * port (records flagged INITIAL), then REPLAY_DONE. Live events that happen
   * meanwhile follow REPLAY_DONE in order; nothing is dropped while the ring
   * is full, it is fed as its consumer makes room. A consumer applies the
   * replayed records as upserts and, at REPLAY_DONE, drops what the replay
   * did not mention. Resolves once REPLAY_DONE is in the ring.
   */
  replayInto(q: AnyQueue): Promise<void> {
    try {
      this.assertOpen();
      return this.queues.replay(q);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** A shared-memory ring in the core's memory, ready for queueAdd; `queue.handle` goes to a worker. */
  createQueue(opts: QueueOptions = {}): Queue {
    this.assertOpen();
    return new Queue(this.coreHandle, opts);
  }

  /** The core instance's share, for creating rings (host/queues/queue.ts) in the same memory. */
  get coreHandle(): { share: Core["share"]; exports: CoreExports } {
    return { share: this.core.share, exports: this.core.x };
  }


  // ---- listening ------------------------------------------------------------

  /**
   * rte_ifpx_listen: subscribe, then dump links, addresses, routes and
   * neighbours, deliver the initial state and CFG_DONE. Resolves after
   * CFG_DONE was delivered. EBUSY when already listening.
   */
  listen(): Promise<void> {
    try {
      return this.startListening();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private startListening(): Promise<void> {
    this.assertOpen();
    if (this.listener) return Promise.reject(new IfpxError("EBUSY", "already listening: call close() first"));
    const l = new Listener({
      core: this.core, delivery: this.delivery, followed: this.followed, dumps: this.dumps, groups: this.groups,
      rcvbuf: this.opts.rcvbuf ?? DEFAULT_RCVBUF, netns: this.netns, dumpThread: this.opts.dumpThread !== false,
      openTransport: this.openTransport, clock: this.clock, counters: this.counters, report: this.reporter,
      onBroken: () => { void this.stopListening().catch((err) => this.report(err)); },
    });
    this.listener = l;
    // before the dumps: the initial state shows the carrier of the ports' current link
    this.portSync.start(this.opts.linkPollMs ?? DEFAULT_LINK_POLL_MS);
    try {
      l.begin();
    } catch (e) {
      // nothing was delivered yet: undo the listen, the caller sees why
      l.abandon(e);
      void this.stopListening().catch((err) => this.report(err));
    }
    return l.started;
  }

  /** rte_ifpx_close: stop listening, remove queues (consumers get END), clear callbacks and bindings. Proxies stay. */
  async close(): Promise<void> {
    if (this.closed) return;
    const l = this.listener;
    await this.stopListening();
    this.queues.clear();
    this.unregisterAllCallbacks();
    for (const id of this.proxies.ids()) {
      const out = this.ports(id);
      for (const port of out) this.core.x.port_unbind(port);
    }
    l?.abandon(new IfpxError("ECLOSED", "closed before the initial configuration was complete"));
  }

  /** close(), then destroy every proxy this instance created. The instance can no longer be used. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    await this.close();
    // every proxy is tried; the first failure is the rejection, the others go to onError
    let first: unknown;
    for (const id of this.proxies.ids()) {
      try { this.destroyProxy(id); } catch (e) { if (first === undefined) first = e; else this.report(e); }
    }
    this.closed = true;
    this.delivery.closed = true;
    if (first !== undefined) throw first;
  }

  private async stopListening(): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    this.portSync.stop();
    await l?.stop();
  }

  /**
   * Stop reading the netlink socket (backpressure). The kernel keeps queueing
   * up to the receive buffer; if it overflows, resume() resynchronises.
   */
  pause(): void {
    this.listener?.pause();
  }

  resume(): void {
    this.listener?.resume();
  }

  /** rte_ifpx_events_available: bit (1 << type) for every type this platform reports. */
  eventsAvailable(): number {
    return (1 << EVENT_TYPE_COUNT) - 1;
  }

  /**
   * Read the kernel's state again and deliver only the differences, then
   * RESYNC_DONE (as after an overrun). For an application that suspects it
   * missed something; EINVAL when not listening. Returns at once: the dump runs
   * in the background (received on libuv's pool unless dumpThread is false).
   */
  resync(): void {
    this.assertOpen();
    if (!this.listener) throw new IfpxError("EINVAL", "not listening: call listen() first");
    this.listener.resyncAll();
  }

  /** Counters of the listener and of the core. */
  stats(): IfpxStats {
    const l = this.listener;
    const dumpThread = this.opts.dumpThread === false ? "off" : l?.poolState === "active" ? "active" : "ready";
    return { ...this.counters, ...this.delivery.counters, syncing: l?.sync.busy ?? false, dumpThread, core: readCoreStats(this.core),
      refused: [...this.followed.refused], unreadable: this.followed.unreadable };
  }

  /** The netlink port id of the listening socket (0 when not listening). */
  get netlinkPortId(): number {
    return this.listener?.portId ?? 0;
  }

  /**
   * Walk the mirror: every current address, route next hop or neighbour of a
   * proxy (or of all proxies) as a 64-byte ADD record read in place, with no
   * kernel round trip and no JS object per entry. `fn` must not keep `view`
   * beyond the call (the area is reused). Returns the number of entries.
   */
  forEachEntry(kind: MirrorKind, proxy: number | undefined, fn: (view: DataView, offset: number) => void): number {
    const bits = kindBits(kind);
    if (typeof fn !== "function") throw new IfpxError("EINVAL", "forEachEntry needs a function");
    if (!bits) throw new IfpxError("EINVAL", `unknown kind: "addr", "route" or "neigh"`);
    this.checkProxyArg(proxy);
    return walkMirror(this.core, bits, proxy ?? -1, fn);
  }

  /** The current addresses of a proxy (or all proxies), decoded. */
  addresses(proxy?: number): IfpxEvent[] { return this.entries("addr", proxy); }
  /** The current routes (one entry per next hop via a proxy), decoded. For big tables prefer forEachEntry. */
  routes(proxy?: number): IfpxEvent[] { return this.entries("route", proxy); }
  /** The current neighbours, decoded. */
  neighbours(proxy?: number): IfpxEvent[] { return this.entries("neigh", proxy); }

  private entries(kind: MirrorKind, proxy?: number): IfpxEvent[] {
    const out: IfpxEvent[] = [];
    this.forEachEntry(kind, proxy, (dv, off) => out.push(decodeEvent(dv, off)));
    return out;
  }

  /** Number of mirrored entries: kind "addr" | "route" | "neigh", for one proxy or all. */
  mirrorCount(kind: MirrorKind, proxy?: number): number {
    const k = mirrorKind(kind);
    this.checkProxyArg(proxy);
    return this.core.x.mirror_count(k, proxy ?? -1) >>> 0;
  }


  // ---- helpers --------------------------------------------------------------

  private report(e: unknown): void {
    reportSafely(this.opts.onError, e);
  }

  private readonly reporter = (e: unknown): void => this.report(e);

  private assertOpen(): void {
    if (this.closed) throw new IfpxError("ECLOSED", "this Ifpx instance was disposed");
  }

  private checkProxyArg(proxy: number | undefined): void {
    if (proxy !== undefined && !this.proxies.has(proxy)) throw new IfpxError("EINVAL", `${shown(proxy)} is not a proxy`);
  }

  private checkId(id: number, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id > MAX_PORT_ID) throw new IfpxError("EINVAL", `invalid ${what} ${shown(id)}: an integer 0..${MAX_PORT_ID}`);
  }
}

function kindBits(kind: unknown): number {
  try { return mirrorKind(kind); } catch { return 0; }
}
