// TypeScript mirror of the 64-byte event record (native/include/ifpx_event.h is
// the definition; assembly/record.ts mirrors it too; tests/unit/record-decode
// checks all three agree) and a decoder to typed objects.

export const EVENT_SIZE = 64;
export const PORT_NONE = 0xffff;

export const EventType = {
  MAC_CHANGE: 0,
  MTU_CHANGE: 1,
  LINK_CHANGE: 2,
  ADDR_ADD: 3,
  ADDR_DEL: 4,
  ADDR6_ADD: 5,
  ADDR6_DEL: 6,
  ROUTE_ADD: 7,
  ROUTE_DEL: 8,
  ROUTE6_ADD: 9,
  ROUTE6_DEL: 10,
  NEIGH_ADD: 11,
  NEIGH_DEL: 12,
  NEIGH6_ADD: 13,
  NEIGH6_DEL: 14,
  CFG_DONE: 15,
  PROXY_GONE: 16,
  PORT_DONE: 17,
  RESYNC_DONE: 18,
  OVERFLOW: 19,
  REPLAY_DONE: 20,
  END: 21,
  SUBIF_ADD: 22,
  SUBIF_DEL: 23,
  MASTER_CHANGE: 24,
} as const;
export type EventTypeName = keyof typeof EventType;
export type EventTypeId = (typeof EventType)[EventTypeName];
export const EVENT_TYPE_COUNT = 25;
export const EVENT_TYPE_NAMES: readonly EventTypeName[] = Object.freeze(
  (Object.keys(EventType) as EventTypeName[]).sort((a, b) => EventType[a] - EventType[b]),
);

export const EventFlag = {
  INITIAL: 0x01,
  REPLACE: 0x02,
  LOCAL: 0x04,
  RESYNC: 0x08,
  MULTIPATH: 0x10,
  /** an IPv4 route whose gateway is an IPv6 address (RTA_VIA, RFC 5549): `gateway`/`gatewayBytes` hold it */
  GATEWAY6: 0x20,
} as const;

/** Byte offsets inside a record (same names as assembly/record.ts without the R_ prefix). */
export const Off = {
  TYPE: 0, PORT: 2, PROXY: 4, FLAGS: 6, FAMILY: 7, IFINDEX: 8, SEQ: 12,
  MAC: 16, MTU: 16,
  LINK_UP: 16, LINK_CARRIER: 17, LINK_OPER: 18, LINK_FLAGS: 20,
  ADDR_IP: 16, ADDR_PREFIX: 32, ADDR_SCOPE: 33, ADDR_FLAGS: 36,
  ROUTE_DST: 16, ROUTE_GW: 32, ROUTE_DEPTH: 48, ROUTE_TYPE: 49, ROUTE_PROTO: 50, ROUTE_SCOPE: 51,
  ROUTE_TABLE: 52, ROUTE_PRIO: 56, ROUTE_WEIGHT: 60, ROUTE_NHCOUNT: 61, ROUTE_TOS: 62,
  NEIGH_IP: 16, NEIGH_MAC: 32, NEIGH_STATE: 38, NEIGH_FLAGS: 40, NEIGH_TYPE: 41,
  OVERFLOW_LOST: 16, RESYNC_ADDED: 16,
  SUBIF_PARENT: 16, SUBIF_ROOT: 18, SUBIF_PARENT_IFINDEX: 20, SUBIF_VLAN: 24, SUBIF_PROTO: 26,
  SUBIF_OUTER_VLAN: 28, SUBIF_OUTER_PROTO: 30, SUBIF_NAME: 32,
  MASTER_IFINDEX: 16, MASTER_VRF_TABLE: 20, MASTER_KIND: 24, MASTER_NAME: 32,
} as const;

/** MASTER_CHANGE's `kind` (IFPX_MASTER_* in ifpx_event.h) */
export const MasterKind = { NONE: 0, VRF: 1, BRIDGE: 2, BOND: 3, OTHER: 4 } as const;
export type MasterKindName = "none" | "vrf" | "bridge" | "bond" | "other";
const MASTER_KIND_NAMES: readonly MasterKindName[] = ["none", "vrf", "bridge", "bond", "other"];
/** VLAN tag protocols (TPID) as SUBIF events carry them */
export const VlanProto = { DOT1Q: 0x8100, DOT1AD: 0x88a8 } as const;

export interface EventBase {
  typeId: number;
  portId: number;
  proxyId: number;
  flags: number;
  family: number;
  ifindex: number;
  seq: number;
}
export interface MacChangeEvent extends EventBase { type: "MAC_CHANGE"; mac: string }
export interface MtuChangeEvent extends EventBase { type: "MTU_CHANGE"; mtu: number }
export interface LinkChangeEvent extends EventBase {
  type: "LINK_CHANGE"; isUp: boolean; carrier: boolean; operstate: number; ifFlags: number;
}
export interface AddrEvent extends EventBase {
  type: "ADDR_ADD" | "ADDR_DEL"; ip: string; ipNum: number; prefixLen: number; scope: number; ifaFlags: number;
}
export interface Addr6Event extends EventBase {
  type: "ADDR6_ADD" | "ADDR6_DEL"; ip: string; ipBytes: Uint8Array; prefixLen: number; scope: number; ifaFlags: number;
}
interface RouteCommon {
  depth: number; table: number; routeType: number; protocol: number; scope: number;
  priority: number; weight: number; nhCount: number; tos: number;
}
export interface RouteEvent extends EventBase, RouteCommon {
  type: "ROUTE_ADD" | "ROUTE_DEL"; ip: string; ipNum: number; gateway: string; gatewayNum: number;
  /** with flag GATEWAY6 only: the IPv6 gateway's 16 bytes (gatewayNum is then 0) */
  gatewayBytes?: Uint8Array;
}
export interface Route6Event extends EventBase, RouteCommon {
  type: "ROUTE6_ADD" | "ROUTE6_DEL"; ip: string; ipBytes: Uint8Array; gateway: string; gatewayBytes: Uint8Array;
}
export interface NeighEvent extends EventBase {
  type: "NEIGH_ADD" | "NEIGH_DEL"; ip: string; ipNum: number; mac: string; state: number; ntfFlags: number; ndmType: number;
}
export interface Neigh6Event extends EventBase {
  type: "NEIGH6_ADD" | "NEIGH6_DEL"; ip: string; ipBytes: Uint8Array; mac: string; state: number; ntfFlags: number; ndmType: number;
}
export interface OverflowEvent extends EventBase { type: "OVERFLOW"; lost: number }
export interface ResyncDoneEvent extends EventBase {
  type: "RESYNC_DONE"; added: number; removed: number; changed: number; reason: number;
}
export interface MarkerEvent extends EventBase {
  type: "CFG_DONE" | "PROXY_GONE" | "PORT_DONE" | "REPLAY_DONE" | "END";
}
/**
 * SUBIF_ADD / SUBIF_DEL: `proxyId`/`ifindex` are the sub-interface's own;
 * `portId` is a port bound to `rootProxy` (one copy per such port).
 */
export interface SubifEvent extends EventBase {
  type: "SUBIF_ADD" | "SUBIF_DEL";
  parentProxy: number; rootProxy: number; parentIfindex: number;
  /** the innermost tag (the sub-interface's own) and its TPID (0x8100 802.1Q, 0x88a8 802.1ad) */
  vlanId: number; vlanProto: number;
  /** QinQ: the outer tag and its TPID; 0 for a single tag */
  outerVlanId: number; outerVlanProto: number;
  name: string;
}
/** MASTER_CHANGE: the proxy's master device (IFLA_MASTER); master 0: none. */
export interface MasterChangeEvent extends EventBase {
  type: "MASTER_CHANGE";
  master: number; masterKind: MasterKindName; masterKindId: number;
  /** the VRF's table when masterKind is "vrf", else 0 */
  vrfTable: number;
  masterName: string;
}
export interface UnknownEvent extends EventBase { type: "UNKNOWN" }

export type IfpxEvent =
  | MacChangeEvent | MtuChangeEvent | LinkChangeEvent | AddrEvent | Addr6Event | RouteEvent | Route6Event
  | NeighEvent | Neigh6Event | OverflowEvent | ResyncDoneEvent | MarkerEvent | SubifEvent | MasterChangeEvent
  | UnknownEvent;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

export function macToString(v: DataView, off: number): string {
  return `${HEX[v.getUint8(off)]}:${HEX[v.getUint8(off + 1)]}:${HEX[v.getUint8(off + 2)]}:` +
    `${HEX[v.getUint8(off + 3)]}:${HEX[v.getUint8(off + 4)]}:${HEX[v.getUint8(off + 5)]}`;
}

function cString(v: DataView, off: number, max: number): string {
  let out = "";
  for (let i = 0; i < max; i++) { const c = v.getUint8(off + i); if (!c) break; out += String.fromCharCode(c); }
  return out;
}

/** Host-order IPv4 number to dotted text. */
export function ipv4ToString(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** 16 network-order bytes to RFC 5952 text (longest zero run of >= 2 groups as ::). */
export function ipv6ToString(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  // IPv4-mapped ::ffff:a.b.c.d
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

function bytes16(v: DataView, off: number): Uint8Array {
  // a copy: the record's memory is reused by the next dequeue
  const out = new Uint8Array(16);
  out.set(new Uint8Array(v.buffer, v.byteOffset + off, 16));
  return out;
}

/** The type id of the record at off. */
export function eventTypeAt(v: DataView, off: number): number {
  return v.getUint16(off, true);
}

/** Decode the 64-byte record at byte offset `off` of `view` (little-endian). */
export function decodeEvent(v: DataView, off: number): IfpxEvent {
  const typeId = v.getUint16(off, true);
  const base: EventBase & { type: string } = {
    type: EVENT_TYPE_NAMES[typeId] ?? "UNKNOWN",
    typeId,
    portId: v.getUint16(off + Off.PORT, true),
    proxyId: v.getUint16(off + Off.PROXY, true),
    flags: v.getUint8(off + Off.FLAGS),
    family: v.getUint8(off + Off.FAMILY),
    ifindex: v.getUint32(off + Off.IFINDEX, true),
    seq: v.getUint32(off + Off.SEQ, true),
  };
  const e = base as any;
  switch (typeId) {
    case EventType.MAC_CHANGE:
      e.mac = macToString(v, off + Off.MAC);
      break;
    case EventType.MTU_CHANGE:
      e.mtu = v.getUint32(off + Off.MTU, true);
      break;
    case EventType.LINK_CHANGE:
      e.isUp = v.getUint8(off + Off.LINK_UP) !== 0;
      e.carrier = v.getUint8(off + Off.LINK_CARRIER) !== 0;
      e.operstate = v.getUint8(off + Off.LINK_OPER);
      e.ifFlags = v.getUint32(off + Off.LINK_FLAGS, true);
      break;
    case EventType.ADDR_ADD:
    case EventType.ADDR_DEL:
    case EventType.ADDR6_ADD:
    case EventType.ADDR6_DEL:
      if (typeId === EventType.ADDR_ADD || typeId === EventType.ADDR_DEL) {
        e.ipNum = v.getUint32(off + Off.ADDR_IP, true);
        e.ip = ipv4ToString(e.ipNum);
      } else {
        e.ipBytes = bytes16(v, off + Off.ADDR_IP);
        e.ip = ipv6ToString(e.ipBytes);
      }
      e.prefixLen = v.getUint8(off + Off.ADDR_PREFIX);
      e.scope = v.getUint8(off + Off.ADDR_SCOPE);
      e.ifaFlags = v.getUint32(off + Off.ADDR_FLAGS, true);
      break;
    case EventType.ROUTE_ADD:
    case EventType.ROUTE_DEL:
    case EventType.ROUTE6_ADD:
    case EventType.ROUTE6_DEL:
      if (typeId <= EventType.ROUTE_DEL) {
        e.ipNum = v.getUint32(off + Off.ROUTE_DST, true);
        e.ip = ipv4ToString(e.ipNum);
        if (e.flags & EventFlag.GATEWAY6) {
          e.gatewayNum = 0;
          e.gatewayBytes = bytes16(v, off + Off.ROUTE_GW);
          e.gateway = ipv6ToString(e.gatewayBytes);
        } else {
          e.gatewayNum = v.getUint32(off + Off.ROUTE_GW, true);
          e.gateway = ipv4ToString(e.gatewayNum);
        }
      } else {
        e.ipBytes = bytes16(v, off + Off.ROUTE_DST);
        e.ip = ipv6ToString(e.ipBytes);
        e.gatewayBytes = bytes16(v, off + Off.ROUTE_GW);
        e.gateway = ipv6ToString(e.gatewayBytes);
      }
      e.depth = v.getUint8(off + Off.ROUTE_DEPTH);
      e.routeType = v.getUint8(off + Off.ROUTE_TYPE);
      e.protocol = v.getUint8(off + Off.ROUTE_PROTO);
      e.scope = v.getUint8(off + Off.ROUTE_SCOPE);
      e.table = v.getUint32(off + Off.ROUTE_TABLE, true);
      e.priority = v.getUint32(off + Off.ROUTE_PRIO, true);
      e.weight = v.getUint8(off + Off.ROUTE_WEIGHT);
      e.nhCount = v.getUint8(off + Off.ROUTE_NHCOUNT);
      e.tos = v.getUint8(off + Off.ROUTE_TOS);
      break;
    case EventType.NEIGH_ADD:
    case EventType.NEIGH_DEL:
      e.ipNum = v.getUint32(off + Off.NEIGH_IP, true);
      e.ip = ipv4ToString(e.ipNum);
      e.mac = macToString(v, off + Off.NEIGH_MAC);
      e.state = v.getUint16(off + Off.NEIGH_STATE, true);
      e.ntfFlags = v.getUint8(off + Off.NEIGH_FLAGS);
      e.ndmType = v.getUint8(off + Off.NEIGH_TYPE);
      break;
    case EventType.NEIGH6_ADD:
    case EventType.NEIGH6_DEL:
      e.ipBytes = bytes16(v, off + Off.NEIGH_IP);
      e.ip = ipv6ToString(e.ipBytes);
      e.mac = macToString(v, off + Off.NEIGH_MAC);
      e.state = v.getUint16(off + Off.NEIGH_STATE, true);
      e.ntfFlags = v.getUint8(off + Off.NEIGH_FLAGS);
      e.ndmType = v.getUint8(off + Off.NEIGH_TYPE);
      break;
    case EventType.OVERFLOW:
      e.lost = v.getUint32(off + Off.OVERFLOW_LOST, true);
      break;
    case EventType.RESYNC_DONE:
      e.added = v.getUint32(off + Off.RESYNC_ADDED, true);
      e.removed = v.getUint32(off + Off.RESYNC_ADDED + 4, true);
      e.changed = v.getUint32(off + Off.RESYNC_ADDED + 8, true);
      e.reason = v.getUint32(off + Off.RESYNC_ADDED + 12, true);
      break;
    case EventType.SUBIF_ADD:
    case EventType.SUBIF_DEL:
      e.parentProxy = v.getUint16(off + Off.SUBIF_PARENT, true);
      e.rootProxy = v.getUint16(off + Off.SUBIF_ROOT, true);
      e.parentIfindex = v.getUint32(off + Off.SUBIF_PARENT_IFINDEX, true);
      e.vlanId = v.getUint16(off + Off.SUBIF_VLAN, true);
      e.vlanProto = v.getUint16(off + Off.SUBIF_PROTO, true);
      e.outerVlanId = v.getUint16(off + Off.SUBIF_OUTER_VLAN, true);
      e.outerVlanProto = v.getUint16(off + Off.SUBIF_OUTER_PROTO, true);
      e.name = cString(v, off + Off.SUBIF_NAME, 16);
      break;
    case EventType.MASTER_CHANGE:
      e.master = v.getUint32(off + Off.MASTER_IFINDEX, true);
      e.vrfTable = v.getUint32(off + Off.MASTER_VRF_TABLE, true);
      e.masterKindId = v.getUint8(off + Off.MASTER_KIND);
      e.masterKind = MASTER_KIND_NAMES[e.masterKindId] ?? "other";
      e.masterName = cString(v, off + Off.MASTER_NAME, 16);
      break;
  }
  return e as IfpxEvent;
}

/** Neighbour states (NUD_*, linux/neighbour.h) carried by NEIGH events in `state`. */
export const Nud = {
  NONE: 0x00, INCOMPLETE: 0x01, REACHABLE: 0x02, STALE: 0x04, DELAY: 0x08,
  PROBE: 0x10, FAILED: 0x20, NOARP: 0x40, PERMANENT: 0x80,
} as const;
/** The states in which the kernel itself would use the entry's MAC (NUD_VALID). */
export const NUD_VALID = Nud.PERMANENT | Nud.NOARP | Nud.REACHABLE | Nud.PROBE | Nud.STALE | Nud.DELAY;

/**
 * Whether a NEIGH_ADD/NEIGH6_ADD carries a MAC a data plane may forward to.
 * The kernel also reports neighbours it is still resolving (INCOMPLETE) or
 * gave up on (FAILED, e.g. just before `ip neigh del`), with no MAC: those are
 * reported faithfully, and a data plane should treat them as unresolved.
 */
export function neighUsable(state: number): boolean {
  return (state & NUD_VALID) !== 0;
}

/**
 * Write an OVERFLOW record (port and proxy none, `lost` records since the
 * previous one) at dv[off..off+64): the one host-side builder, used by a
 * replay's backlog and by RteRingQueue. The core builds its own in
 * assembly/ring.ts from the same offsets (assembly/record.ts).
 */
export function writeOverflowRecord(dv: DataView, off: number, lost: number): void {
  for (let i = 0; i < EVENT_SIZE; i += 4) dv.setUint32(off + i, 0, true);
  dv.setUint16(off + Off.TYPE, EventType.OVERFLOW, true);
  dv.setUint16(off + Off.PORT, PORT_NONE, true);
  dv.setUint16(off + Off.PROXY, PORT_NONE, true);
  dv.setUint32(off + Off.OVERFLOW_LOST, Math.min(lost, 0xffffffff), true);
}
