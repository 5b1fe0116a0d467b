// SPDX-License-Identifier: MIT
/*
 * libkgo pools on the host: running, bounding, hand-off, shutdown, leaks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/sysinfo.h>

#include "kselftest_harness.h"
#include "kgo_test.h"

static void count_task(struct kgo_ctx *ctx, void *arg)
{
	__atomic_fetch_add((long *)arg, 1, __ATOMIC_RELAXED);
}

TEST(bad_input_is_einval)
{
	struct kgo_pool *p;

	EXPECT_EQ(-EINVAL, kgo_pool_new(NULL, 1));
	EXPECT_EQ(-EINVAL, kgo_go(NULL, NULL, count_task, NULL));
	EXPECT_EQ(-EINVAL, kgo_pool_shutdown(NULL, 0));
	kgo_pool_free(NULL);
	ASSERT_EQ(0, kgo_pool_new(&p, 1));
	EXPECT_EQ(-EINVAL, kgo_go(p, NULL, NULL, NULL));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

TEST(runs_every_task_once)
{
	struct kgo_pool *p;
	long n = 0;
	int i;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	for (i = 0; i < 100000; i++)
		ASSERT_EQ(0, kgo_go(p, NULL, count_task, &n));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	EXPECT_EQ(100000, n);
	kgo_pool_free(p);
}

struct tree {
	struct kgo_pool *p;
	struct kgo_wg wg;
	long leaves;
	int depth;
};

struct tree_arg {
	struct tree *t;
	int depth;
};

/* Tasks spawning tasks: local queues, overflow and stealing. */
static void tree_task(struct kgo_ctx *ctx, void *arg)
{
	struct tree_arg *a = arg;
	int i;

	if (a->depth == a->t->depth) {
		__atomic_fetch_add(&a->t->leaves, 1, __ATOMIC_RELAXED);
		kgo_wg_done(&a->t->wg);
		free(a);
		return;
	}
	for (i = 0; i < 8; i++) {
		struct tree_arg *c = malloc(sizeof(*c));

		c->t = a->t;
		c->depth = a->depth + 1;
		kgo_wg_add(&a->t->wg, 1);
		if (kgo_go(a->t->p, ctx, tree_task, c))
			abort();
	}
	kgo_wg_done(&a->t->wg);
	free(a);
}

TEST(tasks_spawned_by_tasks_all_run)
{
	struct tree t = { .depth = 5 };
	struct tree_arg *root = malloc(sizeof(*root));

	ASSERT_EQ(0, kgo_pool_new(&t.p, 4));
	root->t = &t;
	root->depth = 0;
	kgo_wg_add(&t.wg, 1);
	ASSERT_EQ(0, kgo_go(t.p, NULL, tree_task, root));
	EXPECT_EQ(0, kgo_wg_wait(&t.wg, NULL));
	EXPECT_EQ(0, kgo_pool_shutdown(t.p, -1));
	EXPECT_EQ(8 * 8 * 8 * 8 * 8, t.leaves);
	kgo_pool_free(t.p);
}

struct par {
	int running;
	int max;
};

static void busy_task(struct kgo_ctx *ctx, void *arg)
{
	struct par *par = arg;
	int now = __atomic_add_fetch(&par->running, 1, __ATOMIC_SEQ_CST);
	int max = __atomic_load_n(&par->max, __ATOMIC_SEQ_CST);

	while (now > max &&
	       !__atomic_compare_exchange_n(&par->max, &max, now, 0,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	usleep(2000);	/* not a kgo call: the task keeps its processor */
	__atomic_sub_fetch(&par->running, 1, __ATOMIC_SEQ_CST);
}

static int max_parallel(unsigned int nprocs)
{
	struct par par = { 0 };
	struct kgo_pool *p;
	int i;

	if (kgo_pool_new(&p, nprocs))
		return -1;
	for (i = 0; i < 60; i++)
		kgo_go(p, NULL, busy_task, &par);
	kgo_pool_shutdown(p, -1);
	kgo_pool_free(p);
	return par.max;
}

TEST(parallelism_bounded_by_nprocs)
{
	int max = max_parallel(3);

	EXPECT_LE(max, 3);
	EXPECT_GE(max, 2);
}

TEST(nprocs_zero_means_online_cpus)
{
	int max = max_parallel(0);

	EXPECT_LE(max, get_nprocs());
	EXPECT_GE(max, 1);
}

TEST(go_after_shutdown_is_eshutdown)
{
	struct kgo_pool *p;
	long n = 0;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	ASSERT_EQ(0, kgo_pool_shutdown(p, 0));
	EXPECT_EQ(-ESHUTDOWN, kgo_go(p, NULL, count_task, &n));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
	EXPECT_EQ(0, n);
}

static void sleepy_task(struct kgo_ctx *ctx, void *arg)
{
	usleep(1000);
	__atomic_fetch_add((long *)arg, 1, __ATOMIC_RELAXED);
}

TEST(shutdown_waits_for_queued_tasks)
{
	struct kgo_pool *p;
	long n = 0;
	int i;

	ASSERT_EQ(0, kgo_pool_new(&p, 1));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, kgo_go(p, NULL, sleepy_task, &n));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	EXPECT_EQ(50, n);
	kgo_pool_free(p);
}

static void gate_task(struct kgo_ctx *ctx, void *arg)
{
	kgo_wg_wait(arg, ctx);
}

TEST(shutdown_reports_leaked_task_at_deadline)
{
	struct kgo_wg gate = KGO_WG_INIT;
	struct kgo_pool *p;
	int64_t t0;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	kgo_wg_add(&gate, 1);
	ASSERT_EQ(0, kgo_go(p, NULL, gate_task, &gate));
	t0 = test_now_ns();
	EXPECT_EQ(1, kgo_pool_shutdown(p, 50 * MS));
	EXPECT_GE(test_now_ns() - t0, 50 * MS);
	EXPECT_EQ(1, kgo_pool_shutdown(p, 0));
	kgo_wg_done(&gate);
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

static int self_shutdown_ret = 1;

static void self_shutdown(struct kgo_ctx *ctx, void *arg)
{
	self_shutdown_ret = kgo_pool_shutdown(arg, -1);
}

TEST(shutdown_from_inside_a_task_forever_is_edeadlk)
{
	struct kgo_pool *p;

	ASSERT_EQ(0, kgo_pool_new(&p, 1));
	ASSERT_EQ(0, kgo_go(p, NULL, self_shutdown, p));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	EXPECT_EQ(-EDEADLK, self_shutdown_ret);
	kgo_pool_free(p);
}

struct racer {
	struct kgo_pool *p;
	long accepted, ran, refused;
};

static void race_task(struct kgo_ctx *ctx, void *arg)
{
	__atomic_fetch_add(&((struct racer *)arg)->ran, 1, __ATOMIC_RELAXED);
}

static void *race_spawner(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		int ret = kgo_go(r->p, NULL, race_task, r);

		if (!ret)
			__atomic_fetch_add(&r->accepted, 1, __ATOMIC_RELAXED);
		else if (ret == -ESHUTDOWN)
			__atomic_fetch_add(&r->refused, 1, __ATOMIC_RELAXED);
		else
			abort();
	}
	return NULL;
}

/* Every kgo_go() either runs its task before shutdown returns, or is refused. */
TEST(shutdown_races_with_spawners)
{
	int round;

	for (round = 0; round < 20; round++) {
		struct racer r = { 0 };
		pthread_t th[3];
		long ran;
		int i;

		ASSERT_EQ(0, kgo_pool_new(&r.p, 2));
		for (i = 0; i < 3; i++)
			pthread_create(&th[i], NULL, race_spawner, &r);
		usleep(round * 100);
		EXPECT_EQ(0, kgo_pool_shutdown(r.p, -1));
		ran = __atomic_load_n(&r.ran, __ATOMIC_SEQ_CST);
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		/* Nothing ran after shutdown returned, nothing accepted was lost. */
		EXPECT_EQ(ran, r.ran);
		EXPECT_EQ(r.accepted, r.ran);
		EXPECT_EQ(60000, r.accepted + r.refused);
		kgo_pool_free(r.p);
	}
}

struct blocked {
	struct kgo_wg gate;
	struct kgo_wg done;
	long finished;
};

static void blocked_task(struct kgo_ctx *ctx, void *arg)
{
	struct blocked *b = arg;

	if (kgo_wg_wait(&b->gate, ctx))
		abort();
	__atomic_fetch_add(&b->finished, 1, __ATOMIC_RELAXED);
	kgo_wg_done(&b->done);
}

static void opener_task(struct kgo_ctx *ctx, void *arg)
{
	kgo_wg_done(&((struct blocked *)arg)->gate);
}

/*
 * 1000 tasks block in a 2-proc pool before the one that frees them is
 * even queued: without the processor hand-off this deadlocks.
 */
TEST(thousand_blocked_tasks_do_not_starve_the_pool)
{
	static struct blocked b;
	struct kgo_pool *p;
	int base = test_threads_base(), i;

	kgo_wg_init(&b.gate);
	kgo_wg_init(&b.done);
	kgo_wg_add(&b.gate, 1);
	kgo_wg_add(&b.done, 1000);
	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, kgo_go(p, NULL, blocked_task, &b));
	ASSERT_EQ(0, kgo_go(p, NULL, opener_task, &b));
	EXPECT_EQ(0, kgo_wg_wait(&b.done, NULL));
	EXPECT_EQ(0, kgo_pool_shutdown(p, 10000 * MS));
	EXPECT_EQ(1000, b.finished);
	/* The extra threads retire once idle; nprocs of them may stay. */
	EXPECT_LE(test_threads_settle(base + 2, 5000), base + 2);
	kgo_pool_free(p);
	EXPECT_LE(test_threads_settle(base, 5000), base);
}

TEST(free_with_a_leaked_task_does_not_hang)
{
	static struct kgo_wg gate = KGO_WG_INIT;
	struct kgo_pool *p;
	int base = test_threads_base();

	kgo_wg_add(&gate, 1);
	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	ASSERT_EQ(0, kgo_go(p, NULL, gate_task, &gate));
	EXPECT_EQ(1, kgo_pool_shutdown(p, 10 * MS));
	kgo_pool_free(p);
	kgo_wg_done(&gate);
	EXPECT_LE(test_threads_settle(base, 5000), base);
}

static void ctx_task(struct kgo_ctx *ctx, void *arg)
{
	*(int *)arg = kgo_ctx_err(ctx) == -ECANCELED ? 1 : -1;
}

TEST(task_owns_a_reference_to_its_context)
{
	struct kgo_ctx *bg, *ctx;
	struct kgo_pool *p;
	int seen = 0;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &ctx));
	kgo_ctx_cancel(ctx);
	ASSERT_EQ(0, kgo_pool_new(&p, 1));
	/* Already done: still runs, the task decides. */
	ASSERT_EQ(0, kgo_go(p, ctx, ctx_task, &seen));
	kgo_ctx_put(ctx);
	kgo_ctx_put(bg);
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	EXPECT_EQ(1, seen);
	kgo_pool_free(p);
}

TEST(errno_is_left_alone)
{
	struct kgo_pool *p;
	long n = 0;

	errno = 4242;
	ASSERT_EQ(0, kgo_pool_new(&p, 0));
	kgo_go(p, NULL, count_task, &n);
	kgo_pool_shutdown(p, 1000 * MS);
	kgo_pool_free(p);
	EXPECT_EQ(4242, errno);
}

TEST_HARNESS_MAIN
