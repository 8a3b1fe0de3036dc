// The core's shared blocks as the host reads them. Each name is the one the
// core uses (assembly/state.ts, assembly/proxies.ts, assembly/sync.ts) with the
// prefix dropped; tests/unit/layout-parity.test.ts reads those AssemblyScript
// constants and checks that every value here agrees.

/** Kind bits: which parts of the mirror a sync dumps and sweeps, a query walks, a count counts (KB_* in assembly/sync.ts). */
export const Kind = { LINK: 1, ADDR: 2, ROUTE: 4, NEIGH: 8, ALL: 15 } as const;
/**
 * mirror_reserve's kinds: the Kind bits, with IPv4 and IPv6 routes apart (two
 * tables): ROUTE is IPv4 only there, ROUTE6 the IPv6 table.
 */
export const ReserveKind = { ADDR: Kind.ADDR, ROUTE4: Kind.ROUTE, NEIGH: Kind.NEIGH, ROUTE6: 16 } as const;

/** Status block (status_ptr()): byte offsets (ST_* in assembly/state.ts). */
export const StatusOff = { NEXT_OFF: 0, FLAGS: 4, ERROR: 8, SEQ: 12, MSGS: 16, STAGED: 20, SYNC: 24, REPLAY: 28 } as const;
/** Status block flags (STF_* in assembly/state.ts). */
export const Status = { DONE: 1, ERROR: 2, DUMP_INTR: 4, ACK: 8, JOB: 16, NEXTHOP: 32, ROUTES: 64 } as const;

/**
 * Stats block (stats_ptr()): u32 counters in this order; the name of counter i
 * is its SS_* constant in assembly/state.ts (at byte 4 i) in lower case
 * (SS_N_ROUTE4 -> "n_route4"), except where STATS_ALIASES says otherwise.
 */
export const STATS = ["messages", "malformed", "filtered", "staged", "link", "addr", "route", "neigh", "other", "done",
  "errors", "dump_intr", "mirror_addr", "mirror_route4", "mirror_route6", "mirror_neigh", "via_ignored", "cloned",
  "nexthops_over_cap", "implied_deletions", "mirror_grows", "sync_added", "sync_removed", "sync_changed", "generation",
  "staging_grows", "seq", "acks", "nexthop_messages", "nexthop_changes", "nexthop_routes_unmirrored", "ipv4_unsettled"] as const;
export type CoreStatName = (typeof STATS)[number];

/** Proxy info block (proxy_info_ptr()): byte offsets (P_* in assembly/proxies.ts). */
export const ProxyInfoOff = { IFINDEX: 0, MTU: 4, MAC: 8, FLAGS: 16, OPER: 20, KNOWN: 21, GONE: 22, NAME: 24 } as const;
export const PROXY_NAME_MAX = 16;
