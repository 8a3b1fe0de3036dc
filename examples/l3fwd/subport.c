/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sub-ports: VLAN (802.1Q) and QinQ (802.1ad + 802.1Q) sub-interfaces of a
 * proxy, which ifpx reports with SUBIF_ADD / SUBIF_DEL (option subinterfaces)
 * to the ports bound to the untagged root proxy. Each is a logical port: its
 * addresses, routes and neighbours arrive for the logical id the application
 * bound it to, and on the wire it is the physical port's frames with its tags.
 *
 * Received: the tags are taken off before the L3 lookup (so the lookup code is
 * the untagged one) and put back when the frame is punted: Linux gets it on
 * the root's proxy as it came, and its VLAN device (dp0.100) takes it from
 * there. Sent: the tags are pushed and the frame leaves through the physical
 * port. What Linux sends from the VLAN device leaves its root proxy already
 * tagged (the tap writes the tag into the frame) and goes out as it is.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane.h"

#define TPID_8021Q RTE_ETHER_TYPE_VLAN
#define TPID_8021AD RTE_ETHER_TYPE_QINQ

static struct port_state *slot_by_proxy(struct l3fwd *s, uint16_t proxy_id)
{
	for (int i = L3FWD_MAX_PORTS; i < L3FWD_MAX_SLOTS; i++)
		if (s->ports[i].in_use && s->ports[i].proxy == proxy_id)
			return &s->ports[i];
	return NULL;
}

uint8_t subport_slot(const struct l3fwd *s, uint16_t port)
{
	if (port == L3FWD_PORT_UNKNOWN)
		return L3FWD_NO_SLOT;
	for (int i = L3FWD_MAX_PORTS; i < L3FWD_MAX_SLOTS; i++)
		if (s->ports[i].in_use && s->ports[i].port == port)
			return (uint8_t)i;
	return L3FWD_NO_SLOT;
}

/* The sub-port a record for logical port `port` is about; the first record for a
 * sub-interface's proxy id binds its logical id. */
struct port_state *subport_of(struct l3fwd *s, uint16_t port, uint16_t proxy_id)
{
	uint8_t q = subport_slot(s, port);
	if (q != L3FWD_NO_SLOT)
		return &s->ports[q];
	struct port_state *p = slot_by_proxy(s, proxy_id);
	if (p == NULL || p->port != L3FWD_PORT_UNKNOWN || port == L3FWD_PORT_UNKNOWN || port < RTE_MAX_ETHPORTS)
		return NULL;
	p->port = port;
	return p;
}

/* SUBIF_ADD on physical port `phys` (a replay repeats it: the entry is updated). */
void subport_add(struct l3fwd *s, struct port_state *phys, const struct ifpx_event *ev)
{
	const struct ifpx_subif_change *c = &ev->subif_change;
	struct port_state *p = slot_by_proxy(s, ev->h.proxy_id);

	if (p == NULL) {
		for (int i = L3FWD_MAX_PORTS; i < L3FWD_MAX_SLOTS && p == NULL; i++)
			if (!s->ports[i].in_use)
				p = &s->ports[i];
		if (p == NULL) {
			s->c.subport_full++;
			return;
		}
		memset(p, 0, sizeof(*p));
		p->in_use = 1;
		p->is_sub = 1;
		p->port = L3FWD_PORT_UNKNOWN;
		p->proxy = ev->h.proxy_id;
		p->mtu = 1500;
	}
	p->phys = (uint8_t)(phys - s->ports);
	p->gen = s->gen;
	if (c->outer_proto) {
		p->n_tags = 2;
		p->tpid[0] = c->outer_proto;
		p->vid[0] = c->outer_vlan;
		p->tpid[1] = c->vlan_proto;
		p->vid[1] = c->vlan_id;
	} else {
		p->n_tags = 1;
		p->tpid[0] = c->vlan_proto;
		p->vid[0] = c->vlan_id;
	}
}

static void release(struct l3fwd *s, struct port_state *p)
{
	/* PROXY_GONE for the logical port came first; a SUBIF_DEL from a resync may not have */
	if (p->port != L3FWD_PORT_UNKNOWN) {
		fib_port_gone(s, p->port);
		neigh_port_gone(s, p->port);
	}
	memset(p, 0, sizeof(*p));
}

void subport_del(struct l3fwd *s, const struct ifpx_event *ev)
{
	struct port_state *p = slot_by_proxy(s, ev->h.proxy_id);
	if (p != NULL)
		release(s, p);
}

/* REPLAY_DONE after an overflow: a sub-port the replay did not announce again was deleted
 * while its SUBIF_DEL was among the lost records. */
void subport_sweep(struct l3fwd *s)
{
	for (int i = L3FWD_MAX_PORTS; i < L3FWD_MAX_SLOTS; i++)
		if (s->ports[i].in_use && s->ports[i].gen != s->gen)
			release(s, &s->ports[i]);
}

static int is_tpid(uint16_t t)
{
	return t == TPID_8021Q || t == TPID_8021AD;
}

/* The tags of a received frame, from the outside in: the one the PMD took off
 * into the mbuf (af_packet does when the kernel untagged it), then those in the data. */
static int read_tags(struct rte_mbuf *m, uint16_t *vid, int max)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	int n = 0;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)
		vid[n++] = m->vlan_tci & 0xfff;
	for (uint32_t off = 12; n < max && off + 4 <= m->data_len; off += 4) {
		uint16_t t = (uint16_t)(d[off] << 8 | d[off + 1]);
		if (!is_tpid(t))
			break;
		vid[n++] = (uint16_t)((d[off + 2] << 8 | d[off + 3]) & 0xfff);
	}
	return n;
}

/* The sub-port of a frame received on `phys`, its tags taken off; NULL (frame untouched)
 * for an untagged frame or tags no sub-port has. TPIDs are not compared: a PMD that
 * strips the outer tag does not say which it was. */
struct port_state *subport_classify(struct l3fwd *s, struct port_state *phys, struct rte_mbuf *m)
{
	uint16_t vid[3];
	int n = read_tags(m, vid, 3);
	if (n == 0)
		return NULL;
	uint8_t me = (uint8_t)(phys - s->ports);
	for (int i = L3FWD_MAX_PORTS; i < L3FWD_MAX_SLOTS; i++) {
		struct port_state *p = &s->ports[i];
		if (!p->in_use || p->phys != me || p->n_tags != n || p->vid[0] != vid[0] || (n == 2 && p->vid[1] != vid[1]))
			continue;
		int in_data = n - ((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) ? 1 : 0);
		if (in_data) {
			uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
			memmove(d + 4 * in_data, d, 2 * RTE_ETHER_ADDR_LEN);
			rte_pktmbuf_adj(m, (uint16_t)(4 * in_data));
		}
		m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
		return p;
	}
	return NULL;
}

/* Pushes the sub-port's tags (outer first on the wire); < 0 when the mbuf has no headroom. */
int subport_push_tags(const struct port_state *sub, struct rte_mbuf *m)
{
	uint16_t len = (uint16_t)(4 * sub->n_tags);
	uint8_t *d = (uint8_t *)rte_pktmbuf_prepend(m, len);
	if (d == NULL)
		return -1;
	memmove(d, d + len, 2 * RTE_ETHER_ADDR_LEN);
	for (int i = 0; i < sub->n_tags; i++) {
		uint8_t *tag = d + 12 + 4 * i;
		tag[0] = (uint8_t)(sub->tpid[i] >> 8);
		tag[1] = (uint8_t)sub->tpid[i];
		tag[2] = (uint8_t)(sub->vid[i] >> 8);
		tag[3] = (uint8_t)sub->vid[i];
	}
	return 0;
}
