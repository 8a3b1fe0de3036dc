/* UDP packet flood for the l3fwd forwarding benchmark (bench/l3fwd.ts).
 *
 *   udp_flood send DST PORT SECONDS [PAYLOAD]   sendmmsg() bursts of 64 small datagrams
 *   udp_flood recv PORT SECONDS                 count what arrives (recvmmsg)
 *
 * Each prints one JSON line. recv's rate is over its first-to-last datagram,
 * so it measures what crossed the router, not how long the receiver waited.
 * The sender fills its socket as fast as the kernel takes it; a router that
 * cannot keep up drops the excess (the receiver's count is the figure).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 64

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv"))) {
		fprintf(stderr, "usage: udp_flood send DST PORT SECONDS [PAYLOAD] | recv PORT SECONDS\n");
		return 2;
	}
	int send_mode = !strcmp(argv[1], "send");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[BURST][2048];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	if (fd < 0) { perror("socket"); return 1; }
	if (send_mode) {
		double secs = atof(argv[4]);
		size_t len = argc > 5 ? (size_t)atoi(argv[5]) : 18;
		inet_pton(AF_INET, argv[2], &a.sin_addr);
		a.sin_port = htons((uint16_t)atoi(argv[3]));
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) { perror("connect"); return 1; }
		memset(buf, 0x5a, sizeof(buf));
		for (int i = 0; i < BURST; i++) {
			iov[i] = (struct iovec){ buf[i], len };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		unsigned long sent = 0;
		double t0 = now(), end = t0 + secs;
		while (now() < end) {
			int n = sendmmsg(fd, msgs, BURST, 0);
			if (n > 0) sent += (unsigned long)n;
		}
		printf("{\"sent\":%lu,\"seconds\":%.3f,\"pps\":%.0f}\n", sent, now() - t0, sent / (now() - t0));
		return 0;
	}
	double secs = atof(argv[3]);
	int rcv = 64 << 20;
	struct timeval tv = { 0, 200000 };
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) { perror("bind"); return 1; }
	for (int i = 0; i < BURST; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	printf("ready\n");
	fflush(stdout);
	unsigned long got = 0;
	double first = 0, last = 0, end = now() + secs;
	while (now() < end) {
		int n = recvmmsg(fd, msgs, BURST, 0, NULL);
		if (n <= 0) continue;
		last = now();
		if (got == 0) first = last;
		got += (unsigned long)n;
	}
	double span = last - first;
	printf("{\"received\":%lu,\"seconds\":%.3f,\"pps\":%.0f}\n", got, span, span > 0 ? got / span : 0);
	return 0;
}
