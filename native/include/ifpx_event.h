/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ifpx event record: the one binary layout shared by callbacks (decoded from
 * it), the shared-memory rings of Node workers, and DPDK rte_rings drained by
 * C data planes. It is the single source of truth for the layout; the
 * AssemblyScript core (assembly/record.ts) and the TypeScript decoder
 * (host/record.ts) mirror these offsets and a unit test checks they agree.
 *
 * A record is 64 bytes, little-endian (host order on every platform DPDK and
 * ifpx run on), naturally aligned. It is copied by value: into an rte_ring it
 * goes as four 16-byte elements (IFPX_RING_ELEM_SIZE x IFPX_RING_ELEMS_PER_EVENT),
 * the element size DPDK copies fastest.
 *
 * Event type values 0..15 are the upstream rte_ifpx enum (ABI order); values
 * from 16 are ifpx extensions. IPv4 addresses are host-order uint32 (as
 * upstream); IPv6 addresses are 16 bytes in network order.
 */
#ifndef IFPX_EVENT_H
#define IFPX_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ifpx_event_type {
	IFPX_MAC_CHANGE = 0,
	IFPX_MTU_CHANGE = 1,
	IFPX_LINK_CHANGE = 2,
	IFPX_ADDR_ADD = 3,
	IFPX_ADDR_DEL = 4,
	IFPX_ADDR6_ADD = 5,
	IFPX_ADDR6_DEL = 6,
	IFPX_ROUTE_ADD = 7,
	IFPX_ROUTE_DEL = 8,
	IFPX_ROUTE6_ADD = 9,
	IFPX_ROUTE6_DEL = 10,
	IFPX_NEIGH_ADD = 11,
	IFPX_NEIGH_DEL = 12,
	IFPX_NEIGH6_ADD = 13,
	IFPX_NEIGH6_DEL = 14,
	IFPX_CFG_DONE = 15,
	/* ifpx extensions */
	IFPX_PROXY_GONE = 16,  /* the proxy interface was deleted; port_id's binding is gone */
	IFPX_PORT_DONE = 17,   /* a port bound after listen has received its proxy's full state */
	IFPX_RESYNC_DONE = 18, /* a resynchronisation finished; differences were delivered before it */
	IFPX_OVERFLOW = 19,    /* this ring was full: `lost` records were not enqueued */
	IFPX_REPLAY_DONE = 20, /* a replay of current state into this ring is complete */
	IFPX_END = 21,         /* end of stream: the queue was removed or the listener closed */
	IFPX_SUBIF_ADD = 22,   /* a VLAN/QinQ child of a proxy became a proxy itself (option subinterfaces) */
	IFPX_SUBIF_DEL = 23,   /* that sub-interface was deleted (or left its parent): its proxy and bindings are gone */
	IFPX_MASTER_CHANGE = 24, /* the proxy's master device (VRF, bridge, bond) changed, or is reported initially */
	IFPX_EVENT_TYPE_COUNT = 25
};

/* header.flags */
#define IFPX_F_INITIAL   0x01 /* part of a state snapshot (listen dump, late-binding or ring replay) */
#define IFPX_F_REPLACE   0x02 /* route/neigh replaced an existing entry with the same key (NLM_F_REPLACE) */
#define IFPX_F_LOCAL     0x04 /* the kernel's own local route (table local) that comes with an address */
#define IFPX_F_RESYNC    0x08 /* a difference found by a resynchronisation, not a live notification */
#define IFPX_F_MULTIPATH 0x10 /* one next hop of a route that has several (route.nh_count > 1) */
#define IFPX_F_GATEWAY6  0x20 /* IPv4 route whose gateway is IPv6 (RTA_VIA, RFC 5549): 16 bytes in route.gw */

#define IFPX_PORT_NONE 0xFFFF  /* port_id of records that concern no single port */
#define IFPX_EVENT_SIZE 64
#define IFPX_RING_ELEM_SIZE 16
#define IFPX_RING_ELEMS_PER_EVENT 4

struct ifpx_event_hdr {
	uint16_t type;     /* enum ifpx_event_type */
	uint16_t port_id;  /* the bound port this copy is for, or IFPX_PORT_NONE */
	uint16_t proxy_id; /* the proxy the event was observed on */
	uint8_t flags;     /* IFPX_F_* */
	uint8_t family;    /* AF_INET, AF_INET6 or 0 */
	uint32_t ifindex;  /* the proxy's kernel interface index */
	uint32_t seq;      /* listener-wide sequence number of the observation (copies per port share it) */
};                     /* 16 bytes */

struct ifpx_mac_change { uint8_t mac[6]; };
struct ifpx_mtu_change { uint32_t mtu; };
struct ifpx_link_change {
	uint8_t is_up;      /* IFF_UP */
	uint8_t carrier;    /* IFF_LOWER_UP */
	uint8_t operstate;  /* IFLA_OPERSTATE (RFC 2863), 0 if unknown */
	uint8_t reserved;
	uint32_t if_flags;  /* ifi_flags */
};
struct ifpx_addr_change {          /* ADDR_ADD / ADDR_DEL */
	uint32_t ip;                   /* host order */
	uint8_t pad[12];
	uint8_t prefixlen;
	uint8_t scope;                 /* RT_SCOPE_* */
	uint16_t reserved;
	uint32_t ifa_flags;            /* IFA_F_* (IFA_FLAGS attribute when present) */
};
struct ifpx_addr6_change {         /* ADDR6_ADD / ADDR6_DEL */
	uint8_t ip[16];
	uint8_t prefixlen;
	uint8_t scope;
	uint16_t reserved;
	uint32_t ifa_flags;
};
struct ifpx_route_change {         /* ROUTE_ADD / ROUTE_DEL */
	uint32_t ip;                   /* destination, host order */
	uint8_t pad0[12];
	union {
		uint32_t gateway;          /* host order; 0 when the next hop has none */
		uint8_t gateway6[16];      /* with IFPX_F_GATEWAY6: an IPv6 gateway (RTA_VIA, RFC 5549) */
	};
	uint8_t depth;                 /* prefix length (rtm_dst_len) */
	uint8_t type;                  /* RTN_UNICAST, RTN_LOCAL, RTN_BLACKHOLE, ... */
	uint8_t protocol;              /* RTPROT_* */
	uint8_t scope;                 /* RT_SCOPE_* */
	uint32_t table;                /* RTA_TABLE (or rtm_table) */
	uint32_t priority;             /* RTA_PRIORITY (metric), 0 if absent */
	uint8_t nh_weight;             /* rtnh_hops + 1; 1 for a single-path route */
	uint8_t nh_count;              /* next hops of the whole route (any interface) */
	uint8_t tos;
	uint8_t reserved;
};
struct ifpx_route6_change {        /* ROUTE6_ADD / ROUTE6_DEL */
	uint8_t ip[16];
	uint8_t gateway[16];           /* all zero when the next hop has none */
	uint8_t depth;
	uint8_t type;
	uint8_t protocol;
	uint8_t scope;
	uint32_t table;
	uint32_t priority;
	uint8_t nh_weight;
	uint8_t nh_count;
	uint8_t tos;
	uint8_t reserved;
};
struct ifpx_neigh_change {         /* NEIGH_ADD / NEIGH_DEL */
	uint32_t ip;                   /* host order */
	uint8_t pad[12];
	uint8_t mac[6];                /* all zero when the kernel gave none (e.g. INCOMPLETE, or DEL) */
	uint16_t state;                /* NUD_* */
	uint8_t ntf_flags;             /* NTF_* */
	uint8_t ndm_type;
};
struct ifpx_neigh6_change {        /* NEIGH6_ADD / NEIGH6_DEL */
	uint8_t ip[16];
	uint8_t mac[6];
	uint16_t state;
	uint8_t ntf_flags;
	uint8_t ndm_type;
};
/* SUBIF_ADD / SUBIF_DEL. h.proxy_id and h.ifindex are the sub-interface's own;
 * one copy goes to each port bound to root_proxy (the proxy with no VLAN
 * under it), so the data plane learns "port N has a sub-interface with these
 * tags". A single tag: outer_vlan = outer_proto = 0. QinQ (a VLAN on a VLAN of
 * a proxy): the outer tag is the parent's. */
struct ifpx_subif_change {
	uint16_t parent_proxy;         /* proxy id of the interface it sits on (a proxy or a sub-interface) */
	uint16_t root_proxy;           /* proxy id of the untagged proxy under every tag */
	uint32_t parent_ifindex;
	uint16_t vlan_id;              /* the innermost tag: this interface's own VLAN id */
	uint16_t vlan_proto;           /* its TPID in host order: 0x8100 (802.1Q) or 0x88a8 (802.1ad) */
	uint16_t outer_vlan;           /* QinQ: the outer tag's VLAN id, else 0 */
	uint16_t outer_proto;          /* QinQ: the outer tag's TPID, else 0 */
	char name[16];                 /* the sub-interface's name (IFLA_IFNAME), NUL-terminated */
};
/* MASTER_CHANGE: the proxy's IFLA_MASTER. Reported in the initial state when
 * the proxy has a master, and whenever it changes (master 0: it left). */
struct ifpx_master_change {
	uint32_t master;               /* ifindex of the master device, 0 for none */
	uint32_t vrf_table;            /* the master's VRF table (IFLA_VRF_TABLE) when kind is VRF, else 0 */
	uint8_t kind;                  /* IFPX_MASTER_* */
	uint8_t reserved[7];
	char name[16];                 /* the master's name, NUL-terminated ("" when unknown or none) */
};
#define IFPX_MASTER_NONE   0
#define IFPX_MASTER_VRF    1
#define IFPX_MASTER_BRIDGE 2
#define IFPX_MASTER_BOND   3
#define IFPX_MASTER_OTHER  4       /* a master whose kind ifpx does not name, or not seen yet */

#define IFPX_VLAN_PROTO_8021Q  0x8100
#define IFPX_VLAN_PROTO_8021AD 0x88a8

struct ifpx_overflow { uint32_t lost; };              /* OVERFLOW */
struct ifpx_resync_done { uint32_t added, removed, changed, reason; }; /* RESYNC_DONE */

struct ifpx_event {
	struct ifpx_event_hdr h;
	union {
		struct ifpx_mac_change mac_change;
		struct ifpx_mtu_change mtu_change;
		struct ifpx_link_change link_change;
		struct ifpx_addr_change addr_change;
		struct ifpx_addr6_change addr6_change;
		struct ifpx_route_change route_change;
		struct ifpx_route6_change route6_change;
		struct ifpx_neigh_change neigh_change;
		struct ifpx_neigh6_change neigh6_change;
		struct ifpx_overflow overflow;
		struct ifpx_resync_done resync_done;
		struct ifpx_subif_change subif_change;
		struct ifpx_master_change master_change;
		uint8_t raw[48];
	};
};

#ifdef __cplusplus
_Static_assert(sizeof(struct ifpx_event) == IFPX_EVENT_SIZE, "ifpx_event is 64 bytes");
#else
_Static_assert(sizeof(struct ifpx_event) == IFPX_EVENT_SIZE, "ifpx_event is 64 bytes");
_Static_assert(__builtin_offsetof(struct ifpx_event, route_change.depth) == 48, "route depth at 48");
_Static_assert(__builtin_offsetof(struct ifpx_event, route_change.gateway6) == 32, "route gateway at 32");
_Static_assert(__builtin_offsetof(struct ifpx_event, neigh_change.state) == 38, "neigh state at 38");
#endif

#ifdef __cplusplus
}
#endif
#endif /* IFPX_EVENT_H */
