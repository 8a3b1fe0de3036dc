/*
 * What a MiB of fresh memory costs on this machine, printed in the bench's
 * header. On a guest with free page reporting
 * (/sys/module/page_reporting/parameters), memory a process frees goes back
 * to the host after a few seconds, and the next first touch of it costs the
 * host's fault, many times a touch of pages freed a moment ago (bench/README.md
 * has the figures). Runners that allocate tens of MiB pay it, by luck of which
 * free pages they get; the C reader allocates next to nothing. The figure
 * explains the spread of their times, it does not change them.
 *
 *   first_touch MIB  ->  {"mib":N,"firstMsPerMiB":..,"againMsPerMiB":..}
 *
 * "again": the same size allocated and touched once more right away.
 * MADV_HUGEPAGE, as ifpx asks for its WebAssembly memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double touch_ms_per_mib(size_t mib) {
	size_t bytes = mib << 20;
	double t0 = now_ms();
	char *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) { perror("mmap"); exit(2); }
	madvise(p, bytes, MADV_HUGEPAGE);
	for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
	munmap(p, bytes);
	return (now_ms() - t0) / (double)mib;
}

int main(int argc, char **argv) {
	long mib = argc > 1 ? atol(argv[1]) : 256;
	if (mib <= 0) { fprintf(stderr, "usage: first_touch MIB\n"); return 2; }
	double first = touch_ms_per_mib((size_t)mib), again = touch_ms_per_mib((size_t)mib);
	printf("{\"mib\":%ld,\"firstMsPerMiB\":%.3f,\"againMsPerMiB\":%.3f}\n", mib, first, again);
	return 0;
}
