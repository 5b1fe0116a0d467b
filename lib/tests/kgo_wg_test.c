// SPDX-License-Identifier: MIT
/*
 * libkgo wait groups and error groups on the host.
 */
#include <errno.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "kgo_test.h"

TEST(wg_bad_input)
{
	struct kgo_wg wg;

	kgo_wg_init(&wg);
	kgo_wg_init(NULL);
	EXPECT_EQ(-EINVAL, kgo_wg_add(NULL, 1));
	EXPECT_EQ(-EINVAL, kgo_wg_done(NULL));
	EXPECT_EQ(-EINVAL, kgo_wg_wait(NULL, NULL));
	EXPECT_EQ(-EINVAL, kgo_wg_done(&wg));		/* would go negative */
	EXPECT_EQ(0, kgo_wg_add(&wg, 2));
	EXPECT_EQ(-EINVAL, kgo_wg_add(&wg, -3));	/* and nothing changed */
	EXPECT_EQ(0, kgo_wg_add(&wg, -2));
	EXPECT_EQ(0, kgo_wg_wait(&wg, NULL));
	EXPECT_EQ(-EOVERFLOW, kgo_wg_add(&wg, 0x7fffffff) ?: kgo_wg_add(&wg, 1));
}

TEST(wg_wait_at_zero_returns_at_once)
{
	struct kgo_wg wg = KGO_WG_INIT;

	EXPECT_EQ(0, kgo_wg_wait(&wg, NULL));
}

struct work {
	struct kgo_wg wg;
	long done;
};

static void work_task(struct kgo_ctx *ctx, void *arg)
{
	struct work *w = arg;

	usleep(100);
	__atomic_fetch_add(&w->done, 1, __ATOMIC_RELAXED);
	kgo_wg_done(&w->wg);
}

TEST(wg_wait_returns_after_every_done_and_is_reusable)
{
	struct kgo_pool *p;
	struct work w = { KGO_WG_INIT, 0 };
	int round, i;

	ASSERT_EQ(0, kgo_pool_new(&p, 4));
	for (round = 1; round <= 3; round++) {
		for (i = 0; i < 200; i++) {
			kgo_wg_add(&w.wg, 1);
			ASSERT_EQ(0, kgo_go(p, NULL, work_task, &w));
		}
		EXPECT_EQ(0, kgo_wg_wait(&w.wg, NULL));
		EXPECT_EQ(200 * round, __atomic_load_n(&w.done, __ATOMIC_RELAXED));
	}
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

static void free_task(struct kgo_ctx *ctx, void *arg)
{
	kgo_wg_done(arg);
}

/* The waiter may free the group the moment it returns. */
TEST(wg_freed_right_after_wait)
{
	struct kgo_pool *p;
	int i;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	for (i = 0; i < 2000; i++) {
		struct kgo_wg *wg = malloc(sizeof(*wg));

		kgo_wg_init(wg);
		kgo_wg_add(wg, 1);
		ASSERT_EQ(0, kgo_go(p, NULL, free_task, wg));
		ASSERT_EQ(0, kgo_wg_wait(wg, NULL));
		free(wg);
	}
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

TEST(wg_wait_ends_with_its_context)
{
	struct kgo_wg wg = KGO_WG_INIT;
	struct kgo_ctx *bg, *c, *t;
	int64_t t0;

	kgo_wg_add(&wg, 1);
	ASSERT_EQ(0, kgo_ctx_background(&bg));
	t0 = test_now_ns();
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, 30 * MS, &t));
	EXPECT_EQ(-ETIMEDOUT, kgo_wg_wait(&wg, t));
	EXPECT_GE(test_now_ns() - t0, 30 * MS);
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &c));
	kgo_ctx_cancel(c);
	EXPECT_EQ(-ECANCELED, kgo_wg_wait(&wg, c));
	EXPECT_EQ(0, kgo_wg_done(&wg));
	EXPECT_EQ(0, kgo_wg_wait(&wg, c));	/* zero wins: nothing to wait for */
	kgo_ctx_put(t);
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

struct grp {
	long started, finished, saw_cancel;
};

static int ok_task(struct kgo_ctx *ctx, void *arg)
{
	struct grp *g = arg;

	__atomic_fetch_add(&g->started, 1, __ATOMIC_RELAXED);
	usleep(1000);
	__atomic_fetch_add(&g->finished, 1, __ATOMIC_RELAXED);
	return 0;
}

static int fail_task(struct kgo_ctx *ctx, void *arg)
{
	ok_task(ctx, arg);
	return -EIO;
}

/* Blocks until the group's context ends: the first error cancels it. */
static int waiting_task(struct kgo_ctx *ctx, void *arg)
{
	struct grp *g = arg;
	struct kgo_wg never = KGO_WG_INIT;
	int ret;

	kgo_wg_add(&never, 1);
	ret = kgo_wg_wait(&never, ctx);
	if (ret == -ECANCELED)
		__atomic_fetch_add(&g->saw_cancel, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&g->finished, 1, __ATOMIC_RELAXED);
	return ret;
}

/* Fails only after the group is cancelled: never the first error. */
static int late_fail_task(struct kgo_ctx *ctx, void *arg)
{
	waiting_task(ctx, arg);
	return -ENOENT;
}

TEST(group_bad_input)
{
	struct kgo_group *g;
	struct kgo_pool *p;

	ASSERT_EQ(0, kgo_pool_new(&p, 1));
	EXPECT_EQ(-EINVAL, kgo_group_new(NULL, NULL, &g));
	EXPECT_EQ(-EINVAL, kgo_group_new(p, NULL, NULL));
	EXPECT_EQ(-EINVAL, kgo_group_go(NULL, ok_task, NULL));
	EXPECT_EQ(-EINVAL, kgo_group_wait(NULL));
	EXPECT_EQ(NULL, kgo_group_ctx(NULL));
	kgo_group_free(NULL);
	ASSERT_EQ(0, kgo_group_new(p, NULL, &g));
	EXPECT_EQ(-EINVAL, kgo_group_go(g, NULL, NULL));
	EXPECT_EQ(0, kgo_group_wait(g));
	kgo_group_free(g);
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

TEST(group_all_succeed)
{
	struct grp st = { 0 };
	struct kgo_group *g;
	struct kgo_pool *p;
	int i;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	ASSERT_EQ(0, kgo_group_new(p, NULL, &g));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, kgo_group_go(g, ok_task, &st));
	EXPECT_EQ(0, kgo_group_wait(g));
	EXPECT_EQ(50, st.finished);
	/* Like Go's Wait, the group's context ends with the wait. */
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(kgo_group_ctx(g)));
	kgo_group_free(g);
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

TEST(group_first_error_cancels_and_is_returned_after_all_finish)
{
	struct grp st = { 0 };
	struct kgo_ctx *bg;
	struct kgo_group *g;
	struct kgo_pool *p;
	int i;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_group_new(p, bg, &g));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, kgo_group_go(g, waiting_task, &st));
	ASSERT_EQ(0, kgo_group_go(g, late_fail_task, &st));
	ASSERT_EQ(0, kgo_group_go(g, fail_task, &st));
	EXPECT_EQ(-EIO, kgo_group_wait(g));
	EXPECT_EQ(22, st.finished);
	EXPECT_EQ(21, st.saw_cancel);
	EXPECT_EQ(0, kgo_ctx_err(bg));		/* the parent is untouched */
	kgo_group_free(g);
	kgo_ctx_put(bg);
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

TEST(group_ends_with_its_parent)
{
	struct grp st = { 0 };
	struct kgo_ctx *bg, *parent;
	struct kgo_group *g;
	struct kgo_pool *p;

	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, 20 * MS, &parent));
	ASSERT_EQ(0, kgo_group_new(p, parent, &g));
	ASSERT_EQ(0, kgo_group_go(g, waiting_task, &st));
	EXPECT_EQ(-ETIMEDOUT, kgo_group_wait(g));
	kgo_group_free(g);
	kgo_ctx_put(parent);
	kgo_ctx_put(bg);
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	kgo_pool_free(p);
}

TEST(group_go_on_a_shut_down_pool)
{
	struct grp st = { 0 };
	struct kgo_group *g;
	struct kgo_pool *p;

	ASSERT_EQ(0, kgo_pool_new(&p, 1));
	ASSERT_EQ(0, kgo_group_new(p, NULL, &g));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	EXPECT_EQ(-ESHUTDOWN, kgo_group_go(g, ok_task, &st));
	EXPECT_EQ(0, kgo_group_wait(g));
	kgo_group_free(g);
	kgo_pool_free(p);
}

TEST(errno_is_left_alone)
{
	struct kgo_wg wg = KGO_WG_INIT;

	errno = 4242;
	kgo_wg_done(&wg);
	kgo_wg_add(&wg, 1);
	kgo_wg_done(&wg);
	kgo_wg_wait(&wg, NULL);
	EXPECT_EQ(4242, errno);
}

TEST_HARNESS_MAIN
