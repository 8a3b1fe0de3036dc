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
  /** A data port's MAC, MTU and link (DPDK: rte_eth_macaddr_get, rte_eth_dev_get_mtu,
   *  rte_eth_link_get_nowait); what port -> proxy sync copies (host/proxies/port-sync.ts). */
  linkOf?(port: number): { mac: string; mtu: number; up: boolean };
  /** Set the MAC of a proxy this backend made (DPDK: rte_eth_dev_default_mac_addr_set). */
  setProxyMac?(proxy: number, mac: string): void;
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
  /**
   * Port -> proxy sync in DPDK mode (default true; README "Port -> proxy
   * sync"): bind() copies the port's MAC and MTU onto its proxy and sets the
   * proxy's carrier from the port's link; while listening the ports' link is
   * polled and the carrier follows. `false`: ifpx never writes to a proxy by
   * itself (setCarrier and setPortLink still work).
   */
  portSync?: boolean;
  /** ms between two polls of the DPDK ports' link status while listening (default 200; 0: no polling) */
  linkPollMs?: number;
  /**
   * Sub-interfaces (VPP linux-cp's lcp-auto-subint), default off: a VLAN
   * created on a proxy (`ip link add link dp0 name dp0.100 type vlan id 100`),
   * and a VLAN on such a VLAN (QinQ), becomes a proxy itself (ids from
   * 0xF000): SUBIF_ADD / SUBIF_DEL go to the ports of the root proxy, and its
   * addresses, routes and neighbours to the ports bound to it. `port` names
   * that port (it is bound as by bind(): state replayed, then PORT_DONE);
   * without it, or when it returns undefined, none is bound until the
   * application calls bind(port, sub.proxyId). Off by default because it
   * changes which interfaces are followed and adds event types an
   * upstream-ABI consumer does not know.
   */
  subinterfaces?: boolean | { port?: (sub: SubinterfaceInfo) => number | undefined };
}

/** A sub-interface the core made a proxy (option subinterfaces); the fields of SUBIF_ADD. */
export interface SubinterfaceInfo {
  proxyId: number;
  ifindex: number;
  name: string;
  /** the proxy it was created on (for QinQ the outer sub-interface) */
  parentProxy: number;
  /** the untagged proxy at the bottom */
  rootProxy: number;
  /** its own (innermost) tag and TPID: 0x8100 802.1Q, 0x88a8 802.1ad */
  vlanId: number;
  vlanProto: number;
  /** QinQ: the outer tag and TPID, else 0 */
  outerVlanId: number;
  outerVlanProto: number;
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
  /** syncs followed by another because more deletions were announced during them than the core remembers (a deletion announced before a dump datagram listing the entry must not bring it back; assembly/tombstones.ts) */
  tombstoneResyncs: number;
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

