/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ifpx event records -> the data plane's state. This is the only way state
 * enters the data plane: it never reads Linux itself.
 *
 * Records carry the data port they are for (port_id: ifpx copies an event to
 * every port bound to the proxy it was seen on). Port-less records:
 *  - OVERFLOW: the ring was full and records were lost. The Node side sees
 *    the same loss and asks ifpx for a replay into this ring; from here on
 *    every entry the stream confirms gets the new generation, and at
 *    REPLAY_DONE the entries that were not confirmed are dropped.
 *  - RESYNC_DONE: a netlink overrun was resynchronised by ifpx; the
 *    differences came before it as ordinary ADD/DEL records (flag RESYNC).
 */
#include <string.h>

#include "dataplane.h"

static struct port_state *port_of(struct l3fwd *s, const struct ifpx_event *ev)
{
	uint16_t port = ev->h.port_id;
	if (port < RTE_MAX_ETHPORTS && s->slot_of[port] != L3FWD_NO_SLOT)
		return &s->ports[s->slot_of[port]];
	return subport_of(s, port, ev->h.proxy_id);
}

void events_apply(struct l3fwd *s, const struct ifpx_event *ev)
{
	uint16_t type = ev->h.type;
	struct port_state *p;

	s->c.events++;
	if (type < IFPX_EVENT_TYPE_COUNT)
		s->c.events_by_type[type]++;
	switch (type) {
	case IFPX_OVERFLOW:
		s->c.overflow_records++;
		s->c.overflow_lost += ev->overflow.lost;
		s->gen++;
		s->awaiting_replay = 1;
		return;
	case IFPX_REPLAY_DONE:
		s->replays++;
		if (s->awaiting_replay) {
			fib_sweep(s);
			neigh_sweep(s);
			subport_sweep(s);
			s->awaiting_replay = 0;
			s->c.replays_swept++;
		}
		return;
	case IFPX_RESYNC_DONE:
		s->resyncs++;
		return;
	case IFPX_CFG_DONE:
		s->cfg_done = 1;
		return;
	case IFPX_PORT_DONE: case IFPX_END:
		return;
	default:
		break;
	}
	if (type == IFPX_SUBIF_ADD || type == IFPX_SUBIF_DEL) {
		/* for the root's (physical) ports; h.proxy_id is the sub-interface's */
		uint16_t port = ev->h.port_id;
		if (port >= RTE_MAX_ETHPORTS || s->slot_of[port] == L3FWD_NO_SLOT) {
			s->c.events_ignored++;
			return;
		}
		if (type == IFPX_SUBIF_ADD)
			subport_add(s, &s->ports[s->slot_of[port]], ev);
		else
			subport_del(s, ev);
		return;
	}
	p = port_of(s, ev);
	if (p == NULL) {
		s->c.events_ignored++;
		return;
	}
	switch (type) {
	case IFPX_MAC_CHANGE:
		memcpy(p->mac.addr_bytes, ev->mac_change.mac, 6);
		p->mac_known = 1;
		break;
	case IFPX_MTU_CHANGE:
		p->mtu = ev->mtu_change.mtu;
		break;
	case IFPX_LINK_CHANGE:
		p->up = ev->link_change.is_up;
		p->carrier = ev->link_change.carrier;
		break;
	case IFPX_ROUTE_ADD: case IFPX_ROUTE6_ADD:
		fib_route_event(s, ev, 1);
		break;
	case IFPX_ROUTE_DEL: case IFPX_ROUTE6_DEL:
		fib_route_event(s, ev, 0);
		break;
	case IFPX_NEIGH_ADD: case IFPX_NEIGH6_ADD:
		neigh_event(s, ev, 1);
		break;
	case IFPX_NEIGH_DEL: case IFPX_NEIGH6_DEL:
		neigh_event(s, ev, 0);
		break;
	case IFPX_PROXY_GONE:
		/* the port has no proxy any more: nothing to punt to, nothing to forward with */
		p->up = 0;
		p->carrier = 0;
		p->mac_known = 0;
		fib_port_gone(s, ev->h.port_id);
		neigh_port_gone(s, ev->h.port_id);
		break;
	default:
		/* addresses: the router's own addresses reach the FIB as table-local routes */
		break;
	}
}
