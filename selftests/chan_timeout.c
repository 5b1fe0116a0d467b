// SPDX-License-Identifier: GPL-2.0
/*
 * Timeouts are relative nanoseconds on CLOCK_MONOTONIC: 0 is -ETIMEDOUT when
 * the operation cannot complete at once, a negative value waits forever, and
 * a timeout is never cut short.  Only "at least" is checked: TCG is slow.
 */
#include "kchan_test.h"

TEST(zero_timeout_not_ready_etimedout)
{
	int ub = kt_make(0, 8, 0);
	int b = kt_make(1, 8, 0);
	char m[8];

	EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(ub, m, sizeof(m), 0));
	EXPECT_EQ(-ETIMEDOUT, kchan_send_timeout(ub, "x", 1, 0));
	EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(b, m, sizeof(m), 0));
	EXPECT_EQ(0, kchan_send_timeout(b, "x", 1, 0));
	EXPECT_EQ(-ETIMEDOUT, kchan_send_timeout(b, "y", 1, 0));
	EXPECT_EQ(1, kchan_recv_timeout(b, m, sizeof(m), 0));
	EXPECT_EQ('x', m[0]);
	EXPECT_EQ(0, kchan_len(b));
	close(ub);
	close(b);
}

TEST(zero_timeout_meets_parked_peer)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	char m[8];

	kt_async_park(&a, ch, KT_RECV, NULL, 8, 0, 1);
	EXPECT_EQ(0, kchan_send_timeout(ch, "x", 1, 0));
	EXPECT_EQ(1, kt_async_join(&a));
	kt_async_park(&a, ch, KT_SEND, "y", 1, 1, 0);
	EXPECT_EQ(1, kchan_recv_timeout(ch, m, sizeof(m), 0));
	EXPECT_EQ(0, kt_async_join(&a));
	close(ch);
}

TEST(timeout_never_early)
{
	static const int64_t ms[] = { 1, 5, 20, 60 };
	int ub = kt_make(0, 8, 0);
	int full = kt_make(1, 8, 0);
	int64_t t0, dt;
	unsigned int i;
	char m[8];

	ASSERT_EQ(0, kchan_send(full, "f", 1));
	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		int64_t ns = ms[i] * KT_NSEC_PER_MSEC;

		t0 = kt_now_ns();
		EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(ub, m, sizeof(m), ns));
		dt = kt_now_ns() - t0;
		EXPECT_LE(ns, dt) TH_LOG("recv %lld ms took %lld ns",
					 (long long)ms[i], (long long)dt);

		t0 = kt_now_ns();
		EXPECT_EQ(-ETIMEDOUT, kchan_send_timeout(ub, "x", 1, ns));
		dt = kt_now_ns() - t0;
		EXPECT_LE(ns, dt) TH_LOG("send %lld ms took %lld ns",
					 (long long)ms[i], (long long)dt);

		t0 = kt_now_ns();
		EXPECT_EQ(-ETIMEDOUT, kchan_send_timeout(full, "x", 1, ns));
		dt = kt_now_ns() - t0;
		EXPECT_LE(ns, dt);
	}
	/* A timed-out send left nothing behind. */
	EXPECT_EQ(1, kchan_len(full));
	EXPECT_EQ(0, kt_wait_waiters(ub, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ub, m, sizeof(m)));
	close(ub);
	close(full);
}

TEST(sub_tick_timeouts_not_early)
{
	int ch = kt_make(0, 8, 0);
	int64_t t0, dt, ns;
	char m[8];

	for (ns = 1; ns <= 1000000; ns *= 10) {
		t0 = kt_now_ns();
		EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(ch, m, sizeof(m), ns));
		dt = kt_now_ns() - t0;
		EXPECT_LE(ns, dt);
	}
	close(ch);
}

TEST(message_before_timeout_is_received)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	char m[8];

	kt_async_start_timeout(&a, ch, KT_RECV_TIMEOUT, NULL, 8,
			       30 * KT_NSEC_PER_SEC);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(0, kchan_send(ch, "in time", 7));
	EXPECT_EQ(7, kt_async_join(&a));

	kt_async_start_timeout(&a, ch, KT_SEND_TIMEOUT, "also", 4,
			       30 * KT_NSEC_PER_SEC);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	EXPECT_EQ(4, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kt_async_join(&a));
	close(ch);
}

TEST(negative_timeout_waits_forever)
{
	static const int64_t forever[] = { -1, INT64_MIN, -KT_NSEC_PER_SEC };
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(forever); i++) {
		kt_async_start_timeout(&a, ch, KT_RECV_TIMEOUT, NULL, 8,
				       forever[i]);
		ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
		kt_sleep_ms(100);
		EXPECT_FALSE(kt_async_done(&a));
		EXPECT_EQ(0, kchan_send(ch, "late", 4));
		EXPECT_EQ(4, kt_async_join(&a));
	}
	close(ch);
}

TEST(huge_timeout_does_not_overflow)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	char m[8];

	kt_async_start_timeout(&a, ch, KT_SEND_TIMEOUT, "x", 1, INT64_MAX);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	kt_sleep_ms(100);
	EXPECT_FALSE(kt_async_done(&a));
	EXPECT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kt_async_join(&a));
	close(ch);
}

TEST(timed_out_waiter_is_dequeued)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async rcv;
	char m[8];

	/* A receiver that timed out must not swallow a later message. */
	EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(ch, m, sizeof(m),
						 10 * KT_NSEC_PER_MSEC));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "x", 1));
	kt_async_park(&rcv, ch, KT_RECV, NULL, 8, 0, 1);
	EXPECT_EQ(0, kchan_send(ch, "y", 1));
	EXPECT_EQ(1, kt_async_join(&rcv));
	EXPECT_EQ('y', rcv.buf[0]);
	close(ch);
}

TEST_HARNESS_MAIN
