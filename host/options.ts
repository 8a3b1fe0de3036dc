// The options and the answers of the public API (types only).
import type { FollowKind, Refusal } from "./followed-kinds.js";
import type { MasterKindName } from "./record.js";

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
   * grow as they fill: they double, and beyond 1M slots grow by half; a growth
   * rehashes in place when the table's block can be extended (else the block
   * is moved once by the allocator), so no table is held twice (assembly/table.ts).
   * A reservation sizes each table once, up front, and skips those rehashes.
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

export interface ProxyInfo {
  ifindex: number;
  name: string;
  mtu: number;
  mac: string;
  up: boolean;
  /** The master device (IFLA_MASTER) as the last MASTER_CHANGE said; absent: none (README "VRF and other masters"). */
  master?: ProxyMaster;
}

export interface ProxyMaster {
  ifindex: number;
  /** "" when ifpx has not seen the master's own link message (README) */
  name: string;
  kind: MasterKindName;
  /** the VRF's FIB table when kind is "vrf", else 0 */
  vrfTable: number;
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

