// The public API: proxies, bindings, callbacks, queues and the listener.
// Each method has an rte_ifpx_* counterpart with the same semantics (README).
//
// Data path: netlink datagrams are received straight into WASM memory; the
// core parses, filters, updates its mirror and stages one 64-byte record per
// bound port for what changed; `deliver` applies the upstream rule to each
// staged record: the type's callback first (a truthy return consumes it),
// otherwise every queue gets a copy. Types without a callback go to the
// queues in bursts without ever becoming JS objects.
import koffi from "koffi";
import { Core, KIND_ALL, KIND_LINK, KIND_ADDR, KIND_ROUTE, KIND_NEIGH, ST_DONE, ST_ERROR, ST_DUMP_INTR, ST_JOB, ST_NEXTHOP, ST_ROUTES, RECORD_SIZE, readCoreStats } from "./core/core.js";
import {
  NetlinkSocket, RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH,
  RTMGRP_LINK, RTMGRP_NEIGH, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_IFADDR, RTMGRP_IPV6_ROUTE, RTMGRP_NEXTHOP,
} from "./netlink/socket.js";
import { createTap, resolveInterface, queryLink, type TapHandle } from "./tap.js";
import { IfpxError, shown } from "./errors.js";
import { inNetns } from "./netns.js";
import * as libc from "./libc.js";
import { decodeEvent, EventType, type IfpxEvent } from "./record.js";
import { Queue, type QueueOptions } from "./queues/queue.js";
import { BatchReceiver } from "./netlink/recv-batch.js";
import { DumpReceiver, type DumpBatch } from "./netlink/dump-receiver.js";
import type { ExternalQueue } from "./queues/external-queue.js";
import { FollowedKinds, type FollowKind, type Refusal } from "./followed-kinds.js";
import { checkRing } from "./queues/ring-handle.js";
import { callCore } from "./core/core-call.js";
import { checkOptions } from "./options-check.js";
import { consumes } from "./callback-result.js";
import { guarded, reportSafely, safeInterval, safeTimeout } from "./safe-timer.js";
import { watchNetnsName, type NetnsWatch } from "./netns-watch.js";

/** A truthy return consumes the event; a Promise does not (README, Callbacks): its rejection goes to onError. */
export type Callback = (event: IfpxEvent) => boolean | void | undefined | number | PromiseLike<unknown>;
export interface CallbackRegistration { type: number; callback: Callback }

export type { ExternalQueue } from "./queues/external-queue.js";
/** A WASM ring made by `ifpx.createQueue()` (host/queues/queue.ts). */
export interface RingQueue { readonly ptr: number; end?(): void }
export type AnyQueue = RingQueue | ExternalQueue;

/** What a proxy is made of in DPDK mode (host/dpdk): real port ids, net_tap proxies. */
export interface PortBackend {
  readonly kind: string;
  createProxy(opts: { name?: string }): { id: number; ifindex: number; name: string };
  createProxyByDevarg(devarg: string): { id: number; ifindex: number; name: string };
  destroyProxy(id: number): void;
  isValidPort(id: number): boolean;
}

export interface IfpxOptions {
  /** network namespace (name under /var/run/netns, or a path) to watch and create proxies in */
  netns?: string;
  /** netlink receive buffer in bytes (SO_RCVBUFFORCE as root, else capped by rmem_max); default 64 MiB */
  rcvbuf?: number;
  /** called when a callback throws or the listener meets an error; default: console.error */
  onError?: (error: unknown) => void;
  /** DPDK mode: proxies are DPDK ports (host/dpdk). Default: plain taps, proxy ids from 0x8000 */
  ports?: PortBackend;
  /**
   * Pre-size the mirror for a known scale (entries via proxies), e.g. a full
   * table: `{ routes4: 1_000_000, routes6: 200_000 }`. Without it the tables
   * double as they fill (each doubling costs a rehash and leaves the old block).
   */
  reserve?: { addresses?: number; routes4?: number; routes6?: number; neighbours?: number };
  /**
   * Address families to follow (default both): `[4]` subscribes to and dumps
   * only IPv4 addresses and routes, so an IPv6 table is never read. Neighbour
   * notifications share one group: those of the other family still arrive.
   */
  families?: (4 | 6)[];
  /**
   * Receive dumps (the initial one and every resync) on a thread of libuv's
   * pool (default true): the kernel builds a dump inside recvmsg(), so its
   * work then overlaps with parsing on the main thread instead of alternating
   * with it. `false`: every dump is received on the main thread.
   */
  dumpThread?: boolean;
  /**
   * Kinds to follow besides links (default all): e.g. `["addr", "route"]`
   * neither dumps nor subscribes to neighbours. A kind the kernel refuses
   * (EOPNOTSUPP, EPROTONOSUPPORT, EPERM, EACCES) is dropped the same way, reported once
   * through onError and listed in stats().refused (host/followed-kinds.ts).
   */
  kinds?: FollowKind[];
}

export type MirrorKind = "addr" | "route" | "neigh";
const KIND_BITS: Record<MirrorKind, number> = { addr: KIND_ADDR, route: KIND_ROUTE, neigh: KIND_NEIGH };

export interface ProxyInfo {
  ifindex: number;
  name: string;
  mtu: number;
  mac: string;
  up: boolean;
}

interface ProxyEntry {
  id: number;
  ifindex: number;
  name: string;
  tap?: TapHandle;
  owned: boolean;
}

export interface IfpxStats {
  datagrams: number;
  spoofed: number;
  overruns: number;
  resyncs: number;
  /** resyncs asked by a change of a nexthop object that mirrored routes use (the kernel does not announce the routes it changes) */
  nexthopResyncs: number;
  /** resyncs of the routes asked because an IPv4 change left the outcome open: a replace or delete among routes sharing an identity (`ip route append`: the message does not say which route), or a proxy going down under a multipath route that also uses interfaces which are no proxies (whether those next hops are alive decides whether the route stays) */
  routeResyncs: number;
  dumpRetries: number;
  /** syncs that saw no datagram for 2 s and were dumped again (a dropped reply) */
  syncStalls: number;
  /** datagrams of dumps received on the pool thread (included in datagrams) */
  dumpThreadDatagrams: number;
  delivered: number;
  callbackErrors: number;
  /** a dump (initial or resync) is in progress */
  syncing: boolean;
  /** dumps received off the main thread: "off" (option dumpThread false), "ready", "active" (receiving now) */
  dumpThread: "off" | "ready" | "active";
  core: Record<string, number>;
  /** dumps and group subscriptions the kernel refused: those kinds are not followed (host/followed-kinds.ts) */
  refused: Refusal[];
  /** receives that failed with EINVAL/EOPNOTSUPP/EPROTONOSUPPORT (a datagram an emulator could not translate): skipped */
  unreadable: number;
}

/** Upstream RTE_MAX_ETHPORTS-style answer for "none" is `undefined` here. */
export const MAX_PORT_ID = 0xfffe;
const PLAIN_PROXY_BASE = 0x8000;
const AF_INET = 2, AF_INET6 = 10;
const DEFAULT_RCVBUF = 64 << 20;
// Keep this much room for one datagram: dump skbs are at most 32 KiB here.
const RECV_SLACK = 64 << 10;
// Datagram batches handled per wake-up before yielding to the event loop.
const MAX_ROUNDS_PER_WAKEUP = 32;
const EBUSY = 16;
const SYNC_STALL_MS = 2000;
// the kind of each entry of `dumps` (link, address, route, neighbour dump)
const DUMP_KINDS = [KIND_LINK, KIND_ADDR, KIND_ROUTE, KIND_NEIGH];

/** A queue being refilled by replayInto(): records wait here, in order, until it has room. */
interface Backlog {
  queue: AnyQueue;
  chunks: Uint8Array[];
  head: number; // bytes of chunks[0] already enqueued
  timer?: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  resolve: () => void;
  /** the replay cannot go on: the promise rejects with this error */
  reject: (error: unknown) => void;
}

interface SyncState {
  reason: "initial" | "resync";
  /** KIND_* bits dumped and swept (all but after a nexthop change: routes) */
  kinds: number;
  /** the dump requests of those kinds, in order */
  dumps: [number, number][];
  step: number;
  seq: number;
  restart: boolean;
}

export class Ifpx {
  readonly netns: string | undefined;
  private readonly core = new Core();
  private readonly opts: IfpxOptions;
  private readonly proxies = new Map<number, ProxyEntry>();
  private readonly callbacks: (Callback | undefined)[] = new Array(EventType.END + 1).fill(undefined);
  // each ring with the pointer checked when it was added (a getter cannot change it later)
  private readonly rings = new Map<RingQueue, number>();
  private readonly externals = new Set<ExternalQueue>();
  private readonly backlogs = new Map<AnyQueue, Backlog>();
  private scratch = 0;
  private portsBuf = 0;
  private overflowTimer: ReturnType<typeof setTimeout> | undefined;
  private sock: NetlinkSocket | undefined;
  private poll: ReturnType<typeof koffi.node.poll> | undefined;
  private batch: BatchReceiver | undefined;
  private sync: SyncState | undefined;
  /** KIND_* bits of a resync to start when the current one (or the pool call) is over; 0: none */
  private pendingKinds = 0;
  private seq = 0;
  private dispatching = 0;
  private readonly deferred: (() => void)[] = [];
  private readonly afterSync: (() => void)[] = [];
  private listenWaiter: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private closed = false;
  private readonly counters = { datagrams: 0, spoofed: 0, overruns: 0, resyncs: 0, nexthopResyncs: 0, routeResyncs: 0, dumpRetries: 0, syncStalls: 0, dumpThreadDatagrams: 0, delivered: 0, callbackErrors: 0 };
  // dumps received on libuv's pool (host/netlink/dump-receiver.ts): `dumpRxActive` while
  // its calls read the socket (the poll handle is stopped meanwhile)
  private dumpRx: DumpReceiver | undefined;
  private dumpRxActive = false;
  // a dump request that waits for the pool's call in flight; one sent this round
  private sendPending = false;
  private justSent = false;
  private paused = false;
  private netnsWatch: NetnsWatch | undefined;

  private readonly dumps: [type: number, family: number][];
  private readonly groups: number;
  private readonly followed: FollowedKinds;

  constructor(options: IfpxOptions = {}) {
    const opts = this.opts = checkOptions(options);
    this.netns = opts.netns;
    const fam = opts.families ?? [4, 6];
    if (!Array.isArray(fam) || !fam.length || fam.length > 2 || fam.some((f) => f !== 4 && f !== 6)) {
      throw new IfpxError("EINVAL", "families must be a non-empty list of 4 and/or 6");
    }
    const v4 = fam.includes(4), v6 = fam.includes(6);
    // both: one AF_UNSPEC dump per kind; one family: that family's dumps only
    const af = v4 && v6 ? 0 : v4 ? AF_INET : AF_INET6;
    this.dumps = [[RTM_GETLINK, 0], [RTM_GETADDR, af], [RTM_GETROUTE, af], [RTM_GETNEIGH, af]];
    this.followed = new FollowedKinds(opts.kinds, (e) => this.report(e));
    this.groups = this.followed.groups(RTMGRP_LINK | RTMGRP_NEIGH | (v4 ? RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE : 0) | (v6 ? RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE : 0) | RTMGRP_NEXTHOP);
    const r = opts.reserve;
    if (r) {
      for (const [kind, n] of [[2, r.addresses], [4, r.routes4], [16, r.routes6], [8, r.neighbours]] as const) {
        if (!n) continue; // nothing to reserve
        if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new IfpxError("EINVAL", `reserve: ${shown(n)} is not a valid number of entries`);
        const r = callCore(() => this.core.x.mirror_reserve(kind, n), "ENOSPC", `reserve: cannot size the mirror for ${n} entries`);
        if (r < 0) throw new IfpxError("ENOSPC", `reserve: cannot size the mirror for ${n} entries (memory limit)`);
      }
    }
    this.updateWanted();
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
      return this.addProxy({ id: p.id, ifindex: p.ifindex, name: p.name, owned: true });
    }
    const tap = createTap(name, this.netns);
    try {
      return this.addProxy({ id: this.freeProxyId(), ifindex: tap.ifindex, name: tap.name, tap, owned: true });
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
      return this.addProxy({ id: p.id, ifindex: p.ifindex, name: p.name, owned: true });
    }
    const { ifindex, name } = resolveInterface(nameOrIndexOrDevarg, this.netns);
    const id = this.addProxy({ id: this.freeProxyId(), ifindex, name, owned: false });
    // The mirror holds state of proxies only: an interface adopted while
    // listening has to be read from the kernel once.
    if (this.sock) this.requestResync();
    return id;
  }

  /** rte_ifpx_proxy_destroy: clears its bindings; deletes the tap if the library made it. */
  destroyProxy(id: number): void {
    this.checkId(id, "proxy id");
    const p = this.proxies.get(id);
    if (!p) throw new IfpxError("EINVAL", `${shown(id)} is not a proxy`);
    this.core.check(this.core.x.proxy_remove(id), `cannot remove proxy ${id}`);
    this.proxies.delete(id);
    if (p.tap) libc.close(p.tap.fd); // the kernel deletes a non-persistent tap with its last fd
    else if (p.owned && this.opts.ports) this.opts.ports.destroyProxy(id);
  }

  private addProxy(p: ProxyEntry): number {
    const r = this.core.x.proxy_add(p.id, p.ifindex);
    if (r < 0) {
      if (r === -17) throw new IfpxError("EEXIST", `interface ${p.name} (ifindex ${p.ifindex}) is already a proxy, or id ${p.id} is in use`);
      if (r === -28) throw new IfpxError("ENOSPC", "the proxy table is full");
      this.core.check(r, `cannot add proxy ${p.name}`);
    }
    this.proxies.set(p.id, p);
    return p.id;
  }

  private freeProxyId(): number {
    for (let id = PLAIN_PROXY_BASE; id <= MAX_PORT_ID; id++) {
      if (!this.proxies.has(id) && this.core.x.proxy_of_port(id) < 0) return id;
    }
    throw new IfpxError("ENOSPC", "no free proxy id");
  }

  // ---- bindings -------------------------------------------------------------

  /** rte_ifpx_port_bind. Binding after listen replays the proxy's state to the port, then PORT_DONE. */
  bind(port: number, proxy: number): void {
    this.assertOpen();
    this.checkId(port, "port id");
    this.checkId(proxy, "proxy id");
    if (!this.proxies.has(proxy)) throw new IfpxError("EINVAL", `${shown(proxy)} is not a proxy`);
    if (this.proxies.has(port)) throw new IfpxError("EINVAL", `${port} is a proxy; a proxy cannot be bound to a proxy`);
    if (this.opts.ports && !this.opts.ports.isValidPort(port)) throw new IfpxError("EINVAL", `${port} is not a valid ${this.opts.ports.kind} port`);
    this.core.check(this.core.x.port_bind(port, proxy), `cannot bind port ${port} to proxy ${proxy}`);
    if (this.sock) this.whenIdle(() => this.lateBind(proxy, port));
  }

  /** rte_ifpx_port_unbind */
  unbind(port: number): void {
    this.checkId(port, "port id");
    const r = this.core.x.port_unbind(port);
    if (r === -2) throw new IfpxError("ENOENT", `port ${port} is not bound`);
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
    const total = this.core.x.ports_of_proxy(proxy, 0, 0);
    this.core.check(total, `ports of ${proxy}`);
    if (out && out.length && total) {
      // its own area: the staging area may hold records being delivered (a callback may ask)
      const scratch = (this.portsBuf ||= this.core.x.ring_buf_alloc(2 * (MAX_PORT_ID + 1)) >>> 0);
      const n = Math.min(total, out.length, MAX_PORT_ID + 1);
      this.core.x.ports_of_proxy(proxy, scratch, n);
      const dv = this.core.view;
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(scratch + 2 * i, true);
    }
    return total;
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
    const p = this.proxies.get(proxy)!;
    const live = this.coreInfo(proxy);
    if (live) return live;
    const q = queryLink(p.ifindex, this.netns);
    if (!q) throw new IfpxError("ENOENT", `the interface of proxy ${proxy} (ifindex ${p.ifindex}) no longer exists`);
    return { ifindex: q.ifindex, name: q.name, mtu: q.mtu, mac: q.mac, up: q.up };
  }

  private coreInfo(proxy: number): ProxyInfo | undefined {
    const ptr = this.core.x.proxy_info_ptr(proxy) >>> 0;
    if (!ptr) return undefined;
    const i = readProxyInfo(this.core.view, ptr);
    if (!i.known || i.gone) return undefined;
    return { ifindex: i.ifindex, name: i.name, mtu: i.mtu, mac: i.mac, up: (i.flags & 1) !== 0 };
  }

  // ---- callbacks ------------------------------------------------------------

  /** rte_ifpx_callbacks_register: one callback per type; a later registration replaces. */
  registerCallbacks(list: CallbackRegistration[]): void {
    if (!Array.isArray(list)) throw new IfpxError("EINVAL", "registerCallbacks takes an array of {type, callback}");
    for (const r of list) {
      if (!r || typeof r !== "object" || !isType(r.type) || typeof r.callback !== "function") {
        throw new IfpxError("EINVAL", `bad callback registration: type must be an EventType (0..${EventType.END}) and callback a function`);
      }
    }
    // the checked values: getters are read once
    const checked = list.map((r) => [r.type, r.callback] as const);
    if (checked.some(([t, cb]) => !isType(t) || typeof cb !== "function")) throw new IfpxError("EINVAL", "a callback registration changed while it was read");
    for (const [t, cb] of checked) this.callbacks[t] = cb;
    this.updateWanted();
  }

  /** rte_ifpx_callbacks_unregister */
  unregisterCallback(type: number): void {
    if (!isType(type)) throw new IfpxError("EINVAL", `not an event type: ${shown(type)}`);
    this.callbacks[type] = undefined;
    this.updateWanted();
  }

  /** rte_ifpx_callbacks_unregister_all */
  unregisterAllCallbacks(): void {
    this.callbacks.fill(undefined);
    this.updateWanted();
  }

  /**
   * Tell the core which event types anyone consumes: with a queue added,
   * every type (queues get what callbacks do not consume); otherwise the types
   * with a callback. The core then builds no record nobody would see (the
   * mirror is kept regardless).
   */
  private updateWanted(): void {
    let mask = 0;
    if (this.rings.size || this.externals.size || this.backlogs.size) mask = 0xffffffff;
    else for (let t = 0; t <= EventType.END; t++) if (this.callbacks[t]) mask |= 1 << t;
    this.core.x.set_wanted(mask >>> 0);
  }

  // ---- queues ---------------------------------------------------------------

  /** rte_ifpx_queue_add: a ring made by createQueue (host/queues/queue.ts) or a DPDK RteRingQueue. */
  queueAdd(q: AnyQueue): void {
    this.assertOpen();
    if (!q || typeof q !== "object") throw new IfpxError("EINVAL", "queueAdd needs a queue");
    if (isExternal(q)) {
      if (typeof q.close !== "function") throw new IfpxError("EINVAL", "queueAdd: an external queue needs publish() and close()");
      if (this.externals.has(q)) throw new IfpxError("EEXIST", "this queue is already added");
      this.externals.add(q);
      this.updateWanted();
      return;
    }
    // a Queue of another instance lives in another memory: its pointer means nothing here
    const mem = (q as { handle?: { memory?: unknown } }).handle?.memory;
    if (mem !== undefined && mem !== this.core.share.memory) throw new IfpxError("EINVAL", "queueAdd: this queue belongs to another Ifpx instance (createQueue of this one)");
    const ptr = q.ptr;
    checkRing(this.core.share.memory, ptr);
    if (this.rings.has(q)) throw new IfpxError("EEXIST", "this queue is already added");
    const r = this.core.x.queues_add(ptr);
    if (r === -17) throw new IfpxError("EEXIST", "this queue (or another object for the same ring) is already added");
    this.core.check(r, "cannot add queue");
    this.rings.set(q, ptr);
    this.updateWanted();
  }

  /** rte_ifpx_queue_remove: the consumer then reads END. */
  queueRemove(q: AnyQueue): void {
    if (q && isExternal(q)) {
      if (!this.externals.delete(q) && !this.dropBacklog(q)) throw new IfpxError("ENOENT", "this queue was not added");
      this.updateWanted();
      return;
    }
    if (!q || !this.rings.has(q as RingQueue)) throw new IfpxError("ENOENT", "this queue was not added");
    this.endRing(q as RingQueue);
    this.rings.delete(q as RingQueue);
    this.updateWanted();
  }

  private endRing(q: RingQueue): void {
    // detached while replaying: close it directly (END), drop what was pending
    const ptr = this.rings.get(q)!;
    if (this.dropBacklog(q)) this.core.x.ring_close(ptr);
    else this.core.x.queues_remove(ptr);
  }

  private dropBacklog(q: AnyQueue): boolean {
    const b = this.backlogs.get(q);
    if (!b) return false;
    if (b.timer) clearTimeout(b.timer);
    this.backlogs.delete(q);
    b.resolve();
    return true;
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
      return this.startReplay(q);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private startReplay(q: AnyQueue): Promise<void> {
    this.assertOpen();
    const ext = q && isExternal(q);
    if (!q || !(ext ? this.externals.has(q) || this.backlogs.has(q) : this.rings.has(q as RingQueue))) {
      return Promise.reject(new IfpxError("ENOENT", "replayInto: this queue was not added"));
    }
    if (ext && (!q.tryPublish || !q.takeOverflow)) return Promise.reject(new IfpxError("EINVAL", "replayInto: this queue cannot be replayed into"));
    const existing = this.backlogs.get(q);
    if (existing) return existing.done;
    let resolve!: () => void, reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    const b: Backlog = { queue: q, chunks: [], head: 0, done, resolve: () => resolve(), reject: (e) => reject(e) };
    const x = this.core.x;
    // out of the delivery set: live records go to the backlog, after the snapshot
    if (ext) this.externals.delete(q);
    else this.core.check(x.queues_detach(this.rings.get(q as RingQueue)!), "replayInto: cannot detach the queue");
    this.backlogs.set(q, b);
    let lost: number;
    try {
      lost = ext ? q.takeOverflow!() : x.queue_take_overflow(this.rings.get(q as RingQueue)!) >>> 0;
    } catch (e) {
      this.failBacklog(b, e);
      return b.done;
    }
    if (lost) {
      const rec = new Uint8Array(RECORD_SIZE);
      const dv = new DataView(rec.buffer);
      dv.setUint16(0, EventType.OVERFLOW, true);
      dv.setUint16(2, 0xffff, true);
      dv.setUint16(4, 0xffff, true);
      dv.setUint32(16, lost, true);
      b.chunks.push(rec);
    }
    // The snapshot is taken at once (the core's replay iterator must not
    // interleave with process()); only the copying into the queue waits.
    this.whenIdle(() => {
      if (this.backlogs.get(q) !== b) return;
      const take = (n: number) => { const p = this.core.stagedPtr; b.chunks.push(this.core.bytes.slice(p, p + n * RECORD_SIZE)); };
      x.replay_begin(-1, -1);
      for (let n = x.replay_step() >>> 0; n; n = x.replay_step() >>> 0) take(n);
      take(x.stage_marker(EventType.REPLAY_DONE, 0xffff, 0, 0, 0, 0) >>> 0);
      this.feedBacklog(b);
    });
    return b.done;
  }

  private feedBacklog(b: Backlog): void {
    try {
      this.feedBacklogNow(b);
    } catch (e) {
      this.failBacklog(b, e);
    }
  }

  /**
   * A replay that cannot go on (its queue threw, or the ring could not be put
   * back): its promise rejects, onError hears of it, and the queue is handed
   * back to ordinary delivery if that is still possible.
   */
  private failBacklog(b: Backlog, e: unknown): void {
    if (this.backlogs.get(b.queue) !== b) return;
    if (b.timer) clearTimeout(b.timer);
    this.backlogs.delete(b.queue);
    const q = b.queue;
    try {
      if (isExternal(q)) this.externals.add(q);
      else if (this.core.x.queues_add(this.rings.get(q)!) < 0) {
        // it cannot be delivered to any more: its consumer reads END rather than silence
        this.core.x.ring_close(this.rings.get(q)!);
        this.rings.delete(q);
      }
    } catch { /* reported below */ }
    this.updateWanted();
    b.reject(e);
    this.report(e);
  }

  private feedBacklogNow(b: Backlog): void {
    b.timer = undefined;
    const q = b.queue;
    if (this.backlogs.get(q) !== b) return;
    const x = this.core.x;
    const BURST = 256;
    if (!this.scratch) this.scratch = x.ring_buf_alloc(BURST * RECORD_SIZE) >>> 0;
    while (b.chunks.length) {
      const c = b.chunks[0];
      const n = Math.min(BURST, (c.length - b.head) / RECORD_SIZE);
      const recs = c.subarray(b.head, b.head + n * RECORD_SIZE);
      let k: number;
      if (isExternal(q)) {
        k = q.tryPublish!(recs, n);
      } else {
        this.core.bytes.set(recs, this.scratch);
        k = x.ring_enqueue(this.rings.get(q)!, this.scratch, n) >>> 0;
      }
      b.head += k * RECORD_SIZE;
      if (b.head === c.length) { b.chunks.shift(); b.head = 0; }
      if (k < n) { b.timer = setTimeout(() => this.feedBacklog(b), 1); return; }
    }
    this.backlogs.delete(q);
    if (isExternal(q)) this.externals.add(q);
    else this.core.check(x.queues_add(this.rings.get(q)!), "replayInto: cannot re-add the queue");
    b.resolve();
  }

  /** A shared-memory ring in the core's memory, ready for queueAdd; `queue.handle` goes to a worker. */
  createQueue(opts: QueueOptions = {}): Queue {
    this.assertOpen();
    return new Queue(this.coreHandle, opts);
  }

  /** The core instance's share, for creating rings (host/queues/queue.ts) in the same memory. */
  get coreHandle(): { share: Core["share"]; exports: any } {
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
    if (this.sock) return Promise.reject(new IfpxError("EBUSY", "already listening: call close() first"));
    // Subscribing before the first dump request means nothing that changes
    // during the dump is missed: it arrives as a notification after it.
    const sock = new NetlinkSocket({ groups: this.followed.groups(this.groups), rcvbuf: this.opts.rcvbuf ?? DEFAULT_RCVBUF, netns: this.netns });
    try {
      this.poll = koffi.node.poll(sock.fd, { readable: true }, this.pollCallback);
    } catch (e) {
      sock.close();
      throw Object.assign(new IfpxError("EIO", "cannot poll the netlink socket"), { cause: e });
    }
    this.sock = sock;
    this.followed.refuseGroups(sock.refusedGroups);
    this.paused = false;
    if (this.netns) this.netnsWatch = watchNetnsName(this.netns, guarded(() => this.report(new IfpxError("ENOENT",
      `network namespace "${this.netns}" was deleted (or its name now points to another): ifpx keeps watching the old one, which lives on while ifpx holds it; close() to let go`)), this.reporter));
    const started = new Promise<void>((resolve, reject) => { this.listenWaiter = { resolve, reject }; });
    try {
      this.startSync("initial");
    } catch (e) {
      // nothing was delivered yet: undo the listen, the caller sees why
      const w = this.listenWaiter;
      this.listenWaiter = undefined;
      w?.reject(e);
      void this.stopListening().catch((err) => this.report(err));
    }
    return started;
  }

  /** rte_ifpx_close: stop listening, remove queues (consumers get END), clear callbacks and bindings. Proxies stay. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stopListening();
    for (const q of this.rings.keys()) this.endRing(q);
    this.rings.clear();
    this.externals.clear();
    this.unregisterAllCallbacks();
    for (const id of this.proxies.keys()) {
      const out = this.ports(id);
      for (const port of out) this.core.x.port_unbind(port);
    }
    if (this.listenWaiter) { this.listenWaiter.reject(new IfpxError("ECLOSED", "closed before the initial configuration was complete")); this.listenWaiter = undefined; }
  }

  /** close(), then destroy every proxy this instance created. The instance can no longer be used. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    await this.close();
    // every proxy is tried; the first failure is the rejection, the others go to onError
    let first: unknown;
    for (const id of [...this.proxies.keys()]) {
      try { this.destroyProxy(id); } catch (e) { if (first === undefined) first = e; else this.report(e); }
    }
    this.closed = true;
    if (first !== undefined) throw first;
  }

  private async stopListening(): Promise<void> {
    this.netnsWatch?.close();
    this.netnsWatch = undefined;
    const poll = this.poll;
    this.poll = undefined;
    // a broken handle must not keep the socket open
    try { poll?.stop(); poll?.close(); } catch (e) { this.report(e); }
    const sock = this.sock;
    this.sock = undefined;
    // a pool thread's call must be done with the fd before it is closed (and reused)
    this.dumpRxActive = false;
    this.sendPending = false;
    await this.dumpRx?.idle();
    sock?.close();
    this.sync = undefined;
    this.afterSync.length = 0;
    if (this.syncWatchdog) { clearInterval(this.syncWatchdog); this.syncWatchdog = undefined; }
  }

  /**
   * Stop reading the netlink socket (backpressure). The kernel keeps queueing
   * up to the receive buffer; if it overflows, resume() resynchronises.
   */
  pause(): void {
    this.paused = true;
    this.poll?.stop();
  }

  resume(): void {
    this.paused = false;
    this.rearm();
  }

  // read the socket again (the poll handle); while a pool call is in flight its completion decides
  private rearm(): void {
    if (this.paused || !this.sock || this.dumpRx?.inFlight) return;
    try {
      this.poll?.start({ readable: true }, this.pollCallback);
    } catch (e) {
      this.listenerFailed(Object.assign(new IfpxError("EIO", "cannot poll the netlink socket any more: the listener stopped (call listen() again)"), { cause: e }));
    }
  }

  /**
   * The socket can no longer be read: stop listening (listen() may be called
   * again); a listen() still waiting for CFG_DONE rejects with the error, and
   * onError hears it.
   */
  private listenerFailed(e: unknown): void {
    const w = this.listenWaiter;
    this.listenWaiter = undefined;
    w?.reject(e);
    this.report(e);
    void this.stopListening().catch((err) => this.report(err));
  }

  /** rte_ifpx_events_available: bit (1 << type) for every type this platform reports. */
  eventsAvailable(): number {
    return (1 << (EventType.END + 1)) - 1;
  }

  /**
   * Read the kernel's state again and deliver only the differences, then
   * RESYNC_DONE (as after an overrun). For an application that suspects it
   * missed something; EINVAL when not listening. Returns at once: the dump runs
   * in the background (received on libuv's pool unless dumpThread is false).
   */
  resync(): void {
    this.assertOpen();
    if (!this.sock) throw new IfpxError("EINVAL", "not listening: call listen() first");
    this.requestResync();
  }

  /** Counters of the listener and of the core. */
  stats(): IfpxStats {
    const dumpThread = this.opts.dumpThread === false ? "off" : this.dumpRxActive ? "active" : "ready";
    return { ...this.counters, syncing: this.sync !== undefined || this.pendingKinds !== 0, dumpThread, core: readCoreStats(this.core),
      refused: [...this.followed.refused], unreadable: this.followed.unreadable };
  }

  /** The netlink port id of the listening socket (0 when not listening). */
  get netlinkPortId(): number {
    return this.sock?.portId ?? 0;
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
    if (proxy !== undefined && !this.proxies.has(proxy)) throw new IfpxError("EINVAL", `${shown(proxy)} is not a proxy`);
    const x = this.core.x;
    this.core.check(x.query_begin(proxy ?? -1, bits), "query");
    let total = 0;
    // Synchronous to the end: the mirror only changes in process(), which
    // cannot run meanwhile, so the walk is consistent.
    for (let n = x.query_step() >>> 0; n; n = x.query_step() >>> 0) {
      const p = x.query_ptr() >>> 0, dv = this.core.view;
      for (let i = 0; i < n; i++) fn(dv, p + i * RECORD_SIZE);
      total += n;
    }
    return total;
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
    const k = kindBits(kind);
    if (!k) throw new IfpxError("EINVAL", `unknown kind: "addr", "route" or "neigh"`);
    if (proxy !== undefined && !this.proxies.has(proxy)) throw new IfpxError("EINVAL", `${shown(proxy)} is not a proxy`);
    return this.core.x.mirror_count(k, proxy ?? -1) >>> 0;
  }

  // ---- receive loop ---------------------------------------------------------

  // koffi calls back with (status, events) although its typings say (events)
  private readonly pollCallback = ((status: number) => this.onReadable(status)) as unknown as () => void;

  private onReadable(status: number): void {
    try {
      this.drain();
    } catch (e) {
      this.recoverFrom(e);
    }
    // An overrun sets the socket error: poll() reports POLLERR, and libuv
    // then STOPS the handle and calls back with a negative status. drain()
    // has read the ENOBUFS (which clears the error); start polling again or
    // the listener would go deaf after its first overrun.
    try {
      if (status < 0 && this.poll && this.sock) this.rearm();
    } catch (e) {
      this.report(e);
    }
  }

  private drain(): void {
    const core = this.core;
    for (let round = 0; round < MAX_ROUNDS_PER_WAKEUP && this.sock; round++) {
      if (!this.sync) {
        // live: small datagrams, many per system call
        const b = (this.batch ??= new BatchReceiver(core)).receive(this.sock.fd);
        this.counters.spoofed += b.spoofed;
        if (b.errno) {
          if (b.errno === libc.EINTR) continue;
          if (b.errno === libc.ENOBUFS) { this.overrun(); continue; }
          if (this.followed.unreadableReceive(b.errno)) continue;
          throw new IfpxError("EIO", "netlink receive failed", b.errno);
        }
        if (b.truncated) this.overrun();
        this.counters.datagrams += b.datagrams;
        if (b.bytes) this.processRange(0, b.bytes);
        else if (!b.spoofed && !b.truncated) break;
        continue;
      }
      // a dump: received on the pool while the main thread parses
      if (this.startDumpReceive()) return;
      let off = 0;
      while (core.rxCap - off >= RECV_SLACK && this.sock) {
        const r = this.sock.recv(core.bytes, core.rxPtr + off, core.rxCap - off);
        if (r.spoofed) { this.counters.spoofed++; continue; }
        if (r.errno) {
          if (r.errno === libc.EINTR) continue;
          if (r.errno === libc.ENOBUFS) { this.overrun(); continue; }
          if (this.followed.unreadableReceive(r.errno)) continue;
          throw new IfpxError("EIO", "netlink receive failed", r.errno);
        }
        if (r.truncated) { this.overrun(); continue; }
        if (r.bytes === 0) break;
        this.counters.datagrams++;
        off += (r.bytes + 3) & ~3;
      }
      if (off === 0) break;
      this.processRange(0, off);
    }
    if (this.pendingKinds && !this.sync && this.sock) this.startSync("resync", this.pendingKinds);
  }

  // ---- dumps received on libuv's pool (host/netlink/dump-receiver.ts) ------------------

  /** Take over reading for a dump (the poll handle stops). False: stay on the main thread. */
  private startDumpReceive(): boolean {
    if (this.opts.dumpThread === false || !this.sock) return false;
    if (this.dumpRx?.inFlight) return true; // its completion goes on
    this.dumpRx ??= DumpReceiver.create(this.core);
    if (!this.dumpRx) return false;
    this.poll?.stop();
    this.dumpRxActive = true;
    this.dumpRx.receive(this.sock.fd, this.onDumpBatch);
    return true;
  }

  // One call's datagrams. The next call is issued before they are parsed, so
  // the kernel builds the next datagrams while this thread parses these.
  private readonly onDumpBatch = (batch: DumpBatch): void => {
    const rx = this.dumpRx!;
    if (!this.sock) return; // closed meanwhile
    try {
      if (batch.errno === libc.ENOBUFS) this.overrun();
      else if (batch.errno && batch.errno !== libc.EINTR && !this.followed.unreadableReceive(batch.errno)) this.report(new IfpxError("EIO", "netlink receive failed", batch.errno));
      if (this.sendPending) { this.sendPending = false; this.sendDumpNow(); }
      if (this.sync && !this.paused && (batch.n > 0 || this.justSent)) { this.justSent = false; rx.receive(this.sock.fd, this.onDumpBatch); }
      for (let i = 0; i < batch.n && this.sock; i++) {
        const d = rx.datagram(batch.bank, i);
        if (d.spoofed) { this.counters.spoofed++; continue; }
        if (d.truncated) { this.overrun(); continue; }
        this.counters.datagrams++;
        this.counters.dumpThreadDatagrams++;
        this.processRange(d.off, d.end);
      }
    } catch (e) {
      this.recoverFrom(e);
    } finally {
      // whatever happened above, someone must read the socket next
      try { this.afterDumpBatch(); } catch (e) { this.reportQuietly(e); }
    }
  };

  private afterDumpBatch(): void {
    const rx = this.dumpRx!;
    if (rx.inFlight || !this.sock) return;
    // Nothing in flight: go on if a request was just sent (its answer is
    // already queued); otherwise (nothing to read, the sync over, or paused)
    // the poll handle reads again, and brings us back here for the next dump.
    if (this.sync && !this.paused && this.justSent) { this.justSent = false; rx.receive(this.sock.fd, this.onDumpBatch); return; }
    this.justSent = false;
    this.dumpRxActive = false;
    this.rearm();
    if (this.pendingKinds && !this.sync) this.startSync("resync", this.pendingKinds);
  }

  // an error from a pool completion must not escape into koffi (nothing would catch it)
  private reportQuietly(e: unknown): void {
    try { this.report(e); } catch { /* onError threw */ }
  }

  /**
   * Receiving or parsing failed part-way: the datagrams read are gone, so the
   * mirror may now miss what they said. Report, and read the kernel's state
   * again (as after an overrun) so that nothing stays lost.
   */
  private recoverFrom(e: unknown): void {
    this.reportQuietly(e);
    if (!this.sock) return;
    try {
      this.resyncKinds(KIND_ALL);
      if (this.pendingKinds && !this.sync && !this.dumpRx?.inFlight) this.startSync("resync", this.pendingKinds);
    } catch (again) {
      this.reportQuietly(again);
    }
  }

  private processRange(start: number, len: number): void {
    const x = this.core.x;
    if (this.sync) this.syncProgressAt = Date.now();
    let p = start;
    let job = false;
    while ((p < len || job) && this.sock) {
      const n = x.process(p, len) >>> 0;
      const st = this.core.status();
      // A kernel-silent deletion (e.g. IPv4 routes of a link that went down)
      // may need more staging room than one call has: call again to finish it.
      job = (st.flags & ST_JOB) !== 0;
      if (n) this.deliver(this.core.stagedPtr, n);
      const sync = this.sync;
      if (sync && (st.flags & ST_DUMP_INTR)) sync.restart = true;
      if (st.flags & ST_NEXTHOP) this.nexthopChanged();
      if (st.flags & ST_ROUTES) this.routesUnsettled();
      if (sync && (st.flags & (ST_DONE | ST_ERROR)) && st.seq === sync.seq) this.dumpFinished(st.flags, st.error);
      if (st.nextOff <= p && !job) break; // the core could not advance: never spin
      p = st.nextOff;
    }
  }

  /**
   * A nexthop object that mirrored routes use was deleted or changed: the
   * kernel changed or deleted those routes without a route notification
   * (assembly/nexthops.ts). Dump the routes again (nothing else changed).
   */
  private nexthopChanged(): void {
    this.counters.nexthopResyncs++;
    this.resyncKinds(KIND_ROUTE);
  }

  /**
   * An IPv4 change whose outcome the kernel's messages leave open: a replace
   * or delete among routes sharing an identity (assembly/parse_route.ts), a
   * proxy down under a multipath route with next hops elsewhere (assembly/jobs.ts).
   * Dump the routes again.
   */
  private routesUnsettled(): void {
    this.counters.routeResyncs++;
    this.resyncKinds(KIND_ROUTE);
  }

  /** ENOBUFS: the kernel dropped notifications; netlink(7) says resynchronise. */
  private overrun(): void {
    this.counters.overruns++;
    this.resyncKinds(KIND_ALL);
  }

  /** Dump `kinds` again: restart the sync in progress (widened to them), or start one when idle. */
  private resyncKinds(kinds: number): void {
    const sync = this.sync;
    if (sync) { sync.restart = true; sync.kinds |= kinds; }
    else this.pendingKinds |= kinds;
  }

  private requestResync(): void {
    if (this.sync) { this.sync.restart = true; this.sync.kinds = KIND_ALL; }
    else if (this.sock) this.whenIdle(() => { if (!this.sync && this.sock) this.startSync("resync", KIND_ALL); });
  }

  // A sync that sees no datagram for this long is stuck (a reply dropped by a
  // full socket, or a pending dump nobody's recvmsg resumes): dump again. The
  // longest silence inside a healthy dump measured here was ~60 ms (the
  // kernel walking 1M routes for another table's entries in one recvmsg).
  private syncProgressAt = 0;
  private syncWatchdog: ReturnType<typeof setInterval> | undefined;

  private watchSync(): void {
    this.syncProgressAt = Date.now();
    if (this.syncWatchdog) return;
    this.syncWatchdog = safeInterval(() => {
      const sync = this.sync;
      if (!sync || !this.sock) { clearInterval(this.syncWatchdog); this.syncWatchdog = undefined; return; }
      if (Date.now() - this.syncProgressAt < SYNC_STALL_MS) return;
      this.syncProgressAt = Date.now();
      this.counters.syncStalls++;
      this.restartSync(sync);
    }, SYNC_STALL_MS / 4, this.reporter);
  }

  private startSync(reason: SyncState["reason"], kinds = KIND_ALL): void {
    kinds &= this.followed.bits;
    this.pendingKinds = 0;
    this.watchSync();
    if (reason === "resync") this.counters.resyncs++;
    this.sync = { reason, kinds, dumps: this.dumpsOf(kinds), step: 0, seq: 0, restart: false };
    // Dumps on one socket, one at a time: a second dump while one is running
    // fails with EBUSY. Notifications keep arriving between dump chunks; the
    // core marks everything it sees during the sync, so nothing a
    // notification added is swept at the end. Only the kinds dumped are swept.
    this.core.x.sync_begin(kinds, reason === "initial" ? 1 : 8);
    this.sendDump();
  }

  private dumpsOf(kinds: number): [number, number][] {
    return this.dumps.filter((_, i) => (kinds & DUMP_KINDS[i]) !== 0);
  }

  private sendDump(): void {
    const sync = this.sync!;
    sync.seq = this.seq = (this.seq + 1) >>> 0 || 1;
    // never while a pool thread is inside recvmsg() on this socket (see dump-receiver.ts)
    if (this.dumpRx?.inFlight) { this.sendPending = true; return; }
    this.sendDumpNow();
  }

  private sendDumpNow(): void {
    const sync = this.sync;
    if (!sync || !this.sock) return;
    const [type, family] = sync.dumps[sync.step];
    try {
      this.sock.sendDump(type, sync.seq, family);
      this.justSent = true;
    } catch (e) {
      const errno = (e as IfpxError).errno ?? 0;
      if (!this.dumpRefused(errno)) this.dumpRequestFailed(errno);
    }
  }

  /**
   * The kernel refused the current dump (host/followed-kinds.ts): go on
   * without its kind. The initial sync just leaves the step out (the mirror
   * has nothing of that kind yet to sweep); a resync begins again without the
   * kind, or its sweep would remove what earlier syncs mirrored.
   */
  private dumpRefused(errno: number): boolean {
    const sync = this.sync;
    if (!sync || !this.sock) return false;
    const kind = this.followed.refuseDump(sync.dumps[sync.step][0], errno);
    if (!kind) return false;
    // its notifications would keep coming (under qemu-user: as unreadable datagrams)
    this.sock.dropGroups(this.followed.groupsOf(kind) & this.groups);
    if (sync.reason === "resync" || sync.restart) { this.restartSync(sync); return true; }
    sync.kinds &= ~kind;
    sync.dumps.splice(sync.step, 1);
    if (sync.step < sync.dumps.length) this.sendDump();
    else this.finishSync();
    return true;
  }

  /** sendto() of a dump request failed (ENOBUFS under memory pressure): report it, ask again soon */
  private dumpRequestFailed(errno: number): void {
    const sync = this.sync;
    this.report(new IfpxError("EIO", "netlink dump request failed; retrying in 100 ms", errno));
    this.counters.dumpRetries++;
    safeTimeout(() => { if (sync && this.sync === sync && this.sock) this.sendDump(); }, 100, this.reporter);
  }

  private dumpFinished(flags: number, error: number): void {
    const sync = this.sync!;
    if (flags & ST_ERROR) {
      if (-error === EBUSY || -error === libc.EINTR) {
        this.counters.dumpRetries++;
        safeTimeout(() => { if (this.sync === sync && this.sock) this.sendDump(); }, 10, this.reporter);
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
        this.counters.overruns++;
        sync.restart = true;
        sync.kinds = KIND_ALL;
        return;
      } else if (this.dumpRefused(-error)) {
        return;
      } else {
        this.report(new IfpxError("EIO", `netlink dump ${sync.dumps[sync.step][0]} failed`, -error));
      }
    }
    if (sync.restart) {
      // Interrupted (NLM_F_DUMP_INTR) or notifications lost meanwhile: begin again.
      this.restartSync(sync);
      return;
    }
    if (++sync.step < sync.dumps.length) { this.sendDump(); return; }
    this.finishSync();
  }

  /** Dump everything again from the first step (a new seq: a DONE of the old dump is ignored). */
  private restartSync(sync: SyncState): void {
    this.counters.dumpRetries++;
    sync.restart = false;
    sync.step = 0;
    sync.kinds &= this.followed.bits;
    sync.dumps = this.dumpsOf(sync.kinds);
    this.core.x.sync_begin(sync.kinds, sync.reason === "initial" ? 1 : 8);
    this.sendDump();
  }

  private finishSync(): void {
    const x = this.core.x;
    const sync = this.sync!;
    for (let n = x.sync_end_step() >>> 0; n; n = x.sync_end_step() >>> 0) this.deliver(this.core.stagedPtr, n);
    this.sync = undefined;
    if (sync.reason === "initial") {
      this.stageAndDeliver(EventType.CFG_DONE, 0xffff);
      const w = this.listenWaiter;
      this.listenWaiter = undefined;
      w?.resolve();
    } else {
      const s = readCoreStats(this.core);
      this.stageAndDeliver(EventType.RESYNC_DONE, 0xffff, s.sync_added ?? 0, s.sync_removed ?? 0, s.sync_changed ?? 0, 1);
    }
    if (this.pendingKinds) { this.startSync("resync", this.pendingKinds); return; }
    for (const fn of this.afterSync.splice(0)) fn();
  }

  private stageAndDeliver(type: number, port: number, a = 0, b = 0, c = 0, d = 0): void {
    const n = this.core.x.stage_marker(type, port, a, b, c, d) >>> 0;
    if (n) this.deliver(this.core.stagedPtr, n);
  }

  /**
   * A dump in progress (initial, resync, or the read of an adopted interface)
   * would leave the mirror incomplete: replay once it is over. The port may
   * then see an entry twice (from the dump and from the replay); ADDs are
   * upserts, and PORT_DONE still means "all state delivered".
   */
  private lateBind(proxy: number, port: number): void {
    if (this.sync || this.pendingKinds) this.afterSync.push(() => this.replay(proxy, port));
    else this.replay(proxy, port);
  }

  /** Late binding: the port gets its proxy's full state from the mirror, then PORT_DONE. */
  private replay(proxy: number, port: number): void {
    if (!this.sock || this.core.x.proxy_of_port(port) !== proxy) return;
    const x = this.core.x;
    x.replay_begin(proxy, port);
    for (let n = x.replay_step() >>> 0; n; n = x.replay_step() >>> 0) this.deliver(this.core.stagedPtr, n);
    this.stageAndDeliver(EventType.PORT_DONE, port);
  }

  /** Run now, or after the current dispatch when called from inside a callback (the staging area is in use). */
  private whenIdle(fn: () => void): void {
    if (this.dispatching) this.deferred.push(fn);
    else fn();
  }

  // ---- delivery -------------------------------------------------------------

  private deliver(ptr: number, n: number): void {
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
    }, this.reporter);
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

  // ---- helpers --------------------------------------------------------------

  private report(e: unknown): void {
    reportSafely(this.opts.onError, e);
  }

  private readonly reporter = (e: unknown): void => this.report(e);

  // a callback's promise rejected (host/callback-result.ts)
  private readonly onCallbackRejected = (e: unknown): void => {
    this.counters.callbackErrors++;
    this.report(e);
  };

  private assertOpen(): void {
    if (this.closed) throw new IfpxError("ECLOSED", "this Ifpx instance was disposed");
  }

  private checkId(id: number, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id > MAX_PORT_ID) throw new IfpxError("EINVAL", `invalid ${what} ${shown(id)}: an integer 0..${MAX_PORT_ID}`);
  }
}

function kindBits(kind: unknown): number {
  return typeof kind === "string" && Object.hasOwn(KIND_BITS, kind) ? KIND_BITS[kind as MirrorKind] : 0;
}

function isType(t: unknown): t is number {
  return Number.isInteger(t) && (t as number) >= 0 && (t as number) <= EventType.END;
}

function isExternal(q: AnyQueue): q is ExternalQueue {
  return typeof (q as ExternalQueue).publish === "function";
}

/** Proxy info block of the core (assembly/proxies.ts). */
export function readProxyInfo(dv: DataView, p: number) {
  const mac: string[] = [];
  for (let i = 0; i < 6; i++) mac.push(dv.getUint8(p + PI.mac + i).toString(16).padStart(2, "0"));
  let name = "";
  for (let i = 0; i < 16; i++) { const c = dv.getUint8(p + PI.name + i); if (!c) break; name += String.fromCharCode(c); }
  return {
    ifindex: dv.getInt32(p + PI.ifindex, true),
    mtu: dv.getUint32(p + PI.mtu, true),
    mac: mac.join(":"),
    flags: dv.getUint32(p + PI.flags, true),
    operstate: dv.getUint8(p + PI.operstate),
    known: dv.getUint8(p + PI.known) !== 0,
    gone: dv.getUint8(p + PI.gone) !== 0,
    name,
  };
}
const PI = { ifindex: 0, mtu: 4, mac: 8, flags: 16, operstate: 20, known: 21, gone: 22, name: 24 };
