// assembly/record.ts must mirror native/include/ifpx_event.h (the single
// source of truth): compile a tiny C program that prints offsetof/sizeof and
// the enum/flag values, and compare with the constants parsed from record.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// record.ts constant -> C expression
const OFFSETS: Record<string, string> = {
  R_TYPE: "h.type", R_PORT: "h.port_id", R_PROXY: "h.proxy_id", R_FLAGS: "h.flags", R_FAMILY: "h.family",
  R_IFINDEX: "h.ifindex", R_SEQ: "h.seq",
  R_MAC: "mac_change.mac", R_MTU: "mtu_change.mtu",
  R_LINK_UP: "link_change.is_up", R_LINK_CARRIER: "link_change.carrier", R_LINK_OPER: "link_change.operstate",
  R_LINK_FLAGS: "link_change.if_flags",
  R_ADDR_IP: "addr_change.ip", R_ADDR_PREFIX: "addr_change.prefixlen", R_ADDR_SCOPE: "addr_change.scope",
  R_ADDR_FLAGS: "addr_change.ifa_flags",
  R_ROUTE_DST: "route_change.ip", R_ROUTE_GW: "route_change.gateway", R_ROUTE_DEPTH: "route_change.depth",
  R_ROUTE_TYPE: "route_change.type", R_ROUTE_PROTO: "route_change.protocol", R_ROUTE_SCOPE: "route_change.scope",
  R_ROUTE_TABLE: "route_change.table", R_ROUTE_PRIO: "route_change.priority", R_ROUTE_WEIGHT: "route_change.nh_weight",
  R_ROUTE_NHCOUNT: "route_change.nh_count", R_ROUTE_TOS: "route_change.tos",
  R_NEIGH_IP: "neigh_change.ip", R_NEIGH_MAC: "neigh_change.mac", R_NEIGH_STATE: "neigh_change.state",
  R_NEIGH_FLAGS: "neigh_change.ntf_flags", R_NEIGH_TYPE: "neigh_change.ndm_type",
  R_OVERFLOW_LOST: "overflow.lost", R_RESYNC_ADDED: "resync_done.added",
  R_SUBIF_PARENT: "subif_change.parent_proxy", R_SUBIF_ROOT: "subif_change.root_proxy",
  R_SUBIF_PARENT_IFINDEX: "subif_change.parent_ifindex", R_SUBIF_VLAN: "subif_change.vlan_id",
  R_SUBIF_PROTO: "subif_change.vlan_proto", R_SUBIF_OUTER_VLAN: "subif_change.outer_vlan",
  R_SUBIF_OUTER_PROTO: "subif_change.outer_proto", R_SUBIF_NAME: "subif_change.name",
  R_MASTER_IFINDEX: "master_change.master", R_MASTER_VRF_TABLE: "master_change.vrf_table",
  R_MASTER_KIND: "master_change.kind", R_MASTER_NAME: "master_change.name",
};
// the IPv6 variants share the v4 offsets in record.ts: check them too
const SAME_AS: [string, string][] = [
  ["addr6_change.ip", "R_ADDR_IP"], ["addr6_change.prefixlen", "R_ADDR_PREFIX"], ["addr6_change.scope", "R_ADDR_SCOPE"],
  ["addr6_change.ifa_flags", "R_ADDR_FLAGS"], ["route6_change.ip", "R_ROUTE_DST"], ["route6_change.gateway", "R_ROUTE_GW"],
  ["route6_change.depth", "R_ROUTE_DEPTH"], ["route6_change.type", "R_ROUTE_TYPE"], ["route6_change.protocol", "R_ROUTE_PROTO"],
  ["route6_change.scope", "R_ROUTE_SCOPE"], ["route6_change.table", "R_ROUTE_TABLE"], ["route6_change.priority", "R_ROUTE_PRIO"],
  ["route6_change.nh_weight", "R_ROUTE_WEIGHT"], ["route6_change.nh_count", "R_ROUTE_NHCOUNT"], ["route6_change.tos", "R_ROUTE_TOS"],
  ["neigh6_change.ip", "R_NEIGH_IP"], ["neigh6_change.mac", "R_NEIGH_MAC"], ["neigh6_change.state", "R_NEIGH_STATE"],
  ["neigh6_change.ntf_flags", "R_NEIGH_FLAGS"], ["neigh6_change.ndm_type", "R_NEIGH_TYPE"],
];
const ENUMS: Record<string, string> = {
  EV_MAC_CHANGE: "IFPX_MAC_CHANGE", EV_MTU_CHANGE: "IFPX_MTU_CHANGE", EV_LINK_CHANGE: "IFPX_LINK_CHANGE",
  EV_ADDR_ADD: "IFPX_ADDR_ADD", EV_ADDR_DEL: "IFPX_ADDR_DEL", EV_ADDR6_ADD: "IFPX_ADDR6_ADD", EV_ADDR6_DEL: "IFPX_ADDR6_DEL",
  EV_ROUTE_ADD: "IFPX_ROUTE_ADD", EV_ROUTE_DEL: "IFPX_ROUTE_DEL", EV_ROUTE6_ADD: "IFPX_ROUTE6_ADD", EV_ROUTE6_DEL: "IFPX_ROUTE6_DEL",
  EV_NEIGH_ADD: "IFPX_NEIGH_ADD", EV_NEIGH_DEL: "IFPX_NEIGH_DEL", EV_NEIGH6_ADD: "IFPX_NEIGH6_ADD", EV_NEIGH6_DEL: "IFPX_NEIGH6_DEL",
  EV_CFG_DONE: "IFPX_CFG_DONE", EV_PROXY_GONE: "IFPX_PROXY_GONE", EV_PORT_DONE: "IFPX_PORT_DONE",
  EV_RESYNC_DONE: "IFPX_RESYNC_DONE", EV_OVERFLOW: "IFPX_OVERFLOW", EV_REPLAY_DONE: "IFPX_REPLAY_DONE", EV_END: "IFPX_END",
  EV_SUBIF_ADD: "IFPX_SUBIF_ADD", EV_SUBIF_DEL: "IFPX_SUBIF_DEL", EV_MASTER_CHANGE: "IFPX_MASTER_CHANGE",
  MASTER_NONE: "IFPX_MASTER_NONE", MASTER_VRF: "IFPX_MASTER_VRF", MASTER_BRIDGE: "IFPX_MASTER_BRIDGE",
  MASTER_BOND: "IFPX_MASTER_BOND", MASTER_OTHER: "IFPX_MASTER_OTHER",
  EV_TYPE_COUNT: "IFPX_EVENT_TYPE_COUNT", F_INITIAL: "IFPX_F_INITIAL", F_REPLACE: "IFPX_F_REPLACE", F_LOCAL: "IFPX_F_LOCAL",
  F_RESYNC: "IFPX_F_RESYNC", F_MULTIPATH: "IFPX_F_MULTIPATH", EVENT_SIZE: "sizeof(struct ifpx_event)", PORT_NONE: "IFPX_PORT_NONE",
};

function cValues(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "ifpx-rec-"));
  try {
    const lines: string[] = [];
    for (const [k, e] of Object.entries(OFFSETS)) lines.push(`printf("${k} %zu\\n", offsetof(struct ifpx_event, ${e}));`);
    for (const [e] of SAME_AS) lines.push(`printf("${e} %zu\\n", offsetof(struct ifpx_event, ${e}));`);
    for (const [k, e] of Object.entries(ENUMS)) lines.push(`printf("${k} %d\\n", (int)(${e}));`);
    writeFileSync(join(dir, "o.c"), `#include <stdio.h>\n#include <stddef.h>\n#include "ifpx_event.h"\nint main(void){\n${lines.join("\n")}\nreturn 0;}\n`);
    execFileSync("cc", ["-std=c11", "-I", join(root, "native", "include"), "-o", join(dir, "o"), join(dir, "o.c")]);
    const out = execFileSync(join(dir, "o"), { encoding: "utf8" });
    const v: Record<string, number> = {};
    for (const l of out.trim().split("\n")) { const [k, n] = l.split(" "); v[k] = Number(n); }
    return v;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

function asValues(): Record<string, number> {
  const src = readFileSync(join(root, "assembly", "record.ts"), "utf8");
  const v: Record<string, number> = {};
  for (const m of src.matchAll(/export const (\w+): \w+ = (0x[0-9a-fA-F]+|\d+);/g)) v[m[1]] = Number(m[2]);
  return v;
}

test("assembly/record.ts offsets, types and flags equal native/include/ifpx_event.h", () => {
  const c = cValues(), a = asValues();
  for (const k of [...Object.keys(OFFSETS), ...Object.keys(ENUMS)]) {
    assert.ok(k in a, `${k} missing in record.ts`);
    assert.is(a[k], c[k], k);
  }
  for (const [e, k] of SAME_AS) assert.is(c[e], a[k], `${e} vs ${k}`);
});

test.run();
