/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The data plane's counters (one JSON object) and tables (JSON for programs,
 * text for people). Routes are printed from the route store, and each one
 * says whether it is the route the LPM holds for its prefix ("lpm": the LPM
 * is looked up at the prefix's address and must return this route, unless a
 * longer prefix covers that address).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_fib.h>
#include <rte_lpm6.h>

#include "dataplane.h"

static const char *const punt_names[PUNT_REASONS] = {
	"not_ip", "no_route", "local", "route_type", "no_neigh", "ttl", "mtu", "link_down", "ip_options", "no_mac",
};

static const char *const type_names[IFPX_EVENT_TYPE_COUNT] = {
	"MAC_CHANGE", "MTU_CHANGE", "LINK_CHANGE", "ADDR_ADD", "ADDR_DEL", "ADDR6_ADD", "ADDR6_DEL",
	"ROUTE_ADD", "ROUTE_DEL", "ROUTE6_ADD", "ROUTE6_DEL", "NEIGH_ADD", "NEIGH_DEL", "NEIGH6_ADD",
	"NEIGH6_DEL", "CFG_DONE", "PROXY_GONE", "PORT_DONE", "RESYNC_DONE", "OVERFLOW", "REPLAY_DONE", "END",
	"SUBIF_ADD", "SUBIF_DEL", "MASTER_CHANGE",
};

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + (o->len < o->cap ? o->len : o->cap), o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void mac_str(char *b, const struct rte_ether_addr *m)
{
	const uint8_t *a = m->addr_bytes;
	sprintf(b, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void addr_str(char *b, int family, const uint8_t *a)
{
	if (family == AF_INET) {
		uint32_t h;
		memcpy(&h, a, 4);
		struct in_addr n = { .s_addr = htonl(h) };
		inet_ntop(AF_INET, &n, b, INET6_ADDRSTRLEN);
	} else {
		inet_ntop(AF_INET6, a, b, INET6_ADDRSTRLEN);
	}
}

/* Returns the length the JSON needs (it is complete when < cap). */
int report_stats_json(const struct l3fwd *s, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };
	const struct l3fwd_counters *c = &s->c;

	put(&o, "{\"fwd4\":%" PRIu64 ",\"fwd6\":%" PRIu64 ",\"forwarded\":%" PRIu64 ",\"punted\":%" PRIu64
	    ",\"dropped\":%" PRIu64 ",\"from_proxy\":%" PRIu64 ",\"l2_other\":%" PRIu64 ",\"punt\":{",
	    c->fwd4, c->fwd6, c->fwd4 + c->fwd6, c->punted, c->dropped, c->from_proxy, c->l2_other);
	for (int i = 0; i < PUNT_REASONS; i++)
		put(&o, "%s\"%s\":%" PRIu64, i ? "," : "", punt_names[i], c->punt[i]);
	put(&o, "},\"events\":%" PRIu64 ",\"events_ignored\":%" PRIu64 ",\"by_type\":{", c->events, c->events_ignored);
	for (int i = 0, first = 1; i < IFPX_EVENT_TYPE_COUNT; i++)
		if (c->events_by_type[i]) {
			put(&o, "%s\"%s\":%" PRIu64, first ? "" : ",", type_names[i], c->events_by_type[i]);
			first = 0;
		}
	put(&o, "},\"cfg_done\":%s,\"resyncs\":%u,\"replays\":%u,\"overflow_records\":%" PRIu64
	    ",\"overflow_lost\":%" PRIu64 ",\"replays_swept\":%" PRIu64 ",\"awaiting_replay\":%s",
	    s->cfg_done ? "true" : "false", s->resyncs, s->replays, c->overflow_records, c->overflow_lost,
	    c->replays_swept, s->awaiting_replay ? "true" : "false");
	put(&o, ",\"routes\":%u,\"lpm4\":%u,\"lpm6\":%u,\"neighs\":%u,\"lpm_add_fail\":%" PRIu64
	    ",\"route_full\":%" PRIu64 ",\"neigh_full\":%" PRIu64 ",\"nh_full\":%" PRIu64
	    ",\"route_changes\":%" PRIu64 ",\"last_route_ns\":%" PRIu64 ",\"loops\":%" PRIu64 ",\"idle_sleeps\":%" PRIu64
	    ",\"ring_events\":%u,\"ports\":[",
	    s->n_routes - s->n_free, s->routes4, s->routes6, s->n_neighs, c->lpm_add_fail, c->route_full,
	    c->neigh_full, c->nh_full, c->route_changes, c->last_route_ns, c->loops, c->idle_sleeps,
	    rte_ring_count(s->ring) / IFPX_RING_ELEMS_PER_EVENT);
	for (int i = 0; i < s->n_ports; i++) {
		const struct port_state *p = &s->ports[i];
		char m[18];
		mac_str(m, &p->mac);
		put(&o, "%s{\"port\":%u,\"proxy\":%u,\"up\":%s,\"carrier\":%s,\"mtu\":%u,\"mac\":\"%s\",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
		    ",\"forwarded\":%" PRIu64 ",\"punted\":%" PRIu64 ",\"from_proxy\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
		    i ? "," : "", p->port, p->proxy, p->up ? "true" : "false", p->carrier ? "true" : "false", p->mtu, p->mac_known ? m : "",
		    p->c.rx, p->c.tx, p->c.forwarded, p->c.punted, p->c.from_proxy, p->c.dropped);
	}
	/* sub-ports: port is the logical id (-1 until its first record), proxy ifpx's proxy id, on the physical port */
	put(&o, "],\"subport_full\":%" PRIu64 ",\"subports\":[", c->subport_full);
	for (int i = L3FWD_MAX_PORTS, n = 0; i < L3FWD_MAX_SLOTS; i++) {
		const struct port_state *p = &s->ports[i];
		char m[18];
		if (!p->in_use)
			continue;
		mac_str(m, &p->mac);
		put(&o, "%s{\"port\":%d,\"proxy\":%u,\"on\":%u,\"tags\":[", n++ ? "," : "",
		    p->port == L3FWD_PORT_UNKNOWN ? -1 : (int)p->port, p->proxy, s->ports[p->phys].port);
		for (int k = 0; k < p->n_tags; k++)
			put(&o, "%s{\"tpid\":%u,\"vid\":%u}", k ? "," : "", p->tpid[k], p->vid[k]);
		put(&o, "],\"up\":%s,\"carrier\":%s,\"mtu\":%u,\"mac\":\"%s\",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
		    ",\"forwarded\":%" PRIu64 ",\"punted\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
		    p->up ? "true" : "false", p->carrier ? "true" : "false", p->mtu, p->mac_known ? m : "",
		    p->c.rx, p->c.tx, p->c.forwarded, p->c.punted, p->c.dropped);
	}
	put(&o, "]}");
	return (int)o.len;
}

/* The LPM's answer for the route's own prefix address is the route itself (or a longer prefix's). */
static int lpm_agrees(const struct l3fwd *s, uint32_t i)
{
	const struct route *r = &s->routes[i];
	uint32_t got;
	int ret;
	if (r->family == AF_INET) {
		uint32_t ip;
		memcpy(&ip, r->prefix, 4);
		uint64_t nh;
		rte_fib_lookup_bulk(s->fib4, &ip, &nh, 1);
		got = (uint32_t)nh;
		ret = nh == FIB4_MISS ? -1 : 0;
	} else {
		ret = rte_lpm6_lookup(s->lpm6, r->prefix, &got);
	}
	if (ret != 0)
		return 0;
	return got == i || s->routes[got].depth > r->depth;
}

struct neigh_ctx {
	FILE *f;
	int json, n;
};

static void print_neigh(void *arg, uint16_t port, int family, const uint8_t *ip, const struct rte_ether_addr *mac)
{
	struct neigh_ctx *x = arg;
	char a[INET6_ADDRSTRLEN], m[18];
	addr_str(a, family, ip);
	mac_str(m, mac);
	if (x->json)
		fprintf(x->f, "%s\n{\"port\":%u,\"family\":%d,\"ip\":\"%s\",\"mac\":\"%s\"}", x->n ? "," : "", port,
			family == AF_INET ? 4 : 6, a, m);
	else
		fprintf(x->f, "  %-40s port %u lladdr %s\n", a, port, m);
	x->n++;
}

int report_tables(const struct l3fwd *s, FILE *f, int json)
{
	char buf[16384], a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN], m[18];
	int n = 0;

	if (json) {
		report_stats_json(s, buf, sizeof(buf));
		fprintf(f, "{\"stats\":%s,\n\"routes\":[", buf);
	} else {
		fprintf(f, "ports:\n");
		for (int i = 0; i < s->n_ports; i++) {
			const struct port_state *p = &s->ports[i];
			mac_str(m, &p->mac);
			fprintf(f, "  port %u proxy %u %s%s mtu %u mac %s rx %" PRIu64 " tx %" PRIu64 " forwarded %" PRIu64
				" punted %" PRIu64 " from proxy %" PRIu64 "\n", p->port, p->proxy, p->up ? "UP" : "DOWN",
				p->up && !p->carrier ? " NO-CARRIER" : "", p->mtu,
				p->mac_known ? m : "?", p->c.rx, p->c.tx, p->c.forwarded, p->c.punted, p->c.from_proxy);
		}
		for (int i = L3FWD_MAX_PORTS; i < L3FWD_MAX_SLOTS; i++) {
			const struct port_state *p = &s->ports[i];
			if (!p->in_use)
				continue;
			mac_str(m, &p->mac);
			fprintf(f, "  sub-port %d proxy %u on port %u vlan %u", p->port == L3FWD_PORT_UNKNOWN ? -1 : (int)p->port,
				p->proxy, s->ports[p->phys].port, p->vid[0]);
			if (p->n_tags == 2)
				fprintf(f, ".%u", p->vid[1]);
			fprintf(f, " %s%s mtu %u mac %s rx %" PRIu64 " tx %" PRIu64 " forwarded %" PRIu64 " punted %" PRIu64 "\n",
				p->up ? "UP" : "DOWN", p->up && !p->carrier ? " NO-CARRIER" : "", p->mtu, p->mac_known ? m : "?",
				p->c.rx, p->c.tx, p->c.forwarded, p->c.punted);
		}
		fprintf(f, "routes (* = in the FIB):\n");
	}
	for (uint32_t i = 0; i < s->n_routes; i++) {
		const struct route *r = &s->routes[i];
		if (r->n_nh == 0)
			continue;
		addr_str(a, r->family, r->prefix);
		if (json) {
			fprintf(f, "%s\n{\"family\":%d,\"dst\":\"%s/%u\",\"table\":%u,\"type\":%u,\"proto\":%u,\"metric\":%u,"
				"\"tos\":%u,\"lpm\":%s,\"nh\":[", n ? "," : "", r->family == AF_INET ? 4 : 6, a, r->depth, r->table,
				r->type, r->protocol, r->priority, r->tos,
				r->in_lpm ? (lpm_agrees(s, i) ? "true" : "\"MISMATCH\"") : "false");
		} else {
			fprintf(f, " %c%s/%u table %u type %u metric %u", r->in_lpm ? '*' : ' ', a, r->depth, r->table,
				r->type, r->priority);
		}
		for (int k = 0; k < r->n_nh; k++) {
			const struct nexthop *nh = &r->nh[k];
			if (nh->family)
				addr_str(g, nh->family, nh->gw);
			if (json)
				fprintf(f, "%s{\"port\":%u,\"weight\":%u%s%s%s}", k ? "," : "", nh->port, nh->weight,
					nh->family ? ",\"gw\":\"" : "", nh->family ? g : "", nh->family ? "\"" : "");
			else
				fprintf(f, "%s%s%s port %u weight %u", k ? "," : "", nh->family ? " via " : "",
					nh->family ? g : "", nh->port, nh->weight);
		}
		fprintf(f, json ? "]}" : "\n");
		n++;
	}
	struct neigh_ctx x = { f, json, 0 };
	fprintf(f, json ? "],\n\"neigh\":[" : "neighbours:\n");
	neigh_foreach(s, print_neigh, &x);
	fprintf(f, json ? "]}\n" : "");
	return n;
}

int report_route_log(const struct l3fwd *s, FILE *f)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t from = s->log_n > s->cfg.log_size ? s->log_n - s->cfg.log_size : 0;
	for (uint32_t i = from; i < s->log_n; i++) {
		const struct route_log_entry *e = &s->log[i % s->cfg.log_size];
		addr_str(a, AF_INET, (const uint8_t *)&e->ip4);
		fprintf(f, "%" PRIu64 " %s %s/%u\n", e->ns, e->type ? "add" : "del", e->family == AF_INET ? a : "v6", e->depth);
	}
	return (int)(s->log_n - from);
}
