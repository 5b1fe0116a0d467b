// SPDX-License-Identifier: MIT
/*
 * kgo_send()/kgo_recv(): channel operations bounded by a context, and
 * tasks blocked in them, which must not hold the pool's processors.
 * They are kernel selects: without KCHAN_IOC_SELECT every test SKIPs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kchan.h"
#include "kgo.h"

#define MS	1000000LL

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

FIXTURE(kgo) {
	struct kgo_ctx *bg;
	int ch;		/* buffered, 4 x long */
	int unbuf;	/* unbuffered, long */
};

FIXTURE_SETUP(kgo)
{
	long v = 7;
	int ret;

	self->ch = kchan_make(4, sizeof(long), KCHAN_CLOEXEC);
	if (self->ch < 0)
		SKIP(return, "no /dev/kchan: %d", self->ch);
	self->unbuf = kchan_make(0, sizeof(long), KCHAN_CLOEXEC);
	ASSERT_GE(self->unbuf, 0);
	ASSERT_EQ(0, kgo_ctx_background(&self->bg));
	ret = kgo_send(self->bg, self->ch, &v, sizeof(v));
	if (ret == -ENOTTY || ret == -ENOSYS || ret == -EOPNOTSUPP)
		SKIP(return, "no kernel select (KCHAN_IOC_SELECT): %d", ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ((ssize_t)sizeof(v), kgo_recv(self->bg, self->ch, &v, sizeof(v)));
	ASSERT_EQ(7, v);
}

FIXTURE_TEARDOWN(kgo)
{
	if (self->ch >= 0)
		close(self->ch);
	if (self->unbuf >= 0)
		close(self->unbuf);
	kgo_ctx_put(self->bg);
}

TEST_F(kgo, send_recv_with_null_and_background_contexts)
{
	long v = 42, w = 0;

	EXPECT_EQ(0, kgo_send(NULL, self->ch, &v, sizeof(v)));
	EXPECT_EQ((ssize_t)sizeof(w), kgo_recv(self->bg, self->ch, &w, sizeof(w)));
	EXPECT_EQ(42, w);
}

struct later {
	struct kgo_ctx *ctx;
	int64_t delay_ns;
};

static void *cancel_later(void *arg)
{
	struct later *l = arg;

	usleep(l->delay_ns / 1000);
	kgo_ctx_cancel(l->ctx);
	return NULL;
}

TEST_F(kgo, recv_ends_with_a_cancel_from_another_thread)
{
	struct later l = { .delay_ns = 20 * MS };
	pthread_t th;
	int64_t t0;
	long v;

	ASSERT_EQ(0, kgo_ctx_with_cancel(self->bg, &l.ctx));
	ASSERT_EQ(0, pthread_create(&th, NULL, cancel_later, &l));
	t0 = now_ns();
	EXPECT_EQ(-ECANCELED, kgo_recv(l.ctx, self->unbuf, &v, sizeof(v)));
	EXPECT_GE(now_ns() - t0, 20 * MS);
	pthread_join(th, NULL);
	kgo_ctx_put(l.ctx);
}

TEST_F(kgo, send_to_a_full_channel_times_out_and_sends_nothing)
{
	struct kgo_ctx *t;
	long v, i;
	int64_t t0;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kchan_send(self->ch, &i, sizeof(i)));
	t0 = now_ns();
	ASSERT_EQ(0, kgo_ctx_with_timeout(self->bg, 30 * MS, &t));
	v = 99;
	EXPECT_EQ(-ETIMEDOUT, kgo_send(t, self->ch, &v, sizeof(v)));
	EXPECT_GE(now_ns() - t0, 30 * MS);
	EXPECT_EQ(4, kchan_len(self->ch));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ((ssize_t)sizeof(v), kchan_recv(self->ch, &v, sizeof(v)));
		EXPECT_EQ(i, v);
	}
	kgo_ctx_put(t);
}

/* A done context wins over a ready channel: the message stays. */
TEST_F(kgo, done_context_wins_and_the_message_is_not_lost)
{
	struct kgo_ctx *c;
	long v = 5, w = 0;

	ASSERT_EQ(0, kgo_ctx_with_cancel(self->bg, &c));
	kgo_ctx_cancel(c);
	ASSERT_EQ(0, kchan_send(self->ch, &v, sizeof(v)));
	EXPECT_EQ(-ECANCELED, kgo_recv(c, self->ch, &w, sizeof(w)));
	EXPECT_EQ(1, kchan_len(self->ch));
	EXPECT_EQ(-ECANCELED, kgo_send(c, self->ch, &v, sizeof(v)));
	EXPECT_EQ(1, kchan_len(self->ch));
	EXPECT_EQ((ssize_t)sizeof(w), kgo_recv(self->bg, self->ch, &w, sizeof(w)));
	EXPECT_EQ(5, w);
	kgo_ctx_put(c);
}

TEST_F(kgo, closed_channel_is_epipe)
{
	long v = 1;

	ASSERT_EQ(0, kchan_close(self->ch));
	EXPECT_EQ(-EPIPE, kgo_send(self->bg, self->ch, &v, sizeof(v)));
	EXPECT_EQ(-EPIPE, kgo_recv(self->bg, self->ch, &v, sizeof(v)));
}

struct herd {
	int ch;
	struct kgo_pool *p;
	long got, cancelled;
};

static void herd_recv(struct kgo_ctx *ctx, void *arg)
{
	struct herd *h = arg;
	long v;
	ssize_t ret = kgo_recv(ctx, h->ch, &v, sizeof(v));

	if (ret == sizeof(v))
		__atomic_fetch_add(&h->got, 1, __ATOMIC_RELAXED);
	else if (ret == -ECANCELED)
		__atomic_fetch_add(&h->cancelled, 1, __ATOMIC_RELAXED);
}

static void herd_send(struct kgo_ctx *ctx, void *arg)
{
	struct herd *h = arg;
	long i;

	for (i = 0; i < 1000; i++)
		if (kgo_send(ctx, h->ch, &i, sizeof(i)))
			break;
}

/*
 * 1000 receivers block in a 2-proc pool before their sender is queued:
 * without the processor hand-off the sender never runs.
 */
TEST_F(kgo, thousand_tasks_blocked_on_a_channel_do_not_starve_the_pool)
{
	struct herd h = { .ch = self->unbuf };
	int i;

	ASSERT_EQ(0, kgo_pool_new(&h.p, 2));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, kgo_go(h.p, self->bg, herd_recv, &h));
	ASSERT_EQ(0, kgo_go(h.p, self->bg, herd_send, &h));
	EXPECT_EQ(0, kgo_pool_shutdown(h.p, 60000 * MS));
	EXPECT_EQ(1000, h.got);
	kgo_pool_free(h.p);
}

TEST_F(kgo, cancel_reaches_thousand_blocked_tasks)
{
	struct herd h = { .ch = self->unbuf };
	struct kgo_ctx *c;
	int i;

	ASSERT_EQ(0, kgo_ctx_with_cancel(self->bg, &c));
	ASSERT_EQ(0, kgo_pool_new(&h.p, 2));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, kgo_go(h.p, c, herd_recv, &h));
	EXPECT_EQ(1000, kgo_pool_shutdown(h.p, 100 * MS));	/* all blocked */
	kgo_ctx_cancel(c);
	EXPECT_EQ(0, kgo_pool_shutdown(h.p, 60000 * MS));
	EXPECT_EQ(1000, h.cancelled);
	kgo_pool_free(h.p);
	kgo_ctx_put(c);
}

TEST_HARNESS_MAIN
