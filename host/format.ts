// One line of text per event, for the CLI and logs, with the names `ip monitor`
// prints (iproute2's tables: rt_protos, rt_scopes, rt_tables, NUD states,
// route types, address, neighbour and link flags) instead of numbers. A value
// without a name prints as iproute2 does: its number.
import { EventFlag, type IfpxEvent } from "./record.js";
import { formatSubifBody } from "./format-subif.js";

const FLAG_NAMES = Object.entries(EventFlag) as [string, number][];

/** rtm_type */
export const ROUTE_TYPES: Record<number, string> = {
  0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
  7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat", 11: "xresolve",
};
/** rtm_protocol (/etc/iproute2/rt_protos) */
export const ROUTE_PROTOCOLS: Record<number, string> = {
  0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra", 10: "mrt", 11: "zebra",
  12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted", 18: "keepalived", 42: "babel",
  99: "openr", 186: "bgp", 187: "isis", 188: "ospf", 189: "rip", 192: "eigrp",
};
/** rtm_scope / ifa_scope (/etc/iproute2/rt_scopes); 0 is "global" (RT_SCOPE_UNIVERSE) */
export const SCOPES: Record<number, string> = { 0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere" };
/** routing tables (/etc/iproute2/rt_tables) */
export const TABLES: Record<number, string> = { 0: "unspec", 253: "default", 254: "main", 255: "local" };
/** NUD_* bits of a neighbour's state, in iproute2's order */
export const NUD_STATES: [number, string][] = [
  [0x01, "INCOMPLETE"], [0x02, "REACHABLE"], [0x04, "STALE"], [0x08, "DELAY"], [0x10, "PROBE"],
  [0x20, "FAILED"], [0x40, "NOARP"], [0x80, "PERMANENT"],
];
/** IFA_F_* */
export const ADDR_FLAGS: [number, string][] = [
  [0x01, "secondary"], [0x02, "nodad"], [0x04, "optimistic"], [0x08, "dadfailed"], [0x10, "home"],
  [0x20, "deprecated"], [0x40, "tentative"], [0x100, "mngtmpaddr"], [0x200, "noprefixroute"],
  [0x400, "autojoin"], [0x800, "stable-privacy"],
];
const IFA_F_PERMANENT = 0x80;
/** NTF_* */
export const NEIGH_FLAGS: [number, string][] = [
  [0x01, "use"], [0x02, "self"], [0x04, "master"], [0x08, "proxy"], [0x10, "extern_learn"],
  [0x20, "offload"], [0x40, "sticky"], [0x80, "router"],
];
/** IFF_* in the order `ip link` prints them */
export const LINK_FLAGS: [number, string][] = [
  [0x8, "LOOPBACK"], [0x2, "BROADCAST"], [0x10, "POINTOPOINT"], [0x1000, "MULTICAST"], [0x80, "NOARP"],
  [0x200, "ALLMULTI"], [0x100, "PROMISC"], [0x400, "MASTER"], [0x800, "SLAVE"], [0x4, "DEBUG"],
  [0x8000, "DYNAMIC"], [0x4000, "AUTOMEDIA"], [0x2000, "PORTSEL"], [0x20, "NOTRAILERS"], [0x1, "UP"],
  [0x10000, "LOWER_UP"], [0x20000, "DORMANT"], [0x40000, "ECHO"],
];
// `ip link` leaves IFF_RUNNING out (LOWER_UP says the same)
const IFF_RUNNING = 0x40;
/** IF_OPER_* */
export const OPER_STATES: Record<number, string> = {
  0: "UNKNOWN", 1: "NOTPRESENT", 2: "DOWN", 3: "LOWERLAYERDOWN", 4: "TESTING", 5: "DORMANT", 6: "UP",
};

const named = (table: Record<number, string>, v: number): string => table[v] ?? String(v);

/** Names of the bits set in `v`; bits without a name as one hex number. */
export function bitNames(list: [number, string][], v: number): string[] {
  const out: string[] = [];
  let rest = v >>> 0;
  for (const [bit, name] of list) if (v & bit) { out.push(name); rest &= ~bit; }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

export const routeTypeName = (t: number): string => named(ROUTE_TYPES, t);
export const protocolName = (p: number): string => named(ROUTE_PROTOCOLS, p);
export const scopeName = (s: number): string => named(SCOPES, s);
export const tableName = (t: number): string => named(TABLES, t);
export const operstateName = (o: number): string => named(OPER_STATES, o);
/** "REACHABLE", "STALE,PROBE", "NONE" (0) */
export function nudName(state: number): string {
  return state ? bitNames(NUD_STATES, state).join(",") : "NONE";
}

/** "master vrf-blue (vrf, table 10)", "master br0 (bridge)", "nomaster" (ifindex 0) */
export function masterText(ifindex: number, name: string, kind: string, vrfTable: number): string {
  if (!ifindex) return "nomaster";
  return `master ${name || `ifindex ${ifindex}`} (${kind}${kind === "vrf" ? `, table ${tableName(vrfTable)}` : ""})`;
}

/** `parentName`: for SUBIF events, the parent's interface name if the caller knows it. */
export function formatEvent(e: IfpxEvent, parentName?: string): string {
  const port = e.portId === 0xffff ? "-" : String(e.portId);
  const body = formatEventBody(e, parentName);
  const flags = FLAG_NAMES.filter(([, b]) => e.flags & b).map(([n]) => n.toLowerCase());
  return `${e.type.padEnd(12)} port ${port.padEnd(5)} ${body}${flags.length ? ` [${flags.join(",")}]` : ""}`.trimEnd();
}

/** What an event says, without its type, port and event flags ("198.51.100.14/24 scope global"). */
export function formatEventBody(e: IfpxEvent, parentName?: string): string {
  let body = "";
  switch (e.type) {
    case "MAC_CHANGE": body = `mac ${e.mac}`; break;
    case "MTU_CHANGE": body = `mtu ${e.mtu}`; break;
    case "LINK_CHANGE":
      body = `${e.isUp ? "up" : "down"}, carrier ${e.carrier ? "on" : "off"} <${bitNames(LINK_FLAGS, e.ifFlags & ~IFF_RUNNING).join(",")}> state ${operstateName(e.operstate)}`;
      break;
    case "ADDR_ADD": case "ADDR_DEL": case "ADDR6_ADD": case "ADDR6_DEL": {
      const flags = bitNames(ADDR_FLAGS, e.ifaFlags & ~IFA_F_PERMANENT);
      if (!(e.ifaFlags & IFA_F_PERMANENT)) flags.unshift("dynamic");
      body = `${e.ip}/${e.prefixLen} scope ${scopeName(e.scope)}${flags.length ? ` ${flags.join(" ")}` : ""}`;
      break;
    }
    case "ROUTE_ADD": case "ROUTE_DEL": case "ROUTE6_ADD": case "ROUTE6_DEL": {
      // IPv6 routes, and IPv4 routes via an IPv6 gateway (GATEWAY6), carry gatewayBytes
      const noGw = e.gatewayBytes ? e.gatewayBytes.every((b) => b === 0) : !("gatewayNum" in e) || e.gatewayNum === 0;
      // as `ip route`: the type first unless unicast, the scope unless global
      body = `${e.routeType === 1 ? "" : `${routeTypeName(e.routeType)} `}${e.ip}/${e.depth}${noGw ? "" : ` via ${e.gateway}`}` +
        ` table ${tableName(e.table)} proto ${protocolName(e.protocol)}${e.scope ? ` scope ${scopeName(e.scope)}` : ""}`;
      if (e.priority) body += ` metric ${e.priority}`;
      if (e.nhCount > 1) body += ` nexthops ${e.nhCount} weight ${e.weight}`;
      break;
    }
    case "NEIGH_ADD": case "NEIGH_DEL": case "NEIGH6_ADD": case "NEIGH6_DEL": {
      const flags = bitNames(NEIGH_FLAGS, e.ntfFlags);
      body = `${e.ip} lladdr ${e.mac}${flags.length ? ` ${flags.join(" ")}` : ""} ${nudName(e.state)}`;
      break;
    }
    case "RESYNC_DONE": body = `added ${e.added} removed ${e.removed} changed ${e.changed}`; break;
    case "OVERFLOW": body = `lost ${e.lost}`; break;
    case "SUBIF_ADD": case "SUBIF_DEL": body = formatSubifBody(e, parentName); break;
    // the proxy too: a port bound to several proxies' state would not say whose master moved
    case "MASTER_CHANGE": body = `proxy ${e.proxyId} ${masterText(e.master, e.masterName, e.masterKind, e.vrfTable)}`; break;
  }
  return body;
}
