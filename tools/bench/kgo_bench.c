// SPDX-License-Identifier: MIT
/*
 * kgo_bench: libkgo's task throughput and cancellation latency, next to
 * the same workloads in Go (tools/bench/kgo_bench.go, built by make into
 * build/tools/bench/kgo_bench_go).  A benchmark, not a test: it prints a
 * table.
 *
 *   kgo_bench [GO_BINARY]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kgo.h"

#define NTASKS		1000000
#define NBLOCKED	1000
#define ROUNDS		5

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct spawn {
	struct kgo_pool *p;
	struct kgo_wg wg;
	long sum;
};

static void trivial(struct kgo_ctx *ctx, void *arg)
{
	struct spawn *s = arg;

	(void)ctx;
	__atomic_fetch_add(&s->sum, 1, __ATOMIC_RELAXED);
	kgo_wg_done(&s->wg);
}

/* Go's shape: the spawning loop is itself a task on one of the procs. */
static void spawner(struct kgo_ctx *ctx, void *arg)
{
	struct spawn *s = arg;
	int i;

	(void)ctx;
	for (i = 0; i < NTASKS; i++) {
		kgo_wg_add(&s->wg, 1);
		if (kgo_go(s->p, NULL, trivial, s))
			abort();
	}
	kgo_wg_done(&s->wg);
}

/* Tasks per second for NTASKS trivial tasks on 2 procs. */
static double bench_spawn(int from_task)
{
	struct spawn s = { .wg = KGO_WG_INIT };
	int64_t t0, dt;
	int i;

	if (kgo_pool_new(&s.p, 2))
		abort();
	t0 = now_ns();
	if (from_task) {
		kgo_wg_add(&s.wg, 1);
		kgo_go(s.p, NULL, spawner, &s);
	} else {
		for (i = 0; i < NTASKS; i++) {
			kgo_wg_add(&s.wg, 1);
			if (kgo_go(s.p, NULL, trivial, &s))
				abort();
		}
	}
	kgo_wg_wait(&s.wg, NULL);
	dt = now_ns() - t0;
	if (s.sum != NTASKS || kgo_pool_shutdown(s.p, -1))
		abort();
	kgo_pool_free(s.p);
	return NTASKS / (dt / 1e9);
}

struct blocked {
	struct kgo_wg started, finished, never;
};

static void blocked_task(struct kgo_ctx *ctx, void *arg)
{
	struct blocked *b = arg;

	kgo_wg_done(&b->started);
	if (kgo_wg_wait(&b->never, ctx) != -ECANCELED)
		abort();
	kgo_wg_done(&b->finished);
}

/*
 * Microseconds from kgo_ctx_cancel(root) until NBLOCKED tasks, each
 * blocked under its own child context, have all returned (2 procs).
 */
static double bench_cancel(void)
{
	struct blocked b = { KGO_WG_INIT, KGO_WG_INIT, KGO_WG_INIT };
	struct kgo_ctx *bg, *root;
	struct kgo_pool *p;
	int64_t t0, dt;
	int i;

	if (kgo_pool_new(&p, 2) || kgo_ctx_background(&bg) ||
	    kgo_ctx_with_cancel(bg, &root))
		abort();
	kgo_wg_add(&b.never, 1);
	kgo_wg_add(&b.started, NBLOCKED);
	kgo_wg_add(&b.finished, NBLOCKED);
	for (i = 0; i < NBLOCKED; i++) {
		struct kgo_ctx *c;

		if (kgo_ctx_with_cancel(root, &c) || kgo_go(p, c, blocked_task, &b))
			abort();
		kgo_ctx_put(c);
	}
	kgo_wg_wait(&b.started, NULL);
	t0 = now_ns();
	kgo_ctx_cancel(root);
	kgo_wg_wait(&b.finished, NULL);
	dt = now_ns() - t0;
	if (kgo_pool_shutdown(p, -1))
		abort();
	kgo_pool_free(p);
	kgo_ctx_put(root);
	kgo_ctx_put(bg);
	return dt / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double (*fn)(void))
{
	double v[ROUNDS];
	int i;

	for (i = 0; i < ROUNDS; i++)
		v[i] = fn();
	qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
	return v[ROUNDS / 2];
}

static double spawn_ext(void)
{
	return bench_spawn(0);
}

static double spawn_task(void)
{
	return bench_spawn(1);
}

int main(int argc, char **argv)
{
	double go_spawn = 0, go_cancel = 0, spawn_t, spawn_e, cancel;
	FILE *go = NULL;

	if (argc > 1) {
		char cmd[4096];

		snprintf(cmd, sizeof(cmd), "%s", argv[1]);
		go = popen(cmd, "r");
		if (!go || fscanf(go, "%lf %lf", &go_spawn, &go_cancel) != 2)
			fprintf(stderr, "kgo_bench: no figures from %s\n", argv[1]);
		if (go)
			pclose(go);
	}
	spawn_t = median(spawn_task);
	spawn_e = median(spawn_ext);
	cancel = median(bench_cancel);

	printf("%-52s %14s %14s %8s\n", "workload (2 procs, median of 5)",
	       "libkgo", "Go", "kgo/Go");
	printf("%-52s %14.0f %14.0f %8.2f\n",
	       "spawn+run 1M trivial tasks, spawned by a task (/s)",
	       spawn_t, go_spawn, go_spawn ? spawn_t / go_spawn : 0);
	printf("%-52s %14.0f %14s %8.2f\n",
	       "spawn+run 1M trivial tasks, spawned from outside (/s)",
	       spawn_e, "-", go_spawn ? spawn_e / go_spawn : 0);
	printf("%-52s %14.0f %14.0f %8.2f\n",
	       "cancel reaching 1000 blocked tasks (us)",
	       cancel, go_cancel, go_cancel ? cancel / go_cancel : 0);
	return 0;
}
