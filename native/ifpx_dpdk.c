/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ifpx_dpdk: the small C shim between Node (koffi) and DPDK 22.11.
 *
 * Why a shim at all (see shared/reference/platform-notes.md):
 *  - every rte_ring enqueue/dequeue/count is a static inline in rte_ring*.h:
 *    librte_ring exports only create/lookup/free/dump, so FFI cannot call them;
 *  - rte_errno is a thread-local (per_lcore__rte_errno): FFI cannot read it;
 *  - rte_eal_init may permute argv and keeps pointers into it: the shim copies
 *    the strings (once per process, never freed);
 *  - a net_tap vdev is probed by devargs and then found by name; removing it
 *    needs its rte_device, read before the port is closed.
 *
 * Event convention (native/include/ifpx_event.h): an rte_ring of 16-byte
 * elements, one 64-byte record = IFPX_RING_ELEMS_PER_EVENT consecutive
 * elements. Every enqueue here moves whole records (bulk = all-or-nothing), so
 * a record is never split, even with several producers: a bulk enqueue
 * reserves its slots atomically. A consumer that dequeues multiples of 4
 * elements therefore always sees whole records.
 *
 * Return conventions: counts are numbers of EVENTS (not elements); negative
 * values are -errno; pointers are NULL on error with rte_errno set (read it
 * with ifpx_dpdk_errno() on the same thread).
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_lcore.h>

#include "include/ifpx_event.h"

#define ESZ IFPX_RING_ELEM_SIZE
#define EPE IFPX_RING_ELEMS_PER_EVENT

/* ---- EAL ---------------------------------------------------------------- */

/* rte_eal_init(argc, argv): the strings are duplicated and kept for the life
 * of the process (EAL keeps pointers to some of them). Returns the number of
 * parsed arguments, or -1 with rte_errno set. */
int ifpx_dpdk_eal_init(int argc, const char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(char *));
	if (copy == NULL)
		return -1;
	for (int i = 0; i < argc; i++) {
		copy[i] = strdup(argv[i]);
		if (copy[i] == NULL)
			return -1;
	}
	return rte_eal_init(argc, copy);
}

/* rte_eal_cleanup(): releases hugepage mappings (and, for a primary, the
 * shared config). EAL cannot be initialised again in the same process. */
int ifpx_dpdk_eal_cleanup(void)
{
	return rte_eal_cleanup();
}

/* rte_errno is thread-local: read it on the thread that made the failing call. */
int ifpx_dpdk_errno(void)
{
	return rte_errno;
}

const char *ifpx_dpdk_strerror(int err)
{
	return rte_strerror(err);
}

/* 0 primary, 1 secondary, -1 unknown (rte_eal_process_type is exported, but
 * keeping it here lets Node depend on the shim only). */
int ifpx_dpdk_proc_type(void)
{
	return (int)rte_eal_process_type();
}

/* ---- rings of ifpx events ------------------------------------------------ */

/* A ring that holds exactly `events` records: 4*events 16-byte elements with
 * RING_F_EXACT_SZ, so the usable capacity is what was asked for. `flags` are
 * RING_F_SP_ENQ (1) | RING_F_SC_DEQ (2) | ... (RING_F_EXACT_SZ is added). */
struct rte_ring *ifpx_dpdk_ring_create(const char *name, unsigned int events,
				       int socket_id, unsigned int flags)
{
	if (events == 0 || events > (RTE_RING_SZ_MASK / EPE)) {
		rte_errno = EINVAL;
		return NULL;
	}
	return rte_ring_create_elem(name, ESZ, events * EPE, socket_id,
				    flags | RING_F_EXACT_SZ);
}

/* A ring created by another party (e.g. a DPDK primary), by name. */
struct rte_ring *ifpx_dpdk_ring_lookup(const char *name)
{
	return rte_ring_lookup(name);
}

void ifpx_dpdk_ring_free(struct rte_ring *r)
{
	rte_ring_free(r);
}

/* Capacity in whole events (capacity in elements / 4). */
unsigned int ifpx_dpdk_ring_capacity(const struct rte_ring *r)
{
	return rte_ring_get_capacity(r) / EPE;
}

/* Element size of a ring is not stored in struct rte_ring: callers that look
 * a ring up by name trust the naming convention. The flags are: */
unsigned int ifpx_dpdk_ring_flags(const struct rte_ring *r)
{
	return (unsigned int)r->flags;
}

/* Events in the ring (elements / 4). */
unsigned int ifpx_dpdk_ring_count(const struct rte_ring *r)
{
	return rte_ring_count(r) / EPE;
}

/* Whole events that fit now. */
unsigned int ifpx_dpdk_ring_free_count(const struct rte_ring *r)
{
	return rte_ring_free_count(r) / EPE;
}

/* All n events or none: returns n or 0. Safe with any producer mode. */
unsigned int ifpx_dpdk_enqueue_bulk(struct rte_ring *r, const void *events,
				    unsigned int n)
{
	return rte_ring_enqueue_bulk_elem(r, events, ESZ, n * EPE, NULL) / EPE;
}

/* As many WHOLE events as fit now (0..n). One bulk call sized from the free
 * count; if another producer took the room meanwhile (multi-producer ring),
 * fall back to one bulk call per event, so no record is ever split. */
unsigned int ifpx_dpdk_enqueue_burst(struct rte_ring *r, const void *events,
				     unsigned int n)
{
	unsigned int room = rte_ring_free_count(r) / EPE;
	unsigned int k = n < room ? n : room;
	unsigned int done;

	if (k == 0)
		return 0;
	if (rte_ring_enqueue_bulk_elem(r, events, ESZ, k * EPE, NULL) != 0)
		return k;
	for (done = 0; done < k; done++) {
		const uint8_t *ev = (const uint8_t *)events + (size_t)done * IFPX_EVENT_SIZE;
		if (rte_ring_enqueue_bulk_elem(r, ev, ESZ, EPE, NULL) == 0)
			break;
	}
	return done;
}

/* Up to n whole events into `out` (n * 64 bytes); returns how many. */
unsigned int ifpx_dpdk_dequeue_burst(struct rte_ring *r, void *out, unsigned int n)
{
	unsigned int avail = rte_ring_count(r) / EPE;
	unsigned int k = n < avail ? n : avail;
	unsigned int done;

	if (k == 0)
		return 0;
	if (rte_ring_dequeue_bulk_elem(r, out, ESZ, k * EPE, NULL) != 0)
		return k;
	/* another consumer took some: one event at a time */
	for (done = 0; done < k; done++) {
		uint8_t *ev = (uint8_t *)out + (size_t)done * IFPX_EVENT_SIZE;
		if (rte_ring_dequeue_bulk_elem(r, ev, ESZ, EPE, NULL) == 0)
			break;
	}
	return done;
}

/* Drop up to n events (tests and benchmarks). */
unsigned int ifpx_dpdk_ring_drain(struct rte_ring *r, unsigned int n)
{
	struct ifpx_event tmp[32];
	unsigned int total = 0;

	while (total < n) {
		unsigned int want = n - total < 32 ? n - total : 32;
		unsigned int got = ifpx_dpdk_dequeue_burst(r, tmp, want);
		if (got == 0)
			break;
		total += got;
	}
	return total;
}

/* ---- native baseline for the benchmark ---------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The same work the Node benchmark does, in C: `rounds` times, enqueue
 * `per_round` events `burst` at a time (bulk of 4*burst 16-byte elements;
 * timed), then dequeue them `burst` at a time (timed separately).
 * out_ns[0] = ns per event enqueued, out_ns[1] = ns per event dequeued.
 * Returns 0, or -EINVAL / -ENOSPC if the ring cannot take per_round events. */
int ifpx_dpdk_bench_native(struct rte_ring *r, unsigned int burst,
			   unsigned int per_round, unsigned int rounds,
			   double *out_ns)
{
	struct ifpx_event ev[64];
	uint64_t t_enq = 0, t_deq = 0;
	unsigned long long events = 0;

	if (burst == 0 || burst > 64 || per_round % burst != 0)
		return -EINVAL;
	if (ifpx_dpdk_ring_free_count(r) < per_round)
		return -ENOSPC;
	memset(ev, 0, sizeof(ev));
	for (unsigned int i = 0; i < burst; i++) {
		ev[i].h.type = IFPX_ROUTE_ADD;
		ev[i].h.port_id = 1;
		ev[i].h.seq = i;
	}
	for (unsigned int round = 0; round < rounds; round++) {
		uint64_t t0 = now_ns();
		for (unsigned int i = 0; i < per_round; i += burst)
			if (rte_ring_enqueue_bulk_elem(r, ev, ESZ, burst * EPE, NULL) == 0)
				return -ENOSPC;
		uint64_t t1 = now_ns();
		for (unsigned int i = 0; i < per_round; i += burst)
			if (rte_ring_dequeue_bulk_elem(r, ev, ESZ, burst * EPE, NULL) == 0)
				return -EIO;
		uint64_t t2 = now_ns();
		t_enq += t1 - t0;
		t_deq += t2 - t1;
		events += per_round;
	}
	out_ns[0] = (double)t_enq / (double)events;
	out_ns[1] = (double)t_deq / (double)events;
	return 0;
}

/* ---- ports ------------------------------------------------------------- */

/* rte_dev_probe(devargs) then the port of the probed device, found by the
 * device name (the devargs up to the first ','), e.g. "net_tap3,iface=dtap3"
 * -> "net_tap3". Returns the port id (>= 0) or -errno. */
int ifpx_dpdk_vdev_create(const char *devargs)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	uint16_t port;
	size_t len = strcspn(devargs, ",");
	int ret;

	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, devargs, len);
	name[len] = '\0';
	ret = rte_dev_probe(devargs);
	if (ret < 0)
		return ret;
	ret = rte_eth_dev_get_port_by_name(name, &port);
	if (ret < 0)
		return ret;
	return port;
}

/* What the API needs of a port: kernel if_index (0 when the kernel does not
 * see the port, i.e. it cannot be a proxy), MTU, MAC, the kernel interface
 * name (if_indextoname; "" when if_index is 0) and the DPDK device name.
 * Returns 0 or -errno. */
int ifpx_dpdk_port_info(uint16_t port, uint32_t *if_index, uint16_t *mtu,
			uint8_t *mac, char *ifname, char *devname)
{
	struct rte_eth_dev_info info;
	struct rte_ether_addr addr;
	int ret;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return ret;
	*if_index = info.if_index;
	ret = rte_eth_dev_get_mtu(port, mtu);
	if (ret < 0)
		*mtu = 0;
	ret = rte_eth_macaddr_get(port, &addr);
	if (ret < 0)
		memset(addr.addr_bytes, 0, sizeof(addr.addr_bytes));
	memcpy(mac, addr.addr_bytes, RTE_ETHER_ADDR_LEN);
	ifname[0] = '\0';
	if (info.if_index != 0 && if_indextoname(info.if_index, ifname) == NULL)
		ifname[0] = '\0';
	ret = rte_eth_dev_get_name_by_port(port, devname); /* RTE_ETH_NAME_MAX_LEN */
	if (ret < 0)
		devname[0] = '\0';
	return 0;
}

/* Close the port and remove its device (the tap interface disappears).
 * The rte_device is read before rte_eth_dev_close releases the port. */
int ifpx_dpdk_port_remove(uint16_t port)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev;
	int ret;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return ret;
	dev = info.device;
	ret = rte_eth_dev_close(port);
	if (ret < 0)
		return ret;
	return rte_dev_remove(dev);
}

/* The port's link status as rte_eth_link_get_nowait reports it: 1 up, 0
 * down, or -errno. The _nowait variant: ifpx polls it from Node's main thread,
 * which must not sleep in a PMD's link wait (rte_eth_link_get may block for
 * seconds on physical NICs). */
int ifpx_dpdk_link_status(uint16_t port)
{
	struct rte_eth_link link;
	int ret;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	memset(&link, 0, sizeof(link));
	ret = rte_eth_link_get_nowait(port, &link);
	if (ret < 0)
		return ret;
	return link.link_status == RTE_ETH_LINK_UP ? 1 : 0;
}

/* rte_eth_dev_set_link_up / _down: 0 or -errno (-ENOTSUP when the PMD has no
 * such operation; net_null and net_af_packet set link_status). */
int ifpx_dpdk_set_link(uint16_t port, int up)
{
	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	return up ? rte_eth_dev_set_link_up(port) : rte_eth_dev_set_link_down(port);
}

/* rte_eth_dev_default_mac_addr_set: 0 or -errno. For a net_tap port the PMD
 * sets its kernel tap's MAC too; ethdev restores a port's default MAC when the
 * port starts, so a MAC written to the tap behind DPDK's back would not last. */
int ifpx_dpdk_set_mac(uint16_t port, const uint8_t *mac)
{
	struct rte_ether_addr addr;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	memcpy(addr.addr_bytes, mac, RTE_ETHER_ADDR_LEN);
	return rte_eth_dev_default_mac_addr_set(port, &addr);
}

/* if_nametoindex(3): 0 when no such interface. net_tap attaches to an EXISTING
 * tap of the same name (another queue of a multi-queue tap) instead of
 * failing, so a proxy that must own its interface checks first. */
unsigned int ifpx_dpdk_if_nametoindex(const char *name)
{
	return if_nametoindex(name);
}

unsigned int ifpx_dpdk_port_count_avail(void)
{
	return rte_eth_dev_count_avail();
}

int ifpx_dpdk_port_is_valid(uint16_t port)
{
	return rte_eth_dev_is_valid_port(port);
}

/* Sizes the TS side needs for output buffers. */
int ifpx_dpdk_abi(int what)
{
	switch (what) {
	case 0: return IFPX_EVENT_SIZE;
	case 1: return RTE_ETH_NAME_MAX_LEN;
	case 2: return IF_NAMESIZE;
	case 3: return RTE_MAX_ETHPORTS;
	default: return -1;
	}
}
