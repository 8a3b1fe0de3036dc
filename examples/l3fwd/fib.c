/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Routes and the LPM tables.
 *
 * ifpx delivers one record per (route identity, next hop through a proxy):
 * identity = family, table, prefix, depth, metric, tos. A replace arrives as
 * the DELs of the next hops that went and the ADDs of the new ones; an ADD of
 * a next hop already held is an update (weight, type). So a route here is an
 * identity with the set of its next hops, and a route disappears with its
 * last next hop.
 *
 * The FIBs hold a route index per prefix: IPv4 in rte_fib (DIR-24-8 lookup
 * tables over an rte_rib tree), IPv6 in rte_lpm6 (21-bit next hops, rules in
 * a hash). Not rte_lpm for IPv4: it keeps its rules in an array scanned
 * linearly per depth on every add and delete, so a full table of /24s costs
 * O(n) per route (see the example's README); rte_rib finds a rule in
 * O(prefix length).
 * Several routes may share a prefix and depth (other tables, other metrics);
 * the one installed is the one Linux forwards with: table local first, then
 * table main with the lowest metric (tos 0 only). Other tables are kept (the
 * dump shows them) but not forwarded with: policy routing stays in Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_fib.h>
#include <rte_lpm6.h>
#include <rte_lcore.h>

#include "dataplane.h"

#define PREFIX_KEY_LEN 20

void fib_prefix_key(uint8_t *key, int family, const uint8_t *prefix, uint8_t depth)
{
	memset(key, 0, PREFIX_KEY_LEN);
	key[0] = (uint8_t)family;
	key[1] = depth;
	memcpy(key + 4, prefix, family == AF_INET ? 4 : 16);
}

int fib_init(struct l3fwd *s)
{
	struct rte_fib_conf c4 = { .type = RTE_FIB_DIR24_8, .default_nh = FIB4_MISS, .max_routes = (int)s->cfg.routes4,
				   .dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = s->cfg.tbl8s4 } };
	struct rte_lpm6_config c6 = { .max_rules = s->cfg.routes6, .number_tbl8s = s->cfg.tbl8s6 };
	uint32_t total = s->cfg.routes4 + s->cfg.routes6;
	struct rte_hash_parameters hp = {
		.name = "l3fwd_prefixes", .entries = total + total / 4 + 64, .key_len = PREFIX_KEY_LEN,
		.hash_func = rte_jhash, .socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	s->fib4 = rte_fib_create("l3fwd_fib4", (int)rte_socket_id(), &c4);
	s->lpm6 = rte_lpm6_create("l3fwd_lpm6", (int)rte_socket_id(), &c6);
	s->prefixes = rte_hash_create(&hp);
	s->cap_routes = total;
	s->routes = calloc(total, sizeof(*s->routes));
	s->free_routes = malloc(sizeof(uint32_t) * total);
	if (!s->fib4 || !s->lpm6 || !s->prefixes || !s->routes || !s->free_routes)
		return -ENOMEM;
	return 0;
}

void fib_free(struct l3fwd *s)
{
	for (uint32_t i = 0; i < s->n_routes; i++)
		free(s->routes[i].nh);
	free(s->routes);
	free(s->free_routes);
	rte_hash_free(s->prefixes);
	rte_lpm6_free(s->lpm6);
	rte_fib_free(s->fib4);
}

static uint32_t route_alloc(struct l3fwd *s)
{
	if (s->n_free)
		return s->free_routes[--s->n_free];
	if (s->n_routes == s->cap_routes)
		return ROUTE_NONE;
	return s->n_routes++;
}

static uint32_t chain_head(const struct l3fwd *s, const uint8_t *key)
{
	void *data;
	if (rte_hash_lookup_data(s->prefixes, key, &data) < 0)
		return ROUTE_NONE;
	return (uint32_t)(uintptr_t)data;
}

static void log_change(struct l3fwd *s, const struct route *r, int type)
{
	uint64_t now = l3fwd_now_ns();
	s->c.last_route_ns = now;
	if (s->log) {   /* a ring: the latest log_size changes */
		struct route_log_entry *e = &s->log[s->log_n++ % s->cfg.log_size];
		e->ns = now;
		e->family = r->family;
		e->depth = r->depth;
		e->type = (uint8_t)type;
		memcpy(&e->ip4, r->family == AF_INET ? r->prefix : (const uint8_t *)"\0\0\0\0", 4);
	}
}

/* The route Linux forwards with among those of a prefix (see the top). */
static uint32_t best_of(const struct l3fwd *s, uint32_t head)
{
	uint32_t best = ROUTE_NONE;
	for (uint32_t i = head; i != ROUTE_NONE; i = s->routes[i].next) {
		const struct route *r = &s->routes[i];
		if (r->tos != 0 || r->n_nh == 0 || (r->table != RT_TABLE_MAIN && r->table != RT_TABLE_LOCAL))
			continue;
		if (best == ROUTE_NONE) { best = i; continue; }
		const struct route *b = &s->routes[best];
		if (r->table == RT_TABLE_LOCAL && b->table != RT_TABLE_LOCAL)
			best = i;
		else if (r->table == b->table && r->priority < b->priority)
			best = i;
	}
	return best;
}

/* Whether the FIB has an entry for the prefix: one of its routes is installed. Asked before a
 * change, as the installed route may leave the chain. */
static int installed(const struct l3fwd *s, uint32_t head)
{
	for (uint32_t i = head; i != ROUTE_NONE; i = s->routes[i].next)
		if (s->routes[i].in_lpm)
			return 1;
	return 0;
}

/* Puts the prefix's best route into the FIB (or removes the prefix); `was`: it had an entry. */
static void lpm_sync(struct l3fwd *s, int family, const uint8_t *prefix, uint8_t depth, uint32_t head, int was)
{
	uint32_t best = best_of(s, head);
	int ret = 0;

	for (uint32_t i = head; i != ROUTE_NONE; i = s->routes[i].next)
		s->routes[i].in_lpm = 0;
	if (best != ROUTE_NONE) {
		if (family == AF_INET) {
			uint32_t ip;
			memcpy(&ip, prefix, 4);
			ret = rte_fib_add(s->fib4, ip, depth, best);
		} else {
			ret = rte_lpm6_add(s->lpm6, prefix, depth, best);
		}
		if (ret < 0) {
			s->c.lpm_add_fail++;
			best = ROUTE_NONE;
		} else {
			s->routes[best].in_lpm = 1;
		}
	}
	if (best == ROUTE_NONE && was) {
		if (family == AF_INET) {
			uint32_t ip;
			memcpy(&ip, prefix, 4);
			rte_fib_delete(s->fib4, ip, depth);
		} else {
			rte_lpm6_delete(s->lpm6, prefix, depth);
		}
	}
	if (best != ROUTE_NONE && !was)
		(family == AF_INET ? s->routes4++ : s->routes6++);
	else if (best == ROUTE_NONE && was)
		(family == AF_INET ? s->routes4-- : s->routes6--);
	s->c.route_changes++;
}

static int same_gw(const struct nexthop *n, int family, const uint8_t *gw)
{
	if (n->family != family)
		return 0;
	return family == 0 || memcmp(n->gw, gw, family == AF_INET ? 4 : 16) == 0;
}

/* Unlinks route i from its chain and frees it. Returns the new head. */
static uint32_t route_remove(struct l3fwd *s, const uint8_t *key, uint32_t head, uint32_t i)
{
	if (head == i) {
		head = s->routes[i].next;
		if (head == ROUTE_NONE)
			rte_hash_del_key(s->prefixes, key);
		else
			rte_hash_add_key_data(s->prefixes, key, (void *)(uintptr_t)head);
	} else {
		for (uint32_t p = head; p != ROUTE_NONE; p = s->routes[p].next)
			if (s->routes[p].next == i) {
				s->routes[p].next = s->routes[i].next;
				break;
			}
	}
	free(s->routes[i].nh);
	memset(&s->routes[i], 0, sizeof(s->routes[i]));
	s->free_routes[s->n_free++] = i;
	return head;
}

void fib_route_event(struct l3fwd *s, const struct ifpx_event *ev, int add)
{
	int v4 = ev->h.type == IFPX_ROUTE_ADD || ev->h.type == IFPX_ROUTE_DEL;
	int family = v4 ? AF_INET : AF_INET6;
	uint8_t prefix[16] = { 0 }, gw[16] = { 0 }, key[PREFIX_KEY_LEN];
	uint8_t depth, tos, rtype, proto, weight;
	uint32_t table, priority;
	int gw_family = 0;

	if (v4) {
		const struct ifpx_route_change *rc = &ev->route_change;
		memcpy(prefix, &rc->ip, 4);
		depth = rc->depth; tos = rc->tos; rtype = rc->type; proto = rc->protocol;
		table = rc->table; priority = rc->priority; weight = rc->nh_weight;
		if (ev->h.flags & IFPX_F_GATEWAY6) {
			memcpy(gw, rc->gateway6, 16);
			gw_family = AF_INET6;
		} else if (rc->gateway != 0) {
			memcpy(gw, &rc->gateway, 4);
			gw_family = AF_INET;
		}
	} else {
		const struct ifpx_route6_change *rc = &ev->route6_change;
		static const uint8_t zero[16];
		memcpy(prefix, rc->ip, 16);
		depth = rc->depth; tos = rc->tos; rtype = rc->type; proto = rc->protocol;
		table = rc->table; priority = rc->priority; weight = rc->nh_weight;
		if (memcmp(rc->gateway, zero, 16) != 0) {
			memcpy(gw, rc->gateway, 16);
			gw_family = AF_INET6;
		}
	}
	if (depth > (v4 ? 32 : 128))
		return;
	fib_prefix_key(key, family, prefix, depth);
	uint32_t head = chain_head(s, key), i;
	int was = installed(s, head);
	for (i = head; i != ROUTE_NONE; i = s->routes[i].next) {
		const struct route *r = &s->routes[i];
		if (r->table == table && r->priority == priority && r->tos == tos)
			break;
	}
	if (!add) {
		if (i == ROUTE_NONE)
			return;
		struct route *r = &s->routes[i];
		for (int k = 0; k < r->n_nh; k++) {
			if (r->nh[k].port == ev->h.port_id && same_gw(&r->nh[k], gw_family, gw)) {
				r->nh[k] = r->nh[--r->n_nh];
				break;
			}
		}
		log_change(s, r, 0);
		if (r->n_nh == 0)
			head = route_remove(s, key, head, i);
		lpm_sync(s, family, prefix, depth, head, was);
		return;
	}
	if (i == ROUTE_NONE) {
		i = route_alloc(s);
		if (i == ROUTE_NONE) {
			s->c.route_full++;
			return;
		}
		struct route *r = &s->routes[i];
		memset(r, 0, sizeof(*r));
		r->family = (uint8_t)family;
		r->depth = depth;
		r->tos = tos;
		r->table = table;
		r->priority = priority;
		memcpy(r->prefix, prefix, 16);
		r->next = head;
		if (rte_hash_add_key_data(s->prefixes, key, (void *)(uintptr_t)i) < 0) {
			s->c.route_full++;
			s->free_routes[s->n_free++] = i;
			return;
		}
		head = i;
	}
	struct route *r = &s->routes[i];
	r->type = rtype;
	r->protocol = proto;
	int k;
	for (k = 0; k < r->n_nh; k++)
		if (r->nh[k].port == ev->h.port_id && same_gw(&r->nh[k], gw_family, gw))
			break;
	if (k == r->n_nh) {
		if (r->n_nh == r->cap_nh) {
			uint8_t cap = r->cap_nh ? (uint8_t)(r->cap_nh * 2) : 1;
			struct nexthop *nh = r->cap_nh == 128 ? NULL : realloc(r->nh, sizeof(*nh) * cap);
			if (nh == NULL) {
				s->c.nh_full++;
				return;
			}
			r->nh = nh;
			r->cap_nh = cap;
		}
		r->n_nh++;
	}
	struct nexthop *n = &r->nh[k];
	n->port = ev->h.port_id;
	n->weight = weight ? weight : 1;
	n->family = (uint8_t)gw_family;
	n->gen = s->gen;
	memcpy(n->gw, gw, 16);
	lpm_sync(s, family, prefix, depth, head, was);
	log_change(s, r, 1);
}

/* Drops next hops through `port`, or (stale) those not confirmed since the last OVERFLOW. */
static void drop_where(struct l3fwd *s, int port, int stale)
{
	uint8_t key[PREFIX_KEY_LEN];
	for (uint32_t i = 0; i < s->n_routes; i++) {
		struct route *r = &s->routes[i];
		int changed = 0;
		if (r->n_nh == 0)
			continue;
		for (int k = 0; k < r->n_nh;) {
			if ((port >= 0 && r->nh[k].port == port) || (stale && r->nh[k].gen != s->gen)) {
				r->nh[k] = r->nh[--r->n_nh];
				changed = 1;
			} else {
				k++;
			}
		}
		if (!changed)
			continue;
		int family = r->family;
		uint8_t prefix[16], depth = r->depth;
		memcpy(prefix, r->prefix, 16);
		fib_prefix_key(key, family, prefix, depth);
		uint32_t head = chain_head(s, key);
		int was = installed(s, head);
		if (r->n_nh == 0)
			head = route_remove(s, key, head, i);
		lpm_sync(s, family, prefix, depth, head, was);
	}
}

/* PROXY_GONE: ifpx sent the DELs first; whatever is left through the port goes. */
void fib_port_gone(struct l3fwd *s, uint16_t port)
{
	drop_where(s, port, 0);
}

/* REPLAY_DONE after an OVERFLOW: what the replay did not mention is gone. */
void fib_sweep(struct l3fwd *s)
{
	drop_where(s, -1, 1);
}
