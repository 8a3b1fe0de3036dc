/*
 * nl_dump: minimal rtnetlink reader used as the "raw C" baseline of the ifpx bench.
 * It walks nlmsghdr only (no attribute parsing): the kernel-side limit.
 *
 *   nl_dump dump    [-6] [-b bufsize] [-r rcvbuf]
 *       RTM_GETROUTE dump; prints {"mode":"dump","messages","routes","recvs","seconds"}
 *   nl_dump drain   [-6] [-b bufsize] [-r rcvbuf] [-n count] [-i idle_ms]
 *       subscribes to RTMGRP_IPV4_ROUTE (or IPV6), prints "ready", then blocks on
 *       stdin WITHOUT reading the socket until a line arrives ("go"), then reads
 *       every queued/arriving event until count is reached or none arrives for
 *       idle_ms; prints {"mode":"drain","events","seconds","eventsPerSec","enobufs"}
 *   nl_dump latency [-n count] [-p prefix_hi] [-x ifindex]
 *       in-process: socket A subscribed to RTMGRP_IPV4_ROUTE, socket B sends
 *       RTM_NEWROUTE / RTM_DELROUTE for 10.x.y.0/24 dev ifindex; time from just
 *       before send() on B to the return of the recv() on A that delivers the
 *       matching notification (CLOCK_MONOTONIC); prints p50/p90/p99/max in us.
 * Seconds are measured from just before the request is sent (dump) or the
 * first recv after "go" (drain) to the last message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>

#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#endif

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int nl_open(unsigned groups, int rcvbuf) {
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) { perror("socket"); exit(2); }
	if (rcvbuf > 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
			perror("setsockopt rcvbuf"); exit(2);
		}
	}
	int one = 1;
	/* ask for ENOBUFS reporting to be kept (default); strict check off */
	(void)one;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("bind"); exit(2); }
	return fd;
}

static int cmp_dbl(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int do_dump(int family, size_t bufsz, int rcvbuf) {
	int fd = nl_open(0, rcvbuf);
	char *buf = malloc(bufsz);
	struct { struct nlmsghdr nh; struct rtmsg rt; } req;
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = sizeof req;
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = family;
	unsigned long messages = 0, routes = 0, recvs = 0;
	int done = 0, err = 0, intr = 0;
	double t0 = now();
	if (send(fd, &req, sizeof req, 0) < 0) { perror("send"); return 2; }
	while (!done) {
		ssize_t n = recv(fd, buf, bufsz, 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			perror("recv"); return 2;
		}
		recvs++;
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		int len = (int)n;
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			messages++;
			if (nh->nlmsg_flags & NLM_F_DUMP_INTR) intr = 1;
			if (nh->nlmsg_type == NLMSG_DONE) { done = 1; break; }
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = -((struct nlmsgerr *)NLMSG_DATA(nh))->error; done = 1; break;
			}
			if (nh->nlmsg_type == RTM_NEWROUTE) routes++;
		}
	}
	double t1 = now();
	printf("{\"mode\":\"dump\",\"family\":%d,\"messages\":%lu,\"routes\":%lu,\"recvs\":%lu,"
	       "\"bufsize\":%zu,\"seconds\":%.6f,\"error\":%d,\"dumpIntr\":%d}\n",
	       family == AF_INET6 ? 6 : 4, messages, routes, recvs, bufsz, t1 - t0, err, intr);
	return err ? 1 : 0;
}

static int do_drain(int family, size_t bufsz, int rcvbuf, unsigned long count, int idle_ms) {
	unsigned groups = family == AF_INET6 ? RTMGRP_IPV6_ROUTE : RTMGRP_IPV4_ROUTE;
	int fd = nl_open(groups, rcvbuf);
	int eff = 0; socklen_t sl = sizeof eff;
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &eff, &sl);
	char *buf = malloc(bufsz);
	printf("ready %d\n", eff);
	fflush(stdout);
	/* block WITHOUT reading the socket until the harness says go */
	char line[128];
	if (!fgets(line, sizeof line, stdin)) return 2;
	unsigned long events = 0, messages = 0, enobufs = 0, recvs = 0;
	double t0 = 0, tlast = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int need_poll = 1;
	while (count == 0 || events < count) {
		/* poll only when the socket ran dry: a queued burst costs one recv per datagram */
		if (need_poll) {
			int pr = poll(&pfd, 1, idle_ms);
			if (pr == 0) break;
			if (pr < 0) { if (errno == EINTR) continue; perror("poll"); return 2; }
			need_poll = 0;
		}
		if (t0 == 0) t0 = now();
		ssize_t n = recv(fd, buf, bufsz, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN) { need_poll = 1; continue; }
			if (errno == EINTR) continue;
			if (errno == ENOBUFS) { enobufs++; continue; }
			perror("recv"); return 2;
		}
		recvs++;
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		int len = (int)n;
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			messages++;
			if (nh->nlmsg_type == RTM_NEWROUTE || nh->nlmsg_type == RTM_DELROUTE) events++;
		}
		tlast = now();
	}
	double secs = tlast - t0;
	printf("{\"mode\":\"drain\",\"events\":%lu,\"messages\":%lu,\"recvs\":%lu,\"seconds\":%.6f,"
	       "\"eventsPerSec\":%.0f,\"enobufs\":%lu,\"rcvbuf\":%d}\n",
	       events, messages, recvs, secs, secs > 0 ? events / secs : 0.0, enobufs, eff);
	return 0;
}

/* add an attribute to a netlink message */
static void addattr(struct nlmsghdr *nh, int type, const void *data, int alen) {
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), data, alen);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int do_latency(unsigned long count, int ifindex, int prefix_hi) {
	int lis = nl_open(RTMGRP_IPV4_ROUTE, 64 << 20);
	int wr = nl_open(0, 0);
	char buf[65536];
	double *samples = malloc(sizeof(double) * count * 2);
	unsigned long ns = 0, lost = 0;
	union { struct nlmsghdr nh; char b[256]; } req;
	for (unsigned long i = 0; i < count * 2; i++) {
		int add = (i % 2) == 0;
		unsigned long k = i / 2;
		uint32_t dst = htonl(((uint32_t)prefix_hi << 24) | ((k & 0xffff) << 8));
		memset(&req, 0, sizeof req);
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
		req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
		req.nh.nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
		req.nh.nlmsg_seq = (uint32_t)(i + 1);
		struct rtmsg *rt = NLMSG_DATA(&req.nh);
		rt->rtm_family = AF_INET;
		rt->rtm_dst_len = 24;
		rt->rtm_table = RT_TABLE_MAIN;
		rt->rtm_protocol = RTPROT_STATIC;
		rt->rtm_scope = RT_SCOPE_LINK;
		rt->rtm_type = RTN_UNICAST;
		addattr(&req.nh, RTA_DST, &dst, 4);
		addattr(&req.nh, RTA_OIF, &ifindex, 4);
		uint16_t want = add ? RTM_NEWROUTE : RTM_DELROUTE;
		double t0 = now();
		if (send(wr, &req, req.nh.nlmsg_len, 0) < 0) { perror("send"); return 2; }
		int got = 0;
		while (!got) {
			struct pollfd pfd = { .fd = lis, .events = POLLIN };
			if (poll(&pfd, 1, 1000) <= 0) { lost++; break; }
			ssize_t n = recv(lis, buf, sizeof buf, 0);
			double t1 = now();
			if (n < 0) { if (errno == EINTR) continue; perror("recv"); return 2; }
			struct nlmsghdr *nh = (struct nlmsghdr *)buf;
			int len = (int)n;
			for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
				if (nh->nlmsg_type != want) continue;
				struct rtmsg *r = NLMSG_DATA(nh);
				int alen = nh->nlmsg_len - NLMSG_LENGTH(sizeof *r);
				for (struct rtattr *a = RTM_RTA(r); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
					if (a->rta_type == RTA_DST && memcmp(RTA_DATA(a), &dst, 4) == 0) got = 1;
			}
			if (got) samples[ns++] = (t1 - t0) * 1e6;
		}
		/* errors from the writer (no ACK requested: only errors come back) */
		for (;;) {
			ssize_t n = recv(wr, buf, sizeof buf, MSG_DONTWAIT);
			if (n <= 0) break;
			struct nlmsghdr *nh = (struct nlmsghdr *)buf;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				if (e) { fprintf(stderr, "netlink error %d on op %lu\n", e, i); return 2; }
			}
		}
	}
	qsort(samples, ns, sizeof(double), cmp_dbl);
	double sum = 0; for (unsigned long i = 0; i < ns; i++) sum += samples[i];
#define PCT(p) (ns ? samples[(unsigned long)((p) * (ns - 1) + 0.5)] : 0)
	printf("{\"mode\":\"latency\",\"samples\":%lu,\"lost\":%lu,\"p50Us\":%.1f,\"p90Us\":%.1f,"
	       "\"p99Us\":%.1f,\"maxUs\":%.1f,\"meanUs\":%.1f}\n",
	       ns, lost, PCT(0.5), PCT(0.9), PCT(0.99), ns ? samples[ns - 1] : 0, ns ? sum / ns : 0);
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: nl_dump dump|drain|latency [-6] [-b buf] [-r rcvbuf] [-n count] [-i idle_ms] [-x ifindex] [-p prefix_hi]\n");
		return 2;
	}
	const char *mode = argv[1];
	int family = AF_INET, rcvbuf = 0, idle_ms = 1000, ifindex = 0, prefix_hi = 198;
	size_t bufsz = 32768;
	unsigned long count = 0;
	int opt;
	optind = 2;
	while ((opt = getopt(argc, argv, "6b:r:n:i:x:p:")) != -1) {
		switch (opt) {
		case '6': family = AF_INET6; break;
		case 'b': bufsz = strtoul(optarg, NULL, 0); break;
		case 'r': rcvbuf = (int)strtol(optarg, NULL, 0); break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'i': idle_ms = atoi(optarg); break;
		case 'x': ifindex = atoi(optarg); break;
		case 'p': prefix_hi = atoi(optarg); break;
		default: return 2;
		}
	}
	if (bufsz < 32768) bufsz = 32768;
	if (bufsz > (1 << 20)) bufsz = 1 << 20;
	if (!strcmp(mode, "dump")) return do_dump(family, bufsz, rcvbuf);
	if (!strcmp(mode, "drain")) return do_drain(family, bufsz, rcvbuf, count, idle_ms);
	if (!strcmp(mode, "latency")) return do_latency(count ? count : 2000, ifindex, prefix_hi);
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
