/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The neighbour (adjacency) table: (port, family, ip) -> MAC, filled only by
 * ifpx NEIGH events, i.e. by Linux's own ARP/ND on the proxies. The hash's
 * data word carries the MAC (48 bits) and the replay generation (16 bits),
 * so a lookup on the packet path touches the hash only.
 *
 * Usable entries are those Linux would send to: REACHABLE, STALE, DELAY,
 * PROBE, PERMANENT, NOARP with a MAC. INCOMPLETE and FAILED (no MAC, or one
 * given up) remove the entry, so its packets are punted and Linux resolves.
 * A STALE entry keeps being used while the fast path carries the traffic:
 * Linux does not see it and does not re-probe (as in other linux-cp designs);
 * a changed MAC arrives when Linux learns it (e.g. from a gratuitous ARP).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>

#include "dataplane.h"

#define NUD_INCOMPLETE 0x01
#define NUD_FAILED 0x20
#define NUD_NONE 0x00
#define NEIGH_KEY_LEN 20

static void neigh_key(uint8_t *key, uint16_t port, int family, const uint8_t *ip)
{
	memset(key, 0, NEIGH_KEY_LEN);
	memcpy(key, &port, 2);
	key[2] = (uint8_t)family;
	memcpy(key + 4, ip, family == AF_INET ? 4 : 16);
}

int neigh_init(struct l3fwd *s)
{
	struct rte_hash_parameters hp = {
		.name = "l3fwd_neigh", .entries = s->cfg.neighs, .key_len = NEIGH_KEY_LEN,
		.hash_func = rte_jhash, .socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	s->neighs = rte_hash_create(&hp);
	return s->neighs ? 0 : -ENOMEM;
}

void neigh_free(struct l3fwd *s)
{
	rte_hash_free(s->neighs);
}

static uint64_t pack(const uint8_t *mac, uint16_t gen)
{
	uint64_t v = 0;
	memcpy(&v, mac, 6);
	return v | ((uint64_t)gen << 48);
}

void neigh_event(struct l3fwd *s, const struct ifpx_event *ev, int add)
{
	int v4 = ev->h.type == IFPX_NEIGH_ADD || ev->h.type == IFPX_NEIGH_DEL;
	const uint8_t *ip = v4 ? (const uint8_t *)&ev->neigh_change.ip : ev->neigh6_change.ip;
	const uint8_t *mac = v4 ? ev->neigh_change.mac : ev->neigh6_change.mac;
	uint16_t state = v4 ? ev->neigh_change.state : ev->neigh6_change.state;
	static const uint8_t zero[6];
	uint8_t key[NEIGH_KEY_LEN];

	neigh_key(key, ev->h.port_id, v4 ? AF_INET : AF_INET6, ip);
	if (add && state != NUD_INCOMPLETE && state != NUD_FAILED && state != NUD_NONE && memcmp(mac, zero, 6) != 0) {
		int had = rte_hash_lookup(s->neighs, key) >= 0;
		if (rte_hash_add_key_data(s->neighs, key, (void *)(uintptr_t)pack(mac, s->gen)) < 0)
			s->c.neigh_full++;
		else if (!had)
			s->n_neighs++;
		return;
	}
	if (rte_hash_del_key(s->neighs, key) >= 0)
		s->n_neighs--;
}

const struct rte_ether_addr *neigh_lookup(const struct l3fwd *s, uint16_t port, int family, const uint8_t *ip,
					  struct rte_ether_addr *out)
{
	uint8_t key[NEIGH_KEY_LEN];
	void *data;

	neigh_key(key, port, family, ip);
	if (rte_hash_lookup_data(s->neighs, key, &data) < 0)
		return NULL;
	uint64_t v = (uint64_t)(uintptr_t)data;
	memcpy(out->addr_bytes, &v, 6);
	return out;
}

void neigh_foreach(const struct l3fwd *s, neigh_visit fn, void *arg)
{
	const void *key;
	void *data;
	uint32_t it = 0;

	while (rte_hash_iterate(s->neighs, &key, &data, &it) >= 0) {
		const uint8_t *k = key;
		uint16_t port;
		uint64_t v = (uint64_t)(uintptr_t)data;
		struct rte_ether_addr mac;
		memcpy(&port, k, 2);
		memcpy(mac.addr_bytes, &v, 6);
		fn(arg, port, k[2], k + 4, &mac);
	}
}

/* Deletes the entries of a port (port >= 0) or those older than the current generation. */
static void drop_where(struct l3fwd *s, int port, int stale)
{
	uint8_t (*doomed)[NEIGH_KEY_LEN] = NULL;
	uint32_t n = 0, cap = 0, it = 0;
	const void *key;
	void *data;

	while (rte_hash_iterate(s->neighs, &key, &data, &it) >= 0) {
		uint16_t p;
		uint64_t v = (uint64_t)(uintptr_t)data;
		memcpy(&p, key, 2);
		if (!((port >= 0 && p == port) || (stale && (uint16_t)(v >> 48) != s->gen)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			void *d = realloc(doomed, (size_t)cap * NEIGH_KEY_LEN);
			if (d == NULL)
				break;
			doomed = d;
		}
		memcpy(doomed[n++], key, NEIGH_KEY_LEN);
	}
	/* deleting while iterating would skip entries: collect first */
	for (uint32_t i = 0; i < n; i++)
		if (rte_hash_del_key(s->neighs, doomed[i]) >= 0)
			s->n_neighs--;
	free(doomed);
}

void neigh_port_gone(struct l3fwd *s, uint16_t port)
{
	drop_where(s, port, 0);
}

void neigh_sweep(struct l3fwd *s)
{
	drop_where(s, -1, 1);
}
