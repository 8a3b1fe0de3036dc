// One line of text per event, for the CLI and logs.
import { EventFlag, type IfpxEvent } from "./record.js";

const FLAG_NAMES = Object.entries(EventFlag) as [string, number][];

export function formatEvent(e: IfpxEvent): string {
  const port = e.portId === 0xffff ? "-" : String(e.portId);
  let body = "";
  switch (e.type) {
    case "MAC_CHANGE": body = `mac ${e.mac}`; break;
    case "MTU_CHANGE": body = `mtu ${e.mtu}`; break;
    case "LINK_CHANGE": body = `${e.isUp ? "up" : "down"}, carrier ${e.carrier ? "on" : "off"}`; break;
    case "ADDR_ADD": case "ADDR_DEL": case "ADDR6_ADD": case "ADDR6_DEL":
      body = `${e.ip}/${e.prefixLen} scope ${e.scope}`; break;
    case "ROUTE_ADD": case "ROUTE_DEL": case "ROUTE6_ADD": case "ROUTE6_DEL": {
      // IPv6 routes, and IPv4 routes via an IPv6 gateway (GATEWAY6), carry gatewayBytes
      const noGw = e.gatewayBytes ? e.gatewayBytes.every((b) => b === 0) : !("gatewayNum" in e) || e.gatewayNum === 0;
      body = `${e.ip}/${e.depth}${noGw ? "" : ` via ${e.gateway}`} table ${e.table} type ${e.routeType} proto ${e.protocol}`;
      if (e.priority) body += ` metric ${e.priority}`;
      if (e.nhCount > 1) body += ` nexthops ${e.nhCount} weight ${e.weight}`;
      break;
    }
    case "NEIGH_ADD": case "NEIGH_DEL": case "NEIGH6_ADD": case "NEIGH6_DEL":
      body = `${e.ip} lladdr ${e.mac} nud 0x${e.state.toString(16)}`; break;
    case "RESYNC_DONE": body = `added ${e.added} removed ${e.removed} changed ${e.changed}`; break;
    case "OVERFLOW": body = `lost ${e.lost}`; break;
  }
  const flags = FLAG_NAMES.filter(([, b]) => e.flags & b).map(([n]) => n.toLowerCase());
  return `${e.type.padEnd(12)} port ${port.padEnd(5)} ${body}${flags.length ? ` [${flags.join(",")}]` : ""}`.trimEnd();
}
