// Human output (host/format.ts) names what `ip monitor` names, from
// hand-made events; values without a name print as numbers, as iproute2 does.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatEvent, formatEventBody, nudName, bitNames, NEIGH_FLAGS, routeTypeName, protocolName, scopeName, tableName } from "../../host/format.js";
import type { IfpxEvent } from "../../host/record.js";

const base = { typeId: 0, portId: 2, proxyId: 0x8000, flags: 0, family: 2, ifindex: 7, seq: 1 };
const route = (o: object) => ({ ...base, type: "ROUTE_ADD", ip: "192.0.2.0", ipNum: 0xc0000200, gateway: "0.0.0.0", gatewayNum: 0,
  depth: 24, table: 254, routeType: 1, protocol: 4, scope: 0, priority: 0, weight: 1, nhCount: 1, tos: 0, ...o }) as IfpxEvent;
const neigh = (o: object) => ({ ...base, type: "NEIGH_ADD", ip: "192.0.2.1", ipNum: 0xc0000201, mac: "02:00:00:00:00:01", state: 0x02, ntfFlags: 0, ndmType: 1, ...o }) as IfpxEvent;
const addr = (o: object) => ({ ...base, type: "ADDR_ADD", ip: "192.0.2.9", ipNum: 0xc0000209, prefixLen: 24, scope: 0, ifaFlags: 0x80, ...o }) as IfpxEvent;

test("routes: type (unless unicast), table, protocol, scope (unless global) by name", () => {
  assert.is(formatEvent(route({})), "ROUTE_ADD    port 2     192.0.2.0/24 table main proto static");
  assert.is(formatEventBody(route({ gateway: "198.51.100.1", gatewayNum: 0xc6336401, protocol: 186, priority: 20 })),
    "192.0.2.0/24 via 198.51.100.1 table main proto bgp metric 20");
  assert.is(formatEventBody(route({ routeType: 2, table: 255, protocol: 2, scope: 254, depth: 32 })), "local 192.0.2.0/32 table local proto kernel scope host");
  assert.is(formatEventBody(route({ routeType: 6, protocol: 3 })), "blackhole 192.0.2.0/24 table main proto boot");
  assert.is(formatEventBody(route({ table: 100, protocol: 77, scope: 253 })), "192.0.2.0/24 table 100 proto 77 scope link");
  assert.is(formatEventBody(route({ nhCount: 2, weight: 3, flags: 0x10 })), "192.0.2.0/24 table main proto static nexthops 2 weight 3");
  assert.equal([routeTypeName(7), routeTypeName(8), routeTypeName(9), routeTypeName(99)], ["unreachable", "prohibit", "throw", "99"]);
  assert.equal([protocolName(11), protocolName(16), protocolName(188), protocolName(189)], ["zebra", "dhcp", "ospf", "rip"]);
  assert.equal([scopeName(0), scopeName(200), scopeName(255), tableName(253), tableName(0)], ["global", "site", "nowhere", "default", "unspec"]);
});

test("neighbours: NUD states and NTF flags by name", () => {
  assert.is(formatEventBody(neigh({})), "192.0.2.1 lladdr 02:00:00:00:00:01 REACHABLE");
  assert.is(formatEventBody(neigh({ state: 0x80, ntfFlags: 0x80 })), "192.0.2.1 lladdr 02:00:00:00:00:01 router PERMANENT");
  assert.equal([0x00, 0x01, 0x04, 0x08, 0x10, 0x20, 0x40, 0x14].map(nudName),
    ["NONE", "INCOMPLETE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "STALE,PROBE"]);
  assert.equal(bitNames(NEIGH_FLAGS, 0x08 | 0x10 | 0x300), ["proxy", "extern_learn", "0x300"], "unnamed bits as one hex number");
});

test("addresses: scope and IFA flags by name, dynamic when not permanent", () => {
  assert.is(formatEventBody(addr({})), "192.0.2.9/24 scope global");
  assert.is(formatEventBody(addr({ type: "ADDR6_ADD", ip: "fe80::1", prefixLen: 64, scope: 253, ifaFlags: 0x80 | 0x40 | 0x200 })),
    "fe80::1/64 scope link tentative noprefixroute");
  assert.is(formatEventBody(addr({ ifaFlags: 0x01 })), "192.0.2.9/24 scope global dynamic secondary");
});

test("links: IFF flags in ip link's order without RUNNING, operstate by name; event flags in brackets", () => {
  const link = { ...base, type: "LINK_CHANGE", isUp: true, carrier: true, operstate: 6, ifFlags: 0x1 | 0x2 | 0x40 | 0x1000 | 0x10000, flags: 0x01 } as IfpxEvent;
  assert.is(formatEvent(link), "LINK_CHANGE  port 2     up, carrier on <BROADCAST,MULTICAST,UP,LOWER_UP> state UP [initial]");
  const down = { ...link, isUp: false, carrier: false, operstate: 2, ifFlags: 0x2 | 0x1000, flags: 0 } as IfpxEvent;
  assert.is(formatEventBody(down), "down, carrier off <BROADCAST,MULTICAST> state DOWN");
  assert.is(formatEvent({ ...base, type: "CFG_DONE", portId: 0xffff } as IfpxEvent), "CFG_DONE     port -");
});

test.run();
