// Netlink messages as the kernel builds them, for the sub-interface tests
// (tests/unit/subif.test.ts): a VLAN's RTM_NEWLINK/DELLINK in the attribute
// order of rtnl_fill_ifinfo (net/core/rtnetlink.c: IFNAME, TXQLEN, OPERSTATE,
// LINKMODE, MTU, MIN/MAX_MTU, GROUP, PROMISCUITY, ALLMULTI, queue and GSO/TSO
// limits, CARRIER, QDISC, carrier counters, PROTO_DOWN, MAP, ADDRESS,
// BROADCAST, STATS64, STATS, XDP, LINKINFO, [LINK_NETNSID], LINK, AF_SPEC) with
// IFLA_LINKINFO as rtnl_link_info_fill and vlan_fill_info
// (net/8021q/vlan_netlink.c) write it: KIND "vlan\0", DATA { PROTOCOL be16,
// ID u16, FLAGS {flags, mask ~0} when flags != 0 (REORDER_HDR by default) }.
// And an interface address, an IPv4 route and a neighbour, as the kernel
// reports them (inet_fill_ifaddr, fib_dump_info, neigh_fill_info).
import { attr, nlmsg, u32le, ip4be, concat } from "./core.ts";

export const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_NEWNEIGH = 28;
export const NLM_F_MULTI = 2;
export const ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8;
const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;
const IFLA_IFNAME = 3, IFLA_TXQLEN = 13, IFLA_OPERSTATE = 16, IFLA_LINKMODE = 17, IFLA_MTU = 4, IFLA_MIN_MTU = 50,
  IFLA_MAX_MTU = 51, IFLA_GROUP = 27, IFLA_PROMISCUITY = 30, IFLA_ALLMULTI = 61, IFLA_NUM_TX_QUEUES = 31,
  IFLA_GSO_MAX_SEGS = 40, IFLA_GSO_MAX_SIZE = 41, IFLA_GRO_MAX_SIZE = 58, IFLA_TSO_MAX_SIZE = 59, IFLA_TSO_MAX_SEGS = 60,
  IFLA_NUM_RX_QUEUES = 32, IFLA_CARRIER = 33, IFLA_QDISC = 6, IFLA_CARRIER_CHANGES = 35, IFLA_CARRIER_UP_COUNT = 47,
  IFLA_CARRIER_DOWN_COUNT = 48, IFLA_PROTO_DOWN = 39, IFLA_MAP = 14, IFLA_ADDRESS = 1, IFLA_BROADCAST = 2,
  IFLA_STATS64 = 23, IFLA_STATS = 7, IFLA_XDP = 43, IFLA_XDP_ATTACHED = 2, IFLA_LINKINFO = 18, IFLA_INFO_KIND = 1,
  IFLA_INFO_DATA = 2, IFLA_VLAN_ID = 1, IFLA_VLAN_FLAGS = 2, IFLA_VLAN_PROTOCOL = 5, IFLA_LINK_NETNSID = 37,
  IFLA_LINK = 5, IFLA_AF_SPEC = 26, AF_INET = 2, IFLA_INET_CONF = 1;
const IF_OPER_UP = 6, IF_OPER_DOWN = 2;

const u8 = (v: number) => new Uint8Array([v]);
const u16le = (v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); return b; };
const be16 = (v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, false); return b; };
const str = (s: string) => new TextEncoder().encode(s + "\0");
const nest = (type: number, ...attrs: Uint8Array[]) => attr(type, concat(attrs));
export const macBytes = (m: string) => new Uint8Array(m.split(":").map((x) => parseInt(x, 16)));

export interface VlanLink {
  ifindex: number; name: string; link: number; id: number; proto?: number; mac?: string; mtu?: number;
  up?: boolean; flags?: number; linkNetnsid?: number; kind?: string;
}

function ifinfomsg(ifindex: number, flags: number): Uint8Array {
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  b[0] = 0; dv.setUint16(2, 1, true); dv.setInt32(4, ifindex, true); dv.setUint32(8, flags, true); dv.setUint32(12, 0, true);
  return b;
}

/** RTM_NEWLINK (or DELLINK) of a VLAN device `v` (kind "vlan" unless v.kind says otherwise) */
export function vlanLink(v: VlanLink, type = RTM_NEWLINK, nlFlags = 0): Uint8Array {
  const up = v.up ?? true;
  const flags = IFF_BROADCAST | IFF_MULTICAST | (up ? IFF_UP | IFF_RUNNING | IFF_LOWER_UP : 0);
  const kind = v.kind ?? "vlan";
  const data = kind === "vlan"
    ? [nest(IFLA_INFO_DATA, attr(IFLA_VLAN_PROTOCOL, be16(v.proto ?? ETH_P_8021Q)), attr(IFLA_VLAN_ID, u16le(v.id)),
      attr(IFLA_VLAN_FLAGS, concat([u32le(v.flags ?? 1), u32le(0xffffffff)])))]
    : [nest(IFLA_INFO_DATA, attr(1, u32le(0)))]; // macvlan: IFLA_MACVLAN_MODE
  const mac = macBytes(v.mac ?? "02:00:00:00:01:00");
  return nlmsg(type, nlFlags, ifinfomsg(v.ifindex, flags),
    attr(IFLA_IFNAME, str(v.name)), attr(IFLA_TXQLEN, u32le(1000)), attr(IFLA_OPERSTATE, u8(up ? IF_OPER_UP : IF_OPER_DOWN)),
    attr(IFLA_LINKMODE, u8(0)), attr(IFLA_MTU, u32le(v.mtu ?? 1500)), attr(IFLA_MIN_MTU, u32le(0)), attr(IFLA_MAX_MTU, u32le(65535)),
    attr(IFLA_GROUP, u32le(0)), attr(IFLA_PROMISCUITY, u32le(0)), attr(IFLA_ALLMULTI, u32le(0)), attr(IFLA_NUM_TX_QUEUES, u32le(1)),
    attr(IFLA_GSO_MAX_SEGS, u32le(65535)), attr(IFLA_GSO_MAX_SIZE, u32le(65536)), attr(IFLA_GRO_MAX_SIZE, u32le(65536)),
    attr(IFLA_TSO_MAX_SIZE, u32le(65536)), attr(IFLA_TSO_MAX_SEGS, u32le(65535)), attr(IFLA_NUM_RX_QUEUES, u32le(1)),
    attr(IFLA_CARRIER, u8(up ? 1 : 0)), attr(IFLA_QDISC, str("noqueue")), attr(IFLA_CARRIER_CHANGES, u32le(up ? 1 : 0)),
    attr(IFLA_CARRIER_UP_COUNT, u32le(up ? 1 : 0)), attr(IFLA_CARRIER_DOWN_COUNT, u32le(0)), attr(IFLA_PROTO_DOWN, u8(0)),
    attr(IFLA_MAP, new Uint8Array(32)), attr(IFLA_ADDRESS, mac), attr(IFLA_BROADCAST, macBytes("ff:ff:ff:ff:ff:ff")),
    attr(IFLA_STATS64, new Uint8Array(200)), attr(IFLA_STATS, new Uint8Array(100)),
    nest(IFLA_XDP, attr(IFLA_XDP_ATTACHED, u8(0))),
    nest(IFLA_LINKINFO, attr(IFLA_INFO_KIND, str(kind)), ...data),
    ...(v.linkNetnsid !== undefined ? [attr(IFLA_LINK_NETNSID, u32le(v.linkNetnsid))] : []),
    attr(IFLA_LINK, u32le(v.link)),
    nest(IFLA_AF_SPEC, nest(AF_INET, attr(IFLA_INET_CONF, new Uint8Array(4 * 33)))));
}

/** RTM_NEWADDR / DELADDR of IPv4 a.b.c.d/len on ifindex (inet_fill_ifaddr's order) */
export function addr4(ifindex: number, ip: number, len: number, label: string, type = RTM_NEWADDR, nlFlags = 0): Uint8Array {
  const h = new Uint8Array(8), dv = new DataView(h.buffer);
  h[0] = AF_INET; h[1] = len; h[2] = 0x80; h[3] = 0; dv.setUint32(4, ifindex, true); // IFA_F_PERMANENT, RT_SCOPE_UNIVERSE
  const bcast = (ip | (0xffffffff >>> len)) >>> 0;
  return nlmsg(type, nlFlags, h, attr(1, ip4be(ip)), attr(2, ip4be(ip)), attr(4, ip4be(bcast)), attr(3, str(label)),
    attr(8, u32le(0x80)), attr(6, new Uint8Array(16)));
}

/** RTM_NEWNEIGH of IPv4 ip lladdr mac on ifindex (REACHABLE) */
export function neigh4(ifindex: number, ip: number, mac: string, type = RTM_NEWNEIGH): Uint8Array {
  const h = new Uint8Array(12), dv = new DataView(h.buffer);
  h[0] = AF_INET; dv.setInt32(4, ifindex, true); dv.setUint16(8, 0x02, true); h[10] = 0; h[11] = 1;
  return nlmsg(type, 0, h, attr(1, ip4be(ip)), attr(2, macBytes(mac)), attr(3, new Uint8Array(16)), attr(4, u32le(0)));
}
