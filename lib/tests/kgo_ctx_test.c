// SPDX-License-Identifier: MIT
/*
 * libkgo contexts on the host: the tree, done fds, timeouts, storms.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kgo_test.h"

TEST(null_and_background)
{
	struct kgo_ctx *bg, *c;

	EXPECT_EQ(-EINVAL, kgo_ctx_background(NULL));
	EXPECT_EQ(-EINVAL, kgo_ctx_with_cancel(NULL, &c));
	EXPECT_EQ(-EINVAL, kgo_ctx_with_timeout(NULL, MS, &c));
	EXPECT_EQ(-EINVAL, kgo_ctx_err(NULL));
	EXPECT_EQ(-EINVAL, kgo_ctx_done_fd(NULL));
	kgo_ctx_cancel(NULL);
	kgo_ctx_put(NULL);

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	EXPECT_EQ(-EINVAL, kgo_ctx_with_cancel(bg, NULL));
	EXPECT_EQ(0, kgo_ctx_err(bg));
	EXPECT_EQ(-1, kgo_ctx_done_fd(bg));	/* a nil select case */
	kgo_ctx_cancel(bg);			/* the background is never done */
	EXPECT_EQ(0, kgo_ctx_err(bg));
	kgo_ctx_put(bg);
}

TEST(done_fd_becomes_readable_once_and_stays)
{
	struct kgo_ctx *bg, *c;
	int fd;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &c));
	fd = kgo_ctx_done_fd(c);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(fd, kgo_ctx_done_fd(c));
	EXPECT_FALSE(test_readable(fd, 0));
	EXPECT_EQ(0, kgo_ctx_err(c));
	kgo_ctx_cancel(c);
	EXPECT_TRUE(test_readable(fd, 0));
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(c));
	kgo_ctx_cancel(c);			/* double cancel: nothing */
	EXPECT_TRUE(test_readable(fd, 0));
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(c));
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

TEST(done_fd_is_made_lazily)
{
	struct kgo_ctx *bg, *c;
	int before, fd;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	before = dup(0);
	close(before);
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &c));
	kgo_ctx_cancel(c);
	fd = dup(0);		/* no fd was taken by the context */
	EXPECT_EQ(before, fd);
	close(fd);
	fd = kgo_ctx_done_fd(c);
	ASSERT_GE(fd, 0);
	EXPECT_TRUE(test_readable(fd, 0));	/* made after the cancel */
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

#define FANOUT	4

/* A tree three levels deep under @root; @all gets every node. */
static int make_tree(struct kgo_ctx *root, struct kgo_ctx **all)
{
	int n = 0, i, j, k;

	for (i = 0; i < FANOUT; i++) {
		struct kgo_ctx *a;

		if (kgo_ctx_with_cancel(root, &a))
			return -1;
		all[n++] = a;
		for (j = 0; j < FANOUT; j++) {
			struct kgo_ctx *b;

			if (kgo_ctx_with_timeout(a, 3600 * 1000 * MS, &b))
				return -1;
			all[n++] = b;
			for (k = 0; k < FANOUT; k++)
				if (kgo_ctx_with_cancel(b, &all[n++]))
					return -1;
		}
	}
	return n;
}

TEST(cancel_reaches_every_descendant_before_returning)
{
	struct kgo_ctx *bg, *root, *all[FANOUT * (1 + FANOUT * (1 + FANOUT))];
	int n, i;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &root));
	n = make_tree(root, all);
	ASSERT_EQ((int)(sizeof(all) / sizeof(all[0])), n);
	for (i = 0; i < n; i += 3)
		ASSERT_GE(kgo_ctx_done_fd(all[i]), 0);
	kgo_ctx_cancel(root);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-ECANCELED, kgo_ctx_err(all[i]));
		if (i % 3 == 0)
			EXPECT_TRUE(test_readable(kgo_ctx_done_fd(all[i]), 0));
	}
	for (i = n; i-- > 0;)
		kgo_ctx_put(all[i]);
	kgo_ctx_put(root);
	kgo_ctx_put(bg);
}

TEST(cancel_does_not_reach_parent_or_siblings)
{
	struct kgo_ctx *bg, *root, *a, *b, *a1;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &root));
	ASSERT_EQ(0, kgo_ctx_with_cancel(root, &a));
	ASSERT_EQ(0, kgo_ctx_with_cancel(root, &b));
	ASSERT_EQ(0, kgo_ctx_with_cancel(a, &a1));
	kgo_ctx_cancel(a);
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(a1));
	EXPECT_EQ(0, kgo_ctx_err(root));
	EXPECT_EQ(0, kgo_ctx_err(b));
	/* Parents may go before their children. */
	kgo_ctx_put(root);
	kgo_ctx_put(a);
	kgo_ctx_put(bg);
	kgo_ctx_cancel(b);
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(b));
	kgo_ctx_put(a1);
	kgo_ctx_put(b);
}

TEST(child_of_a_done_parent_is_done)
{
	struct kgo_ctx *bg, *root, *c, *t;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, 0, &root));
	EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(root));
	ASSERT_EQ(0, kgo_ctx_with_cancel(root, &c));
	EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(c));
	EXPECT_TRUE(test_readable(kgo_ctx_done_fd(c), 0));
	ASSERT_EQ(0, kgo_ctx_with_timeout(root, 3600 * 1000 * MS, &t));
	EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(t));
	kgo_ctx_put(t);
	kgo_ctx_put(c);
	kgo_ctx_put(root);
	kgo_ctx_put(bg);
}

TEST(timeout_fires_no_earlier_than_asked)
{
	struct kgo_ctx *bg, *c, *child;
	int64_t t0, dt;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	t0 = test_now_ns();
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, 50 * MS, &c));
	ASSERT_EQ(0, kgo_ctx_with_cancel(c, &child));
	EXPECT_EQ(0, kgo_ctx_err(c));
	EXPECT_TRUE(test_readable(kgo_ctx_done_fd(child), 5000));
	dt = test_now_ns() - t0;
	EXPECT_GE(dt, 50 * MS);
	EXPECT_LT(dt, 2000 * MS);
	EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(c));
	EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(child));	/* the reason propagates */
	kgo_ctx_cancel(c);				/* and sticks */
	EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(c));
	kgo_ctx_put(child);
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

TEST(cancel_before_timeout_sticks)
{
	struct kgo_ctx *bg, *c;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, 20 * MS, &c));
	kgo_ctx_cancel(c);
	usleep(40 * 1000);
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(c));
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

TEST(negative_timeout_never_fires)
{
	struct kgo_ctx *bg, *c;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, -1, &c));
	EXPECT_FALSE(test_readable(kgo_ctx_done_fd(c), 20));
	EXPECT_EQ(0, kgo_ctx_err(c));
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

/* Timeouts share one timer thread; put contexts leave the timer at once. */
TEST(many_timeouts_share_one_thread)
{
	struct kgo_ctx *bg, *c[300];
	int base = test_threads_base(), i;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	for (i = 0; i < 300; i++)
		ASSERT_EQ(0, kgo_ctx_with_timeout(bg, (i % 30 + 1) * MS, &c[i]));
	EXPECT_LE(test_threads(), base + 1);
	for (i = 0; i < 300; i += 2)
		kgo_ctx_put(c[i]);	/* some before they fire */
	for (i = 1; i < 300; i += 2)
		EXPECT_TRUE(test_readable(kgo_ctx_done_fd(c[i]), 5000));
	for (i = 1; i < 300; i += 2) {
		EXPECT_EQ(-ETIMEDOUT, kgo_ctx_err(c[i]));
		kgo_ctx_put(c[i]);
	}
	EXPECT_LE(test_threads(), base + 1);
	kgo_ctx_put(bg);
}

struct storm {
	struct kgo_ctx *ctx[1000];
	struct kgo_wg never;
	long finished, cancelled;
};

static void storm_task(struct kgo_ctx *ctx, void *arg)
{
	struct storm *s = arg;

	if (kgo_wg_wait(&s->never, ctx) == -ECANCELED)
		__atomic_fetch_add(&s->cancelled, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->finished, 1, __ATOMIC_RELAXED);
}

static void *storm_canceller(void *arg)
{
	struct storm *s = arg;
	int i;

	for (i = 999; i >= 0; i -= 2)
		kgo_ctx_cancel(s->ctx[i]);
	return NULL;
}

/*
 * 1000 contexts cancelled from two threads while tasks under them start,
 * and the rest through their common parent: every task ends cancelled.
 */
TEST(cancellation_storm_while_tasks_start)
{
	static struct storm s;
	struct kgo_ctx *bg, *root;
	struct kgo_pool *p;
	pthread_t th;
	int i;

	kgo_wg_init(&s.never);
	kgo_wg_add(&s.never, 1);
	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &root));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, kgo_ctx_with_cancel(root, &s.ctx[i]));
	ASSERT_EQ(0, kgo_pool_new(&p, 4));
	ASSERT_EQ(0, pthread_create(&th, NULL, storm_canceller, &s));
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, kgo_go(p, s.ctx[i], storm_task, &s));
		if (i == 500)
			kgo_ctx_cancel(root);
	}
	pthread_join(th, NULL);
	/* Tasks hold their own references; these may go first or last. */
	for (i = 0; i < 1000; i++)
		kgo_ctx_put(s.ctx[i]);
	EXPECT_EQ(0, kgo_pool_shutdown(p, 10000 * MS));
	EXPECT_EQ(1000, s.finished);
	EXPECT_EQ(1000, s.cancelled);
	kgo_pool_free(p);
	kgo_ctx_put(root);
	kgo_ctx_put(bg);
}

struct deriver {
	struct kgo_ctx *root;
	int done_after_cancel;
	int bad;
};

static void *derive_loop(void *arg)
{
	struct deriver *d = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		struct kgo_ctx *c;
		int was = __atomic_load_n(&d->done_after_cancel, __ATOMIC_SEQ_CST);

		if (kgo_ctx_with_cancel(d->root, &c))
			abort();
		if (was && !kgo_ctx_err(c))
			__atomic_store_n(&d->bad, 1, __ATOMIC_SEQ_CST);
		kgo_ctx_put(c);
	}
	return NULL;
}

/* Children made while the parent is being cancelled are done after it. */
TEST(derive_races_with_cancel)
{
	struct deriver d = { 0 };
	struct kgo_ctx *bg;
	pthread_t th[2];

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &d.root));
	pthread_create(&th[0], NULL, derive_loop, &d);
	pthread_create(&th[1], NULL, derive_loop, &d);
	usleep(1000);
	kgo_ctx_cancel(d.root);
	__atomic_store_n(&d.done_after_cancel, 1, __ATOMIC_SEQ_CST);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	EXPECT_EQ(0, d.bad);
	kgo_ctx_put(d.root);
	kgo_ctx_put(bg);
}

static void self_cancel(struct kgo_ctx *ctx, void *arg)
{
	kgo_ctx_cancel(ctx);
	*(int *)arg = kgo_ctx_err(ctx);
}

TEST(cancel_from_inside_a_task)
{
	struct kgo_ctx *bg, *c;
	struct kgo_pool *p;
	int seen = 0;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &c));
	ASSERT_EQ(0, kgo_pool_new(&p, 2));
	ASSERT_EQ(0, kgo_go(p, c, self_cancel, &seen));
	EXPECT_EQ(0, kgo_pool_shutdown(p, -1));
	EXPECT_EQ(-ECANCELED, seen);
	EXPECT_EQ(-ECANCELED, kgo_ctx_err(c));
	kgo_pool_free(p);
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

TEST(errno_is_left_alone)
{
	struct kgo_ctx *bg, *c;

	errno = 4242;
	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_timeout(bg, MS, &c));
	ASSERT_GE(kgo_ctx_done_fd(c), 0);
	EXPECT_TRUE(test_readable(kgo_ctx_done_fd(c), 5000));
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
	EXPECT_EQ(4242, errno);
}

/* Debug builds (the default: no NDEBUG) catch a double put: abort(). */
TEST(double_put_is_caught)
{
	struct kgo_ctx *bg, *c;
	int status;
	pid_t pid;

	ASSERT_EQ(0, kgo_ctx_background(&bg));
	ASSERT_EQ(0, kgo_ctx_with_cancel(bg, &c));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(2);	/* the library's complaint is expected */
		kgo_ctx_put(c);
		kgo_ctx_put(c);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGABRT, WTERMSIG(status));
	kgo_ctx_put(c);
	kgo_ctx_put(bg);
}

TEST_HARNESS_MAIN
