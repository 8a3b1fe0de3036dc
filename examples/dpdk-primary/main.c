/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dpdk-primary: a minimal DPDK primary process that owns a named rte_ring of
 * ifpx events (native/include/ifpx_event.h: one 64-byte record = four 16-byte
 * ring elements) and prints what an ifpx Node process, attached as a DPDK
 * secondary with the same --file-prefix, publishes into it.
 *
 *   dpdk-primary [EAL args] -- --ring NAME [--size EVENTS] [--port P]
 *                [--expect TYPE,TYPE,...] [--expect-types SPEC] [--linger SECONDS]
 *                [--timeout SECONDS] [--hold N] [--quiet]
 *
 * It prints "READY ring=NAME capacity=N" once the ring exists, then one line per
 * event. With --expect it exits 0 as soon as it has seen those types, in that
 * order, for port P (other events are printed and skipped; OVERFLOW, CFG_DONE
 * and other port-less records match any --port), and 2 on timeout. Without
 * --expect it runs until the timeout (default 10 s) and exits 0.
 * Types are names (ROUTE_ADD, ...) or numbers.
 *
 * --expect-types SPEC (needs --port) verifies what a data plane would get for
 * its port: SPEC is a comma-separated sequence of steps; a step is one
 * expectation or several joined by '+' (seen in any order). An expectation is
 * TYPE or TYPE=VALUE, where VALUE narrows the match:
 *   LINK_CHANGE=up|down   MTU_CHANGE=1600   MAC_CHANGE=02:11:22:33:44:55
 *   ADDR_ADD=198.51.100.14/24   ROUTE6_ADD=2001:db8::/64   NEIGH_ADD=198.51.100.1
 *   ROUTE_ADD=203.0.113.0/24@198.51.100.1  (@ the gateway; /LEN optional)
 * Records of other ports are ignored; port-less records (CFG_DONE, ...) may
 * match. Every other record of the port (an IPv6 link-local route, a
 * broadcast route, ...) is skipped: the steps must appear as a subsequence.
 * An OVERFLOW that is not expected fails at once (exit 3): events were lost.
 * It prints "MATCHED i/N TOKEN" as each expectation is met (a driver can pace
 * its steps on it), then "VERIFIED", and exits 0 (after --linger seconds of
 * further draining, or at SIGTERM); 2 on timeout with what is missing.
 *
 * --count TYPE:N (a benchmark consumer, needs --port) counts the records of TYPE
 * for the port and exits 0 once N were seen, printing
 * "COUNT n=N first_ns=T0 last_ns=T1 lost=L received=R" (CLOCK_MONOTONIC at the
 * dequeue of the first and of the N-th record, comparable with Node's
 * process.hrtime.bigint(); lost = the sum of OVERFLOW records); 2 on timeout
 * (with the count so far).
 *
 * --hold N: do not dequeue until
 * N events are queued (tests use it to fill the ring and make a producer's
 * overflow deterministic).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ifpx_event.h"

static const char *const type_names[IFPX_EVENT_TYPE_COUNT] = {
	"MAC_CHANGE", "MTU_CHANGE", "LINK_CHANGE", "ADDR_ADD", "ADDR_DEL",
	"ADDR6_ADD", "ADDR6_DEL", "ROUTE_ADD", "ROUTE_DEL", "ROUTE6_ADD",
	"ROUTE6_DEL", "NEIGH_ADD", "NEIGH_DEL", "NEIGH6_ADD", "NEIGH6_DEL",
	"CFG_DONE", "PROXY_GONE", "PORT_DONE", "RESYNC_DONE", "OVERFLOW",
	"REPLAY_DONE", "END", "SUBIF_ADD", "SUBIF_DEL", "MASTER_CHANGE",
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int parse_type(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && *end == '\0')
		return v >= 0 && v < IFPX_EVENT_TYPE_COUNT ? (int)v : -1;
	for (int i = 0; i < IFPX_EVENT_TYPE_COUNT; i++)
		if (strcasecmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

static void ip4(char *buf, uint32_t host_order)
{
	struct in_addr a = { .s_addr = htonl(host_order) };
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void ip6(char *buf, const uint8_t *a)
{
	inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static void mac(char *buf, const uint8_t *m)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_event(const struct ifpx_event *ev)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], m[18];
	const char *name = ev->h.type < IFPX_EVENT_TYPE_COUNT ? type_names[ev->h.type] : "UNKNOWN";

	printf("%s type=%u port=%u proxy=%u ifindex=%" PRIu32 " seq=%" PRIu32 " flags=0x%02x",
	       name, ev->h.type, ev->h.port_id, ev->h.proxy_id, ev->h.ifindex, ev->h.seq, ev->h.flags);
	switch (ev->h.type) {
	case IFPX_MAC_CHANGE:
		mac(m, ev->mac_change.mac);
		printf(" mac=%s", m);
		break;
	case IFPX_MTU_CHANGE:
		printf(" mtu=%" PRIu32, ev->mtu_change.mtu);
		break;
	case IFPX_LINK_CHANGE:
		printf(" up=%u carrier=%u operstate=%u if_flags=0x%" PRIx32, ev->link_change.is_up,
		       ev->link_change.carrier, ev->link_change.operstate, ev->link_change.if_flags);
		break;
	case IFPX_ADDR_ADD: case IFPX_ADDR_DEL:
		ip4(a, ev->addr_change.ip);
		printf(" ip=%s/%u scope=%u", a, ev->addr_change.prefixlen, ev->addr_change.scope);
		break;
	case IFPX_ADDR6_ADD: case IFPX_ADDR6_DEL:
		ip6(a, ev->addr6_change.ip);
		printf(" ip=%s/%u scope=%u", a, ev->addr6_change.prefixlen, ev->addr6_change.scope);
		break;
	case IFPX_ROUTE_ADD: case IFPX_ROUTE_DEL:
		ip4(a, ev->route_change.ip);
		if (ev->h.flags & IFPX_F_GATEWAY6)     /* an IPv6 gateway (RTA_VIA, RFC 5549) */
			ip6(b, ev->route_change.gateway6);
		else
			ip4(b, ev->route_change.gateway);
		printf(" dst=%s/%u gw=%s table=%" PRIu32 " type=%u proto=%u", a, ev->route_change.depth, b,
		       ev->route_change.table, ev->route_change.type, ev->route_change.protocol);
		break;
	case IFPX_ROUTE6_ADD: case IFPX_ROUTE6_DEL:
		ip6(a, ev->route6_change.ip);
		ip6(b, ev->route6_change.gateway);
		printf(" dst=%s/%u gw=%s table=%" PRIu32 " type=%u proto=%u", a, ev->route6_change.depth, b,
		       ev->route6_change.table, ev->route6_change.type, ev->route6_change.protocol);
		break;
	case IFPX_NEIGH_ADD: case IFPX_NEIGH_DEL:
		ip4(a, ev->neigh_change.ip);
		mac(m, ev->neigh_change.mac);
		printf(" ip=%s mac=%s state=0x%x", a, m, ev->neigh_change.state);
		break;
	case IFPX_NEIGH6_ADD: case IFPX_NEIGH6_DEL:
		ip6(a, ev->neigh6_change.ip);
		mac(m, ev->neigh6_change.mac);
		printf(" ip=%s mac=%s state=0x%x", a, m, ev->neigh6_change.state);
		break;
	case IFPX_OVERFLOW:
		printf(" lost=%" PRIu32, ev->overflow.lost);
		break;
	case IFPX_RESYNC_DONE:
		printf(" added=%" PRIu32 " removed=%" PRIu32 " changed=%" PRIu32, ev->resync_done.added,
		       ev->resync_done.removed, ev->resync_done.changed);
		break;
	default:
		break;
	}
	putchar('\n');
	fflush(stdout);
}

/* --expect-types: a sequence of steps, each a set of expectations seen in any order */
struct want {
	int type;
	char text[64];        /* the token as given, for messages */
	int has_ip, len;      /* len -1: any prefix length / depth */
	uint8_t ip[16];       /* IPv4: host-order uint32 in the first 4 bytes */
	int has_gw;
	uint8_t gw[16];
	long num;             /* LINK_CHANGE up (1) / down (0), MTU_CHANGE mtu; -1: any */
	int has_mac;
	uint8_t mac[6];
	int step;             /* index of its step */
	int done;
};
#define MAX_WANTS 256
static struct want wants[MAX_WANTS];
static int n_wants;

static int family_of(int type)
{
	switch (type) {
	case IFPX_ADDR_ADD: case IFPX_ADDR_DEL: case IFPX_ROUTE_ADD: case IFPX_ROUTE_DEL:
	case IFPX_NEIGH_ADD: case IFPX_NEIGH_DEL:
		return AF_INET;
	case IFPX_ADDR6_ADD: case IFPX_ADDR6_DEL: case IFPX_ROUTE6_ADD: case IFPX_ROUTE6_DEL:
	case IFPX_NEIGH6_ADD: case IFPX_NEIGH6_DEL:
		return AF_INET6;
	default:
		return 0;
	}
}

static int parse_addr(int family, const char *s, uint8_t *out)
{
	if (family == AF_INET) {
		struct in_addr a;
		if (inet_pton(AF_INET, s, &a) != 1)
			return -1;
		uint32_t h = ntohl(a.s_addr);
		memcpy(out, &h, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned int b[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

/* TYPE or TYPE=VALUE (see the top of the file) */
static int parse_want(char *tok, struct want *w)
{
	char buf[128], *val, *gw, *len;

	memset(w, 0, sizeof(*w));
	w->len = -1;
	w->num = -1;
	snprintf(w->text, sizeof(w->text), "%s", tok);
	snprintf(buf, sizeof(buf), "%s", tok);
	val = strchr(buf, '=');
	if (val)
		*val++ = '\0';
	w->type = parse_type(buf);
	if (w->type < 0)
		return -1;
	if (!val)
		return 0;
	int fam = family_of(w->type);
	if (fam) {
		gw = strchr(val, '@');
		if (gw) {
			*gw++ = '\0';
			if (parse_addr(fam, gw, w->gw) < 0)
				return -1;
			w->has_gw = 1;
		}
		len = strchr(val, '/');
		if (len) {
			*len++ = '\0';
			w->len = atoi(len);
		}
		if (parse_addr(fam, val, w->ip) < 0)
			return -1;
		w->has_ip = 1;
		return 0;
	}
	switch (w->type) {
	case IFPX_LINK_CHANGE:
		if (strcasecmp(val, "up") == 0)
			w->num = 1;
		else if (strcasecmp(val, "down") == 0)
			w->num = 0;
		else
			return -1;
		return 0;
	case IFPX_MTU_CHANGE:
		w->num = strtol(val, NULL, 0);
		return 0;
	case IFPX_MAC_CHANGE:
		w->has_mac = 1;
		return parse_mac(val, w->mac);
	default:
		return -1; /* no value for this type */
	}
}

static int parse_spec(char *spec)
{
	char *save_step, *save_w;
	int step = 0;

	for (char *st = strtok_r(spec, ",", &save_step); st; st = strtok_r(NULL, ",", &save_step), step++) {
		for (char *tok = strtok_r(st, "+", &save_w); tok; tok = strtok_r(NULL, "+", &save_w)) {
			if (n_wants == MAX_WANTS || parse_want(tok, &wants[n_wants]) < 0) {
				fprintf(stderr, "dpdk-primary: bad --expect-types token '%s'\n", tok);
				return -1;
			}
			wants[n_wants++].step = step;
		}
	}
	return n_wants ? 0 : -1;
}

static int match_ip(int fam, const uint8_t *want, const void *got)
{
	return memcmp(want, got, fam == AF_INET ? 4 : 16) == 0;
}

static int matches(const struct want *w, const struct ifpx_event *ev)
{
	int fam = family_of(w->type);
	const uint8_t *ip = NULL, *gw = NULL;
	int len = -1;

	if (ev->h.type != w->type)
		return 0;
	switch (ev->h.type) {
	case IFPX_LINK_CHANGE: return w->num < 0 || ev->link_change.is_up == w->num;
	case IFPX_MTU_CHANGE: return w->num < 0 || ev->mtu_change.mtu == (uint32_t)w->num;
	case IFPX_MAC_CHANGE: return !w->has_mac || memcmp(ev->mac_change.mac, w->mac, 6) == 0;
	case IFPX_ADDR_ADD: case IFPX_ADDR_DEL:
		ip = (const uint8_t *)&ev->addr_change.ip; len = ev->addr_change.prefixlen; break;
	case IFPX_ADDR6_ADD: case IFPX_ADDR6_DEL:
		ip = ev->addr6_change.ip; len = ev->addr6_change.prefixlen; break;
	case IFPX_ROUTE_ADD: case IFPX_ROUTE_DEL:
		ip = (const uint8_t *)&ev->route_change.ip; len = ev->route_change.depth;
		gw = (const uint8_t *)&ev->route_change.gateway; break;
	case IFPX_ROUTE6_ADD: case IFPX_ROUTE6_DEL:
		ip = ev->route6_change.ip; len = ev->route6_change.depth; gw = ev->route6_change.gateway; break;
	case IFPX_NEIGH_ADD: case IFPX_NEIGH_DEL:
		ip = (const uint8_t *)&ev->neigh_change.ip; break;
	case IFPX_NEIGH6_ADD: case IFPX_NEIGH6_DEL:
		ip = ev->neigh6_change.ip; break;
	default:
		return 1;
	}
	if (w->has_ip && !match_ip(fam, w->ip, ip))
		return 0;
	if (w->len >= 0 && len >= 0 && w->len != len)
		return 0;
	if (w->has_gw && (gw == NULL || !match_ip(fam, w->gw, gw)))
		return 0;
	return 1;
}

/* Feed one record of the port; returns the number of expectations now met. */
static int next_want; /* first expectation of the current step */
static int met;

static void feed_types(const struct ifpx_event *ev)
{
	if (next_want >= n_wants)
		return;
	int step = wants[next_want].step;
	for (int i = next_want; i < n_wants && wants[i].step == step; i++) {
		if (wants[i].done || !matches(&wants[i], ev))
			continue;
		wants[i].done = 1;
		met++;
		printf("MATCHED %d/%d %s seq=%" PRIu32 "\n", i + 1, n_wants, wants[i].text, ev->h.seq);
		break; /* one record meets one expectation */
	}
	while (next_want < n_wants && wants[next_want].done)
		next_want++;
	/* a step is complete when all its expectations are met: next_want moved past it */
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Where the primary maps its hugepage memory, unless --base-virtaddr is given.
 * A secondary must map the same addresses. EAL's default (0x900600000 here)
 * lies in the range where V8 places heap pages at random addresses (below
 * 0x400000000000 on x86-64), so a Node secondary failed now and then with
 * "Cannot get a virtual area at requested address"; glibc maps top-down from
 * just below 0x7f0000000000. 0x500000000000 is clear of both. */
#define DEFAULT_BASE_VIRTADDR "--base-virtaddr=0x500000000000"

int main(int argc, char **argv)
{
	const char *ring_name = NULL;
	unsigned int size = 1024;
	long port = -1;
	int expect[256], n_expect = 0, seen = 0, quiet = 0;
	unsigned int hold = 0;
	double timeout = 10, linger = 0;
	char *types_spec = NULL;
	int count_type = -1;
	unsigned long count_target = 0, counted = 0, overflow_lost = 0;
	uint64_t first_ns = 0, last_ns = 0;
	int has_base = 0, n = 0;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--base-virtaddr", 15) == 0)
			has_base = 1;
	char **eal_argv = calloc((size_t)argc + 2, sizeof(char *));
	if (eal_argv == NULL)
		return 1;
	eal_argv[n++] = argv[0];
	if (!has_base)
		eal_argv[n++] = (char *)DEFAULT_BASE_VIRTADDR;
	for (int i = 1; i < argc; i++)
		eal_argv[n++] = argv[i];
	argc = n;
	argv = eal_argv;

	int ret = rte_eal_init(argc, argv);

	if (ret < 0) {
		fprintf(stderr, "dpdk-primary: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;

	static const struct option opts[] = {
		{ "ring", required_argument, NULL, 'r' }, { "size", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' }, { "expect", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
		{ "hold", required_argument, NULL, 'h' },
		{ "expect-types", required_argument, NULL, 'T' },
		{ "linger", required_argument, NULL, 'L' },
		{ "count", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': ring_name = optarg; break;
		case 's': size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'p': port = strtol(optarg, NULL, 0); break;
		case 't': timeout = strtod(optarg, NULL); break;
		case 'q': quiet = 1; break;
		case 'h': hold = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'T': types_spec = optarg; break;
		case 'L': linger = strtod(optarg, NULL); break;
		case 'C': {
			char *colon = strchr(optarg, ':');
			if (colon == NULL) {
				fprintf(stderr, "dpdk-primary: --count TYPE:N\n");
				return 1;
			}
			*colon = '\0';
			count_type = parse_type(optarg);
			count_target = strtoul(colon + 1, NULL, 0);
			if (count_type < 0 || count_target == 0) {
				fprintf(stderr, "dpdk-primary: bad --count %s:%s\n", optarg, colon + 1);
				return 1;
			}
			break;
		}
		case 'e':
			for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ",")) {
				int t = parse_type(tok);
				if (t < 0 || n_expect == (int)RTE_DIM(expect)) {
					fprintf(stderr, "dpdk-primary: bad --expect type '%s'\n", tok);
					return 1;
				}
				expect[n_expect++] = t;
			}
			break;
		default:
			fprintf(stderr, "usage: dpdk-primary [EAL args] -- --ring NAME [--size EVENTS] "
				"[--port P] [--expect T1,T2,...] [--expect-types SPEC] [--linger S] [--timeout S] "
				"[--count TYPE:N] [--hold N] [--quiet]\n");
			return 1;
		}
	}
	if (ring_name == NULL || size == 0) {
		fprintf(stderr, "dpdk-primary: --ring NAME is required\n");
		return 1;
	}
	if (count_target && port < 0) {
		fprintf(stderr, "dpdk-primary: --count needs --port\n");
		return 1;
	}
	if (types_spec && (n_expect || port < 0 || parse_spec(types_spec) < 0)) {
		fprintf(stderr, "dpdk-primary: --expect-types needs --port, a valid SPEC, and no --expect\n");
		return 1;
	}

	/* 4 x 16-byte elements per event; EXACT_SZ so the capacity is `size` events.
	 * Multi-producer enqueue (a secondary and anyone else may publish), single consumer. */
	struct rte_ring *r = rte_ring_create_elem(ring_name, IFPX_RING_ELEM_SIZE,
						  size * IFPX_RING_ELEMS_PER_EVENT, (int)rte_socket_id(),
						  RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (r == NULL) {
		fprintf(stderr, "dpdk-primary: rte_ring_create_elem(%s): %s\n", ring_name, rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("READY ring=%s capacity=%u\n", ring_name, rte_ring_get_capacity(r) / IFPX_RING_ELEMS_PER_EVENT);
	fflush(stdout);

	struct ifpx_event ev[32];
	unsigned long total = 0;
	double deadline = now_s() + timeout;
	int status = n_expect || n_wants || count_target ? 2 : 0;
	double verified_at = 0;

	while (!stop) {
		/* whole events only: dequeue a multiple of 4 elements */
		unsigned int avail = rte_ring_count(r) / IFPX_RING_ELEMS_PER_EVENT;
		if (hold) {
			if (avail < hold)
				avail = 0;
			else
				hold = 0; /* held until N were queued; drain from now on */
		}
		unsigned int k = avail < RTE_DIM(ev) ? avail : RTE_DIM(ev);
		if (k == 0 || rte_ring_dequeue_bulk_elem(r, ev, IFPX_RING_ELEM_SIZE,
							 k * IFPX_RING_ELEMS_PER_EVENT, NULL) == 0) {
			if (now_s() > deadline)
				break;
			if (n_wants && met == n_wants && now_s() - verified_at >= linger)
				break;
			usleep(1000);
			continue;
		}
		if (count_target) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			for (unsigned int i = 0; i < k; i++) {
				if (ev[i].h.type == IFPX_OVERFLOW)
					overflow_lost += ev[i].overflow.lost;
				if (ev[i].h.type != count_type || ev[i].h.port_id != port)
					continue;
				if (counted++ == 0)
					first_ns = t;
				if (counted == count_target)
					last_ns = t;
			}
			if (counted >= count_target) {
				status = 0;
				stop = 1;
			}
		}
		for (unsigned int i = 0; i < k; i++) {
			total++;
			if (!quiet)
				print_event(&ev[i]);
			if (seen < n_expect && ev[i].h.type == expect[seen] &&
			    (port < 0 || ev[i].h.port_id == port || ev[i].h.port_id == IFPX_PORT_NONE))
				seen++;
			if (n_wants && met < n_wants &&
			    (ev[i].h.port_id == port || ev[i].h.port_id == IFPX_PORT_NONE)) {
				if (ev[i].h.type == IFPX_OVERFLOW && wants[next_want].type != IFPX_OVERFLOW) {
					printf("LOST %" PRIu32 " events (OVERFLOW) after %d of %d expected\n",
					       ev[i].overflow.lost, met, n_wants);
					status = 3;
					stop = 1;
					break;
				}
				feed_types(&ev[i]);
				if (met == n_wants) {
					printf("VERIFIED %d expected events (%lu received)\n", n_wants, total);
					fflush(stdout);
					status = 0;
					verified_at = now_s();
				}
			}
		}
		if (n_expect && seen == n_expect) {
			status = 0;
			break;
		}
		if (n_wants && met == n_wants && now_s() - verified_at >= linger)
			break;
	}
	if (n_wants && status == 2) {
		printf("%s after %.1f s: %d of %d expected events for port %ld (%lu received); missing:",
		       stop ? "STOPPED" : "TIMEOUT", now_s() - (deadline - timeout), met, n_wants, port, total);
		for (int i = next_want; i < n_wants && wants[i].step == wants[next_want].step; i++)
			if (!wants[i].done)
				printf(" %s", wants[i].text);
		printf(" (step %d)\n", wants[next_want].step + 1);
	}
	if (n_expect) {
		if (seen == n_expect) {
			printf("VERIFIED %d expected events (%lu received)\n", n_expect, total);
		} else {
			printf("TIMEOUT after %.1f s: saw %d of %d expected events (%lu received); next expected %s\n",
			       timeout, seen, n_expect, total, type_names[expect[seen]]);
		}
	} else if (count_target) {
		printf("COUNT n=%lu first_ns=%" PRIu64 " last_ns=%" PRIu64 " lost=%lu received=%lu%s\n", counted,
		       first_ns, last_ns, overflow_lost, total, status ? " TIMEOUT" : "");
	} else if (n_wants) {
		if (status == 0)
			printf("DONE %lu events\n", total);
	} else {
		printf("DONE %lu events\n", total);
	}
	fflush(stdout);
	rte_ring_free(r);
	rte_eal_cleanup();
	return status;
}
