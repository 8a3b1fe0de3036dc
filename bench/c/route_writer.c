/* Route changes one at a time, with the time each was sent (bench/l3fwd.ts:
 * latency from a route change to the data plane's FIB update).
 *
 *   route_writer IFINDEX COUNT PACE_US PREFIX_HI
 *
 * Adds PREFIX_HI.(i>>8).(i&255).0/24 dev IFINDEX for i < COUNT, one
 * RTM_NEWROUTE at a time (waiting for the kernel's ACK), PACE_US apart, and
 * prints "NS a.b.c.0/24" per route: CLOCK_MONOTONIC just before its sendmsg.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void attr(struct nlmsghdr *n, int type, const void *data, int len)
{
	struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, (size_t)len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: route_writer IFINDEX COUNT PACE_US PREFIX_HI\n");
		return 2;
	}
	int ifindex = atoi(argv[1]), count = atoi(argv[2]), pace = atoi(argv[3]), hi = atoi(argv[4]);
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint64_t *sent = calloc((size_t)count, sizeof(uint64_t));
	char ack[4096];
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !sent) {
		perror("netlink");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		struct { struct nlmsghdr n; struct rtmsg r; char buf[64]; } req;
		memset(&req, 0, sizeof(req));
		req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
		req.n.nlmsg_type = RTM_NEWROUTE;
		req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
		req.n.nlmsg_seq = (uint32_t)i + 1;
		req.r.rtm_family = AF_INET;
		req.r.rtm_dst_len = 24;
		req.r.rtm_table = RT_TABLE_MAIN;
		req.r.rtm_protocol = RTPROT_BOOT;
		req.r.rtm_scope = RT_SCOPE_LINK;
		req.r.rtm_type = RTN_UNICAST;
		uint8_t dst[4] = { (uint8_t)hi, (uint8_t)(i >> 8), (uint8_t)i, 0 };
		attr(&req.n, RTA_DST, dst, 4);
		attr(&req.n, RTA_OIF, &ifindex, 4);
		sent[i] = now_ns();
		if (send(fd, &req, req.n.nlmsg_len, 0) < 0 || recv(fd, ack, sizeof(ack), 0) < 0) {
			perror("route");
			return 1;
		}
		struct nlmsgerr *e = NLMSG_DATA((struct nlmsghdr *)ack);
		if (((struct nlmsghdr *)ack)->nlmsg_type == NLMSG_ERROR && e->error != 0) {
			fprintf(stderr, "route %d: error %d\n", i, e->error);
			return 1;
		}
		usleep((useconds_t)pace);
	}
	for (int i = 0; i < count; i++)
		printf("%llu %d.%d.%d.0/24\n", (unsigned long long)sent[i], hi, (i >> 8) & 255, i & 255);
	return 0;
}
