/* SPDX-License-Identifier: BSD-3-Clause
 *
 * l3fwd-ifpx data plane: state shared by its parts.
 *
 *   fib.c      routes (every table, with their next hops) and the LPM/LPM6 that
 *              holds, per prefix, the route the kernel would use
 *   neigh.c    the neighbour (adjacency) table
 *   events.c   ifpx event records -> ports, routes, neighbours
 *   forward.c  the forwarding lcore: events from the ring, packets between ports
 *   report.c   counters and tables as JSON or text
 *   api.c      what the Node control process calls (koffi)
 *
 * All of this state is written by ONE thread, the forwarding lcore, which is
 * also the only reader on the packet path: the ring of ifpx events serialises
 * every change with the packets, so nothing needs locks or RCU. A dump is
 * made by the lcore too, between two bursts.
 */
#ifndef L3FWD_DATAPLANE_H
#define L3FWD_DATAPLANE_H

#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_ring.h>

struct rte_mbuf;

#include "ifpx_event.h"

#define L3FWD_MAX_PORTS 16
#define L3FWD_MAX_SUBPORTS 16  /* VLAN sub-interfaces (ifpx SUBIF_ADD): ports[L3FWD_MAX_PORTS + i] */
#define L3FWD_MAX_SLOTS (L3FWD_MAX_PORTS + L3FWD_MAX_SUBPORTS)
#define L3FWD_PORT_UNKNOWN 0xffff
#define L3FWD_BURST 32
#define L3FWD_NO_SLOT 0xff

/* RTN_* (linux/rtnetlink.h), as the route records carry them */
#define RT_UNICAST 1
#define RT_LOCAL 2
#define RT_BROADCAST 3
#define RT_ANYCAST 4
#define RT_MULTICAST 5
#define RT_TABLE_MAIN 254
#define RT_TABLE_LOCAL 255

/* Why a packet went to its ingress port's proxy (Linux) instead of the fast path. */
enum punt_reason {
	PUNT_NOT_IP,     /* ARP, LLDP, ... */
	PUNT_NO_ROUTE,   /* no LPM entry */
	PUNT_LOCAL,      /* a route of type local/broadcast/anycast/multicast (to the router), or a multicast destination */
	PUNT_ROUTE_TYPE, /* unreachable, prohibit, blackhole: Linux answers or drops */
	PUNT_NO_NEIGH,   /* next hop not resolved: Linux resolves it (the NEIGH event follows) */
	PUNT_TTL,        /* TTL / hop limit would expire: Linux sends the ICMP error */
	PUNT_MTU,        /* larger than the egress proxy's MTU: Linux fragments or sends the ICMP error */
	PUNT_LINK_DOWN,  /* the egress port's proxy is down or has no carrier (its link is down): Linux decides */
	PUNT_IP_OPTIONS, /* IPv4 options, link-local source or destination, malformed lengths */
	PUNT_NO_MAC,     /* the port's MAC (its proxy's) is not known yet */
	PUNT_REASONS
};

struct port_counters {
	uint64_t rx, tx, forwarded, punted, from_proxy, dropped;
};

/* A data port and its proxy; link, MAC and MTU come from the proxy's events.
 * A sub-port (a VLAN sub-interface of a proxy, ifpx SUBIF_ADD) is a logical port: the
 * frames of the physical port `phys` carrying its tags. Its `port` is the logical id the
 * application bound the sub-interface to; ifpx's SUBIF_ADD does not carry it (the record
 * goes to the root's ports), so it is learnt from the first record for that logical port,
 * whose header names the sub-interface's proxy id (h.proxy_id): the ring orders SUBIF_ADD
 * before the sub-interface's own state. */
struct port_state {
	uint16_t port;        /* DPDK port of the data link (net_af_packet, ...); sub-port: its logical id, or L3FWD_PORT_UNKNOWN */
	uint16_t proxy;       /* DPDK port of its proxy (net_tap): punts go here, its output leaves through `port`;
			       * sub-port: ifpx's proxy id of the sub-interface (no ethdev: punts go to phys's proxy) */
	uint8_t is_sub, in_use;
	uint8_t phys;         /* sub-port: slot of the physical port */
	uint8_t n_tags;       /* sub-port: 1 (802.1Q) or 2 (QinQ) */
	uint16_t tpid[2], vid[2];  /* sub-port: the tags from the outside in */
	uint16_t gen;         /* sub-port: replay generation of its last SUBIF_ADD */
	uint8_t up;           /* proxy IFF_UP */
	uint8_t carrier;      /* proxy IFF_LOWER_UP: ifpx sets it from the data port's link */
	uint8_t mac_known;
	uint32_t mtu;
	struct rte_ether_addr mac;  /* the proxy's MAC: the router's MAC on this link */
	struct port_counters c;
};

/* A next hop: leaves through `port`, to `gw` (or to the destination itself when gw is zero). */
struct nexthop {
	uint16_t port;
	uint8_t weight;
	uint8_t family;       /* of gw: AF_INET, AF_INET6 (an IPv4 route via an IPv6 gateway), 0 none */
	uint16_t gen;         /* replay generation that last confirmed it */
	uint8_t gw[16];       /* IPv4: host-order uint32 in the first 4 bytes */
};

/* A kernel route: identity (family, table, prefix, depth, metric, tos) with its next hops
 * through the proxies. Routes sharing a prefix and depth are chained; the LPM holds the
 * one Linux forwards with (table local, else main with the lowest metric). */
struct route {
	uint8_t family, depth, type, protocol;
	uint8_t tos, in_lpm, n_nh, cap_nh;
	uint32_t table, priority;
	uint8_t prefix[16];
	uint32_t next;        /* next route of the same prefix/depth, or ROUTE_NONE */
	struct nexthop *nh;
};
#define ROUTE_NONE 0xffffffffu
#define FIB4_MISS 0x7fffffffu   /* rte_fib's answer for no route (4-byte entries hold 31 bits) */

struct l3fwd_counters {
	uint64_t fwd4, fwd6, punted, dropped, from_proxy;
	uint64_t punt[PUNT_REASONS];
	uint64_t l2_other;            /* unicast frames for another MAC: dropped */
	uint64_t events, events_by_type[IFPX_EVENT_TYPE_COUNT];
	uint64_t events_ignored;      /* for a port this data plane does not have */
	uint64_t overflow_records, overflow_lost, replays_swept;
	uint64_t lpm_add_fail, route_full, neigh_full, nh_full;
	uint64_t subport_full;        /* SUBIF_ADD with every sub-port slot taken */
	uint64_t route_changes;       /* LPM writes (adds, deletes, next-hop changes of an installed prefix) */
	uint64_t last_route_ns;       /* CLOCK_MONOTONIC of the last route event applied */
	uint64_t loops, idle_sleeps;
};

struct l3fwd_config {
	uint32_t routes4, routes6, tbl8s4, tbl8s6, neighs;
	uint32_t idle_sleep_us;       /* 0: busy poll */
	uint32_t log_size;            /* route-change log entries (bench), 0: none */
};

/* Route-change log (bench): when each route event was applied to the LPM; a ring of the latest. */
struct route_log_entry {
	uint64_t ns;
	uint32_t ip4;                 /* IPv4 destination, host order (0 for IPv6) */
	uint8_t depth, type, family, pad;
};

struct l3fwd {
	struct l3fwd_config cfg;
	struct rte_ring *ring;
	struct port_state ports[L3FWD_MAX_SLOTS];  /* data ports from 0, sub-ports from L3FWD_MAX_PORTS */
	uint8_t n_ports;
	uint8_t slot_of[RTE_MAX_ETHPORTS];   /* data port id -> index in ports[], or L3FWD_NO_SLOT */
	uint8_t proxy_slot[RTE_MAX_ETHPORTS];/* proxy port id -> index */
	struct rte_mempool *pool;
	struct rte_fib *fib4;                /* IPv4: DIR-24-8 over a RIB (see fib.c) */
	struct rte_lpm6 *lpm6;
	struct rte_hash *prefixes;           /* (family, depth, prefix) -> first route of the chain */
	struct rte_hash *neighs;             /* (port, family, ip) -> MAC and generation */
	struct route *routes;
	uint32_t n_routes, cap_routes, *free_routes, n_free;
	uint32_t routes4, routes6;           /* prefixes in the LPMs */
	uint32_t n_neighs;
	uint16_t gen;                        /* replay generation (bumped at OVERFLOW) */
	uint8_t awaiting_replay, cfg_done;
	uint32_t resyncs, replays;
	struct route_log_entry *log;
	uint32_t log_n;
	struct l3fwd_counters c;
};

extern struct l3fwd *l3;

uint64_t l3fwd_now_ns(void);

/* fib.c */
int fib_init(struct l3fwd *s);
void fib_free(struct l3fwd *s);
void fib_route_event(struct l3fwd *s, const struct ifpx_event *ev, int add);
void fib_port_gone(struct l3fwd *s, uint16_t port);
void fib_sweep(struct l3fwd *s);
void fib_prefix_key(uint8_t *key, int family, const uint8_t *prefix, uint8_t depth);

/* neigh.c */
int neigh_init(struct l3fwd *s);
void neigh_free(struct l3fwd *s);
void neigh_event(struct l3fwd *s, const struct ifpx_event *ev, int add);
const struct rte_ether_addr *neigh_lookup(const struct l3fwd *s, uint16_t port, int family, const uint8_t *ip,
					  struct rte_ether_addr *out);
void neigh_port_gone(struct l3fwd *s, uint16_t port);
void neigh_sweep(struct l3fwd *s);
typedef void (*neigh_visit)(void *arg, uint16_t port, int family, const uint8_t *ip, const struct rte_ether_addr *mac);
void neigh_foreach(const struct l3fwd *s, neigh_visit fn, void *arg);

/* events.c */
void events_apply(struct l3fwd *s, const struct ifpx_event *ev);

/* subport.c */
uint8_t subport_slot(const struct l3fwd *s, uint16_t port);
struct port_state *subport_of(struct l3fwd *s, uint16_t port, uint16_t proxy_id);
void subport_add(struct l3fwd *s, struct port_state *phys, const struct ifpx_event *ev);
void subport_del(struct l3fwd *s, const struct ifpx_event *ev);
void subport_sweep(struct l3fwd *s);
struct port_state *subport_classify(struct l3fwd *s, struct port_state *phys, struct rte_mbuf *m);
int subport_push_tags(const struct port_state *sub, struct rte_mbuf *m);

/* forward.c */
int forward_loop(void *arg);
void forward_request_stop(void);

/* report.c */
int report_stats_json(const struct l3fwd *s, char *buf, size_t cap);
int report_tables(const struct l3fwd *s, FILE *f, int json);
int report_route_log(const struct l3fwd *s, FILE *f);

#endif
