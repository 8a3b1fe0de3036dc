/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The forwarding lcore. Each turn of its loop:
 *  1. applies the ifpx events waiting in its ring (whole 64-byte records,
 *     four 16-byte elements each), so table changes and packets are ordered
 *     on one thread;
 *  2. serves a pending request of the control process (a dump);
 *  3. per data port: a burst of received packets, each forwarded in C or
 *     punted to the port's proxy; then a burst from the proxy (what Linux
 *     sends: ARP, ND, ICMP, routing protocols, the slow path), sent out of
 *     the port unchanged.
 * When a turn finds nothing, it sleeps idle_sleep_us (0: busy polling): the
 * machines this runs on share their cores.
 *
 * Forwarding rules (the upstream l3fwd-ifpx's): a packet whose route and
 * neighbour are known gets new MACs (the egress proxy's as source), its
 * TTL / hop limit decremented and the IPv4 checksum updated, and leaves
 * through the route's port. Everything else goes to the ingress port's proxy
 * and Linux handles it: not IP, no route, a route to the router itself
 * (local, broadcast, anycast, multicast types), no neighbour (Linux resolves
 * and the NEIGH event lets the next packets through), TTL expiring, larger
 * than the egress MTU (Linux fragments or sends the ICMP error), egress proxy
 * down, IPv4 options, link-local addresses.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_fib.h>
#include <rte_lpm6.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "dataplane.h"

void api_serve_requests(struct l3fwd *s);   /* api.c */
extern volatile int l3fwd_hold_events;     /* api.c: a test's stand-in for a slow data plane */

static volatile int stop_flag;

void forward_request_stop(void)
{
	stop_flag = 1;
}

uint64_t l3fwd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct txq {
	uint16_t n;
	struct rte_mbuf *m[L3FWD_BURST];
};

struct turn {
	struct txq out[L3FWD_MAX_SLOTS];   /* fast path, by egress slot (sub-ports' frames already tagged) */
	struct txq punt;                   /* to the ingress (physical) port's proxy */
	struct port_state *in;             /* the packet's ingress port: the physical one or its sub-port */
};

static void drop(struct l3fwd *s, struct port_state *p, struct rte_mbuf *m)
{
	s->c.dropped++;
	p->c.dropped++;
	rte_pktmbuf_free(m);
}

/* The ethdev a slot's frames leave through: a sub-port's physical port. */
static uint16_t tx_port(const struct l3fwd *s, const struct port_state *p)
{
	return p->is_sub ? s->ports[p->phys].port : p->port;
}

static void punt(struct l3fwd *s, struct turn *t, struct rte_mbuf *m, enum punt_reason why)
{
	/* a sub-port's frame goes to the root's proxy tagged as it came: Linux's VLAN device takes it */
	if (t->in->is_sub && subport_push_tags(t->in, m) < 0)
		return drop(s, t->in, m);
	s->c.punt[why]++;
	t->in->c.punted++;
	t->punt.m[t->punt.n++] = m;
}

static const struct nexthop *pick(const struct route *r, uint32_t hash)
{
	if (r->n_nh == 1)
		return &r->nh[0];
	uint32_t total = 0;
	for (int i = 0; i < r->n_nh; i++)
		total += r->nh[i].weight;
	uint32_t x = hash % total;
	for (int i = 0; i < r->n_nh; i++) {
		if (x < r->nh[i].weight)
			return &r->nh[i];
		x -= r->nh[i].weight;
	}
	return &r->nh[0];
}

/* Flow hash for ECMP: addresses, protocol and (TCP/UDP) ports, so one flow keeps its path.
 * IPv4 fragments hash without ports (only the first carries them): a datagram stays on one path. */
static uint32_t l4_ports(const uint8_t *l4, uint8_t proto, const uint8_t *end)
{
	uint32_t v = 0;
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && l4 + 4 <= end)
		memcpy(&v, l4, 4);
	return v;
}

/* Route and neighbour found: the egress slot and the next hop's MAC, or a punt reason (< 0). */
static int resolve(struct l3fwd *s, const struct route *r, uint32_t hash, int family, const uint8_t *dst,
		   uint32_t len, struct rte_ether_addr *mac)
{
	if (r->type != RT_UNICAST)
		return r->type >= RT_LOCAL && r->type <= RT_MULTICAST ? -PUNT_LOCAL : -PUNT_ROUTE_TYPE;
	const struct nexthop *nh = pick(r, hash);
	uint8_t q = nh->port < RTE_MAX_ETHPORTS ? s->slot_of[nh->port] : subport_slot(s, nh->port);
	if (q == L3FWD_NO_SLOT || !s->ports[q].up || !s->ports[q].carrier)
		return -PUNT_LINK_DOWN;
	if (!s->ports[q].mac_known)
		return -PUNT_NO_MAC;
	const uint8_t *via = nh->family ? nh->gw : dst;
	int via_family = nh->family ? nh->family : family;
	if (neigh_lookup(s, nh->port, via_family, via, mac) == NULL)
		return -PUNT_NO_NEIGH;
	if (len > s->ports[q].mtu)
		return -PUNT_MTU;
	return q;
}

static void send_out(struct l3fwd *s, struct turn *t, struct rte_ether_hdr *eth, struct rte_mbuf *m, int q,
		     const struct rte_ether_addr *mac)
{
	eth->dst_addr = *mac;
	eth->src_addr = s->ports[q].mac;
	if (s->ports[q].is_sub && subport_push_tags(&s->ports[q], m) < 0)
		return drop(s, &s->ports[q], m);
	t->in->c.forwarded++;
	t->out[q].m[t->out[q].n++] = m;
}

static void handle_ipv4(struct l3fwd *s, struct turn *t, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	const uint8_t *end = rte_pktmbuf_mtod(m, uint8_t *) + m->data_len;
	struct rte_ether_addr mac;
	uint32_t idx;

	if ((const uint8_t *)(ip + 1) > end || ip->version_ihl != 0x45 || rte_be_to_cpu_16(ip->total_length) < 20)
		return punt(s, t, m, PUNT_IP_OPTIONS);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	uint64_t nh;
	if ((dst >> 28) == 0xe)
		return punt(s, t, m, PUNT_LOCAL);      /* multicast */
	rte_fib_lookup_bulk(s->fib4, &dst, &nh, 1);
	if (nh == FIB4_MISS)
		return punt(s, t, m, PUNT_NO_ROUTE);
	idx = (uint32_t)nh;
	const struct route *r = &s->routes[idx];
	if (r->type == RT_UNICAST && ip->time_to_live <= 1)
		return punt(s, t, m, PUNT_TTL);
	int fragment = (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) != 0;
	uint32_t hash = rte_jhash_3words(ip->src_addr, ip->dst_addr,
					 fragment ? 0 : l4_ports((const uint8_t *)(ip + 1), ip->next_proto_id, end),
					 ip->next_proto_id);
	int q = resolve(s, r, hash, AF_INET, (const uint8_t *)&dst, rte_be_to_cpu_16(ip->total_length), &mac);
	if (q < 0)
		return punt(s, t, m, (enum punt_reason)-q);
	ip->time_to_live--;
	/* RFC 1624: the TTL is the high byte of its 16-bit word; one less there is 0x0100 more in the checksum */
	uint32_t sum = (uint32_t)rte_be_to_cpu_16(ip->hdr_checksum) + 0x0100;
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)(sum + (sum >> 16)));
	s->c.fwd4++;
	send_out(s, t, eth, m, q, &mac);
}

static void handle_ipv6(struct l3fwd *s, struct turn *t, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	const uint8_t *end = rte_pktmbuf_mtod(m, uint8_t *) + m->data_len;
	struct rte_ether_addr mac;
	uint32_t idx;

	if ((const uint8_t *)(ip + 1) > end)
		return punt(s, t, m, PUNT_IP_OPTIONS);
	if (ip->dst_addr[0] == 0xff)
		return punt(s, t, m, PUNT_LOCAL);      /* multicast: ND, MLD, ... */
	/* link-local source or destination: never forwarded, Linux decides */
	if ((ip->dst_addr[0] == 0xfe && (ip->dst_addr[1] & 0xc0) == 0x80) ||
	    (ip->src_addr[0] == 0xfe && (ip->src_addr[1] & 0xc0) == 0x80))
		return punt(s, t, m, PUNT_IP_OPTIONS);
	if (rte_lpm6_lookup(s->lpm6, ip->dst_addr, &idx) != 0)
		return punt(s, t, m, PUNT_NO_ROUTE);
	const struct route *r = &s->routes[idx];
	if (r->type == RT_UNICAST && ip->hop_limits <= 1)
		return punt(s, t, m, PUNT_TTL);
	uint32_t a, b;
	memcpy(&a, ip->src_addr + 12, 4);
	memcpy(&b, ip->dst_addr + 12, 4);
	uint32_t hash = rte_jhash_3words(a, b, l4_ports((const uint8_t *)(ip + 1), ip->proto, end), ip->proto);
	int q = resolve(s, r, hash, AF_INET6, ip->dst_addr, 40u + rte_be_to_cpu_16(ip->payload_len), &mac);
	if (q < 0)
		return punt(s, t, m, (enum punt_reason)-q);
	ip->hop_limits--;
	s->c.fwd6++;
	send_out(s, t, eth, m, q, &mac);
}

static void handle(struct l3fwd *s, struct turn *t, struct port_state *in, struct rte_mbuf *m)
{
	t->in = in;
	if (m->data_len < sizeof(struct rte_ether_hdr))
		return punt(s, t, m, PUNT_NO_MAC);
	struct port_state *sub = subport_classify(s, in, m);
	if (sub != NULL) {
		sub->c.rx++;
		t->in = in = sub;
	} else if ((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) && rte_vlan_insert(&m) < 0) {
		/* a tag of no sub-port that the PMD took off: Linux gets the frame as it came */
		return drop(s, in, m);
	}
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (!in->mac_known)
		return punt(s, t, m, PUNT_NO_MAC);
	/* frames for another host's MAC would be Linux's to drop too (PACKET_OTHERHOST) */
	if (rte_is_unicast_ether_addr(&eth->dst_addr) && !rte_is_same_ether_addr(&eth->dst_addr, &in->mac)) {
		s->c.l2_other++;
		return drop(s, in, m);
	}
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return handle_ipv4(s, t, m, eth);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return handle_ipv6(s, t, m, eth);
	default:
		return punt(s, t, m, PUNT_NOT_IP);
	}
}

static uint16_t flush(struct txq *q, uint16_t port, uint64_t *dropped)
{
	uint16_t n = q->n, sent = n ? rte_eth_tx_burst(port, 0, q->m, n) : 0;
	for (uint16_t i = sent; i < n; i++)
		rte_pktmbuf_free(q->m[i]);
	*dropped += (uint64_t)(n - sent);
	q->n = 0;
	return sent;
}

/* One burst from a data port. */
static uint16_t from_port(struct l3fwd *s, struct turn *t, struct port_state *in)
{
	struct rte_mbuf *pkts[L3FWD_BURST];
	uint16_t n = rte_eth_rx_burst(in->port, 0, pkts, L3FWD_BURST);

	if (n == 0)
		return 0;
	in->c.rx += n;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		handle(s, t, in, pkts[i]);
	}
	for (uint8_t q = 0; q < L3FWD_MAX_SLOTS; q++) {
		if (q == s->n_ports)
			q = L3FWD_MAX_PORTS;
		struct port_state *p = &s->ports[q];
		if (t->out[q].n == 0)
			continue;
		uint16_t sent = flush(&t->out[q], tx_port(s, p), &p->c.dropped);
		p->c.tx += sent;
		if (p->is_sub)
			s->ports[p->phys].c.tx += sent;
	}
	uint16_t k = t->punt.n;
	if (k) {
		s->c.punted += k;
		flush(&t->punt, in->proxy, &in->c.dropped);
	}
	return n;
}

/* One burst of what Linux sent out of a proxy: it leaves through the bound port as it is. */
static uint16_t from_proxy(struct l3fwd *s, struct port_state *p)
{
	struct txq q;
	q.n = rte_eth_rx_burst(p->proxy, 0, q.m, L3FWD_BURST);
	if (q.n == 0)
		return 0;
	uint16_t n = q.n, sent = flush(&q, p->port, &p->c.dropped);
	p->c.from_proxy += n;
	p->c.tx += sent;
	s->c.from_proxy += n;
	return n;
}

static unsigned int drain_events(struct l3fwd *s, unsigned int max)
{
	struct ifpx_event ev[64];
	unsigned int total = 0;

	while (total < max) {
		unsigned int avail = rte_ring_count(s->ring) / IFPX_RING_ELEMS_PER_EVENT;
		unsigned int k = avail < RTE_DIM(ev) ? avail : RTE_DIM(ev);
		/* single consumer: the count cannot shrink under us, the bulk call takes whole records */
		if (k == 0 || rte_ring_dequeue_bulk_elem(s->ring, ev, IFPX_RING_ELEM_SIZE,
							 k * IFPX_RING_ELEMS_PER_EVENT, NULL) == 0)
			break;
		for (unsigned int i = 0; i < k; i++)
			events_apply(s, &ev[i]);
		total += k;
	}
	return total;
}

/* Everything enqueued so far (a dump then shows the state after it). */
void forward_drain_all(struct l3fwd *s)
{
	while (drain_events(s, 1u << 20) != 0)
		;
}

int forward_loop(void *arg)
{
	struct l3fwd *s = arg;
	struct turn t;
	unsigned int idle = 0;

	memset(&t, 0, sizeof(t));
	while (!stop_flag) {
		unsigned int work = l3fwd_hold_events ? 0 : drain_events(s, 4096);
		api_serve_requests(s);
		for (uint8_t i = 0; i < s->n_ports; i++) {
			work += from_port(s, &t, &s->ports[i]);
			work += from_proxy(s, &s->ports[i]);
		}
		s->c.loops++;
		if (work) {
			idle = 0;
		} else if (s->cfg.idle_sleep_us && ++idle > 64) {
			s->c.idle_sleeps++;
			rte_delay_us_sleep(s->cfg.idle_sleep_us);
		}
	}
	return 0;
}
