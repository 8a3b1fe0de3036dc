/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the Node control process calls (examples/l3fwd/dataplane.ts, koffi).
 * Node is the EAL primary; it made the ports (net_af_packet data ports,
 * net_tap proxies made by ifpx) and the rte_ring ifpx publishes into. Here
 * they are configured and started, and the forwarding loop is launched on a
 * worker lcore of the same process.
 *
 * The tables belong to the forwarding lcore. Node never reads them directly:
 * it posts a request (dump the tables, the route log) and the lcore serves it
 * between two bursts, after applying every event already in the ring.
 * Counters are read directly (64-bit aligned words written by one thread).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane.h"

struct l3fwd *l3;
volatile int l3fwd_hold_events;
static char err[256];
static unsigned int launched_lcore = RTE_MAX_LCORE;

/* request slot: Node writes what/path then bumps posted; the lcore answers with served */
static char req_path[1024];
static int req_what, req_result;
static int req_posted, req_served;

void forward_drain_all(struct l3fwd *s);

const char *l3fwd_error(void)
{
	return err;
}

static int fail(int ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int ret, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	return ret < 0 ? ret : -EINVAL;
}

static int start_port(uint16_t port, struct rte_mempool *pool, int promisc)
{
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret < 0)
		return fail(ret, "rte_eth_dev_configure(port %u): %s", port, rte_strerror(-ret));
	ret = rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL, pool);
	if (ret < 0)
		return fail(ret, "rx queue of port %u: %s", port, rte_strerror(-ret));
	ret = rte_eth_tx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL);
	if (ret < 0)
		return fail(ret, "tx queue of port %u: %s", port, rte_strerror(-ret));
	ret = rte_eth_dev_start(port);
	if (ret < 0)
		return fail(ret, "rte_eth_dev_start(port %u): %s", port, rte_strerror(-ret));
	if (promisc)
		rte_eth_promiscuous_enable(port);
	return 0;
}

/* cfg: routes4, routes6, tbl8s4, tbl8s6, neighs, idle_sleep_us, log_size, mbufs */
int l3fwd_init(struct rte_ring *ring, unsigned int n_ports, const uint16_t *ports, const uint16_t *proxies,
	       const uint32_t *cfg)
{
	int ret;

	if (l3 != NULL)
		return fail(-EBUSY, "the data plane is already initialised");
	if (n_ports == 0 || n_ports > L3FWD_MAX_PORTS)
		return fail(-EINVAL, "between 1 and %d ports", L3FWD_MAX_PORTS);
	l3 = calloc(1, sizeof(*l3));
	if (l3 == NULL)
		return fail(-ENOMEM, "out of memory");
	l3->ring = ring;
	l3->cfg = (struct l3fwd_config){ .routes4 = cfg[0], .routes6 = cfg[1], .tbl8s4 = cfg[2], .tbl8s6 = cfg[3],
					 .neighs = cfg[4], .idle_sleep_us = cfg[5], .log_size = cfg[6] };
	memset(l3->slot_of, L3FWD_NO_SLOT, sizeof(l3->slot_of));
	memset(l3->proxy_slot, L3FWD_NO_SLOT, sizeof(l3->proxy_slot));
	l3->pool = rte_pktmbuf_pool_create("l3fwd_mbufs", cfg[7], 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (l3->pool == NULL)
		return fail(-rte_errno, "mbuf pool: %s", rte_strerror(rte_errno));
	if ((ret = fib_init(l3)) < 0)
		return fail(ret, "LPM/LPM6/route tables of %u + %u routes: %s", cfg[0], cfg[1], rte_strerror(rte_errno));
	if ((ret = neigh_init(l3)) < 0)
		return fail(ret, "neighbour table: %s", rte_strerror(rte_errno));
	if (l3->cfg.log_size && (l3->log = calloc(l3->cfg.log_size, sizeof(*l3->log))) == NULL)
		return fail(-ENOMEM, "route log");
	for (unsigned int i = 0; i < n_ports; i++) {
		struct port_state *p = &l3->ports[i];
		if (ports[i] >= RTE_MAX_ETHPORTS || proxies[i] >= RTE_MAX_ETHPORTS)
			return fail(-EINVAL, "port %u / proxy %u out of range", ports[i], proxies[i]);
		p->port = ports[i];
		p->proxy = proxies[i];
		p->mtu = 1500;
		l3->slot_of[p->port] = (uint8_t)i;
		l3->proxy_slot[p->proxy] = (uint8_t)i;
		if ((ret = start_port(p->port, l3->pool, 1)) < 0 || (ret = start_port(p->proxy, l3->pool, 0)) < 0)
			return ret;
		l3->n_ports++;
	}
	return 0;
}

int l3fwd_launch(unsigned int lcore)
{
	if (l3 == NULL)
		return fail(-EINVAL, "not initialised");
	int ret = rte_eal_remote_launch(forward_loop, l3, lcore);
	if (ret < 0)
		return fail(ret, "rte_eal_remote_launch(lcore %u): %s", lcore, rte_strerror(-ret));
	launched_lcore = lcore;
	return 0;
}

/* Stops the lcore and the ports (ethdev refuses to close a started port). */
int l3fwd_stop(void)
{
	if (l3 == NULL)
		return 0;
	forward_request_stop();
	if (launched_lcore != RTE_MAX_LCORE)
		rte_eal_wait_lcore(launched_lcore);
	launched_lcore = RTE_MAX_LCORE;
	for (int i = 0; i < l3->n_ports; i++) {
		rte_eth_dev_stop(l3->ports[i].port);
		rte_eth_dev_stop(l3->ports[i].proxy);
	}
	return 0;
}

int l3fwd_stats(char *buf, int cap)
{
	if (l3 == NULL)
		return fail(-EINVAL, "not initialised");
	return report_stats_json(l3, buf, (size_t)cap);
}

void l3fwd_hold(int on)
{
	l3fwd_hold_events = on;
}

/* what: 1 tables as JSON, 2 tables as text, 3 the route log. Returns a ticket. */
int l3fwd_request(int what, const char *path)
{
	if (l3 == NULL || launched_lcore == RTE_MAX_LCORE)
		return fail(-EINVAL, "not running");
	if (__atomic_load_n(&req_served, __ATOMIC_ACQUIRE) != req_posted)
		return fail(-EBUSY, "a request is being served");
	snprintf(req_path, sizeof(req_path), "%s", path);
	req_what = what;
	__atomic_store_n(&req_posted, req_posted + 1, __ATOMIC_RELEASE);
	return req_posted;
}

/* 0 while pending; then 1 + the request's result (>= 0: entries written; < 0: -errno) */
int l3fwd_request_done(int ticket, int *result)
{
	if (__atomic_load_n(&req_served, __ATOMIC_ACQUIRE) < ticket)
		return 0;
	*result = req_result;
	return 1;
}

/* On the forwarding lcore, between bursts. */
void api_serve_requests(struct l3fwd *s)
{
	int posted = __atomic_load_n(&req_posted, __ATOMIC_ACQUIRE);
	if (posted == req_served)
		return;
	if (!l3fwd_hold_events)
		forward_drain_all(s);
	FILE *f = fopen(req_path, "w");
	if (f == NULL) {
		req_result = -errno;
	} else {
		req_result = req_what == 3 ? report_route_log(s, f) : report_tables(s, f, req_what == 1);
		if (fclose(f) != 0)
			req_result = -EIO;
	}
	__atomic_store_n(&req_served, posted, __ATOMIC_RELEASE);
}
