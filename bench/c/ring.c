/*
 * The ring benchmark's hardware baseline: the same rte_ring algorithm as
 * assembly/ring.ts (free-running head/tail counters, cached opposite tail,
 * CAS on the head for multi-producer/consumer, 64-byte slots copied in and
 * out with memcpy) in C, between two pthreads. Records carry a sequence
 * number at offset 12; the consumer checks every one (FIFO, none lost).
 *
 *   ring spsc|mpmc BURST TOTAL SLOTS   ->  {"mrps":..,"seconds":..,"ok":true}
 *
 * Waiting is a pure spin (sched_yield after 1024 tries): what the hardware
 * allows when both threads own a core.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#define REC 64
struct ring {
	_Alignas(64) _Atomic uint32_t prod_head, prod_tail; uint32_t prod_cache;
	_Alignas(64) _Atomic uint32_t cons_head, cons_tail; uint32_t cons_cache;
	_Alignas(64) uint32_t slots, mask; int single;
	char *data;
};
static struct ring R;
static uint32_t BURST, TOTAL;
static uint32_t bad;

static void spin(unsigned *n) { if (++*n > 1024) { sched_yield(); *n = 0; } }

static void copy_in(uint32_t head, const char *src, uint32_t n) {
	uint32_t idx = head & R.mask, first = R.slots - idx;
	if (n <= first) memcpy(R.data + (size_t)idx * REC, src, (size_t)n * REC);
	else { memcpy(R.data + (size_t)idx * REC, src, (size_t)first * REC); memcpy(R.data, src + (size_t)first * REC, (size_t)(n - first) * REC); }
}
static void copy_out(uint32_t head, char *dst, uint32_t n) {
	uint32_t idx = head & R.mask, first = R.slots - idx;
	if (n <= first) memcpy(dst, R.data + (size_t)idx * REC, (size_t)n * REC);
	else { memcpy(dst, R.data + (size_t)idx * REC, (size_t)first * REC); memcpy(dst + (size_t)first * REC, R.data, (size_t)(n - first) * REC); }
}

static uint32_t enqueue(const char *src, uint32_t n) {
	uint32_t head, m, free;
	if (R.single) {
		head = atomic_load_explicit(&R.prod_head, memory_order_relaxed);
		free = R.slots + R.prod_cache - head;
		if (free < n) { R.prod_cache = atomic_load_explicit(&R.cons_tail, memory_order_acquire); free = R.slots + R.prod_cache - head; }
		m = n <= free ? n : free;
		if (!m) return 0;
		atomic_store_explicit(&R.prod_head, head + m, memory_order_relaxed);
	} else {
		for (;;) {
			head = atomic_load_explicit(&R.prod_head, memory_order_acquire);
			uint32_t ct = atomic_load_explicit(&R.cons_tail, memory_order_acquire);
			free = R.slots + ct - head;
			m = n <= free ? n : free;
			if (!m) return 0;
			if (atomic_compare_exchange_weak(&R.prod_head, &head, head + m)) break;
		}
	}
	copy_in(head, src, m);
	if (!R.single) { unsigned s = 0; while (atomic_load_explicit(&R.prod_tail, memory_order_relaxed) != head) spin(&s); }
	atomic_store_explicit(&R.prod_tail, head + m, memory_order_release);
	return m;
}

static uint32_t dequeue(char *dst, uint32_t n) {
	uint32_t head, m, avail;
	if (R.single) {
		head = atomic_load_explicit(&R.cons_head, memory_order_relaxed);
		avail = R.cons_cache - head;
		if (avail < n) { R.cons_cache = atomic_load_explicit(&R.prod_tail, memory_order_acquire); avail = R.cons_cache - head; }
		m = n <= avail ? n : avail;
		if (!m) return 0;
		atomic_store_explicit(&R.cons_head, head + m, memory_order_relaxed);
	} else {
		for (;;) {
			head = atomic_load_explicit(&R.cons_head, memory_order_acquire);
			avail = atomic_load_explicit(&R.prod_tail, memory_order_acquire) - head;
			m = n <= avail ? n : avail;
			if (!m) return 0;
			if (atomic_compare_exchange_weak(&R.cons_head, &head, head + m)) break;
		}
	}
	copy_out(head, dst, m);
	if (!R.single) { unsigned s = 0; while (atomic_load_explicit(&R.cons_tail, memory_order_relaxed) != head) spin(&s); }
	atomic_store_explicit(&R.cons_tail, head + m, memory_order_release);
	return m;
}

static void *producer(void *a) {
	(void)a;
	char *src = aligned_alloc(64, (size_t)BURST * REC);
	memset(src, 0, (size_t)BURST * REC);
	for (uint32_t seq = 0; seq < TOTAL;) {
		uint32_t k = TOTAL - seq < BURST ? TOTAL - seq : BURST;
		for (uint32_t i = 0; i < k; i++) *(uint32_t *)(src + (size_t)i * REC + 12) = seq + i;
		unsigned s = 0;
		for (uint32_t off = 0; off < k;) { uint32_t got = enqueue(src + (size_t)off * REC, k - off); if (!got) spin(&s); off += got; }
		seq += k;
	}
	free(src);
	return 0;
}

static void *consumer(void *a) {
	(void)a;
	char *dst = aligned_alloc(64, (size_t)BURST * REC);
	uint32_t expect = 0;
	unsigned s = 0;
	while (expect < TOTAL) {
		uint32_t n = dequeue(dst, BURST);
		if (!n) { spin(&s); continue; }
		for (uint32_t i = 0; i < n; i++) {
			uint32_t q = *(uint32_t *)(dst + (size_t)i * REC + 12);
			if (q != expect) bad++;
			expect = q + 1;
		}
	}
	free(dst);
	return 0;
}

int main(int argc, char **argv) {
	if (argc != 5) { fprintf(stderr, "usage: ring spsc|mpmc BURST TOTAL SLOTS\n"); return 2; }
	R.single = strcmp(argv[1], "spsc") == 0;
	BURST = (uint32_t)atoi(argv[2]); TOTAL = (uint32_t)atoi(argv[3]); R.slots = (uint32_t)atoi(argv[4]);
	if (!BURST || !TOTAL || R.slots < 2 || (R.slots & (R.slots - 1))) { fprintf(stderr, "bad arguments\n"); return 2; }
	R.mask = R.slots - 1;
	R.data = aligned_alloc(64, (size_t)R.slots * REC);
	memset(R.data, 0, (size_t)R.slots * REC);
	struct timespec t0, t1;
	pthread_t p, c;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&c, 0, consumer, 0);
	pthread_create(&p, 0, producer, 0);
	pthread_join(p, 0);
	pthread_join(c, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	printf("{\"mrps\":%.3f,\"seconds\":%.6f,\"ok\":%s}\n", TOTAL / sec / 1e6, sec, bad ? "false" : "true");
	return bad ? 1 : 0;
}
